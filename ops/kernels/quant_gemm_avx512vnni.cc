// GEMM/GEMV kernels for Q4_0, Q5_0, Q4_K, Q5_K and Q6_K on AVX-512 VNNI, over
// the 16-row layouts of quant_pack16.h: one weight row per int32 lane.
//
// Per (16 rows, block or super-block, batch row) the integer part of the
// contract (quant_gemm.h) is formed lane by lane: the unsigned levels q
// (nibbles, plus the high-bit plane for Q5_0/Q5_K/Q6_K) are multiplied with 4
// broadcast activation bytes by vpdpbusd, giving each row's exact sum of
// q * x over 4 values per instruction. Then
//   Q4_0, Q5_0: s = sum q x - 8 sum x (Q5_0: 16 sum x; the activation
//         block's sum, once per call);
//   Q4_K/Q5_K: isum = sum_j sc_j * (sum q x over sub-block j), and
//         msum = sum_j m_j * (activation sums of sub-block j) by vpdpwssd;
//   Q6_K: isum = sum_j sc_j * (sum q x) - 32 * sum_j sc_j * (sums of j);
// all exact int32, and the float steps follow the contract lane by lane
// (cvt, one mul for d_w * d_x, one fma per block or super-block), so the
// results are bit-identical to the reference kernel's.
//
// Rows past the last whole packed group (at most 15) run the reference row
// dot. A prompt batch is cut into tiles of up to kTokenTile batch rows; each
// weight vector is decoded once per tile.
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

constexpr int kTokenTile = 8;
// Software prefetch distance in the packed stream (as the Q8_0 VNNI kernel).
constexpr size_t kPrefetchBytes = 8192;

inline void Prefetch(const void* p) {
  _mm_prefetch(static_cast<const char*>(p) + kPrefetchBytes, _MM_HINT_T0);
}

inline int32_t Load32(const void* p) {
  int32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// Broadcast of 4 activation bytes at p.
inline __m512i Bcast(const int8_t* p) { return _mm512_set1_epi32(Load32(p)); }

// Logical right shift of each 32-bit lane by n (not an immediate: GCC 12's
// immediate-shift intrinsics warn when n is only known after unrolling).
inline __m512i Srl32(__m512i v, int n) {
  return _mm512_srl_epi32(v, _mm_cvtsi32_si128(n));
}

inline __m512i Low4(__m512i q) {
  return _mm512_and_si512(q, _mm512_set1_epi8(0x0f));
}
inline __m512i High4(__m512i q) {
  return _mm512_and_si512(_mm512_srli_epi16(q, 4), _mm512_set1_epi8(0x0f));
}

// y for lanes [lo, hi) of a group whose lane 0 is row `base`, batch row b.
inline void StoreRows(const QuantGemmArgs& a, size_t b, size_t base, int lo,
                      int hi, __m512 v) {
  const __mmask16 m =
      static_cast<__mmask16>(((1u << hi) - 1) & ~((1u << lo) - 1));
  if (a.bias != nullptr)
    v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, a.bias + base));
  _mm512_mask_storeu_ps(a.y + b * a.y_stride + base, m, v);
}

// --- Q4_0 and Q5_0 x Q8_0 ---------------------------------------------------

// The 8 weight vectors of a 32-value record: w[2v] holds levels 8v + 0..3
// of each row, w[2v + 1] levels 8v + 4..7 (unsigned: Q4_0 0..15).
inline void LoadLevels32(const PackedQ4_0& p, __m512i w[8]) {
  for (int v = 0; v < 4; ++v) {
    const __m512i q = _mm512_loadu_si512(p.q[v]);
    w[2 * v] = Low4(q);
    w[2 * v + 1] = High4(q);
  }
}

// Q5_0 0..31: the nibbles plus the fifth bit of half-group p = 2v (low
// nibbles) or 2v + 1 (high), bit p of each byte of p.h, moved to bit 4.
inline __m512i FifthBit(__m512i hb, int p) {
  const __m512i at4 = p <= 4 ? _mm512_sll_epi32(hb, _mm_cvtsi32_si128(4 - p))
                             : Srl32(hb, p - 4);
  return _mm512_and_si512(at4, _mm512_set1_epi8(0x10));
}
inline void LoadLevels32(const PackedQ5_0& p, __m512i w[8]) {
  const __m512i hb = _mm512_loadu_si512(p.h);
  for (int v = 0; v < 4; ++v) {
    const __m512i q = _mm512_loadu_si512(p.q[v]);
    w[2 * v] = _mm512_or_si512(Low4(q), FifthBit(hb, 2 * v));
    w[2 * v + 1] = _mm512_or_si512(High4(q), FifthBit(hb, 2 * v + 1));
  }
}

