#include "kernels/vector_exp.h"

#include <algorithm>
#include <bit>
#include <limits>

// One body per ISA, picked at load time; the baseline build stays generic x86-64.
#if defined(__x86_64__)
#define FT_EXP_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define FT_EXP_CLONES
#endif

namespace ft {
namespace {

inline float exp_one(float x) {
  // Only min/max and arithmetic, no select: the loops below stay branch-free. NaN stays NaN.
  const float c = std::min(std::max(x, -104.0f), 88.0f);
  // Adding 1.5·2^23 rounds to an integer held in the low mantissa bits: n = round(c / ln 2).
  constexpr float kRound = 12582912.0f;
  const float t = c * 1.44269504088896341f + kRound;
  const float n = t - kRound;
  const int32_t e = std::bit_cast<int32_t>(t) - std::bit_cast<int32_t>(kRound);
  float r = c - n * 0.693359375f;  // ln 2 in two parts, the first exact in 9 bits
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  // 2^n as two normal factors (n in [−150, 127]), so results fall gradually into the subnormals
  // and round to 0 below exp(−103.9): exp(−104) is already 0.
  const int32_t e1 = e >> 1, e2 = e - e1;
  return p * std::bit_cast<float>((e1 + 127) << 23) * std::bit_cast<float>((e2 + 127) << 23);
}

// Partial sums (and maxima) per lane, combined in a fixed order: the same bits at every width.
constexpr int64_t kLanes = 16;

// Σ exp(a·x[i] + b), storing each exp in y[i] when Store. Always inlined, so it is compiled for the
// caller's clone.
template <bool Store>
[[gnu::always_inline]] inline float partial_exp_sum(float* y, const float* x, int64_t n, float a,
                                                    float b) {
  float part[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int64_t l = 0; l < kLanes; ++l) {
      const float e = exp_one(a * x[i + l] + b);
      if constexpr (Store) y[i + l] = e;
      part[l] += e;
    }
  for (; i < n; ++i) {
    const float e = exp_one(a * x[i] + b);
    if constexpr (Store) y[i] = e;
    part[i % kLanes] += e;
  }
  float sum = 0.0f;
  for (float s : part) sum += s;
  return sum;
}

}  // namespace

FT_EXP_CLONES void exp_affine(float* y, const float* x, int64_t n, float a, float b, float s) {
  if (y == x) {  // in place: one pointer, or GCC's overlap check sends the loop to its scalar copy
    for (int64_t i = 0; i < n; ++i) y[i] = s * exp_one(a * y[i] + b);
    return;
  }
  for (int64_t i = 0; i < n; ++i) y[i] = s * exp_one(a * x[i] + b);
}

FT_EXP_CLONES float sum_exp_affine(const float* x, int64_t n, float a, float b) {
  return partial_exp_sum<false>(nullptr, x, n, a, b);
}

FT_EXP_CLONES float exp_affine_sum(float* y, const float* x, int64_t n, float a, float b) {
  if (y == x) return partial_exp_sum<true>(y, y, n, a, b);  // one pointer: see exp_affine
  return partial_exp_sum<true>(y, x, n, a, b);
}

FT_EXP_CLONES float max_value(const float* x, int64_t n) {
  float part[kLanes];
  std::fill(part, part + kLanes, -std::numeric_limits<float>::infinity());
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int64_t l = 0; l < kLanes; ++l) part[l] = std::max(part[l], x[i + l]);
  for (; i < n; ++i) part[0] = std::max(part[0], x[i]);
  float mx = part[0];
  for (float p : part) mx = std::max(mx, p);
  return mx;
}

}  // namespace ft
