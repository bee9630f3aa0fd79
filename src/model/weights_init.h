// Fresh weights for a model trained from scratch (`finetune init`), as transformers'
// LlamaPreTrainedModel._init_weights draws them: every matrix (embeddings, projections, lm_head)
// from N(0, initializer_range²), norm weights 1, biases 0. Values come from the counter RNG
// (stream kModelInit), so a seed gives the same model on every machine. Also cheap stand-in
// weights for speed measurements.
#pragma once
#include <cstdint>

#include "model/config.h"
#include "model/weights.h"

namespace ft {

// `weights` must be F32 (allocate_weights(config, DType::F32)).
void init_weights(ModelWeights& weights, const ModelConfig& config, double initializer_range, uint64_t seed);

// Weights for timing a training step (bench_train_step, `finetune bench`), where only the shapes
// matter and the set-up must not outlast the steps: matrices uniform in ±0.02 from a hash of the
// element index, norm weights and biases 1, written straight into `dtype` (no fp32 copy of a bf16
// model, so the peak RSS is the training step's own).
ModelWeights benchmark_weights(const ModelConfig& config, DType dtype);

}  // namespace ft
