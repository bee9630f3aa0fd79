#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "kernels/attention.h"
#include "kernels/attention_tiles.h"
#include "kernels/vector_exp.h"

namespace ft {
namespace {

using namespace attention_tiles;

struct BackwardScratch {
  std::vector<float> buf;
  float *qd, *dod, *dqd, *kt, *vt, *p, *ds, *delta;
  explicit BackwardScratch(int64_t HD)
      : buf(static_cast<size_t>(3 * kQueryBlock * HD + 2 * HD * kKeyTile +
                                2 * kQueryBlock * kKeyTile + kQueryBlock)) {
    qd = buf.data();
    dod = qd + kQueryBlock * HD;
    dqd = dod + kQueryBlock * HD;
    kt = dqd + kQueryBlock * HD;
    vt = kt + HD * kKeyTile;
    p = vt + HD * kKeyTile;
    ds = p + kQueryBlock * kKeyTile;
    delta = ds + kQueryBlock * kKeyTile;
  }
};

// Gradients of nq query rows (t0.. of one head) against their visible keys, tile by tile: the
// probabilities are recomputed from the saved logsumexp, so nothing of size T×T is stored.
// Adds into dk/dv (rows of this kv head) and writes dq's rows.
void attend_block_backward(float* dq, float* dk, float* dv, const float* dout, const float* out,
                           const float* q, const float* k, const float* v, const float* lse,
                           const int64_t* first, int64_t t0, int64_t nq, int64_t q_ld,
                           int64_t kv_ld, int64_t HD, float scale, BackwardScratch& w) {
  gather_rows(w.qd, q, nq, q_ld, HD);
  gather_rows(w.dod, dout, nq, q_ld, HD);
  std::fill_n(w.dqd, nq * HD, 0.0f);
  for (int64_t i = 0; i < nq; ++i) {
    float delta = 0.0f;
    for (int64_t d = 0; d < HD; ++d) delta += dout[i * q_ld + d] * out[i * q_ld + d];
    w.delta[i] = delta;
  }
  const int64_t lo = *std::min_element(first, first + nq), hi = t0 + nq - 1;
  for (int64_t j0 = lo; j0 <= hi; j0 += kKeyTile) {
    const int64_t nj = std::min(kKeyTile, hi + 1 - j0);
    transpose_tile(w.kt, k + j0 * kv_ld, nj, kv_ld, HD);
    transpose_tile(w.vt, v + j0 * kv_ld, nj, kv_ld, HD);
    tile_products(w.p, w.qd, w.kt, nq, HD);
    tile_products(w.ds, w.dod, w.vt, nq, HD);
    for (int64_t i = 0; i < nq; ++i) {
      float *p = w.p + i * kKeyTile, *ds = w.ds + i * kKeyTile;
      const int64_t a = std::max(j0, first[i]) - j0, e = std::min(j0 + nj - 1, t0 + i) - j0;
      if (a > e) {
        std::fill_n(p, kKeyTile, 0.0f);
        std::fill_n(ds, kKeyTile, 0.0f);
        continue;
      }
      std::fill_n(p, a, 0.0f);
      std::fill_n(ds, a, 0.0f);
      exp_affine(p + a, p + a, e + 1 - a, scale, -lse[i]);
      for (int64_t j = a; j <= e; ++j) ds[j] = p[j] * (ds[j] - w.delta[i]) * scale;
      std::fill(p + e + 1, p + kKeyTile, 0.0f);
      std::fill(ds + e + 1, ds + kKeyTile, 0.0f);
    }
    tile_accumulate_transposed(dv + j0 * kv_ld, kv_ld, w.p, w.dod, HD, nq, nj, HD);
    tile_accumulate_transposed(dk + j0 * kv_ld, kv_ld, w.ds, w.qd, HD, nq, nj, HD);
    tile_accumulate(w.dqd, HD, w.ds, k + j0 * kv_ld, kv_ld, nq, nj, HD);
  }
  for (int64_t i = 0; i < nq; ++i) std::copy_n(w.dqd + i * HD, HD, dq + i * q_ld);
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
