// exp (and the row max) over arrays for the softmax, cross-entropy and SiLU loops, in arithmetic
// that vectorises (one body per ISA, picked at load time): libm's expf is one call per element
// (2.7% of a TinyLlama LoRA step went there). Cephes' range reduction and degree-6 polynomial:
// within 2 ulp of exp for normal results (x ≥ −87.3), subnormal below, 0 from x = −104 down, x
// capped at 88 (exp 1.65e38): enough at both ends for probabilities and sigmoids. The build is ISO
// C++ (no FMA contraction), so every vector width computes the same bits.
#pragma once
#include <cstdint>

namespace ft {

// y[i] = s·exp(a·x[i] + b); y may alias x.
void exp_affine(float* y, const float* x, int64_t n, float a, float b, float s = 1.0f);
// Σ exp(a·x[i] + b), summed in 16 interleaved partial sums combined in a fixed order, so the
// result does not depend on the vector width.
float sum_exp_affine(const float* x, int64_t n, float a, float b);
// y[i] = exp(a·x[i] + b), returning Σ y[i] summed exactly as sum_exp_affine sums (the same bits);
// y may alias x. One exp per element where a softmax needs both the sum and the values.
float exp_affine_sum(float* y, const float* x, int64_t n, float a, float b);
// max(x[0..n)) as a loop of std::max from −∞ would give it (NaNs are passed over), −∞ for n = 0.
// A softmax's other pass over its row: the serial loop is one compare-latency per element.
float max_value(const float* x, int64_t n);

}  // namespace ft
