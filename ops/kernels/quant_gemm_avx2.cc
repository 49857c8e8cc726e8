// GEMM/GEMV kernels for Q4_0, Q5_0, Q4_K, Q5_K and Q6_K on AVX2 + FMA + F16C
// (x86 CPUs without AVX-512 VNNI), over the same 16-row layouts of
// quant_pack16.h as the VNNI kernels: a 64-byte plane holds rows 0..7 of the
// group in its first 32 bytes and rows 8..15 in the second, so one 256-bit
// load gives 8 rows x 4 consecutive values, one row per int32 lane. A group
// is processed as two halves of 8 rows: a decode step (batch 1) takes both
// halves of each record before the next record, a prompt batch one half
// after the other (the second pass over a group's records reads them from
// cache).
//
// AVX2 has no vpdpbusd; its integer step is done with vpmaddubsw (unsigned
// levels q times 4 broadcast activation bytes, adjacent products summed to
// int16) and vpmaddwd. Both are exact here: a level is at most 63 and an
// activation at most 128 in magnitude (Q8_0 and Q8_K round to +-127; a NaN
// input becomes -128), so an int16 pair is at most 16128, and the kernels
// add the pairs of several vpmaddubsw only while the sum stays below 2^15
// (Q4: 8 of them, at most 30720; Q5_0, Q5_K: 4, at most 31744; Q6_K: 2, at
// most 32256). vpmaddwd then
// multiplies the two int16 halves of a lane by the same value (1, or the
// sub-block's scale duplicated into both halves) and adds them: the exact
// int32 sum of scale * q * x. Everything else is the integer and float
// arithmetic of the VNNI kernels (quant_gemm_avx512vnni.cc) lane by lane,
// so the results are bit-identical to the reference kernel's (quant_gemm.h).
//
// Rows past the last whole packed group (at most 15) run the reference row
// dot. A prompt batch is cut into tiles of up to kTokenTile batch rows (AVX2
// has 16 vector registers: 8 hold a sub-block's weights); each weight vector
// is decoded once per tile.
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "ops/kernels/quant_gemm.h"
#include "ops/kernels/quant_gemm_x86_inl.h"
#include "ops/kernels/quant_pack16.h"
#include "quant/q8_0.h"
#include "quant/q8_k.h"

