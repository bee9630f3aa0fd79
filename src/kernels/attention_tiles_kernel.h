// The body of tile_multiply for one vector type V (see attention_tiles.h), shared by the portable
// path (attention_tiles.cpp) and the AVX2 / AVX-512 paths (attention_tiles_avx*.cpp), so every
// path runs the same loop nest and only the vector width differs.
// Include it after <cmath>, <immintrin.h> (x86) and attention_tiles_paths.h, and after the including
// file's `#pragma GCC target`: it includes nothing itself, so no library inline function gets
// compiled for a wider ISA and merged into code that runs everywhere. Its anonymous namespace keeps
// each path's instantiations in its own object file for the same reason.
// V provides: reg, width, zero(), load(p), store(p, x), broadcast(x), fma(a, b, c) = a·b + c
// rounded once.

namespace ft::attention_tiles {

namespace {

// kRowBlock rows × kColVectors vectors of C stay in registers: 12 accumulators, enough independent
// FMA chains to hide their latency, and with the 2 B vectors and a broadcast within AVX2's 16.
constexpr int kRowBlock = 6;
constexpr int kColVectors = 2;

// One float per "vector": the portable path, and the column tails of the vector paths.
struct ScalarLanes {
  using reg = float;
  static constexpr int64_t width = 1;
  static reg zero() { return 0.0f; }
  static reg load(const float* p) { return *p; }
  static void store(float* p, reg x) { *p = x; }
  static reg broadcast(float x) { return x; }
  static reg fma(reg a, reg b, reg c) { return std::fma(a, b, c); }
};

// Rows r0..r0+R-1, columns n0..n0+NV·width-1 of C: each B vector loaded once per k serves R rows.
template <class V, int R, int NV>
inline void multiply_block(const TileProduct& t, int64_t r0, int64_t n0) {
  using reg = typename V::reg;
  constexpr int64_t W = V::width;
  // Locals, so the compiler need not reload them after every store through c.
  const int64_t ldc = t.ldc, a_row = t.a_row, a_k = t.a_k, ldb = t.ldb, depth = t.depth;
  float* c = t.c + r0 * ldc + n0;
  const float* a = t.a + r0 * a_row;
  const float* b = t.b + n0;
  reg acc[R][NV];
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < NV; ++v) acc[r][v] = t.accumulate ? V::load(c + r * ldc + v * W) : V::zero();
  for (int64_t k = 0; k < depth; ++k) {
    reg bk[NV];
    for (int v = 0; v < NV; ++v) bk[v] = V::load(b + k * ldb + v * W);
    for (int r = 0; r < R; ++r) {
      const reg x = V::broadcast(a[r * a_row + k * a_k]);
      for (int v = 0; v < NV; ++v) acc[r][v] = V::fma(x, bk[v], acc[r][v]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < NV; ++v) V::store(c + r * ldc + v * W, acc[r][v]);
}

// All columns of rows r0..r0+R-1: blocks of kColVectors vectors, single vectors, then floats.
template <class V, int R>
inline void multiply_rows(const TileProduct& t, int64_t r0) {
  constexpr int64_t W = V::width;
  int64_t n0 = 0;
  for (; n0 + kColVectors * W <= t.cols; n0 += kColVectors * W) multiply_block<V, R, kColVectors>(t, r0, n0);
  for (; n0 + W <= t.cols; n0 += W) multiply_block<V, R, 1>(t, r0, n0);
  if constexpr (W > 1)
    for (; n0 < t.cols; ++n0) multiply_block<ScalarLanes, R, 1>(t, r0, n0);
}

// The last rows.size % kRowBlock rows, as one block of that many.
template <class V, int R>
inline void multiply_last_rows(const TileProduct& t, int64_t r0, int64_t left) {
  if constexpr (R > 0) {
    if (left == R) multiply_rows<V, R>(t, r0);
    else multiply_last_rows<V, R - 1>(t, r0, left);
  }
}

template <class V>
void multiply(const TileProduct& t) {
  // A last block of 1–3 rows would run only 2–6 FMA chains, too few to hide their latency: the
  // last kRowBlock + 1..3 rows go as two blocks of about half instead (32 rows: 6,6,6,6,4,4).
  int64_t r0 = 0;
  for (; t.rows - r0 >= kRowBlock && !(t.rows - r0 > kRowBlock && t.rows - r0 < kRowBlock + 4);
       r0 += kRowBlock)
    multiply_rows<V, kRowBlock>(t, r0);
  if (t.rows - r0 > kRowBlock) {
    const int64_t half = (t.rows - r0 + 1) / 2;
    multiply_last_rows<V, kRowBlock - 1>(t, r0, half);
    r0 += half;
  }
  multiply_last_rows<V, kRowBlock - 1>(t, r0, t.rows - r0);
}

}  // namespace
}  // namespace ft::attention_tiles
