// The AArch64 dotprod GEMM loops over the 16-row packed records of
// quant_pack16.h (Q4_0 and Q4_K, the layouts the x86 kernels read), for the
// dotprod and i8mm kernels (internal linkage: include only from their .cc
// files, built with dotprod enabled).
//
// A record's nibble plane q[v] holds, for each of the 16 rows, 4 bytes: row
// r's levels 8v..8v+3 (low nibbles) and 8v+4..8v+7 (high nibbles) in 32-bit
// lane r. So one 16-byte load gives a quad of 4 rows, one row per lane, and
// SDOT by element (vdotq_laneq_s32) with the 4 activation bytes of those
// values adds each row's 4 products into its own lane: no reduction across
// lanes, the fp16 scales of a quad are one 8-byte load, and each activation
// load feeds 4 rows. The levels are the stored unsigned values; Q4_0's
// offset 8 comes in as -8 * (the activation block's sum), Q4_K's minimums
// through Q8_K's bsums, all exact int32, then the contract's float steps
// (quant_gemm.h) lane by lane, so the results are bit-identical to the
// reference.
//
// Rows past the last whole packed group (at most 15, kept plain by the pack
// functions) take the plain-row loops of quant_gemm_neon_inl.h.
#ifndef EDGELLM_OPS_KERNELS_QUANT_GEMM_NEON_PACK16_INL_H_
#define EDGELLM_OPS_KERNELS_QUANT_GEMM_NEON_PACK16_INL_H_

#include <arm_neon.h>

#include <cstdint>
#include <type_traits>
#include <utility>

#include "ops/kernels/quant_gemm.h"
#include "ops/kernels/quant_gemm_neon_inl.h"
#include "ops/kernels/quant_pack16.h"
#include "quant/q8_0.h"
#include "quant/q8_k.h"

namespace edgellm::ops::kernels {
namespace {

constexpr int kPackQuads = kPackRows / 4;

// f(std::integral_constant<int, i>) for i = 0..N-1: the lane operands of
// SDOT by element must be constants even without optimization.
template <int N, typename F>
inline void StaticForNeon(F&& f) {
  [&]<int... I>(std::integer_sequence<int, I...>) {
    (f(std::integral_constant<int, I>{}), ...);
  }
  (std::make_integer_sequence<int, N>{});
}

// Four fp16 values at h as f32 (exact).
inline float32x4_t Half4AtNeon(const uint16_t* h) {
  return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(h)));
}

// s += (levels of values 8V..8V+7 of a quad: lo = 8V..8V+3, hi = 8V+4..8V+7)
// times activations xv (values 16i..16i+15 in xv[i]).
template <int V>
inline int32x4_t DotGroupNeon(int32x4_t s, int8x16_t lo, int8x16_t hi,
                              const int8x16_t* xv) {
  s = vdotq_laneq_s32(s, lo, xv[V / 2], (2 * V) % 4);
  return vdotq_laneq_s32(s, hi, xv[V / 2], (2 * V + 1) % 4);
}

// Plane bytes of quad c split into its low and high nibbles.
inline void NibblesNeon(const uint8_t* plane, int c, int8x16_t* lo,
                        int8x16_t* hi) {
  const uint8x16_t p = vld1q_u8(plane + 16 * c);
  *lo = vreinterpretq_s8_u8(vandq_u8(p, vdupq_n_u8(0x0f)));
  *hi = vreinterpretq_s8_u8(vshrq_n_u8(p, 4));
}

// --- Q4_0 --------------------------------------------------------------------

