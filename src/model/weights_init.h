// Fresh weights for a model trained from scratch (`finetune init`), as transformers'
// LlamaPreTrainedModel._init_weights draws them: every matrix (embeddings, projections, lm_head)
// from N(0, initializer_range²), norm weights 1, biases 0. Values come from the counter RNG
// (stream kModelInit), so a seed gives the same model on every machine.
#pragma once
#include <cstdint>

#include "model/config.h"
#include "model/weights.h"

namespace ft {

// `weights` must be F32 (allocate_weights(config, DType::F32)).
void init_weights(ModelWeights& weights, const ModelConfig& config, double initializer_range, uint64_t seed);

}  // namespace ft
