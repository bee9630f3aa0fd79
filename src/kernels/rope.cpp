#include "kernels/rope.h"

#include <cmath>

namespace ft {
namespace {

// Rotates every pair by direction·angle: +1 is the forward rotation, −1 its inverse (= transpose),
// which is what the backward pass applies to the gradient.
void rotate(float* x, const int* pos, const float* inv_freq, int64_t N, int64_t H, int64_t HD,
            float direction) {
  const int64_t half = HD / 2;
#pragma omp parallel for if (N * H * HD > (1 << 14))
  for (int64_t n = 0; n < N; ++n) {
    const float p = static_cast<float>(pos[n]);
    for (int64_t i = 0; i < half; ++i) {
      // fp32 angle, as HF computes inv_freq @ position_ids in float32.
      const float angle = inv_freq[i] * p;
      const float c = std::cos(angle), s = direction * std::sin(angle);
      for (int64_t h = 0; h < H; ++h) {
        float* row = x + (n * H + h) * HD;
        const float x1 = row[i], x2 = row[i + half];
        row[i] = x1 * c - x2 * s;
        row[i + half] = x2 * c + x1 * s;
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