struct PackedQ4_0Neon {
  using Record = PackedQ4_0;
  using Plain = Q4_0Neon;
  using XBlock = quant::BlockQ8_0;
  static constexpr bool kHasMin = false;
  // Quads per pass over a group's records for a batch of one, and tokens
  // per quad in a prompt batch (the fewest instructions under qemu).
  static constexpr int kDecodeQuads = 4, kTokenTile = 4;
  // One activation block as every quad reads it.
  struct XData {
    int8x16_t x[2];
    int32x4_t corr;  // -8 * sum x, in every lane
    float d;
  };
  static XData Prepare(const XBlock& b) {
    XData x;
    x.x[0] = vld1q_s8(b.qs);
    x.x[1] = vld1q_s8(b.qs + 16);
    x.corr = vdupq_n_s32(-8 * (vaddlvq_s8(x.x[0]) + vaddlvq_s8(x.x[1])));
    x.d = QuantHalfToFloatNeon(b.d);
    return x;
  }
  // isum[t] lane r: the exact sum of (q - 8) * x of row 4c + r and token t.
  template <int kT>
  static void Sums(const Record& p, int c, const XData* x, int32x4_t* isum,
                   int32x4_t* /*msum*/) {
    int8x16_t lo[4], hi[4];
    StaticForNeon<4>([&](auto v) { NibblesNeon(p.q[v], c, &lo[v], &hi[v]); });
    StaticForNeon<kT>([&](auto t) {
      int32x4_t s = x[t].corr;
      StaticForNeon<4>([&](auto v) {
        constexpr int kV = decltype(v)::value;
        s = DotGroupNeon<kV>(s, lo[kV], hi[kV], x[t].x);
      });
      isum[t] = s;
    });
  }
  static float32x4_t D(const Record& p, int c) {
    return Half4AtNeon(p.d + 4 * c);
  }
  static float32x4_t Dmin(const Record&, int) { return vdupq_n_f32(0.0f); }
};

// --- Q4_K --------------------------------------------------------------------

// tbl indices putting byte i of each 32-bit lane alone into that lane.
alignas(16) constexpr uint8_t kByteOfLaneNeon[4][16] = {
    {0, 255, 255, 255, 4, 255, 255, 255, 8, 255, 255, 255, 12, 255, 255, 255},
    {1, 255, 255, 255, 5, 255, 255, 255, 9, 255, 255, 255, 13, 255, 255, 255},
    {2, 255, 255, 255, 6, 255, 255, 255, 10, 255, 255, 255, 14, 255, 255, 255},
    {3, 255, 255, 255, 7, 255, 255, 255, 11, 255, 255, 255, 15, 255, 255, 255}};

struct PackedQ4_KNeon {
  using Record = PackedQ4_K;
  using Plain = Q4_KNeon;
  using XBlock = quant::BlockQ8_K;
  static constexpr bool kHasMin = true;
  static constexpr int kDecodeQuads = 1, kTokenTile = 2;
  struct XData {
    const int8_t* qs;
    int32x4_t bsum[2];  // the 8 sub-block sums (bsums 2j + 2j+1)
    float d;
  };
  static XData Prepare(const XBlock& b) {
    XData x;
    x.qs = b.qs;
    const int16x8_t pairs =
        vpaddq_s16(vld1q_s16(b.bsums), vld1q_s16(b.bsums + 8));
    x.bsum[0] = vmovl_s16(vget_low_s16(pairs));
    x.bsum[1] = vmovl_high_s16(pairs);
    x.d = b.d;
    return x;
  }
  // The 8 6-bit scales and minimums of quad c's rows (K4ScalesMinsNeon's bit
  // operations on each row's 3 words, one row per lane), as int32 lanes.
  static void ScalesMins(const Record& p, int c, int32x4_t* sc, int32x4_t* mn) {
    const uint32x4_t u0 = vreinterpretq_u32_u8(vld1q_u8(p.s[0] + 16 * c));
    const uint32x4_t u1 = vreinterpretq_u32_u8(vld1q_u8(p.s[1] + 16 * c));
    const uint32x4_t u2 = vreinterpretq_u32_u8(vld1q_u8(p.s[2] + 16 * c));
    const uint32x4_t low6 = vdupq_n_u32(0x3f3f3f3f),
                     low4 = vdupq_n_u32(0x0f0f0f0f),
                     low2 = vdupq_n_u32(0x03030303);
    const uint8x16_t bytes[4] = {
        vreinterpretq_u8_u32(vandq_u32(u0, low6)),
        vreinterpretq_u8_u32(
            vorrq_u32(vandq_u32(u2, low4),
                      vshlq_n_u32(vandq_u32(vshrq_n_u32(u0, 6), low2), 4))),
        vreinterpretq_u8_u32(vandq_u32(u1, low6)),
        vreinterpretq_u8_u32(
            vorrq_u32(vandq_u32(vshrq_n_u32(u2, 4), low4),
                      vshlq_n_u32(vandq_u32(vshrq_n_u32(u1, 6), low2), 4)))};
    StaticForNeon<8>([&](auto j) {
      constexpr int kJ = decltype(j)::value;
      const uint8x16_t idx = vld1q_u8(kByteOfLaneNeon[kJ % 4]);
      sc[kJ] = vreinterpretq_s32_u8(vqtbl1q_u8(bytes[kJ / 4], idx));
      mn[kJ] = vreinterpretq_s32_u8(vqtbl1q_u8(bytes[2 + kJ / 4], idx));
    });
  }
  template <int kT>
  static void Sums(const Record& p, int c, const XData* x, int32x4_t* isum,
                   int32x4_t* msum) {
    int32x4_t sc[8], mn[8];
    ScalesMins(p, c, sc, mn);
    StaticForNeon<kT>([&](auto t) {
      isum[t] = vdupq_n_s32(0);
      msum[t] = vdupq_n_s32(0);
    });
    StaticForNeon<8>([&](auto j) {  // sub-block j: values 32j..32j+31
      constexpr int kJ = decltype(j)::value;
      int8x16_t lo[4], hi[4];
      StaticForNeon<4>(
          [&](auto i) { NibblesNeon(p.q[4 * kJ + i], c, &lo[i], &hi[i]); });
      StaticForNeon<kT>([&](auto t) {
        const int8x16_t xv[2] = {vld1q_s8(x[t].qs + 32 * kJ),
                                 vld1q_s8(x[t].qs + 32 * kJ + 16)};
        int32x4_t s = vdupq_n_s32(0);
        StaticForNeon<4>([&](auto i) {
          constexpr int kI = decltype(i)::value;
          s = DotGroupNeon<kI>(s, lo[kI], hi[kI], xv);
        });
        isum[t] = vmlaq_s32(isum[t], s, sc[kJ]);
        msum[t] = vmlaq_laneq_s32(msum[t], mn[kJ], x[t].bsum[kJ / 4], kJ % 4);
      });
    });
  }
  static float32x4_t D(const Record& p, int c) {
    return Half4AtNeon(p.d + 4 * c);
  }
  static float32x4_t Dmin(const Record& p, int c) {
    return Half4AtNeon(p.dmin + 4 * c);
  }
};

