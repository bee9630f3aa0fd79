#include "kernels/attention_tiles.h"

#include <algorithm>

// One body per ISA, picked at load time; the baseline build stays generic x86-64.
#if defined(__x86_64__)
#define FT_TILE_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define FT_TILE_CLONES
#endif

namespace ft::attention_tiles {

void gather_rows(float* dst, const float* src, int64_t n, int64_t ld, int64_t HD) {
  for (int64_t i = 0; i < n; ++i) std::copy_n(src + i * ld, HD, dst + i * HD);
}

void transpose_tile(float* dst, const float* src, int64_t n, int64_t ld, int64_t HD) {
  for (int64_t d = 0; d < HD; ++d) {
    float* row = dst + d * kKeyTile;
    for (int64_t j = 0; j < n; ++j) row[j] = src[j * ld + d];
    std::fill(row + n, row + kKeyTile, 0.0f);
  }
}

FT_TILE_CLONES
void tile_products(float* s, const float* a, const float* bt, int64_t rows, int64_t HD) {
  for (int64_t i = 0; i < rows; ++i) {
    float acc[kKeyTile] = {};  // one register row across the whole d loop
    const float* ai = a + i * HD;
    for (int64_t d = 0; d < HD; ++d) {
      const float x = ai[d];
      const float* b = bt + d * kKeyTile;
      for (int64_t j = 0; j < kKeyTile; ++j) acc[j] += x * b[j];
    }
    std::copy_n(acc, kKeyTile, s + i * kKeyTile);
  }
}

namespace {

// c[0..len) += Σ_j w[j * w_stride] · b[j*ldb + 0..len), j < n, skipping zero weights (masked keys
// or queries contribute nothing, and x + 0·y == x).
template <int64_t kLen>
inline void axpy_rows(float* c, const float* w, int64_t w_stride, const float* b, int64_t ldb,
                      int64_t n, int64_t len) {
  const int64_t width = kLen > 0 ? kLen : len;
  float acc[kLen > 0 ? kLen : 1];
  float* out = c;
  if constexpr (kLen > 0) {
    std::copy_n(c, kLen, acc);
    out = acc;
  }
  for (int64_t j = 0; j < n; ++j) {
    const float x = w[j * w_stride];
    if (x == 0.0f) continue;
    const float* bj = b + j * ldb;
    for (int64_t d = 0; d < width; ++d) out[d] += x * bj[d];
  }
  if constexpr (kLen > 0) std::copy_n(acc, kLen, c);
}

constexpr int64_t kChunk = 32;  // head-dimension floats kept in registers at once

// Σ over n weighted rows for every kChunk-wide slice of the head dimension.
inline void accumulate_slices(float* c, const float* w, int64_t w_stride, const float* b,
                              int64_t ldb, int64_t n, int64_t HD) {
  int64_t d0 = 0;
  for (; d0 + kChunk <= HD; d0 += kChunk) axpy_rows<kChunk>(c + d0, w, w_stride, b + d0, ldb, n, kChunk);
  if (d0 < HD) axpy_rows<0>(c + d0, w, w_stride, b + d0, ldb, n, HD - d0);
}

}  // namespace

FT_TILE_CLONES
void tile_accumulate(float* c, int64_t ldc, const float* p, const float* b, int64_t ldb,
                     int64_t rows, int64_t n, int64_t HD) {
  for (int64_t i = 0; i < rows; ++i) accumulate_slices(c + i * ldc, p + i * kKeyTile, 1, b, ldb, n, HD);
}

FT_TILE_CLONES
void tile_accumulate_transposed(float* c, int64_t ldc, const float* p, const float* b, int64_t ldb,
                                int64_t rows, int64_t n, int64_t HD) {
  for (int64_t j = 0; j < n; ++j) accumulate_slices(c + j * ldc, p + j, kKeyTile, b, ldb, rows, HD);
}

}  // namespace ft::attention_tiles
