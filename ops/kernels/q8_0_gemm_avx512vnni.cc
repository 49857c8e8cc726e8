// Q8_0 GEMM for AVX-512 VNNI: 16 weight rows at a time, one row per int32
// lane.
//
// The contract (q8_0_gemm.h) sums each block exactly in integer and then does
// one fma per (row, batch row, block). To make that cheap, a group of 16
// weight rows is transposed per block into 8 vectors W[j] whose lane r holds
// bytes 4j..4j+3 of row r's block. Then, for one batch row, 8 vpdpbusd with
// the batch row's 4-byte chunk j broadcast from memory give, in lane r, the
// exact block sum of row r; one cvt, one mul (the 16 rows' weight scales
// times the batch row's scale) and one fma finish the block for 16 rows.
// Per 512 multiply-adds that is 8 dpbusd + 3 float ops, where a layout with
// one row per 256-bit half needs a cvt + mul + fma per 64.
//
// vpdpbusd multiplies unsigned by signed bytes: the weights are made unsigned
// once per block, wu = w ^ 0x80 = w + 128, and the excess 128 * sum(x) of a
// block is removed through the accumulator's starting value, -128 * sum(x),
// formed once per (batch row, block). All int32 sums are exact
// (|sum(wu * x)| <= 32 * 255 * 128 < 2^31).
//
// The transposed layout (PackedBlock below, 544 bytes for 16 blocks) is what
// Q8_0PackAvx512Vnni writes once at load (Q8_0GemmArgs::packed_rows); rows
// that were not packed are transposed per call into a per-thread buffer in
// the same layout. Prompt batches (batch >= kGemmMinBatch) run tiles of
// kTokenTile batch rows over each group; decode (smaller batches) streams the
// packed tensor with software prefetch.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "ops/kernels/q8_0_gemm.h"
#include "ops/kernels/x86_raw_buffer_inl.h"

namespace edgellm::ops::kernels {
namespace {

constexpr int kGroupRows = 16;
constexpr int kChunks = quant::kQ8_0BlockSize / 4;  // 4-byte chunks per block
constexpr size_t kGemmMinBatch = 4;
// Batch rows per register tile: 8 accumulators + 8 weight vectors + a few
// temporaries fit in the 32 zmm registers, and 8 independent dpbusd chains
// cover the instruction's latency.
constexpr int kTokenTile = 8;
// Decode prefetch distance per row of an unpacked group (256-1024 measured
// equal within noise on tinyllama).
constexpr size_t kPrefetchBytes = 512;
// Decode prefetch distance in a packed tensor, which reads as one stream per
// task: tinyllama tg64, 2 threads, 3 alternating runs each: 0 B 17.3-19.4
// tok/s, 1 KiB 18.3-19.3, 2 KiB 19.8-20.6, 4 KiB 18.2-21.0, 8 KiB 20.6-21.7,
// 16 KiB and 32 KiB no better (this VM's memory speed drifts by ~15%
// between runs, so only the alternation is meaningful).
constexpr size_t kPackedPrefetchBytes = 8192;

static_assert(sizeof(quant::BlockQ8_0) == 34, "Q8_0 block layout");
constexpr size_t kQsOffset = offsetof(quant::BlockQ8_0, qs);

// One block of a 16-row group in the packed layout: 544 bytes, the size of
// the 16 original blocks, so a packed tensor occupies exactly its GGUF bytes
// and group g of a tensor starts where its row 16g did.
struct PackedBlock {
  uint8_t q[kChunks][64];  // q[j] byte 4r+i: byte 4j+i of row r, ^ 0x80
  uint16_t d[kGroupRows];  // row r's fp16 scale
};
static_assert(sizeof(PackedBlock) == kGroupRows * sizeof(quant::BlockQ8_0),
              "packing must keep the tensor's size");

// The activation side of one call, per (batch row, block): what every row
// group needs, formed once per call and thread.
struct ActivationSide {
  RawBuffer neg_corr_buffer, d_buffer;
  int32_t* neg_corr = nullptr;  // -128 * sum of the block's 32 values
  float* d = nullptr;           // the block's scale as f32
};

void PrepareActivations(const Q8_0GemmArgs& a, ActivationSide* side) {
  const size_t n = a.batch * a.n_blocks;
  side->neg_corr =
      static_cast<int32_t*>(side->neg_corr_buffer.Reserve(n * sizeof(int32_t)));
  side->d = static_cast<float*>(side->d_buffer.Reserve(n * sizeof(float)));
  const __m256i flip = _mm256_set1_epi8(static_cast<char>(0x80));
  for (size_t i = 0; i < n; ++i) {
    const quant::BlockQ8_0& blk = a.x[i];
    // sad against zero of (x ^ 0x80) = sum(x + 128) = sum(x) + 32 * 128.
    const __m256i sad = _mm256_sad_epu8(
        _mm256_xor_si256(
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.qs)), flip),
        _mm256_setzero_si256());
    const __m128i s2 = _mm_add_epi64(_mm256_castsi256_si128(sad),
                                     _mm256_extracti128_si256(sad, 1));
    const int64_t sum =
        _mm_cvtsi128_si64(_mm_add_epi64(s2, _mm_unpackhi_epi64(s2, s2))) -
        32 * 128;
    side->neg_corr[i] = static_cast<int32_t>(-128 * sum);
    side->d[i] = _cvtsh_ss(blk.d);
  }
}

