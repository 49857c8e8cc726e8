#include "ops/attention.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ops/attention_internal.h"
#include "ops/attention_kernel.h"
#include "ops/kernels/q8_0_gemm.h"
#include "ops/softmax.h"
#include "quant/fp16.h"
#include "quant/q8_0.h"

#if defined(__x86_64__)
#include <cpuinfo.h>
#endif

namespace edgellm::ops {
namespace {

using quant::BlockQ8_0;

// The largest head_dim whose f16-rounded q fits the stack buffer.
constexpr size_t kMaxHeadDim = 1024;

// Values per storage unit of a cache type: a float, an f16, a Q8_0 block.
template <typename T>
constexpr size_t kUnitValues =
    std::is_same_v<T, BlockQ8_0> ? size_t{quant::kQ8_0BlockSize} : size_t{1};

// Value e of a cache row (e counted over the whole row of n_kv_heads x
// head_dim values), exactly as the kernels' conversions give it.
template <typename T>
inline float LoadAt(const T* row, size_t e) {
  if constexpr (std::is_same_v<T, float>) {
    return row[e];
  } else if constexpr (std::is_same_v<T, uint16_t>) {
    return quant::Fp16ToFp32(row[e]);
  } else {
    const BlockQ8_0& b = row[e / quant::kQ8_0BlockSize];
    return quant::Fp16ToFp32(b.d) *
           static_cast<float>(b.qs[e % quant::kQ8_0BlockSize]);
  }
}

// Where the keys of a call live: row address of position j.
template <typename T>
struct KeyRows {
  KvRows<T> kv;
  size_t pos0 = 0, n_ctx = 0, row = 0;  // row: units (T) per cache row
  // Element offset of cached position j in k / v.
  size_t Cached(size_t j) const {
    if (kv.blocks == nullptr) return (j % n_ctx) * row;
    return size_t(kv.blocks[j / kv.block_rows]) * kv.block_stride +
           (j % kv.block_rows) * row;
  }
  const T* K(size_t j) const {
    return j >= pos0 ? kv.new_k + (j - pos0) * row : kv.k + Cached(j);
  }
  const T* V(size_t j) const {
    return j >= pos0 ? kv.new_v + (j - pos0) * row : kv.v + Cached(j);
  }
};

// The first key position a query at position p sees.
inline size_t FirstKey(const AttentionShape& s, size_t p) {
  return s.window == 0 || p + 1 <= s.window ? 0 : p + 1 - s.window;
}

inline float Scale(const AttentionShape& s) {
  return s.scale != 0.0f ? s.scale
                         : 1.0f / std::sqrt(static_cast<float>(s.head_dim));
}

absl::Status CheckShape(const AttentionShape& s) {
  if (s.n_heads == 0 || s.n_kv_heads == 0 || s.head_dim == 0 ||
      s.n_heads % s.n_kv_heads != 0 || s.head_dim > kMaxHeadDim ||
      s.n_ctx == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Attention: bad shape n_heads = ", s.n_heads, ", n_kv_heads = ",
        s.n_kv_heads, ", head_dim = ", s.head_dim, ", n_ctx = ", s.n_ctx,
        " (n_kv_heads must divide n_heads; head_dim <= ", kMaxHeadDim,
        "; n_ctx > 0)"));
  }
  return absl::OkStatus();
}

