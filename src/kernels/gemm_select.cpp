// The measured engine rule (docs/performance-gemm.md has the tables behind it). It depends only on
// the CPU kind, the linked libraries and the shape, never on timing, so a run is reproducible.
#include "kernels/gemm_engines.h"

namespace ft::gemm_detail {

GemmEngine measured_choice(const GemmShape& s) {
  if (s.a == DType::F32 || onednn_native_bf16()) return GemmEngine::kOneDnn;
  return GemmEngine::kOneDnnSgemm;
}

}  // namespace ft::gemm_detail
