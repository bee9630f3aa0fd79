// LoRA's branch on shapes that exercise every path of its backward: several row chunks and a
// short last one, groups of 4 rows and a remainder, ranks that are not a multiple of 4, widths
// that are not a multiple of the column block. Checked against a double-precision reference of
// what lora_backward adds, and for the same bits on 1 and 3 threads (its row chunks fix the
// order of every sum).
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/rng.h"
#include "kernels/lora_linear.h"

namespace ft {
namespace {

std::vector<float> random_floats(size_t n, uint64_t seed) {
  const Rng rng(seed, RngStream::kTest);
  std::vector<float> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = 2.0f * rng.uniform(i) - 1.0f;
  return out;
}

struct Gradients {
  std::vector<float> dx, dA, dB;
};

// The branch's inputs for one shape, and its backward run on `threads` threads from gradients
// that start at nonzero values (it adds).
struct LoraCase {
  LoraShape s;
  std::vector<float> x, A, B, dy, su;

  explicit LoraCase(LoraShape shape) : s(shape) {
    x = random_floats(size_t(s.M * s.in), 1);
    A = random_floats(size_t(s.r * s.in), 2);
    B = random_floats(size_t(s.out * s.r), 3);
    dy = random_floats(size_t(s.M * s.out), 4);
    std::vector<float> y(size_t(s.M * s.out), 0.0f);
    su.resize(size_t(s.M * s.r));
    lora_forward(y.data(), su.data(), x.data(), A.data(), B.data(), s);
  }

  // The gradients' values before the backward adds to them.
  Gradients start() const {
    return {random_floats(x.size(), 5), random_floats(A.size(), 6), random_floats(B.size(), 7)};
  }

  Gradients backward(int threads, bool with_dx) const {
    Gradients g = start();
    std::vector<float> scratch(size_t(lora_backward_scratch_floats(s.M, s.r, std::max(s.in, s.out))));
    const int before = omp_get_max_threads();
    omp_set_num_threads(threads);
    lora_backward(with_dx ? g.dx.data() : nullptr, g.dA.data(), g.dB.data(), scratch.data(),
                  dy.data(), x.data(), A.data(), B.data(), su.data(), s);
    omp_set_num_threads(before);
    return g;
  }
};

void expect_close(const std::vector<double>& want, const std::vector<float>& got, const char* what) {
  double scale = 1e-6;
  for (double w : want) scale = std::max(scale, std::abs(w));
  for (size_t i = 0; i < want.size(); ++i)
    ASSERT_NEAR(got[i], want[i], 2e-5 * scale) << what << "[" << i << "]";
}

class LoraBackwardShapes : public ::testing::TestWithParam<LoraShape> {};

TEST_P(LoraBackwardShapes, AddsTheGradientsOfTheBranch) {
  const LoraCase c(GetParam());
  const LoraShape& s = c.s;
  const Gradients start = c.start();
  // du = s·dy·B, then dx += du·A, dA += duᵀ·x, dB += dyᵀ·su, in doubles.
  std::vector<double> du(size_t(s.M * s.r), 0.0);
  for (int64_t m = 0; m < s.M; ++m)
    for (int64_t j = 0; j < s.r; ++j) {
      double a = 0;
      for (int64_t o = 0; o < s.out; ++o) a += double(c.dy[size_t(m * s.out + o)]) * c.B[size_t(o * s.r + j)];
      du[size_t(m * s.r + j)] = s.scaling * a;
    }
  std::vector<double> dx(start.dx.begin(), start.dx.end()), dA(start.dA.begin(), start.dA.end());
  std::vector<double> dB(start.dB.begin(), start.dB.end());
  for (int64_t m = 0; m < s.M; ++m)
    for (int64_t j = 0; j < s.r; ++j) {
      const double u = du[size_t(m * s.r + j)];
      for (int64_t i = 0; i < s.in; ++i) {
        dx[size_t(m * s.in + i)] += u * c.A[size_t(j * s.in + i)];
        dA[size_t(j * s.in + i)] += u * c.x[size_t(m * s.in + i)];
      }
      for (int64_t o = 0; o < s.out; ++o)
        dB[size_t(o * s.r + j)] += double(c.dy[size_t(m * s.out + o)]) * c.su[size_t(m * s.r + j)];
    }
  const Gradients got = c.backward(2, true);
  expect_close(dx, got.dx, "dx");
  expect_close(dA, got.dA, "dA");
  expect_close(dB, got.dB, "dB");
  // Without an input gradient the weight gradients are the same, and dx is left alone.
  const Gradients no_dx = c.backward(2, false);
  EXPECT_EQ(no_dx.dA, got.dA);
  EXPECT_EQ(no_dx.dB, got.dB);
  EXPECT_EQ(no_dx.dx, start.dx);
}

TEST_P(LoraBackwardShapes, SameBitsOnAnyThreadCount) {
  const LoraCase c(GetParam());
  const Gradients one = c.backward(1, true), three = c.backward(3, true);
  EXPECT_EQ(one.dx, three.dx);
  EXPECT_EQ(one.dA, three.dA);
  EXPECT_EQ(one.dB, three.dB);
}

INSTANTIATE_TEST_SUITE_P(
    Kernels, LoraBackwardShapes,
    ::testing::Values(
        // three chunks, the last of 7 rows (one group of 4, then 3); r 6 = 4 + 2; widths past one block
        LoraShape{.M = 2 * kLoraChunkRows + 7, .in = 300, .out = 270, .r = 6, .scaling = 2.0f},
        // one short chunk; rank 8; wide output, narrow input
        LoraShape{.M = 37, .in = 16, .out = 520, .r = 8, .scaling = 0.5f},
        // rank 1 and rank 3 (no group of 4 ranks)
        LoraShape{.M = kLoraChunkRows + 1, .in = 33, .out = 40, .r = 1, .scaling = 1.0f},
        LoraShape{.M = 9, .in = 257, .out = 5, .r = 3, .scaling = 4.0f}),
    [](const ::testing::TestParamInfo<LoraShape>& param) {
      const LoraShape& s = param.param;
      return "M" + std::to_string(s.M) + "_in" + std::to_string(s.in) + "_out" + std::to_string(s.out) +
             "_r" + std::to_string(s.r);
    });

}  // namespace
}  // namespace ft