// Q4_0 (kOffset 8) and Q5_0 (16): s = sum q x - kOffset * sum x per row
// and block, then acc = fma(float(s), d_w * d_x, acc).
template <typename Packed, int kOffset, int kT>
void TileQ32(const QuantGemmArgs& a, const Packed* recs, size_t base, int lo,
             int hi, size_t t0) {
  const SideQ8_0& side = SideFor<kOffset>(a);
  const size_t nb = a.n_blocks;
  __m512 acc[kT];
  for (int t = 0; t < kT; ++t) acc[t] = _mm512_setzero_ps();
#pragma GCC unroll 1
  for (size_t k = 0; k < nb; ++k) {
    const Packed& p = recs[k];
    for (size_t l = 0; l < sizeof(Packed); l += 64) {
      Prefetch(reinterpret_cast<const char*>(&p) + l);
    }
    __m512i w[8];
    LoadLevels32(p, w);
    const __m512 d = _mm512_cvtph_ps(
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p.d)));
#pragma GCC unroll 8
    for (int t = 0; t < kT; ++t) {
      const size_t i = (t0 + t) * nb + k;
      const int8_t* xq =
          reinterpret_cast<const quant::BlockQ8_0*>(ActivationRow(a, t0 + t))[k]
              .qs;
      __m512i s = _mm512_set1_epi32(side.corr[i]);
      for (int v = 0; v < 4; ++v) {
        s = _mm512_dpbusd_epi32(s, w[2 * v], Bcast(xq + 8 * v));
        s = _mm512_dpbusd_epi32(s, w[2 * v + 1], Bcast(xq + 8 * v + 4));
      }
      acc[t] =
          _mm512_fmadd_ps(_mm512_cvtepi32_ps(s),
                          _mm512_mul_ps(d, _mm512_set1_ps(side.d[i])), acc[t]);
    }
  }
  for (int t = 0; t < kT; ++t) StoreRows(a, t0 + t, base, lo, hi, acc[t]);
}

// --- The K-quants x Q8_K
// -------------------------------------------------------

const quant::BlockQ8_K& ActK(const QuantGemmArgs& a, size_t b, size_t k) {
  return reinterpret_cast<const quant::BlockQ8_K*>(ActivationRow(a, b))[k];
}

// The activation sums of the 8 sub-blocks of 32 values of a Q8_K block as
// int16 pairs (sub-blocks 2i, 2i + 1) in pairs[i].
inline void SubBlockSumPairs32(const quant::BlockQ8_K& x, int32_t pairs[4]) {
  const __m256i b16 =
      _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.bsums));
  const __m256i sums = _mm256_madd_epi16(b16, _mm256_set1_epi16(1));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(pairs),
                   _mm256_cvtepi32_epi16(sums));
}

// Float accumulation of a K-quant super-block for batch row t, per the
// contract: acc = fma(isum, d_w * d_x, acc), macc = fma(msum, dmin_w * d_x,
// macc).
struct KAcc {
  __m512 acc = _mm512_setzero_ps(), macc = _mm512_setzero_ps();
};

// Q4_K and Q5_K share the 12-byte scales (ggml's get_scale_min_k4 for 16
// rows at once): bytes b = 0..3 of each lane are scale / minimum b (sc03,
// m03) and b + 4 (sc47, m47).
struct Scales12 {
  __m512i sc03, sc47, m03, m47;
};

inline Scales12 DecodeScales12(const uint8_t (*s)[64]) {
  const __m512i s0 = _mm512_loadu_si512(s[0]);
  const __m512i s1 = _mm512_loadu_si512(s[1]);
  const __m512i s2 = _mm512_loadu_si512(s[2]);
  const __m512i m6 = _mm512_set1_epi8(0x3f);
  const __m512i m4 = _mm512_set1_epi8(0x0f);
  const __m512i top = _mm512_set1_epi8(0x30);
  return Scales12{
      _mm512_and_si512(s0, m6),
      _mm512_or_si512(_mm512_and_si512(s2, m4),
                      _mm512_and_si512(_mm512_srli_epi32(s0, 2), top)),
      _mm512_and_si512(s1, m6),
      _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi32(s2, 4), m4),
                      _mm512_and_si512(_mm512_srli_epi32(s1, 2), top))};
}

