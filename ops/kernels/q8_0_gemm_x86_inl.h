// The AVX2 Q8_0 GEMM loop (Q8_0GemmX86, parameterized by how a block's 8
// int32 partial sums are formed: LaneDot) and small x86 helpers also used by
// the AVX-512 VNNI kernel. Follows the contract of q8_0_gemm.h: per block the
// exact int32 sum s, then acc = fma(float(s), d, acc) in block order.
// Include only from a .cc compiled with -mavx2 -mfma -mf16c (or more); the
// contents have internal linkage so each ISA gets its own copy.
#ifndef EDGELLM_OPS_KERNELS_Q8_0_GEMM_X86_INL_H_
#define EDGELLM_OPS_KERNELS_Q8_0_GEMM_X86_INL_H_

#include <immintrin.h>

#include <cmath>
#include <cstdint>

#include "ops/kernels/q8_0_gemm.h"

namespace edgellm::ops::kernels {
namespace {

// Rows computed together: they share each activation block load, their 4
// block sums fill one __m128i (lane = row) so the scale and the fma are one
// 128-bit operation each, and 4 weight rows of the largest models (11008
// values) still fit in L1 when a prompt batch re-reads them.
constexpr int kX86RowTile = 4;

inline float HalfToFloat(uint16_t h) { return _cvtsh_ss(h); }

// The exact int32 sum of 8 int32 lanes (integer addition: any order).
inline int32_t HsumEpi32X86(__m256i v) {
  __m128i r =
      _mm_add_epi32(_mm256_extracti128_si256(v, 1), _mm256_castsi256_si128(v));
  r = _mm_add_epi32(r, _mm_unpackhi_epi64(r, r));
  r = _mm_add_epi32(r, _mm_shuffle_epi32(r, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(r);
}

// The block sums of 4 rows, lane r = sum of the 8 lanes of l[r]:
// hadd_epi32 works within each 128-bit half, so after two levels each half
// holds 4 row partials (lane = row) and the halves are added.
inline __m128i BlockSums4X86(__m256i l0, __m256i l1, __m256i l2, __m256i l3) {
  const __m256i h =
      _mm256_hadd_epi32(_mm256_hadd_epi32(l0, l1), _mm256_hadd_epi32(l2, l3));
  return _mm_add_epi32(_mm256_castsi256_si128(h),
                       _mm256_extracti128_si256(h, 1));
}

// Rows o..o+3, every batch row. Lane r of acc holds row o+r, so each lane is
// that row's own fma chain over blocks in order, as the contract has it.
template <typename LaneDot>
inline void RowTileX86(const Q8_0GemmArgs& a, size_t o) {
  const quant::BlockQ8_0* w0 = a.w + o * a.n_blocks;
  const quant::BlockQ8_0* w1 = w0 + a.n_blocks;
  const quant::BlockQ8_0* w2 = w1 + a.n_blocks;
  const quant::BlockQ8_0* w3 = w2 + a.n_blocks;
  const auto load = [](const quant::BlockQ8_0& blk) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.qs));
  };
  for (size_t b = 0; b < a.batch; ++b) {
    const quant::BlockQ8_0* x = a.x + b * a.n_blocks;
    __m128 acc = _mm_setzero_ps();
    for (size_t k = 0; k < a.n_blocks; ++k) {
      const __m256i xv = load(x[k]);
      const __m128i s =
          BlockSums4X86(LaneDot()(load(w0[k]), xv), LaneDot()(load(w1[k]), xv),
                        LaneDot()(load(w2[k]), xv), LaneDot()(load(w3[k]), xv));
      // fp32(w.d) * fp32(x.d), one f32 rounding per lane.
      const __m128 dw = _mm_cvtph_ps(_mm_setr_epi16(
          static_cast<int16_t>(w0[k].d), static_cast<int16_t>(w1[k].d),
          static_cast<int16_t>(w2[k].d), static_cast<int16_t>(w3[k].d), 0, 0, 0,
          0));
      const __m128 d = _mm_mul_ps(dw, _mm_set1_ps(HalfToFloat(x[k].d)));
      acc = _mm_fmadd_ps(_mm_cvtepi32_ps(s), d, acc);
    }
    if (a.bias != nullptr) acc = _mm_add_ps(acc, _mm_loadu_ps(a.bias + o));
    _mm_storeu_ps(a.y + b * a.y_stride + o, acc);
  }
}

// One row (the tail after the 4-row tiles), every batch row.
template <typename LaneDot>
inline void RowX86(const Q8_0GemmArgs& a, size_t o) {
  const quant::BlockQ8_0* w = a.w + o * a.n_blocks;
  for (size_t b = 0; b < a.batch; ++b) {
    const quant::BlockQ8_0* x = a.x + b * a.n_blocks;
    float acc = 0.0f;
    for (size_t k = 0; k < a.n_blocks; ++k) {
      const __m256i l = LaneDot()(
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[k].qs)),
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[k].qs)));
      const float d = HalfToFloat(w[k].d) * HalfToFloat(x[k].d);
      acc = std::fma(static_cast<float>(HsumEpi32X86(l)), d, acc);
    }
    if (a.bias != nullptr) acc += a.bias[o];
    a.y[b * a.y_stride + o] = acc;
  }
}

template <typename LaneDot>
void Q8_0GemmX86(const Q8_0GemmArgs& a, size_t o_begin, size_t o_end) {
  size_t o = o_begin;
  for (; o + kX86RowTile <= o_end; o += kX86RowTile) {
    RowTileX86<LaneDot>(a, o);
  }
  for (; o < o_end; ++o) RowX86<LaneDot>(a, o);
}

}  // namespace
}  // namespace edgellm::ops::kernels

#endif  // EDGELLM_OPS_KERNELS_Q8_0_GEMM_X86_INL_H_
