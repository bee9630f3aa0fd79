// SwiGLU activation of the Llama MLP: out = silu(gate) * up over n elements, silu(g) = g·σ(g).
#pragma once
#include <cstdint>

namespace ft {

void swiglu_forward(float* out, const float* gate, const float* up, int64_t n);

// Backward: dgate = dout·up·σ(g)·(1 + g·(1−σ(g))), dup = dout·silu(g); both written. dgate may
// be dout (each element is read before it is overwritten); dup may not.
void swiglu_backward(float* dgate, float* dup, const float* dout, const float* gate,
                     const float* up, int64_t n);

}  // namespace ft
