// Linear layers: y[b][o] = sum_i x[b][i] * W[o][i] (+ bias[o]).
//
// Layout: x is [batch][in], y is [batch][out], W is [out][in] (row o holds the
// `in` weights of output o), all row-major and contiguous, exactly as GGUF
// stores a weight with dims {in, out}. batch = 1 is the decode GEMV, batch > 1
// a prompt GEMM. `bias` may be nullptr; it is added after the dot product in
// f32, as llama.cpp's separate ggml_add does.
//
// Threading: work is split over output rows on `pool` (nullptr = calling
// thread only). The functions hold no state; concurrent calls are safe if they
// do not share a pool's scratch (see ThreadPool::Scratch) or outputs.
//
// Weight types:
//   Q8_0  LinearQ8_0: int8 x int8, exact int32 per 32-value block and one
//         fma per block, as ggml's scalar reference (ops/kernels/q8_0_gemm.h
//         states the contract); kernels chosen by CPU features at first use,
//         all bit-identical. Weights are read in place (mmap-able) or, for a
//         kernel with a pack function, from a copy packed once at load.
//   F32   LinearF32Ref (plain loops) or PackedLinear (XNNPACK
//         fully_connected_nc_f32; weights repacked once, see below).
//   F16   LinearF16Ref (converts per value) or PackedLinear from f16 weights
//         (converted to f32 at creation, then XNNPACK).
#ifndef EDGELLM_OPS_LINEAR_H_
#define EDGELLM_OPS_LINEAR_H_

#include <xnnpack.h>

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "ops/kernels/dispatch.h"
#include "ops/thread_pool.h"
#include "quant/q8_0.h"

namespace edgellm::ops {

// Bytes of scratch LinearQ8_0 needs to hold `batch` rows of `in` activations
// quantized to Q8_0.
size_t LinearQ8_0ScratchBytes(size_t batch, size_t in);

// Q8_0 weights: `w` holds out * in/32 blocks; `in` must be a multiple of 32.
// Activations are quantized per 32-value block on the fly (as llama.cpp's x86
// quantize_row_q8_0) into `scratch` (>= LinearQ8_0ScratchBytes, 2-byte
// aligned) or, when scratch is nullptr, into pool->Scratch(); with neither,
// it is an error. No heap allocation once the pool's scratch is large enough.
// `packed_rows` > 0: w was repacked by BestQ8_0GemmKernel().pack (see
// PackQ8_0Weights), which returned this value.
absl::Status LinearQ8_0(const float* x, size_t batch, size_t in,
                        const quant::BlockQ8_0* w, size_t out,
                        const float* bias, float* y, ThreadPool* pool,
                        void* scratch = nullptr, size_t packed_rows = 0);

// One matrix of LinearQ8_0Multi: `w` holds out * in/32 blocks (packed_rows
// as for LinearQ8_0), y[b * out + o] receives the result, bias may be null.
struct Q8_0Matrix {
  const quant::BlockQ8_0* w = nullptr;
  size_t out = 0;
  const float* bias = nullptr;
  float* y = nullptr;
  size_t packed_rows = 0;
};

// Several Q8_0 matrices applied to the same activations (Q/K/V, gate/up):
// results equal separate LinearQ8_0 calls bit for bit, but x is quantized
// once and all rows of all matrices are one parallel call, so a decode step
// pays one pool round trip instead of one per matrix. Scratch as LinearQ8_0
// (from the pool).
absl::Status LinearQ8_0Multi(const float* x, size_t batch, size_t in,
                             absl::Span<const Q8_0Matrix> matrices,
                             ThreadPool* pool);

// As LinearQ8_0 with a given kernel from kernels::Q8_0GemmKernels() (tests,
// benchmarks). The caller must check kernel.supported().
absl::Status LinearQ8_0WithKernel(const kernels::Q8_0GemmKernel& kernel,
                                  const float* x, size_t batch, size_t in,
                                  const quant::BlockQ8_0* w, size_t out,
                                  const float* bias, float* y, ThreadPool* pool,
                                  void* scratch = nullptr,
                                  size_t packed_rows = 0);

// Reference f32 linear: f32 accumulation in index order. Slow; for tests and
// as the portable fallback.
absl::Status LinearF32Ref(const float* x, size_t batch, size_t in,
                          const float* w, size_t out, const float* bias,
                          float* y, ThreadPool* pool);

// Reference with IEEE half weights (uint16_t bits), converted per value.
absl::Status LinearF16Ref(const float* x, size_t batch, size_t in,
                          const uint16_t* w, size_t out, const float* bias,
                          float* y, ThreadPool* pool);

// An f32 linear layer prepared by XNNPACK (fully_connected_nc_f32).
//
// Memory: XNNPACK copies the weights into its own packed, tile-padded layout
// at creation: about out * (in + 1) * 4 bytes (plus padding of out up to the
// microkernel's tile). The caller's weights are not referenced afterwards, so
// for an mmapped f32 file the mapped pages go cold and the resident cost is
// the packed copy; for f16 weights the packed copy is twice the file size.
//
// Not thread-safe: Run() re-binds the operator's buffers; use one PackedLinear
// per concurrent caller (or serialize).
class PackedLinear {
 public:
  // Weights [out][in] f32; bias [out] or nullptr.
  static absl::StatusOr<std::unique_ptr<PackedLinear>> CreateF32(
      const float* w, size_t in, size_t out, const float* bias);
  // Weights [out][in] IEEE half bits; converted to f32 then packed.
  static absl::StatusOr<std::unique_ptr<PackedLinear>> CreateF16(
      const uint16_t* w, size_t in, size_t out, const float* bias);

  ~PackedLinear();
  PackedLinear(const PackedLinear&) = delete;
  PackedLinear& operator=(const PackedLinear&) = delete;

  size_t in() const { return in_; }
  size_t out() const { return out_; }

  // x [batch][in] -> y [batch][out].
  absl::Status Run(const float* x, size_t batch, float* y, ThreadPool* pool);

 private:
  PackedLinear(xnn_operator_t op, size_t in, size_t out)
      : op_(op), in_(in), out_(out) {}
  xnn_operator_t op_;
  size_t in_, out_;
};

}  // namespace edgellm::ops

#endif  // EDGELLM_OPS_LINEAR_H_
