// The AArch64 GEMM loops for Q4_0, Q5_0, Q4_K, Q5_K and Q6_K over plain GGUF
// rows, shared by the NEON, NEON-dotprod and (for a batch of one) i8mm
// kernels, which differ only in how they add int8 products into int32
// lanes (the Dot policy: Mla(acc, a, b) adds the 16 products a[i] * b[i]
// into acc's 4 lanes, in any grouping).
//
// They follow the contract of quant_gemm.h, so they are bit-identical to the
// reference: per block the exact int32 sums (isum, and msum for the types
// with minimums) are formed as int32x4 partials whose lane sum is the exact
// value (integer addition is associative), then
//   acc = fma(float(isum), d_w * d_x, acc), macc = fma(float(msum),
//   dmin_w * d_x, macc)
// over blocks in order from +0 (vfmaq_f32 and std::fma are that one fused
// operation), dot = acc - macc (acc for the types without minimums: the
// reference's acc - (+0) is acc bit for bit), then + bias.
// Include only from the kernels' .cc files (internal linkage).
#ifndef EDGELLM_OPS_KERNELS_QUANT_GEMM_NEON_INL_H_
#define EDGELLM_OPS_KERNELS_QUANT_GEMM_NEON_INL_H_

#include <arm_neon.h>

#include <cmath>
#include <cstdint>
#include <cstring>

#include "ops/kernels/quant_gemm.h"
#include "quant/k_quants.h"
#include "quant/q4_q5.h"
#include "quant/q8_0.h"
#include "quant/q8_k.h"

namespace edgellm::ops::kernels {
namespace {

// Rows computed together: their block sums fill one int32x4 (lane = row), so
// the scale products and the fmas are one vector operation each.
constexpr int kQuantNeonRowTile = 4;

inline float QuantHalfToFloatNeon(uint16_t h) {
  return vgetq_lane_f32(vcvt_f32_f16(vreinterpret_f16_u16(vdup_n_u16(h))), 0);
}

// Four fp16 scales as f32 (the conversion is exact).
inline float32x4_t QuantHalf4ToFloatNeon(uint16_t h0, uint16_t h1, uint16_t h2,
                                         uint16_t h3) {
  const uint16_t h[4] = {h0, h1, h2, h3};
  return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(h)));
}

// A block's exact integer sums as int32x4 partials (lane sums are the
// values).
struct QuantPartials {
  int32x4_t isum;
  int32x4_t msum;  // zero for the types without minimums
};

// [a0+a1+a2+a3, b..., c..., d...]: the lane sums of four vectors.
inline int32x4_t LaneSums4(int32x4_t a, int32x4_t b, int32x4_t c, int32x4_t d) {
  return vpaddq_s32(vpaddq_s32(a, b), vpaddq_s32(c, d));
}

// Each type T gives its block layout and, through T::Widen(w, f), its
// integer levels: Widen calls f(v, levels) once for every 16 values
// [v, v + 16) of block w (levels as int8x16), in the order that shares the
// loads of the packed bits. Its loops are fully unrolled, so where f is
// inlined v is a constant and arrays indexed by it stay in registers. The
// GEMV/GEMM loops (QuantSumsNeon) and the i8mm kernel's block widening
// (quant_gemm_neon_i8mm.cc) both read the levels through it. T::kSub is the
// values per sub-block (32, or 16 for Q6_K), T::ScalesMins the sub-block
// scales (and minimums) as int16 lanes for the super-block types.

// --- Q4_0, Q5_0 (Q8_0 activations) -------------------------------------------

// Levels q - 8 of a Q4_0 block: values 0-15 are the low nibbles, 16-31 the
// high ones (quant_levels.h Q4Nibble).
inline void Q4_0LevelsNeon(const quant::BlockQ4_0& b, int8x16_t* lo,
                           int8x16_t* hi) {
  const uint8x16_t q = vld1q_u8(b.qs);
  const int8x16_t eight = vdupq_n_s8(8);
  *lo = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(q, vdupq_n_u8(0x0f))), eight);
  *hi = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(q, 4)), eight);
}

