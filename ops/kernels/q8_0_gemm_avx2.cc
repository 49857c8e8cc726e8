// Q8_0 GEMM for AVX2 + FMA + F16C. A block's products as in llama.cpp's AVX2
// mul_sum_i8_pairs_float: |w| (unsigned) times x with w's sign, pairs summed
// to int16 by maddubs (no saturation: |w| <= 128, |x| <= 127 so a pair is at
// most 32512), then pairs of int16 to 8 int32 partial sums by madd, which
// q8_0_gemm_x86_inl.h adds up to the block's exact int32 sum.
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "ops/kernels/q8_0_gemm.h"
#include "ops/kernels/q8_0_gemm_x86_inl.h"

namespace edgellm::ops::kernels {
namespace {

struct LaneDotAvx2 {
  __m256i operator()(__m256i w, __m256i x) const {
    const __m256i aw = _mm256_sign_epi8(w, w);
    const __m256i sx = _mm256_sign_epi8(x, w);
    const __m256i pairs = _mm256_maddubs_epi16(aw, sx);
    return _mm256_madd_epi16(pairs, _mm256_set1_epi16(1));
  }
};

}  // namespace

void QuantizeRowQ8_0ActivationsAvx2(const float* x, quant::BlockQ8_0* y,
                                    size_t k) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  for (size_t b = 0; b < k / quant::kQ8_0BlockSize; ++b) {
    const float* xb = x + b * quant::kQ8_0BlockSize;
    __m256 v[4];
    __m256 amax = _mm256_setzero_ps();
    for (int i = 0; i < 4; ++i) {
      v[i] = _mm256_loadu_ps(xb + 8 * i);
      // max_ps returns its second operand when either is NaN, so with the
      // running max second a NaN input is skipped, as std::fmax does in the
      // scalar version. Max is exact, so the order of the tree is free.
      amax = _mm256_max_ps(_mm256_andnot_ps(sign, v[i]), amax);
    }
    __m128 m = _mm_max_ps(_mm256_extractf128_ps(amax, 1),
                          _mm256_castps256_ps128(amax));
    m = _mm_max_ps(_mm_movehl_ps(m, m), m);
    m = _mm_max_ss(_mm_movehdup_ps(m), m);
    const float amax_s = _mm_cvtss_f32(m);
    const float d = amax_s / 127.0f;
    const float id = amax_s != 0.0f ? 127.0f / amax_s : 0.0f;
    y[b].d = static_cast<uint16_t>(_cvtss_sh(d, _MM_FROUND_TO_NEAREST_INT));
    const __m256 idv = _mm256_set1_ps(id);
    __m256i q[4];
    for (int i = 0; i < 4; ++i) {
      // NaN (and Inf * 0) convert to INT32_MIN, which the saturating packs
      // turn into -128: the scalar version's rule.
      q[i] = _mm256_cvtps_epi32(
          _mm256_round_ps(_mm256_mul_ps(v[i], idv),
                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    }
    // packs work within 128-bit lanes; the permute restores element order.
    const __m256i q01 = _mm256_packs_epi32(q[0], q[1]);
    const __m256i q23 = _mm256_packs_epi32(q[2], q[3]);
    const __m256i q8 =
        _mm256_permutevar8x32_epi32(_mm256_packs_epi16(q01, q23),
                                    _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(y[b].qs), q8);
  }
}

void Q8_0GemmAvx2(const Q8_0GemmArgs& args, size_t o_begin, size_t o_end) {
  if (args.batch >= kQ8_0Avx2PromptMinBatch) {
    return Q8_0GemmAvx2Prompt(args, o_begin, o_end);
  }
  Q8_0GemmX86<LaneDotAvx2>(args, o_begin, o_end);
}

}  // namespace edgellm::ops::kernels
