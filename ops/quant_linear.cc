#include "ops/quant_linear.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "ops/kernels/quant_dispatch.h"
#include "ops/kernels/quant_gemm.h"
#include "ops/row_tasks.h"
#include "quant/type_traits.h"

namespace edgellm::ops {

// Read access to a QuantMatrix's internals for the run loop below.
struct QuantMatrixAccess {
  static const void* Data(const QuantMatrix& m) { return m.data_; }
  static size_t Blocks(const QuantMatrix& m) { return m.n_blocks_; }
  static size_t PackedRows(const QuantMatrix& m) { return m.packed_rows_; }
};

namespace {

using kernels::ActivationFormat;

// Quantizes x once into `scratch`, then runs every matrix's row tasks in
// one parallel call. All calls share `format` and the matrices' cols (in).
void RunGroup(const float* x, size_t batch, size_t in,
              const ActivationFormat& format,
              absl::Span<const QuantLinearCall> calls, ThreadPool* pool,
              uint8_t* scratch) {
  size_t total_rows = 0;
  for (const QuantLinearCall& c : calls) total_rows += c.w->rows();
  pool = PoolForWork(pool, batch * in * total_rows);
  const size_t x_row_bytes = format.RowBytes(in);
  const kernels::ActivationQuantizeFn quantize_row =
      kernels::BestActivationQuantizer(format);
  auto quantize = [&](size_t b0, size_t b1) {
    for (size_t b = b0; b < b1; ++b) {
      quantize_row(x + b * in, scratch + b * x_row_bytes,
                   static_cast<int64_t>(in));
    }
  };
  if (batch < internal::kParallelQuantizeMinBatch) {
    quantize(0, batch);
  } else {
    ParallelFor(pool, batch, 1, quantize);
  }
  const uint64_t call_id = internal::NextCallId();
  kernels::QuantGemmArgs args[internal::kMaxMatricesPerCall];
  size_t rows[internal::kMaxMatricesPerCall];
  for (size_t i = 0; i < calls.size(); ++i) {
    const QuantMatrix& m = *calls[i].w;
    args[i] = kernels::QuantGemmArgs{QuantMatrixAccess::Data(m),
                                     m.row_bytes(),
                                     scratch,
                                     x_row_bytes,
                                     QuantMatrixAccess::Blocks(m),
                                     batch,
                                     calls[i].bias,
                                     calls[i].y,
                                     m.rows(),
                                     call_id,
                                     QuantMatrixAccess::PackedRows(m)};
    rows[i] = m.rows();
  }
  internal::RowTask tasks[internal::kMaxRowTasks];
  const size_t n_tasks = internal::SplitRowTasks(
      pool, batch, absl::MakeConstSpan(rows, calls.size()), tasks);
  ParallelFor(pool, n_tasks, 1, [&](size_t t0, size_t t1) {
    for (size_t t = t0; t < t1; ++t) {
      const internal::RowTask& task = tasks[t];
      calls[task.matrix].w->kernel().fn(args[task.matrix], task.begin,
                                        task.end);
    }
  });
}

}  // namespace

absl::StatusOr<QuantMatrix> QuantMatrix::Create(gguf::TensorType type,
                                                const void* data, size_t rows,
                                                size_t cols,
                                                absl::string_view name) {
  const kernels::QuantGemmKernel* kernel = kernels::BestQuantGemmKernel(type);
  if (kernel == nullptr) {
    const quant::QuantTypeTraits* t = quant::FindQuantType(type);
    return absl::UnimplementedError(absl::StrCat(
        "tensor ", name, ": no linear kernel for weight type ",
        t != nullptr ? t->name : absl::StrCat(static_cast<uint32_t>(type))));
  }
  return CreateWithKernel(*kernel, data, rows, cols, name);
}

absl::StatusOr<QuantMatrix> QuantMatrix::CreateWithKernel(
    const kernels::QuantGemmKernel& kernel, const void* data, size_t rows,
    size_t cols, absl::string_view name) {
  const quant::QuantTypeTraits* t = quant::FindQuantType(kernel.type);
  if (t == nullptr || !t->is_weight_type() || kernel.fn == nullptr) {
    return absl::InternalError(
        absl::StrCat("tensor ", name, ": kernel without a weight type"));
  }
  if (cols == 0 || cols % t->block_values != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tensor ", name, ": ", t->name, " rows of ", cols,
        " values are not a positive multiple of ", t->block_values));
  }
  if (data == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("tensor ", name, ": no data"));
  }
  QuantMatrix m;
  m.type_ = kernel.type;
  m.data_ = data;
  m.rows_ = rows;
  m.cols_ = cols;
  m.row_bytes_ = static_cast<size_t>(t->RowBytes(static_cast<int64_t>(cols)));
  m.n_blocks_ = cols / t->block_values;
  m.kernel_ = &kernel;
  return m;
}

