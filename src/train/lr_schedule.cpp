#include "train/lr_schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/error.h"

namespace ft {

LrScheduleKind parse_lr_schedule(std::string_view name) {
  if (name == "linear") return LrScheduleKind::kLinear;
  if (name == "cosine") return LrScheduleKind::kCosine;
  if (name == "constant") return LrScheduleKind::kConstant;
  if (name == "constant_with_warmup") return LrScheduleKind::kConstantWithWarmup;
  fail_usage("--lr_scheduler_type: unknown schedule '" + std::string(name) +
             "'; valid: linear, cosine, constant, constant_with_warmup");
}

int64_t warmup_steps_for(int64_t warmup_steps, double warmup_ratio, int64_t total_steps) {
  if (warmup_steps < 0) fail_usage("--warmup_steps must be >= 0");
  if (warmup_ratio < 0.0 || warmup_ratio > 1.0) fail_usage("--warmup_ratio must be in [0, 1]");
  if (warmup_steps > 0) return warmup_steps;
  return static_cast<int64_t>(std::ceil(static_cast<double>(total_steps) * warmup_ratio));
}

LrSchedule::LrSchedule(LrScheduleKind kind, double base_lr, int64_t warmup_steps,
                       int64_t total_steps)
    : kind_(kind), base_lr_(base_lr), warmup_(warmup_steps), total_(total_steps) {}

double LrSchedule::factor(int64_t step) const {
  const auto s = static_cast<double>(step);
  if (kind_ == LrScheduleKind::kConstant) return 1.0;
  if (step < warmup_) return s / static_cast<double>(std::max<int64_t>(1, warmup_));
  const auto decay_steps = static_cast<double>(std::max<int64_t>(1, total_ - warmup_));
  switch (kind_) {
    case LrScheduleKind::kLinear:
      return std::max(0.0, static_cast<double>(total_ - step) / decay_steps);
    case LrScheduleKind::kCosine: {
      const double progress = static_cast<double>(step - warmup_) / decay_steps;
      return std::max(0.0, 0.5 * (1.0 + std::cos(std::numbers::pi * 2.0 * 0.5 * progress)));
    }
    case LrScheduleKind::kConstant:
    case LrScheduleKind::kConstantWithWarmup:
      break;
  }
  return 1.0;
}

}  // namespace ft
