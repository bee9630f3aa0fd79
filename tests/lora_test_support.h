// Helpers for the adapter, merge and HF-writer tests: adapters with random non-zero A and B (so a
// merge or a lost tensor changes the logits), a logits snapshot, and the largest difference.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "core/rng.h"
#include "model/lora.h"
#include "model/model.h"

namespace ft::test {

inline void randomise_lora(LoraWeights& lora, uint64_t seed, float scale) {
  const Rng rng(seed, RngStream::kTest);
  auto v = lora.values();
  for (size_t i = 0; i < v.size(); ++i) v[i] = scale * (2.0f * rng.uniform(i) - 1.0f);
}

inline std::vector<int> token_ids(int64_t n, int vocab, uint64_t seed) {
  const Rng rng(seed, RngStream::kTest);
  std::vector<int> ids;
  for (int64_t i = 0; i < n; ++i)
    ids.push_back(static_cast<int>(rng.below(static_cast<uint32_t>(vocab), static_cast<uint64_t>(i))));
  return ids;
}

inline std::vector<float> logits_of(Model& model, const std::vector<int>& ids, int64_t B, int64_t T) {
  const auto out = model.forward(ids, B, T);
  return {out.begin(), out.end()};
}

inline double max_abs_diff(std::span<const float> a, std::span<const float> b) {
  double m = a.size() == b.size() ? 0.0 : INFINITY;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    m = std::max(m, static_cast<double>(std::fabs(a[i] - b[i])));
  return m;
}

}  // namespace ft::test
