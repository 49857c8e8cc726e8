#include "quant/q8_k.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "quant/rounding.h"

namespace edgellm::quant {

void QuantizeRowQ8_K(const float* x, BlockQ8_K* y, int64_t k) {
  for (int64_t b = 0; b < k / kQK_K; ++b, x += kQK_K) {
    float max = 0.0f, amax = 0.0f;
    for (int j = 0; j < kQK_K; ++j) {
      const float ax = std::fabs(x[j]);
      if (ax > amax) {
        amax = ax;
        max = x[j];
      }
    }
    if (amax == 0.0f) {
      std::memset(&y[b], 0, sizeof(y[b]));
      continue;
    }
    const float iscale = -127.0f / max;
    for (int j = 0; j < kQK_K; ++j) {
      // NearestInt's range holds: |iscale * x| <= 127 up to rounding.
      y[b].qs[j] =
          static_cast<int8_t>(std::min(127, NearestInt(iscale * x[j])));
    }
    for (int g = 0; g < kQK_K / 16; ++g) {
      int sum = 0;
      for (int j = 0; j < 16; ++j) sum += y[b].qs[16 * g + j];
      y[b].bsums[g] = static_cast<int16_t>(sum);
    }
    y[b].d = 1 / iscale;
  }
}

}  // namespace edgellm::quant
