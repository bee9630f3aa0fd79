// The training half of Model: forward with saved activations, the fused LM head + cross-entropy
// backward over row chunks, and each decoder layer's backward in reverse, adding LoRA gradients.
// With gradient checkpointing only each layer's input is kept; the layer is recomputed just
// before its backward pass.
#include <algorithm>
#include <utility>
#include <stdexcept>

#include "kernels/attention.h"
#include "kernels/cross_entropy.h"
#include "kernels/elementwise.h"
#include "kernels/embedding.h"
#include "kernels/linear.h"
#include "kernels/lora_linear.h"
#include "kernels/rmsnorm.h"
#include "kernels/rope.h"
#include "kernels/swiglu.h"
#include "model/counted_rows.h"
#include "model/model.h"

namespace ft {

void Model::plan_training(int64_t B, int64_t T) {
  const int64_t chunk = loss_chunk_rows(config_.vocab_size, B * T);
  const int rank = lora_ ? lora_->config().rank : 0;
  const bool dropout = lora_ && lora_->config().dropout > 0.0;
  if (grad_arena_.size() == 0 || gplan_.BT != B * T || gplan_.rank != rank ||
      gplan_.checkpoints != checkpointing_ || gplan_.dropout != dropout) {
    gplan_ = plan_gradients(config_, B * T, chunk, rank, checkpointing_, dropout);
    fit(grad_arena_, gplan_.total);
  }
  // After the gradient plan: the activation plan holds its layer scratch (plan()).
  const bool keep = !checkpointing_;
  if (arena_.size() == 0 || plan_.B != B || plan_.T != T || plan_.keep_layers != keep ||
      plan_.logits_rows < chunk || plan_.kept != kept_inputs() ||
      plan_.logits_floats < gplan_.layer_floats)
    plan(B, T, keep, chunk);
}

void Model::reserve_training(int64_t B, int64_t T) {
  plan_training(B, T);
}

void Model::attach_lora(LoraWeights* lora) {
  lora_ = lora;
  if (arena_.size() != 0) plan(plan_.B, plan_.T, plan_.keep_layers, plan_.logits_rows);
}

void Model::attach_full_grads(ModelWeights* grads) {
  full_grads_ = grads;
  if (arena_.size() != 0) plan(plan_.B, plan_.T, plan_.keep_layers, plan_.logits_rows);
}

KeptInputs Model::kept_inputs() const {
  if (full_grads_) return {};
  KeptInputs kept{.gate_up = false, .down = false};
  for (int l = 0; l < config_.num_hidden_layers; ++l) {
    kept.gate_up = kept.gate_up || trains(l, LoraTarget::kGate) || trains(l, LoraTarget::kUp);
    kept.down = kept.down || trains(l, LoraTarget::kDown);
  }
  return kept;
}

float* Model::lora_su(int l, LoraTarget t) {
  const int64_t slot = int64_t{l} * kLoraTargetCount + static_cast<int>(t);
  return lora_su_.data() + slot * plan_.B * plan_.T * lora_->config().rank;
}

const float* Model::lora_input(int l, LoraTarget t, const float* x, int64_t n) {
  if (!dropout_on_) return x;
  const LoraDropout dropout = lora_dropout();
  auto* keep = reinterpret_cast<uint8_t*>(grad_arena_.data() + gplan_.dropout_keep);
  dropout.mask(keep, n, l, t);
  float* dropped = grad_arena_.data() + gplan_.dropout_x;
  apply_dropout(dropped, x, keep, dropout.keep_scale(), n, false);
  return dropped;
}

const void* Model::gemm_grad(const float* dy, int64_t n) {
  if (weights_.dtype == DType::F32) return dy;
  auto* out = reinterpret_cast<bf16*>(grad_arena_.data() + gplan_.grad_bf16);
  convert_to_bf16(out, dy, n);
  return out;
}

namespace {

// The weight and bias of projection t in a layer (weights or their gradients).
std::pair<void*, float*> projection(const LayerWeights& w, LoraTarget t) {
  switch (t) {
    case LoraTarget::kQ: return {w.q, w.q_bias};
    case LoraTarget::kK: return {w.k, w.k_bias};
    case LoraTarget::kV: return {w.v, w.v_bias};
    case LoraTarget::kO: return {w.o, w.o_bias};
    case LoraTarget::kGate: return {w.gate, w.gate_bias};
    case LoraTarget::kUp: return {w.up, w.up_bias};
    case LoraTarget::kDown: return {w.down, w.down_bias};
  }
  return {nullptr, nullptr};
}

// dbias[n] += Σ_m dy[m,n].
void bias_backward(float* dbias, const float* dy, int64_t M, int64_t N) {
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) dbias[n] += dy[m * N + n];
}

}  // namespace

int Model::lowest_trained_layer() const {
  if (full_grads_) return -1;
  for (int l = 0; l < config_.num_hidden_layers; ++l)
    for (int t = 0; t < kLoraTargetCount; ++t)
      if (trains(l, static_cast<LoraTarget>(t))) return l;
  return config_.num_hidden_layers;
}

