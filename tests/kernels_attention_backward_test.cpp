// attention_backward's two schedules (one pass per kv head; key tiles then query blocks) give the
// same bits on shapes with grouped heads, partial tiles, sliding windows and packed documents; and
// the automatic choice takes two passes only where one pass would leave threads idle.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "attention_test_support.h"
#include "kernels/attention.h"

namespace ft {
namespace {

using test::random_normal;

struct Gradients {
  std::vector<float> dq, dk, dv;
};

Gradients backward_with(AttentionBackwardSchedule schedule, const AttentionShape& s,
                        const int32_t* segments) {
  const auto q = random_normal(s.B * s.T * s.NH * s.HD, 21), dout = random_normal(q.size(), 22);
  const auto k = random_normal(s.B * s.T * s.NKV * s.HD, 23), v = random_normal(k.size(), 24);
  std::vector<float> out(q.size()), lse(s.B * s.NH * s.T);
  attention_forward(out.data(), lse.data(), q.data(), k.data(), v.data(), s, segments);
  // Stale values, so a gradient element a schedule forgets to write shows.
  Gradients g{std::vector<float>(q.size(), 7.0f), std::vector<float>(k.size(), 7.0f),
              std::vector<float>(k.size(), 7.0f)};
  attention_backward(g.dq.data(), g.dk.data(), g.dv.data(), dout.data(), out.data(), lse.data(),
                     q.data(), k.data(), v.data(), s, segments, schedule);
  return g;
}

void expect_same_bits(const std::vector<float>& got, const std::vector<float>& want, const char* what) {
  ASSERT_EQ(got.size(), want.size());
  EXPECT_EQ(0, std::memcmp(got.data(), want.data(), got.size() * sizeof(float))) << what;
}

void expect_schedules_agree(const AttentionShape& s, const int32_t* segments = nullptr) {
  const Gradients one = backward_with(AttentionBackwardSchedule::kOnePass, s, segments);
  const Gradients two = backward_with(AttentionBackwardSchedule::kTwoPass, s, segments);
  expect_same_bits(two.dq, one.dq, "dq");
  expect_same_bits(two.dk, one.dk, "dk");
  expect_same_bits(two.dv, one.dv, "dv");
}

TEST(KernelsAttentionBackward, TwoPassesGiveTheOnePassBits) {
  // T = 150: two full key tiles and a partial one, a partial query block; 4 query heads per kv head.
  expect_schedules_agree({.B = 2, .T = 150, .NH = 8, .NKV = 2, .HD = 24, .past = 0, .kv_capacity = 150});
}

TEST(KernelsAttentionBackward, TwoPassesGiveTheOnePassBitsWithWindowAndDocuments) {
  // The window (70 keys) starts query blocks' visible keys off tile boundaries; the documents end
  // at 40 and 131, and the last rows are padding (segment −1), which see only themselves.
  const AttentionShape s{.B = 1, .T = 160, .NH = 3, .NKV = 1, .HD = 40, .past = 0,
                         .kv_capacity = 160, .window = 70};
  std::vector<int32_t> segments(s.T, 0);
  for (int64_t t = 40; t < s.T; ++t) segments[t] = 1;
  for (int64_t t = 131; t < s.T; ++t) segments[t] = -1;
  expect_schedules_agree(s, segments.data());
}

TEST(KernelsAttentionBackward, AutomaticScheduleSplitsOnlyWhenThreadsWouldIdle) {
  const auto pick = [](int64_t B, int64_t NKV, int64_t T, int threads) {
    const AttentionShape s{.B = B, .T = T, .NH = 4 * NKV, .NKV = NKV, .HD = 64, .past = 0, .kv_capacity = T};
    return attention_backward_schedule(s, threads);
  };
  using enum AttentionBackwardSchedule;
  EXPECT_EQ(pick(8, 4, 512, 2), kOnePass);   // 32 equal tasks on 2 threads
  EXPECT_EQ(pick(1, 3, 512, 2), kOnePass);   // 2 rounds of 5 products beat 7·3/2
  EXPECT_EQ(pick(1, 1, 512, 2), kTwoPass);   // one task would leave a thread idle
  EXPECT_EQ(pick(1, 1, 64, 2), kOnePass);    // one key tile: the second pass has nothing to split
  EXPECT_EQ(pick(1, 8, 2048, 56), kTwoPass); // 8 tasks on a 56-core node
  EXPECT_EQ(pick(8, 32, 512, 56), kOnePass); // 256 tasks: 5 rounds of 5 beat 7·256/56
}

}  // namespace
}  // namespace ft
