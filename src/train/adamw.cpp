#include "train/adamw.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace ft {

void adamw_update(float* param, const float* grad, float* m, float* v, int64_t n, int64_t t,
                  double lr, const AdamWOptions& o) {
  if (t < 1) throw std::invalid_argument("adamw_update: steps count from 1");
  // Scalars as torch computes them (Python doubles), applied to fp32 tensors.
  const auto decay = static_cast<float>(1.0 - lr * o.weight_decay);
  const auto b1 = static_cast<float>(o.beta1), b2 = static_cast<float>(o.beta2);
  const auto one_minus_b1 = static_cast<float>(1.0 - o.beta1);
  const auto one_minus_b2 = static_cast<float>(1.0 - o.beta2);
  const double bias1 = 1.0 - std::pow(o.beta1, static_cast<double>(t));
  const double bias2 = 1.0 - std::pow(o.beta2, static_cast<double>(t));
  const auto step_size = static_cast<float>(lr / bias1);
  const auto bias2_sqrt = static_cast<float>(std::sqrt(bias2));
  const auto eps = static_cast<float>(o.eps);
#pragma omp parallel for simd if (n > 65536)
  for (int64_t i = 0; i < n; ++i) {
    const float g = grad[i];
    const float p = o.weight_decay != 0.0 ? param[i] * decay : param[i];
    const float mi = b1 * m[i] + one_minus_b1 * g;
    const float vi = b2 * v[i] + one_minus_b2 * g * g;
    m[i] = mi;
    v[i] = vi;
    param[i] = p - step_size * (mi / (std::sqrt(vi) / bias2_sqrt + eps));
  }
}

namespace {

size_t total_elements(const std::vector<AdamW::Param>& params) {
  int64_t n = 0;
  for (const auto& p : params) n += p.n;
  return static_cast<size_t>(n);
}

}  // namespace

AdamW::AdamW(std::vector<Param> params, AdamWOptions options)
    : params_(std::move(params)),
      options_(options),
      m_(total_elements(params_)),
      v_(total_elements(params_)) {
  std::fill(m_.begin(), m_.end(), 0.0f);
  std::fill(v_.begin(), v_.end(), 0.0f);
}

void AdamW::step(double lr) {
  ++steps_;
  AdamWOptions no_decay = options_;
  no_decay.weight_decay = 0.0;
  int64_t offset = 0;
  for (const Param& p : params_) {
    adamw_update(p.value, p.grad, m_.data() + offset, v_.data() + offset, p.n, steps_, lr,
                 p.decay ? options_ : no_decay);
    offset += p.n;
  }
}

}  // namespace ft
