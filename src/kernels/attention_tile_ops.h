// The element-wise work between the two products of an attention tile, shared by
// attention_forward and attention_backward so both apply exactly the same mask and arithmetic.
// Score tiles are key-major and dense: s[j*nq + i] for keys j < nj of the tile and queries i < nq
// of the block (one exp call per tile, whatever nq). Query i sees keys first[i]..last0+i·row_step of
// the sequence (row_step 1: consecutive tokens of one head; 0: heads of one token); a TileMask holds
// those bounds relative to the tile's first key j0, clipped to its nj keys (from > to: none).
// Each element's arithmetic is fixed (no FMA contraction in ISO C++), so the ISA clones agree.
#pragma once
#include <cstdint>

#include "kernels/attention_tiles.h"

namespace ft::attention_tiles {

struct TileMask {
  int32_t from[kQueryBlock], to[kQueryBlock];
  bool any = false;  // some query sees some key of the tile
  bool all = true;   // every query sees every key of the tile
};

TileMask tile_mask(const int64_t* first, int64_t last0, int64_t row_step, int64_t nq, int64_t j0,
                   int64_t nj);
// s = −inf where query i does not see key j.
void hide_scores(float* s, const TileMask& m, int64_t nq, int64_t nj);
// m[i] = max(m[i], s[j, i]) over j < nj.
void column_max(float* m, const float* s, int64_t nq, int64_t nj);
// s[j, i] = exp(scale·s[j, i] − offset[i]); hidden scores (−inf) become 0. offset[i] finite.
void exp_scores(float* s, const float* offset, float scale, int64_t nq, int64_t nj);
// sum[i] += s[j, i] for j = 0, 1, ..., nj−1.
void column_sum(float* sum, const float* s, int64_t nq, int64_t nj);
// dot[i] = Σ_d a[d, i]·b[d, i] for d = 0, 1, ..., HD−1: row dot products of two transposed
// query blocks, vectorised across the rows.
void column_dots(float* dot, const float* a, const float* b, int64_t nq, int64_t HD);
// ds[j, i] = p[j, i]·(ds[j, i] − delta[i])·scale: dP into the scores' gradient.
void score_gradients(float* ds, const float* p, const float* delta, float scale, int64_t nq,
                     int64_t nj);

}  // namespace ft::attention_tiles
