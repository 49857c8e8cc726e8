// The AArch64 Q8_0 GEMM loop, shared by the NEON and NEON-dotprod kernels,
// which differ only in how they form the int32 lanes of a block (LaneDot).
// To stay bit-identical with the x86 contract (q8_0_gemm.h) each row keeps
// two float32x4 accumulators = the 8 lanes of an AVX2 register, fuses the
// scale multiply-add (vfmaq_f32 = _mm256_fmadd_ps) and sums the lanes in the
// x86 order. Include only from the kernels' .cc files (internal linkage).
#ifndef EDGELLM_OPS_KERNELS_Q8_0_GEMM_NEON_INL_H_
#define EDGELLM_OPS_KERNELS_Q8_0_GEMM_NEON_INL_H_

#include <arm_neon.h>

#include "ops/kernels/q8_0_gemm.h"

namespace edgellm::ops::kernels {
namespace {

constexpr int kNeonRowTile = 4;
constexpr int kNeonHalfBlock = quant::kQ8_0BlockSize / 2;

inline float HalfToFloatNeon(uint16_t h) {
  return vgetq_lane_f32(vcvt_f32_f16(vreinterpret_f16_u16(vdup_n_u16(h))), 0);
}

// lo = lanes 0..3, hi = lanes 4..7.
inline float HsumLanesNeon(float32x4_t lo, float32x4_t hi) {
  const float32x4_t r = vaddq_f32(hi, lo);
  const float t0 = vgetq_lane_f32(r, 0) + vgetq_lane_f32(r, 2);
  const float t1 = vgetq_lane_f32(r, 1) + vgetq_lane_f32(r, 3);
  return t0 + t1;
}

template <int kRows, typename LaneDot>
inline void RowsNeon(const Q8_0GemmArgs& a, size_t o) {
  const quant::BlockQ8_0* w[kRows];
  for (int r = 0; r < kRows; ++r) w[r] = a.w + (o + r) * a.n_blocks;
  for (size_t b = 0; b < a.batch; ++b) {
    const quant::BlockQ8_0* x = a.x + b * a.n_blocks;
    float32x4_t lo[kRows], hi[kRows];
    for (int r = 0; r < kRows; ++r) lo[r] = hi[r] = vdupq_n_f32(0.0f);
    for (size_t k = 0; k < a.n_blocks; ++k) {
      const int8x16_t x0 = vld1q_s8(x[k].qs);
      const int8x16_t x1 = vld1q_s8(x[k].qs + kNeonHalfBlock);
      const float dx = HalfToFloatNeon(x[k].d);
      for (int r = 0; r < kRows; ++r) {
        const int8x16_t w0 = vld1q_s8(w[r][k].qs);
        const int8x16_t w1 = vld1q_s8(w[r][k].qs + kNeonHalfBlock);
        const float32x4_t d = vdupq_n_f32(HalfToFloatNeon(w[r][k].d) * dx);
        lo[r] = vfmaq_f32(lo[r], vcvtq_f32_s32(LaneDot()(w0, x0)), d);
        hi[r] = vfmaq_f32(hi[r], vcvtq_f32_s32(LaneDot()(w1, x1)), d);
      }
    }
    float* y = a.y + b * a.y_stride + o;
    for (int r = 0; r < kRows; ++r) {
      float v = HsumLanesNeon(lo[r], hi[r]);
      if (a.bias != nullptr) v += a.bias[o + r];
      y[r] = v;
    }
  }
}

template <typename LaneDot>
void Q8_0GemmNeonLoop(const Q8_0GemmArgs& a, size_t o_begin, size_t o_end) {
  size_t o = o_begin;
  for (; o + kNeonRowTile <= o_end; o += kNeonRowTile) {
    RowsNeon<kNeonRowTile, LaneDot>(a, o);
  }
  for (; o < o_end; ++o) RowsNeon<1, LaneDot>(a, o);
}

}  // namespace
}  // namespace edgellm::ops::kernels

#endif  // EDGELLM_OPS_KERNELS_Q8_0_GEMM_NEON_INL_H_