namespace edgellm::ops::kernels {
namespace {

constexpr int kTokenTile = 4;
constexpr int kHalfRows = kPackRows / 2;
// Software prefetch distance in the packed stream (as the VNNI kernels).
constexpr size_t kPrefetchBytes = 8192;

inline void Prefetch(const void* p) {
  _mm_prefetch(static_cast<const char*>(p) + kPrefetchBytes, _MM_HINT_T0);
}

inline int32_t Load32(const void* p) {
  int32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// Half h (rows 8h .. 8h + 7) of a 64-byte plane.
inline __m256i LoadHalf(const void* plane, int h) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(
      static_cast<const uint8_t*>(plane) + 32 * h));
}

// The 8 fp16 values of half h of a 16-entry array, as floats.
inline __m256 HalfScales(const uint16_t* d16, int h) {
  return _mm256_cvtph_ps(
      _mm_loadu_si128(reinterpret_cast<const __m128i*>(d16 + kHalfRows * h)));
}

// Broadcast of 4 activation bytes at p.
inline __m256i Bcast(const int8_t* p) { return _mm256_set1_epi32(Load32(p)); }

// Unsigned levels w times the 4 activation bytes at p: per int16 pair the
// sum of two adjacent products.
inline __m256i Pairs(__m256i w, const int8_t* p) {
  return _mm256_maddubs_epi16(w, Bcast(p));
}

// The exact int32 sum of each lane's two int16 halves.
inline __m256i SumPairs(__m256i pairs16) {
  return _mm256_madd_epi16(pairs16, _mm256_set1_epi16(1));
}

// Logical right shift of each 32-bit lane by n (not an immediate, as in the
// VNNI kernels: n is only known after unrolling).
inline __m256i Srl32(__m256i v, int n) {
  return _mm256_srl_epi32(v, _mm_cvtsi32_si128(n));
}

inline __m256i Low4(__m256i q) {
  return _mm256_and_si256(q, _mm256_set1_epi8(0x0f));
}
inline __m256i High4(__m256i q) {
  return _mm256_and_si256(_mm256_srli_epi16(q, 4), _mm256_set1_epi8(0x0f));
}

// y for the rows of [lo, hi) in half h of a group whose lane 0 is row
// `base`; the vector v holds rows base + 8h .. base + 8h + 7.
inline void StoreRows(const QuantGemmArgs& a, size_t b, size_t base, int h,
                      int lo, int hi, __m256 v) {
  alignas(32) float lanes[kHalfRows];
  _mm256_store_ps(lanes, v);
  float* y = a.y + b * a.y_stride + base;
  const int r0 = lo > kHalfRows * h ? lo : kHalfRows * h;
  const int r1 = hi < kHalfRows * (h + 1) ? hi : kHalfRows * (h + 1);
  for (int r = r0; r < r1; ++r) {
    const float dot = lanes[r - kHalfRows * h];
    y[r] = a.bias != nullptr ? dot + a.bias[base + r] : dot;
  }
}

// --- Q4_0 and Q5_0 x Q8_0 --------------------------------------------------

// The 8 weight vectors of half h of a 32-value record: w[2v] holds levels
// 8v + 0..3 of each row, w[2v + 1] levels 8v + 4..7 (Q4_0 0..15).
inline void LoadLevels32(const PackedQ4_0& p, int h, __m256i w[8]) {
  for (int v = 0; v < 4; ++v) {
    const __m256i q = LoadHalf(p.q[v], h);
    w[2 * v] = Low4(q);
    w[2 * v + 1] = High4(q);
  }
}

// Q5_0 0..31: the nibbles plus the fifth bit of half-group p = 2v (low
// nibbles) or 2v + 1 (high), bit p of each byte of p.h, moved to bit 4.
inline __m256i FifthBit(__m256i hb, int p) {
  const __m256i at4 = p <= 4 ? _mm256_sll_epi32(hb, _mm_cvtsi32_si128(4 - p))
                             : Srl32(hb, p - 4);
  return _mm256_and_si256(at4, _mm256_set1_epi8(0x10));
}
inline void LoadLevels32(const PackedQ5_0& p, int h, __m256i w[8]) {
  const __m256i hb = LoadHalf(p.h, h);
  for (int v = 0; v < 4; ++v) {
    const __m256i q = LoadHalf(p.q[v], h);
    w[2 * v] = _mm256_or_si256(Low4(q), FifthBit(hb, 2 * v));
    w[2 * v + 1] = _mm256_or_si256(High4(q), FifthBit(hb, 2 * v + 1));
  }
}

// The exact int32 sum of q * x over the 32 values of a block, per lane.
// Q4_0's levels (<= 15) allow all 8 pair sums in int16 (at most 30720);
// Q5_0's (<= 31) 4 at a time (at most 31744).
template <bool kFiveBits>
inline __m256i Dot32(const __m256i w[8], const int8_t* xq) {
  __m256i lo = _mm256_add_epi16(Pairs(w[0], xq), Pairs(w[1], xq + 4));
  lo = _mm256_add_epi16(lo, Pairs(w[2], xq + 8));
  lo = _mm256_add_epi16(lo, Pairs(w[3], xq + 12));
  __m256i hi = _mm256_add_epi16(Pairs(w[4], xq + 16), Pairs(w[5], xq + 20));
  hi = _mm256_add_epi16(hi, Pairs(w[6], xq + 24));
  hi = _mm256_add_epi16(hi, Pairs(w[7], xq + 28));
  if constexpr (kFiveBits) {
    return _mm256_add_epi32(SumPairs(lo), SumPairs(hi));
  } else {
    return SumPairs(_mm256_add_epi16(lo, hi));
  }
}

// Q4_0 (kOffset 8) and Q5_0 (16): s = sum q x - kOffset * sum x per row
// and block, then acc = fma(float(s), d_w * d_x, acc). Halves h0 .. h0 +
// kH - 1 of the group, each record's halves in turn (see Gemm).
template <typename Packed, int kOffset, int kT, int kH>
void TileQ32(const QuantGemmArgs& a, const Packed* recs, size_t base, int h0,
             int lo, int hi, size_t t0) {
  const SideQ8_0& side = SideFor<kOffset>(a);
  const size_t nb = a.n_blocks;
  __m256 acc[kH][kT];
  for (int u = 0; u < kH; ++u) {
    for (int t = 0; t < kT; ++t) acc[u][t] = _mm256_setzero_ps();
  }
#pragma GCC unroll 1
  for (size_t k = 0; k < nb; ++k) {
    const Packed& p = recs[k];
    for (size_t l = 0; l < sizeof(Packed); l += 64) {
      Prefetch(reinterpret_cast<const char*>(&p) + l);
    }
#pragma GCC unroll 2
    for (int u = 0; u < kH; ++u) {
      const int h = h0 + u;
      __m256i w[8];
      LoadLevels32(p, h, w);
      const __m256 d = HalfScales(p.d, h);
#pragma GCC unroll 4
      for (int t = 0; t < kT; ++t) {
        const size_t i = (t0 + t) * nb + k;
        const int8_t* xq = reinterpret_cast<const quant::BlockQ8_0*>(
                               ActivationRow(a, t0 + t))[k]
                               .qs;
        const __m256i s = _mm256_add_epi32(_mm256_set1_epi32(side.corr[i]),
                                           Dot32<(kOffset > 8)>(w, xq));
        acc[u][t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s),
                                    _mm256_mul_ps(d, _mm256_set1_ps(side.d[i])),
                                    acc[u][t]);
      }
    }
  }
  for (int u = 0; u < kH; ++u) {
    for (int t = 0; t < kT; ++t) {
      StoreRows(a, t0 + t, base, h0 + u, lo, hi, acc[u][t]);
    }
  }
}

