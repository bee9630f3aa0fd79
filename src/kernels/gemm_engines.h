// Internal to the gemm kernels (gemm*.cpp): one compiled plan per (shape, engine), the engines that
// make them, and the measured selection rule. Callers use kernels/gemm.h.
#pragma once
#include <memory>
#include <string>

#include "core/cpu_features.h"
#include "kernels/gemm.h"

namespace ft::gemm_detail {

// A shape ready to run on one engine. run() may be called from several threads at once.
class GemmPlan {
 public:
  virtual ~GemmPlan() = default;
  virtual void run(const void* a, const void* b, const float* bias, void* c) const = 0;
};

void check_shape(const GemmShape& s);  // std::invalid_argument on unsupported dtypes or sizes

// A shape whose B is a frozen weight captured when the plan was made; run() ignores its b.
class PackedPlan : public GemmPlan {
 public:
  virtual size_t packed_bytes() const = 0;
};

// gemm_onednn.cpp: the matmul primitive; packed plans reorder W into its preferred layout.
bool onednn_native_bf16();
std::string onednn_version();
std::unique_ptr<GemmPlan> make_onednn_plan(const GemmShape& s);
std::unique_ptr<PackedPlan> make_onednn_packed(const GemmShape& s, const void* w);

// gemm_sgemm.cpp: fp32 sgemm libraries; bf16 operands are widened exactly to fp32 first (a
// packed bf16 weight once, when the plan is made), except on MKL, which multiplies bf16 itself.
bool openblas_linked();
std::string openblas_core();  // openblas_get_corename(), or "" without OpenBLAS
// MKL is linked statically and called through its ILP64 names (cblas_sgemm_64, …), which OpenBLAS
// does not define, so both libraries can sit in one binary.
bool mkl_linked();
std::string mkl_version();    // "MKL 2026.2", or "" without MKL
std::unique_ptr<GemmPlan> make_sgemm_plan(const GemmShape& s, GemmEngine engine);
std::unique_ptr<PackedPlan> make_sgemm_packed(const GemmShape& s, GemmEngine engine, const void* w);

// gemm_amx.cpp: own bf16 kernels on AMX tiles over packed operands (amx_gemm.h). kEmulated runs the
// same code on a scalar model of the tiles, so it is tested on CPUs without AMX.
enum class AmxTiles { kHardware, kEmulated };
std::unique_ptr<GemmPlan> make_amx_plan(const GemmShape& s, AmxTiles tiles);
std::unique_ptr<PackedPlan> make_amx_packed(const GemmShape& s, AmxTiles tiles, const void* w);

// gemm_select.cpp: the rule measured on each CPU kind (docs/performance-gemm.md). It reads only
// the shape and the host's fixed facts below, so tests can ask it about any CPU kind.
struct GemmHost {
  CpuFeatures cpu;
  bool onednn_native_bf16 = false;  // oneDNN 2.6.3 has a bf16 matmul on this CPU
  std::string openblas_core;        // openblas_get_corename(); "" when OpenBLAS is not linked
};
const GemmHost& this_host();
GemmEngine measured_choice(const GemmShape& s, const GemmHost& host);

}  // namespace ft::gemm_detail
