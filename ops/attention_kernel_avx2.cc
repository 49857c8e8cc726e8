// The attention tile kernel with AVX2 + FMA + F16C intrinsics (built with
// -mavx2 -mfma -mf16c; chosen at run time by ops/attention.cc).
//
// Scores: 2 query rows x 4 keys of 8-lane accumulators per step (6 loads per
// 8 FMAs), reduced by a hadd tree. Softmax: a vectorized exp (below). Output:
// 4 rows x 16 dims of accumulators held in registers over the key block, one
// V load per 8 dims shared by the 4 rows.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "ops/attention_kernel.h"

namespace edgellm::ops::attention_internal {
namespace {

constexpr size_t kB = kAttentionBlockKeys;

// Lanes < n set (n <= 8), for the masked loads/stores of a row's tail.
inline __m256i TailMask(size_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)),
                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// exp(x) for x <= 0 (scores minus their max), ~2 ulp: x = n ln2 + r with
// |r| <= ln2/2 (ln2 split in two for an exact n ln2), exp(r) by the degree-6
// polynomial of Cephes expf (Moshier), times 2^n built in the exponent bits.
// Below -87 (exp < 1.7e-38, negligible against the row max's 1) and for
// -inf (masked keys) the result is 0.
inline __m256 Exp(__m256 x) {
  const __m256 lo = _mm256_set1_ps(-87.0f);
  const __m256 keep = _mm256_cmp_ps(x, lo, _CMP_GE_OQ);
  x = _mm256_max_ps(x, lo);
  const __m256 n =
      _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r);
  p = _mm256_add_ps(p, _mm256_set1_ps(1.0f));
  const __m256i e = _mm256_slli_epi32(
      _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_and_ps(keep, _mm256_mul_ps(p, _mm256_castsi256_ps(e)));
}

inline float HSum(__m256 a) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline float HMax(__m256 a) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// scores[r * kB + kk] = scale * q_r . k_kk for R rows (q rows d apart) and
// K keys (stride apart).
template <int R, int K>
inline void Scores(const float* q, size_t d, const float* k, size_t stride,
                   float scale, float* scores) {
  __m256 acc[R][K];
  for (int r = 0; r < R; ++r) {
    for (int kk = 0; kk < K; ++kk) acc[r][kk] = _mm256_setzero_ps();
  }
  size_t x = 0;
  for (; x + 8 <= d; x += 8) {
    __m256 kv[K];
    for (int kk = 0; kk < K; ++kk)
      kv[kk] = _mm256_loadu_ps(k + kk * stride + x);
    for (int r = 0; r < R; ++r) {
      const __m256 qv = _mm256_loadu_ps(q + r * d + x);
      for (int kk = 0; kk < K; ++kk) {
        acc[r][kk] = _mm256_fmadd_ps(qv, kv[kk], acc[r][kk]);
      }
    }
  }
  if (x < d) {
    const __m256i m = TailMask(d - x);
    __m256 kv[K];
    for (int kk = 0; kk < K; ++kk) {
      kv[kk] = _mm256_maskload_ps(k + kk * stride + x, m);
    }
    for (int r = 0; r < R; ++r) {
      const __m256 qv = _mm256_maskload_ps(q + r * d + x, m);
      for (int kk = 0; kk < K; ++kk) {
        acc[r][kk] = _mm256_fmadd_ps(qv, kv[kk], acc[r][kk]);
      }
    }
  }
  const __m128 sv = _mm_set1_ps(scale);
  for (int r = 0; r < R; ++r) {
    if constexpr (K == 4) {
      const __m256 t0 = _mm256_hadd_ps(acc[r][0], acc[r][1]);
      const __m256 t1 = _mm256_hadd_ps(acc[r][2], acc[r][3]);
      const __m256 t2 = _mm256_hadd_ps(t0, t1);
      const __m128 s =
          _mm_add_ps(_mm256_castps256_ps128(t2), _mm256_extractf128_ps(t2, 1));
      _mm_storeu_ps(scores + r * kB, _mm_mul_ps(s, sv));
    } else {
      for (int kk = 0; kk < K; ++kk) {
        scores[r * kB + kk] = HSum(acc[r][kk]) * scale;
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

// out_r[x .. x + 8C) = alpha_r * out_r + sum_i p_r(i) v_i for R rows.
template <int R, int C>
inline void Accumulate(const AttentionTile& t, size_t r0, const float* alpha,
                       const float* v, size_t stride, size_t n, size_t x,
                       size_t tail) {
  __m256 acc[R][C];
  const __m256i m = TailMask(tail);
  for (int r = 0; r < R; ++r) {
    const __m256 a = _mm256_set1_ps(alpha[r0 + r]);
    for (int c = 0; c < C; ++c) {
      const float* o = t.out[r0 + r] + x + 8 * c;
      acc[r][c] = _mm256_mul_ps(
          a, tail == 8 ? _mm256_loadu_ps(o) : _mm256_maskload_ps(o, m));
    }
  }
  const float* p = t.scores + r0 * kB;
  for (size_t i = 0; i < n; ++i) {
    __m256 vv[C];
    for (int c = 0; c < C; ++c) {
      const float* vi = v + i * stride + x + 8 * c;
      vv[c] = tail == 8 ? _mm256_loadu_ps(vi) : _mm256_maskload_ps(vi, m);
    }
    for (int r = 0; r < R; ++r) {
      const __m256 pb = _mm256_broadcast_ss(p + r * kB + i);
      for (int c = 0; c < C; ++c)
        acc[r][c] = _mm256_fmadd_ps(pb, vv[c], acc[r][c]);
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int c = 0; c < C; ++c) {
      float* o = t.out[r0 + r] + x + 8 * c;
      if (tail == 8) {
        _mm256_storeu_ps(o, acc[r][c]);
      } else {
        _mm256_maskstore_ps(o, m, acc[r][c]);
      }
    }
  }
}

template <int R>
void AccumulateRows(const AttentionTile& t, size_t r0, const float* alpha,
                    const float* v, size_t stride, size_t n) {
  const size_t d = t.head_dim;
  size_t x = 0;
  for (; x + 16 <= d; x += 16)
    Accumulate<R, 2>(t, r0, alpha, v, stride, n, x, 8);
  for (; x + 8 <= d; x += 8) Accumulate<R, 1>(t, r0, alpha, v, stride, n, x, 8);
  if (x < d) Accumulate<R, 1>(t, r0, alpha, v, stride, n, x, d - x);
}

void Block(AttentionTile* t, const float* k, const float* v, size_t stride,
           size_t j0, size_t nb) {
  // Every row computes scores up to the longest row's limit (all those key
  // rows are valid memory); keys outside a row's own [first_key, n_keys)
  // are masked to -inf, so exp gives them exactly 0.
  size_t begin[kAttentionTileRows], valid[kAttentionTileRows];
  const size_t n = BlockKeyRanges(*t, j0, nb, begin, valid);
  if (n == 0) return;
  size_t r = 0;
  for (; r + 2 <= t->rows; r += 2) ScoreRows<2>(*t, r, k, stride, n);
  if (r < t->rows) ScoreRows<1>(*t, r, k, stride, n);

  const float kNegInf = -std::numeric_limits<float>::infinity();
  const size_t n8 = (n + 7) & ~size_t{7};  // <= kB: a whole number of vectors
  float alpha[kAttentionTileRows];
  for (r = 0; r < t->rows; ++r) {
    float* s = t->scores + r * kB;
    if (begin[r] == valid[r]) {  // none of this row's keys in this block
      std::fill(s, s + n, 0.0f);
      alpha[r] = 1.0f;
      continue;
    }
    std::fill(s, s + begin[r], kNegInf);
    for (size_t i = valid[r]; i < n8; ++i) s[i] = kNegInf;
    __m256 mv = _mm256_set1_ps(kNegInf);
    for (size_t i = 0; i < n8; i += 8)
      mv = _mm256_max_ps(mv, _mm256_loadu_ps(s + i));
    const float m = std::max(t->max[r], HMax(mv));
    // exp(-inf) = 0 on the first block (the output is still zero).
    alpha[r] = std::exp(t->max[r] - m);
    const __m256 mb = _mm256_set1_ps(m);
    __m256 lv = _mm256_setzero_ps();
    for (size_t i = 0; i < n8; i += 8) {
      const __m256 e = Exp(_mm256_sub_ps(_mm256_loadu_ps(s + i), mb));
      _mm256_storeu_ps(s + i, e);
      lv = _mm256_add_ps(lv, e);
    }
    t->sum[r] = t->sum[r] * alpha[r] + HSum(lv);
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
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128(
                                  reinterpret_cast<const __m128i*>(src + i))));
  }
  for (; i < n; ++i) dst[i] = _cvtsh_ss(src[i]);
}

// Eight values at a time where they start on a multiple of 8 (then they lie
// in one block: 8 divides 32): sign-extended to int32, converted (exact) and
// multiplied by the block's scale, one rounding as in the scalar d * q.
void Q8_0ToF32(const quant::BlockQ8_0* row, size_t first, size_t n,
               float* dst) {
  constexpr size_t kB = quant::kQ8_0BlockSize;
  size_t i = 0;
  auto scalar = [&](size_t e) {
    const quant::BlockQ8_0& b = row[e / kB];
    return _cvtsh_ss(b.d) * static_cast<float>(b.qs[e % kB]);
  };
  for (; i < n && (first + i) % 8 != 0; ++i) dst[i] = scalar(first + i);
  for (; i + 8 <= n; i += 8) {
    const size_t e = first + i;
    const quant::BlockQ8_0& b = row[e / kB];
    const __m256i q = _mm256_cvtepi8_epi32(
        _mm_loadl_epi64(reinterpret_cast<const __m128i*>(b.qs + e % kB)));
    _mm256_storeu_ps(dst + i, _mm256_mul_ps(_mm256_set1_ps(_cvtsh_ss(b.d)),
                                            _mm256_cvtepi32_ps(q)));
  }
  for (; i < n; ++i) dst[i] = scalar(first + i);
}

}  // namespace

const AttentionKernel kAttentionKernelAvx2 = {"avx2", &Block, &F16ToF32,
                                              &Q8_0ToF32};

}  // namespace edgellm::ops::attention_internal