// --- The K-quants x Q8_K ----------------------------------------------------

const quant::BlockQ8_K& ActK(const QuantGemmArgs& a, size_t b, size_t k) {
  return reinterpret_cast<const quant::BlockQ8_K*>(ActivationRow(a, b))[k];
}

// The activation sums of sub-blocks 2i and 2i + 1 (32 values each) of a
// Q8_K block as an int16 pair (each at most 32 * 128 in magnitude).
inline int32_t SubBlockSumPair32(const quant::BlockQ8_K& x, int i) {
  const int32_t lo = x.bsums[4 * i] + x.bsums[4 * i + 1];
  const int32_t hi = x.bsums[4 * i + 2] + x.bsums[4 * i + 3];
  return static_cast<int32_t>((static_cast<uint32_t>(lo) & 0xffff) |
                              static_cast<uint32_t>(hi) << 16);
}

// Q4_K and Q5_K share the 12-byte scales (ggml's get_scale_min_k4 for 8
// rows at once): bytes b = 0..3 of each lane are scale / minimum b (sc03,
// m03) and b + 4 (sc47, m47).
struct Scales12 {
  __m256i sc03, sc47, m03, m47;
};

inline Scales12 DecodeScales12(const uint8_t (*s)[64], int h) {
  const __m256i s0 = LoadHalf(s[0], h);
  const __m256i s1 = LoadHalf(s[1], h);
  const __m256i s2 = LoadHalf(s[2], h);
  const __m256i m6 = _mm256_set1_epi8(0x3f);
  const __m256i m4 = _mm256_set1_epi8(0x0f);
  const __m256i top = _mm256_set1_epi8(0x30);
  return Scales12{
      _mm256_and_si256(s0, m6),
      _mm256_or_si256(_mm256_and_si256(s2, m4),
                      _mm256_and_si256(_mm256_srli_epi32(s0, 2), top)),
      _mm256_and_si256(s1, m6),
      _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi32(s2, 4), m4),
                      _mm256_and_si256(_mm256_srli_epi32(s1, 2), top))};
}

// Bytes b0 and b1 (0..3) of each 32-bit lane of v as the lane's low and
// high int16 (zero-extended), in one vpshufb (it was a shift and a mask per
// byte, then a shift and an or). With b0 == b1 the byte is in both halves,
// as vpmaddwd wants a scale.
inline __m256i LaneBytePair(__m256i v, int b0, int b1) {
  const char z = static_cast<char>(0x80);  // vpshufb writes a zero
  auto at = [](int lane, int b) { return static_cast<char>(4 * lane + b); };
  const __m256i pick =
      _mm256_setr_epi8(at(0, b0), z, at(0, b1), z, at(1, b0), z, at(1, b1), z,
                       at(2, b0), z, at(2, b1), z, at(3, b0), z, at(3, b1), z,
                       at(0, b0), z, at(0, b1), z, at(1, b0), z, at(1, b1), z,
                       at(2, b0), z, at(2, b1), z, at(3, b0), z, at(3, b1), z);
  return _mm256_shuffle_epi8(v, pick);
}

// Scale j (0..7) of each row in both int16 halves of its lane.
inline __m256i ScalePair(const Scales12& s, int j) {
  return LaneBytePair(j < 4 ? s.sc03 : s.sc47, j % 4, j % 4);
}

// Minimums 2i and 2i + 1 of each row as an int16 pair (for vpmaddwd).
inline __m256i MinPair(const Scales12& s, int i) {
  const int b = 2 * (i % 2);
  return LaneBytePair(i < 2 ? s.m03 : s.m47, b, b + 1);
}

