#include "quant/q8_1.h"

#include <cmath>

#include "quant/fp16.h"

namespace edgellm::quant {

void QuantizeRowQ8_1Activations(const float* x, BlockQ8_1* y, int64_t k) {
  constexpr float kQMax = 127.0f;
  for (int64_t b = 0; b < k / kQ8_1BlockSize; ++b) {
    const float* xb = x + b * kQ8_1BlockSize;
    float amax = 0.0f;
    for (int i = 0; i < kQ8_1BlockSize; ++i) {
      amax = std::fmax(amax, std::fabs(xb[i]));
    }
    const float d = amax / kQMax;
    const float id = amax != 0.0f ? kQMax / amax : 0.0f;
    int sum = 0;
    for (int i = 0; i < kQ8_1BlockSize; ++i) {
      // std::nearbyint rounds half to even in the default rounding mode, as
      // _mm256_round_ps(_MM_ROUND_NEAREST) does. NaN/Inf become -128 like
      // x86's "integer indefinite" after the saturating packs.
      const float r = std::nearbyint(xb[i] * id);
      const int8_t q =
          (r >= -128.0f && r <= 127.0f) ? static_cast<int8_t>(r) : int8_t{-128};
      y[b].qs[i] = q;
      sum += q;
    }
    y[b].d = Fp32ToFp16(d);
    y[b].s = Fp32ToFp16(d * static_cast<float>(sum));
  }
}

}  // namespace edgellm::quant
