// The table GELU's loop with AVX2 + F16C (built with -mavx2 -mf16c; chosen
// at run time by ops/activation.cc): VCVTPS2PH rounds eight floats to fp16
// with round-to-nearest-even, exactly as quant::Fp32ToFp16, and a gather
// reads their eight table entries.
#include <immintrin.h>

#include <cstdint>

#include "ops/gelu_kernel.h"

namespace edgellm::ops::gelu_internal {
namespace {

// The table (256 KB) does not stay in cache between a decode step's calls:
// the weights streamed in between evict it, and every gather waited for its
// misses before the next one was issued (gemma3-1b decode: 2.1% of the
// samples in this loop, ~10 ns per value). So a first pass prefetches the
// entries the call will read, and their misses overlap.
void PrefetchEntries(const float* table, const float* x, size_t n) {
  alignas(32) uint32_t idx[8];
  for (size_t i = 0; i + 8 <= n; i += 8) {
    const __m128i h =
        _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT);
    _mm256_store_si256(reinterpret_cast<__m256i*>(idx),
                       _mm256_cvtepu16_epi32(h));
    for (int j = 0; j < 8; ++j) {
      _mm_prefetch(reinterpret_cast<const char*>(table + idx[j]), _MM_HINT_T0);
    }
  }
}

void GeluTableAvx2(const float* table, const float* x, size_t n, float* y) {
  const __m256 lo = _mm256_set1_ps(-kGeluTableLimit);
  const __m256 hi = _mm256_set1_ps(kGeluTableLimit);
  PrefetchEntries(table, x, n);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    const __m128i h = _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT);
    const __m256i idx = _mm256_cvtepu16_epi32(h);
    __m256 r = _mm256_i32gather_ps(table, idx, 4);
    // x >= 10: x; x <= -10: 0 (ordered compares: a NaN keeps its lookup).
    r = _mm256_blendv_ps(r, v, _mm256_cmp_ps(v, hi, _CMP_GE_OQ));
    r = _mm256_andnot_ps(_mm256_cmp_ps(v, lo, _CMP_LE_OQ), r);
    _mm256_storeu_ps(y + i, r);
  }
  if (i < n) kGeluKernelPortable.run(table, x + i, n - i, y + i);
}

}  // namespace

const GeluKernel kGeluKernelAvx2 = {"avx2", GeluTableAvx2};

}  // namespace edgellm::ops::gelu_internal
