#include <omp.h>

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

// Where one visit of a query block puts its gradients, over keys [key_begin, key_end) only.
struct BlockTargets {
  float* dq;            // the block's rows, written; null: dq is not wanted
  float* dk;            // this kv head's rows, added to; null (with dv): dk and dv are not wanted
  float* dv;
  int64_t key_begin, key_end;
};

// Gradients of nq query rows (t0.. of one head) against their visible keys in the targets' range,
// tile by tile: the probabilities are recomputed from the saved logsumexp, so nothing of size T×T
// is stored. Every dq, dk and dv element adds its terms in key order, resp. in query order per
// block (tile_multiply's k order), so splitting the keys into ranges changes no bit.
void attend_block_backward(const BlockTargets& to, const float* dout, const float* out,
                           const float* q, const float* k, const float* v, const float* lse,
                           const int64_t* first, int64_t t0, int64_t nq, int64_t q_ld,
                           int64_t kv_ld, int64_t HD, float scale, BackwardScratch& w) {
  const int64_t lo = std::max(to.key_begin, *std::min_element(first, first + nq));
  const int64_t hi = std::min(to.key_end - 1, t0 + nq - 1);
  if (to.dq) prefetch_rows(to.dq, nq, q_ld, HD);
  if (lo <= hi) {
    transpose_block(w.qt, q, nq, q_ld, HD);
    transpose_block(w.dot, dout, nq, q_ld, HD);
    transpose_block(w.outt, out, nq, q_ld, HD);
    column_dots(w.delta, w.dot, w.outt, nq, HD);  // delta_i = dO_i·O_i, all rows at once
  }
  if (to.dq)
    for (int64_t i = 0; i < nq; ++i) std::fill_n(to.dq + i * q_ld, HD, 0.0f);
  for (int64_t j0 = lo; j0 <= hi; j0 += kKeyTile) {
    const int64_t nj = std::min(kKeyTile, hi + 1 - j0);
    const TileMask mask = tile_mask(first, t0, 1, nq, j0, nj);
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
    if (to.dk) {
      keys_from_queries(to.dv, w.p, dout);
      keys_from_queries(to.dk, w.dp, q);
    }
    if (to.dq)
      tile_multiply({.c = to.dq, .ldc = q_ld, .a = w.dp, .a_row = 1, .a_k = nq,
                     .b = k + j0 * kv_ld, .ldb = kv_ld, .rows = nq, .depth = nj, .cols = HD,
                     .accumulate = true});
  }
}

// The tensors and layout of one attention_backward call, and one visit of a query block in it.
struct BackwardProblem {
  float *dq, *dk, *dv;
  const float *dout, *out, *lse, *q, *k, *v;
  const AttentionShape& s;
  std::vector<int64_t> first_key;
  int64_t group, q_ld, kv_ld;
  float scale;

  int64_t kv_base(int64_t b, int64_t kvh) const { return (b * s.T * s.NKV + kvh) * s.HD; }

  // Query block t0 of head h in row b: dq if `with_dq`, dk and dv if `with_dkv`, over the keys
  // [key_begin, key_end).
  void visit(int64_t b, int64_t h, int64_t t0, bool with_dq, bool with_dkv, int64_t key_begin,
             int64_t key_end, BackwardScratch& w) const {
    const int64_t row = ((b * s.T + t0) * s.NH + h) * s.HD, kv = kv_base(b, h / group);
    const BlockTargets to{.dq = with_dq ? dq + row : nullptr, .dk = with_dkv ? dk + kv : nullptr,
                          .dv = with_dkv ? dv + kv : nullptr, .key_begin = key_begin,
                          .key_end = key_end};
    attend_block_backward(to, dout + row, out + row, q + row, k + kv, v + kv,
                          lse + (b * s.NH + h) * s.T + t0, first_key.data() + b * s.T + t0, t0,
                          std::min(kQueryBlock, s.T - t0), q_ld, kv_ld, s.HD, scale, w);
  }

  // Zeroes dk and dv rows [j0, j1) of one kv head.
  void clear_keys(int64_t b, int64_t kvh, int64_t j0, int64_t j1) const {
    for (int64_t j = j0; j < j1; ++j) {
      std::fill_n(dk + kv_base(b, kvh) + j * kv_ld, s.HD, 0.0f);
      std::fill_n(dv + kv_base(b, kvh) + j * kv_ld, s.HD, 0.0f);
    }
  }
};