// Levels q - 16 of a Q5_0 block: value j is nibble j (as Q4_0) with bit j
// of qh (a little-endian uint32, so bit j % 8 of byte j / 8) as its fifth
// bit. Each lane fetches its qh byte by a table lookup and tests its own
// bit; the level is the nibble where the bit is set and nibble - 16 where
// it is clear.
inline void Q5_0LevelsNeon(const quant::BlockQ5_0& b, int8x16_t* lo,
                           int8x16_t* hi) {
  static constexpr uint8_t kByteOf[32] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1,
                                          1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2,
                                          2, 2, 3, 3, 3, 3, 3, 3, 3, 3};
  static constexpr uint8_t kBit[16] = {1, 2, 4, 8, 16, 32, 64, 128,
                                       1, 2, 4, 8, 16, 32, 64, 128};
  uint32_t qh;
  std::memcpy(&qh, b.qh, sizeof(qh));
  const uint8x16_t h = vreinterpretq_u8_u32(vdupq_n_u32(qh));
  const uint8x16_t bit = vld1q_u8(kBit);
  const uint8x16_t set_lo = vtstq_u8(vqtbl1q_u8(h, vld1q_u8(kByteOf)), bit);
  const uint8x16_t set_hi =
      vtstq_u8(vqtbl1q_u8(h, vld1q_u8(kByteOf + 16)), bit);
  const uint8x16_t sixteen = vdupq_n_u8(0x10);
  const uint8x16_t q = vld1q_u8(b.qs);
  *lo = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(q, vdupq_n_u8(0x0f))),
                 vreinterpretq_s8_u8(vbicq_u8(sixteen, set_lo)));
  *hi = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(q, 4)),
                 vreinterpretq_s8_u8(vbicq_u8(sixteen, set_hi)));
}

// The 32-value types: one sub-block, no integer scale.
template <typename B, void (*kLevels)(const B&, int8x16_t*, int8x16_t*)>
struct Q8_0PartnerNeon {
  using Block = B;
  using XBlock = quant::BlockQ8_0;
  static constexpr bool kHasMin = false;
  static constexpr int kValues = 32, kSub = 32;
  static uint16_t D(const Block& b) { return b.d; }
  static uint16_t Dmin(const Block&) { return 0; }
  static float XScale(const XBlock& x) { return QuantHalfToFloatNeon(x.d); }
  template <typename F>
  static void Widen(const Block& w, F&& f) {
    int8x16_t lo, hi;
    kLevels(w, &lo, &hi);
    f(0, lo);
    f(16, hi);
  }
};

using Q4_0Neon = Q8_0PartnerNeon<quant::BlockQ4_0, &Q4_0LevelsNeon>;
using Q5_0Neon = Q8_0PartnerNeon<quant::BlockQ5_0, &Q5_0LevelsNeon>;

// --- Q4_K / Q5_K (Q8_K activations) ------------------------------------------

// The 8 6-bit scales and 8 6-bit minimums of a Q4_K/Q5_K block
// (quant::K4ScaleMin) as int16 lanes, from the 12 bytes as 3 words: scales
// 0-3 and minimums 0-3 are the low 6 bits of bytes 0-3 and 4-7; scales 4-7
// are the low nibbles of bytes 8-11 with the top 2 bits of bytes 0-3 above
// them, minimums 4-7 the high nibbles with the top bits of bytes 4-7.
inline void K4ScalesMinsNeon(const uint8_t* scales, int16x8_t* sc,
                             int16x8_t* mn) {
  uint32_t u[3];
  std::memcpy(u, scales, sizeof(u));
  constexpr uint32_t kLow6 = 0x3f3f3f3f, kLow4 = 0x0f0f0f0f, kLow2 = 0x03030303;
  const uint32_t s_hi = (u[2] & kLow4) | ((u[0] >> 6) & kLow2) << 4;
  const uint32_t m_hi = ((u[2] >> 4) & kLow4) | ((u[1] >> 6) & kLow2) << 4;
  const uint64_t s = uint64_t{u[0] & kLow6} | uint64_t{s_hi} << 32;
  const uint64_t m = uint64_t{u[1] & kLow6} | uint64_t{m_hi} << 32;
  *sc = vreinterpretq_s16_u16(vmovl_u8(vcreate_u8(s)));
  *mn = vreinterpretq_s16_u16(vmovl_u8(vcreate_u8(m)));
}

