// A Llama-family decoder (Llama, Mistral, Qwen2) with an explicit forward pass over planned
// buffers: load(dir, dtype) → forward(ids, B, T) → logits, forward_loss → per-token losses, and
// forward_cached for KV-cache decoding; forward_backward trains attached LoRA adapters.
// Ids are row-major [B,T] (row b*T+t). Positions default to 0..T−1 per row (past..past+T−1 with a
// cache). Packed documents (the collator's kDocument rows) pass positions restarting at 0 per
// document and segments [B,T]: each document's index in its row, −1 for padding; attention then
// stays inside each document, so every document computes exactly what it would alone. Each
// segment id must be one run of its row, ids increasing along the row (std::invalid_argument
// otherwise). Empty segments = one document per row.
// Returned spans point into the model's activation arena and are valid until the next call.
#pragma once
#include <functional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/buffer.h"
#include "core/dtype.h"
#include "model/activations.h"
#include "model/config.h"
#include "model/kv_cache.h"
#include "model/lora.h"
#include "model/lora_dropout.h"
#include "model/weights.h"

namespace ft {

class Model {
 public:
  Model(ModelConfig config, ModelWeights weights);
  // Reads config.json and the safetensors of a HF model directory; weights become `dtype`
  // (F32, or BF16 for --bf16). Bad files are ft::Error naming the file (exit 2).
  static Model load(const std::string& dir, DType dtype = DType::F32);

  const ModelConfig& config() const { return config_; }
  DType dtype() const { return weights_.dtype; }
  ModelWeights& weights() { return weights_; }
  const ModelWeights& weights() const { return weights_; }
  const ActivationPlan& plan() const { return plan_; }

  // Sizes the activation arena before the first step; calls needing more grow it (the arenas
  // never shrink: a smaller batch reuses them).
  void plan(int64_t B, int64_t T, bool keep_layers = false, int64_t logits_rows = 0);

  // Logits [B*T, V].
  std::span<const float> forward(std::span<const int> ids, int64_t B, int64_t T,
                                 std::span<const int> positions = {},
                                 std::span<const int> segments = {});

  // targets[b*T+t] is the token expected after position t (HF labels shifted left by one), or
  // kIgnoreIndex (−100). Writes per-token losses [B*T] (0 where ignored) and returns their mean
  // over counted tokens (0 when none). Logits are computed in row chunks, never all at once.
  float forward_loss(std::span<const int> ids, std::span<const int> targets, int64_t B, int64_t T,
                     std::span<float> losses, std::span<const int> positions = {},
                     std::span<const int> segments = {});

  // Appends T tokens per batch row to `cache` and returns the last position's logits [B, V].
  std::span<const float> forward_cached(KvCache& cache, std::span<const int> ids, int64_t B,
                                        int64_t T);
  KvCache new_cache(int64_t B, int64_t capacity) const { return KvCache(config_, B, capacity); }

  // Training (model_train.cpp). LoRA adapters, not owned, are applied after their projections
  // in every forward pass while attached (nullptr detaches).
  void attach_lora(LoraWeights* lora);
  // Full fine-tuning: fp32 gradients of every weight (allocate_weights(config, F32), zeroed by
  // the caller) are ADDED by forward_backward while attached (nullptr detaches).
  void attach_full_grads(ModelWeights* grads);
  // Keep only each layer's input and recompute the layer in the backward pass.
  void set_gradient_checkpointing(bool on) { checkpointing_ = on; }
  // Called by forward_backward as the backward pass finishes parts of the gradients: with L
  // (num_hidden_layers) once the final norm and LM head are done, then with l after layer l, and
  // with −1 after the embedding (everything). Data parallelism starts all-reducing from it.
  void set_backward_progress(std::function<void(int layer)> hook) { backward_progress_ = std::move(hook); }
  // Allocates the activation and gradient arenas for training micro-batches of up to B×T tokens
  // (after attaching adapters and choosing checkpointing), so memory peaks before step 1 and
  // no later batch reallocates.
  void reserve_training(int64_t B, int64_t T);
  struct LossSum {
    double sum = 0;  // Σ token losses
    int64_t counted = 0;
  };
  // LoRA dropout (LoraConfig::dropout > 0, training only): the masks of the next forward_backward
  // are a pure function of (seed, key, layer, module, element), so a resumed run replays them.
  // Call before every forward_backward with a key unique to that micro-batch (the trainer
  // combines global step, micro-batch index and rank).
  void set_dropout_key(uint64_t seed, uint64_t key) {
    dropout_seed_ = seed;
    dropout_key_ = key;
  }
  // Forward and backward of one micro-batch (targets as for forward_loss): ADDS the gradient of
  // grad_scale · Σ token losses to the attached adapters' (or full) gradients.
  LossSum forward_backward(std::span<const int> ids, std::span<const int> targets, int64_t B,
                           int64_t T, float grad_scale, std::span<const int> positions = {},
                           std::span<const int> segments = {});

