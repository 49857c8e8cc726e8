// Softmax over rows: y[i] = exp(x[i] - max) / sum_j exp(x[j] - max).
//
// As ggml's ggml_vec_soft_max_f32: subtract the row max, expf, sum in double,
// then scale by float(1 / sum). In place (y == x) allowed.
#ifndef EDGELLM_OPS_SOFTMAX_H_
#define EDGELLM_OPS_SOFTMAX_H_

#include <xnnpack.h>

#include <cstddef>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ops/thread_pool.h"

namespace edgellm::ops {

// One row of n values.
void SoftmaxRowRef(const float* x, size_t n, float* y);

// `rows` rows of n values, row r at offset r * n, rows split over `pool`.
// Same results as SoftmaxRowRef per row.
void Softmax(const float* x, size_t rows, size_t n, float* y, ThreadPool* pool);

// XNNPACK softmax_nc_f32 for a fixed row length (its operator is created per
// size, so it suits the vocabulary softmax, not attention rows whose length
// grows per token). Kept for the comparison in docs/ops_xnnpack_vs_own.md.
// Not thread-safe (Run re-binds buffers).
class XnnSoftmax {
 public:
  static absl::StatusOr<std::unique_ptr<XnnSoftmax>> Create(size_t n);
  ~XnnSoftmax();
  XnnSoftmax(const XnnSoftmax&) = delete;
  XnnSoftmax& operator=(const XnnSoftmax&) = delete;
  absl::Status Run(const float* x, size_t rows, float* y, ThreadPool* pool);

 private:
  explicit XnnSoftmax(xnn_operator_t op) : op_(op) {}
  xnn_operator_t op_;
};

}  // namespace edgellm::ops

#endif  // EDGELLM_OPS_SOFTMAX_H_
