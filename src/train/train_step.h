// One optimizer step, as the Transformers Trainer runs it: each micro-batch's forward/backward
// adds the gradient of (Σ its token losses) / (tokens counted over the whole step), then the
// global norm is clipped, AdamW steps at the schedule's rate, and gradients clear. The trainable
// parameters are one flat fp32 buffer with a gradient twin: LoRA adapters, or for full
// fine-tuning the fp32 weights (fp32 masters of a bf16 model, copied back after each update).
// Labels are Hugging Face labels (the model shifts them: position t predicts labels[t+1]);
// −100 is ignored. With a communicator (data parallelism) the token count is summed over ranks
// before the backward passes and the gradients after them, so every rank applies the same update
// whatever examples it held; a rank may hold no micro-batch in an epoch's last step. The gradient
// all-reduce runs in buckets on a background thread while the last micro-batch's backward pass is
// still computing the earlier layers (see GradientBuckets). A step whose loss or gradient norm is
// not finite (NaN/Inf, the same on every rank) applies no update, so the adapter and the optimizer
// moments stay finite; it still counts as a step.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "dist/async_all_reduce.h"
#include "dist/communicator.h"
#include "model/model.h"
#include "train/adamw.h"
#include "train/gradient_buckets.h"
#include "train/lr_schedule.h"

namespace ft {

struct MicroBatch {
  std::span<const int> ids, labels;          // [B,T] row-major
  std::span<const int> positions, segments;  // [B,T] or empty (packed documents; see Model)
  int64_t B = 0, T = 0;
  int64_t tokens = 0;  // input tokens that are not padding (for throughput)
};

struct StepOptions {
  LrScheduleKind schedule = LrScheduleKind::kLinear;
  double learning_rate = 5e-5;
  int64_t warmup_steps = 0;
  int64_t total_steps = 1;
  double max_grad_norm = 1.0;
  AdamWOptions adamw;
  // [offset, offset + n) ranges of the values exempt from weight decay, sorted and disjoint: full
  // fine-tuning's norm weights and biases, which the Trainer exempts too.
  std::vector<std::pair<int64_t, int64_t>> no_decay = {};
  // Data parallelism: all-reduce buckets of at most this many floats (--ddp_bucket_cap_mb), and
  // where each layer's gradients begin in `grads` (GradientBuckets; empty: all at the end).
  int64_t bucket_floats = int64_t{25} << 18;
  std::vector<int64_t> layer_offsets = {};
};

struct StepRecord {
  double loss = 0;       // mean over the step's counted tokens
  double grad_norm = 0;  // before clipping
  double lr = 0;         // the rate this step used
  int64_t counted = 0;   // target tokens over all ranks
  int64_t tokens = 0;    // input tokens (not padding) over all ranks
  int64_t padded_tokens = 0;  // B·T of every micro-batch over all ranks, padding included
  bool skipped = false;       // the loss or gradient norm was not finite: no update was applied
};

class StepRunner {
 public:
  // `values`/`grads`: what the model's attached adapters or full gradients write into; they and
  // the model must outlive the runner. after_update runs after each AdamW update.
  StepRunner(Model& model, std::span<float> values, std::span<float> grads,
             const StepOptions& options, std::function<void()> after_update = {},
             dist::Communicator* comm = nullptr);
  // `dropout_seed` and `step_index` key the LoRA dropout masks (one key per micro-batch and rank),
  // so a resumed run draws the same masks.
  StepRecord step(std::span<const MicroBatch> micro_batches, uint64_t dropout_seed = 0,
                  uint64_t step_index = 0);
  AdamW& optimizer() { return adamw_; }
  const LrSchedule& schedule() const { return schedule_; }
  // A resumed run that re-derived its total steps (another world size) continues on this schedule.
  void set_schedule(const LrSchedule& schedule) { schedule_ = schedule; }

 private:
  Model& model_;
  dist::Communicator* comm_;
  std::span<float> grads_;
  std::function<void()> after_update_;
  LrSchedule schedule_;
  double max_grad_norm_;
  AdamW adamw_;
  std::vector<int> targets_;
  std::unique_ptr<dist::AsyncAllReduce> reducer_;  // distributed runs only
  std::unique_ptr<GradientBuckets> buckets_;
};

// targets[b*T+t] = labels[b*T+t+1], and −100 at t = T−1.
void shift_labels(std::span<const int> labels, int64_t B, int64_t T, std::vector<int>& targets);

}  // namespace ft
