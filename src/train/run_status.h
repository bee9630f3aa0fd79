// status.json in the output directory: a small snapshot of how far a run is, for
// `kubectl exec <pod> -- cat <output_dir>/status.json`. Written atomically (a temporary file in
// the same directory, then rename) so a reader never sees a half-written file.
#pragma once
#include <cmath>
#include <cstdint>
#include <string>

namespace ft {

// Every member has a default initializer so designated initializers may leave any of them out
// without -Wmissing-field-initializers.
struct RunStatus {
  std::string phase{};  // "starting", "preparing_data", "training", "evaluating", "saving", "completed", "failed",
                        // "stopped" (SIGTERM/SIGINT: message says where to resume from)
  int64_t step = 0, total_steps = 0;
  double epoch = 0, eta_seconds = -1, last_loss = NAN, elapsed_seconds = 0;
  std::string last_checkpoint{};  // "" when none
  std::string message{};          // the error line when failed
};

// JSON fields: phase, step, total_steps, progress (step/total_steps, 0 when unknown), epoch,
// elapsed_seconds, eta_seconds (null when unknown: < 0), last_loss (null when NaN),
// last_checkpoint (null when ""), message (omitted when ""), updated_at (unix seconds).
// Throws ft::Error naming the file when it cannot be written.
void write_run_status(const std::string& output_dir, const RunStatus& status);

}  // namespace ft
