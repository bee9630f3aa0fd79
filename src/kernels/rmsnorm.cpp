#include "kernels/rmsnorm.h"

#include <algorithm>
#include <cmath>

namespace ft {

void rmsnorm_forward(float* out, float* rstd, const float* inp, const float* weight, int64_t N,
                     int64_t C, float eps) {
#pragma omp parallel for if (N * C > (1 << 14))
  for (int64_t n = 0; n < N; ++n) {
    const float* x = inp + n * C;
    float sum_sq = 0.0f;
#pragma omp simd reduction(+ : sum_sq)
    for (int64_t c = 0; c < C; ++c) sum_sq += x[c] * x[c];
    const float r = 1.0f / std::sqrt(sum_sq / static_cast<float>(C) + eps);
    float* o = out + n * C;
#pragma omp simd
    for (int64_t c = 0; c < C; ++c) o[c] = weight[c] * (x[c] * r);
    rstd[n] = r;
  }
}

void rmsnorm_backward(float* dinp, float* dweight, const float* dout, const float* inp,
                      const float* weight, const float* rstd, int64_t N, int64_t C) {
#pragma omp parallel for if (N * C > (1 << 14))
  for (int64_t n = 0; n < N; ++n) {
    const float *x = inp + n * C, *dy = dout + n * C;
    const float r = rstd[n];
    float dot = 0.0f;  // Σ dy·w·x
#pragma omp simd reduction(+ : dot)
    for (int64_t c = 0; c < C; ++c) dot += dy[c] * weight[c] * x[c];
    const float k = dot * r * r * r / static_cast<float>(C);
    float* dx = dinp + n * C;
#pragma omp simd
    for (int64_t c = 0; c < C; ++c) dx[c] += r * weight[c] * dy[c] - k * x[c];
  }
  if (!dweight) return;
  // Column sums over rows. Threads own tiles of channels and walk the rows in order, reading each
  // row's tile contiguously: every channel sums its rows in row order whatever the thread count.
  // (A thread per channel, striding C floats per row, ran at ~1 GB/s: 20x the forward's time.)
  constexpr int64_t kTile = 256;
#pragma omp parallel for if (N * C > (1 << 14))
  for (int64_t c0 = 0; c0 < C; c0 += kTile) {
    const int64_t width = std::min(kTile, C - c0);
    float sum[kTile] = {};
    for (int64_t n = 0; n < N; ++n) {
      const float *dy = dout + n * C + c0, *x = inp + n * C + c0;
      const float r = rstd[n];
#pragma omp simd
      for (int64_t j = 0; j < width; ++j) sum[j] += dy[j] * x[j] * r;
    }
    for (int64_t j = 0; j < width; ++j) dweight[c0 + j] += sum[j];
  }
}

}  // namespace ft
