// Learning-rate schedules with warmup, as Transformers builds them (get_scheduler): the rate used
// by optimizer step s (0-based: s steps already taken) is base_lr · factor(s), where
//   warmup (s < W):  s / max(1, W)          (so the very first step of a warmup runs at lr 0)
//   linear:          max(0, (S − s) / max(1, S − W))
//   cosine:          max(0, ½·(1 + cos(π · 2·0.5 · (s − W) / max(1, S − W))))
//   constant_with_warmup: 1;  constant: 1 at every step (no warmup, as Transformers)
// with S the total number of optimizer steps. Warmup W = warmup_steps if > 0, else
// ceil(warmup_ratio · S).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace ft {

enum class LrScheduleKind { kLinear, kCosine, kConstant, kConstantWithWarmup };

// Parses --lr_scheduler_type; an unknown name is a usage error listing the valid ones.
LrScheduleKind parse_lr_schedule(std::string_view name);

int64_t warmup_steps_for(int64_t warmup_steps, double warmup_ratio, int64_t total_steps);

class LrSchedule {
 public:
  LrSchedule(LrScheduleKind kind, double base_lr, int64_t warmup_steps, int64_t total_steps);
  double factor(int64_t step) const;
  double lr(int64_t step) const { return base_lr_ * factor(step); }
  int64_t warmup_steps() const { return warmup_; }

 private:
  LrScheduleKind kind_;
  double base_lr_;
  int64_t warmup_, total_;
};

}  // namespace ft
