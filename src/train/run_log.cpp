#include "train/run_log.h"

#include <sys/resource.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <filesystem>

#include "formats/atomic_file.h"

namespace ft {

namespace {
double unix_time() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}
// Transformers rounds the logged loss to 4 decimals.
double round4(double v) { return std::round(v * 1e4) / 1e4; }
}  // namespace

std::string python_float(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  // Shortest round-trip digits, laid out as Python's repr: positional when -4 <= exponent < 16.
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  const std::string sci(buf, end);
  const size_t e = sci.find('e');
  const int exponent = std::stoi(sci.substr(e + 1));
  const bool negative = sci[0] == '-';
  std::string digits;
  for (char c : sci.substr(negative ? 1 : 0, e - (negative ? 1 : 0)))
    if (c != '.') digits += c;
  std::string out = negative ? "-" : "";
  if (exponent < -4 || exponent >= 16) {
    out += digits.substr(0, 1) + (digits.size() > 1 ? "." + digits.substr(1) : "");
    char exp_text[16];
    std::snprintf(exp_text, sizeof exp_text, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
    return out + exp_text;
  }
  if (exponent < 0) return out + "0." + std::string(size_t(-exponent - 1), '0') + digits;
  if (digits.size() <= size_t(exponent) + 1) digits.append(size_t(exponent) + 1 - digits.size(), '0');
  const std::string frac = digits.substr(size_t(exponent) + 1);
  return out + digits.substr(0, size_t(exponent) + 1) + "." + (frac.empty() ? "0" : frac);
}

double peak_rss_bytes() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return double(usage.ru_maxrss) * 1024.0;
}

RunLog::RunLog(bool enabled, std::string output_dir, const std::string& tensorboard_dir,
               std::function<void(const std::string&)> print)
    : enabled_(enabled), output_dir_(std::move(output_dir)), print_(print), default_print_(std::move(print)) {
  if (enabled_ && !tensorboard_dir.empty()) tensorboard_ = std::make_unique<TfEventsWriter>(tensorboard_dir);
}

void RunLog::set_print(std::function<void(const std::string&)> print) {
  print_ = print ? std::move(print) : default_print_;
}

void RunLog::print_dict(const nlohmann::ordered_json& fields) {
  std::string line = "{";
  for (const auto& [key, value] : fields.items()) {
    if (line.size() > 1) line += ", ";
    line += "'" + key + "': ";
    line += value.is_number_float() ? python_float(value.get<double>()) : value.dump();
  }
  print_(line + "}");
}

void RunLog::append(nlohmann::json record) {
  record["time"] = unix_time();
  // Unbuffered: an ofstream failed only in its destructor on a full disk, which dropped the error
  // (the run exited 0 with its last records lost).
  append_line((std::filesystem::path(output_dir_) / "metrics.jsonl").string(), record.dump());
}

void RunLog::train(const TrainLogEntry& e) {
  if (!enabled_) return;
  const nlohmann::ordered_json fields = {{"loss", round4(e.loss)},
                                 {"grad_norm", e.grad_norm},
                                 {"learning_rate", e.learning_rate},
                                 {"epoch", e.epoch}};
  print_dict(fields);
  nlohmann::json entry = nlohmann::json::parse(fields.dump());
  entry["step"] = e.step;
  history_.push_back(entry);
  const double rss = peak_rss_bytes();
  append({{"type", "train"}, {"step", e.step}, {"epoch", e.epoch}, {"loss", e.loss},
          {"learning_rate", e.learning_rate}, {"grad_norm", e.grad_norm},
          {"tokens_per_second", e.tokens_per_second}, {"peak_rss_bytes", rss},
          {"elapsed_seconds", e.elapsed_seconds}});
  if (tensorboard_) {
    const double now = unix_time();
    tensorboard_->add_scalar("train/loss", e.step, e.loss, now);
    tensorboard_->add_scalar("train/learning_rate", e.step, e.learning_rate, now);
    tensorboard_->add_scalar("train/grad_norm", e.step, e.grad_norm, now);
    tensorboard_->add_scalar("train/epoch", e.step, e.epoch, now);
    tensorboard_->add_scalar("train/tokens_per_second", e.step, e.tokens_per_second, now);
    tensorboard_->add_scalar("train/peak_rss_mb", e.step, rss / (1024.0 * 1024.0), now);
    tensorboard_->flush();
  }
}

void RunLog::eval(int64_t step, double epoch, const EvalResult& r) {
  if (!enabled_) return;
  const double per_second = r.runtime > 0 ? double(r.samples) / r.runtime : 0.0;
  const nlohmann::ordered_json fields = {{"eval_loss", r.loss},
                                 {"eval_perplexity", r.perplexity},
                                 {"eval_runtime", r.runtime},
                                 {"eval_samples_per_second", per_second},
                                 {"epoch", epoch}};
  print_dict(fields);
  nlohmann::json entry = nlohmann::json::parse(fields.dump());
  entry["step"] = step;
  history_.push_back(entry);
  append({{"type", "eval"}, {"step", step}, {"epoch", epoch}, {"eval_loss", r.loss},
          {"eval_perplexity", r.perplexity}, {"eval_tokens", r.tokens}});
  if (tensorboard_) {
    const double now = unix_time();
    tensorboard_->add_scalar("eval/loss", step, r.loss, now);
    tensorboard_->add_scalar("eval/perplexity", step, r.perplexity, now);
    tensorboard_->flush();
  }
}

void RunLog::summary(int64_t step, double epoch, const nlohmann::ordered_json& fields) {
  if (!enabled_) return;
  nlohmann::ordered_json shown = fields;
  shown["epoch"] = epoch;
  print_dict(shown);
  nlohmann::json entry = nlohmann::json::parse(shown.dump());
  entry["step"] = step;
  history_.push_back(entry);
  nlohmann::json record = entry;
  record["type"] = "summary";
  append(record);
}

void RunLog::status(const RunStatus& s) {
  if (enabled_) write_run_status(output_dir_, s);
}

}  // namespace ft
