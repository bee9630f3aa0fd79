// One optimizer step, as the Transformers Trainer runs it: each micro-batch's forward/backward
// adds the gradient of (Σ its token losses) / (tokens counted over the whole step), then the
// global norm is clipped, AdamW steps at the schedule's rate, and gradients clear. The trainable
// parameters are one flat fp32 buffer with a gradient twin: LoRA adapters, or for full
// fine-tuning the fp32 weights (fp32 masters of a bf16 model, copied back after each update).
// Labels are Hugging Face labels (the model shifts them: position t predicts labels[t+1]);
// −100 is ignored.
#pragma once
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "model/model.h"
#include "train/adamw.h"
#include "train/lr_schedule.h"

namespace ft {

struct MicroBatch {
  std::span<const int> ids, labels;  // [B,T] row-major
  int64_t B = 0, T = 0;
};

struct StepOptions {
  LrScheduleKind schedule = LrScheduleKind::kLinear;
  double learning_rate = 5e-5;
  int64_t warmup_steps = 0;
  int64_t total_steps = 1;
  double max_grad_norm = 1.0;
  AdamWOptions adamw;
};

struct StepRecord {
  double loss = 0;       // mean over the step's counted tokens
  double grad_norm = 0;  // before clipping
  double lr = 0;         // the rate this step used
  int64_t counted = 0;
};

class StepRunner {
 public:
  // `values`/`grads`: what the model's attached adapters or full gradients write into; they and
  // the model must outlive the runner. after_update runs after each AdamW update.
  StepRunner(Model& model, std::span<float> values, std::span<float> grads,
             const StepOptions& options, std::function<void()> after_update = {});
  StepRecord step(std::span<const MicroBatch> micro_batches);
  AdamW& optimizer() { return adamw_; }

 private:
  Model& model_;
  std::span<float> grads_;
  std::function<void()> after_update_;
  LrSchedule schedule_;
  double max_grad_norm_;
  AdamW adamw_;
  std::vector<int> targets_;
};

// targets[b*T+t] = labels[b*T+t+1], and −100 at t = T−1.
void shift_labels(std::span<const int> labels, int64_t B, int64_t T, std::vector<int>& targets);

}  // namespace ft
