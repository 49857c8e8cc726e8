#include "quant/iq4.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "quant/fp16.h"
#include "quant/rounding.h"

namespace edgellm::quant {
namespace {

constexpr int kSub = 32;
constexpr int kNValues = 16;
constexpr int kTries = 7;  // trial scales on each side (ggml's ntry)

// The table entry nearest to x: the first level i whose midpoint with level
// i - 1 x reaches (ggml's best_index_int8; 2x and the sums of neighbours
// are exact, so ties go up exactly as there).
int BestIndex(float x) {
  const float x2 = x + x;
  int idx = 0;
  for (int step = kNValues / 2; step > 0; step /= 2) {
    const int j = idx + step;
    if (x2 >= static_cast<float>(kIq4nlValues[j - 1] + kIq4nlValues[j]))
      idx = j;
  }
  return idx;
}

// The best scale for one 32-value sub-block (ggml's quantize_row_iq4_nl_impl
// per block, weights x^2): from the largest-magnitude value, then 15 trial
// scales (itry + values[0]) / max, keeping the best weighted fit.
float SubBlockScale(const float* x) {
  float amax = 0, max = 0;
  for (int j = 0; j < kSub; ++j) {
    const float ax = std::fabs(x[j]);
    if (ax > amax) {
      amax = ax;
      max = x[j];
    }
  }
  if (amax < kGroupMaxEps) return 0.0f;
  auto fit = [&](float id, float* sumqx, float* sumq2) {
    *sumqx = *sumq2 = 0;
    for (int j = 0; j < kSub; ++j) {
      const float q = kIq4nlValues[BestIndex(id * x[j])];
      const float w = x[j] * x[j];
      *sumqx += w * q * x[j];
      *sumq2 += w * q * q;
    }
  };
  float sumqx, sumq2;
  fit(1 / (-max / kIq4nlValues[0]), &sumqx, &sumq2);
  float d = sumq2 > 0 ? sumqx / sumq2 : 0.0f;
  float best = d * sumqx;
  for (int itry = -kTries; itry <= kTries; ++itry) {
    fit(static_cast<float>(itry + kIq4nlValues[0]) / max, &sumqx, &sumq2);
    if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
      d = sumqx / sumq2;
      best = d * sumqx;
    }
  }
  return d;
}

// 32 levels into 16 bytes: value j in the low nibble of byte j, value
// j + 16 in its high nibble.
void PackNibbles(const uint8_t* L, uint8_t* qs) {
  for (int j = 0; j < 16; ++j) {
    qs[j] = static_cast<uint8_t>(L[j] | L[j + 16] << 4);
  }
}

}  // namespace

void QuantizeRowIQ4_NL(const float* x, BlockIQ4_NL* y, int64_t k) {
  for (int64_t b = 0; b < k / kIq4nlBlockSize; ++b) {
    const float* xb = x + b * kIq4nlBlockSize;
    const float d = SubBlockScale(xb);
    y[b].d = Fp32ToFp16(d);
    const float id = d != 0.0f ? 1 / d : 0.0f;
    uint8_t L[kSub];
    for (int j = 0; j < kSub; ++j)
      L[j] = static_cast<uint8_t>(BestIndex(id * xb[j]));
    PackNibbles(L, y[b].qs);
  }
}

void QuantizeRowIQ4_XS(const float* x, BlockIQ4_XS* y, int64_t k) {
  constexpr int kNSub = kQK_K / kSub;
  for (int64_t b = 0; b < k / kQK_K; ++b) {
    const float* xb = x + b * kQK_K;
    float scales[kNSub];
    float max_scale = 0, amax_scale = 0;
    for (int ib = 0; ib < kNSub; ++ib) {
      scales[ib] = SubBlockScale(xb + kSub * ib);
      const float abs_d = std::fabs(scales[ib]);
      if (abs_d > amax_scale) {
        amax_scale = abs_d;
        max_scale = scales[ib];
      }
    }
    // One fp16 scale for the super-block, 6-bit sub-block scales against it
    // (in float, not the fp16-rounded d, as ggml does).
    const float d = -max_scale / 32;
    y[b].d = Fp32ToFp16(d);
    const float id = d != 0.0f ? 1 / d : 0.0f;
    y[b].scales_h = 0;
    std::memset(y[b].scales_l, 0, sizeof(y[b].scales_l));
    for (int ib = 0; ib < kNSub; ++ib) {
      int l = std::max(-32, std::min(31, NearestInt(id * scales[ib])));
      const float dl = d * static_cast<float>(l);
      const float idl = dl != 0.0f ? 1 / dl : 0.0f;
      uint8_t L[kSub];
      for (int j = 0; j < kSub; ++j) {
        L[j] = static_cast<uint8_t>(BestIndex(idl * xb[kSub * ib + j]));
      }
      PackNibbles(L, y[b].qs + 16 * ib);
      l += 32;
      y[b].scales_l[ib / 2] |=
          static_cast<uint8_t>((l & 0x0f) << (4 * (ib % 2)));
      y[b].scales_h |= static_cast<uint16_t>((l >> 4) << (2 * ib));
    }
  }
}

void DequantizeRowIQ4_NL(const BlockIQ4_NL* x, float* y, int64_t k) {
  for (int64_t b = 0; b < k / kIq4nlBlockSize; ++b, y += kIq4nlBlockSize) {
    const float d = Fp16ToFp32(x[b].d);
    for (int j = 0; j < 16; ++j) {
      y[j] = d * static_cast<float>(kIq4nlValues[x[b].qs[j] & 0x0f]);
      y[j + 16] = d * static_cast<float>(kIq4nlValues[x[b].qs[j] >> 4]);
    }
  }
}

void DequantizeRowIQ4_XS(const BlockIQ4_XS* x, float* y, int64_t k) {
  for (int64_t b = 0; b < k / kQK_K; ++b) {
    const float d = Fp16ToFp32(x[b].d);
    const uint8_t* qs = x[b].qs;
    for (int ib = 0; ib < kQK_K / kSub; ++ib, y += kSub, qs += 16) {
      const float dl = d * static_cast<float>(IQ4_XSScale(x[b], ib) - 32);
      for (int j = 0; j < 16; ++j) {
        y[j] = dl * static_cast<float>(kIq4nlValues[qs[j] & 0x0f]);
        y[j + 16] = dl * static_cast<float>(kIq4nlValues[qs[j] >> 4]);
      }
    }
  }
}

}  // namespace edgellm::quant
