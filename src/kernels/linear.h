// The Linear layer over gemm(): y[M,N] (+)= x[M,K]·W[N,K]ᵀ (+ bias[N]) with x and W in the same
// dtype (fp32, or bf16 for the bf16 path: the caller rounds x to bf16 once per shared input) and
// y in fp32. M rows (B*T), K in features, N out features.
#pragma once
#include <cstdint>

#include "kernels/gemm.h"

namespace ft {

inline GemmShape linear_shape(int64_t M, int64_t K, int64_t N, DType dtype, bool bias,
                              bool accumulate = false) {
  return GemmShape{.M = M, .N = N, .K = K, .a = dtype, .b = dtype, .c = DType::F32,
                   .bias = bias, .accumulate = accumulate};
}

inline void linear_forward(float* y, const void* x, const void* w, const float* bias, int64_t M,
                           int64_t K, int64_t N, DType dtype, bool accumulate = false) {
  gemm(linear_shape(M, K, N, dtype, bias != nullptr, accumulate), x, w, bias, y);
}

}  // namespace ft
