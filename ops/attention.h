// Causal grouped-query attention for one sequence (Vaswani et al. 2017;
// GQA: Ainslie et al. 2023), optionally within a sliding window (Beltagy et
// al. 2020; Gemma 2/3's local layers).
//
// Inputs:
//   q        [n_tokens][n_heads * head_dim]; token t is at position pos0 + t.
//   keys and values of positions j <= pos0 + t (KvRows):
//     j <  pos0: the cache, a ring of n_ctx rows [n_ctx][n_kv_heads *
//                head_dim]: position j is row j % n_ctx;
//                or, paged (KvRows::blocks set), row j % block_rows of
//                block blocks[j / block_rows] of a pool of fixed-size
//                blocks (a sequence's block table; no copy per call);
//     j >= pos0: the call's own new rows, row j - pos0 of new_k / new_v
//                (the caller stores them in the cache afterwards).
// Output:
//   out      [n_tokens][n_heads * head_dim]:
//            out_h(t) = sum_{lo(p) <= j <= p} softmax_j(q_h(t) . k_g(j) *
//                       scale) * v_g(j),  p = pos0 + t,
//            g = h / (n_heads / n_kv_heads) (consecutive query heads share a
//            KV head, as llama.cpp's broadcasting and HF's repeat_kv),
//            lo(p) = 0, or p - window + 1 with a window (a query sees itself
//            and the window - 1 positions before it, llama.cpp's
//            LLAMA_SWA_TYPE_STANDARD), scale = 1/sqrt(head_dim) unless set.
// With a window the cache needs only the last window - 1 positions, so
// n_ctx may be as small as that: a ring that wraps around. Without one,
// every position of the call must fit the cache: pos0 + n_tokens <= n_ctx.
// Scratch: AttentionScratchFloats() floats from the caller, reused across
// calls (no allocation per token); checked by both paths, used by the
// reference (the fast path keeps its per-tile state on the stack).
// Threading: (KV head x tiles of query rows) split over `pool`.
//
// The f16 variant stores K/V as IEEE half bits (the new rows too); like
// llama.cpp (whose f16 dot converts the f32 operand to the cache type) q is
// rounded to f16 before the q.k dot product.
//
// The q8_0 variant stores each position's row of n_kv_heads x head_dim
// values as Q8_0 blocks (quant/q8_0.h; the new rows too, made by
// QuantizeKvRowsQ8_0), a head's values being values g * head_dim .. of that
// row (so with head_dim < 32 several heads share a block and its scale).
// Keys and values are used as their exact dequantized floats d * q, and q
// stays f32: llama.cpp rounds q to Q8_0 for an integer dot product, which
// adds q's rounding error to k's for no memory saved; here the dequantized
// keys are packed into the same f32 tile kernels as the other types.
#ifndef EDGELLM_OPS_ATTENTION_H_
#define EDGELLM_OPS_ATTENTION_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "ops/thread_pool.h"
#include "quant/q8_0.h"

