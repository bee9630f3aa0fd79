// What to do with --output_dir before a run trains, as Transformers does it but safe for restarts:
// resume from a checkpoint (a path, or "auto" = the newest complete one); refuse to start over a
// directory holding a finished run or checkpoints unless --overwrite_output_dir (never when
// resuming); and clean up the leftovers of an attempt that died before its first checkpoint, so a
// Kubernetes restart of such a job starts again instead of failing.
#pragma once
#include <string>
#include <vector>

namespace ft {

struct OutputDirDecision {
  std::string resume_from;      // a complete checkpoint directory, or "" to start fresh
  bool clear_previous = false;  // remove the previous run's files first (clear_previous_run)
  std::string note;             // one line for the log ("" = nothing to say)
};

// Usage/input errors name the directory and the flag to pass.
OutputDirDecision decide_output_dir(const std::string& output_dir, const std::string& resume_flag,
                                    bool overwrite, bool do_train);

// Held by rank 0 for a whole run: a second run given the same directory (which used to interleave
// both runs' checkpoints, logs and adapter silently) is a usage error naming the holder's pid.
// The lock is flock(2) on <output_dir>/.finetune.lock, released when the process ends however it
// ends; where the file system has no locks (some NFS mounts) it is skipped.
class OutputDirLock {
 public:
  explicit OutputDirLock(const std::string& output_dir);
  ~OutputDirLock();
  OutputDirLock(const OutputDirLock&) = delete;
  OutputDirLock& operator=(const OutputDirLock&) = delete;

 private:
  int fd_ = -1;
};

// Removes checkpoints, final outputs and run records (metrics.jsonl, status.json, ...); keeps the
// tokenized-data cache (.cache) and TensorBoard runs/.
void clear_previous_run(const std::string& output_dir);

}  // namespace ft
