// Random inputs for the attention kernel tests (kernels_attention_test, kernels_attention_tiles_test).
#pragma once
#include <cstdint>
#include <random>
#include <vector>

namespace ft::test {

// n draws of N(0, sigma²) from a fixed seed.
inline std::vector<float> random_normal(size_t n, uint32_t seed, float sigma = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0.0f, sigma);
  std::vector<float> v(n);
  for (auto& x : v) x = g(rng);
  return v;
}

}  // namespace ft::test
