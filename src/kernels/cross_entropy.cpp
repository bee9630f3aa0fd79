#include "kernels/cross_entropy.h"

#include "kernels/vector_exp.h"

#include <algorithm>
#include <cmath>

namespace ft {
namespace {

float row_logsumexp(const float* row, int64_t V) {
  const float mx = max_value(row, V);
  return mx + std::log(sum_exp_affine(row, V, 1.0f, -mx));
}

}  // namespace

int64_t cross_entropy_forward(float* losses, float* lse, const float* logits, const int* labels,
                              int64_t N, int64_t V) {
  int64_t counted = 0;
#pragma omp parallel for reduction(+ : counted) if (N * V > (1 << 16))
  for (int64_t n = 0; n < N; ++n) {
    const float* row = logits + n * V;
    const float row_lse = row_logsumexp(row, V);
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

int64_t cross_entropy_forward_backward(float* losses, float* logits, const int* labels, int64_t N,
                                       int64_t V, float scale) {
  int64_t counted = 0;
#pragma omp parallel for reduction(+ : counted) if (N * V > (1 << 16))
  for (int64_t n = 0; n < N; ++n) {
    float* row = logits + n * V;
    if (labels[n] == kIgnoreIndex) {
      losses[n] = 0.0f;
      std::fill(row, row + V, 0.0f);
      continue;
    }
    // The forward's lse to its bits (the same maximum and sum), with one exp per element: the row
    // keeps exp(x − max), which the scale by scale/sum turns into scale·softmax.
    const float mx = max_value(row, V);
    const float label_logit = row[labels[n]];
    const float sum = exp_affine_sum(row, row, V, 1.0f, -mx);
    losses[n] = mx + std::log(sum) - label_logit;
    ++counted;
    const float k = scale / sum;
#pragma omp simd
    for (int64_t v = 0; v < V; ++v) row[v] *= k;
    row[labels[n]] -= scale;
  }
  return counted;
}

}  // namespace ft
