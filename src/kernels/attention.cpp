#include "kernels/attention.h"

#include "kernels/attention_tile_ops.h"
#include "kernels/attention_tiles.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

namespace ft {
namespace {

using namespace attention_tiles;

// One block of nq query rows against their visible keys, kKeyTile keys at a time with an online
// softmax per row. first[i]..last0+i·row_step are row i's visible keys: rows are consecutive tokens
// of one head (row_step 1), or in decoding the query heads of one token that share a kv head (0).
struct QueryBlock {
  const float* q;  // nq rows at stride q_ld
  int64_t q_ld, nq;
  const int64_t* first;  // [nq]
  int64_t last0, row_step;
};

struct ForwardScratch {
  std::vector<float> buf;
  float *qt, *acc, *s, *row_max, *row_sum, *tile_max, *offset;
  explicit ForwardScratch(int64_t HD)
      : buf(static_cast<size_t>(2 * HD * kQueryBlock + kKeyTile * kQueryBlock + 4 * kQueryBlock)) {
    qt = buf.data();                  // [HD, kQueryBlock] the block's queries, transposed
    acc = qt + HD * kQueryBlock;      // [nq, HD] unnormalised outputs
    s = acc + kQueryBlock * HD;       // [nj, nq] scores, then probabilities
    row_max = s + kKeyTile * kQueryBlock;
    row_sum = row_max + kQueryBlock;
    tile_max = row_sum + kQueryBlock;
    offset = tile_max + kQueryBlock;
  }
};

// Folds one tile's scores (s[j*nq + i]) into the running max and sum of each row,
// rescaling the rows' accumulated outputs, and leaves the tile's probabilities in s.
void softmax_tile(ForwardScratch& w, const TileMask& m, int64_t nq, int64_t nj, int64_t HD,
                  float scale) {
  constexpr float kNone = -std::numeric_limits<float>::infinity();
  if (!m.all) hide_scores(w.s, m, nq, nj);
  std::fill_n(w.tile_max, nq, kNone);
  column_max(w.tile_max, w.s, nq, nj);
  for (int64_t i = 0; i < nq; ++i) {
    // scale > 0, so the max of the scaled scores is the scaled max.
    const float new_max = std::max(w.row_max[i], w.tile_max[i] * scale);
    if (new_max != w.row_max[i]) {
      const float correction = std::exp(w.row_max[i] - new_max);
      w.row_sum[i] *= correction;
      for (int64_t d = 0; d < HD; ++d) w.acc[i * HD + d] *= correction;
      w.row_max[i] = new_max;
    }
    // A row that has seen no key yet has only hidden scores here: any finite offset sends them to 0.
    w.offset[i] = new_max == kNone ? 0.0f : new_max;
  }
  exp_scores(w.s, w.offset, scale, nq, nj);
  column_sum(w.row_sum, w.s, nq, nj);
}

void attend_block(float* out, int64_t out_ld, float* lse, const QueryBlock& blk, const float* k,
                  const float* v, int64_t kv_ld, int64_t HD, float scale, ForwardScratch& w) {
  const int64_t nq = blk.nq;
  prefetch_rows(out, nq, out_ld, HD);
  transpose_block(w.qt, blk.q, nq, blk.q_ld, HD);
  std::fill_n(w.acc, nq * HD, 0.0f);
  std::fill_n(w.row_max, nq, -std::numeric_limits<float>::infinity());
  std::fill_n(w.row_sum, nq, 0.0f);
  const int64_t lo = *std::min_element(blk.first, blk.first + nq);
  const int64_t hi = blk.last0 + (nq - 1) * blk.row_step;
  for (int64_t j0 = lo; j0 <= hi; j0 += kKeyTile) {
    const int64_t nj = std::min(kKeyTile, hi + 1 - j0);
    const TileMask mask = tile_mask(blk.first, blk.last0, blk.row_step, nq, j0, nj);
    if (!mask.any) continue;
    // Scores transposed, sᵀ = K·Qᵀ: K's rows are read in place, only the query block was
    // transposed (once for all tiles).
    tile_multiply({.c = w.s, .ldc = nq, .a = k + j0 * kv_ld, .a_row = kv_ld, .a_k = 1,
                   .b = w.qt, .ldb = kQueryBlock, .rows = nj, .depth = HD, .cols = nq,
                   .accumulate = false});
    softmax_tile(w, mask, nq, nj, HD, scale);
    tile_multiply({.c = w.acc, .ldc = HD, .a = w.s, .a_row = 1, .a_k = nq,
                   .b = v + j0 * kv_ld, .ldb = kv_ld, .rows = nq, .depth = nj, .cols = HD,
                   .accumulate = true});
  }
  for (int64_t i = 0; i < nq; ++i) {
    const float inv = 1.0f / w.row_sum[i];
    for (int64_t d = 0; d < HD; ++d) out[i * out_ld + d] = w.acc[i * HD + d] * inv;
    lse[i] = w.row_max[i] + std::log(w.row_sum[i]);
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
  // A block's rows: up to kQueryBlock tokens of one head; when decoding one token, up to
  // kQueryBlock of the query heads that share a kv head, so one tile product serves them all
  // (every row's arithmetic is the same either way: only the vector lanes it shares change).
  const bool heads_as_rows = s.T == 1 && group > 1;
  const int64_t lanes = heads_as_rows ? s.NKV : s.NH;
  const int64_t blocks = ((heads_as_rows ? group : s.T) + kQueryBlock - 1) / kQueryBlock;
#pragma omp parallel if (work > (1 << 16))
  {
    ForwardScratch scratch(s.HD);
    int64_t token_first[kQueryBlock];
#pragma omp for collapse(3) schedule(dynamic, 1)
    for (int64_t b = 0; b < s.B; ++b)
      for (int64_t lane = 0; lane < lanes; ++lane)
        for (int64_t blk = 0; blk < blocks; ++blk) {
          const int64_t h = heads_as_rows ? lane * group + blk * kQueryBlock : lane;
          const int64_t t0 = heads_as_rows ? 0 : blk * kQueryBlock;
          const int64_t nq = std::min(kQueryBlock, heads_as_rows ? group - blk * kQueryBlock : s.T - t0);
          const int64_t q_ld = heads_as_rows ? s.HD : s.NH * s.HD;
          const int64_t* first = first_key.data() + b * s.T + t0;
          if (heads_as_rows) {
            std::fill_n(token_first, nq, *first);
            first = token_first;
          }
          const int64_t kv_base = (b * s.kv_capacity * s.NKV + h / group) * s.HD;
          const int64_t row = ((b * s.T + t0) * s.NH + h) * s.HD;
          const QueryBlock block{.q = q + row, .q_ld = q_ld, .nq = nq, .first = first,
                                 .last0 = s.past + t0, .row_step = heads_as_rows ? 0 : 1};
          attend_block(out + row, q_ld, lse + (b * s.NH + h) * s.T + t0, block, k + kv_base,
                       v + kv_base, kv_row_stride, s.HD, scale, scratch);
        }
  }
}

}  // namespace ft
