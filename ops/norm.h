// RMSNorm (Zhang & Sennrich 2019), as llama.cpp's ggml_rms_norm followed by
// the weight multiply (decoders):
//   y[i] = (x[i] * scale) * weight[i],  scale = 1 / sqrtf(mean + eps),
//   mean = float(sum_i double(x[i] * x[i]) / n)
// (ggml-cpu ops.cpp rms_norm_f32 sums the squares in ggml_float = double).
//
// LayerNorm (Ba et al. 2016) with weight and bias, as llama.cpp's ggml_norm
// followed by ggml_mul and ggml_add (BERT's norms, encoders):
//   mean = float(sum_i double(x[i]) / n),  v[i] = x[i] - mean,
//   var = float(sum_i double(v[i] * v[i]) / n)  (biased),
//   y[i] = (v[i] * scale) * weight[i] + bias[i],  scale = 1 / sqrtf(var + eps)
// (ggml-cpu ops.cpp norm_f32 also sums in ggml_float = double). BERT models
// use eps = 1e-12, so the f32 variance is what decides the scale of a row
// whose values are nearly equal.
//
// Layout: `rows` rows of `n` floats, row r at x + r * n. In place (y == x) is
// allowed. Threading: rows split over `pool` (nullptr = calling thread).
#ifndef EDGELLM_OPS_NORM_H_
#define EDGELLM_OPS_NORM_H_

#include <cstddef>

#include "ops/thread_pool.h"

namespace edgellm::ops {

// One row at a time on the calling thread; the definition of the result.
void RmsNormRef(const float* x, const float* weight, size_t rows, size_t n,
                float eps, float* y);

// Same results as RmsNormRef (bit for bit), rows in parallel, and eight
// rows' sums of squares taken side by side (each still in index order). RMSNorm
// is O(n) per token, far below the linear layers, so there is no SIMD variant
// (see docs/ops_xnnpack_vs_own.md).
void RmsNorm(const float* x, const float* weight, size_t rows, size_t n,
             float eps, float* y, ThreadPool* pool);

// One row at a time on the calling thread; the definition of the result.
// `bias` may be nullptr (no bias).
void LayerNormRef(const float* x, const float* weight, const float* bias,
                  size_t rows, size_t n, float eps, float* y);

// Same results as LayerNormRef (bit for bit), rows in parallel.
void LayerNorm(const float* x, const float* weight, const float* bias,
               size_t rows, size_t n, float eps, float* y, ThreadPool* pool);

}  // namespace edgellm::ops

#endif  // EDGELLM_OPS_NORM_H_
