// Progress of one file download on stderr: bytes, rate and ETA. On a terminal one line redrawn
// in place (at most ~10 times a second); otherwise (logs, kubectl) a plain line every few seconds
// and one when the file is done, so logs stay short.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

namespace ft::hub {

class DownloadProgress {
 public:
  // `total` < 0 when the size is unknown; `already` bytes came from an earlier, resumed attempt.
  DownloadProgress(std::string name, int64_t total, int64_t already, bool enabled);
  void update(int64_t bytes_done);
  void finish(int64_t bytes_done);

 private:
  void print(int64_t bytes_done, bool final);

  std::string name_;
  int64_t total_;
  int64_t start_bytes_;
  bool enabled_;
  bool terminal_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_print_;
};

// "12.3 MiB" style sizes for progress and messages.
std::string human_bytes(double bytes);

}  // namespace ft::hub
