#include "kernels/attention.h"

#include "kernels/attention_tiles.h"
#include "kernels/vector_exp.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

namespace ft {
namespace {

using namespace attention_tiles;

// One block of nq query rows of head h against their visible keys, kKeyTile keys at a time with an
// online softmax per row. first[i]..last[i] are row i's visible keys; rows see no key outside them.
struct QueryBlock {
  const float* q;  // nq rows at stride q_ld
  int64_t q_ld, nq;
  const int64_t* first;  // [nq]
  int64_t last0;         // row i's last visible key is last0 + i
};

void attend_block(float* out, int64_t out_ld, float* lse, const QueryBlock& blk, const float* k,
                  const float* v, int64_t kv_ld, int64_t HD, float scale, float* scratch) {
  float* qd = scratch;                       // [nq,HD]
  float* acc = qd + kQueryBlock * HD;        // [nq,HD]
  float* kt = acc + kQueryBlock * HD;        // [HD,kKeyTile]
  float* s = kt + HD * kKeyTile;             // [nq,kKeyTile] scores, then probabilities
  float* row_max = s + kQueryBlock * kKeyTile;
  float* row_sum = row_max + kQueryBlock;
  const int64_t nq = blk.nq;
  gather_rows(qd, blk.q, nq, blk.q_ld, HD);
  std::fill_n(acc, nq * HD, 0.0f);
  std::fill_n(row_max, nq, -std::numeric_limits<float>::infinity());
  std::fill_n(row_sum, nq, 0.0f);
  const int64_t lo = *std::min_element(blk.first, blk.first + nq), hi = blk.last0 + nq - 1;
  for (int64_t j0 = lo; j0 <= hi; j0 += kKeyTile) {
    const int64_t nj = std::min(kKeyTile, hi + 1 - j0);
    transpose_tile(kt, k + j0 * kv_ld, nj, kv_ld, HD);
    tile_products(s, qd, kt, nq, HD);
    for (int64_t i = 0; i < nq; ++i) {
      float* p = s + i * kKeyTile;
      const int64_t a = std::max(j0, blk.first[i]) - j0;
      const int64_t e = std::min(j0 + nj - 1, blk.last0 + i) - j0;
      if (a > e) {
        std::fill_n(p, kKeyTile, 0.0f);
        continue;
      }
      float tile_max = -std::numeric_limits<float>::infinity();
      for (int64_t j = a; j <= e; ++j) tile_max = std::max(tile_max, p[j] * scale);
      const float new_max = std::max(row_max[i], tile_max);
      const float correction = std::exp(row_max[i] - new_max);
      row_sum[i] *= correction;
      for (int64_t d = 0; d < HD; ++d) acc[i * HD + d] *= correction;
      std::fill_n(p, a, 0.0f);
      exp_affine(p + a, p + a, e + 1 - a, scale, -new_max);
      for (int64_t j = a; j <= e; ++j) row_sum[i] += p[j];
      std::fill(p + e + 1, p + kKeyTile, 0.0f);
      row_max[i] = new_max;
    }
    tile_accumulate(acc, HD, s, v + j0 * kv_ld, kv_ld, nq, nj, HD);
  }
  for (int64_t i = 0; i < nq; ++i) {
    const float inv = 1.0f / row_sum[i];
    for (int64_t d = 0; d < HD; ++d) out[i * out_ld + d] = acc[i * HD + d] * inv;
    lse[i] = row_max[i] + std::log(row_sum[i]);
  }
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
  const int64_t blocks = (s.T + kQueryBlock - 1) / kQueryBlock;
#pragma omp parallel if (work > (1 << 16))
  {
    std::vector<float> scratch(static_cast<size_t>(
        2 * kQueryBlock * s.HD + s.HD * kKeyTile + kQueryBlock * kKeyTile + 2 * kQueryBlock));
#pragma omp for collapse(3) schedule(dynamic, 1)
    for (int64_t b = 0; b < s.B; ++b)
      for (int64_t h = 0; h < s.NH; ++h)
        for (int64_t blk = 0; blk < blocks; ++blk) {
          const int64_t t0 = blk * kQueryBlock, nq = std::min(kQueryBlock, s.T - t0);
          const int64_t kv_base = (b * s.kv_capacity * s.NKV + h / group) * s.HD;
          const int64_t row = ((b * s.T + t0) * s.NH + h) * s.HD;
          const QueryBlock block{.q = q + row, .q_ld = s.NH * s.HD, .nq = nq,
                                 .first = first_key.data() + b * s.T + t0, .last0 = s.past + t0};
          attend_block(out + row, s.NH * s.HD, lse + (b * s.NH + h) * s.T + t0, block,
                       k + kv_base, v + kv_base, kv_row_stride, s.HD, scale, scratch.data());
        }
  }
}

}  // namespace ft
