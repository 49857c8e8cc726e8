#include "runtime/model/prepared_linear.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ops/kernels/dispatch.h"
#include "ops/kernels/quant_dispatch.h"
#include "quant/fp16.h"
#include "quant/type_traits.h"
#include "util/status_macros.h"

namespace edgellm::model {

using gguf::TensorType;

namespace {

// Drops the pages wholly inside [p, p + n) from this process. Only for a
// read-only private file mapping: a later read faults them in again from the
// file, unchanged.
void ReleaseMappedPages(const void* p, size_t n) {
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t begin =
      (reinterpret_cast<uintptr_t>(p) + page - 1) / page * page;
  const uintptr_t end = (reinterpret_cast<uintptr_t>(p) + n) / page * page;
  if (end > begin) {
    madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
  }
}

// Source bytes packed between page releases: bounds the transient extra
// resident memory of packing to about this much.
constexpr size_t kPackSlabBytes = size_t{4} << 20;

// Where a packed tensor starts in the arena: cache-line aligned (the
// kernels' 64-byte loads).
constexpr size_t kPackedAlign = 64;

size_t PackedArenaBytes(const Tensor& t) {
  return (t.size_bytes + kPackedAlign - 1) / kPackedAlign * kPackedAlign;
}

// Repacks tensor `t` (rows of `row_bytes`) into `dst` with `pack`, which
// packs whole 16-row groups of the rows it is given and returns how many
// (every pack function of ops/kernels does), in slabs in parallel on `pool`
// (load time: tinyllama's 1.1 GB of Q8_0 took ~0.6 s on one thread); with
// `release_source` the file pages of each slab are dropped as it is done.
// Returns the number of packed rows (one leading run).
template <typename PackFn>
absl::StatusOr<size_t> PackSlabs(const Tensor& t, size_t row_bytes,
                                 const char* kernel_name, PackFn pack,
                                 bool release_source, ops::ThreadPool* pool,
                                 uint8_t* dst) {
  const uint8_t* src = t.data;
  const size_t rows = static_cast<size_t>(t.rows);
  const size_t slab_rows =
      std::max<size_t>(16, kPackSlabBytes / row_bytes / 16 * 16);
  const size_t slabs = (rows + slab_rows - 1) / slab_rows;
  // Packed rows must be one leading run: only the last slab may stop short.
  std::atomic<size_t> short_slab_rows{0};
  size_t last_packed = 0;  // written by the task of the last slab only
  ops::ParallelFor(pool, slabs, 1, [&](size_t s0, size_t s1) {
    for (size_t s = s0; s < s1; ++s) {
      const size_t r = s * slab_rows;
      const size_t n = std::min(slab_rows, rows - r);
      const size_t p = pack(src + r * row_bytes, n, dst + r * row_bytes);
      if (s + 1 == slabs) {
        last_packed = r + p;
      } else if (p != n) {
        short_slab_rows.store(p + 1, std::memory_order_relaxed);
      }
      if (release_source)
        ReleaseMappedPages(src + r * row_bytes, n * row_bytes);
    }
  });
  if (const size_t bad = short_slab_rows.load(); bad != 0) {
    return absl::InternalError(absl::StrCat(
        "tensor ", t.name, ": the ", kernel_name, " kernel packed ", bad - 1,
        " of a slab of ", slab_rows, " rows"));
  }
  return last_packed;
}

// Repacks Q8_0 tensor `t` for the best kernel into the arena at `*cursor`
// and advances it; does nothing when that kernel reads Q8_0 as it is.
absl::Status PackQ8_0(const Tensor& t, bool release_source,
                      ops::ThreadPool* pool, PreparedLinear* linear,
                      char** cursor) {
  const ops::kernels::Q8_0GemmKernel& kernel =
      ops::kernels::BestQ8_0GemmKernel();
  if (kernel.pack == nullptr) return absl::OkStatus();
  auto* packed_data = reinterpret_cast<quant::BlockQ8_0*>(*cursor);
  *cursor += PackedArenaBytes(t);
  linear->q8_0 = packed_data;
  const size_t nb = static_cast<size_t>(t.cols) / quant::kQ8_0BlockSize;
  EDGELLM_ASSIGN_OR_RETURN(
      linear->q8_0_packed_rows,
      PackSlabs(
          t, nb * sizeof(quant::BlockQ8_0), kernel.name,
          [&](const uint8_t* src, size_t n, uint8_t* dst) {
            return kernel.pack(reinterpret_cast<const quant::BlockQ8_0*>(src),
                               n, nb, reinterpret_cast<quant::BlockQ8_0*>(dst));
          },
          release_source, pool, reinterpret_cast<uint8_t*>(packed_data)));
  return absl::OkStatus();
}

// The same for the other block types, when their kernel has a layout of
// its own (ops::QuantMatrix::wants_packing).
absl::Status PackQuant(const Tensor& t, bool release_source,
                       ops::ThreadPool* pool, ops::QuantMatrix* m,
                       char** cursor) {
  if (!m->wants_packing()) return absl::OkStatus();
  auto* packed_data = reinterpret_cast<uint8_t*>(*cursor);
  *cursor += PackedArenaBytes(t);
  EDGELLM_ASSIGN_OR_RETURN(const size_t packed_rows,
                           PackSlabs(
                               t, m->row_bytes(), m->kernel().name,
                               [&](const uint8_t* src, size_t n, uint8_t* dst) {
                                 return m->PackRows(src, n, dst);
                               },
                               release_source, pool, packed_data));
  m->UsePacked(packed_data, packed_rows);
  return absl::OkStatus();
}

// Whether `t` goes into the packing arena for the kernel it will run with.
bool PacksIntoArena(const Tensor& t) {
  if (t.type == TensorType::kQ8_0) {
    return ops::kernels::BestQ8_0GemmKernel().pack != nullptr;
  }
  const ops::kernels::QuantGemmKernel* k =
      ops::kernels::BestQuantGemmKernel(t.type);
  return k != nullptr && k->pack != nullptr;
}

// `cursor`: where the next packed tensor goes (see PackedArenaBytes).
absl::StatusOr<std::unique_ptr<PreparedLinear>> PrepareLinear(
    const Tensor& t, bool release_source, ops::ThreadPool* pool,
    char** cursor) {
  auto linear = std::make_unique<PreparedLinear>();
  linear->tensor = &t;
  switch (t.type) {
    case TensorType::kQ8_0:
      if (t.cols % quant::kQ8_0BlockSize != 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("tensor ", t.name, ": q8_0 rows of ", t.cols,
                         " values are not a multiple of 32"));
      }
      linear->q8_0 = reinterpret_cast<const quant::BlockQ8_0*>(t.data);
      EDGELLM_RETURN_IF_ERROR(
          PackQ8_0(t, release_source, pool, linear.get(), cursor));
      return linear;
    case TensorType::kF32: {
      EDGELLM_ASSIGN_OR_RETURN(
          linear->packed,
          ops::PackedLinear::CreateF32(t.f32(), t.cols, t.rows, nullptr));
      return linear;
    }
    case TensorType::kF16: {
      EDGELLM_ASSIGN_OR_RETURN(
          linear->packed, ops::PackedLinear::CreateF16(
                              reinterpret_cast<const uint16_t*>(t.data), t.cols,
                              t.rows, nullptr));
      return linear;
    }
    case TensorType::kBF16: {
      std::vector<float> f32(size_t(t.rows) * t.cols);
      const auto* src = reinterpret_cast<const uint16_t*>(t.data);
      for (size_t i = 0; i < f32.size(); ++i)
        f32[i] = quant::Bf16ToFp32(src[i]);
      EDGELLM_ASSIGN_OR_RETURN(
          linear->packed,
          ops::PackedLinear::CreateF32(f32.data(), t.cols, t.rows, nullptr));
      return linear;
    }
    default: {
      EDGELLM_ASSIGN_OR_RETURN(
          ops::QuantMatrix m,
          ops::QuantMatrix::Create(t.type, t.data, static_cast<size_t>(t.rows),
                                   static_cast<size_t>(t.cols), t.name));
      linear->quant = std::make_unique<ops::QuantMatrix>(m);
      EDGELLM_RETURN_IF_ERROR(
          PackQuant(t, release_source, pool, linear->quant.get(), cursor));
      return linear;
    }
  }
}

}  // namespace

