#include "hub/download_progress.h"

#include <unistd.h>

#include <cstdio>

namespace ft::hub {
namespace {

using Clock = std::chrono::steady_clock;

std::string human_duration(double seconds) {
  char buf[32];
  if (seconds < 60) std::snprintf(buf, sizeof buf, "%.0fs", seconds);
  else if (seconds < 3600) std::snprintf(buf, sizeof buf, "%dm%02ds", int(seconds) / 60, int(seconds) % 60);
  else std::snprintf(buf, sizeof buf, "%dh%02dm", int(seconds) / 3600, int(seconds) / 60 % 60);
  return buf;
}

}  // namespace

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 4) {
    bytes /= 1024;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, unit == 0 ? "%.0f %s" : "%.1f %s", bytes, units[unit]);
  return buf;
}

DownloadProgress::DownloadProgress(std::string name, int64_t total, int64_t already, bool enabled)
    : name_(std::move(name)),
      total_(total),
      start_bytes_(already),
      enabled_(enabled),
      terminal_(isatty(STDERR_FILENO) != 0),
      start_(Clock::now()),
      last_print_(start_) {
  if (enabled_ && !terminal_)
    std::fprintf(stderr, "downloading %s (%s%s)\n", name_.c_str(), total_ >= 0 ? human_bytes(double(total_)).c_str() : "size unknown",
                 already > 0 ? (", resuming at " + human_bytes(double(already))).c_str() : "");
}

void DownloadProgress::update(int64_t bytes_done) {
  if (!enabled_) return;
  const auto now = Clock::now();
  const auto interval = terminal_ ? std::chrono::milliseconds(100) : std::chrono::milliseconds(5000);
  if (now - last_print_ < interval) return;
  last_print_ = now;
  print(bytes_done, false);
}

void DownloadProgress::finish(int64_t bytes_done) {
  if (enabled_) print(bytes_done, true);
}

void DownloadProgress::print(int64_t bytes_done, bool final) {
  const double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
  const double rate = seconds > 0 ? double(bytes_done - start_bytes_) / seconds : 0;
  std::string line = name_ + " " + human_bytes(double(bytes_done));
  if (total_ > 0) {
    char pct[16];
    std::snprintf(pct, sizeof pct, " %3.0f%%", 100.0 * double(bytes_done) / double(total_));
    line += " / " + human_bytes(double(total_)) + pct;
  }
  line += ", " + human_bytes(rate) + "/s";
  if (final) line += ", done in " + human_duration(seconds);
  else if (total_ > 0 && rate > 0) line += ", ETA " + human_duration(double(total_ - bytes_done) / rate);
  if (terminal_) std::fprintf(stderr, "\r%-79s%s", line.c_str(), final ? "\n" : "");
  else std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
}

}  // namespace ft::hub
