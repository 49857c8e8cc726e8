// Q8_0 GEMM for AVX2 + FMA + F16C. Lanes as llama.cpp's AVX2
// mul_sum_i8_pairs_float: |w| (unsigned) times x with w's sign, pairs summed
// to int16 by maddubs (no saturation: |w| <= 128, |x| <= 127 so a pair is at
// most 32512), then pairs of int16 to int32 by madd.
#include <immintrin.h>

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

void Q8_0GemmAvx2(const Q8_0GemmArgs& args, size_t o_begin, size_t o_end) {
  Q8_0GemmX86<LaneDotAvx2>(args, o_begin, o_end);
}

}  // namespace edgellm::ops::kernels
