// The measured engine rule (docs/performance-gemm.md has the tables behind it). It depends only on
// the CPU kind, the linked libraries and the shape, never on timing, so a run is reproducible.
//  - bf16 runs natively (oneDNN's AMX kernels) only where AMX is usable: 0.5-0.9 TFLOP/s per core
//    there, against ~0.2 for fp32. With AVX-512 bf16 but no AMX, oneDNN's native bf16 matmul
//    (135-164 GFLOP/s on 2 cores) loses to fp32 (204-286), so bf16 is widened to fp32 like on AVX2
//    (issue #9's measurements on 2-core Xeon VMs).
//  - Everything else runs on oneDNN (its matmul for fp32, dnnl_sgemm on widened panels for bf16),
//    except on AVX2-only CPUs the shape classes where OpenBLAS won by more than 10% in each of
//    three quiet passes on a Zen 3 EPYC (openblas_wins_on_avx2). OpenBLAS must have picked an AVX2
//    kernel set: Debian's 0.3.21 falls back to slow generic kernels on CPUs it does not know.
#include <algorithm>

#include "kernels/gemm_engines.h"

namespace ft::gemm_detail {
namespace {

bool avx2_only(const CpuFeatures& cpu) { return cpu.avx2 && cpu.fma && !cpu.avx512f; }

bool openblas_has_avx2_kernels(const std::string& core) {
  return core == "Haswell" || core == "Zen";
}

// Shape classes, by layout: Aᵀ·B is a weight gradient (dW += dyᵀ·x), A·B an input gradient
// (dx = dy·W, W stored [out, in]). LoRA's rank-r products (a side of at most 64) stay on oneDNN.
bool openblas_wins_on_avx2(const GemmShape& s) {
  if (std::min({s.M, s.N, s.K}) < 64) return false;
  // Few output rows against a wide input, e.g. k/v of a grouped-query model (256 × 2048 × 4096):
  // oneDNN's transposed-A path runs at 60-70 GFLOP/s there, OpenBLAS at 110-135.
  if (s.a_transposed) return s.M <= 512 && s.N >= 4 * s.M;
  // A loss chunk's rows through a vocabulary-sized weight (131 × 2048 × 32000), fp32 only: on
  // widened bf16 panels oneDNN's sgemm stays ahead. Loss chunks hold 32 Mi floats, so this takes
  // short batches (B·T ≤ 512) and vocabularies above 64 Ki; at 1024 rows OpenBLAS's lead is gone.
  if (!s.b_transposed) return s.a == DType::F32 && s.M <= 512 && s.N >= 1024 && s.K >= 8 * s.N;
  return false;
}

}  // namespace

const GemmHost& this_host() {
  static const GemmHost host{cpu_features(), onednn_native_bf16(), openblas_core()};
  return host;
}

GemmEngine measured_choice(const GemmShape& s, const GemmHost& host) {
  if (s.a == DType::BF16 && host.cpu.amx_bf16 && host.onednn_native_bf16) return GemmEngine::kOneDnn;
  if (avx2_only(host.cpu) && openblas_has_avx2_kernels(host.openblas_core) &&
      openblas_wins_on_avx2(s))
    return GemmEngine::kOpenBlas;
  return s.a == DType::F32 ? GemmEngine::kOneDnn : GemmEngine::kOneDnnSgemm;
}

}  // namespace ft::gemm_detail
