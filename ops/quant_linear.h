// Linear layers over the block-quantized GGUF weight types (Q4_0, Q4_1,
// Q5_0, Q5_1, Q2_K ... Q6_K, IQ4_NL, IQ4_XS; Q8_0 has LinearQ8_0 in
// linear.h): y[b][o] = sum_i x[b][i] * W[o][i] (+ bias[o]).
//
// Layout as linear.h: x [batch][in], y [batch][out], W [out][in] blocks as
// GGUF stores a weight with dims {in, out}. Activations are quantized once
// per call to the weight type's partner format (Q8_0, Q8_1 or Q8_K, as
// ggml-cpu rounds them), then every kernel follows the dot-product contract
// of ops/kernels/quant_gemm.h, so all kernels of a type give bit-identical
// results. Kernels are chosen by CPU features at first use
// (EDGELLM_QUANT_KERNEL=ref forces the reference).
//
// Threading: work is split over output rows on `pool` (nullptr = calling
// thread only); the quantized activations live in the pool's scratch (one
// caller thread at a time, see ThreadPool::Scratch) unless scratch is given.
#ifndef EDGELLM_OPS_QUANT_LINEAR_H_
#define EDGELLM_OPS_QUANT_LINEAR_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "ops/thread_pool.h"
#include "runtime/gguf/types.h"

namespace edgellm::ops {

namespace kernels {
struct QuantGemmKernel;
}

// A weight matrix of one block type, bound to the kernel that runs it. A
// view: the blocks (and a packed copy, if any) must outlive it. Immutable
// after preparation; any number of concurrent Runs may share it.
class QuantMatrix {
 public:
  // `data` holds rows x cols values of `type` in GGUF row order. Errors
  // name `name`: UNIMPLEMENTED for a type without kernels, INVALID_ARGUMENT
  // for cols not a positive multiple of the type's block or null data.
  static absl::StatusOr<QuantMatrix> Create(gguf::TensorType type,
                                            const void* data, size_t rows,
                                            size_t cols,
                                            absl::string_view name);
  // The same with a given kernel of that type (tests, benchmarks); the
  // caller checks kernel.supported().
  static absl::StatusOr<QuantMatrix> CreateWithKernel(
      const kernels::QuantGemmKernel& kernel, const void* data, size_t rows,
      size_t cols, absl::string_view name);

  gguf::TensorType type() const { return type_; }
  size_t rows() const { return rows_; }
  size_t cols() const { return cols_; }
  size_t row_bytes() const { return row_bytes_; }
  const kernels::QuantGemmKernel& kernel() const { return *kernel_; }

  // Packing for kernels with a layout of their own: whether the kernel
  // wants it, and PackRows/UsePacked to do it. Rows are packed in groups
  // (16 rows); a packed copy has the size of the blocks.
  bool wants_packing() const;
  // Packs rows [0, n) of `src` (plain rows, n_blocks per row) into `dst`
  // (n rows' bytes, not overlapping); returns how many leading rows were
  // packed (the rest are copied unchanged).
  size_t PackRows(const void* src, size_t n, void* dst) const;
  // From now on the kernel reads `packed` (this matrix's rows packed by
  // PackRows, its first `packed_rows` rows in the kernel's layout).
  void UsePacked(const void* packed, size_t packed_rows);

  // Dequantizes row `row` to cols floats, exactly as ggml's to_float (a
  // token-embedding lookup). `row_buffer` (row_bytes()) is needed when the
  // row is packed.
  void DequantizeRow(size_t row, float* out, uint8_t* row_buffer) const;

 private:
  friend struct QuantMatrixAccess;
  QuantMatrix() = default;

  gguf::TensorType type_{};
  const void* data_ = nullptr;  // what the kernel reads
  size_t rows_ = 0, cols_ = 0, row_bytes_ = 0, n_blocks_ = 0;
  size_t packed_rows_ = 0;
  const kernels::QuantGemmKernel* kernel_ = nullptr;
};

// One matrix of a call: y[b * w->rows() + o] receives the result.
struct QuantLinearCall {
  const QuantMatrix* w;
  const float* bias;  // [rows] or nullptr
  float* y;
};

// y = x W^T (+ bias) for every call, all sharing x ([batch][in], in = each
// matrix's cols): x is quantized once per partner format and the rows of
// all matrices of a format run as one parallel call (so Q/K/V or gate/up
// pay one pool round trip). `scratch` (>= QuantLinearScratchBytes, 64-byte
// aligned) or, when null, the pool's scratch holds the quantized x.
absl::Status QuantLinear(const float* x, size_t batch,
                         absl::Span<const QuantLinearCall> calls,
                         ThreadPool* pool, void* scratch = nullptr);

// Bytes of scratch QuantLinear needs for `batch` rows of `in` activations
// in the partner format of any weight type (the largest, Q8_K's).
size_t QuantLinearScratchBytes(size_t batch, size_t in);

}  // namespace edgellm::ops

#endif  // EDGELLM_OPS_QUANT_LINEAR_H_
