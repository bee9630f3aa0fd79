#include "train/output_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "core/error.h"
#include "train/checkpoint.h"

namespace ft {
namespace fs = std::filesystem;

namespace {

// Files only a finished run leaves.
const char* const kFinished[] = {"adapter_config.json", "adapter_model.safetensors", "model.safetensors",
                                 "model.safetensors.index.json", "train_results.json", "all_results.json"};
// Records a run keeps while it goes.
const char* const kRecords[] = {"metrics.jsonl", "run_config.json", "status.json", "trainer_state.json",
                                "eval_results.json"};

std::vector<std::string> finished_outputs(const std::string& dir) {
  std::vector<std::string> found;
  std::error_code ec;
  for (const char* name : kFinished)
    if (fs::exists(fs::path(dir) / name, ec)) found.emplace_back(name);
  return found;
}

// A run of ours (run_config.json) that died in its final save, with no checkpoint to resume: what
// it wrote is no output (each file is written whole; the adapter's config goes last, as does a
// model's config.json, and train_results.json after all of them), so a restart starts over.
bool unfinished_final_save(const std::string& dir) {
  const fs::path d(dir);
  if (!fs::exists(d / "run_config.json") || !list_checkpoints(dir).empty()) return false;
  for (const char* complete : {"adapter_config.json", "train_results.json", "all_results.json"})
    if (fs::exists(d / complete)) return false;
  // A model's config.json is written after its weights (hf_writer).
  return !fs::exists(d / "config.json");
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + fs::path(s).filename().string();
  return out;
}

}  // namespace

OutputDirDecision decide_output_dir(const std::string& output_dir, const std::string& resume_flag,
                                    bool overwrite, bool do_train) {
  OutputDirDecision d;
  if (!do_train) return d;
  if (!resume_flag.empty() && resume_flag != "auto") {
    if (!fs::is_directory(resume_flag))
      fail_usage("--resume_from_checkpoint " + resume_flag + " is not a directory; give a checkpoint-N directory or auto");
    if (const std::string problem = checkpoint_problem(resume_flag); !problem.empty())
      fail_input(resume_flag, "cannot resume from this checkpoint: " + problem);
    d.resume_from = resume_flag;
    return d;
  }
  if (!fs::exists(output_dir)) return d;
  // Damaged checkpoints that `auto` passes over are said, resumed from an earlier one or not.
  std::vector<std::string> skipped;
  if (resume_flag == "auto") {
    const auto newest = newest_complete_checkpoint(output_dir, &skipped);
    for (const auto& s : skipped) d.note += (d.note.empty() ? "" : "; ") + ("skipping damaged checkpoint " + s);
    if (newest) {
      d.resume_from = *newest;
      return d;
    }
  }
  std::vector<std::string> previous = list_checkpoints(output_dir);
  for (const auto& f : finished_outputs(output_dir)) previous.push_back(f);
  if (!previous.empty() && !overwrite && unfinished_final_save(output_dir)) {
    d.clear_previous = true;
    d.note = "an earlier attempt in " + output_dir + " died while saving (" + join(previous) +
             " without the rest) and left no checkpoint: starting over";
    return d;
  }
  if (!previous.empty() && !overwrite) {
    std::string hint = resume_flag == "auto" ? "" : ", or --resume_from_checkpoint auto to continue it";
    if (list_checkpoints(output_dir).empty()) hint.clear();
    if (!skipped.empty()) hint = "; no checkpoint is complete (" + skipped.front() + ")";
    fail_usage(output_dir + " holds a previous run (" + join(previous) +
               "); pass --overwrite_output_dir true to start over" + hint);
  }
  d.clear_previous = true;
  if (!previous.empty())
    d.note = "--overwrite_output_dir: removing the previous run (" + join(previous) + ") from " + output_dir;
  return d;
}

OutputDirLock::OutputDirLock(const std::string& output_dir) {
  if (std::error_code ec; !fs::create_directories(output_dir, ec) && ec)
    fail_usage("--output_dir " + output_dir + ": cannot create it (" + ec.message() + ")");
  const std::string path = (fs::path(output_dir) / ".finetune.lock").string();
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) return;  // an unwritable directory fails later with its own message
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const bool held = errno == EWOULDBLOCK;
    char pid[32] = {};
    if (held && ::pread(fd_, pid, sizeof pid - 1, 0) < 0) pid[0] = 0;
    ::close(fd_);
    fd_ = -1;
    if (held)
      fail_usage("--output_dir " + output_dir + " is in use by another finetune run (pid " +
                 std::string(pid[0] ? pid : "unknown") + "); give this run a directory of its own");
    return;  // no locks on this file system
  }
  // The pid only feeds a second run's message, so a failed write is let pass.
  const std::string mine = std::to_string(::getpid());
  if (::ftruncate(fd_, 0) == 0 && ::pwrite(fd_, mine.data(), mine.size(), 0) < 0) return;
}

OutputDirLock::~OutputDirLock() {
  if (fd_ >= 0) ::close(fd_);
}

void clear_previous_run(const std::string& output_dir) {
  std::error_code ec;
  for (const std::string& c : list_checkpoints(output_dir)) fs::remove_all(c, ec);
  for (const auto& entry : fs::directory_iterator(output_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(".checkpoint-", 0) == 0) fs::remove_all(entry.path(), ec);
  }
  for (const char* name : kFinished) fs::remove(fs::path(output_dir) / name, ec);
  for (const char* name : kRecords) fs::remove(fs::path(output_dir) / name, ec);
}

}  // namespace ft