// The 8 weight vectors of sub-block j (32 values) of half h of a Q4_K/Q5_K
// record: w[2u] holds levels 32j + 8u + 0..3, w[2u + 1] levels 32j + 8u +
// 4..7.
// Prefetches the planes it reads when `prefetch` (the first half read).
template <bool kHighBit>
inline void LoadSubBlock32(const uint8_t (*q)[64], const uint8_t* hbits, int j,
                           int h, bool prefetch, __m256i w[8]) {
  __m256i hb;
  if constexpr (kHighBit) hb = LoadHalf(hbits, h);
  for (int u = 0; u < 4; ++u) {
    const uint8_t* qv = q[4 * j + u];
    if (prefetch) Prefetch(qv);
    const __m256i v = LoadHalf(qv, h);
    w[2 * u] = Low4(v);
    w[2 * u + 1] = High4(v);
    if constexpr (kHighBit) {
      // Bit p of each byte of hb is the fifth bit of that byte's value in
      // half-group p = 2u (low nibbles) and 2u + 1 (high).
      // Moved to bit 4 by one shift and a mask (as Q5_0's).
      w[2 * u] = _mm256_or_si256(w[2 * u], FifthBit(hb, 2 * u));
      w[2 * u + 1] = _mm256_or_si256(w[2 * u + 1], FifthBit(hb, 2 * u + 1));
    }
  }
}

// sc * (sum of q * x over sub-block j) for one batch row, sc_pair holding
// the scale in both int16 halves of each lane. Q4_K's levels (<= 15) allow
// all 8 pair sums in int16, Q5_K's (<= 31) 4 at a time.
template <bool kHighBit>
inline __m256i ScaledDot32(const __m256i w[8], const int8_t* xq, int j,
                           __m256i sc_pair) {
  const int8_t* x = xq + 32 * j;
  __m256i lo = _mm256_add_epi16(Pairs(w[0], x), Pairs(w[1], x + 4));
  lo = _mm256_add_epi16(lo, Pairs(w[2], x + 8));
  lo = _mm256_add_epi16(lo, Pairs(w[3], x + 12));
  __m256i hi = _mm256_add_epi16(Pairs(w[4], x + 16), Pairs(w[5], x + 20));
  hi = _mm256_add_epi16(hi, Pairs(w[6], x + 24));
  hi = _mm256_add_epi16(hi, Pairs(w[7], x + 28));
  if constexpr (kHighBit) {
    return _mm256_add_epi32(_mm256_madd_epi16(lo, sc_pair),
                            _mm256_madd_epi16(hi, sc_pair));
  } else {
    return _mm256_madd_epi16(_mm256_add_epi16(lo, hi), sc_pair);
  }
}

template <typename Packed, bool kHighBit, int kT, int kH>
void TileQ4_5K(const QuantGemmArgs& a, const Packed* recs, size_t base, int h0,
               int lo, int hi, size_t t0) {
  const size_t nb = a.n_blocks;
  __m256 acc[kH][kT], macc[kH][kT];
  for (int u = 0; u < kH; ++u) {
    for (int t = 0; t < kT; ++t) {
      acc[u][t] = _mm256_setzero_ps();
      macc[u][t] = _mm256_setzero_ps();
    }
  }
#pragma GCC unroll 1
  for (size_t k = 0; k < nb; ++k) {
    const Packed& p = recs[k];
    Prefetch(&p);
    for (int l = 0; l < 3; ++l) {
      Prefetch(reinterpret_cast<const char*>(p.s) + 64 * l);
    }
#pragma GCC unroll 2
    for (int u = 0; u < kH; ++u) {
      const int h = h0 + u;
      const Scales12 scales = DecodeScales12(p.s, h);
      // The sub-block scales for vpmaddwd, formed before the loop over
      // sub-blocks (which is not unrolled, so the byte picks stay
      // constants).
      __m256i sc_pairs[8];
#pragma GCC unroll 8
      for (int j = 0; j < 8; ++j) sc_pairs[j] = ScalePair(scales, j);
      __m256i isum[kT];
      for (int t = 0; t < kT; ++t) isum[t] = _mm256_setzero_si256();
#pragma GCC unroll 1
      for (int j = 0; j < 8; ++j) {
        __m256i w[8];
        const uint8_t* hbits = nullptr;
        if constexpr (kHighBit) {
          hbits = reinterpret_cast<const PackedQ5_K&>(p).h[j];
          if (u == 0) Prefetch(hbits);
        }
        LoadSubBlock32<kHighBit>(p.q, hbits, j, h, u == 0, w);
        const __m256i sc_pair = sc_pairs[j];
#pragma GCC unroll 4
        for (int t = 0; t < kT; ++t) {
          isum[t] = _mm256_add_epi32(
              isum[t],
              ScaledDot32<kHighBit>(w, ActK(a, t0 + t, k).qs, j, sc_pair));
        }
      }
      const __m256 d = HalfScales(p.d, h);
      const __m256 dmin = HalfScales(p.dmin, h);
      __m256i mp[4];
      for (int i = 0; i < 4; ++i) mp[i] = MinPair(scales, i);
      for (int t = 0; t < kT; ++t) {
        const quant::BlockQ8_K& x = ActK(a, t0 + t, k);
        __m256i msum = _mm256_setzero_si256();
        for (int i = 0; i < 4; ++i) {
          msum = _mm256_add_epi32(
              msum, _mm256_madd_epi16(
                        mp[i], _mm256_set1_epi32(SubBlockSumPair32(x, i))));
        }
        const __m256 dx = _mm256_set1_ps(x.d);
        acc[u][t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[t]),
                                    _mm256_mul_ps(d, dx), acc[u][t]);
        macc[u][t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(msum),
                                     _mm256_mul_ps(dmin, dx), macc[u][t]);
      }
    }
  }
  for (int u = 0; u < kH; ++u) {
    for (int t = 0; t < kT; ++t) {
      StoreRows(a, t0 + t, base, h0 + u, lo, hi,
                _mm256_sub_ps(acc[u][t], macc[u][t]));
    }
  }
}

