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

// Same results as the references (bit for bit), in parallel chunks.
void Silu(const float* x, size_t n, float* y, ThreadPool* pool);
void SwiGlu(const float* gate, const float* up, size_t n, float* y,
            ThreadPool* pool);

}  // namespace edgellm::ops

#endif  // EDGELLM_OPS_ACTIVATION_H_
