#include "kernels/attention_tiles.h"

#include <atomic>
#include <cmath>
#include <stdexcept>

#include "kernels/attention_tiles_kernel.h"
#include "kernels/attention_tiles_paths.h"

namespace ft::attention_tiles {
namespace {

TilePath widest_supported() {
  if (tile_path_supported(TilePath::avx512)) return TilePath::avx512;
  if (tile_path_supported(TilePath::avx2)) return TilePath::avx2;
  return TilePath::portable;
}

std::atomic<TilePath>& active_path() {
  static std::atomic<TilePath> path{widest_supported()};
  return path;
}

}  // namespace

void multiply_portable(const TileProduct& t) { multiply<ScalarLanes>(t); }

// __builtin_cpu_supports is what target_clones dispatches on: it also checks that the OS saves
// the wider registers.
bool tile_path_supported(TilePath path) {
  switch (path) {
    case TilePath::portable: return true;
#if defined(__x86_64__)
    case TilePath::avx2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    // The AVX-512 path transposes with AVX2 (every AVX-512 CPU has it; asking costs nothing).
    case TilePath::avx512:
      return __builtin_cpu_supports("avx512f") && tile_path_supported(TilePath::avx2);
#else
    case TilePath::avx2:
    case TilePath::avx512: return false;
#endif
  }
  return false;
}

TilePath tile_path() { return active_path().load(std::memory_order_relaxed); }

void force_tile_path(TilePath path) {
  if (!tile_path_supported(path)) throw std::invalid_argument("force_tile_path: not supported on this CPU");
  active_path().store(path, std::memory_order_relaxed);
}

void tile_multiply(const TileProduct& t) { tile_multiply(t, tile_path()); }

void tile_multiply(const TileProduct& t, TilePath path) {
  switch (path) {
#if defined(__x86_64__)
    case TilePath::avx512: return multiply_avx512(t);
    case TilePath::avx2: return multiply_avx2(t);
#endif
    default: return multiply_portable(t);
  }
}

void prefetch_rows(const float* src, int64_t n, int64_t ld, int64_t HD) {
  constexpr int64_t kLine = 16;  // floats per 64-byte cache line
  for (int64_t i = 0; i < n; ++i)
    for (int64_t d = 0; d < HD; d += kLine) __builtin_prefetch(src + i * ld + d);
}

void transpose_portable(float* dst, const float* src, int64_t n, int64_t ld, int64_t HD) {
  for (int64_t i = 0; i < n; ++i)
    for (int64_t d = 0; d < HD; ++d) dst[d * kQueryBlock + i] = src[i * ld + d];
}

void transpose_block(float* dst, const float* src, int64_t n, int64_t ld, int64_t HD) {
  transpose_block(dst, src, n, ld, HD, tile_path());
}

void transpose_block(float* dst, const float* src, int64_t n, int64_t ld, int64_t HD, TilePath path) {
  prefetch_rows(src, n, ld, HD);
#if defined(__x86_64__)
  if (path != TilePath::portable) return transpose_avx2(dst, src, n, ld, HD);
#endif
  transpose_portable(dst, src, n, ld, HD);
}

}  // namespace ft::attention_tiles
