// Counter-based random numbers (Philox4x32-10, Salmon et al. 2011): every value is a pure function
// of (seed, stream, index), with no hidden state, so any draw can be recomputed out of order and a
// resumed run replays exactly. Streams separate the uses (LoRA init, dropout, shuffling) so that
// adding draws to one never shifts another.
#pragma once
#include <array>
#include <cstdint>

namespace ft {

// One Philox4x32-10 block: 4 random words from a 128-bit counter and a 64-bit key.
std::array<uint32_t, 4> philox4x32_10(std::array<uint32_t, 4> counter, std::array<uint32_t, 2> key);

enum class RngStream : uint64_t {
  kLoraInit = 1, kDropout = 2, kShuffle = 3, kSampling = 4, kModelInit = 5, kBenchmark = 6, kTest = 99
};

class Rng {
 public:
  Rng(uint64_t seed, RngStream stream) : Rng(seed, static_cast<uint64_t>(stream)) {}
  Rng(uint64_t seed, uint64_t stream) : seed_(seed), stream_(stream) {}

  // The index-th 32-bit word of this stream.
  uint32_t u32(uint64_t index) const;
  // Uniform in [0, 1) with 24 random bits (exactly representable as float).
  float uniform(uint64_t index) const { return static_cast<float>(u32(index) >> 8) * 0x1p-24f; }
  // Uniform integer in [0, n), n < 2^32, without modulo bias (Lemire's multiply-shift, retrying
  // on the rare rejected draw with the next word of a sub-stream keyed by index).
  uint32_t below(uint32_t n, uint64_t index) const;

 private:
  uint64_t seed_, stream_;
};

}  // namespace ft
