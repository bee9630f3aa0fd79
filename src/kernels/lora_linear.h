// The low-rank branch of a LoRA Linear, in fp32: y[M,out] += s · (x[M,in]·Aᵀ)·Bᵀ with
// A [r,in], B [out,r] (PEFT layout) and s the LoRA scaling. The forward keeps su = s·x·Aᵀ [M,r]
// for the backward, which ADDS dA, dB and dx (the gradient reaching the shared input) from dy;
// dx may be null when no gradient flows below.
// The backward reads dy once and x once (its products are thin, so memory bounds them): row
// chunks of kLoraChunkRows each sum their share of dA and dB into a partial in the caller's
// scratch of lora_backward_scratch_floats() floats, and the partials are added in chunk order, so
// the gradients depend on M but not on the thread count.
#pragma once
#include <cstdint>

namespace ft {

struct LoraShape {
  int64_t M = 0, in = 0, out = 0, r = 0;
  float scaling = 1.0f;
};

inline constexpr int64_t kLoraChunkRows = 256;

// Scratch for lora_backward on any shape with these M and r whose in and out are at most `widest`.
int64_t lora_backward_scratch_floats(int64_t M, int64_t r, int64_t widest);

void lora_forward(float* y, float* su, const float* x, const float* A, const float* B,
                  const LoraShape& s);

void lora_backward(float* dx, float* dA, float* dB, float* scratch, const float* dy,
                   const float* x, const float* A, const float* B, const float* su,
                   const LoraShape& s);

}  // namespace ft
