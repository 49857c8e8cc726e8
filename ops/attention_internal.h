// Internal to ops/attention.cc and its test: the fast path with an explicit
// tile kernel, so every kernel this CPU runs can be checked against the
// reference, whichever one Attention picks.
#ifndef EDGELLM_OPS_ATTENTION_INTERNAL_H_
#define EDGELLM_OPS_ATTENTION_INTERNAL_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "ops/attention.h"
#include "ops/attention_kernel.h"
#include "ops/thread_pool.h"

namespace edgellm::ops::attention_internal {

// The kernels this CPU can run, portable first, best last.
std::vector<const AttentionKernel*> SupportedAttentionKernels();

absl::Status AttentionWithKernel(const AttentionKernel& kernel,
                                 const AttentionShape& shape, const float* q,
                                 size_t n_tokens, size_t pos0,
                                 const KvRows<float>& kv, float* out,
                                 float* scratch, size_t scratch_floats,
                                 ThreadPool* pool);
absl::Status AttentionF16WithKernel(const AttentionKernel& kernel,
                                    const AttentionShape& shape, const float* q,
                                    size_t n_tokens, size_t pos0,
                                    const KvRows<uint16_t>& kv, float* out,
                                    float* scratch, size_t scratch_floats,
                                    ThreadPool* pool);
absl::Status AttentionQ8_0WithKernel(
    const AttentionKernel& kernel, const AttentionShape& shape, const float* q,
    size_t n_tokens, size_t pos0, const KvRows<quant::BlockQ8_0>& kv,
    float* out, float* scratch, size_t scratch_floats, ThreadPool* pool);

absl::Status BidirectionalAttentionWithKernel(
    const AttentionKernel& kernel, const AttentionShape& shape, const float* q,
    const float* k, const float* v, absl::Span<const size_t> seq_starts,
    float* out, ThreadPool* pool);

}  // namespace edgellm::ops::attention_internal

#endif  // EDGELLM_OPS_ATTENTION_INTERNAL_H_