// The int16 in the low (kHigh false) or high half of each 32-bit lane,
// copied into both halves (for vpmaddwd): one byte shuffle.
template <bool kHigh>
inline __m256i DupHalf16(__m256i v) {
  constexpr char b0 = kHigh ? 2 : 0, b1 = kHigh ? 3 : 1;
  const __m256i pick = _mm256_setr_epi8(
      b0, b1, b0, b1, b0 + 4, b1 + 4, b0 + 4, b1 + 4, b0 + 8, b1 + 8, b0 + 8,
      b1 + 8, b0 + 12, b1 + 12, b0 + 12, b1 + 12, b0, b1, b0, b1, b0 + 4,
      b1 + 4, b0 + 4, b1 + 4, b0 + 8, b1 + 8, b0 + 8, b1 + 8, b0 + 12, b1 + 12,
      b0 + 12, b1 + 12);
  return _mm256_shuffle_epi8(v, pick);
}

// The 2-bit field at bits [b, b + 2) of each byte of hp moved to bits 4-5
// (zeros elsewhere): Q6_K's top bits placed above a nibble. b is even; the
// shifts are 32-bit, but the mask keeps only bits that stayed in their
// byte.
inline __m256i TopBitsAt4(__m256i hp, int b) {
  const __m256i at4 = b < 4    ? _mm256_slli_epi32(hp, 4 - b)
                      : b == 4 ? hp
                               : _mm256_srli_epi32(hp, b - 4);
  return _mm256_and_si256(at4, _mm256_set1_epi8(0x30));
}

