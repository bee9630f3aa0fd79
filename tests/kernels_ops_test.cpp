// Embedding, RMSNorm, RoPE, SwiGLU and cross-entropy against scalar double-precision references
// written from the Hugging Face definitions, on random data with odd sizes.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "core/half.h"
#include "kernels/cross_entropy.h"
#include "kernels/elementwise.h"
#include "kernels/embedding.h"
#include "kernels/rmsnorm.h"
#include "kernels/rope.h"
#include "kernels/swiglu.h"

namespace ft {
namespace {

std::vector<float> random_vector(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-scale, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = u(rng);
  return v;
}

TEST(KernelsOps, EmbeddingCopiesRowsInF32AndBf16) {
  const int64_t V = 11, C = 7;
  const auto wte = random_vector(V * C, 1);
  std::vector<bf16> wte_bf(wte.size());
  convert_to_bf16(wte_bf.data(), wte.data(), V * C);
  const std::vector<int> ids{3, 0, 10, 3, 5};
  std::vector<float> out(ids.size() * C), out_bf(ids.size() * C);
  embedding_forward(out.data(), ids.data(), wte.data(), DType::F32, 5, C);
  embedding_forward(out_bf.data(), ids.data(), wte_bf.data(), DType::BF16, 5, C);
  for (size_t n = 0; n < ids.size(); ++n)
    for (int64_t c = 0; c < C; ++c) {
      EXPECT_EQ(out[n * C + c], wte[ids[n] * C + c]);
      EXPECT_EQ(out_bf[n * C + c], bf16_to_f32(wte_bf[ids[n] * C + c]));
    }
}

TEST(KernelsOps, RmsNormMatchesHfDefinition) {
  const int64_t N = 5, C = 37;
  const float eps = 1e-5f;
  const auto x = random_vector(N * C, 2, 3.0f), w = random_vector(C, 3);
  std::vector<float> out(N * C), rstd(N);
  rmsnorm_forward(out.data(), rstd.data(), x.data(), w.data(), N, C, eps);
  for (int64_t n = 0; n < N; ++n) {
    double ms = 0;
    for (int64_t c = 0; c < C; ++c) ms += double(x[n * C + c]) * x[n * C + c];
    const double r = 1.0 / std::sqrt(ms / C + eps);
    EXPECT_NEAR(rstd[n], r, 1e-5 * r);
    for (int64_t c = 0; c < C; ++c) EXPECT_NEAR(out[n * C + c], w[c] * x[n * C + c] * r, 1e-5);
  }
}

// A head dim of 300 takes the kernel's angles in several runs (64, 64, 22 pairs).
TEST(KernelsOps, RopeRotatesHalvesByPositionTimesInvFreq) {
  for (const int64_t HD : {10, 300}) {
    const int64_t N = 3, H = 3;
    std::vector<float> inv_freq(HD / 2);
    for (int64_t i = 0; i < HD / 2; ++i) inv_freq[i] = std::pow(10000.0f, -2.0f * i / HD);
    const std::vector<int> pos{0, 7, 1234};
    const auto x = random_vector(N * H * HD, 4);
    auto y = x;
    rope_forward(y.data(), pos.data(), inv_freq.data(), N, H, HD);
    for (int64_t n = 0; n < N; ++n)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t i = 0; i < HD / 2; ++i) {
          const float* r = x.data() + (n * H + h) * HD;
          const double a = double(float(pos[n]) * inv_freq[i]);
          const double want1 = r[i] * std::cos(a) - r[i + HD / 2] * std::sin(a);
          const double want2 = r[i + HD / 2] * std::cos(a) + r[i] * std::sin(a);
          ASSERT_NEAR(y[(n * H + h) * HD + i], want1, 2e-5) << "HD " << HD;
          ASSERT_NEAR(y[(n * H + h) * HD + i + HD / 2], want2, 2e-5) << "HD " << HD;
        }
  }
}

TEST(KernelsOps, SwigluIsSiluOfGateTimesUp) {
  const int64_t n = 1001;
  const auto g = random_vector(n, 5, 8.0f), u = random_vector(n, 6, 2.0f);
  std::vector<float> out(n);
  swiglu_forward(out.data(), g.data(), u.data(), n);
  for (int64_t i = 0; i < n; ++i)
    EXPECT_NEAR(out[i], g[i] / (1.0 + std::exp(-double(g[i]))) * u[i], 1e-5);
}

TEST(KernelsOps, CrossEntropyPerTokenWithIgnoredLabels) {
  const int64_t N = 6, V = 301;
  const auto logits = random_vector(N * V, 7, 20.0f);
  const std::vector<int> labels{0, 300, kIgnoreIndex, 17, kIgnoreIndex, 150};
  std::vector<float> losses(N, -1.0f), lse(N);
  EXPECT_EQ(cross_entropy_forward(losses.data(), lse.data(), logits.data(), labels.data(), N, V), 4);
  for (int64_t n = 0; n < N; ++n) {
    double mx = -1e30, sum = 0;
    for (int64_t v = 0; v < V; ++v) mx = std::max(mx, double(logits[n * V + v]));
    for (int64_t v = 0; v < V; ++v) sum += std::exp(logits[n * V + v] - mx);
    const double want_lse = mx + std::log(sum);
    EXPECT_NEAR(lse[n], want_lse, 1e-4);
    const double want = labels[n] == kIgnoreIndex ? 0.0 : want_lse - logits[n * V + labels[n]];
    EXPECT_NEAR(losses[n], want, 1e-4);
  }
}

TEST(KernelsOps, AddAndBf16ConversionRoundTrip) {
  const int64_t n = 77;
  const auto a = random_vector(n, 8), b = random_vector(n, 9);
  std::vector<float> sum(n), back(n);
  add_forward(sum.data(), a.data(), b.data(), n);
  std::vector<bf16> h(n);
  convert_to_bf16(h.data(), a.data(), n);
  convert_to_f32(back.data(), h.data(), n);
  for (int64_t i = 0; i < n; ++i) {
    EXPECT_EQ(sum[i], a[i] + b[i]);
    EXPECT_NEAR(back[i], a[i], std::abs(a[i]) * 0.00390625f);
  }
}

}  // namespace
}  // namespace ft
