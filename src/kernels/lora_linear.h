// The low-rank branch of a LoRA Linear, in fp32: y[M,out] += s · (x[M,in]·Aᵀ)·Bᵀ with
// A [r,in], B [out,r] (PEFT layout) and s the LoRA scaling. The forward keeps su = s·x·Aᵀ [M,r]
// for the backward, which ADDS dA, dB and dx (the gradient reaching the shared input) from dy,
// using a caller-provided scratch of M·r floats; dx may be null when no gradient flows below.
#pragma once
#include <cstdint>

namespace ft {

struct LoraShape {
  int64_t M = 0, in = 0, out = 0, r = 0;
  float scaling = 1.0f;
};

void lora_forward(float* y, float* su, const float* x, const float* A, const float* B,
                  const LoraShape& s);

void lora_backward(float* dx, float* dA, float* dB, float* scratch, const float* dy,
                   const float* x, const float* A, const float* B, const float* su,
                   const LoraShape& s);

}  // namespace ft