template <int kT, int kH>
void TileQ6_K(const QuantGemmArgs& a, const PackedQ6_K* recs, size_t base,
              int h0, int lo, int hi, size_t t0) {
  const size_t nb = a.n_blocks;
  __m256 acc[kH][kT];
  for (int u = 0; u < kH; ++u) {
    for (int t = 0; t < kT; ++t) acc[u][t] = _mm256_setzero_ps();
  }
#pragma GCC unroll 1
  for (size_t k = 0; k < nb; ++k) {
    const PackedQ6_K& p = recs[k];
    Prefetch(&p);
    for (int l = 0; l < 4; ++l) {
      Prefetch(reinterpret_cast<const char*>(p.s) + 64 * l);
    }
#pragma GCC unroll 2
    for (int hu = 0; hu < kH; ++hu) {
      const int h = h0 + hu;
      // Scales 2i, 2i + 1 of rows 8h .. 8h + 7 as int16 pairs.
      __m256i sp[8];
      for (int i = 0; i < 8; ++i) {
        sp[i] = _mm256_cvtepi8_epi16(_mm_loadu_si128(
            reinterpret_cast<const __m128i*>(p.s[i] + 2 * kHalfRows * h)));
      }
      __m256i isum[kT];
      for (int t = 0; t < kT; ++t) isum[t] = _mm256_setzero_si256();
#pragma GCC unroll 1
      for (int j = 0; j < 8; ++j) {  // 32 values: sub-blocks 2j and 2j + 1
        if (hu == 0) {
          Prefetch(p.h[2 * j]);
          Prefetch(p.h[2 * j + 1]);
        }
        const __m256i h0v = LoadHalf(p.h[2 * j], h);
        const __m256i h1v = LoadHalf(p.h[2 * j + 1], h);
        __m256i w[8];
        for (int u = 0; u < 4; ++u) {
          const uint8_t* qv = p.q[4 * j + u];
          if (hu == 0) Prefetch(qv);
          const __m256i v = LoadHalf(qv, h);
          // Half-groups 2u (values 8u + 0..3) and 2u + 1: plane p / 4, bits
          // 2 (p % 4). Two or three operations per vector (four or five
          // before: the top bits shifted down, masked and shifted up).
          const int p0 = 2 * u, p1 = 2 * u + 1;
          const __m256i hp0 = p0 < 4 ? h0v : h1v, hp1 = p1 < 4 ? h0v : h1v;
          w[2 * u] = _mm256_or_si256(Low4(v), TopBitsAt4(hp0, 2 * (p0 % 4)));
          w[2 * u + 1] =
              _mm256_or_si256(High4(v), TopBitsAt4(hp1, 2 * (p1 % 4)));
        }
        // The signed scales of sub-blocks 2j (low int16 of each lane) and
        // 2j + 1 (high), each duplicated into both halves.
        const __m256i sc_even = DupHalf16<false>(sp[j]);
        const __m256i sc_odd = DupHalf16<true>(sp[j]);
#pragma GCC unroll 4
        for (int t = 0; t < kT; ++t) {
          const int8_t* xq = ActK(a, t0 + t, k).qs + 32 * j;
          // Levels <= 63: two pair sums at a time stay exact in int16.
          __m256i s = _mm256_madd_epi16(
              _mm256_add_epi16(Pairs(w[0], xq), Pairs(w[1], xq + 4)), sc_even);
          s = _mm256_add_epi32(
              s, _mm256_madd_epi16(_mm256_add_epi16(Pairs(w[2], xq + 8),
                                                    Pairs(w[3], xq + 12)),
                                   sc_even));
          s = _mm256_add_epi32(
              s, _mm256_madd_epi16(_mm256_add_epi16(Pairs(w[4], xq + 16),
                                                    Pairs(w[5], xq + 20)),
                                   sc_odd));
          s = _mm256_add_epi32(
              s, _mm256_madd_epi16(_mm256_add_epi16(Pairs(w[6], xq + 24),
                                                    Pairs(w[7], xq + 28)),
                                   sc_odd));
          isum[t] = _mm256_add_epi32(isum[t], s);
        }
      }
      const __m256 d = HalfScales(p.d, h);
      for (int t = 0; t < kT; ++t) {
        const quant::BlockQ8_K& x = ActK(a, t0 + t, k);
        // The levels' offset 32: minus 32 * sum_j sc_j * (sums of j).
        __m256i off = _mm256_setzero_si256();
        for (int i = 0; i < 8; ++i) {
          off = _mm256_add_epi32(
              off, _mm256_madd_epi16(
                       sp[i], _mm256_set1_epi32(Load32(x.bsums + 2 * i))));
        }
        const __m256i s = _mm256_sub_epi32(isum[t], _mm256_slli_epi32(off, 5));
        acc[hu][t] =
            _mm256_fmadd_ps(_mm256_cvtepi32_ps(s),
                            _mm256_mul_ps(d, _mm256_set1_ps(x.d)), acc[hu][t]);
      }
    }
  }
  for (int u = 0; u < kH; ++u) {
    for (int t = 0; t < kT; ++t) {
      StoreRows(a, t0 + t, base, h0 + u, lo, hi, acc[u][t]);
    }
  }
}

// --- The driver -------------------------------------------------------------

struct Q4_0Tiles {
  using Record = PackedQ4_0;
  template <int kT, int kH>
  static void Tile(const QuantGemmArgs& a, const Record* r, size_t base, int h,
                   int lo, int hi, size_t t0) {
    TileQ32<PackedQ4_0, 8, kT, kH>(a, r, base, h, lo, hi, t0);
  }
};
struct Q5_0Tiles {
  using Record = PackedQ5_0;
  template <int kT, int kH>
  static void Tile(const QuantGemmArgs& a, const Record* r, size_t base, int h,
                   int lo, int hi, size_t t0) {
    TileQ32<PackedQ5_0, 16, kT, kH>(a, r, base, h, lo, hi, t0);
  }
};
struct Q4_KTiles {
  using Record = PackedQ4_K;
  template <int kT, int kH>
  static void Tile(const QuantGemmArgs& a, const Record* r, size_t base, int h,
                   int lo, int hi, size_t t0) {
    TileQ4_5K<PackedQ4_K, false, kT, kH>(a, r, base, h, lo, hi, t0);
  }
};
struct Q5_KTiles {
  using Record = PackedQ5_K;
  template <int kT, int kH>
  static void Tile(const QuantGemmArgs& a, const Record* r, size_t base, int h,
                   int lo, int hi, size_t t0) {
    TileQ4_5K<PackedQ5_K, true, kT, kH>(a, r, base, h, lo, hi, t0);
  }
};
struct Q6_KTiles {
  using Record = PackedQ6_K;
  template <int kT, int kH>
  static void Tile(const QuantGemmArgs& a, const Record* r, size_t base, int h,
                   int lo, int hi, size_t t0) {
    TileQ6_K<kT, kH>(a, r, base, h, lo, hi, t0);
  }
};

