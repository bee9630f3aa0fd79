// The memory a training process holds at its peak, planned before step 1 from the model config and
// the flags that size it. Every model-side term is the size of a buffer the engine allocates
// (weights, adapters or master weights, gradients, AdamW moments, the activation arena, LoRA's
// saved products, the gradient arena), computed by the same plan functions the allocations use;
// the process baseline and the tokenized data are measured by the caller and added.
// `finetune train --dry_run` and `finetune inspect --train` print this one plan, and
// tests/train_memory_test.cpp checks a run's measured peak RSS against it.
#pragma once
#include <cstdint>

#include "kernels/gemm.h"
#include "model/config.h"
#include "model/lora.h"

namespace ft {

struct TrainShape {
  int64_t batch = 1;            // micro-batch rows per process
  int64_t seq = 512;            // tokens per row (the longest padded sequence)
  int64_t eval_batch = 0;       // evaluation rows (0: no evaluation)
  bool train = true;            // false: evaluation only
  bool bf16 = false;
  bool use_lora = true;         // false: full fine-tuning
  LoraConfig lora;              // rank, targets and dropout when use_lora
  bool gradient_checkpointing = false;
};

struct MemoryPlan {
  int64_t trainable_params = 0;
  // Bytes:
  int64_t weights = 0;             // the model in its compute dtype (norms and biases fp32)
  int64_t trainable_state = 0;     // fp32 LoRA values or full-FT master copy (bf16), AdamW m and v
  int64_t gradients = 0;           // fp32 gradients of the trainable parameters
  int64_t activation_arena = 0;    // forward activations kept for backward, without the logits
  int64_t logits_chunk = 0;        // the fused LM head's rows of logits, later one layer's gradients
  int64_t lora_products = 0;       // s·x·Aᵀ of every adapted projection, kept for backward
  int64_t gradient_arena = 0;      // residual gradient, checkpoints, dropout and bf16 scratch
  int64_t gemm_scratch = 0;        // GEMM engine buffers (widened or AMX-packed bf16 operands)
  int64_t data = 0;                // tokenizer and tokenized dataset (measured by the caller)
  int64_t baseline = 0;            // process RSS before loading (measured by the caller)

  int64_t model_side() const {
    return weights + trainable_state + gradients + activation_arena + logits_chunk + lora_products +
           gradient_arena + gemm_scratch;
  }
  int64_t total() const { return model_side() + data + baseline; }
};

MemoryPlan plan_training_memory(const ModelConfig& config, const TrainShape& shape);
// The GEMM engine's own buffers for a step of `rows` rows with LM-head chunks of `chunk` rows, when
// bf16 GEMMs run on `bf16_engine` (the plan passes gemm_bf16_engine(); exposed for tests).
int64_t gemm_scratch_bytes(const ModelConfig& config, const TrainShape& shape, int64_t rows, int64_t chunk,
                           GemmEngine bf16_engine);

// Resident bytes of this process now (VmRSS), after one mid-sized multiply in the run's dtype has
// started the GEMM library's threads, JIT and packing buffers, as a training run has by its first
// step: the baseline.
int64_t measure_runtime_baseline(bool bf16);

}  // namespace ft
