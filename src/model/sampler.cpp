#include "model/sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "core/rng.h"

namespace ft {
namespace {

int argmax(std::span<const float> logits) {
  return static_cast<int>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

}  // namespace

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
  const double r = Rng(params.seed, RngStream::kSampling).uniform(step) * kept_mass;
  double cumulative = 0.0;
  for (size_t i = 0; i < keep; ++i) {
    cumulative += probs[order[i]];
    if (r < cumulative) return order[i];
  }
  return order[keep - 1];
}

}  // namespace ft
