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

}  // namespace ft