// Byte b of each lane as an int32.
inline __m512i LaneByte(__m512i v, int b) {
  return _mm512_and_si512(Srl32(v, 8 * b), _mm512_set1_epi32(0xff));
}

// Scale j (0..7) of each row as int32 lanes.
inline __m512i ScaleOf(const Scales12& s, int j) {
  return LaneByte(j < 4 ? s.sc03 : s.sc47, j % 4);
}

// Minimums 2i and 2i + 1 of each row as an int16 pair (for vpdpwssd).
inline __m512i MinPair(const Scales12& s, int i) {
  const __m512i v = i < 2 ? s.m03 : s.m47;
  const int b = 2 * (i % 2);
  return _mm512_or_si512(LaneByte(v, b),
                         _mm512_slli_epi32(LaneByte(v, b + 1), 16));
}

// The 8 weight vectors of sub-block j (32 values) of a Q4_K/Q5_K record:
// w[2u] holds levels 32j + 8u + 0..3, w[2u + 1] levels 32j + 8u + 4..7.
template <bool kHighBit>
inline void LoadSubBlock32(const uint8_t (*q)[64], const uint8_t* h, int j,
                           __m512i w[8]) {
  __m512i hb;
  if constexpr (kHighBit) hb = _mm512_loadu_si512(h);
  const __m512i one = _mm512_set1_epi8(1);
  for (int u = 0; u < 4; ++u) {
    const uint8_t* qv = q[4 * j + u];
    Prefetch(qv);
    const __m512i v = _mm512_loadu_si512(qv);
    w[2 * u] = Low4(v);
    w[2 * u + 1] = High4(v);
    if constexpr (kHighBit) {
      // Bit p of each byte of hb is the fifth bit of that byte's value in
      // half-group p = 2u (low nibbles) and 2u + 1 (high).
      const __m512i b0 = _mm512_and_si512(Srl32(hb, 2 * u), one);
      const __m512i b1 = _mm512_and_si512(Srl32(hb, 2 * u + 1), one);
      w[2 * u] = _mm512_or_si512(w[2 * u], _mm512_slli_epi32(b0, 4));
      w[2 * u + 1] = _mm512_or_si512(w[2 * u + 1], _mm512_slli_epi32(b1, 4));
    }
  }
}

// sum of q * x over sub-block j (32 values) for one batch row.
inline __m512i Dot32(const __m512i w[8], const int8_t* xq, int j) {
  __m512i s = _mm512_setzero_si512();
  for (int u = 0; u < 4; ++u) {
    s = _mm512_dpbusd_epi32(s, w[2 * u], Bcast(xq + 32 * j + 8 * u));
    s = _mm512_dpbusd_epi32(s, w[2 * u + 1], Bcast(xq + 32 * j + 8 * u + 4));
  }
  return s;
}

