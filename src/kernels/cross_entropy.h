// Per-token cross-entropy from fp32 logits. Dimensions: N rows (B*T), V vocabulary.
// losses[n] = logsumexp(logits[n,:]) − logits[n, labels[n]]; a label of kIgnoreIndex (−100, as in
// PyTorch) gives loss 0 and is not counted. lse[N] (nullable) keeps logsumexp for the backward.
// Labels must be in [0, V) or kIgnoreIndex: callers validate user data before calling.
#pragma once
#include <cstdint>

namespace ft {

inline constexpr int kIgnoreIndex = -100;

// Returns the number of counted (non-ignored) rows.
int64_t cross_entropy_forward(float* losses, float* lse, const float* logits, const int* labels,
                              int64_t N, int64_t V);

// Backward of scale · Σ losses: dlogits[n,:] = scale·(softmax(logits[n,:]) − onehot(label)),
// zero for ignored rows, from the forward's lse. dlogits may alias logits (the fused LM head
// overwrites its logits chunk in place).
void cross_entropy_backward(float* dlogits, const float* logits, const float* lse,
                            const int* labels, int64_t N, int64_t V, float scale);

}  // namespace ft
