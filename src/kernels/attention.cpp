#include "kernels/attention.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

namespace ft {
namespace {

constexpr int64_t kKeyTile = 64;

// One query row against its visible keys [first, last], online softmax over key tiles.
void attend_row(float* out, float* lse, const float* q, const float* k, const float* v,
                int64_t first, int64_t last, int64_t kv_row_stride, int64_t HD, float scale,
                float* acc) {
  float running_max = -std::numeric_limits<float>::infinity();
  float running_sum = 0.0f;
  std::fill(acc, acc + HD, 0.0f);
  float scores[kKeyTile];
  for (int64_t j0 = first; j0 <= last; j0 += kKeyTile) {
    const int64_t nj = std::min(kKeyTile, last + 1 - j0);
    float tile_max = -std::numeric_limits<float>::infinity();
    for (int64_t j = 0; j < nj; ++j) {
      const float* kr = k + (j0 + j) * kv_row_stride;
      float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
      for (int64_t d = 0; d < HD; ++d) dot += q[d] * kr[d];
      scores[j] = dot * scale;
      tile_max = std::max(tile_max, scores[j]);
    }
    const float new_max = std::max(running_max, tile_max);
    const float correction = std::exp(running_max - new_max);
    running_sum *= correction;
    for (int64_t d = 0; d < HD; ++d) acc[d] *= correction;
    for (int64_t j = 0; j < nj; ++j) {
      const float p = std::exp(scores[j] - new_max);
      running_sum += p;
      const float* vr = v + (j0 + j) * kv_row_stride;
#pragma omp simd
      for (int64_t d = 0; d < HD; ++d) acc[d] += p * vr[d];
    }
    running_max = new_max;
  }
  const float inv = 1.0f / running_sum;
  for (int64_t d = 0; d < HD; ++d) out[d] = acc[d] * inv;
  *lse = running_max + std::log(running_sum);
}

}  // namespace

std::vector<int64_t> first_visible_keys(const AttentionShape& s, const int32_t* segments) {
  if (segments && s.past != 0)
    throw std::invalid_argument("attention: segments need past = 0 (no KV cache)");
  std::vector<int64_t> first(static_cast<size_t>(s.B * s.T));
  for (int64_t b = 0; b < s.B; ++b) {
    const int32_t* seg = segments ? segments + b * s.T : nullptr;
    int64_t run_start = 0;
    for (int64_t t = 0; t < s.T; ++t) {
      if (seg && t > 0 && seg[t] != seg[t - 1]) run_start = t;
      const int64_t pos = s.past + t;
      int64_t f = s.window > 0 ? std::max<int64_t>(0, pos - s.window + 1) : 0;
      if (seg) f = seg[t] < 0 ? pos : std::max(f, run_start);
      first[static_cast<size_t>(b * s.T + t)] = f;
    }
  }
  return first;
}

void attention_forward(float* out, float* lse, const float* q, const float* k, const float* v,
                       const AttentionShape& s, const int32_t* segments) {
  if (s.NKV <= 0 || s.NH % s.NKV != 0 || s.past + s.T > s.kv_capacity)
    throw std::invalid_argument("attention_forward: inconsistent shape");
  const std::vector<int64_t> first_key = first_visible_keys(s, segments);
  const int64_t group = s.NH / s.NKV;
  const int64_t kv_row_stride = s.NKV * s.HD;
  const float scale = 1.0f / std::sqrt(static_cast<float>(s.HD));
  // Threads only pay off above a few tens of thousands of multiply-adds (decode steps of small
  // models stay on one thread instead of waking and spinning the pool).
  const int64_t work = s.B * s.NH * s.T * (s.past + s.T) * s.HD;
#pragma omp parallel if (work > (1 << 16))
  {
    std::vector<float> acc(static_cast<size_t>(s.HD));
#pragma omp for collapse(3) schedule(dynamic, 4)
    for (int64_t b = 0; b < s.B; ++b)
      for (int64_t h = 0; h < s.NH; ++h)
        for (int64_t t = 0; t < s.T; ++t) {
          const int64_t kvh = h / group;
          const int64_t kv_base = (b * s.kv_capacity * s.NKV + kvh) * s.HD;
          const int64_t row = ((b * s.T + t) * s.NH + h) * s.HD;
          const int64_t first = first_key[static_cast<size_t>(b * s.T + t)];
          attend_row(out + row, lse + (b * s.NH + h) * s.T + t, q + row, k + kv_base, v + kv_base,
                     first, s.past + t, kv_row_stride, s.HD, scale, acc.data());
        }
  }
}

}  // namespace ft
