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

// Backward. dx[M,K] (+)= dy[M,N]·W[N,K]; dw[N,K] += dy[M,N]ᵀ·x[M,K] (full fine-tuning). dy is in
// `dtype` like W and x (the caller rounds it to bf16 for the bf16 path); dx and dw are fp32.
inline GemmShape linear_backward_input_shape(int64_t M, int64_t K, int64_t N, DType dtype,
                                             bool accumulate) {
  return GemmShape{.M = M, .N = K, .K = N, .a = dtype, .b = dtype, .c = DType::F32,
                   .b_transposed = false, .accumulate = accumulate};
}

inline GemmShape linear_backward_weight_shape(int64_t M, int64_t K, int64_t N, DType dtype) {
  return GemmShape{.M = N, .N = K, .K = M, .a = dtype, .b = dtype, .c = DType::F32,
                   .a_transposed = true, .b_transposed = false, .accumulate = true};
}

inline void linear_backward_input(float* dx, const void* dy, const void* w, int64_t M, int64_t K,
                                  int64_t N, DType dtype, bool accumulate) {
  gemm(linear_backward_input_shape(M, K, N, dtype, accumulate), dy, w, nullptr, dx);
}

inline void linear_backward_weight(float* dw, const void* dy, const void* x, int64_t M, int64_t K,
                                   int64_t N, DType dtype) {
  gemm(linear_backward_weight_shape(M, K, N, dtype), dy, x, nullptr, dw);
}

}  // namespace ft