// --- The loops ---------------------------------------------------------------

// y for lanes [lo, hi) of quad c of a group whose row 0 is `base`.
inline void StoreQuadNeon(const QuantGemmArgs& a, size_t b, size_t base, int lo,
                          int hi, int c, float32x4_t v) {
  const int r0 = 4 * c;
  float* y = a.y + b * a.y_stride + base + r0;
  const float* bias = a.bias == nullptr ? nullptr : a.bias + base + r0;
  if (lo <= r0 && r0 + 4 <= hi) {
    if (bias != nullptr) v = vaddq_f32(v, vld1q_f32(bias));
    vst1q_f32(y, v);
    return;
  }
  float t[4];
  vst1q_f32(t, v);
  for (int i = 0; i < 4; ++i) {
    if (r0 + i < lo || r0 + i >= hi) continue;
    y[i] = bias != nullptr ? t[i] + bias[i] : t[i];
  }
}

// Quads [c0, c0 + kQuads) of one group, tokens t0..t0+kT-1. Lane r of
// acc[t][q] (and macc) is its row's own fma chain over blocks in order from
// +0, as the contract has it.
template <typename P, typename Dot, int kQuads, int kT>
__attribute__((flatten)) void PackedTileNeon(const QuantGemmArgs& a,
                                             const typename P::Record* recs,
                                             size_t base, int lo, int hi,
                                             int c0, size_t t0) {
  float32x4_t acc[kT][kQuads], macc[kT][kQuads];
  const typename P::XBlock* x[kT];
  for (int t = 0; t < kT; ++t) {
    x[t] = QuantActivationRow<typename P::Plain>(a, t0 + t);
    for (int q = 0; q < kQuads; ++q) {
      acc[t][q] = vdupq_n_f32(0.0f);
      macc[t][q] = vdupq_n_f32(0.0f);
    }
  }
  for (size_t k = 0; k < a.n_blocks; ++k) {
    const typename P::Record& p = recs[k];
    typename P::XData xd[kT];
    StaticForNeon<kT>([&](auto t) { xd[t] = P::Prepare(x[t][k]); });
#pragma GCC unroll 4
    for (int q = 0; q < kQuads; ++q) {
      const int c = c0 + q;
      int32x4_t isum[kT], msum[kT];
      P::template Sums<kT>(p, c, xd, isum, msum);
      const float32x4_t dw = P::D(p, c);
      StaticForNeon<kT>([&](auto t) {
        // d_w * d_x, one f32 rounding per lane.
        acc[t][q] = vfmaq_f32(acc[t][q], vcvtq_f32_s32(isum[t]),
                              vmulq_n_f32(dw, xd[t].d));
        if constexpr (P::kHasMin) {
          macc[t][q] = vfmaq_f32(macc[t][q], vcvtq_f32_s32(msum[t]),
                                 vmulq_n_f32(P::Dmin(p, c), xd[t].d));
        }
      });
    }
  }
  for (int t = 0; t < kT; ++t) {
    for (int q = 0; q < kQuads; ++q) {
      const float32x4_t v =
          P::kHasMin ? vsubq_f32(acc[t][q], macc[t][q]) : acc[t][q];
      StoreQuadNeon(a, t0 + t, base, lo, hi, c0 + q, v);
    }
  }
}