bool QuantMatrix::wants_packing() const { return kernel_->pack != nullptr; }

size_t QuantMatrix::PackRows(const void* src, size_t n, void* dst) const {
  if (kernel_->pack == nullptr) {
    std::memcpy(dst, src, n * row_bytes_);
    return 0;
  }
  return kernel_->pack(src, n, n_blocks_, dst);
}

void QuantMatrix::UsePacked(const void* packed, size_t packed_rows) {
  data_ = packed;
  packed_rows_ = packed_rows;
}

void QuantMatrix::DequantizeRow(size_t row, float* out,
                                uint8_t* row_buffer) const {
  const quant::QuantTypeTraits* t = quant::FindQuantType(type_);
  const void* src = static_cast<const uint8_t*>(data_) + row * row_bytes_;
  if (row < packed_rows_) {
    kernel_->unpack_row(data_, row, n_blocks_, row_buffer);
    src = row_buffer;
  }
  t->dequantize(src, out, static_cast<int64_t>(cols_));
}

size_t QuantLinearScratchBytes(size_t batch, size_t in) {
  const ActivationFormat* widest[] = {
      kernels::ActivationFormatFor(gguf::TensorType::kQ4_1),   // Q8_1
      kernels::ActivationFormatFor(gguf::TensorType::kQ4_K)};  // Q8_K
  size_t bytes = 0;
  for (const ActivationFormat* f : widest) {
    bytes = std::max(bytes, batch * f->RowBytes(in));
  }
  return bytes;
}

absl::Status QuantLinear(const float* x, size_t batch,
                         absl::Span<const QuantLinearCall> calls,
                         ThreadPool* pool, void* scratch) {
  if (calls.empty() || batch == 0) return absl::OkStatus();
  const size_t in = calls[0].w->cols();
  if (x == nullptr) {
    return absl::InvalidArgumentError("QuantLinear: null x");
  }
  for (const QuantLinearCall& c : calls) {
    if (c.w == nullptr || c.y == nullptr) {
      return absl::InvalidArgumentError("QuantLinear: null matrix or y");
    }
    if (c.w->cols() != in) {
      return absl::InvalidArgumentError(
          absl::StrCat("QuantLinear: matrices of ", in, " and ", c.w->cols(),
                       " columns share one input"));
    }
  }
  if (scratch == nullptr && pool != nullptr) {
    scratch = pool->Scratch(QuantLinearScratchBytes(batch, in));
  }
  if (scratch == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "QuantLinear: no scratch for ", QuantLinearScratchBytes(batch, in),
        " bytes of quantized activations (pass scratch or a ThreadPool)"));
  }
  // Runs of consecutive calls with one partner format, at most
  // kMaxMatricesPerCall each, share a quantization of x.
  for (size_t begin = 0; begin < calls.size();) {
    const ActivationFormat* format =
        kernels::ActivationFormatFor(calls[begin].w->type());
    size_t end = begin + 1;
    while (end < calls.size() && end - begin < internal::kMaxMatricesPerCall &&
           kernels::ActivationFormatFor(calls[end].w->type()) == format) {
      ++end;
    }
    RunGroup(x, batch, in, *format, calls.subspan(begin, end - begin), pool,
             static_cast<uint8_t*>(scratch));
    begin = end;
  }
  return absl::OkStatus();
}

}  // namespace edgellm::ops
