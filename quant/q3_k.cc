// Q3_K (see k_quants.h): ggml's quantize_row_q3_K_ref and dequantize_row_q3_K.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "quant/fp16.h"
#include "quant/k_quant_search.h"
#include "quant/k_quants.h"
#include "quant/k_quants_internal.h"
#include "quant/rounding.h"

namespace edgellm::quant {
namespace {

constexpr int kSub = 16;
constexpr int kNSub = kQK_K / kSub;

void QuantizeBlock(const float* x, BlockQ3_K* y) {
  int8_t L[kQK_K];
  float scales[kNSub];
  float max_scale = 0, amax = 0;
  for (int j = 0; j < kNSub; ++j) {
    scales[j] = MakeQ3Quants(kSub, 4, x + kSub * j, L + kSub * j);
    const float scale = std::fabs(scales[j]);
    if (scale > amax) {
      amax = scale;
      max_scale = scales[j];
    }
  }
  std::memset(y->scales, 0, sizeof(y->scales));
  if (max_scale != 0.0f) {
    const float iscale = -32.0f / max_scale;
    for (int j = 0; j < kNSub; ++j) {
      // ggml stores nearest_int in an int8_t before clamping; |iscale *
      // scale| <= 32, so the narrowing never wraps.
      int l = static_cast<int8_t>(NearestInt(iscale * scales[j]));
      l = std::max(-32, std::min(31, l)) + 32;
      if (j < 8) {
        y->scales[j] = static_cast<uint8_t>(l & 0x0f);
      } else {
        y->scales[j - 8] |= static_cast<uint8_t>((l & 0x0f) << 4);
      }
      y->scales[j % 4 + 8] |= static_cast<uint8_t>((l >> 4) << (2 * (j / 4)));
    }
    y->d = Fp32ToFp16(1 / iscale);
  } else {
    y->d = Fp32ToFp16(0.0f);
  }
  // Requantize against the stored scales; a sub-block whose scale rounded
  // to 0 keeps the search's levels.
  for (int j = 0; j < kNSub; ++j) {
    const float d =
        Fp16ToFp32(y->d) * static_cast<float>(Q3_KScale(y->scales, j) - 32);
    if (d == 0.0f) continue;
    for (int i = 0; i < kSub; ++i) {
      const int l = NearestInt(x[kSub * j + i] / d);
      L[kSub * j + i] = static_cast<int8_t>(std::max(-4, std::min(3, l)) + 4);
    }
  }
  // The third bit of value j goes to bit j / 32 of hmask[j % 32].
  std::memset(y->hmask, 0, sizeof(y->hmask));
  uint8_t low[kQK_K];
  for (int j = 0; j < kQK_K; ++j) {
    int l = L[j];
    if (l > 3) {
      y->hmask[j % 32] |= static_cast<uint8_t>(1u << (j / 32));
      l -= 4;
    }
    low[j] = static_cast<uint8_t>(l);
  }
  internal::PackTwoBitLevels(low, y->qs);
}

}  // namespace

void QuantizeRowQ3_K(const float* x, BlockQ3_K* y, int64_t k) {
  for (int64_t b = 0; b < k / kQK_K; ++b) QuantizeBlock(x + b * kQK_K, &y[b]);
}

void DequantizeRowQ3_K(const BlockQ3_K* x, float* y, int64_t k) {
  for (int64_t b = 0; b < k / kQK_K; ++b) {
    const float d_all = Fp16ToFp32(x[b].d);
    const uint8_t* q = x[b].qs;
    const uint8_t* hm = x[b].hmask;
    uint8_t m = 1;
    int is = 0;
    for (int n = 0; n < kQK_K; n += 128, q += 32) {
      for (int shift = 0; shift < 8; shift += 2, m <<= 1) {
        for (int half = 0; half < 2; ++half) {
          const float dl =
              d_all * static_cast<float>(Q3_KScale(x[b].scales, is++) - 32);
          for (int l = 16 * half; l < 16 * half + 16; ++l) {
            const int v = ((q[l] >> shift) & 3) - ((hm[l] & m) ? 0 : 4);
            *y++ = dl * static_cast<float>(v);
          }
        }
      }
    }
  }
}

}  // namespace edgellm::quant