template <typename T>
absl::Status Check(const AttentionShape& s, const void* q, size_t n_tokens,
                   size_t pos0, const KvRows<T>& kv, const float* out,
                   const float* scratch, size_t scratch_floats) {
  if (absl::Status st = CheckShape(s); !st.ok()) return st;
  if (s.window == 0 && pos0 + n_tokens > s.n_ctx) {
    return absl::InvalidArgumentError(
        absl::StrCat("Attention: positions up to ", pos0 + n_tokens,
                     " exceed n_ctx = ", s.n_ctx));
  }
  // The oldest cached key the first query needs must still be in the ring.
  if (pos0 - FirstKey(s, pos0) > s.n_ctx) {
    return absl::InvalidArgumentError(
        absl::StrCat("Attention: a window of ", s.window, " at position ", pos0,
                     " needs more than the ", s.n_ctx, " cached rows"));
  }
  if (scratch_floats < AttentionScratchFloats(s)) {
    return absl::InvalidArgumentError(
        absl::StrCat("Attention: scratch has ", scratch_floats,
                     " floats, needs ", AttentionScratchFloats(s)));
  }
  if (q == nullptr || kv.k == nullptr || kv.v == nullptr ||
      kv.new_k == nullptr || kv.new_v == nullptr || out == nullptr ||
      scratch == nullptr) {
    return absl::InvalidArgumentError("Attention: null pointer argument");
  }
  if (std::is_same_v<T, BlockQ8_0> &&
      (s.n_kv_heads * s.head_dim) % quant::kQ8_0BlockSize != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Attention: a q8_0 cache row of n_kv_heads x head_dim = ",
        s.n_kv_heads * s.head_dim, " values is not whole blocks of 32"));
  }
  if (kv.blocks != nullptr &&
      (kv.block_rows == 0 || kv.block_stride < kv.block_rows * s.n_kv_heads *
                                                   s.head_dim /
                                                   kUnitValues<T>)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Attention: a block table with ", kv.block_rows, " rows per block ",
        "and a stride of ", kv.block_stride, " units (needs rows > 0 and ",
        "stride >= rows x n_kv_heads x head_dim values)"));
  }
  return absl::OkStatus();
}

