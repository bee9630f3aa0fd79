#include "kernels/attention_tile_ops.h"

#include <algorithm>
#include <limits>

#include "kernels/vector_exp.h"

// One body per ISA, picked at load time; the baseline build stays generic x86-64.
#if defined(__x86_64__)
#define FT_TILE_OPS_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define FT_TILE_OPS_CLONES
#endif

namespace ft::attention_tiles {

TileMask tile_mask(const int64_t* first, int64_t last0, int64_t row_step, int64_t nq, int64_t j0,
                   int64_t nj) {
  TileMask m;
  for (int64_t i = 0; i < nq; ++i) {
    m.from[i] = static_cast<int32_t>(std::max(j0, first[i]) - j0);
    m.to[i] = static_cast<int32_t>(std::min(j0 + nj - 1, last0 + i * row_step) - j0);
    m.any = m.any || m.from[i] <= m.to[i];
    m.all = m.all && m.from[i] == 0 && m.to[i] == nj - 1;
  }
  return m;
}

FT_TILE_OPS_CLONES
void hide_scores(float* s, const TileMask& m, int64_t nq, int64_t nj) {
  constexpr float kHidden = -std::numeric_limits<float>::infinity();
  for (int64_t j = 0; j < nj; ++j) {
    float* row = s + j * nq;
    const auto key = static_cast<int32_t>(j);
    for (int64_t i = 0; i < nq; ++i) row[i] = key < m.from[i] || key > m.to[i] ? kHidden : row[i];
  }
}

FT_TILE_OPS_CLONES
void column_max(float* m, const float* s, int64_t nq, int64_t nj) {
  for (int64_t j = 0; j < nj; ++j)
    for (int64_t i = 0; i < nq; ++i) m[i] = std::max(m[i], s[j * nq + i]);
}

FT_TILE_OPS_CLONES
void exp_scores(float* s, const float* offset, float scale, int64_t nq, int64_t nj) {
  for (int64_t j = 0; j < nj; ++j)
    for (int64_t i = 0; i < nq; ++i) s[j * nq + i] = s[j * nq + i] * scale - offset[i];
  exp_affine(s, s, nj * nq, 1.0f, 0.0f);
}

FT_TILE_OPS_CLONES
void column_sum(float* sum, const float* s, int64_t nq, int64_t nj) {
  for (int64_t j = 0; j < nj; ++j)
    for (int64_t i = 0; i < nq; ++i) sum[i] += s[j * nq + i];
}

FT_TILE_OPS_CLONES
void column_dots(float* dot, const float* a, const float* b, int64_t nq, int64_t HD) {
  std::fill_n(dot, nq, 0.0f);
  for (int64_t d = 0; d < HD; ++d)
    for (int64_t i = 0; i < nq; ++i) dot[i] += a[d * kQueryBlock + i] * b[d * kQueryBlock + i];
}

FT_TILE_OPS_CLONES
void score_gradients(float* ds, const float* p, const float* delta, float scale, int64_t nq,
                     int64_t nj) {
  for (int64_t j = 0; j < nj; ++j)
    for (int64_t i = 0; i < nq; ++i)
      ds[j * nq + i] = p[j * nq + i] * (ds[j * nq + i] - delta[i]) * scale;
}

}  // namespace ft::attention_tiles
