// The measured engine rule (docs/performance-gemm.md has the tables behind it). It depends only on
// the CPU kind, the linked libraries and the shape, never on timing, so a run is reproducible.
//  - bf16 runs natively (oneDNN's AMX kernels) only where AMX is usable: 0.5-0.9 TFLOP/s per core
//    there, against ~0.2 for fp32. With AVX-512 bf16 but no AMX, oneDNN's native bf16 matmul
//    (135-164 GFLOP/s on 2 cores) loses to fp32 (204-286), so bf16 is widened to fp32 like on AVX2
//    (issue #9's measurements on 2-core Xeon VMs).
//  - Everything else runs on oneDNN: its matmul for fp32, dnnl_sgemm on widened panels for bf16.
//    On the AVX2 EPYC OpenBLAS (core Zen) was within noise of oneDNN on the model shapes, and
//    OpenBLAS depends on its core detection (Debian's 0.3.21 misreads newer Xeons), so it stays
//    an override (FT_GEMM_ENGINE=openblas) until a quiet-machine table says otherwise.
#include "core/cpu_features.h"
#include "kernels/gemm_engines.h"

namespace ft::gemm_detail {

GemmEngine measured_choice(const GemmShape& s) {
  if (s.a == DType::F32) return GemmEngine::kOneDnn;
  if (cpu_features().amx_bf16 && onednn_native_bf16()) return GemmEngine::kOneDnn;
  return GemmEngine::kOneDnnSgemm;
}

}  // namespace ft::gemm_detail
