// The x86 Q8_0 GEMM loop, shared by the AVX2 and AVX-512 VNNI kernels, which
// differ only in how they form the 8 int32 lanes of a block (LaneDot).
// Include only from a .cc compiled with -mavx2 -mfma -mf16c (or more); the
// contents have internal linkage so each ISA gets its own copy.
#ifndef EDGELLM_OPS_KERNELS_Q8_0_GEMM_X86_INL_H_
#define EDGELLM_OPS_KERNELS_Q8_0_GEMM_X86_INL_H_

#include <immintrin.h>

#include "ops/kernels/q8_0_gemm.h"

namespace edgellm::ops::kernels {
namespace {

// Rows computed together: they share each activation block load, and 4
// weight rows of the largest models (11008 values) still fit in L1 when a
// prompt batch re-reads them.
constexpr int kX86RowTile = 4;

// hsum_float_8 of the contract: ((a0+a4)+(a2+a6)) + ((a1+a5)+(a3+a7)).
inline float HsumLanesX86(__m256 v) {
  __m128 r = _mm_add_ps(_mm256_extractf128_ps(v, 1), _mm256_castps256_ps128(v));
  r = _mm_add_ps(r, _mm_movehl_ps(r, r));
  r = _mm_add_ss(r, _mm_movehdup_ps(r));
  return _mm_cvtss_f32(r);
}

inline float HalfToFloat(uint16_t h) { return _cvtsh_ss(h); }

template <int kRows, typename LaneDot>
inline void RowsX86(const Q8_0GemmArgs& a, size_t o) {
  const quant::BlockQ8_0* w[kRows];
  for (int r = 0; r < kRows; ++r) w[r] = a.w + (o + r) * a.n_blocks;
  for (size_t b = 0; b < a.batch; ++b) {
    const quant::BlockQ8_0* x = a.x + b * a.n_blocks;
    __m256 acc[kRows];
    for (int r = 0; r < kRows; ++r) acc[r] = _mm256_setzero_ps();
    for (size_t k = 0; k < a.n_blocks; ++k) {
      const __m256i xv =
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[k].qs));
      const float dx = HalfToFloat(x[k].d);
      for (int r = 0; r < kRows; ++r) {
        const __m256i wv =
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[r][k].qs));
        const __m256 q = _mm256_cvtepi32_ps(LaneDot()(wv, xv));
        const __m256 d = _mm256_set1_ps(HalfToFloat(w[r][k].d) * dx);
        acc[r] = _mm256_fmadd_ps(d, q, acc[r]);
      }
    }
    float* y = a.y + b * a.y_stride + o;
    for (int r = 0; r < kRows; ++r) {
      float v = HsumLanesX86(acc[r]);
      if (a.bias != nullptr) v += a.bias[o + r];
      y[r] = v;
    }
  }
}

template <typename LaneDot>
void Q8_0GemmX86(const Q8_0GemmArgs& a, size_t o_begin, size_t o_end) {
  size_t o = o_begin;
  for (; o + kX86RowTile <= o_end; o += kX86RowTile) {
    RowsX86<kX86RowTile, LaneDot>(a, o);
  }
  for (; o < o_end; ++o) RowsX86<1, LaneDot>(a, o);
}

}  // namespace
}  // namespace edgellm::ops::kernels

#endif  // EDGELLM_OPS_KERNELS_Q8_0_GEMM_X86_INL_H_
