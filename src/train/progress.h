// The training progress display on rank 0: on a terminal, one bar redrawn in place (steps
// done/total, elapsed, ETA, it/s, tokens/s); otherwise (Kubernetes logs, files) a plain line at most
// every `plain_interval_seconds` and at the end, so logs stay readable. Rates count only steps run
// by this process, so a resumed run's ETA is not skewed by the steps it skipped.
#pragma once
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace ft {

class Progress {
 public:
  Progress(int64_t total_steps, int64_t first_step, bool enabled, std::FILE* out = stderr,
           double plain_interval_seconds = 30.0);
  void update(int64_t steps_done, int64_t tokens);  // tokens processed by the step just finished
  // A line for the log that the bar must not overwrite (the bar reappears at the next update).
  void print_line(const std::string& line, std::FILE* to = stdout);
  void finish();

  double elapsed_seconds() const;
  double eta_seconds() const;  // -1 before the first step
  double tokens_per_second() const;

 private:
  std::string describe() const;
  void clear_bar();

  int64_t total_, first_, done_;
  int64_t tokens_ = 0;
  bool enabled_, tty_;
  std::FILE* out_;
  double plain_interval_;
  std::chrono::steady_clock::time_point start_;
  double last_plain_ = -1e300;
  bool bar_drawn_ = false;
};

std::string format_duration(double seconds);  // h:mm:ss or m:ss

}  // namespace ft
