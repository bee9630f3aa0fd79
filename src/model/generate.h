// Autoregressive generation with a KV cache: the prompt is run once (prefill), then one token per
// step. Stops at any id in `stop_ids` (not emitted), after max_new_tokens, or when the context
// (max_position_embeddings) is full.
#pragma once
#include <functional>
#include <span>
#include <vector>

#include "model/model.h"
#include "model/sampler.h"

namespace ft {

struct GenerationOptions {
  int max_new_tokens = 128;
  SamplingParams sampling;
  std::vector<int> stop_ids;  // EOS ids, BOS (stories260k ends a story with it), user stop ids
};

enum class StopReason { StopToken, MaxNewTokens, ContextFull };

struct GenerationResult {
  std::vector<int> tokens;  // generated ids, without the prompt and the stop token
  StopReason reason = StopReason::MaxNewTokens;
};

// on_token, when given, sees each generated id as soon as it is chosen (for streaming).
GenerationResult generate(Model& model, std::span<const int> prompt, const GenerationOptions& options,
                          const std::function<void(int)>& on_token = {});

}  // namespace ft
