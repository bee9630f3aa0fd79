#include "model/sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace ft {
namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

int argmax(std::span<const float> logits) {
  return static_cast<int>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

}  // namespace

float counter_uniform(uint64_t seed, uint64_t counter) {
  const uint64_t bits = splitmix64(splitmix64(seed) ^ counter);
  return static_cast<float>(bits >> 40) * 0x1.0p-24f;
}

int sample_token(std::span<const float> logits, const SamplingParams& params, uint64_t step) {
  if (params.temperature <= 0.0f) return argmax(logits);
  const float mx = *std::max_element(logits.begin(), logits.end());
  std::vector<float> probs(logits.size());
  double sum = 0.0;
  for (size_t i = 0; i < logits.size(); ++i) {
    probs[i] = std::exp((logits[i] - mx) / params.temperature);
    sum += probs[i];
  }
  std::vector<int> order(logits.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return probs[a] > probs[b]; });
  // Keep the top tokens until their mass reaches top_p (at least one).
  size_t keep = 0;
  double kept_mass = 0.0;
  const double target = static_cast<double>(std::clamp(params.top_p, 0.0f, 1.0f)) * sum;
  while (keep < order.size() && (keep == 0 || kept_mass < target)) kept_mass += probs[order[keep++]];
  const double r = counter_uniform(params.seed, step) * kept_mass;
  double cumulative = 0.0;
  for (size_t i = 0; i < keep; ++i) {
    cumulative += probs[order[i]];
    if (r < cumulative) return order[i];
  }
  return order[keep - 1];
}

}  // namespace ft
