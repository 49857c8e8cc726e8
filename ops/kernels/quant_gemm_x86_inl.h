// x86 pieces shared by the AVX2 and AVX-512 VNNI kernels of quant_gemm.h:
// the activation row of a batch row, and the Q8_0 activations' per-block
// sums and scales that the Q4_0 and Q5_0 kernels fold in (in a per-thread
// RawBuffer, x86_raw_buffer_inl.h).
// Include only from a .cc compiled with -mavx2 -mfma -mf16c (or more); the
// contents have internal linkage so each ISA gets its own copy (as
// q8_0_gemm_x86_inl.h).
#ifndef EDGELLM_OPS_KERNELS_QUANT_GEMM_X86_INL_H_
#define EDGELLM_OPS_KERNELS_QUANT_GEMM_X86_INL_H_

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "ops/kernels/quant_gemm.h"
#include "ops/kernels/x86_raw_buffer_inl.h"
#include "quant/q8_0.h"

namespace edgellm::ops::kernels {
namespace {

const uint8_t* ActivationRow(const QuantGemmArgs& a, size_t b) {
  return static_cast<const uint8_t*>(a.x) + b * a.x_row_bytes;
}

// Per (batch row, block): -kOffset * the block's activation sum and its
// scale, formed once per call and thread (call_id), shared by every tile of
// the call. kOffset is the level offset of the weight type (Q4_0 8, Q5_0
// 16), so corr + sum(q * x) = sum((q - kOffset) * x) exactly. One copy per
// offset: one call may hold Q4_0 and Q5_0 matrices under the same call_id.
struct SideQ8_0 {
  RawBuffer corr_buffer, d_buffer;
  int32_t* corr = nullptr;
  float* d = nullptr;
};

template <int kOffset>
const SideQ8_0& SideFor(const QuantGemmArgs& a) {
  thread_local SideQ8_0 side;
  thread_local uint64_t side_call = 0;
  if (a.call_id != 0 && a.call_id == side_call) return side;
  const size_t n = a.batch * a.n_blocks;
  side.corr = static_cast<int32_t*>(side.corr_buffer.Reserve(n * 4));
  side.d = static_cast<float*>(side.d_buffer.Reserve(n * 4));
  const __m256i flip = _mm256_set1_epi8(static_cast<char>(0x80));
  for (size_t b = 0; b < a.batch; ++b) {
    const auto* x =
        reinterpret_cast<const quant::BlockQ8_0*>(ActivationRow(a, b));
    for (size_t k = 0; k < a.n_blocks; ++k) {
      // sad of (x ^ 0x80) against zero = sum(x) + 32 * 128.
      const __m256i sad = _mm256_sad_epu8(
          _mm256_xor_si256(
              _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[k].qs)),
              flip),
          _mm256_setzero_si256());
      const __m128i s2 = _mm_add_epi64(_mm256_castsi256_si128(sad),
                                       _mm256_extracti128_si256(sad, 1));
      const int64_t sum =
          _mm_cvtsi128_si64(_mm_add_epi64(s2, _mm_unpackhi_epi64(s2, s2))) -
          32 * 128;
      side.corr[b * a.n_blocks + k] = static_cast<int32_t>(-kOffset * sum);
      side.d[b * a.n_blocks + k] = _cvtsh_ss(x[k].d);
    }
  }
  side_call = a.call_id;
  return side;
}

}  // namespace
}  // namespace edgellm::ops::kernels

#endif  // EDGELLM_OPS_KERNELS_QUANT_GEMM_X86_INL_H_
