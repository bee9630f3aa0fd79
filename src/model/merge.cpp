#include "model/merge.h"

#include <stdexcept>

#include "core/buffer.h"
#include "core/half.h"
#include "kernels/gemm.h"

namespace ft {
namespace {

void* projection_weight(LayerWeights& w, LoraTarget t) {
  switch (t) {
    case LoraTarget::kQ: return w.q;
    case LoraTarget::kK: return w.k;
    case LoraTarget::kV: return w.v;
    case LoraTarget::kO: return w.o;
    case LoraTarget::kGate: return w.gate;
    case LoraTarget::kUp: return w.up;
    case LoraTarget::kDown: return w.down;
  }
  return nullptr;
}

// W[i] += s·delta[i], rounding once to the weight dtype.
void add_scaled(void* w, DType dtype, const float* delta, float s, int64_t n) {
  if (dtype == DType::F32) {
    auto* wf = static_cast<float*>(w);
#pragma omp parallel for if (n > (1 << 16))
    for (int64_t i = 0; i < n; ++i) wf[i] += s * delta[i];
    return;
  }
  auto* wb = static_cast<bf16*>(w);
#pragma omp parallel for if (n > (1 << 16))
  for (int64_t i = 0; i < n; ++i) wb[i] = f32_to_bf16(bf16_to_f32(wb[i]) + s * delta[i]);
}

}  // namespace

void merge_lora(Model& model, const LoraWeights& lora) {
  const ModelConfig& c = model.config();
  ModelWeights& weights = model.weights();
  if (weights.layers.size() != static_cast<size_t>(c.num_hidden_layers))
    throw std::invalid_argument("merge_lora: model weights do not match its config");
  const auto s = static_cast<float>(lora.config().scaling());
  const int64_t r = lora.config().rank;
  Buffer<float> delta;
  for (int l = 0; l < c.num_hidden_layers; ++l) {
    for (int i = 0; i < kLoraTargetCount; ++i) {
      const auto t = static_cast<LoraTarget>(i);
      const LoraModule& m = lora.module(l, t);
      if (!m.active()) continue;
      if (delta.size() < static_cast<size_t>(m.out * m.in)) delta = Buffer<float>(static_cast<size_t>(m.out * m.in));
      // delta[out,in] = B[out,r] · A[r,in]
      const GemmShape shape{.M = m.out, .N = m.in, .K = r, .b_transposed = false};
      gemm(shape, m.B, m.A, nullptr, delta.data());
      add_scaled(projection_weight(weights.layers[static_cast<size_t>(l)], t), weights.dtype,
                 delta.data(), s, m.out * m.in);
    }
  }
}

}  // namespace ft