float DotRef(const float* a, const float* b, size_t n) {
  float s = 0.0f;
  for (size_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

// Reference, one (token, head) over key positions [lo, hi): scores,
// softmax, weighted sum of V rows.
template <typename T>
void AttendOne(const AttentionShape& s, const float* q, size_t t, size_t h,
               const KeyRows<T>& rows, size_t lo, size_t hi, float* out,
               float* scores) {
  const size_t d = s.head_dim;
  const size_t g = h / (s.n_heads / s.n_kv_heads);
  const float* qh = q + t * s.n_heads * d + h * d;
  float qbuf[kMaxHeadDim];
  if constexpr (std::is_same_v<T, uint16_t>) {
    // llama.cpp converts q to the cache's f16 before the dot product.
    for (size_t i = 0; i < d; ++i) {
      qbuf[i] = quant::Fp16ToFp32(quant::Fp32ToFp16(qh[i]));
    }
    qh = qbuf;
  }
  const float scale = Scale(s);
  const size_t n_keys = hi - lo;
  for (size_t j = 0; j < n_keys; ++j) {
    const T* kj = rows.K(lo + j);
    float dot;
    if constexpr (std::is_same_v<T, float>) {
      dot = DotRef(qh, kj + g * d, d);
    } else {
      dot = 0.0f;
      for (size_t i = 0; i < d; ++i) dot += qh[i] * LoadAt(kj, g * d + i);
    }
    scores[j] = dot * scale;
  }
  SoftmaxRowRef(scores, n_keys, scores);
  float* o = out + t * s.n_heads * d + h * d;
  std::memset(o, 0, d * sizeof(float));
  for (size_t j = 0; j < n_keys; ++j) {
    const T* vj = rows.V(lo + j);
    const float w = scores[j];
    for (size_t i = 0; i < d; ++i) o[i] += w * LoadAt(vj, g * d + i);
  }
}

template <typename T>
KeyRows<T> MakeKeyRows(const AttentionShape& s, size_t pos0,
                       const KvRows<T>& kv) {
  return {kv, pos0, s.n_ctx, s.n_kv_heads * s.head_dim / kUnitValues<T>};
}

template <typename T>
absl::Status AttentionImplRef(const AttentionShape& s, const float* q,
                              size_t n_tokens, size_t pos0, const KvRows<T>& kv,
                              float* out, float* scratch,
                              size_t scratch_floats) {
  if (absl::Status st =
          Check(s, q, n_tokens, pos0, kv, out, scratch, scratch_floats);
      !st.ok()) {
    return st;
  }
  const KeyRows<T> rows = MakeKeyRows(s, pos0, kv);
  for (size_t t = 0; t < n_tokens; ++t) {
    const size_t p = pos0 + t;
    for (size_t h = 0; h < s.n_heads; ++h) {
      AttendOne<T>(s, q, t, h, rows, FirstKey(s, p), p + 1, out, scratch);
    }
  }
  return absl::OkStatus();
}

using attention_internal::AttentionKernel;
using attention_internal::AttentionTile;
using attention_internal::kAttentionBlockKeys;
using attention_internal::kAttentionTileRows;

// K/V are packed (f16, q8_0: converted to f32) one key block at a time into
// stack buffers of this many floats each (so fewer keys per block when
// head_dim is large).
constexpr size_t kBlockFloats = 8192;

// The gather of cached keys prefetches this many keys ahead. A cached row's
// slice of one KV head (512 bytes for qwen3-0.6b's head_dim 128) is on a
// page of its own (rows are n_kv_heads x head_dim values apart, 4 KB for
// qwen3), so the hardware prefetchers do not follow it, and a decode step
// waited for each slice in turn: the copy took 4-5x the tile kernel's time.
constexpr size_t kPrefetchKeys = 4;

// A cached value costs the gather far more than a multiply-add costs the
// kernel (it comes from L3 or memory, not L1): counted as this many, a
// decode step of qwen3-0.6b splits over the pool from position ~12 instead
// of ~63, so the worker does not wait while the caller gathers alone.
constexpr size_t kGatherWorkPerValue = 8;

// Prefetches the bytes of values [first, first + n) of a cache row.
template <typename T>
inline void PrefetchValues(const T* row, size_t first, size_t n) {
  const char* p = reinterpret_cast<const char*>(row + first);
  const char* end = reinterpret_cast<const char*>(row + first + n);
  for (; p < end; p += 64) __builtin_prefetch(p);
}
// The Q8_0 blocks that hold those values.
inline void PrefetchValues(const BlockQ8_0* row, size_t first, size_t n) {
  const size_t b0 = first / quant::kQ8_0BlockSize;
  const size_t b1 =
      (first + n + quant::kQ8_0BlockSize - 1) / quant::kQ8_0BlockSize;
  const char* p = reinterpret_cast<const char*>(row + b0);
  const char* end = reinterpret_cast<const char*>(row + b1);
  for (; p < end; p += 64) __builtin_prefetch(p);
}

// Values [first, first + n) of a cache row as floats, through the kernel's
// conversion (exact: every f16 and every d * q of a Q8_0 block is a float).
inline void LoadValues(const AttentionKernel&, const float* row, size_t first,
                       size_t n, float* dst) {
  std::memcpy(dst, row + first, n * sizeof(float));
}
inline void LoadValues(const AttentionKernel& kernel, const uint16_t* row,
                       size_t first, size_t n, float* dst) {
  kernel.f16_to_f32(row + first, n, dst);
}
inline void LoadValues(const AttentionKernel& kernel, const BlockQ8_0* row,
                       size_t first, size_t n, float* dst) {
  kernel.q8_0_to_f32(row, first, n, dst);
}

// Rows [row0, row1) of KV head g, row i being query head g * group + i %
// group of token i / group: the keys of its windows, then normalized into
// `out`. Token t sees its causal window or, when `all_keys` > 0, positions
// 0 .. all_keys - 1 (bidirectional).
template <typename T>
void AttendTile(const AttentionKernel& kernel, const AttentionShape& s,
                const float* q, const KeyRows<T>& rows, float* out, size_t g,
                size_t row0, size_t row1, size_t all_keys = 0) {
  const size_t d = s.head_dim;
  const size_t group = s.n_heads / s.n_kv_heads;
  alignas(32) float qbuf[kAttentionTileRows * kMaxHeadDim];
  alignas(32) float scores[kAttentionTileRows * kAttentionBlockKeys];
  AttentionTile tile;
  tile.rows = row1 - row0;
  tile.head_dim = d;
  tile.scale = Scale(s);
  tile.q = qbuf;
  tile.scores = scores;
  size_t key_end = 0, key_begin = std::numeric_limits<size_t>::max();
  for (size_t r = 0; r < tile.rows; ++r) {
    const size_t t = (row0 + r) / group;
    const size_t h = g * group + (row0 + r) % group;
    const float* qh = q + (t * s.n_heads + h) * d;
    float* qr = qbuf + r * d;
    if constexpr (!std::is_same_v<T, uint16_t>) {
      std::memcpy(qr, qh, d * sizeof(float));
    } else {
      // llama.cpp converts q to the cache's f16 before the dot product.
      for (size_t i = 0; i < d; ++i) {
        qr[i] = quant::Fp16ToFp32(quant::Fp32ToFp16(qh[i]));
      }
    }
    tile.out[r] = out + (t * s.n_heads + h) * d;
    std::memset(tile.out[r], 0, d * sizeof(float));
    const size_t p = rows.pos0 + t;
    tile.first_key[r] = all_keys > 0 ? 0 : FirstKey(s, p);
    tile.n_keys[r] = all_keys > 0 ? all_keys : p + 1;
    tile.max[r] = -std::numeric_limits<float>::infinity();
    tile.sum[r] = 0.0f;
    key_begin = std::min(key_begin, tile.first_key[r]);
    key_end = std::max(key_end, tile.n_keys[r]);
  }
  // Each key block's K and V slices are copied (f16, q8_0: converted) into
  // contiguous buffers: in the cache, the rows of one KV head are
  // n_kv_heads * head_dim floats apart (1 KB for tinyllama), so a block of
  // them falls into a quarter of L1's sets and evicts itself; packed, it
  // stays in L1 while every row of the tile reads it. (Measured:
  // docs/ops_xnnpack_vs_own.md.) The copy is also where ring rows and the
  // call's new rows come together in position order.
  alignas(32) float kbuf[kBlockFloats];
  alignas(32) float vbuf[kBlockFloats];
  // Cached rows only: the call's new rows were just written.
  auto prefetch = [&](size_t j) {
    if (j < key_end && j < rows.pos0) {
      PrefetchValues(rows.K(j), g * d, d);
      PrefetchValues(rows.V(j), g * d, d);
    }
  };
  for (size_t j = key_begin; j < key_begin + kPrefetchKeys; ++j) prefetch(j);
  const size_t block =
      std::max<size_t>(1, std::min(kAttentionBlockKeys, kBlockFloats / d));
  for (size_t j0 = key_begin; j0 < key_end; j0 += block) {
    const size_t nb = std::min(block, key_end - j0);
    for (size_t i = 0; i < nb; ++i) {
      prefetch(j0 + i + kPrefetchKeys);
      LoadValues(kernel, rows.K(j0 + i), g * d, d, kbuf + i * d);
      LoadValues(kernel, rows.V(j0 + i), g * d, d, vbuf + i * d);
    }
    kernel.block(&tile, kbuf, vbuf, d, j0, nb);
  }
  for (size_t r = 0; r < tile.rows; ++r) {
    const float inv = 1.0f / tile.sum[r];
    for (size_t i = 0; i < d; ++i) tile.out[r][i] *= inv;
  }
}

template <typename T>
absl::Status AttentionImplFast(const AttentionKernel& kernel,
                               const AttentionShape& s, const float* q,
                               size_t n_tokens, size_t pos0,
                               const KvRows<T>& kv, float* out, float* scratch,
                               size_t scratch_floats, ThreadPool* pool) {
  if (absl::Status st =
          Check(s, q, n_tokens, pos0, kv, out, scratch, scratch_floats);
      !st.ok()) {
    return st;
  }
  const KeyRows<T> rows = MakeKeyRows(s, pos0, kv);
  // Task = a tile of up to kAttentionTileRows query rows of one KV head
  // (its heads of one token, then the next token...), so K/V rows are read
  // once per tile; tiles write disjoint output rows and need no scratch.
  // Smaller tiles when there would be fewer than two per thread (a decode
  // step with few KV heads), so every thread gets work.
  const size_t rows_per_kv = n_tokens * (s.n_heads / s.n_kv_heads);
  // Scores and weighted sum: 2 * head_dim multiply-adds per query row and
  // key position; the gather: K and V's head_dim values per KV head and
  // cached key position (at least, with one tile per KV head).
  const size_t keys = pos0 + n_tokens;
  pool = PoolForWork(
      pool, 2 * n_tokens * s.n_heads * keys * s.head_dim +
                kGatherWorkPerValue * 2 * s.n_kv_heads * pos0 * s.head_dim);
  const size_t threads = pool != nullptr ? pool->num_threads() : 1;
  size_t tile_rows = kAttentionTileRows;
  auto tiles_per_kv = [&] { return (rows_per_kv + tile_rows - 1) / tile_rows; };
  while (tile_rows > 2 && s.n_kv_heads * tiles_per_kv() < 2 * threads) {
    tile_rows = (tile_rows + 1) / 2;
  }
  const size_t per_kv = tiles_per_kv();
  ParallelFor(pool, s.n_kv_heads * per_kv, 1, [&](size_t i0, size_t i1) {
    for (size_t i = i0; i < i1; ++i) {
      const size_t g = i / per_kv;
      const size_t row0 = (i % per_kv) * tile_rows;
      AttendTile(kernel, s, q, rows, out, g, row0,
                 std::min(rows_per_kv, row0 + tile_rows));
    }
  });
  return absl::OkStatus();
}

// The packed sequences of the bidirectional attention: at least one start,
// non-decreasing, none longer than n_ctx.
absl::Status CheckPacked(const AttentionShape& s, const float* q,
                         const float* k, const float* v,
                         absl::Span<const size_t> seq_starts,
                         const float* out) {
  if (absl::Status st = CheckShape(s); !st.ok()) return st;
  if (seq_starts.empty()) {
    return absl::InvalidArgumentError(
        "BidirectionalAttention: seq_starts is empty (needs n_seqs + 1)");
  }
  for (size_t i = 1; i < seq_starts.size(); ++i) {
    if (seq_starts[i] < seq_starts[i - 1] ||
        seq_starts[i] - seq_starts[i - 1] > s.n_ctx) {
      return absl::InvalidArgumentError(absl::StrCat(
          "BidirectionalAttention: sequence ", i - 1, " is rows [",
          seq_starts[i - 1], ", ", seq_starts[i],
          "): starts must not decrease and no sequence may exceed n_ctx = ",
          s.n_ctx));
    }
  }
  if (q == nullptr || k == nullptr || v == nullptr || out == nullptr) {
    return absl::InvalidArgumentError(
        "BidirectionalAttention: null pointer argument");
  }
  return absl::OkStatus();
}

// The key rows of one packed sequence: its own rows, positions from 0.
KeyRows<float> SequenceRows(const AttentionShape& s, const float* k,
                            const float* v) {
  return MakeKeyRows<float>(s, 0, {k, v, k, v});
}

// Task = all tiles of one (sequence, KV head): a sequence's rows see every
// key row of that sequence and nothing else, so each task reads only its own
// sequence's K/V.
absl::Status BidirectionalImplFast(const AttentionKernel& kernel,
                                   const AttentionShape& s, const float* q,
                                   const float* k, const float* v,
                                   absl::Span<const size_t> seq_starts,
                                   float* out, ThreadPool* pool) {
  if (absl::Status st = CheckPacked(s, q, k, v, seq_starts, out); !st.ok()) {
    return st;
  }
  const size_t n_seqs = seq_starts.size() - 1;
  const size_t group = s.n_heads / s.n_kv_heads;
  const size_t q_row = s.n_heads * s.head_dim;
  const size_t kv_row = s.n_kv_heads * s.head_dim;
  size_t work = 0;
  for (size_t i = 0; i < n_seqs; ++i) {
    const size_t len = seq_starts[i + 1] - seq_starts[i];
    work += 2 * len * len * s.n_heads * s.head_dim;
  }
  pool = PoolForWork(pool, work);
  ParallelFor(pool, n_seqs * s.n_kv_heads, 1, [&](size_t i0, size_t i1) {
    for (size_t i = i0; i < i1; ++i) {
      const size_t seq = i / s.n_kv_heads;
      const size_t g = i % s.n_kv_heads;
      const size_t start = seq_starts[seq];
      const size_t len = seq_starts[seq + 1] - start;
      const size_t rows = len * group;
      const KeyRows<float> keys =
          SequenceRows(s, k + start * kv_row, v + start * kv_row);
      for (size_t row0 = 0; row0 < rows; row0 += kAttentionTileRows) {
        AttendTile(kernel, s, q + start * q_row, keys, out + start * q_row, g,
                   row0, std::min(rows, row0 + kAttentionTileRows), len);
      }
    }
  });
  return absl::OkStatus();
}

}  // namespace

namespace attention_internal {

std::vector<const AttentionKernel*> SupportedAttentionKernels() {
  std::vector<const AttentionKernel*> kernels = {&kAttentionKernelPortable};
#if defined(__x86_64__)
  if (cpuinfo_initialize() && cpuinfo_has_x86_avx2() &&
      cpuinfo_has_x86_fma3() && cpuinfo_has_x86_f16c()) {
    kernels.push_back(&kAttentionKernelAvx2);
    if (cpuinfo_has_x86_avx512f()) kernels.push_back(&kAttentionKernelAvx512);
  }
#elif defined(__aarch64__)
  // Advanced SIMD and its f16 conversions are part of every AArch64 CPU.
  kernels.push_back(&kAttentionKernelNeon);
#endif
  return kernels;
}

const AttentionKernel& BestAttentionKernel() {
  static const AttentionKernel* const best = SupportedAttentionKernels().back();
  return *best;
}

absl::Status AttentionWithKernel(const AttentionKernel& kernel,
                                 const AttentionShape& shape, const float* q,
                                 size_t n_tokens, size_t pos0,
                                 const KvRows<float>& kv, float* out,
                                 float* scratch, size_t scratch_floats,
                                 ThreadPool* pool) {
  return AttentionImplFast(kernel, shape, q, n_tokens, pos0, kv, out, scratch,
                           scratch_floats, pool);
}

absl::Status AttentionF16WithKernel(const AttentionKernel& kernel,
                                    const AttentionShape& shape, const float* q,
                                    size_t n_tokens, size_t pos0,
                                    const KvRows<uint16_t>& kv, float* out,
                                    float* scratch, size_t scratch_floats,
                                    ThreadPool* pool) {
  return AttentionImplFast(kernel, shape, q, n_tokens, pos0, kv, out, scratch,
                           scratch_floats, pool);
}

absl::Status AttentionQ8_0WithKernel(
    const AttentionKernel& kernel, const AttentionShape& shape, const float* q,
    size_t n_tokens, size_t pos0, const KvRows<quant::BlockQ8_0>& kv,
    float* out, float* scratch, size_t scratch_floats, ThreadPool* pool) {
  return AttentionImplFast(kernel, shape, q, n_tokens, pos0, kv, out, scratch,
                           scratch_floats, pool);
}

absl::Status BidirectionalAttentionWithKernel(
    const AttentionKernel& kernel, const AttentionShape& shape, const float* q,
    const float* k, const float* v, absl::Span<const size_t> seq_starts,
    float* out, ThreadPool* pool) {
  return BidirectionalImplFast(kernel, shape, q, k, v, seq_starts, out, pool);
}

}  // namespace attention_internal

size_t AttentionScratchFloats(const AttentionShape& shape) {
  // A query sees at most min(window, n_ctx + 1) keys (n_ctx cached rows and
  // itself), or n_ctx without a window.
  return shape.n_ctx + 1;
}

absl::Status AttentionRowsRef(const AttentionShape& shape, const float* q,
                              size_t n_tokens, size_t pos0,
                              const KvRows<float>& kv, float* out,
                              float* scratch, size_t scratch_floats) {
  return AttentionImplRef(shape, q, n_tokens, pos0, kv, out, scratch,
                          scratch_floats);
}

absl::Status AttentionRowsF16Ref(const AttentionShape& shape, const float* q,
                                 size_t n_tokens, size_t pos0,
                                 const KvRows<uint16_t>& kv, float* out,
                                 float* scratch, size_t scratch_floats) {
  return AttentionImplRef(shape, q, n_tokens, pos0, kv, out, scratch,
                          scratch_floats);
}

absl::Status AttentionRowsQ8_0Ref(const AttentionShape& shape, const float* q,
                                  size_t n_tokens, size_t pos0,
                                  const KvRows<quant::BlockQ8_0>& kv,
                                  float* out, float* scratch,
                                  size_t scratch_floats) {
  return AttentionImplRef(shape, q, n_tokens, pos0, kv, out, scratch,
                          scratch_floats);
}

absl::Status AttentionRowsQ8_0(const AttentionShape& shape, const float* q,
                               size_t n_tokens, size_t pos0,
                               const KvRows<quant::BlockQ8_0>& kv, float* out,
                               float* scratch, size_t scratch_floats,
                               ThreadPool* pool) {
  return AttentionImplFast(attention_internal::BestAttentionKernel(), shape, q,
                           n_tokens, pos0, kv, out, scratch, scratch_floats,
                           pool);
}

void QuantizeKvRowsQ8_0(const float* x, size_t rows, size_t row_values,
                        quant::BlockQ8_0* y) {
  for (size_t r = 0; r < rows; ++r) {
    kernels::QuantizeRowQ8_0Activations(
        x + r * row_values, y + r * (row_values / quant::kQ8_0BlockSize),
        row_values);
  }
}

absl::Status AttentionRows(const AttentionShape& shape, const float* q,
                           size_t n_tokens, size_t pos0,
                           const KvRows<float>& kv, float* out, float* scratch,
                           size_t scratch_floats, ThreadPool* pool) {
  return AttentionImplFast(attention_internal::BestAttentionKernel(), shape, q,
                           n_tokens, pos0, kv, out, scratch, scratch_floats,
                           pool);
}

absl::Status AttentionRowsF16(const AttentionShape& shape, const float* q,
                              size_t n_tokens, size_t pos0,
                              const KvRows<uint16_t>& kv, float* out,
                              float* scratch, size_t scratch_floats,
                              ThreadPool* pool) {
  return AttentionImplFast(attention_internal::BestAttentionKernel(), shape, q,
                           n_tokens, pos0, kv, out, scratch, scratch_floats,
                           pool);
}

template <typename T>
KvRows<T> InCache(const AttentionShape& shape, size_t pos0, const T* k,
                  const T* v) {
  const size_t row = shape.n_kv_heads * shape.head_dim;
  // Rows past the cache would only be read if the shape were bad, which
  // Check reports first; keep the pointers null-safe for it.
  return {k, v, k == nullptr ? nullptr : k + pos0 * row,
          v == nullptr ? nullptr : v + pos0 * row};
}

absl::Status AttentionRef(const AttentionShape& shape, const float* q,
                          size_t n_tokens, size_t pos0, const float* k,
                          const float* v, float* out, float* scratch,
                          size_t scratch_floats) {
  return AttentionRowsRef(shape, q, n_tokens, pos0, InCache(shape, pos0, k, v),
                          out, scratch, scratch_floats);
}

absl::Status AttentionF16Ref(const AttentionShape& shape, const float* q,
                             size_t n_tokens, size_t pos0, const uint16_t* k,
                             const uint16_t* v, float* out, float* scratch,
                             size_t scratch_floats) {
  return AttentionRowsF16Ref(shape, q, n_tokens, pos0,
                             InCache(shape, pos0, k, v), out, scratch,
                             scratch_floats);
}

absl::Status Attention(const AttentionShape& shape, const float* q,
                       size_t n_tokens, size_t pos0, const float* k,
                       const float* v, float* out, float* scratch,
                       size_t scratch_floats, ThreadPool* pool) {
  return AttentionRows(shape, q, n_tokens, pos0, InCache(shape, pos0, k, v),
                       out, scratch, scratch_floats, pool);
}

absl::Status AttentionF16(const AttentionShape& shape, const float* q,
                          size_t n_tokens, size_t pos0, const uint16_t* k,
                          const uint16_t* v, float* out, float* scratch,
                          size_t scratch_floats, ThreadPool* pool) {
  return AttentionRowsF16(shape, q, n_tokens, pos0, InCache(shape, pos0, k, v),
                          out, scratch, scratch_floats, pool);
}

absl::Status BidirectionalAttentionRef(const AttentionShape& shape,
                                       const float* q, const float* k,
                                       const float* v,
                                       absl::Span<const size_t> seq_starts,
                                       float* out, float* scratch,
                                       size_t scratch_floats) {
  if (absl::Status st = CheckPacked(shape, q, k, v, seq_starts, out);
      !st.ok()) {
    return st;
  }
  if (scratch == nullptr || scratch_floats < AttentionScratchFloats(shape)) {
    return absl::InvalidArgumentError(
        absl::StrCat("BidirectionalAttention: scratch has ", scratch_floats,
                     " floats, needs ", AttentionScratchFloats(shape)));
  }
  const size_t q_row = shape.n_heads * shape.head_dim;
  const size_t kv_row = shape.n_kv_heads * shape.head_dim;
  for (size_t seq = 0; seq + 1 < seq_starts.size(); ++seq) {
    const size_t start = seq_starts[seq];
    const size_t len = seq_starts[seq + 1] - start;
    const KeyRows<float> keys =
        SequenceRows(shape, k + start * kv_row, v + start * kv_row);
    for (size_t t = 0; t < len; ++t) {
      for (size_t h = 0; h < shape.n_heads; ++h) {
        AttendOne<float>(shape, q + start * q_row, t, h, keys, 0, len,
                         out + start * q_row, scratch);
      }
    }
  }
  return absl::OkStatus();
}

absl::Status BidirectionalAttention(const AttentionShape& shape, const float* q,
                                    const float* k, const float* v,
                                    absl::Span<const size_t> seq_starts,
                                    float* out, ThreadPool* pool) {
  return BidirectionalImplFast(attention_internal::BestAttentionKernel(), shape,
                               q, k, v, seq_starts, out, pool);
}

}  // namespace edgellm::ops
