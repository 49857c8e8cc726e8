#include "quant/q8_0.h"

#include <cmath>

#include "quant/fp16.h"

namespace edgellm::quant {

void QuantizeRowQ8_0(const float* x, BlockQ8_0* y, size_t k) {
  for (size_t b = 0; b < k / kQ8_0BlockSize; ++b) {
    const float* xb = x + b * kQ8_0BlockSize;
    float amax = 0.0f;
    for (int i = 0; i < kQ8_0BlockSize; ++i)
      amax = std::fmax(amax, std::fabs(xb[i]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[b].d = Fp32ToFp16(d);
    for (int i = 0; i < kQ8_0BlockSize; ++i) {
      // |x * id| <= 127 up to rounding for finite input. When d is an f32
      // subnormal, id overflows to Inf; d16 is then 0 and the block
      // dequantizes to 0 whatever qs holds, so clamp instead of invoking
      // undefined float -> int conversion (NaN -> 0).
      const float v = std::fmin(std::fmax(xb[i] * id, -127.0f), 127.0f);
      y[b].qs[i] = static_cast<int8_t>(std::isnan(v) ? 0 : std::lround(v));
    }
  }
}

void DequantizeRowQ8_0(const BlockQ8_0* x, float* y, size_t k) {
  for (size_t b = 0; b < k / kQ8_0BlockSize; ++b) {
    const float d = Fp16ToFp32(x[b].d);
    for (int i = 0; i < kQ8_0BlockSize; ++i) {
      y[b * kQ8_0BlockSize + i] = d * x[b].qs[i];
    }
  }
}

}  // namespace edgellm::quant
