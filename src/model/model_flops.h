// Model FLOPs of one training step per token: the multiply-adds (2 FLOPs each) the step must do,
// as issue #9 counts them (docs/performance.md). A LoRA step runs every frozen projection and the
// LM head forward and for its input gradient (4 per weight) and each adapter forward, for its
// input gradient and for its two weight gradients (6 per weight); full fine-tuning runs every
// projection and the LM head all three ways (6 per weight). Causal attention's two T×T products
// over T/2 keys on average run once forward and twice backward. Work nothing needs is not counted,
// as the backward pass skips it (Model::layer_backward): below the lowest adapted layer no
// gradient is wanted, so a LoRA step's first layer has no q/k/v input gradients, and with only MLP
// adapters not even its attention backward. The LM head runs on the `trained_fraction` of rows
// whose label counts.
#pragma once
#include <cstdint>

#include "model/config.h"
#include "model/lora.h"

namespace ft {

// lora: the adapters of a LoRA step (the same targets in every layer); null: full fine-tuning.
double training_flops_per_token(const ModelConfig& c, const LoraConfig* lora, int64_t T,
                                double trained_fraction = 1.0);

}  // namespace ft