absl::Status PrepareLinears(absl::Span<const LinearSlot> slots,
                            bool release_sources, ops::ThreadPool* pool,
                            HugePageBuffer* arena) {
  size_t arena_bytes = 0;
  for (const LinearSlot& s : slots) {
    if (PacksIntoArena(*s.tensor)) arena_bytes += PackedArenaBytes(*s.tensor);
  }
  if (arena_bytes > 0) {
    EDGELLM_ASSIGN_OR_RETURN(*arena, HugePageBuffer::Allocate(arena_bytes));
  }
  char* cursor = static_cast<char*>(arena->data());
  for (const LinearSlot& s : slots) {
    EDGELLM_ASSIGN_OR_RETURN(
        *s.linear, PrepareLinear(*s.tensor, release_sources, pool, &cursor));
  }
  return absl::OkStatus();
}

absl::Status RunLinear(const PreparedLinear& linear, const float* x,
                       int32_t batch, const float* bias, float* y,
                       ops::ThreadPool* pool) {
  const Tensor& t = *linear.tensor;
  if (linear.quant != nullptr) {
    const ops::QuantLinearCall call{linear.quant.get(), bias, y};
    return ops::QuantLinear(x, static_cast<size_t>(batch), {call}, pool);
  }
  if (linear.packed != nullptr) {
    EDGELLM_RETURN_IF_ERROR(linear.packed->Run(x, batch, y, pool));
    if (bias != nullptr) {
      for (int32_t b = 0; b < batch; ++b) {
        for (int64_t o = 0; o < t.rows; ++o) y[b * t.rows + o] += bias[o];
      }
    }
    return absl::OkStatus();
  }
  return ops::LinearQ8_0(x, batch, t.cols, linear.q8_0, t.rows, bias, y, pool,
                         /*scratch=*/nullptr, linear.q8_0_packed_rows);
}

