#include "model/activations.h"

#include <algorithm>

#include "kernels/lora_linear.h"

namespace ft {
namespace {

// Reserves `floats` at `cursor`, keeping every buffer 16-float (64-byte) aligned; returns its offset.
int64_t take_aligned(int64_t& cursor, int64_t floats) {
  const int64_t at = cursor;
  cursor += (floats + 15) / 16 * 16;
  return at;
}

}  // namespace

ActivationPlan plan_activations(const ModelConfig& c, int64_t B, int64_t T, bool keep_layers,
                                int64_t logits_rows, KeptInputs kept, int64_t backward_floats) {
  ActivationPlan p;
  p.B = B;
  p.T = T;
  p.keep_layers = keep_layers;
  p.kept = kept;
  p.logits_rows = logits_rows;
  const int64_t BT = B * T, C = c.hidden_size, I = c.intermediate_size, V = c.vocab_size;
  const int64_t QD = static_cast<int64_t>(c.num_attention_heads) * c.head_dim;
  const int64_t KVD = static_cast<int64_t>(c.num_key_value_heads) * c.head_dim;
  int64_t cursor = 0;
  auto take = [&](int64_t floats) { return take_aligned(cursor, floats); };
  p.ln1 = take(BT * C);
  p.ln1_rstd = take(BT);
  p.q = take(BT * QD);
  p.k = take(BT * KVD);
  p.v = take(BT * KVD);
  p.att = take(BT * QD);
  p.att_lse = take(B * c.num_attention_heads * T);
  p.res_attn = take(BT * C);
  if (kept.gate_up) p.ln2 = take(BT * C);
  p.ln2_rstd = take(BT);
  p.gate = take(BT * I);
  p.up = take(BT * I);
  if (kept.down) p.mlp = take(BT * I);
  p.res_out = take(BT * C);
  const int64_t one_layer = cursor;
  p.layer_slice = one_layer;
  p.layer_stride = keep_layers ? one_layer : 0;
  cursor = keep_layers ? one_layer * c.num_hidden_layers : one_layer;
  if (!kept.gate_up) p.ln2 = take(BT * C);
  if (!kept.down) p.mlp = take(BT * I);
  p.embed = take(BT * C);
  p.lnf = take(BT * C);
  p.lnf_rstd = take(BT);
  p.logits_floats = std::max(logits_rows * V, backward_floats);
  p.logits = take(p.logits_floats);
  p.gemm_input = take((BT * std::max({C, I, QD}) + 1) / 2);
  p.total = cursor;
  return p;
}

GradientPlan plan_gradients(const ModelConfig& c, int64_t BT, int64_t chunk_rows, int rank,
                            bool checkpoints, bool dropout) {
  GradientPlan p;
  p.BT = BT;
  p.rank = rank;
  p.checkpoints = checkpoints;
  p.dropout = dropout;
  const int64_t C = c.hidden_size, I = c.intermediate_size, V = c.vocab_size, L = c.num_hidden_layers;
  const int64_t QD = static_cast<int64_t>(c.num_attention_heads) * c.head_dim;
  const int64_t KVD = static_cast<int64_t>(c.num_key_value_heads) * c.head_dim;
  int64_t cursor = 0;
  auto take = [&](int64_t floats) { return take_aligned(cursor, floats); };
  p.dres = take(BT * C);
  // The layer scratch. A layer's backward finishes its MLP (down to dln and dres) before o_proj's,
  // so the MLP's gradients and the attention's are never alive together and share one region;
  // dgate overwrites dmlp (swiglu_backward may run in place).
  int64_t layer = 0;
  auto take_layer = [&](int64_t floats) { return take_aligned(layer, floats); };
  p.dln = take_layer(BT * C);
  const int64_t shared = layer;
  p.dmlp = take_layer(BT * I);
  p.dgate = p.dmlp;
  p.dup = take_layer(BT * I);
  const int64_t mlp_end = layer;
  layer = shared;
  p.dq = take_layer(BT * QD);
  p.dk = take_layer(BT * KVD);
  p.dv = take_layer(BT * KVD);
  p.datt = take_layer(BT * QD);
  p.layer_floats = std::max(layer, mlp_end);
  p.dlnf = take(chunk_rows * C);
  p.lora_scratch = take(lora_backward_scratch_floats(BT, rank, std::max({C, I, QD})));
  p.checkpoints_at = take(checkpoints ? L * BT * C : 0);
  const int64_t widest_input = dropout ? BT * std::max({C, I, QD}) : 0;
  p.dropout_x = take(widest_input);
  p.dropout_dx = take(widest_input);
  p.dropout_keep = take((widest_input + 3) / 4);
  p.grad_bf16 = take((std::max(BT * std::max({C, I, QD}), chunk_rows * V) + 1) / 2);
  p.total = cursor;
  return p;
}

}  // namespace ft