// Q4_K's and Q5_K's levels: bytes 32c..32c+31 of qs hold values
// 64c..64c+31 in their low nibbles (sub-block 2c) and 64c+32..64c+63 in
// their high ones (sub-block 2c+1); for Q5_K value 32j + l has its fifth bit
// in bit j of qh[l].
template <bool kFifthBit, typename F>
inline void WidenK4Neon(const uint8_t* qs, const uint8_t* qh, F&& f) {
  const uint8x16_t m4 = vdupq_n_u8(0x0f);
  const uint8x16_t bit4 = vdupq_n_u8(0x10);
  uint8x16_t ha = m4, hb = m4;
  if constexpr (kFifthBit) {
    ha = vld1q_u8(qh);
    hb = vld1q_u8(qh + 16);
  }
#pragma GCC unroll 4
  for (int c = 0; c < 4; ++c) {
    const uint8x16_t a = vld1q_u8(qs + 32 * c);
    const uint8x16_t b = vld1q_u8(qs + 32 * c + 16);
#pragma GCC unroll 2
    for (int h = 0; h < 2; ++h) {
      const int j = 2 * c + h;
      uint8x16_t na = h == 0 ? vandq_u8(a, m4) : vshrq_n_u8(a, 4);
      uint8x16_t nb = h == 0 ? vandq_u8(b, m4) : vshrq_n_u8(b, 4);
      if constexpr (kFifthBit) {
        // (qh >> j & 1) << 4, by one shift (right for j > 4) and a mask.
        const int8x16_t shift = vdupq_n_s8(static_cast<int8_t>(4 - j));
        na = vorrq_u8(na, vandq_u8(vshlq_u8(ha, shift), bit4));
        nb = vorrq_u8(nb, vandq_u8(vshlq_u8(hb, shift), bit4));
      }
      f(32 * j, vreinterpretq_s8_u8(na));
      f(32 * j + 16, vreinterpretq_s8_u8(nb));
    }
  }
}

template <typename B, bool kFifthBit>
struct K4Neon {
  using Block = B;
  using XBlock = quant::BlockQ8_K;
  static constexpr bool kHasMin = true;
  static constexpr int kValues = quant::kQK_K, kSub = 32;
  static uint16_t D(const Block& b) { return b.d; }
  static uint16_t Dmin(const Block& b) { return b.dmin; }
  static float XScale(const XBlock& x) { return x.d; }
  template <typename F>
  static void Widen(const Block& w, F&& f) {
    const uint8_t* qh = nullptr;
    if constexpr (kFifthBit) qh = w.qh;
    WidenK4Neon<kFifthBit>(w.qs, qh, f);
  }
  static void ScalesMins(const Block& w, int16x8_t* sc, int16x8_t* mn) {
    K4ScalesMinsNeon(w.scales, &sc[0], mn);
  }
};

using Q4_KNeon = K4Neon<quant::BlockQ4_K, false>;
using Q5_KNeon = K4Neon<quant::BlockQ5_K, true>;

// --- Q6_K (Q8_K activations) -------------------------------------------------

struct Q6_KNeon {
  using Block = quant::BlockQ6_K;
  using XBlock = quant::BlockQ8_K;
  static constexpr bool kHasMin = false;
  static constexpr int kValues = quant::kQK_K, kSub = 16;
  static uint16_t D(const Block& b) { return b.d; }
  static uint16_t Dmin(const Block&) { return 0; }
  static float XScale(const XBlock& x) { return x.d; }
  // Half n holds values 128n..128n+127: group g of 32 (sub-blocks 8n+2g,
  // 8n+2g+1) has its low 4 bits in nibble g / 2 of ql[64n + 32(g % 2) + l]
  // and its high 2 bits in bits 2g of qh[32n + l] (quant_levels.h), less 32.
  template <typename F>
  static void Widen(const Block& w, F&& f) {
    const uint8x16_t m4 = vdupq_n_u8(0x0f);
    const uint8x16_t m3 = vdupq_n_u8(0x03);
    const int8x16_t m32 = vdupq_n_s8(32);
#pragma GCC unroll 2
    for (int n = 0; n < 2; ++n) {
#pragma GCC unroll 2
      for (int half = 0; half < 2; ++half) {  // l in [16 half, 16 half + 16)
        const uint8x16_t l0 = vld1q_u8(w.ql + 64 * n + 16 * half);
        const uint8x16_t l1 = vld1q_u8(w.ql + 64 * n + 32 + 16 * half);
        const uint8x16_t h = vld1q_u8(w.qh + 32 * n + 16 * half);
        const uint8x16_t q[4] = {
            vorrq_u8(vandq_u8(l0, m4), vshlq_n_u8(vandq_u8(h, m3), 4)),
            vorrq_u8(vandq_u8(l1, m4),
                     vshlq_n_u8(vandq_u8(vshrq_n_u8(h, 2), m3), 4)),
            vorrq_u8(vshrq_n_u8(l0, 4),
                     vshlq_n_u8(vandq_u8(vshrq_n_u8(h, 4), m3), 4)),
            vorrq_u8(vshrq_n_u8(l1, 4), vshlq_n_u8(vshrq_n_u8(h, 6), 4))};
#pragma GCC unroll 4
        for (int g = 0; g < 4; ++g) {
          f(128 * n + 32 * g + 16 * half,
            vsubq_s8(vreinterpretq_s8_u8(q[g]), m32));
        }
      }
    }
  }
  // The 16 int8 scales; no minimums.
  static void ScalesMins(const Block& w, int16x8_t* sc, int16x8_t* mn) {
    const int8x16_t s = vld1q_s8(w.scales);
    sc[0] = vmovl_s8(vget_low_s8(s));
    sc[1] = vmovl_high_s8(s);
    *mn = vdupq_n_s16(0);
  }
};

