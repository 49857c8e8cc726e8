// Q8_0 GEMM for AVX-512 VNNI (256-bit vectors via AVX512VL). Lanes as
// llama.cpp's mul_sum_us8_pairs_float with __AVX512VNNI__: one vpdpbusd sums
// four u8*s8 products per int32 lane, exactly, in one instruction.
#include <immintrin.h>

#include "ops/kernels/q8_0_gemm.h"
#include "ops/kernels/q8_0_gemm_x86_inl.h"

namespace edgellm::ops::kernels {
namespace {

struct LaneDotVnni {
  __m256i operator()(__m256i w, __m256i x) const {
    const __m256i aw = _mm256_abs_epi8(w);
    const __m256i sx = _mm256_sign_epi8(x, w);
    return _mm256_dpbusd_epi32(_mm256_setzero_si256(), aw, sx);
  }
};

}  // namespace

void Q8_0GemmAvx512Vnni(const Q8_0GemmArgs& args, size_t o_begin,
                        size_t o_end) {
  Q8_0GemmX86<LaneDotVnni>(args, o_begin, o_end);
}

}  // namespace edgellm::ops::kernels
