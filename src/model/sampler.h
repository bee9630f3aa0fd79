// Next-token choice from fp32 logits [V]: greedy (argmax, first of ties) when temperature is 0;
// otherwise softmax(logits / temperature) cut to the smallest top set whose mass reaches top_p
// (HF TopPLogitsWarper), sampled with a counter-based random number: the draw for step s depends
// only on (seed, s), so the same seed gives the same text and a resumed run replays exactly.
#pragma once
#include <cstdint>
#include <span>

namespace ft {

struct SamplingParams {
  float temperature = 0.0f;
  float top_p = 1.0f;
  uint64_t seed = 42;
};

// A uniform number in [0, 1) from (seed, counter): splitmix64 of both, 24 mantissa bits.
float counter_uniform(uint64_t seed, uint64_t counter);

int sample_token(std::span<const float> logits, const SamplingParams& params, uint64_t step);

}  // namespace ft
