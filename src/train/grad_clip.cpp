#include "train/grad_clip.h"

#include <cmath>
#include <cstdint>

namespace ft {

double clip_grad_norm(std::span<const std::span<float>> grads, double max_norm) {
  double sum_sq = 0.0;
  for (const std::span<float> g : grads) {
    const float* data = g.data();
    const auto n = static_cast<int64_t>(g.size());
#pragma omp parallel for reduction(+ : sum_sq) if (n > 65536)
    for (int64_t i = 0; i < n; ++i) sum_sq += static_cast<double>(data[i]) * data[i];
  }
  const double norm = std::sqrt(sum_sq);
  if (max_norm <= 0.0 || !std::isfinite(norm)) return norm;
  const double coef = max_norm / (norm + 1e-6);
  if (coef >= 1.0) return norm;
  const auto scale = static_cast<float>(coef);
  for (const std::span<float> g : grads)
    for (float& x : g) x *= scale;
  return norm;
}

}  // namespace ft