absl::Status RunLinears(absl::Span<const LinearCall> calls, const float* x,
                        int32_t batch, ops::ThreadPool* pool) {
  bool all_q8_0 = calls.size() <= 4, all_quant = true;
  for (const LinearCall& c : calls) {
    all_q8_0 &= c.linear->q8_0 != nullptr;
    all_quant &= c.linear->quant != nullptr;
  }
  if (all_quant) {
    ops::QuantLinearCall q[4];
    if (calls.size() <= 4) {
      for (size_t i = 0; i < calls.size(); ++i) {
        q[i] = {calls[i].linear->quant.get(), calls[i].bias, calls[i].y};
      }
      return ops::QuantLinear(x, static_cast<size_t>(batch),
                              absl::MakeConstSpan(q, calls.size()), pool);
    }
  }
  if (!all_q8_0) {
    for (const LinearCall& c : calls) {
      EDGELLM_RETURN_IF_ERROR(
          RunLinear(*c.linear, x, batch, c.bias, c.y, pool));
    }
    return absl::OkStatus();
  }
  ops::Q8_0Matrix m[4];
  for (size_t i = 0; i < calls.size(); ++i) {
    const PreparedLinear& l = *calls[i].linear;
    m[i].w = l.q8_0;
    m[i].packed_rows = l.q8_0_packed_rows;
    m[i].out = static_cast<size_t>(l.tensor->rows);
    m[i].bias = calls[i].bias;
    m[i].y = calls[i].y;
  }
  return ops::LinearQ8_0Multi(x, batch, calls[0].linear->tensor->cols,
                              absl::MakeConstSpan(m, calls.size()), pool);
}

