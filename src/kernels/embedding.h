// Token embedding lookup. Dimensions: N tokens (B*T), C channels, V vocabulary.
// out[N,C] (fp32) = wte[ids[n], :] with wte [V,C] in fp32 or bf16. Ids must be in [0, V):
// callers validate user input before calling.
#pragma once
#include <cstdint>

#include "core/dtype.h"

namespace ft {

void embedding_forward(float* out, const int* ids, const void* wte, DType wte_dtype, int64_t N,
                       int64_t C);

// Backward for full fine-tuning: dwte[ids[n], :] += dout[n, :] (fp32 dwte [V,C]).
void embedding_backward(float* dwte, const float* dout, const int* ids, int64_t N, int64_t C);

}  // namespace ft
