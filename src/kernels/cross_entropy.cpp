#include "kernels/cross_entropy.h"

#include "kernels/vector_exp.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ft {

int64_t cross_entropy_forward(float* losses, float* lse, const float* logits, const int* labels,
                              int64_t N, int64_t V) {
  int64_t counted = 0;
#pragma omp parallel for reduction(+ : counted) if (N * V > (1 << 16))
  for (int64_t n = 0; n < N; ++n) {
    const float* row = logits + n * V;
    float mx = -std::numeric_limits<float>::infinity();
    for (int64_t v = 0; v < V; ++v) mx = std::max(mx, row[v]);
    const float row_lse = mx + std::log(sum_exp_affine(row, V, 1.0f, -mx));
    if (lse) lse[n] = row_lse;
    if (labels[n] == kIgnoreIndex) {
      losses[n] = 0.0f;
    } else {
      losses[n] = row_lse - row[labels[n]];
      ++counted;
    }
  }
  return counted;
}

void cross_entropy_backward(float* dlogits, const float* logits, const float* lse,
                            const int* labels, int64_t N, int64_t V, float scale) {
#pragma omp parallel for if (N * V > (1 << 16))
  for (int64_t n = 0; n < N; ++n) {
    const float* row = logits + n * V;
    float* d = dlogits + n * V;
    if (labels[n] == kIgnoreIndex) {
      std::fill(d, d + V, 0.0f);
      continue;
    }
    exp_affine(d, row, V, 1.0f, -lse[n], scale);
    d[labels[n]] -= scale;
  }
}

}  // namespace ft
