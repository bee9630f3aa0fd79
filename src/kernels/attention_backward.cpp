#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "kernels/attention.h"
#include "kernels/attention_tile_ops.h"
#include "kernels/attention_tiles.h"

namespace ft {
namespace {

using namespace attention_tiles;

struct BackwardScratch {
  std::vector<float> buf;
  float *qt, *dot, *outt, *p, *dp, *delta;
  explicit BackwardScratch(int64_t HD)
      : buf(static_cast<size_t>(3 * HD * kQueryBlock + 2 * kKeyTile * kQueryBlock + kQueryBlock)) {
    qt = buf.data();               // [HD, kQueryBlock] queries, transposed
    dot = qt + HD * kQueryBlock;   // [HD, kQueryBlock] output gradients, transposed
    outt = dot + HD * kQueryBlock;  // [HD, kQueryBlock] outputs, transposed
    p = outt + HD * kQueryBlock;   // [nj, nq] probabilities (key-major, as all tiles)
    dp = p + kKeyTile * kQueryBlock;  // [nj, nq] dP, then dS
    delta = dp + kKeyTile * kQueryBlock;
  }
};

// Gradients of nq query rows (t0.. of one head) against their visible keys, tile by tile: the
// probabilities are recomputed from the saved logsumexp, so nothing of size T×T is stored.
// Adds into dk/dv (rows of this kv head) and writes dq's rows.
void attend_block_backward(float* dq, float* dk, float* dv, const float* dout, const float* out,
                           const float* q, const float* k, const float* v, const float* lse,
                           const int64_t* first, int64_t t0, int64_t nq, int64_t q_ld,
                           int64_t kv_ld, int64_t HD, float scale, BackwardScratch& w) {
  prefetch_rows(dq, nq, q_ld, HD);
  transpose_block(w.qt, q, nq, q_ld, HD);
  transpose_block(w.dot, dout, nq, q_ld, HD);
  transpose_block(w.outt, out, nq, q_ld, HD);
  column_dots(w.delta, w.dot, w.outt, nq, HD);  // delta_i = dO_i·O_i, all rows at once
  for (int64_t i = 0; i < nq; ++i) std::fill_n(dq + i * q_ld, HD, 0.0f);
  const int64_t lo = *std::min_element(first, first + nq), hi = t0 + nq - 1;
  for (int64_t j0 = lo; j0 <= hi; j0 += kKeyTile) {
    const int64_t nj = std::min(kKeyTile, hi + 1 - j0);
    const TileMask mask = tile_mask(first, t0, nq, j0, nj);
    if (!mask.any) continue;
    // Pᵀ and dPᵀ = V·dOᵀ with keys as rows (see attention_forward), so every product below reads
    // q, k, v and dout rows in place.
    const auto keys_by_block = [&](float* c, const float* a, const float* bt) {
      tile_multiply({.c = c, .ldc = nq, .a = a + j0 * kv_ld, .a_row = kv_ld, .a_k = 1,
                     .b = bt, .ldb = kQueryBlock, .rows = nj, .depth = HD, .cols = nq,
                     .accumulate = false});
    };
    keys_by_block(w.p, k, w.qt);
    keys_by_block(w.dp, v, w.dot);
    if (!mask.all) hide_scores(w.p, mask, nq, nj);
    exp_scores(w.p, lse, scale, nq, nj);
    score_gradients(w.dp, w.p, w.delta, scale, nq, nj);
    // dV += Pᵀ·dO and dK += dSᵀ·Q over this tile's keys; dQ += dS·K over the block's rows.
    const auto keys_from_queries = [&](float* c, const float* a, const float* b) {
      tile_multiply({.c = c + j0 * kv_ld, .ldc = kv_ld, .a = a, .a_row = nq, .a_k = 1,
                     .b = b, .ldb = q_ld, .rows = nj, .depth = nq, .cols = HD, .accumulate = true});
    };
    keys_from_queries(dv, w.p, dout);
    keys_from_queries(dk, w.dp, q);
    tile_multiply({.c = dq, .ldc = q_ld, .a = w.dp, .a_row = 1, .a_k = nq,
                   .b = k + j0 * kv_ld, .ldb = kv_ld, .rows = nq, .depth = nj, .cols = HD,
                   .accumulate = true});
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
  const int64_t q_ld = s.NH * s.HD;
  // One task per (batch, kv head) owns its dk/dv rows, so no two threads write the same element.
#pragma omp parallel
  {
    BackwardScratch scratch(s.HD);
#pragma omp for collapse(2) schedule(dynamic, 1)
    for (int64_t b = 0; b < s.B; ++b)
      for (int64_t kvh = 0; kvh < s.NKV; ++kvh) {
        const int64_t kv_base = (b * s.T * s.NKV + kvh) * s.HD;
        for (int64_t t = 0; t < s.T; ++t) {
          std::fill_n(dk + kv_base + t * kv_row_stride, s.HD, 0.0f);
          std::fill_n(dv + kv_base + t * kv_row_stride, s.HD, 0.0f);
        }
        for (int64_t h = kvh * group; h < (kvh + 1) * group; ++h)
          for (int64_t t0 = 0; t0 < s.T; t0 += kQueryBlock) {
            const int64_t row = ((b * s.T + t0) * s.NH + h) * s.HD;
            attend_block_backward(dq + row, dk + kv_base, dv + kv_base, dout + row, out + row,
                                  q + row, k + kv_base, v + kv_base, lse + (b * s.NH + h) * s.T + t0,
                                  first_key.data() + b * s.T + t0, t0,
                                  std::min(kQueryBlock, s.T - t0), q_ld, kv_row_stride, s.HD,
                                  scale, scratch);
          }
      }
  }
}

}  // namespace ft
