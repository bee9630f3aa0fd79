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

}  // namespace ft
