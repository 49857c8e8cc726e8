// Activations: SiLU (x * sigmoid(x), Elfwing et al. 2017) and SwiGLU
// (Shazeer 2020, "GLU Variants Improve Transformer"): silu(gate) * up, the
// feed-forward of the llama family.
//
// Definition (as ggml's scalar ggml_silu_f32): silu(x) = x / (1 + expf(-x)).
//
// GELU (Hendrycks & Gimpel 2016) in the tanh form of llama.cpp's ggml_gelu
// (BERT's feed-forward):
//   gelu(x) = 0.5 x (1 + tanhf(sqrt(2/pi) x (1 + 0.044715 x^2)))  (f32)
// llama.cpp's CPU backend evaluates it through a table over fp16 inputs
// (ggml-cpu vec.h, GGML_GELU_FP16): x <= -10 gives 0, x >= 10 gives x, any
// other x is rounded to fp16 and gives gelu(that fp16 value) rounded to fp16.
// Gelu computes exactly that, so an encoder matches llama.cpp's vectors to
// f32 rounding; the fp16 steps move a result by up to ~1e-3 relative from
// the exact formula (GeluTanhRef), which is the size of the difference to
// Hugging Face's erf form as well.
//
// In place (y == x, y == gate or y == up) is allowed. Threading: split over
// `pool`.
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

// The tanh formula above in f32, per value, without the fp16 steps.
void GeluTanhRef(const float* x, size_t n, float* y);
// ggml's fp16-table GELU computed per value (fp16 rounding, the formula,
// fp16 rounding): the definition of Gelu's result.
void GeluRef(const float* x, size_t n, float* y);
// Same results as GeluRef (bit for bit): a 65536-entry table over fp16 bit
// patterns, built once per process (thread-safe), in parallel chunks; an
// AVX2 + F16C loop where the CPU has them (ops/gelu_kernel.h).
void Gelu(const float* x, size_t n, float* y, ThreadPool* pool);

// GeGLU (Shazeer 2020), the gated feed-forward of Gemma: gelu(gate) * up
// with the fp16-table GELU above, as llama.cpp's ggml_geglu on the CPU
// (ggml_vec_geglu_f32 under GGML_GELU_FP16). The reference is the
// definition; GeGlu gives the same bits, in parallel chunks. In place
// (y == gate or y == up) is allowed.
void GeGluRef(const float* gate, const float* up, size_t n, float* y);
void GeGlu(const float* gate, const float* up, size_t n, float* y,
           ThreadPool* pool);

}  // namespace edgellm::ops

#endif  // EDGELLM_OPS_ACTIVATION_H_
