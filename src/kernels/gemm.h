// Matrix multiply: C[M,N] (+)= A[M,K] · B[K,N] (+ bias[N]), fp32 accumulation.
// B defaults to the Hugging Face Linear layout W[N,K] (out, in), so y = x·Wᵀ + b.
// Supported dtypes: a,b both F32 (c F32) or both BF16 (c F32 or BF16); bias is fp32.
// Where bf16 is not native (AVX2; AVX-512 without AMX, where fp32 measured faster), bf16 runs as
// exact bf16 products with fp32 accumulation through fp32 GEMM on widened panels.
//
// Several engines compute it; gemm() uses the one the measured rule in gemm_select.cpp names for
// this CPU kind and shape class (docs/performance-gemm.md). The choice never depends on timing,
// so the same machine and shape always take the same engine and round identically run to run.
// FT_GEMM_ENGINE=<name> (gemm_engine_name) forces one engine where it can run the shape, for
// benchmarking; an unknown name is an ft::Error. Work is cached per shape (gemm_prepare at plan
// time, or lazily on first use).
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

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

enum class GemmEngine {
  kOneDnn,       // oneDNN matmul primitive (fp32, or bf16 where the CPU has it natively)
  kOneDnnSgemm,  // dnnl_sgemm; bf16 widened to fp32 panel by panel
  kOpenBlas,     // OpenBLAS cblas_sgemm; bf16 widened likewise (only in builds with OpenBLAS)
  kMkl,          // Intel MKL: sgemm, bf16 by cblas_gemm_bf16bf16f32 (only in builds with FT_MKL_ROOT)
  kAmx,          // own bf16 kernels on AMX tiles (only where the CPU has them and the OS grants them)
};
inline constexpr GemmEngine kAllGemmEngines[] = {GemmEngine::kOneDnn, GemmEngine::kOneDnnSgemm,
                                                 GemmEngine::kOpenBlas, GemmEngine::kMkl,
                                                 GemmEngine::kAmx};

// "onednn", "onednn-sgemm", "openblas", "mkl", "amx"
std::string_view gemm_engine_name(GemmEngine e);
std::optional<GemmEngine> gemm_engine_from_name(std::string_view name);
bool gemm_engine_available(GemmEngine e, const GemmShape& shape);
// The engine gemm() runs for `shape` here: FT_GEMM_ENGINE if set and able, else the rule.
GemmEngine gemm_engine_for(const GemmShape& shape);

void gemm_prepare(const GemmShape& shape);
void gemm(const GemmShape& shape, const void* a, const void* b, const float* bias, void* c);
// The same product on a named engine (tests and benches); throws std::invalid_argument when the
// engine cannot run the shape here.
void gemm_on(GemmEngine engine, const GemmShape& shape, const void* a, const void* b,
             const float* bias, void* c);

// A frozen weight packed once for one shape (typically y = x·Wᵀ with W[N,K], or dx = dy·W). The
// packed copy is in the layout oneDNN's matmul prefers for that shape (blocked on AVX-512/AMX);
// on the sgemm engines a bf16 weight is stored widened to fp32 so no call widens it again, and an
// fp32 weight is used in place. W must outlive the handle; gemm_packed on any other shape
// multiplies by W itself through gemm(), so the handle is always safe to use. `engine` defaults
// to gemm_engine_for(shape); packing costs one reorder and up to N·K fp32 values of memory.
class PackedWeight {
 public:
  PackedWeight(const GemmShape& shape, const void* w, std::optional<GemmEngine> engine = {});
  ~PackedWeight();
  PackedWeight(const PackedWeight&) = delete;
  PackedWeight& operator=(const PackedWeight&) = delete;

  const GemmShape& shape() const { return shape_; }
  const void* weight() const { return w_; }
  GemmEngine engine() const { return engine_; }
  size_t packed_bytes() const;

 private:
  friend void gemm_packed(const GemmShape&, const void*, const PackedWeight&, const float*, void*);
  struct Impl;
  GemmShape shape_;
  const void* w_;
  GemmEngine engine_;
  std::unique_ptr<Impl> impl_;
};

void gemm_packed(const GemmShape& shape, const void* a, const PackedWeight& w, const float* bias,
                 void* c);

// The engine a model-sized bf16 GEMM takes here (the rule, or FT_GEMM_ENGINE).
GemmEngine gemm_bf16_engine();
// True when gemm() runs bf16 natively here (oneDNN or the own kernels on AMX); false
// when bf16 is widened to fp32 (AVX2, and AVX-512 without AMX, where fp32 is faster).
bool gemm_native_bf16();
// One line for benches and `finetune inspect`: libraries, OpenBLAS core, FT_GEMM_ENGINE.
std::string gemm_backend_summary();

}  // namespace ft
