// Internal to ops/attention.cc: the inner loop of the fast attention path,
// one implementation per ISA, chosen at run time (AttentionKernelFor).
//
// A tile is up to kAttentionTileRows query rows (token, head) that share one
// KV head, so every K and V row is loaded once for all of them (GQA). Keys
// are visited in blocks with an online softmax (Milakov & Gimelshein 2018,
// "Online normalizer calculation for softmax"; as FlashAttention, Dao et al.
// 2022): per row a running max m and sum l; a block with a larger max scales
// the partial output and l by exp(m_old - m_new). So a tile needs only
// kAttentionTileRows x kAttentionBlockKeys floats of scores, whatever the
// context length, and tiles of one KV head can run on different threads.
//
// Threading: a kernel call touches only its tile's state and output rows.
#ifndef EDGELLM_OPS_ATTENTION_KERNEL_H_
#define EDGELLM_OPS_ATTENTION_KERNEL_H_

#include <cstddef>
#include <cstdint>

#include "quant/q8_0.h"

namespace edgellm::ops::attention_internal {

inline constexpr size_t kAttentionTileRows = 8;
inline constexpr size_t kAttentionBlockKeys = 64;

struct AttentionTile {
  size_t rows = 0;  // 1 .. kAttentionTileRows
  size_t head_dim = 0;
  float scale = 0.0f;                   // 1/sqrt(head_dim), applied to q.k
  const float* q = nullptr;             // rows x head_dim, contiguous
  float* out[kAttentionTileRows] = {};  // head_dim floats each, zeroed
  // Each row sees key positions [first_key, n_keys): its window (0 without
  // one) and its causal limit.
  size_t first_key[kAttentionTileRows] = {};
  size_t n_keys[kAttentionTileRows] = {};
  float max[kAttentionTileRows] = {};  // running max, starts at -inf
  float sum[kAttentionTileRows] = {};  // running sum, starts at 0
  // kAttentionTileRows x kAttentionBlockKeys floats of scratch.
  float* scores = nullptr;
};

struct AttentionKernel {
  const char* name;
  // Adds keys j0 .. j0 + nb - 1 (nb <= kAttentionBlockKeys) to the tile: K
  // row j0 + i is k + i * stride (same for v). A row ignores key j0 + i
  // outside its [first_key, n_keys). out holds the unnormalized partial sums
  // afterwards.
  void (*block)(AttentionTile* tile, const float* k, const float* v,
                size_t stride, size_t j0, size_t nb);
  // n IEEE half values to float.
  void (*f16_to_f32)(const uint16_t* src, size_t n, float* dst);
  // Values first .. first + n - 1 of a row of Q8_0 blocks (value e is
  // qs[e % 32] of block e / 32) to float: fp16 d times q, exact.
  void (*q8_0_to_f32)(const quant::BlockQ8_0* row, size_t first, size_t n,
                      float* dst);
};

// The keys of a block (j0 .. j0 + nb - 1) each row of the tile sees, as
// offsets into the block: row r takes [begin[r], valid[r]) (empty when equal:
// outside its window or past its causal limit). Returns the largest valid[r]
// (0: no row sees any key). One plain C++ copy
// (ops/attention_kernel_portable.cc, baseline flags) every kernel calls once
// per block.
size_t BlockKeyRanges(const AttentionTile& t, size_t j0, size_t nb,
                      size_t* begin, size_t* valid);

// Plain C++ (any CPU).
extern const AttentionKernel kAttentionKernelPortable;
#if defined(__x86_64__)
// AVX2 + FMA + F16C intrinsics (ops/attention_kernel_avx2.cc).
extern const AttentionKernel kAttentionKernelAvx2;
// AVX-512F (ops/attention_kernel_avx512.cc).
extern const AttentionKernel kAttentionKernelAvx512;
#elif defined(__aarch64__)
// Advanced SIMD intrinsics (ops/attention_kernel_neon.cc).
extern const AttentionKernel kAttentionKernelNeon;
#endif

// The best kernel this CPU runs (checked once).
const AttentionKernel& BestAttentionKernel();

}  // namespace edgellm::ops::attention_internal

#endif  // EDGELLM_OPS_ATTENTION_KERNEL_H_
