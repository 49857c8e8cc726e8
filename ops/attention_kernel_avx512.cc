// The attention tile kernel with AVX-512F intrinsics (built with -mavx512f
// -mavx2 -mfma -mf16c; chosen at run time by ops/attention.cc on CPUs with
// AVX-512F). The AVX2 kernel's steps with 16-lane vectors, which pays on
// cores with full-width 512-bit FMA units (Zen 5, Intel server cores):
// head_dim 64 is four vectors, so a score is 4 FMAs and a row's output 4
// registers.
//
// Scores: 2 query rows x 4 keys of 16-lane accumulators per step, each
// folded to 8 lanes and reduced by the AVX2 hadd tree. Softmax: a
// vectorized exp (below). Output: 4 rows x 64 dims of accumulators in
// registers over the key block, one V load per 16 dims shared by the rows.
// Tails (head_dim not a multiple of 16) through masked loads and stores.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "ops/attention_kernel.h"

namespace edgellm::ops::attention_internal {
namespace {

constexpr size_t kB = kAttentionBlockKeys;

inline __mmask16 Tail(size_t n) {
  return static_cast<__mmask16>(n >= 16 ? 0xffffu : (1u << n) - 1u);
}

// exp(x) for x <= 0, ~2 ulp: the AVX2 kernel's method (x = n ln2 + r, the
// degree-6 Cephes expf polynomial, 2^n in the exponent bits); below -87 and
// for -inf (masked keys) the result is 0.
inline __m512 Exp(__m512 x) {
  const __m512 lo = _mm512_set1_ps(-87.0f);
  const __mmask16 keep = _mm512_cmp_ps_mask(x, lo, _CMP_GE_OQ);
  x = _mm512_max_ps(x, lo);
  const __m512 n = _mm512_roundscale_ps(
      _mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r);
  p = _mm512_add_ps(p, _mm512_set1_ps(1.0f));
  const __m512i e = _mm512_slli_epi32(
      _mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
  return _mm512_maskz_mul_ps(keep, p, _mm512_castsi512_ps(e));
}

inline __m256 Fold(__m512 a) {
  return _mm256_add_ps(
      _mm512_castps512_ps256(a),
      _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(a), 1)));
}

inline float HSum8(__m256 a) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// scores[r * kB + kk] = scale * q_r . k_kk for R rows (q rows d apart) and
// K keys (stride apart).
template <int R, int K>
inline void Scores(const float* q, size_t d, const float* k, size_t stride,
                   float scale, float* scores) {
  __m512 acc[R][K];
  for (int r = 0; r < R; ++r) {
    for (int kk = 0; kk < K; ++kk) acc[r][kk] = _mm512_setzero_ps();
  }
  size_t x = 0;
  for (; x + 16 <= d; x += 16) {
    __m512 kv[K];
    for (int kk = 0; kk < K; ++kk)
      kv[kk] = _mm512_loadu_ps(k + kk * stride + x);
    for (int r = 0; r < R; ++r) {
      const __m512 qv = _mm512_loadu_ps(q + r * d + x);
      for (int kk = 0; kk < K; ++kk) {
        acc[r][kk] = _mm512_fmadd_ps(qv, kv[kk], acc[r][kk]);
      }
    }
  }
  if (x < d) {
    const __mmask16 m = Tail(d - x);
    __m512 kv[K];
    for (int kk = 0; kk < K; ++kk) {
      kv[kk] = _mm512_maskz_loadu_ps(m, k + kk * stride + x);
    }
    for (int r = 0; r < R; ++r) {
      const __m512 qv = _mm512_maskz_loadu_ps(m, q + r * d + x);
      for (int kk = 0; kk < K; ++kk) {
        acc[r][kk] = _mm512_fmadd_ps(qv, kv[kk], acc[r][kk]);
      }
    }
  }
  const __m128 sv = _mm_set1_ps(scale);
  for (int r = 0; r < R; ++r) {
    if constexpr (K == 4) {
      const __m256 t0 = _mm256_hadd_ps(Fold(acc[r][0]), Fold(acc[r][1]));
      const __m256 t1 = _mm256_hadd_ps(Fold(acc[r][2]), Fold(acc[r][3]));
      const __m256 t2 = _mm256_hadd_ps(t0, t1);
      const __m128 s =
          _mm_add_ps(_mm256_castps256_ps128(t2), _mm256_extractf128_ps(t2, 1));
      _mm_storeu_ps(scores + r * kB, _mm_mul_ps(s, sv));
    } else {
      for (int kk = 0; kk < K; ++kk) {
        scores[r * kB + kk] = HSum8(Fold(acc[r][kk])) * scale;
      }
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

// out_r[x .. x + 16C) = alpha_r * out_r + sum_i p_r(i) v_i for R rows; the
// last vector masked to `tail` lanes.
template <int R, int C>
inline void Accumulate(const AttentionTile& t, size_t r0, const float* alpha,
                       const float* v, size_t stride, size_t n, size_t x,
                       size_t tail) {
  __m512 acc[R][C];
  const __mmask16 last = Tail(tail);
  auto mask = [&](int c) { return c == C - 1 ? last : __mmask16(0xffff); };
  for (int r = 0; r < R; ++r) {
    const __m512 a = _mm512_set1_ps(alpha[r0 + r]);
    for (int c = 0; c < C; ++c) {
      acc[r][c] = _mm512_mul_ps(
          a, _mm512_maskz_loadu_ps(mask(c), t.out[r0 + r] + x + 16 * c));
    }
  }
  const float* p = t.scores + r0 * kB;
  for (size_t i = 0; i < n; ++i) {
    __m512 vv[C];
    for (int c = 0; c < C; ++c) {
      vv[c] = _mm512_maskz_loadu_ps(mask(c), v + i * stride + x + 16 * c);
    }
    for (int r = 0; r < R; ++r) {
      const __m512 pb = _mm512_set1_ps(p[r * kB + i]);
      for (int c = 0; c < C; ++c)
        acc[r][c] = _mm512_fmadd_ps(pb, vv[c], acc[r][c]);
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int c = 0; c < C; ++c) {
      _mm512_mask_storeu_ps(t.out[r0 + r] + x + 16 * c, mask(c), acc[r][c]);
    }
  }
}

template <int R>
void AccumulateRows(const AttentionTile& t, size_t r0, const float* alpha,
                    const float* v, size_t stride, size_t n) {
  const size_t d = t.head_dim;
  size_t x = 0;
  for (; x + 64 <= d; x += 64)
    Accumulate<R, 4>(t, r0, alpha, v, stride, n, x, 16);
  for (; x + 16 <= d; x += 16)
    Accumulate<R, 1>(t, r0, alpha, v, stride, n, x, 16);
  if (x < d) Accumulate<R, 1>(t, r0, alpha, v, stride, n, x, d - x);
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
  const size_t n16 = (n + 15) & ~size_t{15};  // <= kB: whole vectors
  float alpha[kAttentionTileRows];
  for (r = 0; r < t->rows; ++r) {
    float* s = t->scores + r * kB;
    if (begin[r] == valid[r]) {  // none of this row's keys in this block
      std::fill(s, s + n, 0.0f);
      alpha[r] = 1.0f;
      continue;
    }
    std::fill(s, s + begin[r], kNegInf);
    for (size_t i = valid[r]; i < n16; ++i) s[i] = kNegInf;
    __m512 mv = _mm512_set1_ps(kNegInf);
    for (size_t i = 0; i < n16; i += 16)
      mv = _mm512_max_ps(mv, _mm512_loadu_ps(s + i));
    const float m = std::max(t->max[r], _mm512_reduce_max_ps(mv));
    // exp(-inf) = 0 on the first block (the output is still zero).
    alpha[r] = std::exp(t->max[r] - m);
    const __m512 mb = _mm512_set1_ps(m);
    __m512 lv = _mm512_setzero_ps();
    for (size_t i = 0; i < n16; i += 16) {
      const __m512 e = Exp(_mm512_sub_ps(_mm512_loadu_ps(s + i), mb));
      _mm512_storeu_ps(s + i, e);
      lv = _mm512_add_ps(lv, e);
    }
    t->sum[r] = t->sum[r] * alpha[r] + HSum8(Fold(lv));
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

void F16ToF32(const uint16_t* src, size_t n, float* dst) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    _mm512_storeu_ps(dst + i, _mm512_cvtph_ps(_mm256_loadu_si256(
                                  reinterpret_cast<const __m256i*>(src + i))));
  }
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128(
                                  reinterpret_cast<const __m128i*>(src + i))));
  }
  for (; i < n; ++i) dst[i] = _cvtsh_ss(src[i]);
}

// Sixteen values at a time where they start on a multiple of 16 (one block:
// 16 divides 32): sign-extended, converted (exact), times the block's scale.
void Q8_0ToF32(const quant::BlockQ8_0* row, size_t first, size_t n,
               float* dst) {
  constexpr size_t kQ = quant::kQ8_0BlockSize;
  size_t i = 0;
  auto scalar = [&](size_t e) {
    const quant::BlockQ8_0& b = row[e / kQ];
    return _cvtsh_ss(b.d) * static_cast<float>(b.qs[e % kQ]);
  };
  for (; i < n && (first + i) % 16 != 0; ++i) dst[i] = scalar(first + i);
  for (; i + 16 <= n; i += 16) {
    const size_t e = first + i;
    const quant::BlockQ8_0& b = row[e / kQ];
    const __m512i q = _mm512_cvtepi8_epi32(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.qs + e % kQ)));
    _mm512_storeu_ps(dst + i, _mm512_mul_ps(_mm512_set1_ps(_cvtsh_ss(b.d)),
                                            _mm512_cvtepi32_ps(q)));
  }
  for (; i < n; ++i) dst[i] = scalar(first + i);
}

}  // namespace

const AttentionKernel kAttentionKernelAvx512 = {"avx512", &Block, &F16ToF32,
                                                &Q8_0ToF32};

}  // namespace edgellm::ops::attention_internal
