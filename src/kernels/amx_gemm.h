// Internal to the AMX engine (gemm_amx.cpp, amx_pack.cpp, amx_gemm_task.h): bf16 products on AMX
// tiles over packed operands. Both operands are packed into 1 KiB tiles (16 rows of 64 bytes,
// contiguous, so tile rows are 64-byte aligned and no row stride aliases in L1), zero-padded to
// multiples of 32 in M, N and K, and stored block by block: a block is 32 rows of A (or 32 columns
// of B) as two tiles per step of 32 along K, steps consecutive.
//  - A tile: row r is one row of A, its 32 bf16 along K.
//  - B tile (VNNI pairs): row r holds, for 16 columns n, the pair B(2r, n), B(2r+1, n).
// A task multiplies row blocks of packed A by column blocks of packed B into an fp32 buffer, 2 × 2
// tiles (32 × 32 of C) at a time; it configures the tiles itself and releases them at its end.
#pragma once
#include <cstdint>

#include "core/half.h"

namespace ft::gemm_detail::amx {

inline constexpr int64_t kBlock = 32;                  // rows or columns per block; K per step
inline constexpr int64_t kTileElems = 512;             // bf16 in one tile
inline constexpr int64_t kStepElems = 2 * kTileElems;  // one block's two tiles at one step
// Steps summed in the tiles before C goes back to the task's buffer: A's 32 × 512 sub-panel
// (32 KiB) stays in L1 across the task's column blocks. Not yet tuned on an AMX machine.
inline constexpr int64_t kStepsPerPass = 16;

inline int64_t blocks(int64_t n) { return (n + kBlock - 1) / kBlock; }

// Block `block`'s two tiles at step `step`, in a packed operand with `steps` steps per block.
inline const bf16* tiles_at(const bf16* packed, int64_t block, int64_t step, int64_t steps) {
  return packed + (block * steps + step) * kStepElems;
}

// Packed sizes in bf16 elements, and the packers (OpenMP-parallel over blocks). A's element (m, k)
// is at src[m·m_stride + k·k_stride]; B's element (k, n) at src[k·k_stride + n·n_stride].
inline int64_t packed_elems(int64_t extent, int64_t K) { return blocks(extent) * blocks(K) * kStepElems; }
void pack_a(const bf16* src, int64_t M, int64_t K, int64_t m_stride, int64_t k_stride, bf16* out);
void pack_b(const bf16* src, int64_t K, int64_t N, int64_t k_stride, int64_t n_stride, bf16* out);

struct Task {
  const bf16* a = nullptr;  // packed A at the task's first row block, step 0
  const bf16* b = nullptr;  // packed B at the task's first column block, step 0
  int64_t steps = 0;        // blocks(K)
  int64_t row_blocks = 0, col_blocks = 0;
  float* c = nullptr;       // fp32 [row_blocks · 32, ldc], overwritten
  int64_t ldc = 0;          // in floats; a multiple of 16 so tile rows stay 64-byte aligned
};

}  // namespace ft::gemm_detail::amx
