// Q8_0 GEMM for AVX-512 VNNI.
//
// Batch < kTiledMinBatch (decode): a 256-bit loop over 4 weight rows (Gemv
// below); one vpdpbusd sums four u8*s8 products per int32 lane, exactly.
//
// Larger batches (prompt processing) are compute-bound, so they take a
// register-tiled path that reuses every weight block across several batch
// rows and packs two batch rows into one 512-bit vector:
//
//   * The activations are repacked once per call and thread into pairs of batch
//   rows:
//     per (pair, block) 64 bytes of qs (row 2p in the low 256 bits, row 2p+1
//     in the high), 16 int32 corrections and 16 f32 scales.
//   * vpdpbusd needs one unsigned operand. Instead of llama.cpp's
//     |w| * sign(x, w) per (row, column) pair, the weight is made unsigned
//     once per block, wu = w + 128 (w ^ 0x80), and the excess is taken out
//     through the accumulator input: s = dpbusd(-128 * sum4(x), wu, x) =
//     sum4(w * x). The lane sums are exact int32 either way (|sum4(wu*x)| <=
//     4 * 255 * 128), so s is bit-identical to the contract's s[k][j].
//   * d = fp32(w.d) * fp32(x.d) and acc = fma(d, float(s), acc) per lane and
//     block in order, and the final lane sum, are exactly the contract's.
//
// A tile is kTileRows weight rows x kTilePairs pairs (8 batch rows): 16 zmm
// accumulators. Per block it issues, per weight row, one broadcast load and
// one xor, and per (row, pair) dpbusd + cvt + mul + fma with the activation
// operands straight from memory.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "ops/kernels/q8_0_gemm.h"
#include "ops/kernels/q8_0_gemm_x86_inl.h"

namespace edgellm::ops::kernels {
namespace {

// Below this batch the repacking does not pay for itself.
constexpr size_t kTiledMinBatch = 4;
constexpr int kTileRows = 4;
constexpr int kTilePairs = 4;
// Weight rows whose blocks stay in L2 while every pair tile passes over them:
// 32 rows of 5632 values are 190 KB.
constexpr size_t kRowChunk = 32;

// Two batch rows of one block, ready for the tile loop.
struct alignas(64) PairBlock {
  int8_t qs[64];
  int32_t neg_corr[16];  // -128 * (sum of each 4 qs) = what w ^ 0x80 adds
  float d[16];           // x scale of row 2p (x8), then of row 2p+1 (x8)
};

// Fills packed[p * n_blocks + k] for all pairs; a missing odd last row is
// zero (its outputs are not stored).
void PackPairs(const Q8_0GemmArgs& a, PairBlock* packed) {
  const size_t pairs = (a.batch + 1) / 2;
  const __m512i k128 = _mm512_set1_epi8(static_cast<char>(0x80));
  for (size_t p = 0; p < pairs; ++p) {
    const quant::BlockQ8_0* x0 = a.x + (2 * p) * a.n_blocks;
    const bool has1 = 2 * p + 1 < a.batch;
    const quant::BlockQ8_0* x1 = has1 ? x0 + a.n_blocks : nullptr;
    for (size_t k = 0; k < a.n_blocks; ++k) {
      PairBlock& pb = packed[p * a.n_blocks + k];
      const __m256i lo =
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x0[k].qs));
      const __m256i hi =
          has1 ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x1[k].qs))
               : _mm256_setzero_si256();
      const __m512i qs = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
      _mm512_store_si512(pb.qs, qs);
      const __m512i corr =
          _mm512_dpbusd_epi32(_mm512_setzero_si512(), k128, qs);
      _mm512_store_si512(pb.neg_corr,
                         _mm512_sub_epi32(_mm512_setzero_si512(), corr));
      const __m256 d0 = _mm256_set1_ps(HalfToFloat(x0[k].d));
      const __m256 d1 = _mm256_set1_ps(has1 ? HalfToFloat(x1[k].d) : 0.0f);
      // insertf64x4 rather than insertf32x8: the latter needs AVX512DQ.
      _mm512_store_ps(pb.d, _mm512_castpd_ps(_mm512_insertf64x4(
                                _mm512_castpd256_pd512(_mm256_castps_pd(d0)),
                                _mm256_castps_pd(d1), 1)));
    }
  }
}

