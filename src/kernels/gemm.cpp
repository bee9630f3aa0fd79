#include "kernels/gemm.h"

#include <dnnl.hpp>

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <unordered_map>

#include "core/buffer.h"
#include "core/half.h"

namespace ft {
namespace {

using dt = dnnl::memory::data_type;

constexpr int64_t kParallelMin = 1 << 16;  // elements below which a loop stays on one thread

dnnl::engine& cpu_engine() {
  static dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  return eng;
}

dt to_dnnl(DType t) { return t == DType::BF16 ? dt::bf16 : dt::f32; }

struct ShapeHash {
  size_t operator()(const GemmShape& s) const {
    size_t h = std::hash<int64_t>()(s.M) * 31 + std::hash<int64_t>()(s.N);
    h = h * 31 + std::hash<int64_t>()(s.K);
    const unsigned bits = static_cast<unsigned>(s.a) | static_cast<unsigned>(s.b) << 2 |
                          static_cast<unsigned>(s.c) << 4 | s.a_transposed << 6 |
                          s.b_transposed << 7 | s.bias << 8 | s.accumulate << 9;
    return h * 31 + bits;
  }
};

dnnl::matmul::primitive_desc describe_matmul(const GemmShape& s) {
  using dims = dnnl::memory::dims;
  const dnnl::memory::desc a_md({s.M, s.K}, to_dnnl(s.a), s.a_transposed ? dims{1, s.M} : dims{s.K, 1});
  const dnnl::memory::desc b_md({s.K, s.N}, to_dnnl(s.b), s.b_transposed ? dims{1, s.K} : dims{s.N, 1});
  const dnnl::memory::desc c_md({s.M, s.N}, to_dnnl(s.c), dims{s.N, 1});
  dnnl::primitive_attr attr;
  if (s.accumulate) {
    dnnl::post_ops ops;
    ops.append_sum(1.0f);
    attr.set_post_ops(ops);
  }
  if (s.bias) {
    const dnnl::memory::desc bias_md({1, s.N}, dt::f32, dims{s.N, 1});
    return {dnnl::matmul::desc(a_md, b_md, bias_md, c_md), attr, cpu_engine()};
  }
  return {dnnl::matmul::desc(a_md, b_md, c_md), attr, cpu_engine()};
}

// bf16 through fp32 GEMM: A and panels of B are widened exactly, so every product is the product
// of two bf16 values and the sums are fp32, as in the native path.
class Bf16ViaF32 {
 public:
  explicit Bf16ViaF32(const GemmShape& s)
      : s_(s),
        panel_n_(std::clamp<int64_t>((int64_t{1} << 19) / std::max<int64_t>(s.K, 1), 16, s.N)),
        a_(static_cast<size_t>(s.M * s.K)),
        panel_(static_cast<size_t>(panel_n_ * s.K)),
        c_(s.c == DType::BF16 ? static_cast<size_t>(s.M * s.N) : 0) {}

  void run(const void* a, const void* b, const float* bias, void* c) {
    std::lock_guard lock(mu_);
    const int64_t M = s_.M, N = s_.N, K = s_.K;
    widen(static_cast<const bf16*>(a), a_.data(), M * K);
    float* out = s_.c == DType::BF16 ? c_.data() : static_cast<float*>(c);
    if (s_.c == DType::BF16 && s_.accumulate) widen(static_cast<const bf16*>(c), out, M * N);
    const auto* bb = static_cast<const bf16*>(b);
    for (int64_t n0 = 0; n0 < N; n0 += panel_n_) {
      const int64_t np = std::min(panel_n_, N - n0);
      if (s_.b_transposed) {
        widen(bb + n0 * K, panel_.data(), np * K);
      } else {
        float* p = panel_.data();
#pragma omp parallel for if (K * np > kParallelMin)
        for (int64_t k = 0; k < K; ++k)
          for (int64_t j = 0; j < np; ++j) p[k * np + j] = bf16_to_f32(bb[k * N + n0 + j]);
      }
      dnnl_sgemm(s_.a_transposed ? 'T' : 'N', s_.b_transposed ? 'T' : 'N', M, np, K, 1.0f, a_.data(),
                 s_.a_transposed ? M : K, panel_.data(), s_.b_transposed ? K : np,
                 s_.accumulate ? 1.0f : 0.0f, out + n0, N);
    }
    if (bias) {
#pragma omp parallel for if (M * N > kParallelMin)
      for (int64_t m = 0; m < M; ++m)
        for (int64_t n = 0; n < N; ++n) out[m * N + n] += bias[n];
    }
    if (s_.c == DType::BF16) {
      auto* cb = static_cast<bf16*>(c);
#pragma omp parallel for if (M * N > kParallelMin)
      for (int64_t i = 0; i < M * N; ++i) cb[i] = f32_to_bf16(out[i]);
    }
  }

