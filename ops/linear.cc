#include "ops/linear.h"

#include <cstdint>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "ops/row_tasks.h"
#include "quant/fp16.h"

namespace edgellm::ops {
namespace {

absl::Status CheckPointers(const char* op, const void* x, const void* w,
                           const void* y) {
  if (x == nullptr || w == nullptr || y == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(op, ": null x, w or y pointer"));
  }
  return absl::OkStatus();
}

// Plain f32 dot product of `in` values, in index order; WeightT is float or
// uint16_t (IEEE half).
template <typename WeightT>
void LinearRefRows(const float* x, size_t batch, size_t in, const WeightT* w,
                   size_t out, const float* bias, float* y, size_t o_begin,
                   size_t o_end) {
  for (size_t o = o_begin; o < o_end; ++o) {
    const WeightT* wo = w + o * in;
    for (size_t b = 0; b < batch; ++b) {
      const float* xb = x + b * in;
      float acc = 0.0f;
      for (size_t i = 0; i < in; ++i) {
        if constexpr (std::is_same_v<WeightT, float>) {
          acc += xb[i] * wo[i];
        } else {
          acc += xb[i] * quant::Fp16ToFp32(wo[i]);
        }
      }
      y[b * out + o] = bias != nullptr ? acc + bias[o] : acc;
    }
  }
}

template <typename WeightT>
absl::Status LinearRef(const char* op, const float* x, size_t batch, size_t in,
                       const WeightT* w, size_t out, const float* bias,
                       float* y, ThreadPool* pool) {
  if (absl::Status s = CheckPointers(op, x, w, y); !s.ok()) return s;
  pool = PoolForWork(pool, batch * in * out);
  ParallelFor(pool, out, internal::RowTile(pool, out),
              [&](size_t o0, size_t o1) {
                LinearRefRows(x, batch, in, w, out, bias, y, o0, o1);
              });
  return absl::OkStatus();
}

}  // namespace

size_t LinearQ8_0ScratchBytes(size_t batch, size_t in) {
  return batch * quant::Q8_0RowBytes(in);
}

namespace {

constexpr size_t kMaxMatrices = internal::kMaxMatricesPerCall;

// The shared part of LinearQ8_0 and LinearQ8_0Multi, after argument checks
// (in a positive multiple of 32, non-null pointers, batch > 0): quantizes x
// once into scratch (or the pool's), then runs every matrix's row tasks in one
// parallel call.
absl::Status RunQ8_0(const char* op, const kernels::Q8_0GemmKernel& kernel,
                     const float* x, size_t batch, size_t in,
                     absl::Span<const Q8_0Matrix> matrices, ThreadPool* pool,
                     void* scratch) {
  if (scratch == nullptr && pool != nullptr) {
    scratch = pool->Scratch(LinearQ8_0ScratchBytes(batch, in));
  }
  if (scratch == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        op, ": no scratch for ", LinearQ8_0ScratchBytes(batch, in),
        " bytes of quantized activations (pass scratch or a ThreadPool)"));
  }
  if (reinterpret_cast<uintptr_t>(scratch) % alignof(quant::BlockQ8_0) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(op, ": scratch is misaligned"));
  }
  for (const Q8_0Matrix& m : matrices) {
    if (m.packed_rows > m.out ||
        (m.packed_rows > 0 && kernel.pack == nullptr)) {
      return absl::InvalidArgumentError(absl::StrCat(
          op, ": packed_rows = ", m.packed_rows, " for ", m.out,
          " rows and the ", kernel.name,
          " kernel (packed weights are only valid with the kernel that "
          "packed them)"));
    }
  }
  size_t total_rows = 0;
  for (const Q8_0Matrix& m : matrices) total_rows += m.out;
  // The scratch came from `pool`; the work runs on it only if it is big
  // enough to split.
  ThreadPool* workers = PoolForWork(pool, batch * in * total_rows);
  auto* xq = static_cast<quant::BlockQ8_0*>(scratch);
  const size_t n_blocks = in / quant::kQ8_0BlockSize;
  auto quantize = [&](size_t b0, size_t b1) {
    for (size_t b = b0; b < b1; ++b) {
      kernel.quantize(x + b * in, xq + b * n_blocks, in);
    }
  };
  if (batch < internal::kParallelQuantizeMinBatch) {
    quantize(0, batch);
  } else {
    ParallelFor(workers, batch, 1, quantize);
  }
  // One call id for all matrices: they share x, so a kernel's per-call
  // activation work is shared too.
  const uint64_t call_id = internal::NextCallId();
  kernels::Q8_0GemmArgs args[kMaxMatrices];
  for (size_t i = 0; i < matrices.size(); ++i) {
    const Q8_0Matrix& m = matrices[i];
    args[i] = kernels::Q8_0GemmArgs{m.w,    xq,  n_blocks, batch,
                                    m.bias, m.y, m.out,    call_id};
    args[i].packed_rows = m.packed_rows;
  }
  size_t rows[kMaxMatrices];
  for (size_t i = 0; i < matrices.size(); ++i) rows[i] = matrices[i].out;
  internal::RowTask tasks[internal::kMaxRowTasks];
  const size_t n_tasks = internal::SplitRowTasks(
      workers, batch, absl::MakeConstSpan(rows, matrices.size()), tasks);
  ParallelFor(workers, n_tasks, 1, [&](size_t t0, size_t t1) {
    for (size_t t = t0; t < t1; ++t) {
      const internal::RowTask& task = tasks[t];
      kernel.fn(args[task.matrix], task.begin, task.end);
    }
  });
  return absl::OkStatus();
}

}  // namespace

