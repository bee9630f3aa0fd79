// Finite-difference checks of every kernel's backward: each analytic (fp32) gradient is compared
// with central differences of a double-precision reference forward written here, of the scalar
// L = Σ dout·forward(x) for a random dout.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "core/rng.h"
#include "kernels/attention.h"
#include "kernels/cross_entropy.h"
#include "kernels/embedding.h"
#include "kernels/linear.h"
#include "kernels/lora_linear.h"
#include "kernels/rmsnorm.h"
#include "kernels/rope.h"
#include "kernels/swiglu.h"

namespace ft {
namespace {

using Vec = std::vector<double>;

std::vector<float> random_floats(size_t n, uint64_t seed, float scale = 1.0f) {
  const Rng rng(seed, RngStream::kTest);
  std::vector<float> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = scale * (2.0f * rng.uniform(i) - 1.0f);
  return out;
}

Vec to_double(const std::vector<float>& v) { return Vec(v.begin(), v.end()); }

// Central differences of loss(x) against `analytic`, relative to the gradient's largest entry.
void expect_gradient(const std::function<double(const Vec&)>& loss, const std::vector<float>& x,
                     const std::vector<float>& analytic, const char* what, double tol = 2e-4) {
  ASSERT_EQ(x.size(), analytic.size());
  Vec p = to_double(x);
  double scale = 1e-3;
  for (float g : analytic) scale = std::max(scale, std::abs(double{g}));
  for (size_t i = 0; i < x.size(); ++i) {
    const double h = 1e-5 * std::max(1.0, std::abs(p[i])), keep = p[i];
    p[i] = keep + h;
    const double up = loss(p);
    p[i] = keep - h;
    const double down = loss(p);
    p[i] = keep;
    const double fd = (up - down) / (2 * h);
    ASSERT_NEAR(analytic[i], fd, tol * scale) << what << "[" << i << "]";
  }
}

TEST(TrainKernelGrad, RmsNorm) {
  const int64_t N = 3, C = 8;
  const float eps = 1e-5f;
  auto x = random_floats(N * C, 1), w = random_floats(C, 2), dy = random_floats(N * C, 3);
  std::vector<float> y(N * C), rstd(N), dx(N * C, 0.5f), dw(C, 0.25f);
  rmsnorm_forward(y.data(), rstd.data(), x.data(), w.data(), N, C, eps);
  rmsnorm_backward(dx.data(), dw.data(), dy.data(), x.data(), w.data(), rstd.data(), N, C);
  auto ref = [&](const Vec& xs, const Vec& ws) {
    double L = 0;
    for (int64_t n = 0; n < N; ++n) {
      double ss = 0;
      for (int64_t c = 0; c < C; ++c) ss += xs[n * C + c] * xs[n * C + c];
      const double r = 1 / std::sqrt(ss / C + eps);
      for (int64_t c = 0; c < C; ++c) L += dy[n * C + c] * xs[n * C + c] * r * ws[c];
    }
    return L;
  };
  for (float& v : dx) v -= 0.5f;  // backward accumulates
  for (float& v : dw) v -= 0.25f;
  expect_gradient([&](const Vec& p) { return ref(p, to_double(w)); }, x, dx, "dx");
  expect_gradient([&](const Vec& p) { return ref(to_double(x), p); }, w, dw, "dw");
}

// The weight gradient over many rows and a width that is not a multiple of the kernel's channel
// tile, on threads: each channel sums its rows in row order, so the bits are those of a serial
// loop (and do not depend on the thread count).
TEST(TrainKernelGrad, RmsNormWeightGradientSumsRowsInOrder) {
  const int64_t N = 300, C = 600;
  auto x = random_floats(N * C, 4), w = random_floats(C, 5), dy = random_floats(N * C, 6);
  std::vector<float> y(N * C), rstd(N), dx(N * C, 0.0f), dw(C, 0.25f);
  rmsnorm_forward(y.data(), rstd.data(), x.data(), w.data(), N, C, 1e-5f);
  rmsnorm_backward(dx.data(), dw.data(), dy.data(), x.data(), w.data(), rstd.data(), N, C);
  for (int64_t c = 0; c < C; ++c) {
    float sum = 0.0f;
    for (int64_t n = 0; n < N; ++n) sum += dy[n * C + c] * x[n * C + c] * rstd[n];
    ASSERT_EQ(dw[c], 0.25f + sum) << "dw[" << c << "]";
  }
}

TEST(TrainKernelGrad, Rope) {
  const int64_t N = 3, H = 2, HD = 8;
  const std::vector<int> pos = {0, 5, 17};
  const std::vector<float> inv_freq = {1.0f, 0.3f, 0.05f, 0.001f};
  auto x = random_floats(N * H * HD, 4), dy = random_floats(N * H * HD, 5);
  std::vector<float> dx = dy;
  rope_backward(dx.data(), pos.data(), inv_freq.data(), N, H, HD);
  auto ref = [&](const Vec& xs) {
    double L = 0;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t i = 0; i < HD / 2; ++i) {
          const double a = double{inv_freq[i]} * pos[n], c = std::cos(a), s = std::sin(a);
          const int64_t r = (n * H + h) * HD;
          const double x1 = xs[r + i], x2 = xs[r + i + HD / 2];
          L += dy[r + i] * (x1 * c - x2 * s) + dy[r + i + HD / 2] * (x2 * c + x1 * s);
        }
    return L;
  };
  expect_gradient(ref, x, dx, "dx");
}

TEST(TrainKernelGrad, SwiGlu) {
  const int64_t n = 16;
  auto g = random_floats(n, 6, 4.0f), u = random_floats(n, 7), dy = random_floats(n, 8);
  std::vector<float> dg(n), du(n);
  swiglu_backward(dg.data(), du.data(), dy.data(), g.data(), u.data(), n);
  auto ref = [&](const Vec& gs, const Vec& us) {
    double L = 0;
    for (int64_t i = 0; i < n; ++i) L += dy[i] * gs[i] / (1 + std::exp(-gs[i])) * us[i];
    return L;
  };
  expect_gradient([&](const Vec& p) { return ref(p, to_double(u)); }, g, dg, "dgate");
  expect_gradient([&](const Vec& p) { return ref(to_double(g), p); }, u, du, "dup");
  // In place, as the training backward runs it (dgate over dout): the same bits. 5000 elements
  // span several of the kernel's chunks and threads.
  const int64_t big = 5000;
  g = random_floats(big, 6, 4.0f), u = random_floats(big, 7), dy = random_floats(big, 8);
  std::vector<float> want_dg(big), want_du(big), got_du(big);
  swiglu_backward(want_dg.data(), want_du.data(), dy.data(), g.data(), u.data(), big);
  swiglu_backward(dy.data(), got_du.data(), dy.data(), g.data(), u.data(), big);
  EXPECT_EQ(dy, want_dg);
  EXPECT_EQ(got_du, want_du);
}

void check_attention(int64_t window) {
  const AttentionShape s{.B = 2, .T = 5, .NH = 4, .NKV = 2, .HD = 4, .past = 0, .kv_capacity = 5,
                         .window = window};
  const int64_t QD = s.NH * s.HD, KVD = s.NKV * s.HD, rows = s.B * s.T;
  auto q = random_floats(rows * QD, 9, 2.0f), k = random_floats(rows * KVD, 10, 2.0f);
  auto v = random_floats(rows * KVD, 11), dy = random_floats(rows * QD, 12);
  std::vector<float> out(rows * QD), lse(s.B * s.NH * s.T);
  std::vector<float> dq(q.size(), 9.0f), dk(k.size(), 9.0f), dv(v.size(), 9.0f);
  attention_forward(out.data(), lse.data(), q.data(), k.data(), v.data(), s);
  attention_backward(dq.data(), dk.data(), dv.data(), dy.data(), out.data(), lse.data(), q.data(),
                     k.data(), v.data(), s);
  auto ref = [&](const Vec& qs, const Vec& ks, const Vec& vs) {
    double L = 0;
    const double scale = 1 / std::sqrt(double(s.HD));
    for (int64_t b = 0; b < s.B; ++b)
      for (int64_t h = 0; h < s.NH; ++h)
        for (int64_t t = 0; t < s.T; ++t) {
          const int64_t kvh = h / (s.NH / s.NKV), first = window > 0 ? std::max<int64_t>(0, t - window + 1) : 0;
          const double* qr = &qs[((b * s.T + t) * s.NH + h) * s.HD];
          Vec scores;
          double mx = -1e300;
          for (int64_t j = first; j <= t; ++j) {
            double d = 0;
            for (int64_t e = 0; e < s.HD; ++e) d += qr[e] * ks[((b * s.T + j) * s.NKV + kvh) * s.HD + e];
            scores.push_back(d * scale);
            mx = std::max(mx, d * scale);
          }
          double sum = 0;
          for (double& sc : scores) sum += (sc = std::exp(sc - mx));
          for (int64_t e = 0; e < s.HD; ++e) {
            double o = 0;
            for (int64_t j = first; j <= t; ++j)
              o += scores[j - first] / sum * vs[((b * s.T + j) * s.NKV + kvh) * s.HD + e];
            L += dy[((b * s.T + t) * s.NH + h) * s.HD + e] * o;
          }
        }
    return L;
  };
  const Vec qd = to_double(q), kd = to_double(k), vd = to_double(v);
  expect_gradient([&](const Vec& p) { return ref(p, kd, vd); }, q, dq, "dq");
  expect_gradient([&](const Vec& p) { return ref(qd, p, vd); }, k, dk, "dk");
  expect_gradient([&](const Vec& p) { return ref(qd, kd, p); }, v, dv, "dv");
}

TEST(TrainKernelGrad, CausalGqaAttention) { check_attention(0); }
TEST(TrainKernelGrad, SlidingWindowAttention) { check_attention(2); }

TEST(TrainKernelGrad, CrossEntropyIgnoresMaskedRows) {
  const int64_t N = 4, V = 7;
  auto logits = random_floats(N * V, 13, 3.0f);
  const std::vector<int> labels = {2, kIgnoreIndex, 6, 0};
  std::vector<float> want_losses(N), losses(N, -1.0f);
  ASSERT_EQ(cross_entropy_forward(want_losses.data(), nullptr, logits.data(), labels.data(), N, V), 3);
  const float scale = 1.0f / 3.0f;
  // In place over the logits, as the fused LM head runs it.
  std::vector<float> dlogits = logits;
  ASSERT_EQ(cross_entropy_forward_backward(losses.data(), dlogits.data(), labels.data(), N, V, scale), 3);
  EXPECT_EQ(losses, want_losses);
  auto ref = [&](const Vec& z) {
    double L = 0;
    for (int64_t n = 0; n < N; ++n) {
      if (labels[n] == kIgnoreIndex) continue;
      double sum = 0;
      for (int64_t v = 0; v < V; ++v) sum += std::exp(z[n * V + v]);
      L += (std::log(sum) - z[n * V + labels[n]]) * scale;
    }
    return L;
  };
  expect_gradient(ref, logits, dlogits, "dlogits");
  for (int64_t v = 0; v < V; ++v) EXPECT_EQ(dlogits[V + v], 0.0f);
}

TEST(TrainKernelGrad, EmbeddingScattersRows) {
  const int64_t N = 4, C = 3;
  const std::vector<int> ids = {1, 0, 1, 2};
  auto dy = random_floats(N * C, 14);
  std::vector<float> dwte(4 * C, 1.0f);
  embedding_backward(dwte.data(), dy.data(), ids.data(), N, C);
  for (int64_t c = 0; c < C; ++c) {
    EXPECT_FLOAT_EQ(dwte[0 * C + c], 1.0f + dy[1 * C + c]);
    EXPECT_FLOAT_EQ(dwte[1 * C + c], 1.0f + dy[0 * C + c] + dy[2 * C + c]);
    EXPECT_FLOAT_EQ(dwte[2 * C + c], 1.0f + dy[3 * C + c]);
    EXPECT_FLOAT_EQ(dwte[3 * C + c], 1.0f);
  }
}

TEST(TrainKernelGrad, LinearInputAndWeight) {
  const int64_t M = 3, K = 5, N = 4;
  auto x = random_floats(M * K, 15), w = random_floats(N * K, 16), dy = random_floats(M * N, 17);
  std::vector<float> dx(M * K, 0.0f), dw(N * K, 0.0f);
  linear_backward_input(dx.data(), dy.data(), w.data(), M, K, N, DType::F32, false);
  linear_backward_weight(dw.data(), dy.data(), x.data(), M, K, N, DType::F32);
  auto ref = [&](const Vec& xs, const Vec& ws) {
    double L = 0;
    for (int64_t m = 0; m < M; ++m)
      for (int64_t n = 0; n < N; ++n) {
        double y = 0;
        for (int64_t k = 0; k < K; ++k) y += xs[m * K + k] * ws[n * K + k];
        L += dy[m * N + n] * y;
      }
    return L;
  };
  expect_gradient([&](const Vec& p) { return ref(p, to_double(w)); }, x, dx, "dx");
  expect_gradient([&](const Vec& p) { return ref(to_double(x), p); }, w, dw, "dw");
}

TEST(TrainKernelGrad, LoraBranch) {
  const LoraShape s{.M = 3, .in = 5, .out = 4, .r = 2, .scaling = 1.5f};
  auto x = random_floats(s.M * s.in, 18), A = random_floats(s.r * s.in, 19);
  auto B = random_floats(s.out * s.r, 20), dy = random_floats(s.M * s.out, 21);
  std::vector<float> y(s.M * s.out, 0.0f), su(s.M * s.r);
  std::vector<float> scratch(lora_backward_scratch_floats(s.M, s.r, std::max(s.in, s.out)));
  std::vector<float> dx(x.size(), 0.0f), dA(A.size(), 0.0f), dB(B.size(), 0.0f);
  lora_forward(y.data(), su.data(), x.data(), A.data(), B.data(), s);
  lora_backward(dx.data(), dA.data(), dB.data(), scratch.data(), dy.data(), x.data(), A.data(),
                B.data(), su.data(), s);
  auto ref = [&](const Vec& xs, const Vec& As, const Vec& Bs) {
    double L = 0;
    for (int64_t m = 0; m < s.M; ++m)
      for (int64_t o = 0; o < s.out; ++o) {
        double yv = 0;
        for (int64_t j = 0; j < s.r; ++j) {
          double u = 0;
          for (int64_t i = 0; i < s.in; ++i) u += xs[m * s.in + i] * As[j * s.in + i];
          yv += s.scaling * u * Bs[o * s.r + j];
        }
        L += dy[m * s.out + o] * yv;
      }
    return L;
  };
  const Vec xd = to_double(x), Ad = to_double(A), Bd = to_double(B);
  EXPECT_NEAR(ref(xd, Ad, Bd), [&] {
    double L = 0;
    for (size_t i = 0; i < y.size(); ++i) L += double{dy[i]} * y[i];
    return L;
  }(), 1e-5);
  expect_gradient([&](const Vec& p) { return ref(p, Ad, Bd); }, x, dx, "dx");
  expect_gradient([&](const Vec& p) { return ref(xd, p, Bd); }, A, dA, "dA");
  expect_gradient([&](const Vec& p) { return ref(xd, Ad, p); }, B, dB, "dB");
}

}  // namespace
}  // namespace ft