// This thread's activation side for call `a`: prepared once per call, so a
// thread that runs several tasks of one call (or several matrices sharing x
// and call_id, see LinearQ8_0Multi) does it once. The buffers grow to the
// largest shape seen and are then reused: a steady-state forward pass does
// not allocate.
const ActivationSide& SideFor(const Q8_0GemmArgs& a) {
  thread_local ActivationSide side;
  thread_local uint64_t side_call = 0;
  if (a.call_id == 0 || a.call_id != side_call) {
    PrepareActivations(a, &side);
    side_call = a.call_id;
  }
  return side;
}

// Byte offsets of the group's 16 rows from its first row; rows past the end
// of the range repeat the last row (their results are not stored).
__m512i RowOffsets(size_t row_bytes, int rows) {
  alignas(64) int32_t off[kGroupRows];
  for (int r = 0; r < kGroupRows; ++r) {
    off[r] = static_cast<int32_t>(std::min(r, rows - 1) * row_bytes);
  }
  return _mm512_load_si512(off);
}

// Packs block k of 16 rows. `blk` points at block k of the group's first
// row; row r's block is at blk + off[r].
inline void PackBlock(const char* blk, const int32_t* off, __m512i idx,
                      PackedBlock* out) {
  __m512i z[8];
  for (int i = 0; i < 8; ++i) {
    const __m256i lo = _mm256_loadu_si256(
        reinterpret_cast<const __m256i*>(blk + off[i] + kQsOffset));
    const __m256i hi = _mm256_loadu_si256(
        reinterpret_cast<const __m256i*>(blk + off[i + 8] + kQsOffset));
    z[i] = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
  }
  // z[i]: row i in the low 256 bits, row i + 8 in the high; an 8x8 transpose
  // of 32-bit chunks in each half.
  __m512i t[8];
  for (int i = 0; i < 4; ++i) {
    t[2 * i] = _mm512_unpacklo_epi32(z[2 * i], z[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_epi32(z[2 * i], z[2 * i + 1]);
  }
  // u[c] (c < 4) holds chunk c of rows 0-3 (128-bit lane 0), chunk c + 4 of
  // rows 0-3 (lane 1), chunk c of rows 8-11 (lane 2), chunk c + 4 (lane 3);
  // u[4 + c] the same for rows 4-7 and 12-15.
  __m512i u[8];
  for (int h = 0; h < 2; ++h) {
    const __m512i* th = t + 4 * h;
    u[4 * h + 0] = _mm512_unpacklo_epi64(th[0], th[2]);
    u[4 * h + 1] = _mm512_unpackhi_epi64(th[0], th[2]);
    u[4 * h + 2] = _mm512_unpacklo_epi64(th[1], th[3]);
    u[4 * h + 3] = _mm512_unpackhi_epi64(th[1], th[3]);
  }
  const __m512i pick_lo = _mm512_setr_epi64(0, 1, 8, 9, 4, 5, 12, 13);
  const __m512i pick_hi = _mm512_setr_epi64(2, 3, 10, 11, 6, 7, 14, 15);
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
  for (int c = 0; c < 4; ++c) {
    _mm512_storeu_si512(
        out->q[c],
        _mm512_xor_si512(_mm512_permutex2var_epi64(u[c], pick_lo, u[4 + c]),
                         flip));
    _mm512_storeu_si512(
        out->q[c + 4],
        _mm512_xor_si512(_mm512_permutex2var_epi64(u[c], pick_hi, u[4 + c]),
                         flip));
  }
  // The fp16 scale is the first 2 bytes of each block; a 4-byte gather stays
  // inside the 34-byte block.
  const __m512i dw = _mm512_i32gather_epi32(idx, blk, 1);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out->d),
                      _mm512_cvtepi32_epi16(dw));
}

