// The AArch64 Q8_0 GEMM loop, shared by the NEON and NEON-dotprod kernels,
// which differ only in how they form a block's 4 int32 partial sums
// (BlockDot). It follows the contract of q8_0_gemm.h, so it is bit-identical
// to the reference and to the x86 kernels: per block the exact int32 sum s,
// d = fp32(w.d) * fp32(x.d), then acc = fma(float(s), d, acc) in block order
// (vfmaq_f32 and std::fma are that one fused operation).
// Include only from the kernels' .cc files (internal linkage).
#ifndef EDGELLM_OPS_KERNELS_Q8_0_GEMM_NEON_INL_H_
#define EDGELLM_OPS_KERNELS_Q8_0_GEMM_NEON_INL_H_

#include <arm_neon.h>

#include <cmath>
#include <cstdint>

#include "ops/kernels/q8_0_gemm.h"

namespace edgellm::ops::kernels {
namespace {

// Rows computed together: they share each activation block load, and their
// 4 block sums fill one int32x4 (lane = row), so the scale and the fma are
// one vector operation each.
constexpr int kNeonRowTile = 4;
constexpr int kNeonHalfBlock = quant::kQ8_0BlockSize / 2;

inline float HalfToFloatNeon(uint16_t h) {
  return vgetq_lane_f32(vcvt_f32_f16(vreinterpret_f16_u16(vdup_n_u16(h))), 0);
}

// Partial sums of row block w against activation block x (halves loaded).
template <typename BlockDot>
inline int32x4_t BlockPartials(const quant::BlockQ8_0& w, int8x16_t x0,
                               int8x16_t x1) {
  return BlockDot()(vld1q_s8(w.qs), vld1q_s8(w.qs + kNeonHalfBlock), x0, x1);
}

// Rows o..o+3, every batch row. Lane r of acc holds row o+r, so each lane is
// that row's own fma chain over blocks in order, as the contract has it.
template <typename BlockDot>
inline void RowTileNeon(const Q8_0GemmArgs& a, size_t o) {
  const quant::BlockQ8_0* w0 = a.w + o * a.n_blocks;
  const quant::BlockQ8_0* w1 = w0 + a.n_blocks;
  const quant::BlockQ8_0* w2 = w1 + a.n_blocks;
  const quant::BlockQ8_0* w3 = w2 + a.n_blocks;
  for (size_t b = 0; b < a.batch; ++b) {
    const quant::BlockQ8_0* x = a.x + b * a.n_blocks;
    float32x4_t acc = vdupq_n_f32(0.0f);
    for (size_t k = 0; k < a.n_blocks; ++k) {
      const int8x16_t x0 = vld1q_s8(x[k].qs);
      const int8x16_t x1 = vld1q_s8(x[k].qs + kNeonHalfBlock);
      // Two levels of pairwise adds: lane r = the sum of row r's 4 partials.
      const int32x4_t s =
          vpaddq_s32(vpaddq_s32(BlockPartials<BlockDot>(w0[k], x0, x1),
                                BlockPartials<BlockDot>(w1[k], x0, x1)),
                     vpaddq_s32(BlockPartials<BlockDot>(w2[k], x0, x1),
                                BlockPartials<BlockDot>(w3[k], x0, x1)));
      const uint16_t dh[kNeonRowTile] = {w0[k].d, w1[k].d, w2[k].d, w3[k].d};
      // fp32(w.d) * fp32(x.d), one f32 rounding per lane.
      const float32x4_t d =
          vmulq_n_f32(vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(dh))),
                      HalfToFloatNeon(x[k].d));
      acc = vfmaq_f32(acc, vcvtq_f32_s32(s), d);
    }
    if (a.bias != nullptr) acc = vaddq_f32(acc, vld1q_f32(a.bias + o));
    vst1q_f32(a.y + b * a.y_stride + o, acc);
  }
}

// One row (the tail after the 4-row tiles), every batch row.
template <typename BlockDot>
inline void RowNeon(const Q8_0GemmArgs& a, size_t o) {
  const quant::BlockQ8_0* w = a.w + o * a.n_blocks;
  for (size_t b = 0; b < a.batch; ++b) {
    const quant::BlockQ8_0* x = a.x + b * a.n_blocks;
    float acc = 0.0f;
    for (size_t k = 0; k < a.n_blocks; ++k) {
      const int32_t s = vaddvq_s32(BlockPartials<BlockDot>(
          w[k], vld1q_s8(x[k].qs), vld1q_s8(x[k].qs + kNeonHalfBlock)));
      const float d = HalfToFloatNeon(w[k].d) * HalfToFloatNeon(x[k].d);
      acc = std::fma(static_cast<float>(s), d, acc);
    }
    if (a.bias != nullptr) acc += a.bias[o];
    a.y[b * a.y_stride + o] = acc;
  }
}

template <typename BlockDot>
void Q8_0GemmNeonLoop(const Q8_0GemmArgs& a, size_t o_begin, size_t o_end) {
  size_t o = o_begin;
  for (; o + kNeonRowTile <= o_end; o += kNeonRowTile) {
    RowTileNeon<BlockDot>(a, o);
  }
  for (; o < o_end; ++o) RowNeon<BlockDot>(a, o);
}

}  // namespace
}  // namespace edgellm::ops::kernels

#endif  // EDGELLM_OPS_KERNELS_Q8_0_GEMM_NEON_INL_H_
