// RMSNorm as Hugging Face Llama computes it, in fp32: out = x * rsqrt(mean(x²) + eps) * weight.
// Dimensions: N rows (B*T), C channels. rstd[N] keeps 1/rms per row for the backward pass.
#pragma once
#include <cstdint>

namespace ft {

void rmsnorm_forward(float* out, float* rstd, const float* inp, const float* weight, int64_t N,
                     int64_t C, float eps);

// Backward: dinp += ∂L/∂inp and, when dweight is non-null, dweight += ∂L/∂weight, from dout and
// the forward's inp and rstd.
void rmsnorm_backward(float* dinp, float* dweight, const float* dout, const float* inp,
                      const float* weight, const float* rstd, int64_t N, int64_t C);

}  // namespace ft