template <typename Tiles>
void TileAnyTokens(int tokens, const QuantGemmArgs& a,
                   const typename Tiles::Record* r, size_t base, int h, int lo,
                   int hi, size_t t0) {
  switch (tokens) {
    case 1:
      return Tiles::template Tile<1, 1>(a, r, base, h, lo, hi, t0);
    case 2:
      return Tiles::template Tile<2, 1>(a, r, base, h, lo, hi, t0);
    case 3:
      return Tiles::template Tile<3, 1>(a, r, base, h, lo, hi, t0);
    default:
      return Tiles::template Tile<kTokenTile, 1>(a, r, base, h, lo, hi, t0);
  }
}

// Rows [o_begin, o_end): whole packed groups, then any rows past
// packed_rows through the reference row dot. A decode step (batch 1) reads
// each record's two halves of 8 rows in turn, so the group streams from
// memory once at an even pace; taking the halves one after the other
// instead read the whole group from DRAM in the first pass and computed the
// second from cache, leaving the memory idle for it. A prompt batch takes
// the halves in turn (its tiles' accumulators leave no registers for a
// second half; it is bound by compute, and the second pass reads the
// group from cache).
template <typename Tiles>
void Gemm(const QuantGemmArgs& a, size_t o_begin, size_t o_end,
          QuantRowDotFn ref_dot) {
  using Record = typename Tiles::Record;
  size_t o = o_begin;
  while (o < o_end && o < a.packed_rows) {
    const size_t g = o / kPackRows * kPackRows;
    const size_t end = o_end < g + kPackRows ? o_end : g + kPackRows;
    const auto* recs = reinterpret_cast<const Record*>(
        static_cast<const uint8_t*>(a.w) + g * a.w_row_bytes);
    const int lo = static_cast<int>(o - g), hi = static_cast<int>(end - g);
    if (a.batch == 1 && lo < kHalfRows && hi > kHalfRows) {
      Tiles::template Tile<1, 2>(a, recs, g, 0, lo, hi, 0);
      o = end;
      continue;
    }
    for (int h = 0; h < 2; ++h) {
      if (lo >= kHalfRows * (h + 1) || hi <= kHalfRows * h) continue;
      for (size_t t0 = 0; t0 < a.batch; t0 += kTokenTile) {
        const size_t left = a.batch - t0;
        TileAnyTokens<Tiles>(
            static_cast<int>(left < kTokenTile ? left : kTokenTile), a, recs, g,
            h, lo, hi, t0);
      }
    }
    o = end;
  }
  for (; o < o_end; ++o) {
    const uint8_t* w = static_cast<const uint8_t*>(a.w) + o * a.w_row_bytes;
    for (size_t b = 0; b < a.batch; ++b) {
      float v = ref_dot(w, ActivationRow(a, b), a.n_blocks);
      if (a.bias != nullptr) v += a.bias[o];
      a.y[b * a.y_stride + o] = v;
    }
  }
}

// --- Q8_K activations ------------------------------------------------------

// Block b's 256 values: the largest magnitude (NaN skipped: vmaxps returns
// its second operand, the running maximum, when the first is NaN), then the
// first value that has it, as the reference's strict `>` scan finds it.
inline float LargestMagnitudeValue(const float* x, float* amax_out) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  __m256 m[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
                 _mm256_setzero_ps()};
  for (int j = 0; j < quant::kQK_K; j += 32) {
    for (int u = 0; u < 4; ++u) {
      m[u] = _mm256_max_ps(
          _mm256_andnot_ps(sign, _mm256_loadu_ps(x + j + 8 * u)), m[u]);
    }
  }
  __m256 mm =
      _mm256_max_ps(_mm256_max_ps(m[0], m[1]), _mm256_max_ps(m[2], m[3]));
  __m128 h =
      _mm_max_ps(_mm256_castps256_ps128(mm), _mm256_extractf128_ps(mm, 1));
  h = _mm_max_ps(h, _mm_movehl_ps(h, h));
  h = _mm_max_ss(h, _mm_shuffle_ps(h, h, 1));
  const float amax = _mm_cvtss_f32(h);
  *amax_out = amax;
  if (amax == 0.0f) return 0.0f;
  const __m256 want = _mm256_set1_ps(amax);
  for (int j = 0; j < quant::kQK_K; j += 8) {
    const int eq = _mm256_movemask_ps(_mm256_cmp_ps(
        _mm256_andnot_ps(sign, _mm256_loadu_ps(x + j)), want, _CMP_EQ_OQ));
    if (eq != 0) return x[j + __builtin_ctz(static_cast<unsigned>(eq))];
  }
  return 0.0f;  // not reached: amax is one of the values
}

}  // namespace

