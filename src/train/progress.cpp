#include "train/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace ft {

std::string format_duration(double seconds) {
  if (!(seconds >= 0) || !std::isfinite(seconds)) return "?";
  const auto s = static_cast<int64_t>(seconds + 0.5);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                  static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  else
    std::snprintf(buf, sizeof buf, "%lld:%02lld", static_cast<long long>(s / 60), static_cast<long long>(s % 60));
  return buf;
}

Progress::Progress(int64_t total_steps, int64_t first_step, bool enabled, std::FILE* out,
                   double plain_interval_seconds)
    : total_(total_steps),
      first_(first_step),
      done_(first_step),
      enabled_(enabled),
      tty_(enabled && ::isatty(::fileno(out)) != 0),
      out_(out),
      plain_interval_(plain_interval_seconds),
      start_(std::chrono::steady_clock::now()) {}

double Progress::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

double Progress::eta_seconds() const {
  const int64_t run = done_ - first_;
  if (run <= 0) return -1;
  return elapsed_seconds() / double(run) * double(std::max<int64_t>(0, total_ - done_));
}

double Progress::tokens_per_second() const {
  const double t = elapsed_seconds();
  return t > 0 ? double(tokens_) / t : 0.0;
}

std::string Progress::describe() const {
  const double t = elapsed_seconds();
  const int64_t run = done_ - first_;
  const double pct = total_ > 0 ? 100.0 * double(done_) / double(total_) : 100.0;
  char buf[256];
  std::snprintf(buf, sizeof buf, "%lld/%lld steps (%.0f%%) | elapsed %s | ETA %s | %.2f it/s | %.0f tokens/s",
                static_cast<long long>(done_), static_cast<long long>(total_), pct,
                format_duration(t).c_str(), format_duration(eta_seconds()).c_str(),
                t > 0 ? double(run) / t : 0.0, tokens_per_second());
  return buf;
}

void Progress::clear_bar() {
  if (!bar_drawn_) return;
  std::fprintf(out_, "\r\033[2K");
  bar_drawn_ = false;
}

void Progress::update(int64_t steps_done, int64_t tokens) {
  done_ = steps_done;
  tokens_ += tokens;
  if (!enabled_) return;
  if (tty_) {
    constexpr int kWidth = 24;
    const int filled = total_ > 0 ? int(kWidth * std::min<int64_t>(done_, total_) / total_) : kWidth;
    std::fprintf(out_, "\r\033[2K[%s%s] %s", std::string(size_t(filled), '#').c_str(),
                 std::string(size_t(kWidth - filled), '.').c_str(), describe().c_str());
    std::fflush(out_);
    bar_drawn_ = true;
    return;
  }
  const double t = elapsed_seconds();
  if (t - last_plain_ >= plain_interval_ || done_ >= total_) {
    std::fprintf(out_, "progress: %s\n", describe().c_str());
    std::fflush(out_);
    last_plain_ = t;
  }
}

void Progress::print_line(const std::string& line, std::FILE* to) {
  if (!enabled_) return;
  clear_bar();
  std::fflush(out_);
  std::fprintf(to, "%s\n", line.c_str());
  std::fflush(to);
}

void Progress::finish() {
  if (enabled_ && tty_ && bar_drawn_) {
    std::fprintf(out_, "\n");
    std::fflush(out_);
    bar_drawn_ = false;
  }
}

}  // namespace ft
