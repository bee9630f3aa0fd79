// gemm() and every engine (gemm_on, gemm_packed) against a double-precision scalar reference, for
// every layout, dtype, bias and accumulate combination, on odd sizes. For bf16 the reference multiplies the same bf16-rounded inputs, so the only
// difference left is fp32 accumulation order (and the bf16 rounding of C when c is BF16).
#include <gtest/gtest.h>

#include <omp.h>

#include <cmath>
#include <cstdlib>
#include <optional>
#include <random>
#include <vector>

#include "core/half.h"
#include "kernels/gemm.h"
#include "kernels/gemm_engines.h"
#include "test_support.h"

namespace ft {
namespace {

std::vector<float> random_vector(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = u(rng);
  return v;
}

// Element (i, j) of a matrix stored row-major, transposed or not.
float at(const std::vector<float>& m, bool transposed, int64_t rows, int64_t cols, int64_t i, int64_t j) {
  return transposed ? m[j * rows + i] : m[i * cols + j];
}

std::vector<double> reference(const GemmShape& s, const std::vector<float>& a, const std::vector<float>& b,
                              const std::vector<float>& bias, const std::vector<float>& c0) {
  std::vector<double> c(static_cast<size_t>(s.M * s.N));
  for (int64_t m = 0; m < s.M; ++m)
    for (int64_t n = 0; n < s.N; ++n) {
      double acc = s.bias ? bias[n] : 0.0;
      for (int64_t k = 0; k < s.K; ++k)
        acc += double(at(a, s.a_transposed, s.M, s.K, m, k)) * at(b, s.b_transposed, s.K, s.N, k, n);
      c[m * s.N + n] = acc + (s.accumulate ? c0[m * s.N + n] : 0.0);
    }
  return c;
}

// How check() runs the product: gemm() by rule, one named engine, or a weight packed on it; or
// the AMX engine on emulated tiles, which runs on every CPU.
struct Runner {
  std::optional<GemmEngine> engine;
  bool packed = false;
  bool emulated_amx = false;
};

void run_emulated_amx(const GemmShape& s, bool packed, const void* a, const void* b, const float* bias, void* c) {
  using namespace gemm_detail;
  if (packed) make_amx_packed(s, AmxTiles::kEmulated, b)->run(a, nullptr, s.bias ? bias : nullptr, c);
  else make_amx_plan(s, AmxTiles::kEmulated)->run(a, b, s.bias ? bias : nullptr, c);
}

void check(GemmShape s, Runner run = {}) {
  SCOPED_TRACE(::testing::Message() << "engine="
                                    << (run.emulated_amx ? "emulated amx" : run.engine ? gemm_engine_name(*run.engine) : "rule")
                                    << " packed=" << run.packed << " M=" << s.M << " N=" << s.N << " K=" << s.K << " bf16=" << (s.a == DType::BF16)
                                    << " ta=" << s.a_transposed << " tb=" << s.b_transposed
                                    << " bias=" << s.bias << " acc=" << s.accumulate << " cbf16=" << (s.c == DType::BF16));
  auto a = random_vector(s.M * s.K, 1), b = random_vector(s.K * s.N, 2);
  auto bias = random_vector(s.N, 3), c0 = random_vector(s.M * s.N, 4);
  const bool bf = s.a == DType::BF16;
  std::vector<bf16> ab(a.size()), bb(b.size()), cb(c0.size());
  if (bf) {
    for (size_t i = 0; i < a.size(); ++i) a[i] = bf16_to_f32(ab[i] = f32_to_bf16(a[i]));
    for (size_t i = 0; i < b.size(); ++i) b[i] = bf16_to_f32(bb[i] = f32_to_bf16(b[i]));
    for (size_t i = 0; i < c0.size(); ++i) c0[i] = bf16_to_f32(cb[i] = f32_to_bf16(c0[i]));
  }
  std::vector<float> c = c0;
  const void* pa = bf ? static_cast<const void*>(ab.data()) : a.data();
  const void* pb = bf ? static_cast<const void*>(bb.data()) : b.data();
  void* pc = s.c == DType::BF16 ? static_cast<void*>(cb.data()) : c.data();
  if (run.emulated_amx) {
    run_emulated_amx(s, run.packed, pa, pb, bias.data(), pc);
  } else if (run.packed) {
    const PackedWeight w(s, pb, run.engine);
    gemm_packed(s, pa, w, bias.data(), pc);
  } else if (run.engine) {
    gemm_on(*run.engine, s, pa, pb, bias.data(), pc);
  } else {
    gemm(s, pa, pb, bias.data(), pc);
  }
  if (s.c == DType::BF16)
    for (size_t i = 0; i < c.size(); ++i) c[i] = bf16_to_f32(cb[i]);
  const auto want = reference(s, a, b, bias, c0);
  // fp32 accumulation of K products of magnitude <= 1: error grows ~ sqrt(K) * 2^-24 per term.
  const double tol = s.c == DType::BF16 ? 1e-2 * std::sqrt(double(s.K)) : 1e-5 * std::sqrt(double(s.K));
  for (size_t i = 0; i < c.size(); ++i) ASSERT_NEAR(c[i], want[i], tol) << "at " << i;
}

TEST(KernelsGemm, F32MatchesReferenceOnOddShapes) {
  for (auto [M, N, K] : {std::tuple{1, 1, 1}, {3, 5, 7}, {17, 33, 65}, {64, 31, 129}})
    for (bool tb : {true, false})
      check({.M = M, .N = N, .K = K, .b_transposed = tb});
}

TEST(KernelsGemm, F32BiasAccumulateAndTransposedA) {
  check({.M = 13, .N = 19, .K = 23, .bias = true});
  check({.M = 13, .N = 19, .K = 23, .accumulate = true});
  check({.M = 13, .N = 19, .K = 23, .bias = true, .accumulate = true});
  check({.M = 13, .N = 19, .K = 23, .a_transposed = true, .b_transposed = false});
}

TEST(KernelsGemm, Bf16ToF32AndToBf16) {
  const DType b16 = DType::BF16;
  for (auto [M, N, K] : {std::tuple{1, 7, 9}, {5, 33, 17}, {31, 70, 129}}) {
    check({.M = M, .N = N, .K = K, .a = b16, .b = b16});
    check({.M = M, .N = N, .K = K, .a = b16, .b = b16, .c = b16});
    check({.M = M, .N = N, .K = K, .a = b16, .b = b16, .b_transposed = false});
  }
  check({.M = 9, .N = 11, .K = 13, .a = b16, .b = b16, .bias = true, .accumulate = true});
  check({.M = 9, .N = 11, .K = 13, .a = b16, .b = b16, .c = b16, .accumulate = true});
  check({.M = 9, .N = 11, .K = 13, .a = b16, .b = b16, .a_transposed = true});
}

// Every engine that can run here, plain and with the weight packed, on every combination of
// transposition, bias, accumulation and output dtype.
TEST(KernelsGemm, EveryEngineEveryCombination) {
  int engines_run = 0;
  for (GemmEngine e : kAllGemmEngines)
    for (DType dt : {DType::F32, DType::BF16}) {
      if (!gemm_engine_available(e, GemmShape{.M = 1, .N = 1, .K = 1, .a = dt, .b = dt})) continue;
      ++engines_run;
      for (bool ta : {false, true})
        for (bool tb : {false, true})
          for (bool bias : {false, true})
            for (bool acc : {false, true})
              for (DType c : {DType::F32, DType::BF16}) {
                if (dt == DType::F32 && c == DType::BF16) continue;
                const GemmShape s{.M = 7, .N = 37, .K = 19, .a = dt, .b = dt, .c = c,
                                  .a_transposed = ta, .b_transposed = tb, .bias = bias, .accumulate = acc};
                check(s, {.engine = e});
                check(s, {.engine = e, .packed = true});
              }
    }
  EXPECT_GE(engines_run, 2);  // oneDNN fp32 and the widened bf16 path exist everywhere
}

// The AMX engine's packing, tasks and epilogue on emulated tiles (amx_tiles_emulated.h): every
// combination on a shape smaller than one block, and shapes past one task (256 rows or columns),
// one pass of the tiles (512 along K) and the block edges, in every layout. On a CPU with AMX,
// EveryEngineEveryCombination and LargeBf16PanelsAndPackedFallback run the same on the real tiles.
TEST(KernelsGemm, AmxEngineOnEmulatedTiles) {
  const DType b16 = DType::BF16;
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (bool bias : {false, true})
        for (bool acc : {false, true})
          for (DType c : {DType::F32, DType::BF16}) {
            const GemmShape s{.M = 7, .N = 37, .K = 19, .a = b16, .b = b16, .c = c,
                              .a_transposed = ta, .b_transposed = tb, .bias = bias, .accumulate = acc};
            check(s, {.engine = {}, .packed = false, .emulated_amx = true});
            check(s, {.engine = {}, .packed = true, .emulated_amx = true});
          }
  for (auto [M, N, K] : {std::tuple{1, 1, 1}, {33, 65, 31}, {300, 290, 540}})
    for (bool ta : {false, true})
      for (bool tb : {false, true})
        check({.M = M, .N = N, .K = K, .a = b16, .b = b16, .a_transposed = ta, .b_transposed = tb,
               .bias = true},
              {.engine = {}, .packed = false, .emulated_amx = true});
}

// Each element of C is summed by one task in one order, so the thread count cannot change a bit.
TEST(KernelsGemm, AmxEngineGivesTheSameBitsOnAnyThreadCount) {
  const GemmShape s{.M = 300, .N = 290, .K = 600, .a = DType::BF16, .b = DType::BF16};
  std::vector<bf16> a(size_t(s.M * s.K)), b(size_t(s.K * s.N));
  const auto av = random_vector(a.size(), 7), bv = random_vector(b.size(), 8);
  for (size_t i = 0; i < a.size(); ++i) a[i] = f32_to_bf16(av[i]);
  for (size_t i = 0; i < b.size(); ++i) b[i] = f32_to_bf16(bv[i]);
  std::vector<float> one(size_t(s.M * s.N)), three(one.size());
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  run_emulated_amx(s, false, a.data(), b.data(), nullptr, one.data());
  omp_set_num_threads(3);
  run_emulated_amx(s, false, a.data(), b.data(), nullptr, three.data());
  omp_set_num_threads(threads);
  EXPECT_EQ(one, three);
}

// Shapes with more than one widened bf16 panel, and a packed weight used on another shape.
TEST(KernelsGemm, LargeBf16PanelsAndPackedFallback) {
  const DType b16 = DType::BF16;
  // Column panels of a [N,K] B; row panels of a deep [K,N] B (the LM head's input gradient),
  // with A plain and transposed, overwriting and accumulating.
  const GemmShape shapes[] = {
      {.M = 1, .N = 2100, .K = 4200, .a = b16, .b = b16},
      {.M = 3, .N = 150, .K = 60000, .a = b16, .b = b16, .b_transposed = false},
      {.M = 3, .N = 150, .K = 60000, .a = b16, .b = b16, .a_transposed = true, .b_transposed = false,
       .accumulate = true}};
  for (GemmEngine e : kAllGemmEngines)
    for (const GemmShape& s : shapes)
      if (gemm_engine_available(e, s)) check(s, {.engine = e});
  const GemmShape packed{.M = 5, .N = 9, .K = 11};
  std::vector<float> w = random_vector(9 * 11, 5), x = random_vector(4 * 11, 6);
  const PackedWeight pw(packed, w.data());
  std::vector<float> got(4 * 9), want(4 * 9);
  const GemmShape other{.M = 4, .N = 9, .K = 11};
  gemm_packed(other, x.data(), pw, nullptr, got.data());
  gemm(other, x.data(), w.data(), nullptr, want.data());
  EXPECT_EQ(got, want);
}

TEST(KernelsGemm, EngineNamesRoundTrip) {
  for (GemmEngine e : kAllGemmEngines) EXPECT_EQ(gemm_engine_from_name(gemm_engine_name(e)), e);
  EXPECT_FALSE(gemm_engine_from_name("blis"));
  const GemmShape s{.M = 4, .N = 4, .K = 4};
  EXPECT_TRUE(gemm_engine_available(gemm_engine_for(s), s));
  EXPECT_FALSE(gemm_backend_summary().empty());
}

// FT_GEMM_ENGINE reaches every shape `finetune inspect` lists, and a wrong name is a one-line error.
TEST(KernelsGemm, EngineOverrideFromTheEnvironment) {
  const std::string model = (test::fixtures_dir() / "tiny_models" / "mistral").string();
  ::setenv("FT_GEMM_ENGINE", "onednn-sgemm", 1);
  const auto forced = test::run_finetune("inspect " + model);
  ::setenv("FT_GEMM_ENGINE", "bogus", 1);
  const auto bad = test::run_finetune("inspect " + model);
  ::unsetenv("FT_GEMM_ENGINE");
  ASSERT_EQ(forced.exit_code, 0) << forced.output;
  EXPECT_NE(forced.output.find("F32, 128 tokens (forward/input-grad/weight-grad): q onednn-sgemm/onednn-sgemm/onednn-sgemm"),
            std::string::npos) << forced.output;
  EXPECT_EQ(bad.exit_code, 1) << bad.output;
  EXPECT_NE(bad.output.find("FT_GEMM_ENGINE=bogus: unknown GEMM engine"), std::string::npos) << bad.output;
}

// `finetune inspect` with FT_GEMM_ENGINE=engine exits 1 with `message`.
void expect_override_refused(const char* engine, const std::string& message) {
  const std::string model = (test::fixtures_dir() / "tiny_models" / "mistral").string();
  ::setenv("FT_GEMM_ENGINE", engine, 1);
  const auto r = test::run_finetune("inspect " + model);
  ::unsetenv("FT_GEMM_ENGINE");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find(message), std::string::npos) << r.output;
}

// Naming an engine this build does not link is an error, not a silent fallback to the rule.
TEST(KernelsGemm, EngineOverrideOfAnEngineNotBuiltIn) {
  const GemmShape any{.M = 1, .N = 1, .K = 1};
  if (gemm_engine_available(GemmEngine::kMkl, any)) GTEST_SKIP() << "this build links MKL";
  expect_override_refused("mkl", "FT_GEMM_ENGINE=mkl: this build has no MKL");
}

// Likewise the AMX engine on a CPU without usable tiles.
TEST(KernelsGemm, EngineOverrideAmxWithoutTiles) {
  const GemmShape bf{.M = 1, .N = 1, .K = 1, .a = DType::BF16, .b = DType::BF16};
  if (gemm_engine_available(GemmEngine::kAmx, bf)) GTEST_SKIP() << "this CPU has AMX tiles";
  expect_override_refused("amx", "FT_GEMM_ENGINE=amx: this CPU has no AMX tiles");
}

TEST(KernelsGemm, RejectsMixedDtypes) {
  float x = 0;
  EXPECT_THROW(gemm({.M = 1, .N = 1, .K = 1, .a = DType::BF16}, &x, &x, nullptr, &x), std::invalid_argument);
}

}  // namespace
}  // namespace ft
