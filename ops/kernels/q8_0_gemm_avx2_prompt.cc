// Q8_0 prompt GEMM for AVX2 (batches >= kQ8_0Avx2PromptMinBatch): 8 weight
// rows at a time, one row per int32 lane, against tiles of kTokenTile batch
// rows.
//
// The row-major kernel (q8_0_gemm_x86_inl.h) forms each (row, batch row)
// block sum in 8 int32 lanes and reduces them horizontally, ~40 operations
// per 128 multiply-adds. Here a group of 8 rows is transposed per block, once
// per call and thread, into 8 vectors W[j] whose lane r holds bytes
// 4j..4j+3 of row r's block (the layout of the AVX-512 kernel's PackedBlock,
// at half the width). Against batch row t's 4-byte chunk j broadcast to
// every lane, llama.cpp's sign trick (maddubs of |w| and x with w's sign,
// then madd by ones) gives in lane r bytes 4j..4j+3 of row r's dot product,
// exact in int32; 8 such adds are the 8 rows' exact block sums, with no
// horizontal step. Then one cvt, one mul (the rows' weight scales times the
// batch row's) and one fma per block, as the contract (q8_0_gemm.h) has it:
// ~35 operations per 256 multiply-adds.
//
// Exactness: |w| <= 128 and |x| <= 127 (activations are quantized to
// [-127, 127]), so maddubs' pair sums stay below 2^15 and never saturate;
// a block sum is at most 32 * 128 * 127 in magnitude.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "ops/kernels/q8_0_gemm.h"
#include "ops/kernels/x86_raw_buffer_inl.h"

namespace edgellm::ops::kernels {
namespace {

constexpr int kGroupRows = 8;
constexpr int kChunks = quant::kQ8_0BlockSize / 4;  // 4-byte chunks per block
// Batch rows per register tile: 4 int32 block sums and 4 f32 accumulators,
// with the weight vector, its absolute value, the ones and two temporaries,
// use 13 of the 16 ymm registers.
constexpr int kTokenTile = 4;

static_assert(sizeof(quant::BlockQ8_0) == 34, "Q8_0 block layout");
constexpr size_t kQsOffset = offsetof(quant::BlockQ8_0, qs);

// Block k of an 8-row group, transposed: q[j] byte 4r + i is byte 4j + i of
// row r's block; d[r] its scale as f32.
struct GroupBlock {
  int8_t q[kChunks][32];
  float d[kGroupRows];
};

// This thread's per-call state: the batch rows' block scales as f32
// (formed once per call, see SideFor) and the current group's blocks.
struct Scratch {
  RawBuffer xd_buffer, group_buffer;
  float* xd = nullptr;  // [batch][n_blocks]
  uint64_t call = 0;
};

Scratch& ScratchFor(const Q8_0GemmArgs& a) {
  thread_local Scratch s;
  if (a.call_id == 0 || a.call_id != s.call) {
    const size_t n = a.batch * a.n_blocks;
    s.xd = static_cast<float*>(s.xd_buffer.Reserve(n * sizeof(float)));
    for (size_t i = 0; i < n; ++i) s.xd[i] = _cvtsh_ss(a.x[i].d);
    s.call = a.call_id;
  }
  return s;
}

// Transposes block k of `rows` (1..8) rows starting at `first` into `out`;
// missing rows repeat the last one (their lanes are not stored).
inline void PackGroupBlock(const quant::BlockQ8_0* first, size_t n_blocks,
                           int rows, size_t k, GroupBlock* out) {
  __m256i r[kGroupRows];
  for (int i = 0; i < kGroupRows; ++i) {
    const quant::BlockQ8_0& blk = first[std::min(i, rows - 1) * n_blocks + k];
    r[i] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.qs));
    out->d[i] = _cvtsh_ss(blk.d);
  }
  // An 8x8 transpose of 32-bit chunks: r[i] holds chunks 0..7 of row i.
  __m256i t[8], u[8];
  for (int i = 0; i < 4; ++i) {
    t[2 * i] = _mm256_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
  }
  // t[0]: rows 0,1 chunks 0,1 (lane 0) and 4,5 (lane 1); t[1]: chunks 2,3
  // and 6,7; t[2], t[3] the same for rows 2,3; t[4..7] for rows 4-7.
  for (int h = 0; h < 2; ++h) {
    const __m256i* th = t + 4 * h;
    u[4 * h + 0] = _mm256_unpacklo_epi64(th[0], th[2]);  // chunk 0 | 4
    u[4 * h + 1] = _mm256_unpackhi_epi64(th[0], th[2]);  // chunk 1 | 5
    u[4 * h + 2] = _mm256_unpacklo_epi64(th[1], th[3]);  // chunk 2 | 6
    u[4 * h + 3] = _mm256_unpackhi_epi64(th[1], th[3]);  // chunk 3 | 7
  }
  // u[c] (rows 0-3) and u[4 + c] (rows 4-7): chunk c in the low 128 bits,
  // chunk c + 4 in the high.
  for (int c = 0; c < 4; ++c) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out->q[c]),
                        _mm256_permute2x128_si256(u[c], u[4 + c], 0x20));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out->q[c + 4]),
                        _mm256_permute2x128_si256(u[c], u[4 + c], 0x31));
  }
}

