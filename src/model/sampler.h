// Next-token choice from fp32 logits [V]: greedy (argmax, first of ties) when temperature is 0;
// otherwise softmax(logits / temperature) cut to the smallest top set whose mass reaches top_p
// (HF TopPLogitsWarper), sampled with core/rng.h's Philox draw number s of the sampling stream:
// it depends only on (seed, s), so the same seed gives the same text and a resumed run replays exactly.
#pragma once
#include <cstdint>
#include <span>

namespace ft {

struct SamplingParams {
  float temperature = 0.0f;
  float top_p = 1.0f;
  uint64_t seed = 42;
};

int sample_token(std::span<const float> logits, const SamplingParams& params, uint64_t step);

}  // namespace ft