// One task per (batch, kv head): it owns that head's dk/dv rows, so no two threads write the same
// element, and visits each tile once for all three gradients.
void backward_one_pass(const BackwardProblem& p) {
  const AttentionShape& s = p.s;
#pragma omp parallel
  {
    BackwardScratch scratch(s.HD);
#pragma omp for collapse(2) schedule(dynamic, 1)
    for (int64_t b = 0; b < s.B; ++b)
      for (int64_t kvh = 0; kvh < s.NKV; ++kvh) {
        p.clear_keys(b, kvh, 0, s.T);
        for (int64_t h = kvh * p.group; h < (kvh + 1) * p.group; ++h)
          for (int64_t t0 = 0; t0 < s.T; t0 += kQueryBlock)
            p.visit(b, h, t0, true, true, 0, s.T, scratch);
      }
  }
}

// dk and dv by tasks owning one key tile of a kv head (visiting its query heads and blocks in the
// one-pass order, so each key row sums the same terms in the same order), then dq by tasks owning
// one query block of one head.
void backward_two_pass(const BackwardProblem& p) {
  const AttentionShape& s = p.s;
  const int64_t key_tiles = (s.T + kKeyTile - 1) / kKeyTile;
  const int64_t blocks = (s.T + kQueryBlock - 1) / kQueryBlock;
#pragma omp parallel
  {
    BackwardScratch scratch(s.HD);
#pragma omp for collapse(3) schedule(dynamic, 1)
    for (int64_t b = 0; b < s.B; ++b)
      for (int64_t kvh = 0; kvh < s.NKV; ++kvh)
        for (int64_t tile = 0; tile < key_tiles; ++tile) {
          const int64_t j0 = tile * kKeyTile, j1 = std::min(s.T, j0 + kKeyTile);
          p.clear_keys(b, kvh, j0, j1);
          // Queries before j0 see none of these keys (causal).
          for (int64_t h = kvh * p.group; h < (kvh + 1) * p.group; ++h)
            for (int64_t t0 = j0 / kQueryBlock * kQueryBlock; t0 < s.T; t0 += kQueryBlock)
              p.visit(b, h, t0, false, true, j0, j1, scratch);
        }
#pragma omp for collapse(3) schedule(dynamic, 1)
    for (int64_t b = 0; b < s.B; ++b)
      for (int64_t h = 0; h < s.NH; ++h)
        for (int64_t blk = 0; blk < blocks; ++blk)
          p.visit(b, h, blk * kQueryBlock, true, false, 0, s.T, scratch);
  }
}

}  // namespace

AttentionBackwardSchedule attention_backward_schedule(const AttentionShape& s, int threads) {
  // In units of one (batch, kv head)'s products: one pass runs ceil(tasks/threads) rounds of 5;
  // two passes spread 7 per task over the threads their key tiles can keep busy.
  const int64_t tasks = s.B * s.NKV, key_tiles = (s.T + kKeyTile - 1) / kKeyTile;
  const int64_t rounds = (tasks + threads - 1) / threads;
  const int64_t busy = std::min<int64_t>(threads, tasks * key_tiles);
  return 7 * tasks < 5 * rounds * busy ? AttentionBackwardSchedule::kTwoPass
                                       : AttentionBackwardSchedule::kOnePass;
}

void attention_backward(float* dq, float* dk, float* dv, const float* dout, const float* out,
                        const float* lse, const float* q, const float* k, const float* v,
                        const AttentionShape& s, const int32_t* segments,
                        AttentionBackwardSchedule schedule) {
  if (s.NKV <= 0 || s.NH % s.NKV != 0 || s.past != 0 || s.kv_capacity != s.T)
    throw std::invalid_argument("attention_backward: inconsistent shape");
  const BackwardProblem p{.dq = dq, .dk = dk, .dv = dv, .dout = dout, .out = out, .lse = lse,
                          .q = q, .k = k, .v = v, .s = s,
                          .first_key = first_visible_keys(s, segments), .group = s.NH / s.NKV,
                          .q_ld = s.NH * s.HD, .kv_ld = s.NKV * s.HD,
                          .scale = 1.0f / std::sqrt(static_cast<float>(s.HD))};
  if (schedule == AttentionBackwardSchedule::kAuto)
    schedule = attention_backward_schedule(s, omp_get_max_threads());
  if (schedule == AttentionBackwardSchedule::kTwoPass)
    backward_two_pass(p);
  else
    backward_one_pass(p);
}

}  // namespace ft
