#include "kernels/lora_linear.h"

#include "kernels/gemm.h"

namespace ft {
namespace {

// C[m,n] (+)= A·B with fp32 operands; the flags say how A and B are stored.
void gemm_f32(const float* a, const float* b, float* c, int64_t m, int64_t n, int64_t k,
              bool a_transposed, bool b_transposed, bool accumulate) {
  gemm(GemmShape{.M = m, .N = n, .K = k, .a_transposed = a_transposed,
                 .b_transposed = b_transposed, .accumulate = accumulate},
       a, b, nullptr, c);
}

}  // namespace

void lora_forward(float* y, float* su, const float* x, const float* A, const float* B,
                  const LoraShape& s) {
  gemm_f32(x, A, su, s.M, s.r, s.in, false, true, false);
  for (int64_t i = 0; i < s.M * s.r; ++i) su[i] *= s.scaling;
  gemm_f32(su, B, y, s.M, s.out, s.r, false, true, true);
}

void lora_backward(float* dx, float* dA, float* dB, float* scratch, const float* dy,
                   const float* x, const float* A, const float* B, const float* su,
                   const LoraShape& s) {
  // dB += dyᵀ·su; du = s·dy·B; dA += duᵀ·x; dx += du·A.
  gemm_f32(dy, su, dB, s.out, s.r, s.M, true, false, true);
  gemm_f32(dy, B, scratch, s.M, s.r, s.out, false, false, false);
  for (int64_t i = 0; i < s.M * s.r; ++i) scratch[i] *= s.scaling;
  gemm_f32(scratch, x, dA, s.r, s.in, s.M, true, false, true);
  if (dx) gemm_f32(scratch, A, dx, s.M, s.in, s.r, false, false, true);
}

}  // namespace ft
