// IEEE 754 half precision (binary16) and bfloat16 conversions.
//
// Scalar and exact: fp32 -> fp16 rounds to nearest even, keeps infinities,
// NaNs (quieted) and subnormals; fp16 -> fp32 is exact. These match the
// hardware conversions (F16C VCVTPS2PH with round-to-nearest, ARM FCVT), so a
// scale computed here equals one llama.cpp computed.
#ifndef EDGELLM_QUANT_FP16_H_
#define EDGELLM_QUANT_FP16_H_

#include <cstdint>
#include <cstring>

namespace edgellm::quant {

inline uint32_t FloatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof(u));
  return u;
}

inline float BitsToFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof(f));
  return f;
}

// binary16 -> binary32, exact.
inline float Fp16ToFp32(uint16_t h) {
  const uint32_t sign = uint32_t{h & 0x8000u} << 16;
  const uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ffu;
  if (exp == 0x1f) return BitsToFloat(sign | 0x7f800000u | (mant << 13));
  if (exp != 0) return BitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  if (mant == 0) return BitsToFloat(sign);
  // Subnormal: normalize the mantissa.
  int e = -1;
  do {
    ++e;
    mant <<= 1;
  } while ((mant & 0x400u) == 0);
  return BitsToFloat(sign | uint32_t(112 - e) << 23 | ((mant & 0x3ffu) << 13));
}

// binary32 -> binary16, round to nearest even.
inline uint16_t Fp32ToFp16(float f) {
  const uint32_t x = FloatBits(f);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t abs = x & 0x7fffffffu;
  if (abs >= 0x7f800000u) {  // Inf or NaN
    // NaN: quiet it and keep the top payload bits, as VCVTPS2PH and ARM
    // FCVT do.
    const uint32_t payload =
        abs > 0x7f800000u ? (0x200u | ((abs >> 13) & 0x3ffu)) : 0u;
    return static_cast<uint16_t>(sign | 0x7c00u | payload);
  }
  if (abs >= 0x477ff000u)
    return static_cast<uint16_t>(sign | 0x7c00u);  // overflow
  if (abs < 0x38800000u) {  // result is subnormal or zero
    // Add the implicit bit and shift into the 10-bit field with rounding.
    const uint32_t e = abs >> 23;
    if (e < 102) return static_cast<uint16_t>(sign);
    const uint32_t m = (abs & 0x7fffffu) | 0x800000u;
    const uint32_t shift = 126 - e;  // 14..24
    uint32_t h = m >> shift;
    const uint32_t rem = m & ((1u << shift) - 1);
    const uint32_t half = 1u << (shift - 1);
    if (rem > half || (rem == half && (h & 1u))) ++h;
    return static_cast<uint16_t>(sign | h);
  }
  // Normal: rebias exponent, round mantissa from 23 to 10 bits.
  uint32_t h = ((abs >> 13) - (112u << 10));
  const uint32_t rem = abs & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;  // may carry into exp
  return static_cast<uint16_t>(sign | h);
}

// bfloat16 -> binary32, exact.
inline float Bf16ToFp32(uint16_t b) { return BitsToFloat(uint32_t{b} << 16); }

// binary32 -> bfloat16, round to nearest even; NaN stays NaN.
inline uint16_t Fp32ToBf16(float f) {
  const uint32_t x = FloatBits(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) {
    return static_cast<uint16_t>((x >> 16) | 0x40u);
  }
  return static_cast<uint16_t>((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

}  // namespace edgellm::quant

#endif  // EDGELLM_QUANT_FP16_H_
