// Q4_K and Q5_K (see k_quants.h): ggml's quantize_row_q4_K_ref /
// quantize_row_q5_K_ref and their dequantize_row_*. They share everything
// but the level count and the search's trial range.
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

constexpr int kSub = 32;
constexpr int kNSub = kQK_K / kSub;

struct Search {
  int nmax;  // 15 or 31
  float rmin, rdelta;
  int nstep;
};
constexpr Search kQ4Search{15, -1.0f, 0.1f, 20};
constexpr Search kQ5Search{31, -0.5f, 0.1f, 15};

// The levels L (0..nmax) of one super-block and its d, dmin and packed
// scales, as both quantizers compute them.
void QuantizeLevels(const float* x, const Search& s, uint8_t* L,
                    uint8_t scales_out[12], uint16_t* d_out,
                    uint16_t* dmin_out) {
  uint8_t Laux[kSub];
  float weights[kSub];
  float mins[kNSub], scales[kNSub];
  float max_scale = 0, max_min = 0;
  for (int j = 0; j < kNSub; ++j) {
    const float* xs = x + kSub * j;
    float sum_x2 = 0;
    for (int l = 0; l < kSub; ++l) sum_x2 += xs[l] * xs[l];
    const float av_x = std::sqrt(sum_x2 / kSub);
    for (int l = 0; l < kSub; ++l) weights[l] = av_x + std::fabs(xs[l]);
    scales[j] = MakeQkx2Quants(kSub, s.nmax, xs, weights, L + kSub * j,
                               &mins[j], Laux, s.rmin, s.rdelta, s.nstep,
                               /*use_mad=*/false);
    if (scales[j] > max_scale) max_scale = scales[j];
    if (mins[j] > max_min) max_min = mins[j];
  }
  const float inv_scale = max_scale > 0 ? 63.0f / max_scale : 0.0f;
  const float inv_min = max_min > 0 ? 63.0f / max_min : 0.0f;
  uint8_t ls[kNSub], lm[kNSub];
  for (int j = 0; j < kNSub; ++j) {
    // ggml keeps nearest_int in a uint8_t, then takes min(63, .).
    ls[j] = std::min<uint8_t>(
        63, static_cast<uint8_t>(NearestInt(inv_scale * scales[j])));
    lm[j] = std::min<uint8_t>(
        63, static_cast<uint8_t>(NearestInt(inv_min * mins[j])));
  }
  std::memset(scales_out, 0, 12);
  internal::PackK4ScaleMins(ls, lm, scales_out);
  *d_out = Fp32ToFp16(max_scale / 63.0f);
  *dmin_out = Fp32ToFp16(max_min / 63.0f);
  // Requantize against the stored scales; a sub-block whose scale rounded
  // to 0 keeps the search's levels.
  for (int j = 0; j < kNSub; ++j) {
    uint8_t sc, m;
    K4ScaleMin(scales_out, j, &sc, &m);
    const float d = Fp16ToFp32(*d_out) * static_cast<float>(sc);
    if (d == 0.0f) continue;
    const float dm = Fp16ToFp32(*dmin_out) * static_cast<float>(m);
    for (int i = 0; i < kSub; ++i) {
      const int l = NearestInt((x[kSub * j + i] + dm) / d);
      L[kSub * j + i] = static_cast<uint8_t>(std::max(0, std::min(s.nmax, l)));
    }
  }
}

}  // namespace

void QuantizeRowQ4_K(const float* x, BlockQ4_K* y, int64_t k) {
  for (int64_t b = 0; b < k / kQK_K; ++b) {
    uint8_t L[kQK_K];
    QuantizeLevels(x + b * kQK_K, kQ4Search, L, y[b].scales, &y[b].d,
                   &y[b].dmin);
    // Each 64 values fill 32 bytes: the first 32 in the low nibbles.
    uint8_t* q = y[b].qs;
    for (int j = 0; j < kQK_K; j += 64, q += 32) {
      for (int l = 0; l < 32; ++l) {
        q[l] = static_cast<uint8_t>(L[j + l] | L[j + l + 32] << 4);
      }
    }
  }
}

