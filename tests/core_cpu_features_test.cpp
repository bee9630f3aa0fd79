// CPU feature detection against GCC's own run-time checks (__builtin_cpu_supports, which the
// attention kernels and target_clones dispatch on and which also require the OS to save the
// registers): the two must agree, or a kernel could run instructions the OS does not support.
#include <gtest/gtest.h>

#include "core/cpu_features.h"

namespace ft {
namespace {

TEST(CpuFeatures, AgreesWithTheCompilersRuntimeChecks) {
  const CpuFeatures& f = cpu_features();
  __builtin_cpu_init();
  EXPECT_EQ(f.avx2, bool(__builtin_cpu_supports("avx2")));
  EXPECT_EQ(f.fma, bool(__builtin_cpu_supports("fma")));
  EXPECT_EQ(f.avx512f, bool(__builtin_cpu_supports("avx512f")));
  EXPECT_EQ(f.avx512bw, bool(__builtin_cpu_supports("avx512bw")));
  EXPECT_EQ(f.avx512vl, bool(__builtin_cpu_supports("avx512vl")));
  EXPECT_EQ(f.avx512_vnni, bool(__builtin_cpu_supports("avx512vnni")));
  EXPECT_EQ(f.avx512_bf16, bool(__builtin_cpu_supports("avx512bf16")));
  EXPECT_FALSE(describe(f).empty());
}

}  // namespace
}  // namespace ft
