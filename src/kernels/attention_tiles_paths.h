// Each path's entry points behind tile_multiply and transpose_block (attention_tiles.h), defined in
// attention_tiles.cpp (portable) and attention_tiles_avx2.cpp / attention_tiles_avx512.cpp.
// Included before any target pragma, so every file sees them as plain functions.
#pragma once
#include <cstdint>

#include "kernels/attention_tiles.h"

namespace ft::attention_tiles {

void multiply_portable(const TileProduct& t);
void multiply_avx2(const TileProduct& t);
void multiply_avx512(const TileProduct& t);
void transpose_portable(float* dst, const float* src, int64_t n, int64_t ld, int64_t HD);
void transpose_avx2(float* dst, const float* src, int64_t n, int64_t ld, int64_t HD);

}  // namespace ft::attention_tiles