void Model::project_backward(int l, LoraTarget t, float* dx, const float* dy, const float* x,
                             const void* w, int64_t M, int64_t K, int64_t N, bool accumulate,
                             bool input_grad) {
  if (!input_grad) dx = nullptr;
  const void* dy_gemm = input_grad || full_grads_ ? gemm_grad(dy, M * N) : nullptr;
  if (input_grad) linear_backward_input(dx, dy_gemm, w, M, K, N, weights_.dtype, accumulate);
  if (full_grads_) {
    const auto [dw, dbias] = projection(full_grads_->layers[static_cast<size_t>(l)], t);
    linear_backward_weight(static_cast<float*>(dw), dy_gemm, gemm_input(x, M * K), M, K, N,
                           weights_.dtype);
    if (dbias) bias_backward(dbias, dy, M, N);
  }
  if (!lora_) return;
  const LoraModule& m = lora_->module(l, t);
  if (!m.active()) return;
  const LoraShape shape{.M = M, .in = K, .out = N, .r = lora_->config().rank,
                        .scaling = static_cast<float>(lora_->config().scaling())};
  float* scratch = grad_arena_.data() + gplan_.lora_scratch;
  const float* lora_x = lora_input(l, t, x, M * K);
  if (lora_x == x || !input_grad) {
    lora_backward(dx, m.dA, m.dB, scratch, dy, lora_x, m.A, m.B, lora_su(l, t), shape);
    return;
  }
  // The branch saw dropout(x): its input gradient passes back through the same mask.
  float* dropped_grad = grad_arena_.data() + gplan_.dropout_dx;
  std::fill_n(dropped_grad, M * K, 0.0f);
  lora_backward(dropped_grad, m.dA, m.dB, scratch, dy, lora_x, m.A, m.B, lora_su(l, t), shape);
  const auto* keep = reinterpret_cast<const uint8_t*>(grad_arena_.data() + gplan_.dropout_keep);
  apply_dropout(dx, dropped_grad, keep, lora_dropout().keep_scale(), M * K, true);
}

// Each stage runs only if a trained tensor at or below it needs its gradient, as autograd skips
// tensors that need none: in the lowest trained layer of a q,v LoRA step that drops the frozen
// q/k/v input gradients (1.7% of a TinyLlama-2-layer q,v step's FLOPs, 4.6% of Llama-2-7B's).
void Model::layer_backward(int l, const float* in, float* dres, int64_t B, int64_t T,
                           bool input_grad) {
  const ActivationPlan& p = plan_;
  const int64_t BT = B * T, C = config_.hidden_size, I = config_.intermediate_size;
  const int64_t NH = config_.num_attention_heads, NKV = config_.num_key_value_heads;
  const int64_t HD = config_.head_dim, QD = NH * HD, KVD = NKV * HD;
  const LayerWeights& w = weights_.layers[static_cast<size_t>(l)];
  float* g = act(p.logits);  // the layer scratch (model/activations.h)
  float *dln = g + gplan_.dln, *dq = g + gplan_.dq, *dk = g + gplan_.dk, *dv = g + gplan_.dv;
  float *datt = g + gplan_.datt, *dgate = g + gplan_.dgate, *dup = g + gplan_.dup;
  float* dmlp = g + gplan_.dmlp;
  using enum LoraTarget;
  const bool qkv_grads = input_grad || trains(l, kQ) || trains(l, kK) || trains(l, kV);
  const bool attention_block = qkv_grads || trains(l, kO);  // needs dres complete at res_attn
  const bool mlp_grads = attention_block || trains(l, kGate) || trains(l, kUp);

  // res_out = res_attn + down(mlp): dres flows to res_attn unchanged.
  project_backward(l, kDown, dmlp, dres, act(p.mlp, l), w.down, BT, I, C, false, mlp_grads);
  if (!mlp_grads) return;
  swiglu_backward(dgate, dup, dmlp, act(p.gate, l), act(p.up, l), BT * I);
  const float* ln2 = act(p.ln2, l);
  project_backward(l, kGate, dln, dgate, ln2, w.gate, BT, C, I, false, attention_block);
  project_backward(l, kUp, dln, dup, ln2, w.up, BT, C, I, true, attention_block);
  if (!attention_block) return;
  LayerWeights* full = full_grads_ ? &full_grads_->layers[static_cast<size_t>(l)] : nullptr;
  rmsnorm_backward(dres, full ? full->post_attention_norm : nullptr, dln, act(p.res_attn, l),
                   w.post_attention_norm,
                   act(p.ln2_rstd, l), BT, C);

  // res_attn = in + o(att): dres flows to the layer input unchanged.
  const float* att = act(p.att, l);
  project_backward(l, kO, datt, dres, att, w.o, BT, QD, C, false, qkv_grads);
  if (!qkv_grads) return;
  const AttentionShape shape{.B = B, .T = T, .NH = NH, .NKV = NKV, .HD = HD, .past = 0,
                             .kv_capacity = T, .window = config_.sliding_window};
  attention_backward(dq, dk, dv, datt, att, act(p.att_lse, l), act(p.q, l), act(p.k, l),
                     act(p.v, l), shape, segments());
  rope_backward(dq, positions_.data(), inv_freq_.data(), BT, NH, HD);
  rope_backward(dk, positions_.data(), inv_freq_.data(), BT, NKV, HD);
  const float* ln1 = act(p.ln1, l);
  project_backward(l, kQ, dln, dq, ln1, w.q, BT, C, QD, false, input_grad);
  project_backward(l, kK, dln, dk, ln1, w.k, BT, C, KVD, true, input_grad);
  project_backward(l, kV, dln, dv, ln1, w.v, BT, C, KVD, true, input_grad);
  if (!input_grad) return;
  rmsnorm_backward(dres, full ? full->input_norm : nullptr, dln, in, w.input_norm,
                   act(p.ln1_rstd, l), BT, C);
}

