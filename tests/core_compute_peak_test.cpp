// The peak loops behind bench_train_step's "physical limit": each runs only on the unit it names
// and reports a rate; the AMX loop (tile configuration, TDPBF16PS chains, release) runs only where
// the CPU has tiles and the OS granted their state, so on other machines it must report "none".
// Short runs: these check that the loops run, not how fast (bench/ measures speed).
#include <gtest/gtest.h>

#include "core/compute_peak.h"
#include "core/cpu_features.h"

namespace ft {
namespace {

TEST(ComputePeak, FmaPeakRunsOnTheWidestVectorUnit) {
  const CpuFeatures& cpu = cpu_features();
  const ComputePeak p = fma_peak(2, 100'000);
  const char* want = cpu.avx512f ? "avx512f" : cpu.avx2 && cpu.fma ? "avx2+fma" : "none";
  EXPECT_EQ(p.isa, want);
  EXPECT_EQ(p.gflops > 0, p.isa != "none");
}

TEST(ComputePeak, AmxPeakRunsWhereTilesAreGranted) {
  if (!cpu_features().amx_bf16) GTEST_SKIP() << "this CPU (or its OS) grants no AMX tiles";
  // Twice: each call configures the tiles on fresh threads and releases them at the end.
  for (int call = 0; call < 2; ++call) {
    const ComputePeak p = amx_bf16_peak(2, 10'000);
    EXPECT_EQ(p.isa, "amx_bf16");
    EXPECT_GT(p.gflops, 0);
  }
}

TEST(ComputePeak, AmxPeakIsNoneWithoutTiles) {
  if (cpu_features().amx_bf16) GTEST_SKIP() << "this CPU has AMX tiles";
  const ComputePeak p = amx_bf16_peak(2, 10'000);
  EXPECT_EQ(p.isa, "none");
  EXPECT_EQ(p.gflops, 0);
}

}  // namespace
}  // namespace ft