// The contract's lane sum of each 256-bit half.
inline void HsumHalves(__m512 v, float* lo, float* hi) {
  *lo = HsumLanesX86(_mm512_castps512_ps256(v));
  *hi = HsumLanesX86(
      _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
}

// Rows [o, o + kRows) x pairs [p, p + kPairs). `wd` holds the rows' block
// scales as f32, [kRows][n_blocks].
template <int kRows, int kPairs>
void Tile(const Q8_0GemmArgs& a, const PairBlock* packed, const float* wd,
          size_t o, size_t p) {
  const size_t nb = a.n_blocks;
  const quant::BlockQ8_0* w[kRows];
  for (int r = 0; r < kRows; ++r) w[r] = a.w + (o + r) * nb;
  const PairBlock* xp[kPairs];
  for (int q = 0; q < kPairs; ++q) xp[q] = packed + (p + q) * nb;
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
  __m512 acc[kRows][kPairs];
  for (int r = 0; r < kRows; ++r) {
    for (int q = 0; q < kPairs; ++q) acc[r][q] = _mm512_setzero_ps();
  }
  for (size_t k = 0; k < nb; ++k) {
    __m512i wu[kRows];
    __m512 wdv[kRows];
    for (int r = 0; r < kRows; ++r) {
      const __m256i wv =
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[r][k].qs));
      wu[r] = _mm512_xor_si512(_mm512_broadcast_i64x4(wv), flip);
      wdv[r] = _mm512_set1_ps(wd[r * nb + k]);
    }
    for (int q = 0; q < kPairs; ++q) {
      const PairBlock& pb = xp[q][k];
      const __m512i xq = _mm512_load_si512(pb.qs);
      const __m512i nc = _mm512_load_si512(pb.neg_corr);
      const __m512 xd = _mm512_load_ps(pb.d);
      for (int r = 0; r < kRows; ++r) {
        const __m512i s = _mm512_dpbusd_epi32(nc, wu[r], xq);
        const __m512 d = _mm512_mul_ps(wdv[r], xd);
        acc[r][q] = _mm512_fmadd_ps(d, _mm512_cvtepi32_ps(s), acc[r][q]);
      }
    }
  }
  for (int q = 0; q < kPairs; ++q) {
    const size_t b0 = 2 * (p + q);
    const bool has1 = b0 + 1 < a.batch;
    for (int r = 0; r < kRows; ++r) {
      float v0, v1;
      HsumHalves(acc[r][q], &v0, &v1);
      if (a.bias != nullptr) {
        v0 += a.bias[o + r];
        v1 += a.bias[o + r];
      }
      a.y[b0 * a.y_stride + o + r] = v0;
      if (has1) a.y[(b0 + 1) * a.y_stride + o + r] = v1;
    }
  }
}

template <int kRows>
void TileRows(const Q8_0GemmArgs& a, const PairBlock* packed, const float* wd,
              size_t o, size_t p, size_t pairs) {
  switch (pairs) {
    case 1:
      return Tile<kRows, 1>(a, packed, wd, o, p);
    case 2:
      return Tile<kRows, 2>(a, packed, wd, o, p);
    case 3:
      return Tile<kRows, 3>(a, packed, wd, o, p);
    default:
      return Tile<kRows, kTilePairs>(a, packed, wd, o, p);
  }
}

void TileAny(const Q8_0GemmArgs& a, const PairBlock* packed, const float* wd,
             size_t o, size_t rows, size_t p, size_t pairs) {
  switch (rows) {
    case 1:
      return TileRows<1>(a, packed, wd, o, p, pairs);
    case 2:
      return TileRows<2>(a, packed, wd, o, p, pairs);
    case 3:
      return TileRows<3>(a, packed, wd, o, p, pairs);
    default:
      return TileRows<kTileRows>(a, packed, wd, o, p, pairs);
  }
}

