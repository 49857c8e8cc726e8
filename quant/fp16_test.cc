#include "quant/fp16.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

#include "gtest/gtest.h"
#include "quant/fp16_f16c_testing.h"

namespace edgellm::quant {
namespace {

bool IsNan16(uint16_t h) { return (h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0; }

// All 65536 halves: fp16 -> fp32 -> fp16 is the identity, except that a
// signaling NaN comes back quiet (as the hardware does).
TEST(Fp16Test, ExhaustiveRoundTrip) {
  for (uint32_t i = 0; i <= 0xffff; ++i) {
    const uint16_t h = static_cast<uint16_t>(i);
    const float f = Fp16ToFp32(h);
    const uint16_t back = Fp32ToFp16(f);
    if (IsNan16(h)) {
      ASSERT_TRUE(std::isnan(f)) << std::hex << i;
      ASSERT_EQ(back, h | 0x200) << std::hex << i;
    } else {
      ASSERT_EQ(back, h) << std::hex << i;
    }
  }
}

TEST(Fp16Test, KnownValues) {
  EXPECT_EQ(Fp16ToFp32(0x3c00), 1.0f);
  EXPECT_EQ(Fp16ToFp32(0xc000), -2.0f);
  EXPECT_EQ(Fp16ToFp32(0x7bff), 65504.0f);
  EXPECT_EQ(Fp16ToFp32(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(Fp16ToFp32(0x0400), std::ldexp(1.0f, -14));
  EXPECT_EQ(Fp16ToFp32(0x7c00), std::numeric_limits<float>::infinity());
  EXPECT_EQ(Fp32ToFp16(65519.996f), 0x7bff);
  EXPECT_EQ(Fp32ToFp16(65520.0f), 0x7c00);  // tie rounds to even = inf
  EXPECT_EQ(Fp32ToFp16(std::ldexp(1.0f, -25)), 0x0000);  // tie to even
  EXPECT_EQ(Fp32ToFp16(std::ldexp(1.5f, -25)), 0x0001);
  EXPECT_EQ(Fp32ToFp16(-0.0f), 0x8000);
}

TEST(Fp16Test, ExhaustiveFp16ToFp32MatchesF16c) {
  if (!testing::HasF16c()) GTEST_SKIP() << "CPU lacks F16C";
  for (uint32_t i = 0; i <= 0xffff; ++i) {
    const uint16_t h = static_cast<uint16_t>(i);
    const float ours = Fp16ToFp32(h), hw = testing::HardwareFp16ToFp32(h);
    if (IsNan16(h)) {
      ASSERT_TRUE(std::isnan(ours) && std::isnan(hw));
    } else {
      ASSERT_EQ(FloatBits(ours), FloatBits(hw)) << std::hex << i;
    }
  }
}

// Fp32ToFp16 == VCVTPS2PH (round to nearest even) bit for bit, NaN payloads
// included, on random bit patterns (every class: NaN, Inf, normal, subnormal
// f32) and on values concentrated where fp16 rounding is delicate: its
// subnormal range, the overflow edge and exact ties.
TEST(Fp16Test, Fp32ToFp16MatchesF16c) {
  if (!testing::HasF16c()) GTEST_SKIP() << "CPU lacks F16C";
  std::mt19937 rng(123);
  std::uniform_int_distribution<uint32_t> bits;
  auto check = [](float f) {
    ASSERT_EQ(Fp32ToFp16(f), testing::HardwareFp32ToFp16(f))
        << std::hex << FloatBits(f) << " = " << f;
  };
  for (int i = 0; i < 4'000'000; ++i) check(BitsToFloat(bits(rng)));
  // Exponents around fp16's range [2^-25, 2^16], random mantissas.
  std::uniform_int_distribution<uint32_t> exp(127 - 27, 127 + 17);
  for (int i = 0; i < 4'000'000; ++i) {
    const uint32_t u = (bits(rng) & 0x807fffffu) | (exp(rng) << 23);
    check(BitsToFloat(u));
  }
  // Exact ties and their neighbours: mantissas ending in 1000..0 (binary)
  // at every fp16-relevant exponent.
  for (uint32_t e = 127 - 26; e <= 127 + 16; ++e) {
    for (uint32_t top = 0; top < 1024; ++top) {
      for (uint32_t low : {0x0fffu, 0x1000u, 0x1001u}) {
        for (uint32_t sign : {0u, 0x80000000u}) {
          check(BitsToFloat(sign | (e << 23) | (top << 13) | low));
        }
      }
    }
  }
}

// bf16: round to nearest even, checked against the two neighbours in double.
TEST(Bf16Test, RoundsToNearestEven) {
  std::mt19937 rng(5);
  std::uniform_int_distribution<uint32_t> bits;
  for (int i = 0; i < 2'000'000; ++i) {
    const uint32_t u = bits(rng);
    const float f = BitsToFloat(u);
    const uint16_t b = Fp32ToBf16(f);
    if (std::isnan(f)) {
      ASSERT_TRUE(std::isnan(Bf16ToFp32(b))) << std::hex << u;
      continue;
    }
    const uint32_t down = u & 0xffff0000u;
    const uint32_t up = down + 0x10000u;  // may become Inf: correct rounding
    const double dd = std::fabs(double{f} - BitsToFloat(down));
    // Rounding treats Inf as the next step, 2^128, beyond FLT_MAX.
    const double upv = std::isinf(BitsToFloat(up))
                           ? std::copysign(std::ldexp(1.0, 128), f)
                           : double{BitsToFloat(up)};
    const double du = std::fabs(upv - f);
    uint16_t want;
    if ((u & 0xffff) == 0) {
      want = static_cast<uint16_t>(down >> 16);
    } else if ((u & 0xffff) == 0x8000) {  // tie: even
      want = static_cast<uint16_t>(((down >> 16) & 1) ? up >> 16 : down >> 16);
    } else {
      want =
          static_cast<uint16_t>((u & 0xffff) < 0x8000 ? down >> 16 : up >> 16);
      ASSERT_EQ(dd < du, want == (down >> 16))
          << std::hex << u << " " << dd << " " << du;
    }
    ASSERT_EQ(b, want) << std::hex << u;
  }
  EXPECT_EQ(Fp32ToBf16(1.0f), 0x3f80);
  EXPECT_EQ(Bf16ToFp32(0x3f80), 1.0f);
  EXPECT_EQ(Fp32ToBf16(BitsToFloat(0x3f808000u)), 0x3f80);  // tie -> even
  EXPECT_EQ(Fp32ToBf16(BitsToFloat(0x3f818000u)), 0x3f82);  // tie -> even
  EXPECT_EQ(Fp32ToBf16(std::numeric_limits<float>::max()), 0x7f80);  // Inf
  EXPECT_EQ(Fp32ToBf16(-std::numeric_limits<float>::infinity()), 0xff80);
}

TEST(Bf16Test, ExhaustiveRoundTrip) {
  for (uint32_t i = 0; i <= 0xffff; ++i) {
    const uint16_t b = static_cast<uint16_t>(i);
    const float f = Bf16ToFp32(b);
    if (std::isnan(f)) {
      ASSERT_TRUE(std::isnan(Bf16ToFp32(Fp32ToBf16(f))));
    } else {
      ASSERT_EQ(Fp32ToBf16(f), b) << std::hex << i;
    }
  }
}

}  // namespace
}  // namespace edgellm::quant
