// tile_multiply on 16-float AVX-512F vectors: the AVX2 loop nest, twice as wide.
#include <cmath>

#include "kernels/attention_tiles_paths.h"

#if defined(__x86_64__)
#include <immintrin.h>

#pragma GCC target("avx512f,avx2,fma")
#include "kernels/attention_tiles_kernel.h"

namespace ft::attention_tiles {
namespace {

struct Avx512Lanes {
  using reg = __m512;
  static constexpr int64_t width = 16;
  static reg zero() { return _mm512_setzero_ps(); }
  static reg load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, reg x) { _mm512_storeu_ps(p, x); }
  static reg broadcast(float x) { return _mm512_set1_ps(x); }
  static reg fma(reg a, reg b, reg c) { return _mm512_fmadd_ps(a, b, c); }
};

}  // namespace

void multiply_avx512(const TileProduct& t) { multiply<Avx512Lanes>(t); }

}  // namespace ft::attention_tiles
#endif
