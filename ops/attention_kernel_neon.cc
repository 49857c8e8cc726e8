// The attention tile kernel with AArch64 Advanced SIMD intrinsics (the
// baseline armv8-a: NEON and its f16 conversions are in every AArch64 CPU;
// chosen by ops/attention.cc on aarch64). The same steps as the AVX2 kernel
// with 4-lane vectors:
//
// Scores: 2 query rows x 4 keys of 4-lane accumulators per step (6 loads per
// 8 FMAs), each reduced by a pairwise-add tree. Softmax: a vectorized exp
// (below). Output: 4 rows x 8 dims of accumulators held in registers over
// the key block, one V load per 4 dims shared by the rows.
#include <arm_neon.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "ops/attention_kernel.h"

namespace edgellm::ops::attention_internal {
namespace {

constexpr size_t kB = kAttentionBlockKeys;

// exp(x) for x <= 0, ~2 ulp: the AVX2 kernel's method (x = n ln2 + r, the
// degree-6 Cephes expf polynomial, 2^n in the exponent bits); below -87 and
// for -inf (masked keys) the result is 0.
inline float32x4_t Exp(float32x4_t x) {
  const float32x4_t lo = vdupq_n_f32(-87.0f);
  const uint32x4_t keep = vcgeq_f32(x, lo);
  x = vmaxq_f32(x, lo);
  const float32x4_t n =
      vrndnq_f32(vmulq_f32(x, vdupq_n_f32(1.44269504088896341f)));
  float32x4_t r = vfmsq_f32(x, n, vdupq_n_f32(0.693359375f));
  r = vfmsq_f32(r, n, vdupq_n_f32(-2.12194440e-4f));
  float32x4_t p = vdupq_n_f32(1.9875691500e-4f);
  p = vfmaq_f32(vdupq_n_f32(1.3981999507e-3f), p, r);
  p = vfmaq_f32(vdupq_n_f32(8.3334519073e-3f), p, r);
  p = vfmaq_f32(vdupq_n_f32(4.1665795894e-2f), p, r);
  p = vfmaq_f32(vdupq_n_f32(1.6666665459e-1f), p, r);
  p = vfmaq_f32(vdupq_n_f32(5.0000001201e-1f), p, r);
  p = vfmaq_f32(r, p, vmulq_f32(r, r));
  p = vaddq_f32(p, vdupq_n_f32(1.0f));
  const int32x4_t e =
      vshlq_n_s32(vaddq_s32(vcvtq_s32_f32(n), vdupq_n_s32(127)), 23);
  const float32x4_t y = vmulq_f32(p, vreinterpretq_f32_s32(e));
  return vreinterpretq_f32_u32(vandq_u32(keep, vreinterpretq_u32_f32(y)));
}

// scores[r * kB + kk] = scale * q_r . k_kk for R rows (q rows d apart) and
// K keys (stride apart).
template <int R, int K>
inline void Scores(const float* q, size_t d, const float* k, size_t stride,
                   float scale, float* scores) {
  float32x4_t acc[R][K];
  for (int r = 0; r < R; ++r) {
    for (int kk = 0; kk < K; ++kk) acc[r][kk] = vdupq_n_f32(0.0f);
  }
  size_t x = 0;
  for (; x + 4 <= d; x += 4) {
    float32x4_t kv[K];
    for (int kk = 0; kk < K; ++kk) kv[kk] = vld1q_f32(k + kk * stride + x);
    for (int r = 0; r < R; ++r) {
      const float32x4_t qv = vld1q_f32(q + r * d + x);
      for (int kk = 0; kk < K; ++kk) {
        acc[r][kk] = vfmaq_f32(acc[r][kk], qv, kv[kk]);
      }
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int kk = 0; kk < K; ++kk) {
      float s = vaddvq_f32(acc[r][kk]);
      for (size_t t = x; t < d; ++t) s += q[r * d + t] * k[kk * stride + t];
      scores[r * kB + kk] = s * scale;
    }
  }
}

template <int R>
void ScoreRows(const AttentionTile& t, size_t r0, const float* k, size_t stride,
               size_t n) {
  const float* q = t.q + r0 * t.head_dim;
  float* s = t.scores + r0 * kB;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    Scores<R, 4>(q, t.head_dim, k + i * stride, stride, t.scale, s + i);
  }
  for (; i < n; ++i) {
    Scores<R, 1>(q, t.head_dim, k + i * stride, stride, t.scale, s + i);
  }
}

// out_r[x .. x + 4C) = alpha_r * out_r + sum_i p_r(i) v_i for R rows.
template <int R, int C>
inline void Accumulate(const AttentionTile& t, size_t r0, const float* alpha,
                       const float* v, size_t stride, size_t n, size_t x) {
  float32x4_t acc[R][C];
  for (int r = 0; r < R; ++r) {
    for (int c = 0; c < C; ++c) {
      acc[r][c] =
          vmulq_n_f32(vld1q_f32(t.out[r0 + r] + x + 4 * c), alpha[r0 + r]);
    }
  }
  const float* p = t.scores + r0 * kB;
  for (size_t i = 0; i < n; ++i) {
    float32x4_t vv[C];
    for (int c = 0; c < C; ++c) vv[c] = vld1q_f32(v + i * stride + x + 4 * c);
    for (int r = 0; r < R; ++r) {
      const float pr = p[r * kB + i];
      for (int c = 0; c < C; ++c) acc[r][c] = vfmaq_n_f32(acc[r][c], vv[c], pr);
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int c = 0; c < C; ++c) vst1q_f32(t.out[r0 + r] + x + 4 * c, acc[r][c]);
  }
}

// The dims past the last multiple of 4, one at a time.
template <int R>
void AccumulateTail(const AttentionTile& t, size_t r0, const float* alpha,
                    const float* v, size_t stride, size_t n, size_t x) {
  const float* p = t.scores + r0 * kB;
  for (int r = 0; r < R; ++r) {
    float* o = t.out[r0 + r];
    for (size_t y = x; y < t.head_dim; ++y) {
      float a = o[y] * alpha[r0 + r];
      for (size_t i = 0; i < n; ++i) a += p[r * kB + i] * v[i * stride + y];
      o[y] = a;
    }
  }
}

template <int R>
void AccumulateRows(const AttentionTile& t, size_t r0, const float* alpha,
                    const float* v, size_t stride, size_t n) {
  const size_t d = t.head_dim;
  size_t x = 0;
  for (; x + 8 <= d; x += 8) Accumulate<R, 2>(t, r0, alpha, v, stride, n, x);
  for (; x + 4 <= d; x += 4) Accumulate<R, 1>(t, r0, alpha, v, stride, n, x);
  if (x < d) AccumulateTail<R>(t, r0, alpha, v, stride, n, x);
}

void Block(AttentionTile* t, const float* k, const float* v, size_t stride,
           size_t j0, size_t nb) {
  // As the AVX2 kernel: every row scores up to the longest row's limit, keys
  // outside a row's own [first_key, n_keys) are masked to -inf (exp: 0).
  size_t begin[kAttentionTileRows], valid[kAttentionTileRows];
  const size_t n = BlockKeyRanges(*t, j0, nb, begin, valid);
  if (n == 0) return;
  size_t r = 0;
  for (; r + 2 <= t->rows; r += 2) ScoreRows<2>(*t, r, k, stride, n);
  if (r < t->rows) ScoreRows<1>(*t, r, k, stride, n);

  const float kNegInf = -std::numeric_limits<float>::infinity();
  const size_t n4 = (n + 3) & ~size_t{3};  // <= kB: whole vectors
  float alpha[kAttentionTileRows];
  for (r = 0; r < t->rows; ++r) {
    float* s = t->scores + r * kB;
    if (begin[r] == valid[r]) {  // none of this row's keys in this block
      std::fill(s, s + n, 0.0f);
      alpha[r] = 1.0f;
      continue;
    }
    std::fill(s, s + begin[r], kNegInf);
    for (size_t i = valid[r]; i < n4; ++i) s[i] = kNegInf;
    float32x4_t mv = vdupq_n_f32(kNegInf);
    for (size_t i = 0; i < n4; i += 4) mv = vmaxq_f32(mv, vld1q_f32(s + i));
    const float m = std::max(t->max[r], vmaxvq_f32(mv));
    // exp(-inf) = 0 on the first block (the output is still zero).
    alpha[r] = std::exp(t->max[r] - m);
    const float32x4_t mb = vdupq_n_f32(m);
    float32x4_t lv = vdupq_n_f32(0.0f);
    for (size_t i = 0; i < n4; i += 4) {
      const float32x4_t e = Exp(vsubq_f32(vld1q_f32(s + i), mb));
      vst1q_f32(s + i, e);
      lv = vaddq_f32(lv, e);
    }
    t->sum[r] = t->sum[r] * alpha[r] + vaddvq_f32(lv);
    t->max[r] = m;
  }

  r = 0;
  for (; r + 4 <= t->rows; r += 4)
    AccumulateRows<4>(*t, r, alpha, v, stride, n);
  switch (t->rows - r) {
    case 3:
      AccumulateRows<3>(*t, r, alpha, v, stride, n);
      break;
    case 2:
      AccumulateRows<2>(*t, r, alpha, v, stride, n);
      break;
    case 1:
      AccumulateRows<1>(*t, r, alpha, v, stride, n);
      break;
    default:
      break;
  }
}

// FCVTL: four halves to floats, exact.
void F16ToF32(const uint16_t* src, size_t n, float* dst) {
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    vst1q_f32(dst + i, vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(src + i))));
  }
  for (; i < n; ++i) {
    dst[i] = vgetq_lane_f32(
        vcvt_f32_f16(vreinterpret_f16_u16(vdup_n_u16(src[i]))), 0);
  }
}