// quant::QuantizeRowQ8_K 8 values at a time, byte for byte: the same float
// product iscale * x, ggml's nearest_int through the 1.5 * 2^23 addition on
// the bits, min(127, .) and the int -> int8 conversion as a truncation to
// the low byte (packs of the low bytes, not saturating packs).
void QuantizeRowQ8_KAvx2(const float* x, void* y_out, int64_t k) {
  auto* y = static_cast<quant::BlockQ8_K*>(y_out);
  const __m256 magic = _mm256_set1_ps(12582912.0f);
  const __m256i mantissa = _mm256_set1_epi32(0x007fffff);
  const __m256i bias = _mm256_set1_epi32(0x00400000);
  const __m256i q_max = _mm256_set1_epi32(127);
  const __m256i low_byte = _mm256_set1_epi32(0xff);
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  const __m256i flip = _mm256_set1_epi8(static_cast<char>(0x80));
  for (int64_t b = 0; b < k / quant::kQK_K; ++b, x += quant::kQK_K) {
    float amax;
    const float max = LargestMagnitudeValue(x, &amax);
    if (amax == 0.0f) {
      std::memset(&y[b], 0, sizeof(y[b]));
      continue;
    }
    const float iscale = -127.0f / max;
    const __m256 vs = _mm256_set1_ps(iscale);
    for (int j = 0; j < quant::kQK_K; j += 32) {
      __m256i q[4];
      for (int u = 0; u < 4; ++u) {
        const __m256 f = _mm256_add_ps(
            _mm256_mul_ps(vs, _mm256_loadu_ps(x + j + 8 * u)), magic);
        const __m256i i = _mm256_sub_epi32(
            _mm256_and_si256(_mm256_castps_si256(f), mantissa), bias);
        q[u] = _mm256_and_si256(_mm256_min_epi32(i, q_max), low_byte);
      }
      const __m256i p = _mm256_packus_epi16(_mm256_packus_epi32(q[0], q[1]),
                                            _mm256_packus_epi32(q[2], q[3]));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(y[b].qs + j),
                          _mm256_permutevar8x32_epi32(p, order));
    }
    // Sums of 16: sad of (q ^ 0x80) against zero adds 8 values + 8 * 128.
    for (int g = 0; g < quant::kQK_K / 16; g += 2) {
      const __m256i sad = _mm256_sad_epu8(
          _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(
                               y[b].qs + 16 * g)),
                           flip),
          _mm256_setzero_si256());
      alignas(32) int64_t s[4];
      _mm256_store_si256(reinterpret_cast<__m256i*>(s), sad);
      y[b].bsums[g] = static_cast<int16_t>(s[0] + s[1] - 16 * 128);
      y[b].bsums[g + 1] = static_cast<int16_t>(s[2] + s[3] - 16 * 128);
    }
    y[b].d = 1 / iscale;
  }
}

void QuantGemmQ4_0Avx2(const QuantGemmArgs& a, size_t o_begin, size_t o_end) {
  Gemm<Q4_0Tiles>(a, o_begin, o_end, QuantRowDotRef(gguf::TensorType::kQ4_0));
}
void QuantGemmQ5_0Avx2(const QuantGemmArgs& a, size_t o_begin, size_t o_end) {
  Gemm<Q5_0Tiles>(a, o_begin, o_end, QuantRowDotRef(gguf::TensorType::kQ5_0));
}
void QuantGemmQ4_KAvx2(const QuantGemmArgs& a, size_t o_begin, size_t o_end) {
  Gemm<Q4_KTiles>(a, o_begin, o_end, QuantRowDotRef(gguf::TensorType::kQ4_K));
}
void QuantGemmQ5_KAvx2(const QuantGemmArgs& a, size_t o_begin, size_t o_end) {
  Gemm<Q5_KTiles>(a, o_begin, o_end, QuantRowDotRef(gguf::TensorType::kQ5_K));
}
void QuantGemmQ6_KAvx2(const QuantGemmArgs& a, size_t o_begin, size_t o_end) {
  Gemm<Q6_KTiles>(a, o_begin, o_end, QuantRowDotRef(gguf::TensorType::kQ6_K));
}

}  // namespace edgellm::ops::kernels