// The packed block's 8 weight vectors and 16 scales as f32.
inline void LoadPacked(const PackedBlock* pb, __m512i w[kChunks], __m512* d) {
  for (int j = 0; j < kChunks; ++j) w[j] = _mm512_loadu_si512(pb->q[j]);
  *d = _mm512_cvtph_ps(
      _mm256_loadu_si256(reinterpret_cast<const __m256i*>(pb->d)));
}

// LoadPacked for decode, where a packed tensor streams from DRAM: first
// prefetches the lines kPackedPrefetchBytes ahead of this block.
inline void StreamPacked(const PackedBlock* pb, __m512i w[kChunks], __m512* d) {
  const char* p = reinterpret_cast<const char*>(pb) + kPackedPrefetchBytes;
  for (size_t l = 0; l < sizeof(PackedBlock); l += 64) {
    _mm_prefetch(p + l, _MM_HINT_T0);
  }
  LoadPacked(pb, w, d);
}

inline int32_t LoadChunk(const char* p) {
  int32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// acc += block k of batch row t against the transposed group block.
inline __m512 ConsumeBlock(const __m512i w[kChunks], __m512 wd,
                           const quant::BlockQ8_0* xb, int32_t neg_corr,
                           float xd, __m512 acc) {
  const char* xq = reinterpret_cast<const char*>(xb->qs);
  __m512i s = _mm512_set1_epi32(neg_corr);
  for (int j = 0; j < kChunks; ++j) {
    s = _mm512_dpbusd_epi32(s, w[j], _mm512_set1_epi32(LoadChunk(xq + 4 * j)));
  }
  const __m512 d = _mm512_mul_ps(wd, _mm512_set1_ps(xd));
  return _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), d, acc);
}

// Stores lanes [lo, hi) of acc as rows base + lo .. base + hi - 1 of batch
// row b (masked: lanes outside are neither read nor written).
inline void StoreRows(const Q8_0GemmArgs& a, size_t b, size_t base, int lo,
                      int hi, __m512 acc) {
  const __mmask16 m =
      static_cast<__mmask16>(((1u << hi) - 1) & ~((1u << lo) - 1));
  if (a.bias != nullptr) {
    acc = _mm512_add_ps(acc, _mm512_maskz_loadu_ps(m, a.bias + base));
  }
  _mm512_mask_storeu_ps(a.y + b * a.y_stride + base, m, acc);
}

// Where a task's rows come from, one 16-row group at a time: rows below
// packed_rows from the packed tensor itself (groups aligned to row 0), the
// rest packed here, per call, into `buffer`.
struct GroupSource {
  const PackedBlock* blocks;
  size_t base;  // row of lane 0
  int lo, hi;   // lanes to store
};

template <typename Fn>
void ForEachGroup(const Q8_0GemmArgs& a, size_t o_begin, size_t o_end,
                  PackedBlock* buffer, Fn fn) {
  const size_t nb = a.n_blocks;
  const size_t row_bytes = nb * sizeof(quant::BlockQ8_0);
  size_t o = o_begin;
  while (o < o_end) {
    if (o < a.packed_rows) {
      const size_t g = o / kGroupRows * kGroupRows;
      const size_t hi = std::min(g + kGroupRows, o_end);
      fn(GroupSource{reinterpret_cast<const PackedBlock*>(a.w + g * nb), g,
                     static_cast<int>(o - g), static_cast<int>(hi - g)});
      o = hi;
      continue;
    }
    const int rows = static_cast<int>(std::min<size_t>(kGroupRows, o_end - o));
    if (buffer != nullptr) {
      const __m512i idx = RowOffsets(row_bytes, rows);
      alignas(64) int32_t off[kGroupRows];
      _mm512_store_si512(off, idx);
      const char* first = reinterpret_cast<const char*>(a.w + o * nb);
      for (size_t k = 0; k < nb; ++k) {
        PackBlock(first + k * sizeof(quant::BlockQ8_0), off, idx, buffer + k);
      }
    }
    fn(GroupSource{buffer, o, 0, rows});
    o += rows;
  }
}

