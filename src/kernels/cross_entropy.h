// Per-token cross-entropy from fp32 logits. Dimensions: N rows (B*T), V vocabulary.
// losses[n] = logsumexp(logits[n,:]) − logits[n, labels[n]]; a label of kIgnoreIndex (−100, as in
// PyTorch) gives loss 0 and is not counted. lse[N] (nullable) receives logsumexp per row.
// Labels must be in [0, V) or kIgnoreIndex: callers validate user data before calling.
#pragma once
#include <cstdint>

namespace ft {

inline constexpr int kIgnoreIndex = -100;

// Returns the number of counted (non-ignored) rows.
int64_t cross_entropy_forward(float* losses, float* lse, const float* logits, const int* labels,
                              int64_t N, int64_t V);

// Forward and backward of scale · Σ losses together, row by row over the logits in place (the
// fused LM head's chunk): losses[n] as cross_entropy_forward, and logits[n,:] becomes
// dlogits[n,:] = scale·(softmax(logits[n,:]) − onehot(label)), zero for ignored rows. The losses
// are cross_entropy_forward's to the bit. A row is read from memory once (its later passes find it
// in cache) and takes one exp per element. Returns the number of counted rows.
int64_t cross_entropy_forward_backward(float* losses, float* logits, const int* labels, int64_t N,
                                       int64_t V, float scale);

}  // namespace ft
