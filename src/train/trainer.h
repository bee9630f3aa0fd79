// The training loop of `finetune train`, as the Transformers Trainer runs it: optimizer steps over
// epochs of the sampler's batches (gradient accumulation, an epoch ending in a possibly shorter
// accumulation), logging every --logging_steps, evaluation and checkpoints by strategy, exact resume
// from a checkpoint (also at another world size or batch: the data continue at the saved sequence,
// see data_position.h), and a clean stop on request (SIGTERM: checkpoint, then return interrupted).
// Every rank runs it; only rank 0 logs and writes.
#pragma once
#include <atomic>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "data/collate.h"
#include "data/dataset.h"
#include "data/sampler.h"
#include "dist/communicator.h"
#include "model/model.h"
#include "train/data_position.h"
#include "train/run_log.h"
#include "train/train_options.h"
#include "train/train_step.h"

namespace ft {

class Progress;

// What the optimizer trains: the attached LoRA adapters' or the full model's flat buffers.
struct Trainable {
  std::span<float> values, grads;
  std::function<void()> after_update;  // full fine-tuning: fp32 masters → the model's weights
  std::function<void(const std::string& dir)> save_model;  // model files (the adapter) into dir
  bool save_model_in_checkpoints = true;
  std::vector<std::pair<int64_t, int64_t>> no_decay = {};  // ranges of values exempt from weight decay
  std::vector<int64_t> layer_offsets = {};  // where each layer's gradients begin (GradientBuckets)
  // The parameters the Transformers Trainer counts in total_flos (6 · input tokens · these):
  // every one but the embedding's (num_parameters(exclude_embeddings=True)), adapters included.
  int64_t flop_parameters = 0;
};

struct TrainContext {
  dist::Communicator& comm;
  RunLog& log;
  const std::atomic<bool>* stop_requested = nullptr;  // checked after every optimizer step
  int32_t pad_id = 0;
  uint64_t data_fingerprint = 0;  // identifies the prepared data; a resume warns when it differs
  std::function<void(const std::string&)> note;  // one-line notes for the log (rank 0 prints)
};

struct TrainResult {
  int64_t global_step = 0, total_steps = 0;
  double epoch = 0, train_loss = 0, runtime = 0, total_flos = 0;
  int64_t train_samples = 0;
  bool interrupted = false;
  std::string last_checkpoint;
  std::string resumed_from;
};

class Trainer {
 public:
  Trainer(Model& model, Trainable trainable, const data::PreparedDataset& data,
          const TrainOptions& options, TrainContext context);
  ~Trainer();

  const StepPlan& plan() const { return plan_; }
  // Resumes from options.resume_from_checkpoint ("auto": the newest complete one, if any).
  TrainResult train();
  // Loss over every counted token of the validation split (each rank takes every world-th
  // sequence; the sums are reduced), so it does not depend on batch size or packing.
  EvalResult evaluate();
  // trainer_state.json as Transformers writes it (log_history, global_step, ...) plus the
  // "finetune_cpp" section a resume reads.
  nlohmann::json trainer_state(int64_t step) const;
  // status.json (rank 0): phase at `step`, with ETA and last loss while training.
  void report_status(const char* phase, int64_t step, const std::string& message = "");
  // status.json's last word ("failed" at the last step reached, "stopped"), as far as it can be
  // written: the error or stop that ended the run is the one to show, with its exit code.
  void report_failure(const std::string& message) noexcept;
  void report_end(const char* phase, int64_t step, const std::string& message) noexcept;

 private:
  std::vector<MicroBatch> micro_batches(int64_t step);
  std::string resume(const std::string& from);
  // Continues the data where the checkpoint (`saved`: its "finetune_cpp" state) stopped, whatever
  // its batching; an epoch-bounded run re-derives its total steps and schedule from there.
  void reanchor(int64_t step, const nlohmann::json& saved, const std::string& state_file);
  int64_t global_micro_batch() const;  // sequences per micro-batch over all ranks
  std::string save(int64_t step, const std::string& reason);
  double epoch_at(int64_t steps_done) const;
  void note(const std::string& line);
  // Warns of a step whose update was skipped (non-finite loss or gradients); stops the run when
  // kMaxNonFiniteSteps come in a row.
  void check_finite_step(const StepRecord& rec, int64_t step);
  static constexpr int kMaxNonFiniteSteps = 3;
  int non_finite_steps_ = 0;
  int64_t steps_done_ = 0;  // the last step completed (or resumed from)
  int64_t loss_steps_ = 0;  // steps whose loss total_loss_ sums (skipped steps are not among them)

  Model& model_;
  Trainable trainable_;
  const data::PreparedDataset& data_;
  TrainOptions options_;
  TrainContext ctx_;
  std::unique_ptr<data::BatchSampler> sampler_;
  StepPlan plan_;
  StepPositions positions_{0, 1, 1};  // which sequences each step takes (re-anchored by a resume)
  std::unique_ptr<StepRunner> runner_;
  std::vector<data::Batch> batches_;  // the current step's collated micro-batches

  // Running totals, checkpointed so a resumed run logs what the uninterrupted one would.
  double window_loss_ = 0;
  int64_t window_steps_ = 0;
  double total_loss_ = 0;
  double train_seconds_ = 0;  // training time of earlier processes of this run
  int64_t tokens_seen_ = 0;
  double total_flos_ = 0;
  std::string last_checkpoint_;
  double last_loss_ = std::nan("");
  Progress* progress_ = nullptr;  // the bar while train() runs (rank 0)
};

}  // namespace ft