inline float HalfToFloat(uint16_t h) {
  return vgetq_lane_f32(vcvt_f32_f16(vreinterpret_f16_u16(vdup_n_u16(h))), 0);
}

// Eight values at a time where they start on a multiple of 8 (one block):
// widened to int32, converted (exact), times the block's scale.
void Q8_0ToF32(const quant::BlockQ8_0* row, size_t first, size_t n,
               float* dst) {
  constexpr size_t kQ = quant::kQ8_0BlockSize;
  size_t i = 0;
  auto scalar = [&](size_t e) {
    const quant::BlockQ8_0& b = row[e / kQ];
    return HalfToFloat(b.d) * static_cast<float>(b.qs[e % kQ]);
  };
  for (; i < n && (first + i) % 8 != 0; ++i) dst[i] = scalar(first + i);
  for (; i + 8 <= n; i += 8) {
    const size_t e = first + i;
    const quant::BlockQ8_0& b = row[e / kQ];
    const int16x8_t q = vmovl_s8(vld1_s8(b.qs + e % kQ));
    const float d = HalfToFloat(b.d);
    vst1q_f32(dst + i,
              vmulq_n_f32(vcvtq_f32_s32(vmovl_s16(vget_low_s16(q))), d));
    vst1q_f32(dst + i + 4,
              vmulq_n_f32(vcvtq_f32_s32(vmovl_s16(vget_high_s16(q))), d));
  }
  for (; i < n; ++i) dst[i] = scalar(first + i);
}

}  // namespace

const AttentionKernel kAttentionKernelNeon = {"neon", &Block, &F16ToF32,
                                              &Q8_0ToF32};

}  // namespace edgellm::ops::attention_internal