size_t LinearScratchBytes(size_t batch, size_t widest) {
  return std::max(ops::LinearQ8_0ScratchBytes(batch, widest),
                  ops::QuantLinearScratchBytes(batch, widest));
}

std::string LinearKernelSummary(absl::Span<const TensorType> types) {
  std::vector<std::string> parts;
  for (TensorType t : types) {
    const quant::QuantTypeTraits* q = quant::FindQuantType(t);
    if (q == nullptr || !q->is_weight_type()) continue;
    if (t == TensorType::kQ8_0) {
      parts.push_back(
          absl::StrCat("q8_0 ", ops::kernels::BestQ8_0GemmKernel().name));
      continue;
    }
    const ops::kernels::QuantGemmKernel* k =
        ops::kernels::BestQuantGemmKernel(t);
    if (k == nullptr) continue;
    parts.push_back(absl::StrCat(
        q->name, " ", k->name,
        ops::kernels::QuantTypeUsesReferenceKernel(t)
            ? " (reference path: no SIMD kernel for this type on this CPU)"
            : ""));
  }
  return absl::StrJoin(parts, ", ");
}

size_t EmbeddingRowBytes(const Tensor& table) {
  return table.rows > 0 ? static_cast<size_t>(table.size_bytes / table.rows)
                        : 0;
}

absl::Status ReadEmbeddingRow(const Tensor& e, const PreparedLinear* head,
                              int64_t id, float* row, uint8_t* row_buffer) {
  const int64_t d = e.cols;
  const bool tied = head != nullptr && head->tensor->data == e.data;
  switch (e.type) {
    case TensorType::kF32:
      std::memcpy(row, e.f32() + id * d, d * sizeof(float));
      return absl::OkStatus();
    case TensorType::kF16: {
      const auto* src = reinterpret_cast<const uint16_t*>(e.data) + id * d;
      for (int64_t j = 0; j < d; ++j) row[j] = quant::Fp16ToFp32(src[j]);
      return absl::OkStatus();
    }
    case TensorType::kBF16: {
      const auto* src = reinterpret_cast<const uint16_t*>(e.data) + id * d;
      for (int64_t j = 0; j < d; ++j) row[j] = quant::Bf16ToFp32(src[j]);
      return absl::OkStatus();
    }
    case TensorType::kQ8_0: {
      const size_t nb = d / quant::kQ8_0BlockSize;
      // A tied table is read from the output head's copy (packed rows
      // unpacked, the rest as they are).
      const quant::BlockQ8_0* table =
          tied && head->q8_0 != nullptr
              ? head->q8_0
              : reinterpret_cast<const quant::BlockQ8_0*>(e.data);
      const quant::BlockQ8_0* src = table + id * nb;
      if (tied && table == head->q8_0 &&
          static_cast<size_t>(id) < head->q8_0_packed_rows) {
        auto* out = reinterpret_cast<quant::BlockQ8_0*>(row_buffer);
        ops::kernels::BestQ8_0GemmKernel().unpack_row(table, id, nb, out);
        src = out;
      }
      quant::DequantizeRowQ8_0(src, row, d);
      return absl::OkStatus();
    }
    default:
      break;
  }
  if (tied && head->quant != nullptr) {
    head->quant->DequantizeRow(static_cast<size_t>(id), row, row_buffer);
    return absl::OkStatus();
  }
  const quant::QuantTypeTraits* t = quant::FindQuantType(e.type);
  if (t == nullptr || !t->is_weight_type()) {
    return absl::UnimplementedError(
        absl::StrCat("tensor ", e.name, ": unsupported embedding type"));
  }
  t->dequantize(e.data + static_cast<size_t>(id) * EmbeddingRowBytes(e), row,
                d);
  return absl::OkStatus();
}

}  // namespace edgellm::model
