#include "kernels/embedding.h"

#include <cstring>

#include "core/half.h"

namespace ft {

void embedding_forward(float* out, const int* ids, const void* wte, DType wte_dtype, int64_t N,
                       int64_t C) {
#pragma omp parallel for if (N * C > (1 << 15))
  for (int64_t n = 0; n < N; ++n) {
    const int64_t row = ids[n];
    if (wte_dtype == DType::BF16) {
      bf16_to_f32(static_cast<const bf16*>(wte) + row * C, out + n * C, static_cast<size_t>(C));
    } else {
      std::memcpy(out + n * C, static_cast<const float*>(wte) + row * C, sizeof(float) * C);
    }
  }
}

void embedding_backward(float* dwte, const float* dout, const int* ids, int64_t N, int64_t C) {
  // Serial over tokens: repeated ids would race, and this runs once per step.
  for (int64_t n = 0; n < N; ++n) {
    float* row = dwte + int64_t{ids[n]} * C;
    const float* d = dout + n * C;
#pragma omp simd
    for (int64_t c = 0; c < C; ++c) row[c] += d[c];
  }
}

}  // namespace ft
