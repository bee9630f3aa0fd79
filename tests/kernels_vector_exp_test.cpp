// The vectorised exp against the double-precision exp: within 2 ulp wherever the result is a normal
// float, subnormal then 0 below, capped above, NaN for NaN; exp_affine and sum_exp_affine against a
// double loop; max_value against the serial std::max loop.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/vector_exp.h"

namespace ft {
namespace {

float vector_exp(float x) {
  float y = 0;
  exp_affine(&y, &x, 1, 1.0f, 0.0f);
  return y;
}

TEST(VectorExp, IsWithinTwoUlpOfExpOverItsRange) {
  double worst = 0;
  for (float x = -87.0f; x <= 88.0f; x = std::nextafter(x + 1e-3f, 100.0f)) {
    const double want = std::exp(static_cast<double>(x));
    const double ulp = std::nextafter(static_cast<float>(want), std::numeric_limits<float>::infinity()) - static_cast<float>(want);
    worst = std::max(worst, std::abs(vector_exp(x) - want) / ulp);
  }
  EXPECT_LE(worst, 2.0);
  EXPECT_EQ(vector_exp(0.0f), 1.0f);
}

TEST(VectorExp, FallsToZeroThroughTheSubnormalsIsCappedAndKeepsNaN) {
  for (float x = -87.5f; x > -104.0f; x -= 0.37f)
    EXPECT_NEAR(vector_exp(x), std::exp(static_cast<double>(x)), 3e-45) << x;  // 2 subnormal steps
  EXPECT_EQ(vector_exp(-104.0f), 0.0f);
  EXPECT_EQ(vector_exp(-std::numeric_limits<float>::infinity()), 0.0f);
  EXPECT_TRUE(std::isfinite(vector_exp(1000.0f)));
  EXPECT_NEAR(vector_exp(1000.0f), std::exp(88.0), 2e-7 * std::exp(88.0));
  EXPECT_TRUE(std::isnan(vector_exp(std::numeric_limits<float>::quiet_NaN())));
}

TEST(VectorExp, AffineArraysMatchADoubleLoop) {
  std::vector<float> x(1003);  // not a multiple of any vector width
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(static_cast<float>(i)) * 9.0f;
  const float a = 0.37f, b = -2.5f, s = 0.125f;
  std::vector<float> y(x.size());
  exp_affine(y.data(), x.data(), static_cast<int64_t>(x.size()), a, b, s);
  double sum = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double want = std::exp(static_cast<double>(a * x[i] + b));
    sum += want;
    EXPECT_NEAR(y[i], s * want, 3e-7 * s * want) << i;
  }
  EXPECT_NEAR(sum_exp_affine(x.data(), static_cast<int64_t>(x.size()), a, b), sum, 1e-5 * sum);
  exp_affine(x.data(), x.data(), static_cast<int64_t>(x.size()), a, b, s);  // in place
  EXPECT_EQ(x, y);
}

// The stored values are exp_affine's and the sum is sum_exp_affine's, bit for bit, in place too.
TEST(VectorExp, StoringSumIsTheSumAndTheValues) {
  for (const int64_t n : {0, 1, 15, 16, 17, 1003}) {
    std::vector<float> x(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) x[i] = std::cos(static_cast<float>(i)) * 7.0f;
    const float a = 1.0f, b = -3.25f;
    std::vector<float> want(x.size()), y(x.size());
    exp_affine(want.data(), x.data(), n, a, b);
    const float want_sum = sum_exp_affine(x.data(), n, a, b);
    EXPECT_EQ(exp_affine_sum(y.data(), x.data(), n, a, b), want_sum) << n;
    EXPECT_EQ(y, want) << n;
    EXPECT_EQ(exp_affine_sum(x.data(), x.data(), n, a, b), want_sum) << n;  // in place
    EXPECT_EQ(x, want) << n;
  }
}

// A diverged model's NaN logits must reach the loss from every position, not only from the tail
// the vector loop leaves to scalar code.
TEST(VectorExp, NaNPropagatesFromEveryPosition) {
  std::vector<float> x(67, -1.0f), y(x.size());
  for (size_t i = 0; i < x.size(); i += 5) x[i] = std::numeric_limits<float>::quiet_NaN();
  exp_affine(y.data(), x.data(), static_cast<int64_t>(x.size()), 1.0f, 0.0f);
  for (size_t i = 0; i < x.size(); ++i) EXPECT_EQ(std::isnan(y[i]), i % 5 == 0) << i;
  EXPECT_TRUE(std::isnan(sum_exp_affine(x.data(), static_cast<int64_t>(x.size()), 1.0f, 0.0f)));
  exp_affine(x.data(), x.data(), static_cast<int64_t>(x.size()), 1.0f, 0.0f);
  for (size_t i = 0; i < x.size(); ++i) EXPECT_EQ(std::isnan(x[i]), i % 5 == 0) << i;
}

// Every length around the 16 partial maxima, the maximum at every position, NaNs passed over.
TEST(VectorExp, MaxValueIsTheSerialLoopsMaximum) {
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(max_value(nullptr, 0), -inf);
  for (int64_t n = 1; n <= 50; ++n) {
    for (int64_t at = 0; at < n; ++at) {
      std::vector<float> x(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i) x[i] = -1.0f - 0.25f * static_cast<float>((i * 7) % 11);
      x[at] = 3.5f;
      if (n > 2) x[(at + 1) % n] = std::numeric_limits<float>::quiet_NaN();
      float serial = -inf;
      for (float v : x) serial = std::max(serial, v);
      ASSERT_EQ(max_value(x.data(), n), serial) << "n " << n << " at " << at;
    }
  }
  const std::vector<float> all_nan(20, std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(max_value(all_nan.data(), 20), -inf);
}

}  // namespace
}  // namespace ft
