// AMX tiles (palette 1): the LDTILECFG operand, and the instructions as a policy of static members
// (configure, release, zero<t>, load<t>, store<t>, dot<c, a, b> = TDPBF16PS) that code written
// once over a tile policy can run on; kernels/amx_tiles_emulated.h is the same policy on a scalar
// model. Inline assembly rather than GCC's intrinsics: those take tile numbers only as macro
// arguments, and GCC 12's _tile_loadconfig tells the compiler it reads 8 of the config's 64 bytes.
// Use only where cpu_features().amx_bf16 (the CPU has tiles and the OS granted their state).
#pragma once
#include <cstdint>

namespace ft {

struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};
static_assert(sizeof(TileConfig) == 64);

inline constexpr int kTileRegisters = 8;
inline constexpr int kTileMaxRows = 16;
inline constexpr int kTileMaxBytesPerRow = 64;

// All eight tiles at their largest: 16 rows of 64 bytes (16 fp32, or 32 bf16 / 16 bf16 pairs).
inline TileConfig full_tiles_config() {
  TileConfig config;
  for (int t = 0; t < kTileRegisters; ++t) {
    config.colsb[t] = kTileMaxBytesPerRow;
    config.rows[t] = kTileMaxRows;
  }
  return config;
}

struct HardwareTiles {
  static void configure(const TileConfig& config) { __asm__ volatile("ldtilecfg %0" ::"m"(config)); }
  static void release() { __asm__ volatile("tilerelease" ::: "memory"); }
  template <int t> static void zero() { __asm__ volatile("tilezero %%tmm%c0" ::"i"(t)); }
  template <int t> static void load(const void* p, int64_t stride) {
    __asm__ volatile("tileloadd (%0,%1,1), %%tmm%c2" ::"r"(p), "r"(stride), "i"(t) : "memory");
  }
  template <int t> static void store(void* p, int64_t stride) {
    __asm__ volatile("tilestored %%tmm%c2, (%0,%1,1)" ::"r"(p), "r"(stride), "i"(t) : "memory");
  }
  // C(c) += A(a) · B(b): bf16 pairs, fp32 sums (AT&T operand order: B, A, C).
  template <int c, int a, int b> static void dot() {
    __asm__ volatile("tdpbf16ps %%tmm%c2, %%tmm%c1, %%tmm%c0" ::"i"(c), "i"(a), "i"(b));
  }
};

}  // namespace ft
