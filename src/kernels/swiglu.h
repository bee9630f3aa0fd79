// SwiGLU activation of the Llama MLP: out = silu(gate) * up over n elements, silu(g) = g·σ(g).
#pragma once
#include <cstdint>

namespace ft {

void swiglu_forward(float* out, const float* gate, const float* up, int64_t n);

}  // namespace ft