// --- A block's exact sums ----------------------------------------------------

// isum partials from the 8 sub-block sums (lane sums) s[j] and the scales.
inline int32x4_t ScaledSums8(const int32x4_t* s, int16x8_t sc) {
  const int32x4_t lo = LaneSums4(s[0], s[1], s[2], s[3]);
  const int32x4_t hi = LaneSums4(s[4], s[5], s[6], s[7]);
  return vmlaq_s32(vmulq_s32(lo, vmovl_s16(vget_low_s16(sc))), hi,
                   vmovl_high_s16(sc));
}

// msum partials: minimum j times the activation sum of sub-block j (bsums
// 2j and 2j+1; each pair fits int16: |sum| <= 32 * 128).
inline int32x4_t MinSums8(const quant::BlockQ8_K& x, int16x8_t mn) {
  const int16x8_t pairs =
      vpaddq_s16(vld1q_s16(x.bsums), vld1q_s16(x.bsums + 8));
  return vmlal_high_s16(vmull_s16(vget_low_s16(pairs), vget_low_s16(mn)), pairs,
                        mn);
}

// Block w times activation block x: per sub-block the Dot policy's partials
// of level * activation (every 16 values one Mla into the sub-block's
// accumulator), then the integer scales and the minimums.
template <typename T, typename Dot>
inline QuantPartials QuantSumsNeon(const typename T::Block& w,
                                   const typename T::XBlock& x) {
  constexpr int kSubs = T::kValues / T::kSub;
  int32x4_t s[kSubs];
#pragma GCC unroll 16
  for (int j = 0; j < kSubs; ++j) s[j] = vdupq_n_s32(0);
  T::Widen(w, [&](int v, int8x16_t lv) {
    s[v / T::kSub] = Dot::Mla(s[v / T::kSub], lv, vld1q_s8(x.qs + v));
  });
  if constexpr (kSubs == 1) {
    return {s[0], vdupq_n_s32(0)};
  } else {
    int16x8_t sc[kSubs / 8], mn;
    T::ScalesMins(w, sc, &mn);
    int32x4_t isum = ScaledSums8(s, sc[0]);
    if constexpr (kSubs == 16)
      isum = vaddq_s32(isum, ScaledSums8(s + 8, sc[1]));
    return {isum, T::kHasMin ? MinSums8(x, mn) : vdupq_n_s32(0)};
  }
}

// --- The loops ---------------------------------------------------------------

template <typename T>
inline const typename T::Block* QuantWeightRow(const QuantGemmArgs& a,
                                               size_t o) {
  return reinterpret_cast<const typename T::Block*>(
      static_cast<const uint8_t*>(a.w) + o * a.w_row_bytes);
}

template <typename T>
inline const typename T::XBlock* QuantActivationRow(const QuantGemmArgs& a,
                                                    size_t b) {
  return reinterpret_cast<const typename T::XBlock*>(
      static_cast<const uint8_t*>(a.x) + b * a.x_row_bytes);
}

