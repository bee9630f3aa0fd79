#include "kernels/rope.h"

#include <algorithm>
#include <cmath>

namespace ft {
namespace {

constexpr int64_t kAngleRun = 64;  // angles per run: all of a head dim up to 128

// Rotates every pair by direction·angle: +1 is the forward rotation, −1 its inverse (= transpose),
// which is what the backward pass applies to the gradient.
void rotate(float* x, const int* pos, const float* inv_freq, int64_t N, int64_t H, int64_t HD,
            float direction) {
  const int64_t half = HD / 2;
#pragma omp parallel for if (N * H * HD > (1 << 14))
  for (int64_t n = 0; n < N; ++n) {
    // A run of one token's angles at a time, then every head's pairs over that run: contiguous
    // loops that vectorise, and each sin/cos computed once per token, not once per head.
    const float p = static_cast<float>(pos[n]);
    float cos_a[kAngleRun], sin_a[kAngleRun];
    for (int64_t i0 = 0; i0 < half; i0 += kAngleRun) {
      const int64_t run = std::min(kAngleRun, half - i0);
      for (int64_t i = 0; i < run; ++i) {
        // fp32 angle, as HF computes inv_freq @ position_ids in float32.
        const float angle = inv_freq[i0 + i] * p;
        cos_a[i] = std::cos(angle);
        sin_a[i] = direction * std::sin(angle);
      }
      for (int64_t h = 0; h < H; ++h) {
        float* lo = x + (n * H + h) * HD + i0;
        float* hi = lo + half;
#pragma omp simd
        for (int64_t i = 0; i < run; ++i) {
          const float x1 = lo[i], x2 = hi[i];
          lo[i] = x1 * cos_a[i] - x2 * sin_a[i];
          hi[i] = x2 * cos_a[i] + x1 * sin_a[i];
        }
      }
    }
  }
}

}  // namespace

void rope_forward(float* x, const int* pos, const float* inv_freq, int64_t N, int64_t H, int64_t HD) {
  rotate(x, pos, inv_freq, N, H, HD, 1.0f);
}

void rope_backward(float* dx, const int* pos, const float* inv_freq, int64_t N, int64_t H,
                   int64_t HD) {
  rotate(dx, pos, inv_freq, N, H, HD, -1.0f);
}

}  // namespace ft