void GemmTiled(const Q8_0GemmArgs& a, size_t o_begin, size_t o_end) {
  const size_t nb = a.n_blocks;
  const size_t pairs = (a.batch + 1) / 2;
  // Per-thread buffers, grown to the largest shape seen and then reused, so
  // a steady-state forward pass does not allocate.
  thread_local std::vector<PairBlock> packed;
  thread_local std::vector<float> wd;
  // The call whose activations `packed` holds: a thread that runs several
  // tasks of one call packs once (measured: GemmTiled outside the tile loop
  // was ~10% of a tinyllama pp128 profile with packing per task).
  thread_local uint64_t packed_call = 0;
  if (packed.size() < pairs * nb) {
    packed.resize(pairs * nb);
    packed_call = 0;
  }
  if (wd.size() < kRowChunk * nb) wd.resize(kRowChunk * nb);
  if (a.call_id == 0 || a.call_id != packed_call) {
    PackPairs(a, packed.data());
    packed_call = a.call_id;
  }
  for (size_t oc = o_begin; oc < o_end; oc += kRowChunk) {
    const size_t oc_end = std::min(o_end, oc + kRowChunk);
    for (size_t o = oc; o < oc_end; ++o) {
      const quant::BlockQ8_0* wo = a.w + o * nb;
      float* dst = wd.data() + (o - oc) * nb;
      for (size_t k = 0; k < nb; ++k) dst[k] = HalfToFloat(wo[k].d);
    }
    for (size_t p = 0; p < pairs; p += kTilePairs) {
      const size_t np = std::min<size_t>(kTilePairs, pairs - p);
      for (size_t o = oc; o < oc_end; o += kTileRows) {
        const size_t nr = std::min<size_t>(kTileRows, oc_end - o);
        TileAny(a, packed.data(), wd.data() + (o - oc) * nb, o, nr, p, np);
      }
    }
  }
}

// Decode rows (batch < kTiledMinBatch), 256-bit: the same unsigned-weight
// trick as the tiled path. Per activation block, -128 * sum4(x) is formed
// once and shared by the kRows weight rows, so each (row, block) costs load +
// xor + dpbusd instead of llama.cpp's abs + sign + dpbusd. The lane sums are
// the same exact int32 values; d and the fma order are the contract's.
// Weights stream from DRAM here, so each row is prefetched kPrefetchBytes
// ahead (once per two 34-byte blocks): measured +20-30% decode tokens/s on
// tinyllama with 2 threads (docs/performance.md); 256-1024 bytes were equal
// within noise, 2048 worse. The xor trick alone changed nothing measurable
// (the loop waits on memory), but it frees issue slots for the prefetches.
constexpr size_t kPrefetchBytes = 512;

template <int kRows>
inline void GemvRows(const Q8_0GemmArgs& a, size_t o) {
  const size_t nb = a.n_blocks;
  const quant::BlockQ8_0* w[kRows];
  for (int r = 0; r < kRows; ++r) w[r] = a.w + (o + r) * nb;
  const __m256i flip = _mm256_set1_epi8(static_cast<char>(0x80));
  for (size_t b = 0; b < a.batch; ++b) {
    const quant::BlockQ8_0* x = a.x + b * nb;
    __m256 acc[kRows];
    for (int r = 0; r < kRows; ++r) acc[r] = _mm256_setzero_ps();
    for (size_t k = 0; k < nb; ++k) {
      if (k % 2 == 0) {
        for (int r = 0; r < kRows; ++r) {
          _mm_prefetch(reinterpret_cast<const char*>(w[r] + k) + kPrefetchBytes,
                       _MM_HINT_T0);
        }
      }
      const __m256i xv =
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[k].qs));
      const __m256i nc = _mm256_sub_epi32(
          _mm256_setzero_si256(),
          _mm256_dpbusd_epi32(_mm256_setzero_si256(), flip, xv));
      const __m256 dx = _mm256_set1_ps(HalfToFloat(x[k].d));
      for (int r = 0; r < kRows; ++r) {
        const __m256i wu = _mm256_xor_si256(
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[r][k].qs)),
            flip);
        const __m256 q = _mm256_cvtepi32_ps(_mm256_dpbusd_epi32(nc, wu, xv));
        const __m256 d =
            _mm256_mul_ps(_mm256_set1_ps(HalfToFloat(w[r][k].d)), dx);
        acc[r] = _mm256_fmadd_ps(d, q, acc[r]);
      }
    }
    float* y = a.y + b * a.y_stride + o;
    for (int r = 0; r < kRows; ++r) {
      float v = HsumLanesX86(acc[r]);
      if (a.bias != nullptr) v += a.bias[o + r];
      y[r] = v;
    }
  }
}

void Gemv(const Q8_0GemmArgs& a, size_t o_begin, size_t o_end) {
  size_t o = o_begin;
  for (; o + kTileRows <= o_end; o += kTileRows) GemvRows<kTileRows>(a, o);
  for (; o < o_end; ++o) GemvRows<1>(a, o);
}

}  // namespace

void Q8_0GemmAvx512Vnni(const Q8_0GemmArgs& args, size_t o_begin,
                        size_t o_end) {
  if (args.batch >= kTiledMinBatch) {
    GemmTiled(args, o_begin, o_end);
  } else {
    Gemv(args, o_begin, o_end);
  }
}

}  // namespace edgellm::ops::kernels