// Rows o..o+3, every batch row. Lane r of acc (and macc) is row o+r's own
// fma chain over blocks in order, as the contract has it.
template <typename T, typename Dot>
inline void QuantRowTileNeon(const QuantGemmArgs& a, size_t o) {
  const typename T::Block* w[kQuantNeonRowTile];
  for (int r = 0; r < kQuantNeonRowTile; ++r)
    w[r] = QuantWeightRow<T>(a, o + r);
  for (size_t b = 0; b < a.batch; ++b) {
    const typename T::XBlock* x = QuantActivationRow<T>(a, b);
    float32x4_t acc = vdupq_n_f32(0.0f), macc = vdupq_n_f32(0.0f);
    for (size_t k = 0; k < a.n_blocks; ++k) {
      const QuantPartials p0 = QuantSumsNeon<T, Dot>(w[0][k], x[k]);
      const QuantPartials p1 = QuantSumsNeon<T, Dot>(w[1][k], x[k]);
      const QuantPartials p2 = QuantSumsNeon<T, Dot>(w[2][k], x[k]);
      const QuantPartials p3 = QuantSumsNeon<T, Dot>(w[3][k], x[k]);
      const float xs = T::XScale(x[k]);
      // d_w * d_x, one f32 rounding per lane.
      const float32x4_t d =
          vmulq_n_f32(QuantHalf4ToFloatNeon(T::D(w[0][k]), T::D(w[1][k]),
                                            T::D(w[2][k]), T::D(w[3][k])),
                      xs);
      acc = vfmaq_f32(
          acc, vcvtq_f32_s32(LaneSums4(p0.isum, p1.isum, p2.isum, p3.isum)), d);
      if constexpr (T::kHasMin) {
        const float32x4_t dm = vmulq_n_f32(
            QuantHalf4ToFloatNeon(T::Dmin(w[0][k]), T::Dmin(w[1][k]),
                                  T::Dmin(w[2][k]), T::Dmin(w[3][k])),
            xs);
        macc = vfmaq_f32(
            macc, vcvtq_f32_s32(LaneSums4(p0.msum, p1.msum, p2.msum, p3.msum)),
            dm);
      }
    }
    float32x4_t v = T::kHasMin ? vsubq_f32(acc, macc) : acc;
    if (a.bias != nullptr) v = vaddq_f32(v, vld1q_f32(a.bias + o));
    vst1q_f32(a.y + b * a.y_stride + o, v);
  }
}

// One row (the tail after the 4-row tiles), every batch row.
template <typename T, typename Dot>
inline void QuantRowNeon(const QuantGemmArgs& a, size_t o) {
  const typename T::Block* w = QuantWeightRow<T>(a, o);
  for (size_t b = 0; b < a.batch; ++b) {
    const typename T::XBlock* x = QuantActivationRow<T>(a, b);
    float acc = 0.0f, macc = 0.0f;
    for (size_t k = 0; k < a.n_blocks; ++k) {
      const QuantPartials p = QuantSumsNeon<T, Dot>(w[k], x[k]);
      const float xs = T::XScale(x[k]);
      const float d = QuantHalfToFloatNeon(T::D(w[k])) * xs;
      acc = std::fma(static_cast<float>(vaddvq_s32(p.isum)), d, acc);
      if constexpr (T::kHasMin) {
        const float dm = QuantHalfToFloatNeon(T::Dmin(w[k])) * xs;
        macc = std::fma(static_cast<float>(vaddvq_s32(p.msum)), dm, macc);
      }
    }
    float v = T::kHasMin ? acc - macc : acc;
    if (a.bias != nullptr) v += a.bias[o];
    a.y[b * a.y_stride + o] = v;
  }
}

template <typename T, typename Dot>
void QuantGemmNeonLoop(const QuantGemmArgs& a, size_t o_begin, size_t o_end) {
  size_t o = o_begin;
  for (; o + kQuantNeonRowTile <= o_end; o += kQuantNeonRowTile) {
    QuantRowTileNeon<T, Dot>(a, o);
  }
  for (; o < o_end; ++o) QuantRowNeon<T, Dot>(a, o);
}

}  // namespace
}  // namespace edgellm::ops::kernels

#endif  // EDGELLM_OPS_KERNELS_QUANT_GEMM_NEON_INL_H_