template <typename Packed, bool kHighBit, int kT>
void TileQ4_5K(const QuantGemmArgs& a, const Packed* recs, size_t base, int lo,
               int hi, size_t t0) {
  const size_t nb = a.n_blocks;
  KAcc acc[kT];
#pragma GCC unroll 1
  for (size_t k = 0; k < nb; ++k) {
    const Packed& p = recs[k];
    Prefetch(&p);
    Prefetch(p.s);
    Prefetch(reinterpret_cast<const char*>(p.s) + 64);
    Prefetch(reinterpret_cast<const char*>(p.s) + 128);
    const Scales12 scales = DecodeScales12(p.s);
    __m512i isum[kT];
    for (int t = 0; t < kT; ++t) isum[t] = _mm512_setzero_si512();
#pragma GCC unroll 1
    for (int j = 0; j < 8; ++j) {
      __m512i w[8];
      const uint8_t* h = nullptr;
      if constexpr (kHighBit) {
        h = reinterpret_cast<const PackedQ5_K&>(p).h[j];
        Prefetch(h);
      }
      LoadSubBlock32<kHighBit>(p.q, h, j, w);
      const __m512i sc = ScaleOf(scales, j);
#pragma GCC unroll 8
      for (int t = 0; t < kT; ++t) {
        const __m512i s = Dot32(w, ActK(a, t0 + t, k).qs, j);
        isum[t] = _mm512_add_epi32(isum[t], _mm512_mullo_epi32(s, sc));
      }
    }
    const __m512 d = _mm512_cvtph_ps(
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p.d)));
    const __m512 dmin = _mm512_cvtph_ps(
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p.dmin)));
    __m512i mp[4];
    for (int i = 0; i < 4; ++i) mp[i] = MinPair(scales, i);
    for (int t = 0; t < kT; ++t) {
      const quant::BlockQ8_K& x = ActK(a, t0 + t, k);
      alignas(16) int32_t pairs[4];
      SubBlockSumPairs32(x, pairs);
      __m512i msum = _mm512_setzero_si512();
      for (int i = 0; i < 4; ++i) {
        msum = _mm512_dpwssd_epi32(msum, mp[i], _mm512_set1_epi32(pairs[i]));
      }
      const __m512 dx = _mm512_set1_ps(x.d);
      acc[t].acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[t]),
                                   _mm512_mul_ps(d, dx), acc[t].acc);
      acc[t].macc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(msum),
                                    _mm512_mul_ps(dmin, dx), acc[t].macc);
    }
  }
  for (int t = 0; t < kT; ++t) {
    StoreRows(a, t0 + t, base, lo, hi, _mm512_sub_ps(acc[t].acc, acc[t].macc));
  }
}

// Q6_K's levels from a nibble plane and the top bits. An h plane holds, in
// bits 2p..2p + 1 of each byte, the top two bits of half-group p (p < 4);
// masked once into the even (p = 0, 2: bits 0-1, 4-5) and odd (1, 3: bits
// 2-3, 6-7) half-groups, a 32-bit shift by 4 - 2p brings half-group p to
// bits 4-5 of the same byte with zeros in bits 6-7 (what moves in from the
// neighbouring byte lands in bits 0-3, or is a masked-out pair), and one
// vpternlogd takes bits 0-3 from the nibble and bits 4-7 from there. Per
// weight vector one shift at most and one vpternlogd, where a shift down, a
// mask, a shift up and an or took four.
struct TopPlanes {
  __m512i even, odd;
};

inline TopPlanes MaskTopPlanes(__m512i h) {
  return {_mm512_and_si512(h, _mm512_set1_epi8(0x33)),
          _mm512_and_si512(h, _mm512_set1_epi8(static_cast<char>(0xcc)))};
}

// Half-group p's top bits at bits 4-5, zeros at 6-7 (bits 0-3: any).
inline __m512i TopAt4(const TopPlanes& t, int p) {
  switch (p) {
    case 0:
      return _mm512_slli_epi32(t.even, 4);
    case 1:
      return _mm512_slli_epi32(t.odd, 2);
    case 2:
      return t.even;
    default:
      return _mm512_srli_epi32(t.odd, 2);
  }
}

// Bits 0-3 of `nibbles` (the level's low 4 bits; bits 4-7 any), bits 4-7 of
// `top`: vpternlogd's C ? A : B with C = 0x0f.
inline __m512i Level6(__m512i nibbles, __m512i top) {
  return _mm512_ternarylogic_epi32(nibbles, top, _mm512_set1_epi8(0x0f), 0xe4);
}

template <int kT>
void TileQ6_K(const QuantGemmArgs& a, const PackedQ6_K* recs, size_t base,
              int lo, int hi, size_t t0) {
  const size_t nb = a.n_blocks;
  __m512 acc[kT];
  for (int t = 0; t < kT; ++t) acc[t] = _mm512_setzero_ps();
#pragma GCC unroll 1
  for (size_t k = 0; k < nb; ++k) {
    const PackedQ6_K& p = recs[k];
    Prefetch(&p);
    for (int l = 0; l < 4; ++l)
      Prefetch(reinterpret_cast<const char*>(p.s) + 64 * l);
    // Scales 2i, 2i + 1 of each row as int16 pairs.
    __m512i sp[8];
    for (int i = 0; i < 8; ++i) {
      sp[i] = _mm512_cvtepi8_epi16(
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p.s[i])));
    }
    __m512i isum[kT];
    for (int t = 0; t < kT; ++t) isum[t] = _mm512_setzero_si512();