Model::LossSum Model::forward_backward(std::span<const int> ids, std::span<const int> targets,
                                       int64_t B, int64_t T, float grad_scale,
                                       std::span<const int> positions,
                                       std::span<const int> segments) {
  if (!lora_ && !full_grads_)
    throw std::logic_error("Model::forward_backward: attach LoRA adapters or full gradients");
  const int64_t BT = B * T, C = config_.hidden_size, V = config_.vocab_size;
  check_ids(ids, BT, "ids");
  check_ids(targets, BT, "targets");
  plan_training(B, T);
  set_positions(positions, B, T, 0);
  set_segments(segments, B, T);
  struct DropoutScope {
    bool& on;
    ~DropoutScope() { on = false; }
  } dropout_scope{dropout_on_};
  dropout_on_ = gplan_.dropout;

  float* checkpoints = grad_arena_.data() + gplan_.checkpoints_at;
  auto layer_input = [&](int l) {
    if (checkpointing_) return static_cast<const float*>(checkpoints + int64_t{l} * BT * C);
    return static_cast<const float*>(l == 0 ? act(plan_.embed) : act(plan_.res_out, l - 1));
  };
  embedding_forward(act(plan_.embed), ids.data(), weights_.embed, weights_.dtype, BT, C);
  for (int l = 0; l < config_.num_hidden_layers; ++l) {
    const float* in = l == 0 ? act(plan_.embed) : act(plan_.res_out, l - 1);
    if (checkpointing_) std::copy(in, in + BT * C, checkpoints + int64_t{l} * BT * C);
    layer_forward(l, layer_input(l), B, T, nullptr);
  }

  // Fused LM head + cross-entropy, chunk by chunk: dlogits overwrite the logits in place.
  const int64_t chunk = plan_.logits_rows;
  const float* hidden = final_hidden();
  float* dres = grad_arena_.data() + gplan_.dres;
  float* dlnf = grad_arena_.data() + gplan_.dlnf;
  std::fill(dres, dres + BT * C, 0.0f);
  LossSum result;
  std::vector<float> losses(static_cast<size_t>(chunk));
  std::vector<int> chunk_targets(static_cast<size_t>(chunk));
  const std::vector<int64_t> counted = counted_rows(targets);
  for_each_chunk(counted, chunk, [&](std::span<const int64_t> sel) {
    const auto rows = static_cast<int64_t>(sel.size());
    gather_targets(chunk_targets.data(), targets, sel);
    head(hidden, sel);
    float* logits = act(plan_.logits);
    result.counted +=
        cross_entropy_forward_backward(losses.data(), logits, chunk_targets.data(), rows, V, grad_scale);
    for (int64_t r = 0; r < rows; ++r) result.sum += losses[static_cast<size_t>(r)];
    const void* dlogits = gemm_grad(logits, rows * V);
    linear_backward_input(dlnf, dlogits, weights_.lm_head, rows, C, V, weights_.dtype, false);
    if (full_grads_)
      linear_backward_weight(static_cast<float*>(full_grads_->lm_head), dlogits,
                             gemm_input(act(plan_.lnf), rows * C), rows, C, V, weights_.dtype);
    for_each_run(sel, [&](int64_t at, int64_t first, int64_t count) {
      rmsnorm_backward(dres + first * C, full_grads_ ? full_grads_->norm : nullptr, dlnf + at * C,
                       hidden + first * C, weights_.norm, act(plan_.lnf_rstd) + at, count, C);
    });
  });

  if (backward_progress_) backward_progress_(config_.num_hidden_layers);
  const int lowest = lowest_trained_layer();
  for (int l = config_.num_hidden_layers - 1; l >= 0; --l) {
    if (l >= lowest) {
      if (checkpointing_) layer_forward(l, layer_input(l), B, T, nullptr);
      layer_backward(l, layer_input(l), dres, B, T, l > lowest);
    }
    if (backward_progress_) backward_progress_(l);
  }
  if (full_grads_) embedding_backward(static_cast<float*>(full_grads_->embed), dres, ids.data(), BT, C);
  if (backward_progress_) backward_progress_(-1);
  return result;
}

}  // namespace ft
