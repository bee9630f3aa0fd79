// Where a run's measurements go, on rank 0: a Trainer-style line on stdout ({'loss': ...}), the
// log_history of trainer_state.json, metrics.jsonl in the output directory (one JSON object per
// line: type train | eval | summary), TensorBoard scalars (train/loss, eval/perplexity, ...) and
// status.json. Other ranks construct it disabled: every call is then a no-op.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "formats/tfevents.h"
#include "train/run_status.h"

namespace ft {

struct TrainLogEntry {
  int64_t step = 0;
  double epoch = 0, loss = 0, learning_rate = 0, grad_norm = 0;
  double tokens_per_second = 0, elapsed_seconds = 0;
};

struct EvalResult {
  double loss = 0, perplexity = 0;
  int64_t tokens = 0, samples = 0;
  double runtime = 0;
};

class RunLog {
 public:
  // tensorboard_dir "" = no TensorBoard; print receives each stdout line.
  RunLog(bool enabled, std::string output_dir, const std::string& tensorboard_dir,
         std::function<void(const std::string&)> print);

  void train(const TrainLogEntry& e);
  void eval(int64_t step, double epoch, const EvalResult& r);
  // The end-of-training record: Trainer's train_runtime, train_loss, ... (values in `fields`).
  void summary(int64_t step, double epoch, const nlohmann::ordered_json& fields);
  void status(const RunStatus& s);

  // Redirects stdout lines (the trainer routes them around its progress bar); nullptr restores.
  void set_print(std::function<void(const std::string&)> print);
  const nlohmann::json& history() const { return history_; }
  void restore_history(nlohmann::json history) { history_ = std::move(history); }

 private:
  void append(nlohmann::json record);
  void print_dict(const nlohmann::ordered_json& fields);

  bool enabled_;
  std::string output_dir_;
  std::unique_ptr<TfEventsWriter> tensorboard_;
  std::function<void(const std::string&)> print_, default_print_;
  nlohmann::json history_ = nlohmann::json::array();
};

// A float as Python's repr prints it (shortest round trip: 2e-05, 0.1, 1.0), for Trainer-style lines.
std::string python_float(double v);
double peak_rss_bytes();

}  // namespace ft
