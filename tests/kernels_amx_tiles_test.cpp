// The emulated AMX tiles (amx_tiles_emulated.h) against Intel's description of the instructions:
// TDPBF16PS's pair sums, loads and stores bounded by the configured shape, and the faults the
// hardware raises on a misused instruction. Where the CPU has tiles, the hardware runs the same
// program and must agree.
#include <gtest/gtest.h>

#include <cstring>
#include <stdexcept>
#include <vector>

#include "core/amx_tiles.h"
#include "core/cpu_features.h"
#include "core/half.h"
#include "kernels/amx_tiles_emulated.h"

namespace ft {
namespace {

using gemm_detail::amx::EmulatedTiles;

// A: 16 rows of 32 bf16; B: 16 rows of 16 bf16 pairs; small integers, so every sum is exact.
struct Operands {
  alignas(64) bf16 a[16 * 32];
  alignas(64) bf16 b[16 * 32];
  Operands() {
    for (int i = 0; i < 16 * 32; ++i) {
      a[i] = f32_to_bf16(float(i % 7 - 3));
      b[i] = f32_to_bf16(float(i % 5 - 2));
    }
  }
  // C(m, n) = Σ_k A(m, 2k)·B(k, 2n) + A(m, 2k+1)·B(k, 2n+1), as the SDM defines TDPBF16PS.
  float want(int m, int n) const {
    float sum = 0;
    for (int k = 0; k < 16; ++k)
      for (int e = 0; e < 2; ++e) sum += bf16_to_f32(a[m * 32 + 2 * k + e]) * bf16_to_f32(b[k * 32 + 2 * n + e]);
    return sum;
  }
};

template <class Tiles>
std::vector<float> dot_once(const Operands& op) {
  alignas(64) float c[16 * 16];
  Tiles::configure(full_tiles_config());
  Tiles::template zero<0>();
  Tiles::template load<4>(op.a, 64);
  Tiles::template load<6>(op.b, 64);
  Tiles::template dot<0, 4, 6>();
  Tiles::template dot<0, 4, 6>();
  Tiles::template store<0>(c, 64);
  Tiles::release();
  return {c, c + 16 * 16};
}

TEST(AmxTiles, EmulatedDotSumsBf16PairsAsTheSdmSays) {
  const Operands op;
  const auto c = dot_once<EmulatedTiles>(op);
  for (int m = 0; m < 16; ++m)
    for (int n = 0; n < 16; ++n) ASSERT_EQ(c[size_t(m * 16 + n)], 2 * op.want(m, n)) << m << "," << n;
}

TEST(AmxTiles, HardwareAgreesWithTheEmulation) {
  if (!cpu_features().amx_bf16) GTEST_SKIP() << "this CPU has no AMX tiles the OS grants";
  const Operands op;
  EXPECT_EQ(dot_once<HardwareTiles>(op), dot_once<EmulatedTiles>(op));
}

// A tile configured 2 rows of 8 bytes loads and stores just those; the rest reads as zero.
TEST(AmxTiles, EmulatedLoadsAndStoresKeepToTheConfiguredShape) {
  TileConfig config;
  config.rows[1] = 2;
  config.colsb[1] = 8;
  std::vector<uint8_t> in(256), out(256, 0xee);
  for (size_t i = 0; i < in.size(); ++i) in[i] = uint8_t(i);
  EmulatedTiles::configure(config);
  EmulatedTiles::load<1>(in.data(), 100);
  EmulatedTiles::store<1>(out.data(), 20);
  EmulatedTiles::release();
  for (size_t i = 0; i < out.size(); ++i) {
    const bool written = (i < 8) || (i >= 20 && i < 28);
    const uint8_t want = i < 8 ? uint8_t(i) : written ? uint8_t(100 + i - 20) : uint8_t(0xee);
    ASSERT_EQ(out[i], want) << "byte " << i;
  }
}

TEST(AmxTiles, EmulatedTilesFaultWhereTheHardwareWould) {
  alignas(64) static uint8_t buffer[1024] = {};
  EXPECT_THROW(EmulatedTiles::zero<0>(), std::logic_error);  // before LDTILECFG
  EmulatedTiles::configure(full_tiles_config());
  EXPECT_THROW((EmulatedTiles::dot<0, 4, 4>()), std::logic_error);  // a tile used twice
  EmulatedTiles::release();
  EXPECT_THROW(EmulatedTiles::load<0>(buffer, 64), std::logic_error);  // after TILERELEASE

  TileConfig narrow_a = full_tiles_config();
  narrow_a.colsb[4] = 32;  // 8 pairs of A against B's 16 rows
  EmulatedTiles::configure(narrow_a);
  EXPECT_THROW((EmulatedTiles::dot<0, 4, 6>()), std::logic_error);
  TileConfig short_c = full_tiles_config();
  short_c.rows[0] = 8;  // C's rows differ from A's
  EmulatedTiles::configure(short_c);
  EXPECT_THROW((EmulatedTiles::dot<0, 4, 6>()), std::logic_error);
  TileConfig unset = full_tiles_config();
  unset.rows[7] = 0;
  unset.colsb[7] = 0;
  EmulatedTiles::configure(unset);
  EXPECT_THROW(EmulatedTiles::zero<7>(), std::logic_error);
  EmulatedTiles::release();

  TileConfig too_wide = full_tiles_config();
  too_wide.colsb[2] = 128;
  EXPECT_THROW(EmulatedTiles::configure(too_wide), std::logic_error);
}

}  // namespace
}  // namespace ft
