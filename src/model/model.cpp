#include "model/model.h"

#include <algorithm>
#include <stdexcept>

#include "core/error.h"
#include "formats/safetensors.h"
#include "kernels/attention.h"
#include "kernels/cross_entropy.h"
#include "kernels/elementwise.h"
#include "kernels/embedding.h"
#include "kernels/linear.h"
#include "kernels/rmsnorm.h"
#include "kernels/rope.h"
#include "kernels/swiglu.h"

#include "kernels/lora_linear.h"
#include "model/counted_rows.h"

namespace ft {

Model::Model(ModelConfig config, ModelWeights weights)
    : config_(std::move(config)), weights_(std::move(weights)), inv_freq_(config_.rope_inv_freq()) {}

Model Model::load(const std::string& dir, DType dtype) {
  ModelConfig config = load_model_config(dir + "/config.json");
  const WeightStore store = WeightStore::open_dir(dir);
  ModelWeights weights = load_weights(store, config, dtype);
  return Model(std::move(config), std::move(weights));
}

void Model::fit(Buffer<float>& buffer, int64_t floats) {
  if (static_cast<size_t>(floats) <= buffer.size()) return;
  buffer = Buffer<float>();  // the old one goes first: growing never holds both
  buffer = Buffer<float>(static_cast<size_t>(floats));
}

void Model::plan(int64_t B, int64_t T, bool keep_layers, int64_t logits_rows) {
  if (B <= 0 || T <= 0) throw std::invalid_argument("Model::plan: empty batch");
  // Once training has planned its gradients, every plan keeps room for their layer scratch.
  const int64_t backward_floats = grad_arena_.size() != 0 ? gplan_.layer_floats : 0;
  plan_ = plan_activations(config_, B, T, keep_layers, logits_rows, kept_inputs(), backward_floats);
  fit(arena_, plan_.total);
  positions_.assign(static_cast<size_t>(B * T), 0);
  const int64_t rank = lora_ ? lora_->config().rank : 0;
  fit(lora_su_, config_.num_hidden_layers * kLoraTargetCount * B * T * rank);
  const int64_t BT = B * T, C = config_.hidden_size, I = config_.intermediate_size;
  const int64_t QD = int64_t{config_.num_attention_heads} * config_.head_dim;
  const int64_t KVD = int64_t{config_.num_key_value_heads} * config_.head_dim;
  const DType dt = weights_.dtype;
  const LayerWeights& w = weights_.layers.front();
  gemm_prepare(linear_shape(BT, C, QD, dt, w.q_bias));
  gemm_prepare(linear_shape(BT, C, KVD, dt, w.k_bias));
  gemm_prepare(linear_shape(BT, QD, C, dt, w.o_bias, true));
  gemm_prepare(linear_shape(BT, C, I, dt, w.gate_bias));
  gemm_prepare(linear_shape(BT, I, C, dt, w.down_bias, true));
}

void Model::ensure_plan(int64_t B, int64_t T, int64_t logits_rows) {
  if (arena_.size() != 0 && B * T <= plan_.B * plan_.T && logits_rows <= plan_.logits_rows) return;
  const bool grow_tokens = arena_.size() == 0 || B * T > plan_.B * plan_.T;
  plan(grow_tokens ? B : plan_.B, grow_tokens ? T : plan_.T, plan_.keep_layers,
       std::max(logits_rows, plan_.logits_rows));
}

void Model::check_ids(std::span<const int> ids, int64_t n, const char* what) const {
  if (static_cast<int64_t>(ids.size()) != n)
    throw std::invalid_argument(std::string("Model: ") + what + " must hold B*T entries");
  const bool targets = std::string_view(what) == "targets";
  for (size_t i = 0; i < ids.size(); ++i) {
    const int id = ids[i];
    if ((id >= 0 && id < config_.vocab_size) || (targets && id == kIgnoreIndex)) continue;
    throw Error(kExitUsage, std::string(what) + "[" + std::to_string(i) + "] = " +
                                std::to_string(id) + " is outside the model's vocabulary [0, " +
                                std::to_string(config_.vocab_size) + ")");
  }
}

void Model::set_positions(std::span<const int> positions, int64_t B, int64_t T, int64_t past) {
  if (!positions.empty()) {
    if (static_cast<int64_t>(positions.size()) != B * T)
      throw std::invalid_argument("Model: positions must hold B*T entries");
    std::copy(positions.begin(), positions.end(), positions_.begin());
    return;
  }
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < T; ++t) positions_[b * T + t] = static_cast<int>(past + t);
}

void Model::set_segments(std::span<const int> segments, int64_t B, int64_t T) {
  segments_.clear();
  if (segments.empty()) return;
  if (static_cast<int64_t>(segments.size()) != B * T)
    throw std::invalid_argument("Model: segments must hold B*T entries");
  for (int64_t b = 0; b < B; ++b) {
    int last_document = -1;
    for (int64_t t = 0; t < T; ++t) {
      const int s = segments[static_cast<size_t>(b * T + t)];
      if (s < -1 || (s >= 0 && t > 0 && s != segments[static_cast<size_t>(b * T + t - 1)] &&
                     s <= last_document))
        throw std::invalid_argument("Model: segments must be runs of increasing document ids per "
                                    "row (-1 = padding); row " + std::to_string(b) + " breaks at " +
                                    std::to_string(t));
      last_document = std::max(last_document, s);
    }
  }
  segments_.assign(segments.begin(), segments.end());
}

