#include "core/rng.h"

namespace ft {
namespace {

constexpr uint32_t kMul0 = 0xD2511F53, kMul1 = 0xCD9E8D57;
constexpr uint32_t kWeyl0 = 0x9E3779B9, kWeyl1 = 0xBB67AE85;

inline uint32_t mulhi(uint32_t a, uint32_t b) {
  return static_cast<uint32_t>((uint64_t{a} * b) >> 32);
}

}  // namespace

std::array<uint32_t, 4> philox4x32_10(std::array<uint32_t, 4> c, std::array<uint32_t, 2> k) {
  for (int round = 0; round < 10; ++round) {
    const uint32_t hi0 = mulhi(kMul0, c[0]), lo0 = kMul0 * c[0];
    const uint32_t hi1 = mulhi(kMul1, c[2]), lo1 = kMul1 * c[2];
    c = {hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0};
    k[0] += kWeyl0;
    k[1] += kWeyl1;
  }
  return c;
}

uint32_t Rng::u32(uint64_t index) const {
  const uint64_t block = index >> 2;
  const auto words = philox4x32_10(
      {static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32),
       static_cast<uint32_t>(stream_), static_cast<uint32_t>(stream_ >> 32)},
      {static_cast<uint32_t>(seed_), static_cast<uint32_t>(seed_ >> 32)});
  return words[index & 3];
}

uint32_t Rng::below(uint32_t n, uint64_t index) const {
  uint64_t m = uint64_t{u32(index)} * n;
  if (static_cast<uint32_t>(m) < n) {
    const uint32_t threshold = (0u - n) % n;
    const Rng retry(seed_ ^ index, stream_ | (uint64_t{1} << 63));
    for (uint64_t i = 0; static_cast<uint32_t>(m) < threshold; ++i) m = uint64_t{retry.u32(i)} * n;
  }
  return static_cast<uint32_t>(m >> 32);
}

}  // namespace ft
