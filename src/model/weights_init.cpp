#include "model/weights_init.h"

#include <cmath>
#include <numbers>
#include <stdexcept>

#include "core/half.h"
#include "core/rng.h"

namespace ft {

void init_weights(ModelWeights& weights, const ModelConfig& config, double initializer_range, uint64_t seed) {
  if (weights.dtype != DType::F32) throw std::invalid_argument("init_weights: weights must be F32");
  const Rng rng(seed, RngStream::kModelInit);
  uint64_t draw = 0;  // one running index over all tensors, so each gets its own draws
  for (const WeightSpec& spec : weight_specs(config)) {
    int64_t n = 1;
    for (int64_t d : spec.shape) n *= d;
    auto* p = static_cast<float*>(weight_pointer(weights, config, spec));
    if (spec.is_vector) {
      const bool norm = spec.name.find("norm") != std::string::npos;
      for (int64_t i = 0; i < n; ++i) p[i] = norm ? 1.0f : 0.0f;
      continue;
    }
    for (int64_t i = 0; i < n; ++i, draw += 2) {
      // Box-Muller on two uniforms; 1 - u keeps the logarithm's argument in (0, 1].
      const double u1 = 1.0 - double(rng.uniform(draw)), u2 = double(rng.uniform(draw + 1));
      p[i] = static_cast<float>(initializer_range * std::sqrt(-2.0 * std::log(u1)) *
                                std::cos(2.0 * std::numbers::pi * u2));
    }
  }
}

ModelWeights benchmark_weights(const ModelConfig& config, DType dtype) {
  ModelWeights w = allocate_weights(config, dtype);
  uint64_t salt = 0;
  for (const WeightSpec& spec : weight_specs(config)) {
    int64_t n = 1;
    for (int64_t d : spec.shape) n *= d;
    void* p = weight_pointer(w, config, spec);
    salt += 0x9e3779b97f4a7c15ull;
    const bool narrow = !spec.is_vector && dtype == DType::BF16;
    // A splitmix64 finaliser: Philox draws took longer than a benchmark's steps.
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; ++i) {
      uint64_t z = salt + uint64_t(i) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 31)) * 0x94d049bb133111ebull;
      const float u = float(z >> 40) * 0x1p-24f;
      const float x = spec.is_vector ? 1.0f : 0.04f * (u - 0.5f);
      if (narrow) static_cast<bf16*>(p)[i] = f32_to_bf16(x);
      else static_cast<float*>(p)[i] = x;
    }
  }
  return w;
}

}  // namespace ft
