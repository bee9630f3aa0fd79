#include "kernels/rmsnorm.h"

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
  // Column sums over rows: threads own channel ranges, so no reduction races.
#pragma omp parallel for if (N * C > (1 << 14))
  for (int64_t c = 0; c < C; ++c) {
    float sum = 0.0f;
    for (int64_t n = 0; n < N; ++n) sum += dout[n * C + c] * inp[n * C + c] * rstd[n];
    dweight[c] += sum;
  }
}

}  // namespace ft