const void* Model::gemm_input(const float* x, int64_t n) {
  if (weights_.dtype == DType::F32) return x;
  auto* out = reinterpret_cast<bf16*>(act(plan_.gemm_input));
  convert_to_bf16(out, x, n);
  return out;
}

void Model::run_layers(std::span<const int> ids, int64_t B, int64_t T, KvCache* cache) {
  const int64_t C = config_.hidden_size;
  embedding_forward(act(plan_.embed), ids.data(), weights_.embed, weights_.dtype, B * T, C);
  for (int l = 0; l < config_.num_hidden_layers; ++l)
    layer_forward(l, l == 0 ? act(plan_.embed) : act(plan_.res_out, l - 1), B, T, cache);
  if (cache) cache->advance(T);
}

void Model::project(int l, LoraTarget t, float* y, const float* x, const void* x_gemm,
                    const void* w, const float* bias, int64_t M, int64_t K, int64_t N,
                    bool accumulate) {
  linear_forward(y, x_gemm, w, bias, M, K, N, weights_.dtype, accumulate);
  if (!lora_ || !lora_->module(l, t).active()) return;
  const LoraModule& m = lora_->module(l, t);
  const LoraShape shape{.M = M, .in = K, .out = N, .r = lora_->config().rank,
                        .scaling = static_cast<float>(lora_->config().scaling())};
  lora_forward(y, lora_su(l, t), lora_input(l, t, x, M * K), m.A, m.B, shape);
}

void Model::layer_forward(int l, const float* in, int64_t B, int64_t T, KvCache* cache) {
  const ActivationPlan& p = plan_;
  const int64_t BT = B * T, C = config_.hidden_size, I = config_.intermediate_size;
  const int64_t NH = config_.num_attention_heads, NKV = config_.num_key_value_heads;
  const int64_t HD = config_.head_dim, QD = NH * HD, KVD = NKV * HD;
  const float eps = static_cast<float>(config_.rms_norm_eps);
  const LayerWeights& w = weights_.layers[static_cast<size_t>(l)];
  float *ln1 = act(p.ln1, l), *q = act(p.q, l), *k = act(p.k, l), *v = act(p.v, l);
  rmsnorm_forward(ln1, act(p.ln1_rstd, l), in, w.input_norm, BT, C, eps);
  const void* x = gemm_input(ln1, BT * C);
  project(l, LoraTarget::kQ, q, ln1, x, w.q, w.q_bias, BT, C, QD);
  project(l, LoraTarget::kK, k, ln1, x, w.k, w.k_bias, BT, C, KVD);
  project(l, LoraTarget::kV, v, ln1, x, w.v, w.v_bias, BT, C, KVD);
  rope_forward(q, positions_.data(), inv_freq_.data(), BT, NH, HD);
  rope_forward(k, positions_.data(), inv_freq_.data(), BT, NKV, HD);

  AttentionShape shape{.B = B, .T = T, .NH = NH, .NKV = NKV, .HD = HD, .past = 0,
                       .kv_capacity = T, .window = config_.sliding_window};
  const float *keys = k, *values = v;
  if (cache) {
    shape.past = cache->length();
    shape.kv_capacity = cache->capacity();
    for (int64_t b = 0; b < B; ++b) {
      const int64_t dst = (b * shape.kv_capacity + shape.past) * KVD;
      std::copy(k + b * T * KVD, k + (b + 1) * T * KVD, cache->keys(l) + dst);
      std::copy(v + b * T * KVD, v + (b + 1) * T * KVD, cache->values(l) + dst);
    }
    keys = cache->keys(l);
    values = cache->values(l);
  }
  float* att = act(p.att, l);
  attention_forward(att, act(p.att_lse, l), q, keys, values, shape, segments());

  float* res_attn = act(p.res_attn, l);
  std::copy(in, in + BT * C, res_attn);
  project(l, LoraTarget::kO, res_attn, att, gemm_input(att, BT * QD), w.o, w.o_bias, BT, QD, C,
          true);

  float *ln2 = act(p.ln2, l), *gate = act(p.gate, l), *up = act(p.up, l), *mlp = act(p.mlp, l);
  rmsnorm_forward(ln2, act(p.ln2_rstd, l), res_attn, w.post_attention_norm, BT, C, eps);
  x = gemm_input(ln2, BT * C);
  project(l, LoraTarget::kGate, gate, ln2, x, w.gate, w.gate_bias, BT, C, I);
  project(l, LoraTarget::kUp, up, ln2, x, w.up, w.up_bias, BT, C, I);
  swiglu_forward(mlp, gate, up, BT * I);
  float* res_out = act(p.res_out, l);
  std::copy(res_attn, res_attn + BT * C, res_out);
  project(l, LoraTarget::kDown, res_out, mlp, gemm_input(mlp, BT * I), w.down, w.down_bias, BT, I,
          C, true);
}