 private:
  static void widen(const bf16* in, float* out, int64_t n) {
#pragma omp parallel for if (n > kParallelMin)
    for (int64_t i = 0; i < n; ++i) out[i] = bf16_to_f32(in[i]);
  }

  GemmShape s_;
  int64_t panel_n_;
  Buffer<float> a_, panel_, c_;
  std::mutex mu_;
};

struct Plan {
  std::unique_ptr<dnnl::matmul::primitive_desc> pd;
  std::unique_ptr<dnnl::matmul> prim;
  std::unique_ptr<Bf16ViaF32> fallback;
};

void check_shape(const GemmShape& s) {
  const bool f32 = s.a == DType::F32 && s.b == DType::F32 && s.c == DType::F32;
  const bool bf = s.a == DType::BF16 && s.b == DType::BF16 && s.c != DType::F16;
  if (!(f32 || bf) || s.M <= 0 || s.N <= 0 || s.K <= 0)
    throw std::invalid_argument("gemm: unsupported dtypes or empty shape");
}

std::unique_ptr<Plan> make_plan(const GemmShape& s) {
  check_shape(s);
  auto plan = std::make_unique<Plan>();
  if (s.a == DType::BF16 && !gemm_native_bf16()) {
    plan->fallback = std::make_unique<Bf16ViaF32>(s);
    return plan;
  }
  plan->pd = std::make_unique<dnnl::matmul::primitive_desc>(describe_matmul(s));
  plan->prim = std::make_unique<dnnl::matmul>(*plan->pd);
  return plan;
}

Plan& plan_for(const GemmShape& s) {
  static std::mutex mu;
  static std::unordered_map<GemmShape, std::unique_ptr<Plan>, ShapeHash> plans;
  std::lock_guard lock(mu);
  auto& slot = plans[s];
  if (!slot) slot = make_plan(s);
  return *slot;
}

}  // namespace

bool gemm_native_bf16() {
  static const bool native = [] {
    try {
      GemmShape probe{.M = 8, .N = 8, .K = 8, .a = DType::BF16, .b = DType::BF16};
      describe_matmul(probe);
      return true;
    } catch (const dnnl::error&) {
      return false;
    }
  }();
  return native;
}

void gemm_prepare(const GemmShape& shape) { plan_for(shape); }

void gemm(const GemmShape& s, const void* a, const void* b, const float* bias, void* c) {
  Plan& plan = plan_for(s);
  if (plan.fallback) {
    plan.fallback->run(a, b, s.bias ? bias : nullptr, c);
    return;
  }
  auto& eng = cpu_engine();
  thread_local dnnl::stream stream(eng);
  auto mem = [&](const dnnl::memory::desc& md, const void* p) {
    return dnnl::memory(md, eng, const_cast<void*>(p));
  };
  std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, mem(plan.pd->src_desc(), a)},
                                             {DNNL_ARG_WEIGHTS, mem(plan.pd->weights_desc(), b)},
                                             {DNNL_ARG_DST, mem(plan.pd->dst_desc(), c)}};
  if (s.bias) args.emplace(DNNL_ARG_BIAS, mem(plan.pd->bias_desc(), bias));
  plan.prim->execute(stream, args);
  stream.wait();
}

}  // namespace ft