void QuantizeRowQ5_K(const float* x, BlockQ5_K* y, int64_t k) {
  for (int64_t b = 0; b < k / kQK_K; ++b) {
    uint8_t L[kQK_K];
    QuantizeLevels(x + b * kQK_K, kQ5Search, L, y[b].scales, &y[b].d,
                   &y[b].dmin);
    // As Q4_K for the low 4 bits; the fifth bit of value n + j (n a
    // multiple of 64, j < 64) is bit 2 n / 64 + j / 32 of qh[j % 32].
    std::memset(y[b].qh, 0, sizeof(y[b].qh));
    uint8_t* ql = y[b].qs;
    uint8_t m1 = 1, m2 = 2;
    for (int n = 0; n < kQK_K; n += 64, ql += 32, m1 <<= 2, m2 <<= 2) {
      for (int j = 0; j < 32; ++j) {
        int l1 = L[n + j];
        if (l1 > 15) {
          l1 -= 16;
          y[b].qh[j] |= m1;
        }
        int l2 = L[n + j + 32];
        if (l2 > 15) {
          l2 -= 16;
          y[b].qh[j] |= m2;
        }
        ql[j] = static_cast<uint8_t>(l1 | l2 << 4);
      }
    }
  }
}

void DequantizeRowQ4_K(const BlockQ4_K* x, float* y, int64_t k) {
  for (int64_t b = 0; b < k / kQK_K; ++b) {
    const float d = Fp16ToFp32(x[b].d);
    const float min = Fp16ToFp32(x[b].dmin);
    const uint8_t* q = x[b].qs;
    for (int j = 0; j < kNSub; j += 2, q += 32) {
      uint8_t sc, m;
      K4ScaleMin(x[b].scales, j, &sc, &m);
      const float d1 = d * static_cast<float>(sc),
                  m1 = min * static_cast<float>(m);
      K4ScaleMin(x[b].scales, j + 1, &sc, &m);
      const float d2 = d * static_cast<float>(sc),
                  m2 = min * static_cast<float>(m);
      for (int l = 0; l < 32; ++l)
        *y++ = d1 * static_cast<float>(q[l] & 0x0f) - m1;
      for (int l = 0; l < 32; ++l)
        *y++ = d2 * static_cast<float>(q[l] >> 4) - m2;
    }
  }
}

void DequantizeRowQ5_K(const BlockQ5_K* x, float* y, int64_t k) {
  for (int64_t b = 0; b < k / kQK_K; ++b) {
    const float d = Fp16ToFp32(x[b].d);
    const float min = Fp16ToFp32(x[b].dmin);
    const uint8_t* ql = x[b].qs;
    const uint8_t* qh = x[b].qh;
    uint8_t u1 = 1, u2 = 2;
    for (int j = 0; j < kNSub; j += 2, ql += 32, u1 <<= 2, u2 <<= 2) {
      uint8_t sc, m;
      K4ScaleMin(x[b].scales, j, &sc, &m);
      const float d1 = d * static_cast<float>(sc),
                  m1 = min * static_cast<float>(m);
      K4ScaleMin(x[b].scales, j + 1, &sc, &m);
      const float d2 = d * static_cast<float>(sc),
                  m2 = min * static_cast<float>(m);
      for (int l = 0; l < 32; ++l) {
        const int q = (ql[l] & 0x0f) + ((qh[l] & u1) ? 16 : 0);
        *y++ = d1 * static_cast<float>(q) - m1;
      }
      for (int l = 0; l < 32; ++l) {
        const int q = (ql[l] >> 4) + ((qh[l] & u2) ? 16 : 0);
        *y++ = d2 * static_cast<float>(q) - m2;
      }
    }
  }
}

}  // namespace edgellm::quant
