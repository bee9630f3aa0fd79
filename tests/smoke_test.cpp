#include <gtest/gtest.h>

#include <cmath>

#include "core/half.h"
#include "test_support.h"

TEST(Half, Bf16RoundsToNearestEven) {
  EXPECT_EQ(ft::f32_to_bf16(1.0f).bits, 0x3f80);
  // 1 + 2^-8 is halfway between two bf16 values; ties go to the even mantissa (down).
  EXPECT_EQ(ft::f32_to_bf16(1.00390625f).bits, 0x3f80);
  EXPECT_EQ(ft::f32_to_bf16(1.01171875f).bits, 0x3f82);
  EXPECT_FLOAT_EQ(ft::bf16_to_f32(ft::bf16{0xc000}), -2.0f);
}

TEST(Half, F16ToF32CoversNormalSubnormalAndInf) {
  EXPECT_FLOAT_EQ(ft::f16_to_f32(0x3c00), 1.0f);
  EXPECT_FLOAT_EQ(ft::f16_to_f32(0xc000), -2.0f);
  EXPECT_FLOAT_EQ(ft::f16_to_f32(0x0001), 5.9604645e-8f);
  EXPECT_TRUE(std::isinf(ft::f16_to_f32(0x7c00)));
}
