// The AMX engine's packers (amx_gemm.h): 32 × 32 source blocks into pairs of 1 KiB tiles.
#include <algorithm>
#include <cstring>

#include "kernels/amx_gemm.h"

namespace ft::gemm_detail::amx {
namespace {

constexpr int64_t kParallelMin = 1 << 16;  // elements below which packing stays serial

// Where element (i, k) of one block at one step goes in its two tiles: i is A's row or B's column.
int64_t a_slot(int64_t i, int64_t k) { return i * kBlock + k; }  // row i, 32 k
int64_t b_slot(int64_t i, int64_t k) {                            // pair row k/2, 16 columns per tile
  return i / 16 * kTileElems + k / 2 * kBlock + i % 16 * 2 + k % 2;
}

// Element (i, k) at src[i·i_stride + k·k_stride] for i < ni, k < nk; zeros elsewhere.
template <int64_t (*slot)(int64_t, int64_t)>
void pack_any(const bf16* src, int64_t i_stride, int64_t k_stride, int64_t ni, int64_t nk, bf16* dst) {
  for (int64_t i = 0; i < kBlock; ++i)
    for (int64_t k = 0; k < kBlock; ++k)
      dst[slot(i, k)] = i < ni && k < nk ? src[i * i_stride + k * k_stride] : bf16{0};
}

// Full blocks of the usual layouts take loops the compiler turns into wide copies; the rest, and
// the ragged edges, the element-wise loop above.
void pack_a_block(const bf16* src, int64_t i_stride, int64_t k_stride, int64_t ni, int64_t nk, bf16* dst) {
  if (ni == kBlock && nk == kBlock && k_stride == 1) {
    for (int64_t i = 0; i < kBlock; ++i)
      std::memcpy(dst + a_slot(i, 0), src + i * i_stride, kBlock * sizeof(bf16));
  } else if (ni == kBlock && nk == kBlock && i_stride == 1) {
    for (int64_t k = 0; k < kBlock; ++k)
      for (int64_t i = 0; i < kBlock; ++i) dst[a_slot(i, k)] = src[k * k_stride + i];
  } else {
    pack_any<a_slot>(src, i_stride, k_stride, ni, nk, dst);
  }
}

void pack_b_block(const bf16* src, int64_t i_stride, int64_t k_stride, int64_t ni, int64_t nk, bf16* dst) {
  if (ni == kBlock && nk == kBlock && k_stride == 1) {  // a weight [N, K]: move bf16 pairs
    for (int64_t i = 0; i < kBlock; ++i)
      for (int64_t k = 0; k < kBlock; k += 2)
        std::memcpy(dst + b_slot(i, k), src + i * i_stride + k, 2 * sizeof(bf16));
  } else if (ni == kBlock && nk == kBlock && i_stride == 1) {  // [K, N]: interleave two rows
    for (int64_t k = 0; k < kBlock; k += 2)
      for (int64_t tile = 0; tile < 2; ++tile) {
        const bf16* even = src + k * k_stride + tile * 16;
        const bf16* odd = even + k_stride;
        bf16* row = dst + b_slot(tile * 16, k);
        for (int64_t c = 0; c < 16; ++c) {
          row[2 * c].bits = even[c].bits;
          row[2 * c + 1].bits = odd[c].bits;
        }
      }
  } else {
    pack_any<b_slot>(src, i_stride, k_stride, ni, nk, dst);
  }
}

// Every (block, step) of an operand with `extent` rows (A) or columns (B).
template <void (*pack_block)(const bf16*, int64_t, int64_t, int64_t, int64_t, bf16*)>
void pack(const bf16* src, int64_t extent, int64_t K, int64_t i_stride, int64_t k_stride, bf16* out) {
  const int64_t steps = blocks(K);
#pragma omp parallel for schedule(static) if (extent * K > kParallelMin)
  for (int64_t blk = 0; blk < blocks(extent); ++blk)
    for (int64_t step = 0; step < steps; ++step) {
      const int64_t i0 = blk * kBlock, k0 = step * kBlock;
      pack_block(src + i0 * i_stride + k0 * k_stride, i_stride, k_stride, std::min(kBlock, extent - i0),
                 std::min(kBlock, K - k0), out + (blk * steps + step) * kStepElems);
    }
}

}  // namespace

void pack_a(const bf16* src, int64_t M, int64_t K, int64_t m_stride, int64_t k_stride, bf16* out) {
  pack<pack_a_block>(src, M, K, m_stride, k_stride, out);
}

void pack_b(const bf16* src, int64_t K, int64_t N, int64_t k_stride, int64_t n_stride, bf16* out) {
  pack<pack_b_block>(src, N, K, n_stride, k_stride, out);
}

}  // namespace ft::gemm_detail::amx
