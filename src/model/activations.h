// The planned activation arena: every intermediate of a forward pass over B×T tokens lives at a
// fixed offset in ONE fp32 buffer, so peak memory is known before step 1. With keep_layers
// (training) each layer has its own slice, as the backward pass needs them; without it
// (inference) all layers share one slice (layer_stride = 0). Offsets are in floats.
// Dimension legend: B batch, T time, C channels, V vocabulary, NH heads, NKV kv heads,
// HD head dim, I intermediate.
#pragma once
#include <algorithm>
#include <cstdint>

#include "model/config.h"

namespace ft {

// The projection inputs a training backward reads only for weight gradients or LoRA branches:
// ln2 (gate/up's input) and mlp (down's). Without training them, each is one buffer every layer
// overwrites instead of a slice per layer: with LoRA on q,v that is (C + I)·B·T floats per layer,
// ~30% of a Llama layer's activations.
struct KeptInputs {
  bool gate_up = true;
  bool down = true;
  friend bool operator==(const KeptInputs&, const KeptInputs&) = default;
};

struct ActivationPlan {
  int64_t B = 0, T = 0;
  bool keep_layers = false;
  KeptInputs kept;
  int64_t logits_rows = 0;   // rows of the logits buffer (B*T for full logits, fewer when chunked)
  int64_t layer_stride = 0;  // floats between consecutive layers' slices
  int64_t layer_slice = 0;   // offsets below this are per layer; the rest are shared
  // Per layer (layer 0's offsets; add l * layer_stride), ln2 and mlp only when kept:
  int64_t ln1 = 0, ln1_rstd = 0;  // [BT,C], [BT]
  int64_t q = 0, k = 0, v = 0;    // [BT,NH*HD], [BT,NKV*HD] ×2, after RoPE
  int64_t att = 0, att_lse = 0;   // [BT,NH*HD], [B,NH,T]
  int64_t res_attn = 0;           // [BT,C] residual after attention
  int64_t ln2 = 0, ln2_rstd = 0;  // [BT,C], [BT]
  int64_t gate = 0, up = 0, mlp = 0;  // [BT,I] ×3 (mlp = silu(gate)*up)
  int64_t res_out = 0;            // [BT,C] layer output
  // Shared:
  int64_t embed = 0;                  // [BT,C]
  int64_t lnf = 0, lnf_rstd = 0;      // [BT,C], [BT]
  // [logits_rows,V]; in a training plan at least backward_floats: the backward pass keeps one
  // layer's gradients here (GradientPlan's layer scratch), after the LM head is done with it.
  int64_t logits = 0, logits_floats = 0;
  int64_t gemm_input = 0;  // bf16 copy of a GEMM input, BT × max(C, I, NH*HD) bf16 values
  int64_t total = 0;       // floats in the arena
};

// Rows of logits computed at once by forward_loss and training: 32 Mi floats (128 MB) whatever
// the vocabulary, 1048 rows at V = 32000. The LM head's GEMMs run with M = these rows; at the old
// 4 Mi floats (131 rows) they ran at half the speed of the other projections
// (docs/performance-gemm.md), and on the widened bf16 path each chunk widens the whole LM head.
inline int64_t loss_chunk_rows(int64_t V, int64_t BT) {
  return std::clamp<int64_t>((int64_t{1} << 25) / V, 1, BT);
}

ActivationPlan plan_activations(const ModelConfig& config, int64_t B, int64_t T, bool keep_layers,
                                int64_t logits_rows, KeptInputs kept = {},
                                int64_t backward_floats = 0);

// The training-only buffers, in a second fp32 arena: the residual stream's gradient, the LM head's
// chunk gradients, LoRA's backward scratch, with gradient checkpointing each layer's input, and
// with LoRA dropout one projection's dropped input, its gradient and its keep mask (regenerated,
// never kept per layer). One layer's gradients (shared by all layers, as the backward pass visits
// one layer at a time) are offsets into a layer scratch of layer_floats, which lives in the
// activation arena's logits region: the layers' backward starts after the LM head's.
struct GradientPlan {
  int64_t BT = 0;
  int rank = 0;
  bool checkpoints = false;
  bool dropout = false;
  int64_t dres = 0;                         // [BT,C]
  // In the layer scratch:
  int64_t dln = 0;                           // [BT,C]
  int64_t dq = 0, dk = 0, dv = 0, datt = 0;  // [BT,NH*HD], [BT,NKV*HD] ×2, [BT,NH*HD]
  int64_t dgate = 0, dup = 0, dmlp = 0;      // [BT,I]; dgate = dmlp; over the attention's
  int64_t layer_floats = 0;
  int64_t dlnf = 0;                         // [chunk,C]
  int64_t lora_scratch = 0;                 // lora_backward_scratch_floats(BT, r, widest)
  int64_t checkpoints_at = 0;               // [L,BT,C] when checkpointing
  int64_t dropout_x = 0, dropout_dx = 0;    // [BT,max(C,I,NH*HD)] ×2 with dropout
  int64_t dropout_keep = 0;                 // as many bytes, with dropout
  int64_t grad_bf16 = 0;                    // bf16 copy of a gradient GEMM input
  int64_t total = 0;
};

GradientPlan plan_gradients(const ModelConfig& config, int64_t BT, int64_t chunk_rows, int rank,
                            bool checkpoints, bool dropout = false);

}  // namespace ft