inline int32_t LoadChunk(const int8_t* p) {
  int32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// Stores lanes [0, rows) of acc (+ bias) as rows base.. of batch row b.
inline void StoreRows(const Q8_0GemmArgs& a, size_t b, size_t base, int rows,
                      __m256 acc) {
  float* y = a.y + b * a.y_stride + base;
  if (rows == kGroupRows) {
    if (a.bias != nullptr)
      acc = _mm256_add_ps(acc, _mm256_loadu_ps(a.bias + base));
    _mm256_storeu_ps(y, acc);
    return;
  }
  alignas(32) float v[kGroupRows];
  _mm256_store_ps(v, acc);
  for (int r = 0; r < rows; ++r) {
    y[r] = a.bias != nullptr ? v[r] + a.bias[base + r] : v[r];
  }
}

// Batch rows [t0, t0 + kTokens) against one transposed group. The pragmas
// keep GCC from unrolling the block loop, which would run out of registers
// (as in the AVX-512 kernel's Tile).
template <int kTokens>
void Tile(const Q8_0GemmArgs& a, const float* xd, const GroupBlock* group,
          size_t base, int rows, size_t t0) {
  const size_t nb = a.n_blocks;
  const __m256i ones = _mm256_set1_epi16(1);
  __m256 acc[kTokens];
  for (int t = 0; t < kTokens; ++t) acc[t] = _mm256_setzero_ps();
  const quant::BlockQ8_0* x0 = a.x + t0 * nb;
#pragma GCC unroll 1
  for (size_t k = 0; k < nb; ++k) {
    const GroupBlock& g = group[k];
    __m256i s[kTokens];
    for (int t = 0; t < kTokens; ++t) s[t] = _mm256_setzero_si256();
#pragma GCC unroll 8
    for (int j = 0; j < kChunks; ++j) {
      const __m256i w =
          _mm256_load_si256(reinterpret_cast<const __m256i*>(g.q[j]));
      const __m256i aw = _mm256_sign_epi8(w, w);
#pragma GCC unroll 4
      for (int t = 0; t < kTokens; ++t) {
        const __m256i xb =
            _mm256_set1_epi32(LoadChunk(x0[t * nb + k].qs + 4 * j));
        const __m256i p = _mm256_maddubs_epi16(aw, _mm256_sign_epi8(xb, w));
        s[t] = _mm256_add_epi32(s[t], _mm256_madd_epi16(p, ones));
      }
      // Without this GCC 12 reassociates each block's 8 adds into trees
      // (legal for integers), keeping every madd result live, and spills
      // them and the accumulators to the stack.
      for (int t = 0; t < kTokens; ++t) asm("" : "+x"(s[t]));
    }
    const __m256 wd = _mm256_load_ps(g.d);
    for (int t = 0; t < kTokens; ++t) {
      const __m256 d =
          _mm256_mul_ps(wd, _mm256_broadcast_ss(xd + (t0 + t) * nb + k));
      acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s[t]), d, acc[t]);
    }
  }
  for (int t = 0; t < kTokens; ++t) StoreRows(a, t0 + t, base, rows, acc[t]);
}

template <int... kTokens>
void TileAny(int tokens, const Q8_0GemmArgs& a, const float* xd,
             const GroupBlock* group, size_t base, int rows, size_t t0) {
  ((tokens == kTokens ? Tile<kTokens>(a, xd, group, base, rows, t0) : void()),
   ...);
}

}  // namespace

void Q8_0GemmAvx2Prompt(const Q8_0GemmArgs& a, size_t o_begin, size_t o_end) {
  const size_t nb = a.n_blocks;
  Scratch& s = ScratchFor(a);
  auto* group =
      static_cast<GroupBlock*>(s.group_buffer.Reserve(nb * sizeof(GroupBlock)));
  for (size_t o = o_begin; o < o_end; o += kGroupRows) {
    const int rows = static_cast<int>(std::min<size_t>(kGroupRows, o_end - o));
    const quant::BlockQ8_0* first = a.w + o * nb;
    for (size_t k = 0; k < nb; ++k)
      PackGroupBlock(first, nb, rows, k, group + k);
    size_t t0 = 0;
    for (; t0 + kTokenTile <= a.batch; t0 += kTokenTile) {
      Tile<kTokenTile>(a, s.xd, group, o, rows, t0);
    }
    if (t0 < a.batch) {
      TileAny<1, 2, 3>(static_cast<int>(a.batch - t0), a, s.xd, group, o, rows,
                       t0);
    }
  }
}

}  // namespace edgellm::ops::kernels
