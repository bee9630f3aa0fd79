// The oneDNN matmul engine: one primitive per shape, operands in place. A packed plan asks the
// primitive for its preferred weights layout (format_tag::any) and reorders W into it once.
#include <dnnl.hpp>

#include <string>
#include <unordered_map>

#include "kernels/gemm_engines.h"

namespace ft::gemm_detail {
namespace {

using dt = dnnl::memory::data_type;
using dims = dnnl::memory::dims;

dnnl::engine& cpu_engine() {
  static dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  return eng;
}

dt to_dnnl(DType t) { return t == DType::BF16 ? dt::bf16 : dt::f32; }

dnnl::memory::desc weights_desc(const GemmShape& s, bool any_layout) {
  if (any_layout) return {{s.K, s.N}, to_dnnl(s.b), dnnl::memory::format_tag::any};
  return {{s.K, s.N}, to_dnnl(s.b), s.b_transposed ? dims{1, s.K} : dims{s.N, 1}};
}

dnnl::matmul::primitive_desc describe(const GemmShape& s, bool any_weights) {
  const dnnl::memory::desc a_md({s.M, s.K}, to_dnnl(s.a), s.a_transposed ? dims{1, s.M} : dims{s.K, 1});
  const dnnl::memory::desc c_md({s.M, s.N}, to_dnnl(s.c), dims{s.N, 1});
  const auto b_md = weights_desc(s, any_weights);
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

class OneDnnPlan : public PackedPlan {
 public:
  OneDnnPlan(const GemmShape& s, const void* packed_from)
      : s_(s), pd_(describe(s, packed_from != nullptr)), prim_(pd_) {
    if (!packed_from) return;
    packed_ = dnnl::memory(pd_.weights_desc(), cpu_engine());
    dnnl::memory plain(weights_desc(s, false), cpu_engine(), const_cast<void*>(packed_from));
    dnnl::stream stream(cpu_engine());
    dnnl::reorder(plain, packed_).execute(stream, plain, packed_);
    stream.wait();
  }

  void run(const void* a, const void* b, const float* bias, void* c) const override {
    auto& eng = cpu_engine();
    thread_local dnnl::stream stream(eng);
    auto mem = [&](const dnnl::memory::desc& md, const void* p) {
      return dnnl::memory(md, eng, const_cast<void*>(p));
    };
    std::unordered_map<int, dnnl::memory> args{
        {DNNL_ARG_SRC, mem(pd_.src_desc(), a)},
        {DNNL_ARG_WEIGHTS, packed_ ? packed_ : mem(pd_.weights_desc(), b)},
        {DNNL_ARG_DST, mem(pd_.dst_desc(), c)}};
    if (s_.bias) args.emplace(DNNL_ARG_BIAS, mem(pd_.bias_desc(), bias));
    prim_.execute(stream, args);
    stream.wait();
  }

  size_t packed_bytes() const override { return packed_ ? pd_.weights_desc().get_size() : 0; }

 private:
  GemmShape s_;
  dnnl::matmul::primitive_desc pd_;
  dnnl::matmul prim_;
  dnnl::memory packed_;
};

}  // namespace

bool onednn_native_bf16() {
  static const bool native = [] {
    try {
      describe(GemmShape{.M = 8, .N = 8, .K = 8, .a = DType::BF16, .b = DType::BF16}, false);
      return true;
    } catch (const dnnl::error&) {
      return false;
    }
  }();
  return native;
}

std::string onednn_version() {
  const dnnl_version_t* v = dnnl_version();
  return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
}

std::unique_ptr<GemmPlan> make_onednn_plan(const GemmShape& s) {
  return std::make_unique<OneDnnPlan>(s, nullptr);
}

std::unique_ptr<PackedPlan> make_onednn_packed(const GemmShape& s, const void* w) {
  return std::make_unique<OneDnnPlan>(s, w);
}

}  // namespace ft::gemm_detail
