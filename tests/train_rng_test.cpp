#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/rng.h"

namespace ft {
namespace {

// Known-answer vectors of Random123's kat_vectors for philox4x32_10.
TEST(TrainRng, PhiloxMatchesRandom123KnownAnswers) {
  EXPECT_EQ(philox4x32_10({0, 0, 0, 0}, {0, 0}),
            (std::array<uint32_t, 4>{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
  EXPECT_EQ(philox4x32_10({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff}),
            (std::array<uint32_t, 4>{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
  EXPECT_EQ(philox4x32_10({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0}),
            (std::array<uint32_t, 4>{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
}

TEST(TrainRng, ValuesArePureFunctionsOfSeedStreamIndex) {
  const Rng a(42, RngStream::kDropout), b(42, RngStream::kDropout);
  const Rng other_stream(42, RngStream::kShuffle), other_seed(43, RngStream::kDropout);
  int same_stream = 0, same_seed = 0;
  for (uint64_t i = 0; i < 64; ++i) {
    EXPECT_EQ(a.u32(i), b.u32(i));
    same_stream += a.u32(i) == other_stream.u32(i);
    same_seed += a.u32(i) == other_seed.u32(i);
  }
  EXPECT_LT(same_stream, 2);
  EXPECT_LT(same_seed, 2);
  EXPECT_EQ(a.u32(1000), b.u32(1000));  // out of order: no hidden state
}

TEST(TrainRng, UniformAndBelowAreInRangeAndRoughlyFlat) {
  const Rng rng(7, RngStream::kTest);
  const int n = 20000;
  double sum = 0;
  std::vector<int> counts(10, 0);
  for (int i = 0; i < n; ++i) {
    const float u = rng.uniform(static_cast<uint64_t>(i));
    ASSERT_GE(u, 0.0f);
    ASSERT_LT(u, 1.0f);
    sum += u;
    const uint32_t k = rng.below(10, static_cast<uint64_t>(i));
    ASSERT_LT(k, 10u);
    ++counts[k];
  }
  EXPECT_NEAR(sum / n, 0.5, 0.01);
  for (int c : counts) EXPECT_NEAR(c, n / 10, 250);
  EXPECT_EQ(rng.below(1, 5), 0u);
}

}  // namespace
}  // namespace ft