#pragma GCC unroll 1
    for (int j = 0; j < 8; ++j) {  // 32 values: sub-blocks 2j and 2j + 1
      Prefetch(p.h[2 * j]);
      Prefetch(p.h[2 * j + 1]);
      const TopPlanes top0 = MaskTopPlanes(_mm512_loadu_si512(p.h[2 * j]));
      const TopPlanes top1 = MaskTopPlanes(_mm512_loadu_si512(p.h[2 * j + 1]));
      __m512i w[8];
      for (int u = 0; u < 4; ++u) {
        const uint8_t* qv = p.q[4 * j + u];
        Prefetch(qv);
        const __m512i v = _mm512_loadu_si512(qv);
        // Half-groups 2u (values 8u + 0..3) and 2u + 1: plane p / 4, bits
        // 2 (p % 4).
        const int p0 = 2 * u, p1 = 2 * u + 1;
        const TopPlanes& tp0 = p0 < 4 ? top0 : top1;
        const TopPlanes& tp1 = p1 < 4 ? top0 : top1;
        w[2 * u] = Level6(v, TopAt4(tp0, p0 % 4));
        w[2 * u + 1] = Level6(_mm512_srli_epi16(v, 4), TopAt4(tp1, p1 % 4));
      }
      const __m512i sc_even =
          _mm512_srai_epi32(_mm512_slli_epi32(sp[j], 16), 16);
      const __m512i sc_odd = _mm512_srai_epi32(sp[j], 16);
#pragma GCC unroll 8
      for (int t = 0; t < kT; ++t) {
        const int8_t* xq = ActK(a, t0 + t, k).qs + 32 * j;
        __m512i s0 = _mm512_setzero_si512(), s1 = _mm512_setzero_si512();
        for (int u = 0; u < 2; ++u) {
          s0 = _mm512_dpbusd_epi32(s0, w[2 * u], Bcast(xq + 8 * u));
          s0 = _mm512_dpbusd_epi32(s0, w[2 * u + 1], Bcast(xq + 8 * u + 4));
          s1 = _mm512_dpbusd_epi32(s1, w[2 * u + 4], Bcast(xq + 16 + 8 * u));
          s1 =
              _mm512_dpbusd_epi32(s1, w[2 * u + 5], Bcast(xq + 16 + 8 * u + 4));
        }
        isum[t] = _mm512_add_epi32(
            isum[t], _mm512_add_epi32(_mm512_mullo_epi32(s0, sc_even),
                                      _mm512_mullo_epi32(s1, sc_odd)));
      }
    }
    const __m512 d = _mm512_cvtph_ps(
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p.d)));
    for (int t = 0; t < kT; ++t) {
      const quant::BlockQ8_K& x = ActK(a, t0 + t, k);
      // The levels' offset 32: minus 32 * sum_j sc_j * (sums of j).
      __m512i off = _mm512_setzero_si512();
      for (int i = 0; i < 8; ++i) {
        off = _mm512_dpwssd_epi32(off, sp[i],
                                  _mm512_set1_epi32(Load32(x.bsums + 2 * i)));
      }
      const __m512i s = _mm512_sub_epi32(isum[t], _mm512_slli_epi32(off, 5));
      acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s),
                               _mm512_mul_ps(d, _mm512_set1_ps(x.d)), acc[t]);
    }
  }
  for (int t = 0; t < kT; ++t) StoreRows(a, t0 + t, base, lo, hi, acc[t]);
}

// --- The driver -------------------------------------------------------------

// One tile function per (type, tile size); a type provides them through
// Tile<kT>.
struct Q4_0Tiles {
  using Record = PackedQ4_0;
  template <int kT>
  static void Tile(const QuantGemmArgs& a, const Record* r, size_t base, int lo,
                   int hi, size_t t0) {
    TileQ32<PackedQ4_0, 8, kT>(a, r, base, lo, hi, t0);
  }
};
struct Q5_0Tiles {
  using Record = PackedQ5_0;
  template <int kT>
  static void Tile(const QuantGemmArgs& a, const Record* r, size_t base, int lo,
                   int hi, size_t t0) {
    TileQ32<PackedQ5_0, 16, kT>(a, r, base, lo, hi, t0);
  }
};
struct Q4_KTiles {
  using Record = PackedQ4_K;
  template <int kT>
  static void Tile(const QuantGemmArgs& a, const Record* r, size_t base, int lo,
                   int hi, size_t t0) {
    TileQ4_5K<PackedQ4_K, false, kT>(a, r, base, lo, hi, t0);
  }
};
struct Q5_KTiles {
  using Record = PackedQ5_K;
  template <int kT>
  static void Tile(const QuantGemmArgs& a, const Record* r, size_t base, int lo,
                   int hi, size_t t0) {
    TileQ4_5K<PackedQ5_K, true, kT>(a, r, base, lo, hi, t0);
  }
};
struct Q6_KTiles {
  using Record = PackedQ6_K;
  template <int kT>
  static void Tile(const QuantGemmArgs& a, const Record* r, size_t base, int lo,
                   int hi, size_t t0) {
    TileQ6_K<kT>(a, r, base, lo, hi, t0);
  }
};

