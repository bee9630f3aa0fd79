// Tile products shared by attention_forward and attention_backward: a block of query rows against
// a tile of kKeyTile keys as small dense products, so the head-dimension loops vectorise across
// keys or across the head dimension instead of reducing one dot product at a time. Each output
// element accumulates its terms in index order, whatever the vector width the compiler's
// target_clones picked for this CPU, so every machine computes the same bits.
// Rows are HD floats; `ld*` are row strides in floats.
#pragma once
#include <cstdint>

namespace ft::attention_tiles {

inline constexpr int64_t kKeyTile = 64;     // keys per tile
inline constexpr int64_t kQueryBlock = 32;  // query rows per block

// dst[i*HD + d] = src[i*ld + d] for i < n.
void gather_rows(float* dst, const float* src, int64_t n, int64_t ld, int64_t HD);
// dst[d*kKeyTile + j] = src[j*ld + d] for j < n, 0 for n <= j < kKeyTile.
void transpose_tile(float* dst, const float* src, int64_t n, int64_t ld, int64_t HD);
// s[i*kKeyTile + j] = Σ_d a[i*HD + d] · bt[d*kKeyTile + j] for i < rows, j < kKeyTile.
void tile_products(float* s, const float* a, const float* bt, int64_t rows, int64_t HD);
// c[i*ldc + d] += Σ_{j<n} p[i*kKeyTile + j] · b[j*ldb + d] for i < rows (C += P·B).
void tile_accumulate(float* c, int64_t ldc, const float* p, const float* b, int64_t ldb,
                     int64_t rows, int64_t n, int64_t HD);
// c[j*ldc + d] += Σ_{i<rows} p[i*kKeyTile + j] · b[i*ldb + d] for j < n (C += Pᵀ·B).
void tile_accumulate_transposed(float* c, int64_t ldc, const float* p, const float* b, int64_t ldb,
                                int64_t rows, int64_t n, int64_t HD);

}  // namespace ft::attention_tiles
