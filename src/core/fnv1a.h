// FNV-1a, a fast non-cryptographic 64-bit hash for identity checks that are not security
// boundaries: is the data a checkpoint was trained on the data of this run, do all ranks hold the
// same parameters. Chain calls by passing the previous result as `h`.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>

namespace ft {

inline constexpr uint64_t kFnv1aOffset = 1469598103934665603ull;

inline uint64_t fnv1a(std::span<const std::byte> bytes, uint64_t h = kFnv1aOffset) {
  for (const std::byte b : bytes) h = (h ^ uint64_t(b)) * 1099511628211ull;
  return h;
}

}  // namespace ft
