// Memory a fine-tune of a model would need, from its config alone, so `finetune inspect` can say
// whether a job fits before it starts. Weights and optimizer state are counted exactly; activations
// come from the same plan the trainer allocates (plan_activations with every layer kept for the
// backward pass) plus one layer's slice again for gradients flowing back through it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "model/config.h"

namespace ft {

struct MemoryEstimate {
  int64_t weights = 0;     // frozen or master weights
  int64_t trainable = 0;   // trainable parameter count
  int64_t optimizer = 0;   // fp32 grads + AdamW m and v of the trainable parameters (+ fp32 master)
  int64_t activations = 0;
  int64_t total() const { return weights + optimizer + activations; }
};

// LoRA of rank r on the named projections (e.g. {"q_proj","v_proj"}), base weights in bf16.
MemoryEstimate estimate_lora(const ModelConfig& config, int rank,
                             const std::vector<std::string>& targets, int64_t B, int64_t T);
// Every weight trainable: fp32 master weights, fp32 grads, AdamW m and v.
MemoryEstimate estimate_full(const ModelConfig& config, int64_t B, int64_t T);

}  // namespace ft
