// What `finetune train` runs, beyond the data pipeline and the model: the Transformers
// TrainingArguments that shape the loop (batching, schedule, optimizer, logging, evaluation,
// checkpoints), with the Transformers defaults. Filled by src/cli/train_flags.cpp.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "train/adamw.h"
#include "train/lr_schedule.h"

namespace ft {

// --eval_strategy / --save_strategy: never, every N optimizer steps, or at the end of each epoch.
enum class IntervalStrategy { kNo, kSteps, kEpoch };
IntervalStrategy parse_interval_strategy(std::string_view flag, std::string_view value);
const char* interval_strategy_name(IntervalStrategy s);

struct TrainOptions {
  bool do_train = false, do_eval = false;
  int64_t per_device_train_batch_size = 8, per_device_eval_batch_size = 8;
  int64_t gradient_accumulation_steps = 1;
  double num_train_epochs = 3.0;
  int64_t max_steps = -1;  // > 0 overrides num_train_epochs
  double learning_rate = 5e-5;
  LrScheduleKind lr_scheduler = LrScheduleKind::kLinear;
  int64_t warmup_steps = 0;
  double warmup_ratio = 0.0;
  AdamWOptions adamw;
  double max_grad_norm = 1.0;
  uint64_t seed = 42;
  bool gradient_checkpointing = false;
  bool group_by_length = false;  // the sampler's length-grouped batches (from the data flags)
  int64_t ddp_bucket_cap_mb = 25;  // data parallelism: gradient all-reduce bucket size (MiB)

  // Logging: a Trainer-style line and a metrics record every logging_steps optimizer steps
  // (a value below 1 is a fraction of the total, as in Transformers).
  double logging_steps = 500;
  bool logging_first_step = false;
  std::string logging_dir;  // TensorBoard events; "" = output_dir/runs/<date>
  bool report_tensorboard = true;

  IntervalStrategy eval_strategy = IntervalStrategy::kNo;
  double eval_steps = 0;  // 0 = logging_steps
  IntervalStrategy save_strategy = IntervalStrategy::kSteps;
  double save_steps = 500;
  int64_t save_total_limit = 0;  // 0 = keep every checkpoint

  std::string output_dir;
  std::string resume_from_checkpoint;  // "" = start fresh, "auto" = newest complete, else a path
  bool overwrite_output_dir = false;

  // Usage errors naming the flag for values no run can use.
  void validate() const;
};

// The optimizer-step arithmetic of one run: micro-batches per epoch come from the sampler; an
// epoch ends with one (possibly shorter) accumulation, as in the Transformers Trainer.
struct StepPlan {
  int64_t micro_batches_per_epoch = 0;
  int64_t steps_per_epoch = 0;
  int64_t total_steps = 0;
  int64_t warmup_steps = 0;
  int64_t logging_interval = 0, eval_interval = 0, save_interval = 0;  // in optimizer steps

};

StepPlan plan_steps(const TrainOptions& options, int64_t micro_batches_per_epoch);

}  // namespace ft
