// Flash-style attention against a naive scalar reference (full score matrix, two-pass softmax):
// causal masking, grouped-query heads, a KV-cache offset with spare capacity, sliding window, and
// key counts that are not a multiple of the kernel's tile.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "attention_test_support.h"
#include "kernels/attention.h"

namespace ft {
namespace {

std::vector<float> random_vector(size_t n, uint32_t seed) { return test::random_normal(n, seed, 1.5f); }

void check(const AttentionShape& s) {
  SCOPED_TRACE(::testing::Message() << "B=" << s.B << " T=" << s.T << " NH=" << s.NH << " NKV=" << s.NKV
                                    << " HD=" << s.HD << " past=" << s.past << " window=" << s.window);
  const auto q = random_vector(s.B * s.T * s.NH * s.HD, 1);
  const auto k = random_vector(s.B * s.kv_capacity * s.NKV * s.HD, 2);
  const auto v = random_vector(s.B * s.kv_capacity * s.NKV * s.HD, 3);
  std::vector<float> out(q.size()), lse(s.B * s.NH * s.T);
  attention_forward(out.data(), lse.data(), q.data(), k.data(), v.data(), s);
  const double scale = 1.0 / std::sqrt(double(s.HD));
  for (int64_t b = 0; b < s.B; ++b)
    for (int64_t h = 0; h < s.NH; ++h)
      for (int64_t t = 0; t < s.T; ++t) {
        const int64_t kvh = h / (s.NH / s.NKV), pos = s.past + t;
        const float* qr = &q[((b * s.T + t) * s.NH + h) * s.HD];
        std::vector<double> scores;
        std::vector<int64_t> keys;
        for (int64_t j = 0; j <= pos; ++j) {
          if (s.window > 0 && pos - j >= s.window) continue;
          const float* kr = &k[((b * s.kv_capacity + j) * s.NKV + kvh) * s.HD];
          double dot = 0;
          for (int64_t d = 0; d < s.HD; ++d) dot += double(qr[d]) * kr[d];
          scores.push_back(dot * scale);
          keys.push_back(j);
        }
        double mx = -1e300, sum = 0;
        for (double x : scores) mx = std::max(mx, x);
        for (double x : scores) sum += std::exp(x - mx);
        EXPECT_NEAR(lse[(b * s.NH + h) * s.T + t], mx + std::log(sum), 1e-4);
        for (int64_t d = 0; d < s.HD; ++d) {
          double want = 0;
          for (size_t i = 0; i < keys.size(); ++i)
            want += std::exp(scores[i] - mx) / sum * v[((b * s.kv_capacity + keys[i]) * s.NKV + kvh) * s.HD + d];
          ASSERT_NEAR(out[((b * s.T + t) * s.NH + h) * s.HD + d], want, 1e-4);
        }
      }
}

TEST(KernelsAttention, CausalMultiHeadMatchesReference) {
  check({.B = 2, .T = 7, .NH = 3, .NKV = 3, .HD = 5, .kv_capacity = 7});
}

TEST(KernelsAttention, GroupedQueryHeadsAndLongerThanATile) {
  check({.B = 1, .T = 150, .NH = 4, .NKV = 2, .HD = 8, .kv_capacity = 150});
}

TEST(KernelsAttention, HeadDimsThatLeaveVectorTails) {
  check({.B = 1, .T = 70, .NH = 2, .NKV = 1, .HD = 40, .kv_capacity = 70});
  check({.B = 1, .T = 37, .NH = 2, .NKV = 2, .HD = 80, .kv_capacity = 37});
}

TEST(KernelsAttention, KvCacheOffsetWithSpareCapacity) {
  check({.B = 2, .T = 3, .NH = 4, .NKV = 1, .HD = 6, .past = 70, .kv_capacity = 80});
  check({.B = 3, .T = 1, .NH = 2, .NKV = 2, .HD = 4, .past = 9, .kv_capacity = 16});
  check({.B = 3, .T = 1, .NH = 6, .NKV = 2, .HD = 4, .past = 9, .kv_capacity = 16});
  check({.B = 1, .T = 1, .NH = 6, .NKV = 2, .HD = 8, .past = 5, .kv_capacity = 64});
  check({.B = 1, .T = 1, .NH = 6, .NKV = 2, .HD = 8, .past = 20, .kv_capacity = 64});
}

TEST(KernelsAttention, SlidingWindow) {
  check({.B = 1, .T = 40, .NH = 2, .NKV = 1, .HD = 4, .kv_capacity = 40, .window = 5});
}

// Decoding takes the query heads of a kv head as one block's rows; each row's arithmetic is the
// prefill's for the same token, so the bits are too. Groups of 3, 8 and 40 (more than a block).
TEST(KernelsAttention, DecodingATokenGivesThePrefillsBits) {
  for (const int64_t group : {3, 8, 40}) {
    SCOPED_TRACE(::testing::Message() << "group=" << group);
    const AttentionShape prefill{.B = 2, .T = 70, .NH = 2 * group, .NKV = 2, .HD = 24, .kv_capacity = 70};
    const int64_t row = prefill.NH * prefill.HD;
    const auto q = random_vector(prefill.B * prefill.T * row, 4);
    const auto k = random_vector(prefill.B * prefill.T * prefill.NKV * prefill.HD, 5);
    const auto v = random_vector(k.size(), 6);
    std::vector<float> out(q.size()), lse(prefill.B * prefill.NH * prefill.T);
    attention_forward(out.data(), lse.data(), q.data(), k.data(), v.data(), prefill);

    AttentionShape decode = prefill;
    decode.T = 1;
    decode.past = prefill.T - 1;
    std::vector<float> last_q, last_out(prefill.B * row), last_lse(prefill.B * prefill.NH);
    for (int64_t b = 0; b < prefill.B; ++b)
      last_q.insert(last_q.end(), q.begin() + ((b + 1) * prefill.T - 1) * row,
                    q.begin() + (b + 1) * prefill.T * row);
    attention_forward(last_out.data(), last_lse.data(), last_q.data(), k.data(), v.data(), decode);
    for (int64_t b = 0; b < prefill.B; ++b)
      for (int64_t h = 0; h < prefill.NH; ++h) {
        ASSERT_EQ(last_lse[b * prefill.NH + h], lse[(b * prefill.NH + h + 1) * prefill.T - 1]) << b << "," << h;
        for (int64_t d = 0; d < prefill.HD; ++d)
          ASSERT_EQ(last_out[(b * prefill.NH + h) * prefill.HD + d],
                    out[((b + 1) * prefill.T - 1) * row + h * prefill.HD + d]) << b << "," << h << "," << d;
      }
  }
}

TEST(KernelsAttention, RejectsInconsistentShapes) {
  std::vector<float> x(64);
  AttentionShape s{.B = 1, .T = 2, .NH = 3, .NKV = 2, .HD = 2, .kv_capacity = 2};
  EXPECT_THROW(attention_forward(x.data(), x.data(), x.data(), x.data(), x.data(), s), std::invalid_argument);
}

}  // namespace
}  // namespace ft
