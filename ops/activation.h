// Activations: SiLU (x * sigmoid(x), Elfwing et al. 2017) and SwiGLU
// (Shazeer 2020, "GLU Variants Improve Transformer"): silu(gate) * up, the
// feed-forward of the llama family.
//
// Definition (as ggml's scalar ggml_silu_f32): silu(x) = x / (1 + expf(-x)).
// In place (y == gate or y == up) is allowed. Threading: split over `pool`.
#ifndef EDGELLM_OPS_ACTIVATION_H_
#define EDGELLM_OPS_ACTIVATION_H_

#include <cstddef>

#include "ops/thread_pool.h"

namespace edgellm::ops {

void SiluRef(const float* x, size_t n, float* y);
void SwiGluRef(const float* gate, const float* up, size_t n, float* y);

// Same results as SiluRef (bit for bit), in parallel chunks.
void Silu(const float* x, size_t n, float* y, ThreadPool* pool);

// The fast path: XNNPACK sigmoid_nc_f32 + two multiply_nd_f32 (XNNPACK
// 2022-02 has no fused SiLU), ~6x the scalar reference
// (docs/ops_xnnpack_vs_own.md). XNNPACK's sigmoid is a polynomial
// approximation, so results differ from SwiGluRef by a few ulp (relative
// error < 1e-5, checked in activation_test). Large n (prefill) runs the
// sigmoid on pool->get(); small n (decode) on the calling thread. The
// operators are created once per calling thread and reused: no heap
// allocation after the first call on a thread.
void SwiGlu(const float* gate, const float* up, size_t n, float* y,
            ThreadPool* pool);

}  // namespace edgellm::ops

#endif  // EDGELLM_OPS_ACTIVATION_H_
