// A scalar model of the AMX tile unit (palette 1), so the AMX engine's packing, task loop and
// epilogue run and are tested on CPUs without tiles. Each call checks what makes the hardware
// fault (Intel's SDM): tiles configured, a used tile has rows, shapes within the palette,
// TDPBF16PS's three tiles distinct with matching shapes; a violation throws std::logic_error naming
// it. It is stricter in one place: a tile configured with rows but no bytes (or bytes but no rows). TDPBF16PS adds pair by pair in fp32 in the SDM pseudocode's order
// (a bf16 product is exact in fp32). Unlike the hardware it keeps denormals instead of flushing.
// The state is per thread, as tile registers are.
#pragma once
#include <cstdint>

#include "core/amx_tiles.h"

namespace ft::gemm_detail::amx {

struct EmulatedTiles {
  static void configure(const TileConfig& config);
  static void release();
  static void zero_tile(int t);
  static void load_tile(int t, const void* p, int64_t stride);
  static void store_tile(int t, void* p, int64_t stride);
  static void dot_bf16(int c, int a, int b);

  // The tile-number-as-immediate form the task loop uses (amx_gemm_task.h).
  template <int t> static void zero() { zero_tile(t); }
  template <int t> static void load(const void* p, int64_t stride) { load_tile(t, p, stride); }
  template <int t> static void store(void* p, int64_t stride) { store_tile(t, p, stride); }
  template <int c, int a, int b> static void dot() { dot_bf16(c, a, b); }
};

}  // namespace ft::gemm_detail::amx