const float* Model::final_hidden() { return act(plan_.res_out, config_.num_hidden_layers - 1); }

void Model::head(const float* hidden, int64_t rows, int64_t hidden_stride) {
  const int64_t C = config_.hidden_size;
  const float eps = static_cast<float>(config_.rms_norm_eps);
  float *lnf = act(plan_.lnf), *rstd = act(plan_.lnf_rstd);
  if (hidden_stride == C) {
    rmsnorm_forward(lnf, rstd, hidden, weights_.norm, rows, C, eps);
  } else {
    for (int64_t r = 0; r < rows; ++r)
      rmsnorm_forward(lnf + r * C, rstd + r, hidden + r * hidden_stride, weights_.norm, 1, C, eps);
  }
  head_logits(rows);
}

void Model::head(const float* hidden, std::span<const int64_t> rows) {
  const int64_t C = config_.hidden_size;
  const float eps = static_cast<float>(config_.rms_norm_eps);
  float *lnf = act(plan_.lnf), *rstd = act(plan_.lnf_rstd);
  for_each_run(rows, [&](int64_t at, int64_t first, int64_t n) {
    rmsnorm_forward(lnf + at * C, rstd + at, hidden + first * C, weights_.norm, n, C, eps);
  });
  head_logits(static_cast<int64_t>(rows.size()));
}

void Model::head_logits(int64_t rows) {
  const int64_t C = config_.hidden_size;
  linear_forward(act(plan_.logits), gemm_input(act(plan_.lnf), rows * C), weights_.lm_head,
                 nullptr, rows, C, config_.vocab_size, weights_.dtype);
}

std::span<const float> Model::forward(std::span<const int> ids, int64_t B, int64_t T,
                                      std::span<const int> positions,
                                      std::span<const int> segments) {
  check_ids(ids, B * T, "ids");
  ensure_plan(B, T, B * T);
  set_positions(positions, B, T, 0);
  set_segments(segments, B, T);
  run_layers(ids, B, T, nullptr);
  head(final_hidden(), B * T, config_.hidden_size);
  return {act(plan_.logits), static_cast<size_t>(B * T * config_.vocab_size)};
}

float Model::forward_loss(std::span<const int> ids, std::span<const int> targets, int64_t B,
                          int64_t T, std::span<float> losses, std::span<const int> positions,
                          std::span<const int> segments) {
  const int64_t BT = B * T, V = config_.vocab_size;
  check_ids(ids, BT, "ids");
  check_ids(targets, BT, "targets");
  if (static_cast<int64_t>(losses.size()) != BT)
    throw std::invalid_argument("Model::forward_loss: losses must hold B*T entries");
  const int64_t chunk = loss_chunk_rows(V, BT);
  ensure_plan(B, T, chunk);
  set_positions(positions, B, T, 0);
  set_segments(segments, B, T);
  run_layers(ids, B, T, nullptr);
  const float* hidden = final_hidden();
  const std::vector<int64_t> rows = counted_rows(targets);
  std::fill(losses.begin(), losses.end(), 0.0f);
  std::vector<int> chunk_targets(static_cast<size_t>(chunk));
  std::vector<float> chunk_losses(static_cast<size_t>(chunk));
  double sum = 0.0;
  for_each_chunk(rows, chunk, [&](std::span<const int64_t> sel) {
    gather_targets(chunk_targets.data(), targets, sel);
    head(hidden, sel);
    cross_entropy_forward(chunk_losses.data(), nullptr, act(plan_.logits), chunk_targets.data(),
                          static_cast<int64_t>(sel.size()), V);
    for (size_t i = 0; i < sel.size(); ++i) {
      losses[static_cast<size_t>(sel[i])] = chunk_losses[i];
      sum += chunk_losses[i];
    }
  });
  return rows.empty() ? 0.0f : static_cast<float>(sum / static_cast<double>(rows.size()));
}

std::span<const float> Model::forward_cached(KvCache& cache, std::span<const int> ids, int64_t B,
                                             int64_t T) {
  if (cache.batch() != B) throw std::invalid_argument("Model::forward_cached: cache batch differs");
  if (cache.length() + T > cache.capacity())
    throw Error(kExitUsage, "the KV cache holds " + std::to_string(cache.capacity()) +
                                " tokens; cannot append " + std::to_string(T) + " more");
  check_ids(ids, B * T, "ids");
  ensure_plan(B, T, B);
  set_positions({}, B, T, cache.length());
  set_segments({}, B, T);
  run_layers(ids, B, T, &cache);
  const int64_t C = config_.hidden_size;
  head(final_hidden() + (T - 1) * C, B, T * C);
  return {act(plan_.logits), static_cast<size_t>(B * config_.vocab_size)};
}

}  // namespace ft
