// Rotary position embedding, Hugging Face rotate_half convention, in place on x[N,H,HD]
// (N tokens, H heads, HD head dim). Token n is rotated by angle pos[n] * inv_freq[i] for the pair
// (i, i + HD/2): x1' = x1·cos − x2·sin, x2' = x2·cos + x1·sin. Positions come per token so packed
// documents and KV-cache offsets work. inv_freq has HD/2 entries (ModelConfig::rope_inv_freq()).
#pragma once
#include <cstdint>

namespace ft {

void rope_forward(float* x, const int* pos, const float* inv_freq, int64_t N, int64_t H, int64_t HD);

// Backward, in place on the gradient dx[N,H,HD]: the inverse rotation (angle −pos·inv_freq).
void rope_backward(float* dx, const int* pos, const float* inv_freq, int64_t N, int64_t H, int64_t HD);

}  // namespace ft
