// The attention tile kernel in plain C++ (the baseline build; also ARM).
// Keys are the outer loop so each K/V row is read once for the whole tile;
// the dot product keeps independent accumulators so the compiler can
// vectorize it at the baseline ISA.
#include <algorithm>
#include <cmath>
#include <limits>

#include "ops/attention_kernel.h"
#include "quant/fp16.h"

namespace edgellm::ops::attention_internal {

size_t BlockKeyRanges(const AttentionTile& t, size_t j0, size_t nb,
                      size_t* begin, size_t* valid) {
  size_t n = 0;
  for (size_t r = 0; r < t.rows; ++r) {
    valid[r] = t.n_keys[r] > j0 ? std::min(nb, t.n_keys[r] - j0) : 0;
    begin[r] =
        t.first_key[r] > j0 ? std::min(valid[r], t.first_key[r] - j0) : 0;
    n = std::max(n, valid[r]);
  }
  return n;
}

namespace {

constexpr size_t kLanes = 8;

float Dot(const float* a, const float* b, size_t n) {
  float acc[kLanes] = {};
  size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (size_t l = 0; l < kLanes; ++l) acc[l] += a[i + l] * b[i + l];
  }
  float s = 0.0f;
  for (size_t l = 0; l < kLanes; ++l) s += acc[l];
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

void Block(AttentionTile* t, const float* k, const float* v, size_t stride,
           size_t j0, size_t nb) {
  const size_t d = t->head_dim;
  // Row r takes keys [begin[r], end[r]) of this block.
  size_t begin[kAttentionTileRows], end[kAttentionTileRows];
  BlockKeyRanges(*t, j0, nb, begin, end);
  for (size_t i = 0; i < nb; ++i) {
    for (size_t r = 0; r < t->rows; ++r) {
      if (i >= begin[r] && i < end[r]) {
        t->scores[r * kAttentionBlockKeys + i] =
            Dot(t->q + r * d, k + i * stride, d) * t->scale;
      }
    }
  }
  for (size_t r = 0; r < t->rows; ++r) {
    float* s = t->scores + r * kAttentionBlockKeys;
    if (begin[r] == end[r]) continue;
    float m = t->max[r];
    for (size_t i = begin[r]; i < end[r]; ++i) m = std::fmax(m, s[i]);
    // exp(-inf) = 0 on the first block (the output is still zero).
    const float alpha = std::exp(t->max[r] - m);
    float l = 0.0f;
    for (size_t i = begin[r]; i < end[r]; ++i) l += (s[i] = std::exp(s[i] - m));
    t->sum[r] = t->sum[r] * alpha + l;
    t->max[r] = m;
    if (alpha != 1.0f) {
      for (size_t x = 0; x < d; ++x) t->out[r][x] *= alpha;
    }
  }
  for (size_t i = 0; i < nb; ++i) {
    const float* vi = v + i * stride;
    for (size_t r = 0; r < t->rows; ++r) {
      if (i < begin[r] || i >= end[r]) continue;
      const float p = t->scores[r * kAttentionBlockKeys + i];
      float* o = t->out[r];
      for (size_t x = 0; x < d; ++x) o[x] += p * vi[x];
    }
  }
}

void F16ToF32(const uint16_t* src, size_t n, float* dst) {
  for (size_t i = 0; i < n; ++i) dst[i] = quant::Fp16ToFp32(src[i]);
}

void Q8_0ToF32(const quant::BlockQ8_0* row, size_t first, size_t n,
               float* dst) {
  constexpr size_t kB = quant::kQ8_0BlockSize;
  for (size_t i = 0; i < n; ++i) {
    const quant::BlockQ8_0& b = row[(first + i) / kB];
    dst[i] =
        quant::Fp16ToFp32(b.d) * static_cast<float>(b.qs[(first + i) % kB]);
  }
}

}  // namespace

const AttentionKernel kAttentionKernelPortable = {"portable", &Block, &F16ToF32,
                                                  &Q8_0ToF32};

}  // namespace edgellm::ops::attention_internal
