// Matrix multiply over oneDNN: C[M,N] (+)= A[M,K] · B[K,N] (+ bias[N]), fp32 accumulation.
// B defaults to the Hugging Face Linear layout W[N,K] (out, in), so y = x·Wᵀ + b.
// Supported dtypes: a,b both F32 (c F32) or both BF16 (c F32 or BF16); bias is fp32.
// Primitives are created once per shape (gemm_prepare at plan time, or lazily) and cached.
// Where the CPU lacks native bf16 (no AVX-512 bf16 / AMX), bf16 runs as exact bf16 products with
// fp32 accumulation through fp32 GEMM on converted panels, so results agree across machines.
#pragma once
#include <cstdint>

#include "core/dtype.h"

namespace ft {

struct GemmShape {
  int64_t M = 0, N = 0, K = 0;
  DType a = DType::F32, b = DType::F32, c = DType::F32;
  bool a_transposed = false;  // A stored [K,M]
  bool b_transposed = true;   // B stored [N,K] (HF weight); false: stored [K,N]
  bool bias = false;
  bool accumulate = false;    // C += A·B instead of C = A·B

  friend bool operator==(const GemmShape&, const GemmShape&) = default;
};

void gemm_prepare(const GemmShape& shape);
void gemm(const GemmShape& shape, const void* a, const void* b, const float* bias, void* c);

// True when oneDNN runs bf16 matmuls natively on this CPU (AVX-512 bf16 or AMX).
bool gemm_native_bf16();

}  // namespace ft