// Tokens t0..t0+n-1 (n <= kT) of quad c, by the tile of n tokens.
template <typename P, typename Dot, int kT>
void PackedQuadTokensNeon(const QuantGemmArgs& a,
                          const typename P::Record* recs, size_t base, int lo,
                          int hi, int c, size_t t0, size_t n) {
  if constexpr (kT > 1) {
    if (n < kT) {
      return PackedQuadTokensNeon<P, Dot, kT - 1>(a, recs, base, lo, hi, c, t0,
                                                  n);
    }
  }
  PackedTileNeon<P, Dot, 1, kT>(a, recs, base, lo, hi, c, t0);
}

// A batch of one reads each record once for all 4 quads; a prompt batch
// takes one quad at a time with up to P::kTokenTile tokens, so each quad's
// levels are widened once per token tile.
template <typename P, typename Dot>
void PackedGroupNeon(const QuantGemmArgs& a, const typename P::Record* recs,
                     size_t base, int lo, int hi) {
  if (a.batch == 1) {
    constexpr int kQ = P::kDecodeQuads;
    for (int c = lo / 4 / kQ * kQ; c < (hi + 3) / 4; c += kQ) {
      PackedTileNeon<P, Dot, kQ, 1>(a, recs, base, lo, hi, c, 0);
    }
    return;
  }
  for (int c = lo / 4; c < (hi + 3) / 4; ++c) {
    for (size_t t0 = 0; t0 < a.batch; t0 += P::kTokenTile) {
      const size_t n = a.batch - t0 < size_t{P::kTokenTile}
                           ? a.batch - t0
                           : size_t{P::kTokenTile};
      PackedQuadTokensNeon<P, Dot, P::kTokenTile>(a, recs, base, lo, hi, c, t0,
                                                  n);
    }
  }
}

// The packed groups among rows [o_begin, o_end) (rows below a.packed_rows,
// whole groups of 16); returns the first row after them, where the plain
// rows (if any) begin.
template <typename P, typename Dot>
size_t PackedGroupsNeon(const QuantGemmArgs& a, size_t o_begin, size_t o_end) {
  size_t o = o_begin;
  while (o < o_end && o < a.packed_rows) {
    const size_t g = o / kPackRows * kPackRows;
    const size_t hi = o_end < g + kPackRows ? o_end : g + kPackRows;
    const auto* recs = reinterpret_cast<const typename P::Record*>(
        static_cast<const uint8_t*>(a.w) + g * a.w_row_bytes);
    PackedGroupNeon<P, Dot>(a, recs, g, static_cast<int>(o - g),
                            static_cast<int>(hi - g));
    o = hi;
  }
  return o;
}

// The packed groups, then the plain rows through the plain-row loop.
template <typename P, typename Dot>
void PackedGemmNeon(const QuantGemmArgs& a, size_t o_begin, size_t o_end) {
  const size_t o = PackedGroupsNeon<P, Dot>(a, o_begin, o_end);
  if (o < o_end) QuantGemmNeonLoop<typename P::Plain, Dot>(a, o, o_end);
}

}  // namespace
}  // namespace edgellm::ops::kernels

#endif  // EDGELLM_OPS_KERNELS_QUANT_GEMM_NEON_PACK16_INL_H_