 private:
  float* act(int64_t offset, int layer = 0) {
    return arena_.data() + offset + (offset < plan_.layer_slice ? layer * plan_.layer_stride : 0);
  }
  void ensure_plan(int64_t B, int64_t T, int64_t logits_rows);
  static void fit(Buffer<float>& buffer, int64_t floats);  // grows to hold `floats`, never shrinks
  void check_ids(std::span<const int> ids, int64_t n, const char* what) const;
  void set_positions(std::span<const int> positions, int64_t B, int64_t T, int64_t past);
  void set_segments(std::span<const int> segments, int64_t B, int64_t T);
  const int32_t* segments() const { return segments_.empty() ? nullptr : segments_.data(); }
  // Runs embedding and all layers; leaves the last layer's output at res_out(L−1).
  void run_layers(std::span<const int> ids, int64_t B, int64_t T, KvCache* cache);
  const float* final_hidden();
  // Final norm of `rows` rows of `hidden` into lnf, then lm_head into logits.
  void head(const float* hidden, int64_t rows, int64_t hidden_stride);
  // The same for the listed rows of `hidden` (C floats apart), into rows 0..n of lnf and logits.
  void head(const float* hidden, std::span<const int64_t> rows);
  void head_logits(int64_t rows);  // logits = lnf·lm_headᵀ for the first `rows` rows
  const void* gemm_input(const float* x, int64_t n);
  void layer_forward(int l, const float* in, int64_t B, int64_t T, KvCache* cache);
  // y (+)= x·Wᵀ + bias, plus the LoRA branch of (layer l, module t) when one is attached; x is
  // the fp32 input, x_gemm its GEMM-dtype copy.
  void project(int l, LoraTarget t, float* y, const float* x, const void* x_gemm, const void* w,
               const float* bias, int64_t M, int64_t K, int64_t N, bool accumulate = false);
  // Training helpers (model_train.cpp).
  void plan_training(int64_t B, int64_t T);
  float* lora_su(int l, LoraTarget t);
  const void* gemm_grad(const float* dy, int64_t n);
  // The LoRA branch's input of (layer l, module t): x, or its dropped copy while training with
  // dropout (the keep mask stays in the gradient arena until the next call).
  const float* lora_input(int l, LoraTarget t, const float* x, int64_t n);
  LoraDropout lora_dropout() const {
    return {lora_->config().dropout, dropout_seed_, dropout_key_};
  }
  // Gradients of projection t from dy: its trained tensors', and dx (the input's) only when
  // `input_grad`; dx may then be null.
  void project_backward(int l, LoraTarget t, float* dx, const float* dy, const float* x,
                        const void* w, int64_t M, int64_t K, int64_t N, bool accumulate,
                        bool input_grad);
  // The lowest layer holding a trained tensor, −1 when the embedding is trained (full
  // fine-tuning). No gradient needs to reach below it, so the backward pass stops there.
  int lowest_trained_layer() const;
  // The projection inputs the backward pass must keep per layer (model/activations.h).
  KeptInputs kept_inputs() const;
  bool trains(int l, LoraTarget t) const { return lora_ && lora_->module(l, t).active(); }
  void layer_backward(int l, const float* in, float* dres, int64_t B, int64_t T, bool input_grad);

  ModelConfig config_;
  ModelWeights weights_;
  std::vector<float> inv_freq_;
  ActivationPlan plan_;
  Buffer<float> arena_;
  std::vector<int> positions_;
  std::vector<int32_t> segments_;  // [B,T] of the current call, empty when not packed
  LoraWeights* lora_ = nullptr;
  ModelWeights* full_grads_ = nullptr;
  Buffer<float> lora_su_;  // s·x·Aᵀ of every adapted projection [L,7,BT,r], kept for backward
  bool checkpointing_ = false;
  std::function<void(int layer)> backward_progress_;
  uint64_t dropout_seed_ = 0, dropout_key_ = 0;
  bool dropout_on_ = false;  // only inside forward_backward
  GradientPlan gplan_;
  Buffer<float> grad_arena_;  // gradients and LoRA intermediates (training only)
};

}  // namespace ft
