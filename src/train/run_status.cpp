#include "train/run_status.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace ft {
namespace {

nlohmann::json to_json(const RunStatus& s) {
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  nlohmann::json j;
  j["phase"] = s.phase;
  j["step"] = s.step;
  j["total_steps"] = s.total_steps;
  j["progress"] = s.total_steps > 0 ? static_cast<double>(s.step) / static_cast<double>(s.total_steps) : 0.0;
  j["epoch"] = s.epoch;
  j["elapsed_seconds"] = s.elapsed_seconds;
  j["eta_seconds"] = s.eta_seconds >= 0 ? nlohmann::json(s.eta_seconds) : nlohmann::json();
  j["last_loss"] = std::isfinite(s.last_loss) ? nlohmann::json(s.last_loss) : nlohmann::json();
  j["last_checkpoint"] = s.last_checkpoint.empty() ? nlohmann::json() : nlohmann::json(s.last_checkpoint);
  if (!s.message.empty()) j["message"] = s.message;
  j["updated_at"] = now;
  return j;
}

}  // namespace

void write_run_status(const std::string& output_dir, const RunStatus& status) {
  const std::filesystem::path final_path = std::filesystem::path(output_dir) / "status.json";
  // Same directory as the target, so rename() is atomic; the pid keeps concurrent writers apart.
  const std::filesystem::path tmp_path =
      std::filesystem::path(output_dir) / (".status.json.tmp." + std::to_string(getpid()));
  const std::string text = to_json(status).dump(2) + "\n";
  std::FILE* f = std::fopen(tmp_path.c_str(), "wb");
  if (!f) fail_usage(final_path.string() + ": cannot write the run status: " + std::strerror(errno));
  const bool written = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  const bool closed = std::fclose(f) == 0;
  if (!written || !closed || std::rename(tmp_path.c_str(), final_path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    std::remove(tmp_path.c_str());
    fail_usage(final_path.string() + ": cannot write the run status: " + reason);
  }
}

}  // namespace ft
