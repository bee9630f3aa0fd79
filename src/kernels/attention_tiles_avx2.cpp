// tile_multiply on 8-float AVX2 vectors with FMA.
#include <cmath>

#include "kernels/attention_tiles.h"

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

}  // namespace

void multiply_avx2(const TileProduct& t) { multiply<Avx2Lanes>(t); }

}  // namespace ft::attention_tiles
#endif
