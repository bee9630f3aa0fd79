#include "kernels/swiglu.h"

#include <algorithm>

#include "kernels/vector_exp.h"

namespace ft {
namespace {
// exp(−gate) is computed a chunk at a time into a stack buffer by the vectorised exp.
constexpr int64_t kChunk = 1024;
}  // namespace

void swiglu_forward(float* out, const float* gate, const float* up, int64_t n) {
#pragma omp parallel for if (n > (1 << 15))
  for (int64_t c = 0; c < n; c += kChunk) {
    const int64_t len = std::min(kChunk, n - c);
    float e[kChunk];
    exp_affine(e, gate + c, len, -1.0f, 0.0f);
    for (int64_t i = 0; i < len; ++i) out[c + i] = gate[c + i] / (1.0f + e[i]) * up[c + i];
  }
}

void swiglu_backward(float* dgate, float* dup, const float* dout, const float* gate,
                     const float* up, int64_t n) {
#pragma omp parallel for if (n > (1 << 15))
  for (int64_t c = 0; c < n; c += kChunk) {
    const int64_t len = std::min(kChunk, n - c);
    float e[kChunk];
    exp_affine(e, gate + c, len, -1.0f, 0.0f);
    for (int64_t i = c; i < c + len; ++i) {
      const float g = gate[i];
      const float sig = 1.0f / (1.0f + e[i - c]);
      dup[i] = dout[i] * g * sig;
      dgate[i] = dout[i] * up[i] * sig * (1.0f + g * (1.0f - sig));
    }
  }
}

}  // namespace ft
