#include "train/train_options.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace ft {

IntervalStrategy parse_interval_strategy(std::string_view flag, std::string_view value) {
  if (value == "no") return IntervalStrategy::kNo;
  if (value == "steps") return IntervalStrategy::kSteps;
  if (value == "epoch") return IntervalStrategy::kEpoch;
  fail_usage(std::string(flag) + " \"" + std::string(value) + "\" is not a strategy; use no, steps or epoch");
}

const char* interval_strategy_name(IntervalStrategy s) {
  switch (s) {
    case IntervalStrategy::kNo: return "no";
    case IntervalStrategy::kSteps: return "steps";
    case IntervalStrategy::kEpoch: return "epoch";
  }
  return "?";
}

void TrainOptions::validate() const {
  if (!do_train && !do_eval) fail_usage("nothing to do: pass --do_train and/or --do_eval");
  // The upper bounds are far past any run; they keep sizes and step counts, which are multiplied
  // in 64-bit integers, from wrapping around.
  constexpr int64_t kMaxBatch = 65536, kMaxAccumulation = int64_t{1} << 20;
  if (per_device_train_batch_size < 1 || per_device_train_batch_size > kMaxBatch)
    fail_usage("--per_device_train_batch_size must be between 1 and 65536");
  if (per_device_eval_batch_size < 1 || per_device_eval_batch_size > kMaxBatch)
    fail_usage("--per_device_eval_batch_size must be between 1 and 65536");
  if (gradient_accumulation_steps < 1 || gradient_accumulation_steps > kMaxAccumulation)
    fail_usage("--gradient_accumulation_steps must be between 1 and 1048576");
  if (max_steps <= 0 && !(num_train_epochs > 0))
    fail_usage("--num_train_epochs must be positive (or give --max_steps)");
  if (!(num_train_epochs <= 1e6)) fail_usage("--num_train_epochs must be at most 1000000");
  if (!(learning_rate >= 0) || !std::isfinite(learning_rate))
    fail_usage("--learning_rate must be a non-negative number");
  if (warmup_steps < 0) fail_usage("--warmup_steps must not be negative");
  if (!(warmup_ratio >= 0 && warmup_ratio <= 1)) fail_usage("--warmup_ratio must be in [0, 1]");
  if (!(adamw.beta1 >= 0 && adamw.beta1 < 1)) fail_usage("--adam_beta1 must be in [0, 1)");
  if (!(adamw.beta2 >= 0 && adamw.beta2 < 1)) fail_usage("--adam_beta2 must be in [0, 1)");
  if (!(adamw.eps > 0)) fail_usage("--adam_epsilon must be positive");
  if (!(adamw.weight_decay >= 0)) fail_usage("--weight_decay must not be negative");
  if (!(max_grad_norm >= 0)) fail_usage("--max_grad_norm must not be negative (0 = no clipping)");
  if (!(logging_steps > 0)) fail_usage("--logging_steps must be positive");
  if (!(eval_steps >= 0)) fail_usage("--eval_steps must not be negative (0 = every --logging_steps)");
  if (save_strategy == IntervalStrategy::kSteps && !(save_steps > 0))
    fail_usage("--save_steps must be positive");
  if (save_total_limit < 0) fail_usage("--save_total_limit must not be negative");
  if (ddp_bucket_cap_mb < 1 || ddp_bucket_cap_mb > 32768)
    fail_usage("--ddp_bucket_cap_mb must be between 1 and 32768 (MiB of gradients per all-reduce)");
  if (output_dir.empty()) fail_usage("--output_dir is required (results, checkpoints and logs go there)");
}

namespace {
// Transformers reads a value below 1 as a fraction of the total steps (rounded up).
int64_t interval(double value, int64_t total) {
  if (value <= 0) return 0;
  if (value < 1) return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(value * double(total))));
  return static_cast<int64_t>(value);
}
}  // namespace

StepPlan plan_steps(const TrainOptions& o, int64_t micro_batches_per_epoch) {
  StepPlan p;
  p.micro_batches_per_epoch = micro_batches_per_epoch;
  p.steps_per_epoch = std::max<int64_t>(
      1, (micro_batches_per_epoch + o.gradient_accumulation_steps - 1) / o.gradient_accumulation_steps);
  p.total_steps = o.max_steps > 0
                      ? o.max_steps
                      : std::max<int64_t>(1, static_cast<int64_t>(std::ceil(
                                                 o.num_train_epochs * double(p.steps_per_epoch) - 1e-9)));
  p.warmup_steps = warmup_steps_for(o.warmup_steps, o.warmup_ratio, p.total_steps);
  p.logging_interval = interval(o.logging_steps, p.total_steps);
  p.eval_interval = o.eval_strategy == IntervalStrategy::kSteps
                        ? interval(o.eval_steps > 0 ? o.eval_steps : o.logging_steps, p.total_steps)
                        : 0;
  p.save_interval = o.save_strategy == IntervalStrategy::kSteps ? interval(o.save_steps, p.total_steps) : 0;
  return p;
}

}  // namespace ft
