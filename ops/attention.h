// Causal grouped-query attention for one sequence (Vaswani et al. 2017;
// GQA: Ainslie et al. 2023).
//
// Inputs:
//   q        [n_tokens][n_heads * head_dim]; token t is at position pos0 + t.
//   k, v     the KV cache, [n_ctx][n_kv_heads * head_dim], rows 0 ..
//            pos0 + n_tokens - 1 already written (the new tokens included).
// Output:
//   out      [n_tokens][n_heads * head_dim]:
//            out_h(t) = sum_{j <= pos0+t} softmax_j(q_h(t) . k_g(j) * scale)
//                       * v_g(j),  g = h / (n_heads / n_kv_heads)
//            (consecutive query heads share a KV head, as llama.cpp's
//            broadcasting and HF's repeat_kv), scale = 1/sqrt(head_dim).
// Scratch: AttentionScratchFloats() floats from the caller, reused across
// calls (no allocation per token); checked by both paths, used by the
// reference (the fast path keeps its per-tile state on the stack).
// Threading: (KV head x tiles of query rows) split over `pool`.
//
// The f16 variant stores K/V as IEEE half bits; like llama.cpp (whose f16
// dot converts the f32 operand to the cache type) q is rounded to f16 before
// the q.k dot product.
//
// Bidirectional attention (encoders: BERT, nomic-bert) runs over packed
// sequences without a cache: sequence s is rows [seq_starts[s],
// seq_starts[s + 1]) of q ([rows][n_heads * head_dim]), k and v
// ([rows][n_kv_heads * head_dim]), and each query row attends to every key
// row of its own sequence and to no other (a block-diagonal mask, no causal
// mask):
//   out_h(t) = sum_{j in seq(t)} softmax_j(q_h(t) . k_g(j) * scale) * v_g(j).
// shape.n_ctx bounds the length of one sequence.
#ifndef EDGELLM_OPS_ATTENTION_H_
#define EDGELLM_OPS_ATTENTION_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "ops/thread_pool.h"

namespace edgellm::ops {

struct AttentionShape {
  size_t n_heads = 0;
  size_t n_kv_heads = 0;  // divides n_heads
  size_t head_dim = 0;
  size_t n_ctx = 0;  // rows in the cache
};

// Floats of scratch Attention needs: one score row of n_ctx per head.
size_t AttentionScratchFloats(const AttentionShape& shape);

// Plain reference: straightforward loops, calling thread only.
absl::Status AttentionRef(const AttentionShape& shape, const float* q,
                          size_t n_tokens, size_t pos0, const float* k,
                          const float* v, float* out, float* scratch,
                          size_t scratch_floats);
absl::Status AttentionF16Ref(const AttentionShape& shape, const float* q,
                             size_t n_tokens, size_t pos0, const uint16_t* k,
                             const uint16_t* v, float* out, float* scratch,
                             size_t scratch_floats);

// Fast path: query heads that share a KV head in tiles of up to 8 rows, keys
// in blocks with an online softmax (running max and sum), an AVX2+FMA+F16C
// kernel chosen at run time where the CPU has it (ops/attention_kernel.h).
// Results differ from the reference by f32 rounding and a ~2 ulp exp only.
absl::Status Attention(const AttentionShape& shape, const float* q,
                       size_t n_tokens, size_t pos0, const float* k,
                       const float* v, float* out, float* scratch,
                       size_t scratch_floats, ThreadPool* pool);
absl::Status AttentionF16(const AttentionShape& shape, const float* q,
                          size_t n_tokens, size_t pos0, const uint16_t* k,
                          const uint16_t* v, float* out, float* scratch,
                          size_t scratch_floats, ThreadPool* pool);

// Bidirectional attention over packed sequences (see the top of this file).
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