template <typename Tiles>
void TileAnyTokens(int tokens, const QuantGemmArgs& a,
                   const typename Tiles::Record* r, size_t base, int lo, int hi,
                   size_t t0) {
  switch (tokens) {
    case 1:
      return Tiles::template Tile<1>(a, r, base, lo, hi, t0);
    case 2:
      return Tiles::template Tile<2>(a, r, base, lo, hi, t0);
    case 3:
      return Tiles::template Tile<3>(a, r, base, lo, hi, t0);
    case 4:
      return Tiles::template Tile<4>(a, r, base, lo, hi, t0);
    case 5:
      return Tiles::template Tile<5>(a, r, base, lo, hi, t0);
    case 6:
      return Tiles::template Tile<6>(a, r, base, lo, hi, t0);
    case 7:
      return Tiles::template Tile<7>(a, r, base, lo, hi, t0);
    default:
      return Tiles::template Tile<kTokenTile>(a, r, base, lo, hi, t0);
  }
}

// Rows [o_begin, o_end): whole packed groups (lanes [lo, hi) stored), then
// any rows past packed_rows through the reference row dot.
template <typename Tiles>
void Gemm(const QuantGemmArgs& a, size_t o_begin, size_t o_end,
          QuantRowDotFn ref_dot) {
  using Record = typename Tiles::Record;
  size_t o = o_begin;
  while (o < o_end && o < a.packed_rows) {
    const size_t g = o / kPackRows * kPackRows;
    const size_t hi = o_end < g + kPackRows ? o_end : g + kPackRows;
    const auto* recs = reinterpret_cast<const Record*>(
        static_cast<const uint8_t*>(a.w) + g * a.w_row_bytes);
    for (size_t t0 = 0; t0 < a.batch; t0 += kTokenTile) {
      const size_t left = a.batch - t0;
      TileAnyTokens<Tiles>(
          static_cast<int>(left < kTokenTile ? left : kTokenTile), a, recs, g,
          static_cast<int>(o - g), static_cast<int>(hi - g), t0);
    }
    o = hi;
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

}  // namespace

void QuantGemmQ4_0Avx512Vnni(const QuantGemmArgs& a, size_t o_begin,
                             size_t o_end) {
  Gemm<Q4_0Tiles>(a, o_begin, o_end, QuantRowDotRef(gguf::TensorType::kQ4_0));
}
void QuantGemmQ5_0Avx512Vnni(const QuantGemmArgs& a, size_t o_begin,
                             size_t o_end) {
  Gemm<Q5_0Tiles>(a, o_begin, o_end, QuantRowDotRef(gguf::TensorType::kQ5_0));
}
void QuantGemmQ4_KAvx512Vnni(const QuantGemmArgs& a, size_t o_begin,
                             size_t o_end) {
  Gemm<Q4_KTiles>(a, o_begin, o_end, QuantRowDotRef(gguf::TensorType::kQ4_K));
}
void QuantGemmQ5_KAvx512Vnni(const QuantGemmArgs& a, size_t o_begin,
                             size_t o_end) {
  Gemm<Q5_KTiles>(a, o_begin, o_end, QuantRowDotRef(gguf::TensorType::kQ5_K));
}
void QuantGemmQ6_KAvx512Vnni(const QuantGemmArgs& a, size_t o_begin,
                             size_t o_end) {
  Gemm<Q6_KTiles>(a, o_begin, o_end, QuantRowDotRef(gguf::TensorType::kQ6_K));
}

}  // namespace edgellm::ops::kernels
