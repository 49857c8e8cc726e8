// The float -> integer steps of ggml's reference quantizers, spelled out so
// every quantizer here rounds exactly as ggml-quants.c does (internal to
// quant/).
#ifndef EDGELLM_QUANT_ROUNDING_H_
#define EDGELLM_QUANT_ROUNDING_H_

#include <cstdint>
#include <cstring>

namespace edgellm::quant {

// ggml's nearest_int: adding 1.5 * 2^23 leaves round(f) (ties to even, the
// FPU's rounding) in the low mantissa bits, for |f| <= 2^22. Outside that
// range, or for NaN, the result is some int (ggml asserts the range; we only
// keep the operation defined).
inline int NearestInt(float f) {
  const float v = f + 12582912.0f;
  int32_t i;
  std::memcpy(&i, &v, sizeof(i));
  return (i & 0x007fffff) - 0x00400000;
}

// ggml's MIN(hi, (int8_t)(v)) for the 4/5-bit legacy quantizers: v truncated
// toward zero, at most `hi`. In ggml v is always in [0, hi + 1.5) for finite
// input; NaN and values below 0 give 0 here (a C float -> int8 conversion
// out of range would be undefined).
inline int TruncAtMost(float v, int hi) {
  if (!(v >= 0.0f)) return 0;
  if (v >= static_cast<float>(hi)) return hi;
  return static_cast<int>(v);
}

// ggml-quants.c GROUP_MAX_EPS: a group whose largest magnitude is below this
// quantizes to zeros.
inline constexpr float kGroupMaxEps = 1e-15f;

}  // namespace edgellm::quant

#endif  // EDGELLM_QUANT_ROUNDING_H_
