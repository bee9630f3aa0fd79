// The AMX task loop (amx_gemm.h), written once over a tile policy `Tiles` with static members
// configure(config), release(), zero<t>(), load<t>(ptr, stride), store<t>(ptr, stride) and
// dot<c, a, b>() (TDPBF16PS), so the hardware and the emulated tiles run the same instructions in the
// same order. Tiles 0–3 accumulate C (rows 0–15 / 16–31 by columns 0–15 / 16–31), 4–5 hold A's two
// row halves, 6–7 B's two column halves.
#pragma once
#include <algorithm>

#include "core/amx_tiles.h"
#include "kernels/amx_gemm.h"

namespace ft::gemm_detail::amx {

template <class Tiles>
void run_task(const Task& t) {
  constexpr int64_t kHalf = kTileMaxRows;  // C rows or columns per accumulator tile
  const int64_t c_stride = t.ldc * int64_t(sizeof(float));
  Tiles::configure(full_tiles_config());
  for (int64_t step0 = 0; step0 < t.steps; step0 += kStepsPerPass) {
    const int64_t pass = std::min(kStepsPerPass, t.steps - step0);
    for (int64_t i = 0; i < t.row_blocks; ++i)
      for (int64_t j = 0; j < t.col_blocks; ++j) {
        float* c = t.c + i * kBlock * t.ldc + j * kBlock;
        float* c_low = c + kHalf * t.ldc;
        if (step0 == 0) {
          Tiles::template zero<0>();
          Tiles::template zero<1>();
          Tiles::template zero<2>();
          Tiles::template zero<3>();
        } else {
          Tiles::template load<0>(c, c_stride);
          Tiles::template load<1>(c + kHalf, c_stride);
          Tiles::template load<2>(c_low, c_stride);
          Tiles::template load<3>(c_low + kHalf, c_stride);
        }
        const bf16* a = tiles_at(t.a, i, step0, t.steps);
        const bf16* b = tiles_at(t.b, j, step0, t.steps);
        for (int64_t s = 0; s < pass; ++s, a += kStepElems, b += kStepElems) {
          Tiles::template load<4>(a, kTileMaxBytesPerRow);
          Tiles::template load<5>(a + kTileElems, kTileMaxBytesPerRow);
          Tiles::template load<6>(b, kTileMaxBytesPerRow);
          Tiles::template load<7>(b + kTileElems, kTileMaxBytesPerRow);
          Tiles::template dot<0, 4, 6>();
          Tiles::template dot<1, 4, 7>();
          Tiles::template dot<2, 5, 6>();
          Tiles::template dot<3, 5, 7>();
        }
        Tiles::template store<0>(c, c_stride);
        Tiles::template store<1>(c + kHalf, c_stride);
        Tiles::template store<2>(c_low, c_stride);
        Tiles::template store<3>(c_low + kHalf, c_stride);
      }
  }
  Tiles::release();
}

}  // namespace ft::gemm_detail::amx
