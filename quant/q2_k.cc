// Q2_K (see k_quants.h): ggml's quantize_row_q2_K_ref and dequantize_row_q2_K.
#include <cmath>

#include "quant/fp16.h"
#include "quant/k_quant_search.h"
#include "quant/k_quants.h"
#include "quant/k_quants_internal.h"
#include "quant/rounding.h"

namespace edgellm::quant {
namespace {

constexpr int kSub = 16;             // values per sub-block
constexpr int kNSub = kQK_K / kSub;  // sub-blocks per super-block
constexpr float kQ4Scale = 15.0f;    // 4-bit scales and minimums

void QuantizeBlock(const float* x, BlockQ2_K* y) {
  uint8_t L[kQK_K];
  uint8_t Laux[kSub];
  float weights[kSub];
  float mins[kNSub], scales[kNSub];
  float max_scale = 0, max_min = 0;
  for (int j = 0; j < kNSub; ++j) {
    for (int l = 0; l < kSub; ++l) weights[l] = std::fabs(x[kSub * j + l]);
    scales[j] = MakeQkx2Quants(kSub, 3, x + kSub * j, weights, L + kSub * j,
                               &mins[j], Laux, -0.5f, 0.1f, 15, true);
    if (scales[j] > max_scale) max_scale = scales[j];
    if (mins[j] > max_min) max_min = mins[j];
  }
  if (max_scale > 0) {
    const float iscale = kQ4Scale / max_scale;
    for (int j = 0; j < kNSub; ++j) {
      y->scales[j] = static_cast<uint8_t>(NearestInt(iscale * scales[j]));
    }
    y->d = Fp32ToFp16(max_scale / kQ4Scale);
  } else {
    for (int j = 0; j < kNSub; ++j) y->scales[j] = 0;
    y->d = Fp32ToFp16(0.0f);
  }
  if (max_min > 0) {
    const float iscale = kQ4Scale / max_min;
    for (int j = 0; j < kNSub; ++j) {
      y->scales[j] |= static_cast<uint8_t>(NearestInt(iscale * mins[j]) << 4);
    }
    y->dmin = Fp32ToFp16(max_min / kQ4Scale);
  } else {
    y->dmin = Fp32ToFp16(0.0f);
  }
  // Requantize against the stored (rounded) scales; a sub-block whose scale
  // rounded to 0 keeps the search's levels.
  for (int j = 0; j < kNSub; ++j) {
    const float d = Fp16ToFp32(y->d) * static_cast<float>(y->scales[j] & 0x0f);
    if (d == 0.0f) continue;
    const float dm =
        Fp16ToFp32(y->dmin) * static_cast<float>(y->scales[j] >> 4);
    for (int i = 0; i < kSub; ++i) {
      const int l = NearestInt((x[kSub * j + i] + dm) / d);
      L[kSub * j + i] = static_cast<uint8_t>(l < 0 ? 0 : l > 3 ? 3 : l);
    }
  }
  internal::PackTwoBitLevels(L, y->qs);
}

}  // namespace

void QuantizeRowQ2_K(const float* x, BlockQ2_K* y, int64_t k) {
  for (int64_t b = 0; b < k / kQK_K; ++b) QuantizeBlock(x + b * kQK_K, &y[b]);
}

void DequantizeRowQ2_K(const BlockQ2_K* x, float* y, int64_t k) {
  for (int64_t b = 0; b < k / kQK_K; ++b) {
    const float d = Fp16ToFp32(x[b].d);
    const float min = Fp16ToFp32(x[b].dmin);
    const uint8_t* q = x[b].qs;
    int is = 0;
    // Each 128 values: 4 bit pairs (shift) x 2 halves of 16 bytes of q.
    for (int n = 0; n < kQK_K; n += 128, q += 32) {
      for (int shift = 0; shift < 8; shift += 2) {
        for (int half = 0; half < 2; ++half) {
          const uint8_t sc = x[b].scales[is++];
          const float dl = d * static_cast<float>(sc & 0x0f);
          const float ml = min * static_cast<float>(sc >> 4);
          for (int l = 0; l < 16; ++l) {
            *y++ =
                dl * static_cast<float>((q[l + 16 * half] >> shift) & 3) - ml;
          }
        }
      }
    }
  }
}

}  // namespace edgellm::quant
