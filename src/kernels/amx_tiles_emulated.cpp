#include "kernels/amx_tiles_emulated.h"

#include <cstring>
#include <stdexcept>
#include <string>

#include "core/half.h"

namespace ft::gemm_detail::amx {
namespace {

struct TileState {
  bool configured = false;
  TileConfig config;
  alignas(64) uint8_t data[kTileRegisters][kTileMaxRows * kTileMaxBytesPerRow] = {};
};

thread_local TileState state;

[[noreturn]] void fault(const std::string& what) { throw std::logic_error("emulated AMX: " + what); }

// A tile an instruction may use: configured and given rows; returns its number of rows.
int usable(int t) {
  if (!state.configured) fault("tile instruction before LDTILECFG (or after TILERELEASE)");
  if (t < 0 || t >= kTileRegisters) fault("tile " + std::to_string(t) + " does not exist");
  if (state.config.rows[t] == 0 || state.config.colsb[t] == 0)
    fault("tile " + std::to_string(t) + " is not configured");
  return state.config.rows[t];
}

float bf16_at(const uint8_t* row, int index) {
  bf16 v;
  std::memcpy(&v, row + 2 * index, sizeof v);
  return bf16_to_f32(v);
}

}  // namespace

void EmulatedTiles::configure(const TileConfig& config) {
  if (config.palette != 1) fault("only palette 1 is modelled");
  for (int t = 0; t < kTileRegisters; ++t) {
    if (config.rows[t] > kTileMaxRows || config.colsb[t] > kTileMaxBytesPerRow)
      fault("tile " + std::to_string(t) + " configured past 16 rows of 64 bytes");
    if ((config.rows[t] == 0) != (config.colsb[t] == 0))
      fault("tile " + std::to_string(t) + " configured with rows but no bytes, or bytes but no rows");
  }
  state = TileState{};
  state.config = config;
  state.configured = true;
}

void EmulatedTiles::release() { state = TileState{}; }

void EmulatedTiles::zero_tile(int t) {
  usable(t);
  std::memset(state.data[t], 0, sizeof state.data[t]);
}

void EmulatedTiles::load_tile(int t, const void* p, int64_t stride) {
  const int rows = usable(t);
  const int bytes = state.config.colsb[t];
  std::memset(state.data[t], 0, sizeof state.data[t]);
  for (int r = 0; r < rows; ++r)
    std::memcpy(state.data[t] + r * kTileMaxBytesPerRow, static_cast<const uint8_t*>(p) + r * stride, bytes);
}

void EmulatedTiles::store_tile(int t, void* p, int64_t stride) {
  const int rows = usable(t);
  for (int r = 0; r < rows; ++r)
    std::memcpy(static_cast<uint8_t*>(p) + r * stride, state.data[t] + r * kTileMaxBytesPerRow,
                state.config.colsb[t]);
}

void EmulatedTiles::dot_bf16(int c, int a, int b) {
  const int rows = usable(c), a_rows = usable(a), b_rows = usable(b);
  if (c == a || c == b || a == b) fault("TDPBF16PS with a tile used twice");
  const TileConfig& cfg = state.config;
  if (rows != a_rows) fault("TDPBF16PS: the accumulator and A have different rows");
  if (cfg.colsb[a] != 4 * b_rows) fault("TDPBF16PS: A's bytes per row are not 4 × B's rows");
  if (cfg.colsb[c] != cfg.colsb[b]) fault("TDPBF16PS: the accumulator and B differ in bytes per row");
  if (cfg.colsb[c] % 4 != 0 || cfg.colsb[a] % 4 != 0) fault("TDPBF16PS: rows not whole 4-byte elements");
  const int pairs = cfg.colsb[a] / 4, columns = cfg.colsb[c] / 4;
  for (int m = 0; m < rows; ++m) {
    float sums[kTileMaxBytesPerRow / 4];
    std::memcpy(sums, state.data[c] + m * kTileMaxBytesPerRow, sizeof sums);
    const uint8_t* a_row = state.data[a] + m * kTileMaxBytesPerRow;
    for (int k = 0; k < pairs; ++k) {
      const uint8_t* b_row = state.data[b] + k * kTileMaxBytesPerRow;
      for (int n = 0; n < columns; ++n) {
        sums[n] += bf16_at(a_row, 2 * k) * bf16_at(b_row, 2 * n);
        sums[n] += bf16_at(a_row, 2 * k + 1) * bf16_at(b_row, 2 * n + 1);
      }
    }
    std::memset(state.data[c] + m * kTileMaxBytesPerRow, 0, kTileMaxBytesPerRow);
    std::memcpy(state.data[c] + m * kTileMaxBytesPerRow, sums, size_t(columns) * 4);
  }
}

}  // namespace ft::gemm_detail::amx
