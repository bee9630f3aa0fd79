// The one dense product behind attention_forward and attention_backward, on tiles of kKeyTile keys
// against blocks of kQueryBlock queries: C (+)= A·B, with A read through strides so the same kernel
// multiplies by a tile or by its transpose, and B's rows contiguous (head-dimension rows of q, k, v,
// dout as they sit in memory, or a query block transposed once). Register-blocked micro-kernels
// keep kRowBlock rows × a few vectors of C in registers, so each loaded B vector feeds kRowBlock
// multiply-adds; AVX-512F, AVX2+FMA and a portable path are chosen at run time.
// Determinism: every C element accumulates its terms in k order, each a fused multiply-add
// (vfmadd on the vector paths, std::fma on the portable one and on column tails), so every path and
// every vector width computes the same bits.
#pragma once
#include <cstdint>

namespace ft::attention_tiles {

inline constexpr int64_t kKeyTile = 64;     // keys per tile
inline constexpr int64_t kQueryBlock = 32;  // query rows per block

// c[r*ldc + n] = (accumulate ? c[r*ldc + n] : 0) + Σ_{k<depth} a[r*a_row + k*a_k] · b[k*ldb + n]
// for r < rows, n < cols.
struct TileProduct {
  float* c;
  int64_t ldc;
  const float* a;
  int64_t a_row, a_k;
  const float* b;
  int64_t ldb;
  int64_t rows, depth, cols;
  bool accumulate;
};

enum class TilePath { portable, avx2, avx512 };

bool tile_path_supported(TilePath path);
// The path attention takes: the widest this CPU supports, unless force_tile_path chose another.
TilePath tile_path();
// Tests only: run attention on another supported path (to check every path gives the same bits).
void force_tile_path(TilePath path);

void tile_multiply(const TileProduct& t);  // on tile_path()
void tile_multiply(const TileProduct& t, TilePath path);

// dst[d*kQueryBlock + i] = src[i*ld + d] for i < n, d < HD: a query block as B of a product.
void transpose_block(float* dst, const float* src, int64_t n, int64_t ld, int64_t HD);  // on tile_path()
void transpose_block(float* dst, const float* src, int64_t n, int64_t ld, int64_t HD, TilePath path);
// Asks for the cache lines of rows src[i*ld + 0..HD), i < n. Query rows are one per token, far
// apart and rarely cached: requesting them all up front overlaps their misses.
void prefetch_rows(const float* src, int64_t n, int64_t ld, int64_t HD);

}  // namespace ft::attention_tiles
