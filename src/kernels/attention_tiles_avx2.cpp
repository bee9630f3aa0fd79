// tile_multiply on 8-float AVX2 vectors with FMA, and transpose_block in 8×8 register blocks (which
// the AVX-512 path uses too: it moves data, so its width changes no result).
#include <cmath>

#include "kernels/attention_tiles_paths.h"

#if defined(__x86_64__)
#include <immintrin.h>

#pragma GCC target("avx2,fma")
#include "kernels/attention_tiles_kernel.h"

namespace ft::attention_tiles {
namespace {

struct Avx2Lanes {
  using reg = __m256;
  static constexpr int64_t width = 8;
  static reg zero() { return _mm256_setzero_ps(); }
  static reg load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, reg x) { _mm256_storeu_ps(p, x); }
  static reg broadcast(float x) { return _mm256_set1_ps(x); }
  static reg fma(reg a, reg b, reg c) { return _mm256_fmadd_ps(a, b, c); }
};

// dst[c*ldd + r] = src[r*lds + c] for r, c < 8, in registers.
void transpose8x8(float* dst, int64_t ldd, const float* src, int64_t lds) {
  __m256 r[8], t[8];
  for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(src + i * lds);
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);  // pairs of columns 0,1 and 4,5
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    r[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));  // column 0 (and 4)
    r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int i = 0; i < 4; ++i) {
    _mm256_storeu_ps(dst + i * ldd, _mm256_permute2f128_ps(r[i], r[i + 4], 0x20));
    _mm256_storeu_ps(dst + (i + 4) * ldd, _mm256_permute2f128_ps(r[i], r[i + 4], 0x31));
  }
}

}  // namespace

void multiply_avx2(const TileProduct& t) { multiply<Avx2Lanes>(t); }

void transpose_avx2(float* dst, const float* src, int64_t n, int64_t ld, int64_t HD) {
  int64_t i0 = 0;
  for (; i0 + 8 <= n; i0 += 8) {
    int64_t d0 = 0;
    for (; d0 + 8 <= HD; d0 += 8) transpose8x8(dst + d0 * kQueryBlock + i0, kQueryBlock, src + i0 * ld + d0, ld);
    transpose_portable(dst + d0 * kQueryBlock + i0, src + i0 * ld + d0, 8, ld, HD - d0);
  }
  transpose_portable(dst + i0, src + i0 * ld, n - i0, ld, HD);
}

}  // namespace ft::attention_tiles
#endif