// Batch rows [t0, t0 + kTokens) against a transposed group.
//
// The pragmas: without them GCC 12 unrolls k by two (16 weight vectors)
// and, out of registers, keeps the 8 accumulators in memory, a load and a
// store per token and block; with them they stay in zmm registers as
// designed. tinyllama pp128 / pp512, 12 alternating runs: +3% / +6% mean
// (the host's noise is +-20%, so this is a direction, not a figure).
template <int kTokens>
void Tile(const Q8_0GemmArgs& a, const ActivationSide& side,
          const GroupSource& g, size_t t0) {
  const PackedBlock* group = g.blocks;
  const size_t nb = a.n_blocks;
  __m512 acc[kTokens];
  for (int t = 0; t < kTokens; ++t) acc[t] = _mm512_setzero_ps();
#pragma GCC unroll 1
  for (size_t k = 0; k < nb; ++k) {
    __m512i w[kChunks];
    __m512 wd;
    LoadPacked(group + k, w, &wd);
#pragma GCC unroll 8
    for (int t = 0; t < kTokens; ++t) {
      const size_t i = (t0 + t) * nb + k;
      acc[t] =
          ConsumeBlock(w, wd, a.x + i, side.neg_corr[i], side.d[i], acc[t]);
    }
  }
  for (int t = 0; t < kTokens; ++t) {
    StoreRows(a, t0 + t, g.base, g.lo, g.hi, acc[t]);
  }
}

template <int... kTokens>
void TileAny(int tokens, const Q8_0GemmArgs& a, const ActivationSide& side,
             const GroupSource& g, size_t t0) {
  ((tokens == kTokens ? Tile<kTokens>(a, side, g, t0) : void()), ...);
}

void Gemm(const Q8_0GemmArgs& a, size_t o_begin, size_t o_end) {
  const size_t nb = a.n_blocks;
  const ActivationSide& side = SideFor(a);
  // Unpacked groups are transposed here, per thread (reused like the side).
  thread_local RawBuffer buffer_memory;
  auto* buffer = static_cast<PackedBlock*>(
      buffer_memory.Reserve(nb * sizeof(PackedBlock)));
  ForEachGroup(a, o_begin, o_end, buffer, [&](const GroupSource& g) {
    size_t t0 = 0;
    for (; t0 + kTokenTile <= a.batch; t0 += kTokenTile) {
      Tile<kTokenTile>(a, side, g, t0);
    }
    if (t0 < a.batch) {
      TileAny<1, 2, 3, 4, 5, 6, 7>(static_cast<int>(a.batch - t0), a, side, g,
                                   t0);
    }
  });
}

// Decode: kTokens (< kGemmMinBatch) batch rows. Packed groups stream from
// memory in order (one sequential stream per task, prefetched
// kPackedPrefetchBytes ahead); unpacked ones are packed block by block into
// registers, each of their 16 rows prefetched kPrefetchBytes ahead.
template <int kTokens>
void Gemv(const Q8_0GemmArgs& a, size_t o_begin, size_t o_end) {
  const size_t nb = a.n_blocks;
  const size_t row_bytes = nb * sizeof(quant::BlockQ8_0);
  const ActivationSide& side = SideFor(a);
  auto consume = [&](size_t k, const __m512i w[kChunks], __m512 wd,
                     __m512 acc[kTokens]) {
    for (int t = 0; t < kTokens; ++t) {
      const size_t i = t * nb + k;
      acc[t] =
          ConsumeBlock(w, wd, a.x + i, side.neg_corr[i], side.d[i], acc[t]);
    }
  };
  if (o_begin % kGroupRows == 0 && o_end % kGroupRows == 0 &&
      o_end <= a.packed_rows && o_end - o_begin >= 2 * kGroupRows) {
    // Whole packed groups: walk the first and the second half of the range
    // side by side, two sequential streams (tinyllama tg64, 3 alternating
    // runs: 20.8-21.9 tok/s against 16.4-20.5 with one stream; the memory
    // probe, too, reads fastest with 2 streams per thread).
    const size_t groups = (o_end - o_begin) / kGroupRows;
    const size_t half = (groups + 1) / 2;
    const auto* first =
        reinterpret_cast<const PackedBlock*>(a.w + o_begin * nb);
    for (size_t i = 0; i < half; ++i) {
      const PackedBlock* ga = first + i * nb;
      const bool has_b = half + i < groups;
      const PackedBlock* gb = first + (half + i) * nb;
      __m512 acc_a[kTokens], acc_b[kTokens];
      for (int t = 0; t < kTokens; ++t) {
        acc_a[t] = _mm512_setzero_ps();
        acc_b[t] = _mm512_setzero_ps();
      }
      __m512i w[kChunks];
      __m512 wd;
      for (size_t k = 0; k < nb; ++k) {
        StreamPacked(ga + k, w, &wd);
        consume(k, w, wd, acc_a);
        if (has_b) {
          StreamPacked(gb + k, w, &wd);
          consume(k, w, wd, acc_b);
        }
      }
      for (int t = 0; t < kTokens; ++t) {
        StoreRows(a, t, o_begin + i * kGroupRows, 0, kGroupRows, acc_a[t]);
        if (has_b) {
          StoreRows(a, t, o_begin + (half + i) * kGroupRows, 0, kGroupRows,
                    acc_b[t]);
        }
      }
    }
    return;
  }
  ForEachGroup(a, o_begin, o_end, nullptr, [&](const GroupSource& g) {
    __m512 acc[kTokens];
    for (int t = 0; t < kTokens; ++t) acc[t] = _mm512_setzero_ps();
    __m512i w[kChunks];
    __m512 wd;
    if (g.blocks != nullptr) {
      for (size_t k = 0; k < nb; ++k) {
        StreamPacked(g.blocks + k, w, &wd);
        consume(k, w, wd, acc);
      }
    } else {
      const __m512i idx = RowOffsets(row_bytes, g.hi);
      alignas(64) int32_t off[kGroupRows];
      _mm512_store_si512(off, idx);
      const char* first = reinterpret_cast<const char*>(a.w + g.base * nb);
      PackedBlock pb;
      for (size_t k = 0; k < nb; ++k) {
        const char* blk = first + k * sizeof(quant::BlockQ8_0);
        if (k % 2 == 0) {
          for (int r = 0; r < kGroupRows; ++r) {
            _mm_prefetch(blk + off[r] + kPrefetchBytes, _MM_HINT_T0);
          }
        }
        PackBlock(blk, off, idx, &pb);
        LoadPacked(&pb, w, &wd);
        consume(k, w, wd, acc);
      }
    }
    for (int t = 0; t < kTokens; ++t) {
      StoreRows(a, t, g.base, g.lo, g.hi, acc[t]);
    }
  });
}

}  // namespace

