#include "kernels/gemm.h"

#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <unordered_map>

#include "core/error.h"
#include "kernels/gemm_engines.h"

namespace ft {
namespace gemm_detail {

void check_shape(const GemmShape& s) {
  const bool f32 = s.a == DType::F32 && s.b == DType::F32 && s.c == DType::F32;
  const bool bf = s.a == DType::BF16 && s.b == DType::BF16 && s.c != DType::F16;
  if (!(f32 || bf) || s.M <= 0 || s.N <= 0 || s.K <= 0)
    throw std::invalid_argument("gemm: unsupported dtypes or empty shape");
}

}  // namespace gemm_detail

namespace {

using namespace gemm_detail;

struct PlanKey {
  GemmShape shape;
  GemmEngine engine;
  friend bool operator==(const PlanKey&, const PlanKey&) = default;
};

struct PlanKeyHash {
  size_t operator()(const PlanKey& k) const {
    const GemmShape& s = k.shape;
    size_t h = std::hash<int64_t>()(s.M) * 31 + std::hash<int64_t>()(s.N);
    h = h * 31 + std::hash<int64_t>()(s.K);
    const unsigned bits = static_cast<unsigned>(s.a) | static_cast<unsigned>(s.b) << 2 |
                          static_cast<unsigned>(s.c) << 4 | s.a_transposed << 6 |
                          s.b_transposed << 7 | s.bias << 8 | s.accumulate << 9 |
                          static_cast<unsigned>(k.engine) << 10;
    return h * 31 + bits;
  }
};

// FT_GEMM_ENGINE, read once: nullopt when unset or empty.
std::optional<GemmEngine> forced_engine() {
  static const std::optional<GemmEngine> forced = []() -> std::optional<GemmEngine> {
    const char* v = std::getenv("FT_GEMM_ENGINE");
    if (!v || !*v) return std::nullopt;
    const auto e = gemm_engine_from_name(v);
    if (!e)
      fail_usage(std::string("FT_GEMM_ENGINE=") + v +
                 ": unknown GEMM engine; use onednn, onednn-sgemm, openblas, mkl or amx (or unset "
                 "it)");
    if (*e == GemmEngine::kOpenBlas && !openblas_linked())
      fail_usage("FT_GEMM_ENGINE=openblas: this build has no OpenBLAS (install libopenblas-openmp-dev "
                 "and reconfigure, or unset it)");
    if (*e == GemmEngine::kMkl && !mkl_linked())
      fail_usage("FT_GEMM_ENGINE=mkl: this build has no MKL (configure with -DFT_MKL_ROOT from "
                 "scripts/fetch-mkl.sh, see docs/performance-gemm.md, or unset it)");
    if (*e == GemmEngine::kAmx && !cpu_features().amx_bf16)
      fail_usage("FT_GEMM_ENGINE=amx: this CPU has no AMX tiles the OS lets us use (lscpu lists "
                 "amx_bf16 where it has them); use another engine or unset it");
    return e;
  }();
  return forced;
}

std::unique_ptr<GemmPlan> make_plan(const GemmShape& s, GemmEngine e) {
  if (e == GemmEngine::kOneDnn) return make_onednn_plan(s);
  if (e == GemmEngine::kAmx) return make_amx_plan(s, AmxTiles::kHardware);
  return make_sgemm_plan(s, e);
}

const GemmPlan& plan_for(const GemmShape& s, GemmEngine e) {
  static std::mutex mu;
  static std::unordered_map<PlanKey, std::unique_ptr<GemmPlan>, PlanKeyHash> plans;
  std::lock_guard lock(mu);
  auto& slot = plans[PlanKey{s, e}];
  if (!slot) slot = make_plan(s, e);
  return *slot;
}

}  // namespace

std::string_view gemm_engine_name(GemmEngine e) {
  switch (e) {
    case GemmEngine::kOneDnn: return "onednn";
    case GemmEngine::kOneDnnSgemm: return "onednn-sgemm";
    case GemmEngine::kOpenBlas: return "openblas";
    case GemmEngine::kMkl: return "mkl";
    case GemmEngine::kAmx: return "amx";
  }
  return "?";
}

std::optional<GemmEngine> gemm_engine_from_name(std::string_view name) {
  for (GemmEngine e : kAllGemmEngines)
    if (gemm_engine_name(e) == name) return e;
  return std::nullopt;
}

bool gemm_engine_available(GemmEngine e, const GemmShape& s) {
  switch (e) {
    case GemmEngine::kOneDnn: return s.a == DType::F32 || onednn_native_bf16();
    case GemmEngine::kOneDnnSgemm: return true;
    case GemmEngine::kOpenBlas: return openblas_linked();
    case GemmEngine::kMkl: return mkl_linked();
    case GemmEngine::kAmx: return s.a == DType::BF16 && cpu_features().amx_bf16;
  }
  return false;
}

GemmEngine gemm_engine_for(const GemmShape& s) {
  if (auto forced = forced_engine(); forced && gemm_engine_available(*forced, s)) return *forced;
  return measured_choice(s, this_host());
}

void gemm_prepare(const GemmShape& s) {
  check_shape(s);
  plan_for(s, gemm_engine_for(s));
}

void gemm(const GemmShape& s, const void* a, const void* b, const float* bias, void* c) {
  gemm_on(gemm_engine_for(s), s, a, b, bias, c);
}

void gemm_on(GemmEngine e, const GemmShape& s, const void* a, const void* b, const float* bias,
             void* c) {
  check_shape(s);
  if (!gemm_engine_available(e, s))
    throw std::invalid_argument("gemm: engine " + std::string(gemm_engine_name(e)) +
                                " cannot run this shape on this machine");
  plan_for(s, e).run(a, b, s.bias ? bias : nullptr, c);
}

struct PackedWeight::Impl {
  std::unique_ptr<PackedPlan> plan;
};

PackedWeight::PackedWeight(const GemmShape& s, const void* w, std::optional<GemmEngine> engine)
    : shape_(s), w_(w), engine_(engine.value_or(gemm_engine_for(s))) {
  check_shape(s);
  if (!gemm_engine_available(engine_, s))
    throw std::invalid_argument("PackedWeight: engine " + std::string(gemm_engine_name(engine_)) +
                                " cannot run this shape on this machine");
  impl_ = std::make_unique<Impl>();
  if (engine_ == GemmEngine::kOneDnn) impl_->plan = make_onednn_packed(s, w);
  else if (engine_ == GemmEngine::kAmx) impl_->plan = make_amx_packed(s, AmxTiles::kHardware, w);
  else impl_->plan = make_sgemm_packed(s, engine_, w);
}

PackedWeight::~PackedWeight() = default;

size_t PackedWeight::packed_bytes() const { return impl_->plan->packed_bytes(); }

void gemm_packed(const GemmShape& s, const void* a, const PackedWeight& w, const float* bias, void* c) {
  if (!(s == w.shape_)) {
    gemm(s, a, w.w_, bias, c);
    return;
  }
  w.impl_->plan->run(a, nullptr, s.bias ? bias : nullptr, c);
}

GemmEngine gemm_bf16_engine() {
  return gemm_engine_for(GemmShape{.M = 4096, .N = 4096, .K = 4096, .a = DType::BF16, .b = DType::BF16});
}

bool gemm_native_bf16() {
  const GemmEngine e = gemm_bf16_engine();
  return e == GemmEngine::kOneDnn || e == GemmEngine::kAmx;
}

std::string gemm_backend_summary() {
  forced_engine();  // an unknown FT_GEMM_ENGINE is reported before anything runs
  std::string out = "oneDNN " + onednn_version();
  out += onednn_native_bf16() ? " (bf16 matmul available)" : " (no native bf16)";
  out += gemm_native_bf16() ? ", bf16 runs natively" : ", bf16 runs widened to fp32";
  out += openblas_linked() ? ", OpenBLAS core " + openblas_core() : ", no OpenBLAS";
  if (mkl_linked()) out += ", " + mkl_version();
  const char* forced = std::getenv("FT_GEMM_ENGINE");
  out += forced && *forced ? std::string(", FT_GEMM_ENGINE=") + forced : ", engines by rule";
  return out;
}

}  // namespace ft