absl::Status LinearQ8_0WithKernel(const kernels::Q8_0GemmKernel& kernel,
                                  const float* x, size_t batch, size_t in,
                                  const quant::BlockQ8_0* w, size_t out,
                                  const float* bias, float* y, ThreadPool* pool,
                                  void* scratch, size_t packed_rows) {
  if (in % quant::kQ8_0BlockSize != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("LinearQ8_0: in = ", in, " is not a multiple of ",
                     quant::kQ8_0BlockSize, " (Q8_0 block size)"));
  }
  if (absl::Status s = CheckPointers("LinearQ8_0", x, w, y); !s.ok()) {
    return s;
  }
  if (batch == 0 || out == 0) return absl::OkStatus();
  if (in == 0) {  // empty sum
    for (size_t b = 0; b < batch; ++b) {
      for (size_t o = 0; o < out; ++o) {
        y[b * out + o] = bias != nullptr ? bias[o] : 0.0f;
      }
    }
    return absl::OkStatus();
  }
  const Q8_0Matrix m{w, out, bias, y, packed_rows};
  return RunQ8_0("LinearQ8_0", kernel, x, batch, in, absl::MakeConstSpan(&m, 1),
                 pool, scratch);
}

absl::Status LinearQ8_0Multi(const float* x, size_t batch, size_t in,
                             absl::Span<const Q8_0Matrix> matrices,
                             ThreadPool* pool) {
  if (matrices.size() > kMaxMatrices) {
    return absl::InvalidArgumentError(
        absl::StrCat("LinearQ8_0Multi: ", matrices.size(),
                     " matrices; at most ", kMaxMatrices));
  }
  if (in % quant::kQ8_0BlockSize != 0 || in == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "LinearQ8_0Multi: in = ", in, " is not a positive multiple of ",
        quant::kQ8_0BlockSize, " (Q8_0 block size)"));
  }
  for (const Q8_0Matrix& m : matrices) {
    if (absl::Status s = CheckPointers("LinearQ8_0Multi", x, m.w, m.y);
        !s.ok()) {
      return s;
    }
  }
  if (batch == 0 || matrices.empty()) return absl::OkStatus();
  return RunQ8_0("LinearQ8_0Multi", kernels::BestQ8_0GemmKernel(), x, batch, in,
                 matrices, pool, /*scratch=*/nullptr);
}

absl::Status LinearQ8_0(const float* x, size_t batch, size_t in,
                        const quant::BlockQ8_0* w, size_t out,
                        const float* bias, float* y, ThreadPool* pool,
                        void* scratch, size_t packed_rows) {
  return LinearQ8_0WithKernel(kernels::BestQ8_0GemmKernel(), x, batch, in, w,
                              out, bias, y, pool, scratch, packed_rows);
}

absl::Status LinearF32Ref(const float* x, size_t batch, size_t in,
                          const float* w, size_t out, const float* bias,
                          float* y, ThreadPool* pool) {
  return LinearRef("LinearF32Ref", x, batch, in, w, out, bias, y, pool);
}

absl::Status LinearF16Ref(const float* x, size_t batch, size_t in,
                          const uint16_t* w, size_t out, const float* bias,
                          float* y, ThreadPool* pool) {
  return LinearRef("LinearF16Ref", x, batch, in, w, out, bias, y, pool);
}

}  // namespace edgellm::ops
