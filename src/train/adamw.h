// AdamW exactly as torch.optim.AdamW (the Transformers Trainer default): decoupled weight decay
// p *= 1 − lr·wd, then m = β1·m + (1−β1)·g, v = β2·v + (1−β2)·g², and
// p −= lr/(1−β1^t) · m / (sqrt(v)/sqrt(1−β2^t) + eps), t counting steps from 1.
// Parameters and state are fp32; each registered parameter may opt out of weight decay (the
// Trainer exempts biases and norm weights).
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "core/buffer.h"

namespace ft {

struct AdamWOptions {
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.0;
};

// One update of n elements at step t (>= 1) with learning rate lr.
void adamw_update(float* param, const float* grad, float* m, float* v, int64_t n, int64_t t,
                  double lr, const AdamWOptions& options);

class AdamW {
 public:
  struct Param {
    float* value;
    const float* grad;
    int64_t n;
    bool decay = true;
  };
  AdamW(std::vector<Param> params, AdamWOptions options);

  void step(double lr);  // updates every parameter and advances the step count
  int64_t steps() const { return steps_; }
  // The moment buffers over all parameters in registration order (for checkpoints); restoring
  // them with set_steps() resumes the exact trajectory.
  std::span<float> first_moment() { return {m_.data(), m_.size()}; }
  std::span<float> second_moment() { return {v_.data(), v_.size()}; }
  void set_steps(int64_t steps) { steps_ = steps; }

 private:
  std::vector<Param> params_;
  AdamWOptions options_;
  Buffer<float> m_, v_;
  int64_t steps_ = 0;
};

}  // namespace ft
