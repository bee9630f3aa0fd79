#include "model/generate.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace ft {

GenerationResult generate(Model& model, std::span<const int> prompt, const GenerationOptions& options,
                          const std::function<void(int)>& on_token) {
  const int64_t context = model.config().max_position_embeddings;
  const auto prompt_len = static_cast<int64_t>(prompt.size());
  if (prompt_len == 0) fail_usage("the prompt encodes to no tokens; give a non-empty --prompt");
  if (prompt_len >= context)
    fail_usage("the prompt is " + std::to_string(prompt_len) + " tokens; the model's context is " +
               std::to_string(context));
  const int64_t capacity = std::min(context, prompt_len + std::max(options.max_new_tokens, 0));
  KvCache cache = model.new_cache(1, capacity);
  GenerationResult result;
  if (options.max_new_tokens <= 0) return result;
  std::span<const float> logits = model.forward_cached(cache, prompt, 1, prompt_len);
  for (;;) {
    // NaN logits pick token 0 or a stop id: generation ended silently with nothing printed.
    if (!std::all_of(logits.begin(), logits.end(), [](float x) { return std::isfinite(x); }))
      throw Error(kExitBadInput, "the model computed NaN or infinite logits at generated token " +
                                     std::to_string(result.tokens.size() + 1) +
                                     ": its weights (or the adapter's) hold NaN/Inf or overflow");
    const int token = sample_token(logits, options.sampling, result.tokens.size());
    if (std::find(options.stop_ids.begin(), options.stop_ids.end(), token) != options.stop_ids.end()) {
      result.reason = StopReason::StopToken;
      break;
    }
    result.tokens.push_back(token);
    if (on_token) on_token(token);
    if (static_cast<int>(result.tokens.size()) >= options.max_new_tokens) {
      result.reason = StopReason::MaxNewTokens;
      break;
    }
    // The cache is sized to max_new_tokens, so only the model's context can fill it.
    if (cache.length() >= cache.capacity()) {
      result.reason = StopReason::ContextFull;
      break;
    }
    const int next[1] = {token};
    logits = model.forward_cached(cache, next, 1, 1);
  }
  return result;
}

}  // namespace ft
