#include "train/full_finetune.h"

#include <algorithm>
#include <cstring>

#include "core/half.h"
#include "kernels/elementwise.h"

namespace ft {
namespace {

std::span<float> as_floats(ModelWeights& w) {
  return {reinterpret_cast<float*>(w.storage.data()), w.storage.size() / sizeof(float)};
}

int64_t elements(const WeightSpec& spec) {
  int64_t n = 1;
  for (int64_t d : spec.shape) n *= d;
  return n;
}

// Copies every tensor of `from` into `to` (same config), converting matrices between dtypes.
void copy_weights(ModelWeights& from, ModelWeights& to, const ModelConfig& config) {
  for (const WeightSpec& spec : weight_specs(config)) {
    const int64_t n = elements(spec);
    const void* src = weight_pointer(from, config, spec);
    void* dst = weight_pointer(to, config, spec);
    if (spec.is_vector || from.dtype == to.dtype) {
      const size_t elem = spec.is_vector ? sizeof(float) : dtype_size(from.dtype);
      std::memcpy(dst, src, static_cast<size_t>(n) * elem);
    } else if (to.dtype == DType::BF16) {
      convert_to_bf16(static_cast<bf16*>(dst), static_cast<const float*>(src), n);
    } else {
      convert_to_f32(static_cast<float*>(dst), static_cast<const bf16*>(src), n);
    }
  }
}

}  // namespace

FullFinetune::FullFinetune(Model& model)
    : model_(model), grads_(allocate_weights(model.config(), DType::F32)) {
  std::fill(grads_.storage.begin(), grads_.storage.end(), std::byte{0});
  if (model.dtype() == DType::BF16) {
    master_ = allocate_weights(model.config(), DType::F32);
    std::fill(master_.storage.begin(), master_.storage.end(), std::byte{0});
    copy_weights(model.weights(), master_, model.config());
  }
  model_.attach_full_grads(&grads_);
}

FullFinetune::~FullFinetune() { model_.attach_full_grads(nullptr); }

std::span<float> FullFinetune::values() {
  return model_.dtype() == DType::BF16 ? as_floats(master_) : as_floats(model_.weights());
}

std::span<float> FullFinetune::grads() { return as_floats(grads_); }

std::vector<std::pair<int64_t, int64_t>> FullFinetune::vector_ranges() const {
  const ModelWeights& w = fp32_weights();
  std::vector<std::pair<int64_t, int64_t>> ranges;
  for (const WeightSpec& spec : weight_specs(model_.config())) {
    if (!spec.is_vector) continue;
    const auto* p = static_cast<const float*>(weight_pointer(w, model_.config(), spec));
    ranges.emplace_back(p - reinterpret_cast<const float*>(w.storage.data()), elements(spec));
  }
  std::sort(ranges.begin(), ranges.end());
  return ranges;
}

std::vector<int64_t> FullFinetune::layer_offsets() const {
  // q_proj is each layer's first tensor (weight_specs' order).
  const auto* base = reinterpret_cast<const float*>(grads_.storage.data());
  std::vector<int64_t> offsets;
  for (const LayerWeights& layer : grads_.layers) offsets.push_back(static_cast<const float*>(layer.q) - base);
  offsets.push_back(grads_.norm - base);
  return offsets;
}

void FullFinetune::sync_model() {
  if (model_.dtype() == DType::BF16) copy_weights(master_, model_.weights(), model_.config());
}

}  // namespace ft
