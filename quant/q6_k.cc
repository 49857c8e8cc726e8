// Q6_K (see k_quants.h): ggml's quantize_row_q6_K_ref and dequantize_row_q6_K.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "quant/fp16.h"
#include "quant/k_quant_search.h"
#include "quant/k_quants.h"
#include "quant/rounding.h"

namespace edgellm::quant {
namespace {

constexpr int kSub = 16;
constexpr int kNSub = kQK_K / kSub;

void QuantizeBlock(const float* x, BlockQ6_K* y) {
  int8_t L[kQK_K];
  float scales[kNSub];
  float max_scale = 0, max_abs_scale = 0;
  for (int ib = 0; ib < kNSub; ++ib) {
    scales[ib] = MakeQxQuants(kSub, 32, x + kSub * ib, L + kSub * ib);
    const float abs_scale = std::fabs(scales[ib]);
    if (abs_scale > max_abs_scale) {
      max_abs_scale = abs_scale;
      max_scale = scales[ib];
    }
  }
  if (max_abs_scale < kGroupMaxEps) {
    std::memset(y, 0, sizeof(*y));
    return;
  }
  const float iscale = -128.0f / max_scale;
  y->d = Fp32ToFp16(1 / iscale);
  for (int ib = 0; ib < kNSub; ++ib) {
    y->scales[ib] =
        static_cast<int8_t>(std::min(127, NearestInt(iscale * scales[ib])));
  }
  // Requantize against the stored scales; a sub-block whose scale rounded
  // to 0 keeps the search's levels.
  for (int j = 0; j < kNSub; ++j) {
    const float d = Fp16ToFp32(y->d) * static_cast<float>(y->scales[j]);
    if (d == 0.0f) continue;
    for (int i = 0; i < kSub; ++i) {
      const int l = NearestInt(x[kSub * j + i] / d);
      L[kSub * j + i] =
          static_cast<int8_t>(std::max(-32, std::min(31, l)) + 32);
    }
  }
  // Each 128 values: low nibbles of values l and l + 64 share ql[l], of
  // l + 32 and l + 96 share ql[l + 32]; their top 2 bits fill qh[l].
  uint8_t* ql = y->ql;
  uint8_t* qh = y->qh;
  for (int j = 0; j < kQK_K; j += 128, ql += 64, qh += 32) {
    for (int l = 0; l < 32; ++l) {
      const int q1 = L[j + l], q2 = L[j + l + 32], q3 = L[j + l + 64],
                q4 = L[j + l + 96];
      ql[l] = static_cast<uint8_t>((q1 & 0x0f) | (q3 & 0x0f) << 4);
      ql[l + 32] = static_cast<uint8_t>((q2 & 0x0f) | (q4 & 0x0f) << 4);
      qh[l] = static_cast<uint8_t>((q1 >> 4) | (q2 >> 4) << 2 | (q3 >> 4) << 4 |
                                   (q4 >> 4) << 6);
    }
  }
}

}  // namespace

void QuantizeRowQ6_K(const float* x, BlockQ6_K* y, int64_t k) {
  for (int64_t b = 0; b < k / kQK_K; ++b) QuantizeBlock(x + b * kQK_K, &y[b]);
}

void DequantizeRowQ6_K(const BlockQ6_K* x, float* y, int64_t k) {
  for (int64_t b = 0; b < k / kQK_K; ++b) {
    const float d = Fp16ToFp32(x[b].d);
    const uint8_t* ql = x[b].ql;
    const uint8_t* qh = x[b].qh;
    const int8_t* sc = x[b].scales;
    for (int n = 0; n < kQK_K;
         n += 128, y += 128, ql += 64, qh += 32, sc += 8) {
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        const int q1 = ((ql[l] & 0x0f) | ((qh[l] >> 0) & 3) << 4) - 32;
        const int q2 = ((ql[l + 32] & 0x0f) | ((qh[l] >> 2) & 3) << 4) - 32;
        const int q3 = ((ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4) - 32;
        const int q4 = ((ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4) - 32;
        y[l] = d * static_cast<float>(sc[is]) * static_cast<float>(q1);
        y[l + 32] = d * static_cast<float>(sc[is + 2]) * static_cast<float>(q2);
        y[l + 64] = d * static_cast<float>(sc[is + 4]) * static_cast<float>(q3);
        y[l + 96] = d * static_cast<float>(sc[is + 6]) * static_cast<float>(q4);
      }
    }
  }
}

}  // namespace edgellm::quant