namespace edgellm::ops {

struct AttentionShape {
  size_t n_heads = 0;
  size_t n_kv_heads = 0;  // divides n_heads
  size_t head_dim = 0;
  size_t n_ctx = 0;   // rows in the cache (a ring: position j is row j % n_ctx)
  size_t window = 0;  // 0: all earlier positions; else the last `window`
  float scale = 0.0f;  // of q.k; 0 means 1/sqrt(head_dim)
};

// Where the keys and values of a call are (see the header comment). T is
// float, uint16_t (f16 bits) or quant::BlockQ8_0; rows, strides and the
// pointers count in T (a q8_0 row is n_kv_heads x head_dim / 32 blocks).
template <typename T>
struct KvRows {
  const T* k = nullptr;  // the cache: n_ctx rows (paged: the pool's block 0)
  const T* v = nullptr;
  const T* new_k = nullptr;  // n_tokens rows, positions pos0 ..
  const T* new_v = nullptr;
  // Paged: cached position j (< pos0) is row j % block_rows of block
  // b = blocks[j / block_rows], whose rows start at k + b * block_stride
  // (and v + b * block_stride) elements. The table covers positions
  // 0 .. pos0 - 1 (at least ceil(pos0 / block_rows) entries). Null: the
  // ring above. The keys are visited in the same order either way, so the
  // results are bit-identical to a contiguous cache holding the same rows.
  const int32_t* blocks = nullptr;
  size_t block_rows = 0;
  size_t block_stride = 0;  // in T
};

// Floats of scratch Attention needs: one row of scores.
size_t AttentionScratchFloats(const AttentionShape& shape);

// Plain reference: straightforward loops, calling thread only.
absl::Status AttentionRowsRef(const AttentionShape& shape, const float* q,
                              size_t n_tokens, size_t pos0,
                              const KvRows<float>& kv, float* out,
                              float* scratch, size_t scratch_floats);
absl::Status AttentionRowsF16Ref(const AttentionShape& shape, const float* q,
                                 size_t n_tokens, size_t pos0,
                                 const KvRows<uint16_t>& kv, float* out,
                                 float* scratch, size_t scratch_floats);
absl::Status AttentionRowsQ8_0Ref(const AttentionShape& shape, const float* q,
                                  size_t n_tokens, size_t pos0,
                                  const KvRows<quant::BlockQ8_0>& kv,
                                  float* out, float* scratch,
                                  size_t scratch_floats);

// Fast path: query heads that share a KV head in tiles of up to 8 rows, keys
// in blocks with an online softmax (running max and sum), a kernel chosen at
// run time (ops/attention_kernel.h): AVX-512F or AVX2+FMA+F16C on x86, NEON
// on ARM, else portable C++. The f16 and q8_0 rows of a key block are
// converted to f32 once for every query row of the tile.
// Only the keys inside a tile's windows are read. Results differ from the
// reference by f32 rounding and a ~2 ulp exp only.
absl::Status AttentionRows(const AttentionShape& shape, const float* q,
                           size_t n_tokens, size_t pos0,
                           const KvRows<float>& kv, float* out, float* scratch,
                           size_t scratch_floats, ThreadPool* pool);
absl::Status AttentionRowsF16(const AttentionShape& shape, const float* q,
                              size_t n_tokens, size_t pos0,
                              const KvRows<uint16_t>& kv, float* out,
                              float* scratch, size_t scratch_floats,
                              ThreadPool* pool);
absl::Status AttentionRowsQ8_0(const AttentionShape& shape, const float* q,
                               size_t n_tokens, size_t pos0,
                               const KvRows<quant::BlockQ8_0>& kv, float* out,
                               float* scratch, size_t scratch_floats,
                               ThreadPool* pool);

// `rows` rows of `row_values` floats (a multiple of 32) to Q8_0 blocks, as
// the q8_0 cache stores them: ggml's quantize_row_q8_0 as its x86 build
// rounds (amax = max |x|, d = amax / 127 stored as fp16, q = x * (127 /
// amax) rounded to nearest even; ops/kernels/q8_0_quantize.cc).
void QuantizeKvRowsQ8_0(const float* x, size_t rows, size_t row_values,
                        quant::BlockQ8_0* y);

// The same with every key in the cache: the call's rows already stored at
// rows pos0 .. pos0 + n_tokens - 1 of k and v (no wrap within them).
absl::Status AttentionRef(const AttentionShape& shape, const float* q,
                          size_t n_tokens, size_t pos0, const float* k,
                          const float* v, float* out, float* scratch,
                          size_t scratch_floats);
absl::Status AttentionF16Ref(const AttentionShape& shape, const float* q,
                             size_t n_tokens, size_t pos0, const uint16_t* k,
                             const uint16_t* v, float* out, float* scratch,
                             size_t scratch_floats);
absl::Status Attention(const AttentionShape& shape, const float* q,
                       size_t n_tokens, size_t pos0, const float* k,
                       const float* v, float* out, float* scratch,
                       size_t scratch_floats, ThreadPool* pool);
absl::Status AttentionF16(const AttentionShape& shape, const float* q,
                          size_t n_tokens, size_t pos0, const uint16_t* k,
                          const uint16_t* v, float* out, float* scratch,
                          size_t scratch_floats, ThreadPool* pool);

// Bidirectional attention over packed sequences (encoders: BERT,
// nomic-bert), without a cache: sequence s is rows [seq_starts[s],
// seq_starts[s + 1]) of q ([rows][n_heads * head_dim]), k and v
// ([rows][n_kv_heads * head_dim]), and each query row attends to every key
// row of its own sequence and to no other (a block-diagonal mask, no causal
// mask):
//   out_h(t) = sum_{j in seq(t)} softmax_j(q_h(t) . k_g(j) * scale) * v_g(j).
// shape.n_ctx bounds the length of one sequence; the window does not apply.
// `seq_starts` holds n_seqs + 1 non-decreasing row offsets. The reference
// needs AttentionScratchFloats(shape) floats of scratch; the fast path (the
// tile kernels of Attention, tasks of one sequence and KV head) none.
absl::Status BidirectionalAttentionRef(const AttentionShape& shape,
                                       const float* q, const float* k,
                                       const float* v,
                                       absl::Span<const size_t> seq_starts,
                                       float* out, float* scratch,
                                       size_t scratch_floats);
absl::Status BidirectionalAttention(const AttentionShape& shape, const float* q,
                                    const float* k, const float* v,
                                    absl::Span<const size_t> seq_starts,
                                    float* out, ThreadPool* pool);

}  // namespace edgellm::ops

#endif  // EDGELLM_OPS_ATTENTION_H_
