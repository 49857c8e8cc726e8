// Weight matrices prepared once at load for the kernels of ops/linear.h, and
// the calls that run them. Shared by every model class (the decoder in
// transformer.cc, the encoder in encoder.cc), so a weight type supported here
// is supported by all of them.
//
// Q8_0 weights are used in place from the mapped file, unless the Q8_0
// kernel has its own layout (the AVX-512 VNNI kernel: 16 rows transposed per
// block, docs/performance.md): then each tensor is repacked once at load into
// one huge-page arena, and with `release_sources` the file's pages it came
// from are dropped from the process as the packing goes, so resident memory
// stays one copy of the weights. F32/F16/BF16 weights go through XNNPACK's
// f32 fully connected operator, which packs its own copy at load
// (a library's operator is the default where one fits). Every
// other block type (Q4_0 ... Q6_K, IQ4) is bound to its kernel through
// ops::QuantMatrix (ops/quant_linear.h): read in place, or, when the kernel
// has a layout of its own (the x86 kernels of Q4_0/Q5_0/Q4_K/Q5_K/Q6_K: 16
// rows interleaved, the tensor's size), repacked into the same arena
// with the same page release as Q8_0.
//
// Threading: a PreparedLinear is immutable after PrepareLinears; RunLinear on
// the same PreparedLinear must not run concurrently (XNNPACK operators rebind
// their buffers per run), and it uses the pool's scratch.
#ifndef EDGELLM_RUNTIME_MODEL_PREPARED_LINEAR_H_
#define EDGELLM_RUNTIME_MODEL_PREPARED_LINEAR_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "ops/linear.h"
#include "ops/quant_linear.h"
#include "ops/thread_pool.h"
#include "quant/q8_0.h"
#include "runtime/model/weights.h"
#include "util/huge_page_buffer.h"

namespace edgellm::model {

// A weight matrix prepared for its kernel.
struct PreparedLinear {
  const Tensor* tensor = nullptr;
  // F32, F16, BF16: the XNNPACK operator holding its own packed copy.
  std::unique_ptr<ops::PackedLinear> packed;
  // Q8_0: what the kernel reads: the tensor repacked for the kernel
  // (ops::kernels::Q8_0PackFn) in the arena, or tensor->data when the kernel
  // reads it as it is; and how many of its leading rows are packed
  // (ops::LinearQ8_0's packed_rows).
  const quant::BlockQ8_0* q8_0 = nullptr;
  size_t q8_0_packed_rows = 0;
  // Every other block type: the matrix bound to its kernel.
  std::unique_ptr<ops::QuantMatrix> quant;
};

// One matrix to prepare and where its prepared form goes.
struct LinearSlot {
  const Tensor* tensor;
  std::unique_ptr<PreparedLinear>* linear;
};

// Prepares every slot, in the order given, which should be the order a
// forward pass reads them: packed tensors go, in that order, into
// `*arena` (allocated here; one allocation instead of one per tensor, and a
// pass streams it front to back). The tensors must outlive the prepared
// linears. `release_sources`: only for weights in a read-only private file
// mapping (GgufFile::Open), never for weights in ordinary memory.
absl::Status PrepareLinears(absl::Span<const LinearSlot> slots,
                            bool release_sources, ops::ThreadPool* pool,
                            HugePageBuffer* arena);

// y[batch][rows] = x[batch][cols] W^T (+ bias), W = linear.tensor.
absl::Status RunLinear(const PreparedLinear& linear, const float* x,
                       int32_t batch, const float* bias, float* y,
                       ops::ThreadPool* pool);

// Linears that share the input x (Q/K/V, gate/up): y = x W^T (+ bias) for
// each. Up to four Q8_0 matrices go through one quantization of x and one
// parallel call (ops::LinearQ8_0Multi), as do matrices of the other block
// types (ops::QuantLinear, one quantization per activation format);
// anything else one by one.
struct LinearCall {
  const PreparedLinear* linear;
  const float* bias;
  float* y;
};
absl::Status RunLinears(absl::Span<const LinearCall> calls, const float* x,
                        int32_t batch, ops::ThreadPool* pool);

// Bytes of pool scratch RunLinear(s) need for `batch` rows of at most
// `widest` inputs, whatever the weight types (grow the pool's scratch to
// this at load so a forward pass does not allocate).
size_t LinearScratchBytes(size_t batch, size_t widest);

// The kernel each block type among `types` runs with on this CPU, e.g.
// "q8_0 avx512vnni, q4_K ref (reference path: no SIMD kernel for this type
// yet)"; plain types (F32, F16, BF16) are left out. "" when none is a block
// type.
std::string LinearKernelSummary(absl::Span<const gguf::TensorType> types);

// Bytes of one row of `table` (its row buffer for ReadEmbeddingRow).
size_t EmbeddingRowBytes(const Tensor& table);

// Row `row` of an embedding table of any matrix type into `out` (table.cols
// floats), exactly as ggml's get_rows dequantizes it. When `head` is the
// prepared form of the same tensor (a tied output head) the row is read
// from it, so a repacked head's released file pages stay released.
// `row_buffer` holds EmbeddingRowBytes(table) bytes (for a packed row).
absl::Status ReadEmbeddingRow(const Tensor& table, const PreparedLinear* head,
                              int64_t row, float* out, uint8_t* row_buffer);

}  // namespace edgellm::model

#endif  // EDGELLM_RUNTIME_MODEL_PREPARED_LINEAR_H_