void Q8_0GemmAvx512Vnni(const Q8_0GemmArgs& args, size_t o_begin,
                        size_t o_end) {
  static_assert(kGemmMinBatch == 4, "Gemv covers batches 1-3");
  switch (args.batch) {
    case 0:
      return;
    case 1:
      return Gemv<1>(args, o_begin, o_end);
    case 2:
      return Gemv<2>(args, o_begin, o_end);
    case 3:
      return Gemv<3>(args, o_begin, o_end);
    default:
      return Gemm(args, o_begin, o_end);
  }
}

size_t Q8_0PackAvx512Vnni(const quant::BlockQ8_0* src, size_t rows,
                          size_t n_blocks, quant::BlockQ8_0* dst) {
  const size_t packed = rows / kGroupRows * kGroupRows;
  const size_t row_bytes = n_blocks * sizeof(quant::BlockQ8_0);
  const __m512i idx = RowOffsets(row_bytes, kGroupRows);
  alignas(64) int32_t off[kGroupRows];
  _mm512_store_si512(off, idx);
  for (size_t g = 0; g < packed; g += kGroupRows) {
    const char* first = reinterpret_cast<const char*>(src + g * n_blocks);
    auto* out = reinterpret_cast<PackedBlock*>(dst + g * n_blocks);
    for (size_t k = 0; k < n_blocks; ++k) {
      PackBlock(first + k * sizeof(quant::BlockQ8_0), off, idx, out + k);
    }
  }
  std::memcpy(dst + packed * n_blocks, src + packed * n_blocks,
              (rows - packed) * row_bytes);
  return packed;
}

void Q8_0UnpackRowAvx512Vnni(const quant::BlockQ8_0* packed, size_t row,
                             size_t n_blocks, quant::BlockQ8_0* out) {
  const size_t g = row / kGroupRows;
  const size_t r = row % kGroupRows;
  const auto* blocks =
      reinterpret_cast<const PackedBlock*>(packed + g * kGroupRows * n_blocks);
  for (size_t k = 0; k < n_blocks; ++k) {
    const PackedBlock& pb = blocks[k];
    out[k].d = pb.d[r];
    for (int j = 0; j < kChunks; ++j) {
      for (int i = 0; i < 4; ++i) {
        out[k].qs[4 * j + i] = static_cast<int8_t>(pb.q[j][4 * r + i] ^ 0x80);
      }
    }
  }
}

}  // namespace edgellm::ops::kernels
