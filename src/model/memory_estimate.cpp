#include "model/memory_estimate.h"

#include <algorithm>

#include "model/activations.h"
#include "model/weights.h"

namespace ft {
namespace {

int64_t training_activation_bytes(const ModelConfig& c, int64_t B, int64_t T) {
  const int64_t chunk_rows = std::clamp<int64_t>((1 << 22) / std::max(c.vocab_size, 1), 1, B * T);
  const ActivationPlan p = plan_activations(c, B, T, /*keep_layers=*/true, chunk_rows);
  return (p.total + p.layer_stride) * static_cast<int64_t>(sizeof(float));
}

int64_t stored_parameters(const ModelConfig& c) {
  int64_t n = 0;
  for (const auto& s : weight_specs(c)) {
    int64_t numel = 1;
    for (int64_t d : s.shape) numel *= d;
    n += numel;
  }
  return n;
}

// in/out features of a projection named as PEFT's target_modules name it.
std::pair<int64_t, int64_t> projection_dims(const ModelConfig& c, const std::string& name) {
  const int64_t C = c.hidden_size, I = c.intermediate_size;
  const int64_t q = int64_t{c.num_attention_heads} * c.head_dim;
  const int64_t kv = int64_t{c.num_key_value_heads} * c.head_dim;
  if (name == "q_proj") return {C, q};
  if (name == "k_proj" || name == "v_proj") return {C, kv};
  if (name == "o_proj") return {q, C};
  if (name == "gate_proj" || name == "up_proj") return {C, I};
  if (name == "down_proj") return {I, C};
  return {0, 0};
}

}  // namespace

MemoryEstimate estimate_lora(const ModelConfig& config, int rank,
                             const std::vector<std::string>& targets, int64_t B, int64_t T) {
  MemoryEstimate e;
  e.weights = stored_parameters(config) * 2;  // bf16
  for (const auto& t : targets) {
    const auto [in, out] = projection_dims(config, t);
    e.trainable += int64_t{rank} * (in + out) * config.num_hidden_layers;  // A [r,in], B [out,r]
  }
  e.optimizer = e.trainable * 16;  // fp32 weight, grad, AdamW m, v
  e.activations = training_activation_bytes(config, B, T);
  return e;
}

MemoryEstimate estimate_full(const ModelConfig& config, int64_t B, int64_t T) {
  MemoryEstimate e;
  e.trainable = stored_parameters(config);
  e.weights = e.trainable * 4;     // fp32 master weights
  e.optimizer = e.trainable * 12;  // fp32 grads + AdamW m and v
  e.activations = training_activation_bytes(config, B, T);
  return e;
}

}  // namespace ft
