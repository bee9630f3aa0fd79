// The attention tile product on every path this CPU runs (portable, AVX2, AVX-512) against a
// double-precision reference on sizes that leave row blocks, column vectors and column tails
// partly filled, read through both of attention's A orientations; every path's bits against the
// portable path's; and attention forward and backward forced onto each path, bit for bit.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "attention_test_support.h"
#include "kernels/attention.h"
#include "kernels/attention_tiles.h"

namespace ft::attention_tiles {
namespace {

using test::random_normal;

std::vector<TilePath> supported_paths() {
  std::vector<TilePath> paths;
  for (TilePath p : {TilePath::portable, TilePath::avx2, TilePath::avx512})
    if (tile_path_supported(p)) paths.push_back(p);
  return paths;
}

struct Case {
  int64_t rows, depth, cols;
  bool a_transposed;  // A read column-major (a_row = 1), as the probabilities in P·V
  bool accumulate;
};

// Runs `c` on `path` over padded buffers (ldc and ldb wider than cols, A's leading dimension wider
// than its extent) and returns the whole C buffer, padding included.
std::vector<float> run(const Case& c, TilePath path, const std::vector<float>& a,
                       const std::vector<float>& b, const std::vector<float>& c0, int64_t lda,
                       int64_t ldb, int64_t ldc) {
  std::vector<float> out = c0;
  tile_multiply({.c = out.data(), .ldc = ldc, .a = a.data(), .a_row = c.a_transposed ? 1 : lda,
                 .a_k = c.a_transposed ? lda : 1, .b = b.data(), .ldb = ldb, .rows = c.rows,
                 .depth = c.depth, .cols = c.cols, .accumulate = c.accumulate},
                path);
  return out;
}

void check(const Case& c) {
  SCOPED_TRACE(::testing::Message() << "rows=" << c.rows << " depth=" << c.depth << " cols=" << c.cols
                                    << " a_transposed=" << c.a_transposed << " accumulate=" << c.accumulate);
  const int64_t lda = (c.a_transposed ? c.rows : c.depth) + 3, ldb = c.cols + 5, ldc = c.cols + 2;
  const auto a = random_normal((c.a_transposed ? c.depth : c.rows) * lda, 1);
  const auto b = random_normal(c.depth * ldb, 2);
  const auto c0 = random_normal(c.rows * ldc, 3);
  const auto at = [&](int64_t r, int64_t k) {
    return double(c.a_transposed ? a[k * lda + r] : a[r * lda + k]);
  };
  const std::vector<float> portable = run(c, TilePath::portable, a, b, c0, lda, ldb, ldc);
  for (TilePath path : supported_paths()) {
    SCOPED_TRACE(::testing::Message() << "path=" << int(path));
    const std::vector<float> got = run(c, path, a, b, c0, lda, ldb, ldc);
    for (int64_t r = 0; r < c.rows; ++r)
      for (int64_t n = 0; n < ldc; ++n) {
        const size_t at_c = size_t(r * ldc + n);
        if (n >= c.cols) {  // padding stays untouched
          ASSERT_EQ(got[at_c], c0[at_c]) << "r=" << r << " n=" << n;
          continue;
        }
        double want = c.accumulate ? double(c0[at_c]) : 0.0, magnitude = std::abs(want);
        for (int64_t k = 0; k < c.depth; ++k) {
          want += at(r, k) * b[k * ldb + n];
          magnitude += std::abs(at(r, k) * b[k * ldb + n]);
        }
        // Sequential float sums stay within (depth + 1)·2⁻²⁴ of the magnitude.
        ASSERT_NEAR(got[at_c], want, double(c.depth + 1) * 0x1p-24 * magnitude + 1e-30) << "r=" << r << " n=" << n;
      }
    ASSERT_EQ(0, std::memcmp(got.data(), portable.data(), got.size() * sizeof(float)))
        << "not the portable path's bits";
  }
}

TEST(KernelsAttentionTiles, ProductMatchesDoubleReferenceOnEveryPath) {
  for (const int64_t rows : {1, 5, 6, 7, 13, 32, 64})
    for (const int64_t depth : {1, 40, 64})
      for (const int64_t cols : {1, 3, 8, 17, 32, 40, 64, 80})
        for (const bool a_transposed : {false, true})
          check({rows, depth, cols, a_transposed, /*accumulate=*/(rows + cols) % 2 == 0});
}

TEST(KernelsAttentionTiles, AccumulatesOntoCAndOverwritesWithout) {
  for (const bool accumulate : {false, true}) {
    check({7, 80, 40, false, accumulate});
    check({kKeyTile, 64, kQueryBlock, false, accumulate});
    check({kQueryBlock, kKeyTile, 64, true, accumulate});
  }
}

TEST(KernelsAttentionTiles, TransposeBlockMovesQueriesToColumnsOnEveryPath) {
  // Whole 8×8 register blocks, blocks with leftover columns and rows, and none at all.
  struct Size {
    int64_t n, ld, HD;
  };
  for (const Size z : {Size{kQueryBlock, 70, 64}, Size{13, 45, 40}, Size{9, 20, 19}, Size{5, 11, 7}})
    for (TilePath path : supported_paths()) {
      SCOPED_TRACE(::testing::Message() << "n=" << z.n << " HD=" << z.HD << " path=" << int(path));
      const auto src = random_normal(z.n * z.ld, 4);
      std::vector<float> dst(z.HD * kQueryBlock, -1.0f);
      transpose_block(dst.data(), src.data(), z.n, z.ld, z.HD, path);
      for (int64_t d = 0; d < z.HD; ++d)
        for (int64_t i = 0; i < kQueryBlock; ++i)
          ASSERT_EQ(dst[d * kQueryBlock + i], i < z.n ? src[i * z.ld + d] : -1.0f) << "d=" << d << " i=" << i;
    }
}

TEST(KernelsAttentionTiles, ForcingAnUnsupportedPathThrows) {
  for (TilePath p : {TilePath::avx2, TilePath::avx512})
    if (!tile_path_supported(p)) {
      EXPECT_THROW(force_tile_path(p), std::invalid_argument);
    }
  EXPECT_TRUE(tile_path_supported(TilePath::portable));
}

struct AttentionBits {
  std::vector<float> out, lse, dq, dk, dv;
};

AttentionBits attention_on(TilePath path, const AttentionShape& s, const int32_t* segments) {
  const TilePath before = tile_path();
  force_tile_path(path);
  const auto q = random_normal(s.B * s.T * s.NH * s.HD, 5), dout = random_normal(q.size(), 6);
  const auto k = random_normal(s.B * s.T * s.NKV * s.HD, 7), v = random_normal(k.size(), 8);
  AttentionBits r{std::vector<float>(q.size()), std::vector<float>(s.B * s.NH * s.T),
                  std::vector<float>(q.size()), std::vector<float>(k.size()), std::vector<float>(k.size())};
  attention_forward(r.out.data(), r.lse.data(), q.data(), k.data(), v.data(), s, segments);
  attention_backward(r.dq.data(), r.dk.data(), r.dv.data(), dout.data(), r.out.data(), r.lse.data(),
                     q.data(), k.data(), v.data(), s, segments);
  force_tile_path(before);
  return r;
}

void expect_same_bits(const std::vector<float>& got, const std::vector<float>& want, const char* what) {
  ASSERT_EQ(got.size(), want.size());
  EXPECT_EQ(0, std::memcmp(got.data(), want.data(), got.size() * sizeof(float))) << what;
}

TEST(KernelsAttentionTiles, AttentionGivesTheSameBitsOnEveryPath) {
  // T = 75: a full and a partial key tile, a partial query block; HD 40 leaves column tails;
  // segments put a block's rows in two documents, so some rows see nothing in a tile.
  const AttentionShape s{.B = 2, .T = 75, .NH = 4, .NKV = 2, .HD = 40, .past = 0, .kv_capacity = 75,
                         .window = 50};
  std::vector<int32_t> segments(s.B * s.T, 0);
  for (int64_t t = 70; t < s.T; ++t) segments[t] = 1;
  const AttentionBits want = attention_on(TilePath::portable, s, segments.data());
  for (TilePath path : supported_paths()) {
    SCOPED_TRACE(::testing::Message() << "path=" << int(path));
    const AttentionBits got = attention_on(path, s, segments.data());
    expect_same_bits(got.out, want.out, "out");
    expect_same_bits(got.lse, want.lse, "lse");
    expect_same_bits(got.dq, want.dq, "dq");
    expect_same_bits(got.dk, want.dk, "dk");
    expect_same_bits(got.dv, want.dv, "dv");
  }
}

}  // namespace
}  // namespace ft::attention_tiles
