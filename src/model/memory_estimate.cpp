#include "model/memory_estimate.h"

#include <algorithm>
#include <vector>

#include "core/half.h"
#include "core/process_memory.h"
#include "kernels/gemm.h"
#include "model/activations.h"
#include "model/lora.h"
#include "model/weights.h"

namespace ft {
namespace {

constexpr int64_t kFloat = sizeof(float);

int64_t lora_parameters(const ModelConfig& c, const LoraConfig& lora) {
  int64_t n = 0;
  for (int i = 0; i < kLoraTargetCount; ++i) {
    if (!lora.targets[static_cast<size_t>(i)]) continue;
    const auto [in, out] = projection_shape(c, LoraTarget(i));
    n += int64_t{lora.rank} * (in + out) * c.num_hidden_layers;  // A [r,in], B [out,r]
  }
  return n;
}

}  // namespace

// Where the CPU has no native bf16, a bf16 GEMM widens its A operand and panels of B (at most
// 2^23 floats) to fp32 in per-thread scratch that grows to the largest call (kernels/gemm_sgemm.cpp).
// The own AMX engine packs A and the whole of B into bf16 tiles in scratch that grows likewise
// (kernels/gemm_amx.cpp; tiles pad rows to 16 and depths to 32, which these shapes do not need).
// oneDNN's native bf16 keeps its buffers in the measured baseline.
// The largest A: a projection's input over all tokens, the LM head's chunk of logit gradients, and
// with full fine-tuning a weight gradient's transposed output gradient. The largest B: a weight,
// or with full fine-tuning a layer input over all tokens.
int64_t gemm_scratch_bytes(const ModelConfig& c, const TrainShape& s, int64_t rows, int64_t chunk,
                           GemmEngine bf16_engine) {
  if (!s.bf16 || bf16_engine == GemmEngine::kOneDnn) return 0;
  const int64_t C = c.hidden_size, I = c.intermediate_size, V = c.vocab_size;
  const int64_t QD = int64_t{c.num_attention_heads} * c.head_dim;
  const int64_t BT = rows * s.seq, widest = std::max({C, I, QD});
  int64_t a = std::max(BT * widest, chunk * V), b = std::max(widest * std::max(C, QD), V * C);
  if (s.train && !s.use_lora) {
    a = std::max({a, widest * BT, V * chunk});
    b = std::max({b, widest * BT, C * chunk});
  }
  if (bf16_engine == GemmEngine::kAmx) return (a + b) * int64_t{sizeof(bf16)};
  constexpr int64_t kPanelFloats = int64_t{1} << 23;
  return (a + std::min(b, kPanelFloats)) * kFloat;
}

MemoryPlan plan_training_memory(const ModelConfig& c, const TrainShape& s) {
  MemoryPlan m;
  const DType dtype = s.bf16 ? DType::BF16 : DType::F32;
  m.weights = static_cast<int64_t>(weight_storage_bytes(c, dtype));
  const int64_t full_floats = static_cast<int64_t>(weight_storage_bytes(c, DType::F32)) / kFloat;
  if (s.use_lora) {
    m.trainable_params = lora_parameters(c, s.lora);
    m.trainable_state = 3 * m.trainable_params * kFloat;  // values, AdamW m and v
    m.gradients = m.trainable_params * kFloat;
  } else {
    m.trainable_params = c.parameter_count();
    // The optimizer steps fp32 masters: the model's own weights in fp32, a copy when bf16.
    m.trainable_state = (s.bf16 ? 3 : 2) * full_floats * kFloat;
    m.gradients = full_floats * kFloat;
  }

  // The arenas as Model sizes them: training micro-batches first (Model::reserve_training), then
  // evaluation batches, which reuse the training layout and grow it if they hold more tokens.
  const int64_t V = c.vocab_size, T = s.seq;
  const bool keep_layers = s.train && !s.gradient_checkpointing;
  using enum LoraTarget;
  const KeptInputs kept{
      .gate_up = !s.use_lora || s.lora.targets_module(kGate) || s.lora.targets_module(kUp),
      .down = !s.use_lora || s.lora.targets_module(kDown)};
  const int rank = s.use_lora ? s.lora.rank : 0;
  GradientPlan grads;
  if (s.train)
    grads = plan_gradients(c, s.batch * T, loss_chunk_rows(V, s.batch * T), rank,
                           s.gradient_checkpointing, s.use_lora && s.lora.dropout > 0);
  int64_t rows = s.train ? s.batch : 0, logits_rows = 0;
  ActivationPlan arena;
  auto fit = [&](int64_t B) {
    logits_rows = std::max(logits_rows, loss_chunk_rows(V, B * T));
    const ActivationPlan p =
        plan_activations(c, B, T, keep_layers, logits_rows, kept, grads.layer_floats);
    if (p.total > arena.total) arena = p;
    rows = std::max(rows, B);
  };
  if (s.train) fit(s.batch);
  if (s.eval_batch > 0) fit(s.eval_batch);
  m.logits_chunk = arena.logits_floats * kFloat;
  m.activation_arena = arena.total * kFloat - m.logits_chunk;
  m.lora_products = int64_t{c.num_hidden_layers} * kLoraTargetCount * rows * T * rank * kFloat;
  m.gradient_arena = grads.total * kFloat;
  m.gemm_scratch = gemm_scratch_bytes(c, s, rows, logits_rows, gemm_bf16_engine());
  return m;
}

int64_t measure_runtime_baseline(bool bf16) {
  // Big enough that the GEMM library sets up its per-thread packing buffers; its own operands
  // (freed right after) are not part of the baseline.
  constexpr int64_t n = 512;
  const DType dt = bf16 ? DType::BF16 : DType::F32;
  std::vector<float> a(n * n, 0.5f), b(n * n, 0.5f), out(n * n);
  gemm(GemmShape{.M = n, .N = n, .K = n, .a = dt, .b = dt}, a.data(), b.data(), nullptr, out.data());
  return resident_bytes() - 3 * n * n * kFloat;
}

}  // namespace ft
