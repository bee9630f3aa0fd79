#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "kernels/attention.h"

namespace ft {
namespace {

// Gradients of one query row against its visible keys [first, last]: the probabilities are
// recomputed from the saved logsumexp, so nothing of size T×T is stored.
void attend_row_backward(float* dq, float* dk, float* dv, const float* dout, const float* q,
                         const float* k, const float* v, float lse, float delta, int64_t first,
                         int64_t last, int64_t kv_row_stride, int64_t HD, float scale) {
  for (int64_t j = first; j <= last; ++j) {
    const float* kr = k + j * kv_row_stride;
    const float* vr = v + j * kv_row_stride;
    float dot = 0.0f, dp = 0.0f;
#pragma omp simd reduction(+ : dot, dp)
    for (int64_t d = 0; d < HD; ++d) {
      dot += q[d] * kr[d];
      dp += dout[d] * vr[d];
    }
    const float p = std::exp(dot * scale - lse);
    const float ds = p * (dp - delta) * scale;
    float* dkr = dk + j * kv_row_stride;
    float* dvr = dv + j * kv_row_stride;
#pragma omp simd
    for (int64_t d = 0; d < HD; ++d) {
      dq[d] += ds * kr[d];
      dkr[d] += ds * q[d];
      dvr[d] += p * dout[d];
    }
  }
}

}  // namespace

void attention_backward(float* dq, float* dk, float* dv, const float* dout, const float* out,
                        const float* lse, const float* q, const float* k, const float* v,
                        const AttentionShape& s, const int32_t* segments) {
  if (s.NKV <= 0 || s.NH % s.NKV != 0 || s.past != 0 || s.kv_capacity != s.T)
    throw std::invalid_argument("attention_backward: inconsistent shape");
  const std::vector<int64_t> first_key = first_visible_keys(s, segments);
  const int64_t group = s.NH / s.NKV;
  const int64_t kv_row_stride = s.NKV * s.HD;
  const float scale = 1.0f / std::sqrt(static_cast<float>(s.HD));
  // One task per (batch, kv head) owns its dk/dv rows, so no two threads write the same element.
#pragma omp parallel for collapse(2) schedule(dynamic, 1)
  for (int64_t b = 0; b < s.B; ++b)
    for (int64_t kvh = 0; kvh < s.NKV; ++kvh) {
      const int64_t kv_base = (b * s.T * s.NKV + kvh) * s.HD;
      for (int64_t t = 0; t < s.T; ++t) {
        std::fill_n(dk + kv_base + t * kv_row_stride, s.HD, 0.0f);
        std::fill_n(dv + kv_base + t * kv_row_stride, s.HD, 0.0f);
        for (int64_t h = kvh * group; h < (kvh + 1) * group; ++h)
          std::fill_n(dq + ((b * s.T + t) * s.NH + h) * s.HD, s.HD, 0.0f);
      }
      for (int64_t h = kvh * group; h < (kvh + 1) * group; ++h)
        for (int64_t t = 0; t < s.T; ++t) {
          const int64_t row = ((b * s.T + t) * s.NH + h) * s.HD;
          float delta = 0.0f;
          for (int64_t d = 0; d < s.HD; ++d) delta += dout[row + d] * out[row + d];
          const int64_t first = first_key[static_cast<size_t>(b * s.T + t)];
          attend_row_backward(dq + row, dk + kv_base, dv + kv_base, dout + row, q + row,
                              k + kv_base, v + kv_base, lse[(b * s.NH + h) * s.T + t], delta,
                              first, t, kv_row_stride, s.HD, scale);
        }
    }
}

}  // namespace ft
