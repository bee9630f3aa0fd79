#include "model/lora_dropout.h"

#include <array>
#include <cmath>

#include "core/rng.h"

namespace ft {
namespace {

uint64_t splitmix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

void LoraDropout::mask(uint8_t* keep, int64_t n, int layer, LoraTarget module) const {
  // One stream per (key, layer, module), derived by hashing; the kDropout tag keeps these streams
  // apart from every other use of the seed. Words are Rng(seed, stream).u32(i), drawn a whole
  // Philox block at a time.
  const uint64_t slot = uint64_t(layer) * kLoraTargetCount + uint64_t(module);
  const uint64_t stream = splitmix64(splitmix64(key) ^ splitmix64(
      (static_cast<uint64_t>(RngStream::kDropout) << 48) ^ slot));
  const auto threshold = static_cast<uint32_t>(std::lround(p * 65536.0));
  const std::array<uint32_t, 2> philox_key = {static_cast<uint32_t>(seed),
                                              static_cast<uint32_t>(seed >> 32)};
  const int64_t blocks = (n + 7) / 8;  // 8 elements of 16 bits per 128-bit block
#pragma omp parallel for schedule(static) if (blocks > 4096)
  for (int64_t b = 0; b < blocks; ++b) {
    const auto words = philox4x32_10(
        {static_cast<uint32_t>(b), static_cast<uint32_t>(uint64_t(b) >> 32),
         static_cast<uint32_t>(stream), static_cast<uint32_t>(stream >> 32)},
        philox_key);
    const int64_t first = b * 8;
    for (int64_t j = 0; j < 8 && first + j < n; ++j) {
      const uint32_t bits = (words[static_cast<size_t>(j / 2)] >> (16 * (j % 2))) & 0xFFFFu;
      keep[first + j] = bits >= threshold;
    }
  }
}

void apply_dropout(float* y, const float* x, const uint8_t* keep, float scale, int64_t n,
                   bool accumulate) {
  if (accumulate) {
#pragma omp parallel for simd schedule(static) if (n > (1 << 16))
    for (int64_t i = 0; i < n; ++i) y[i] += keep[i] ? scale * x[i] : 0.0f;
  } else {
#pragma omp parallel for simd schedule(static) if (n > (1 << 16))
    for (int64_t i = 0; i < n; ++i) y[i] = keep[i] ? scale * x[i] : 0.0f;
  }
}

}  // namespace ft
