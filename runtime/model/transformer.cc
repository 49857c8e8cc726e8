#include "runtime/model/transformer.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "ops/activation.h"
#include "ops/attention.h"
#include "ops/convert.h"
#include "ops/kernels/dispatch.h"
#include "ops/linear.h"
#include "ops/norm.h"
#include "ops/rope.h"
#include "quant/fp16.h"
#include "quant/q8_0.h"
#include "util/status_macros.h"

namespace edgellm::model {

using gguf::TensorType;

// Q8_0 weights are used in place from the mapped file, unless the Q8_0
// kernel has its own layout (the AVX-512 VNNI kernel: 16 rows transposed per
// block, docs/performance.md): then each tensor is repacked once at load into
// memory of its own, and with TransformerOptions::release_packed_sources the
// file's pages it came from are dropped from the process as the packing goes,
// so resident memory stays one copy of the weights. F32/F16/BF16 weights go
// through XNNPACK's f32 fully connected operator, which packs its own copy at
// load (PLATFORM.md: the XNNPACK operator is the default where one fits).
struct Transformer::Linear {
  const Tensor* tensor = nullptr;
  std::unique_ptr<ops::PackedLinear> packed;
  // What the Q8_0 kernel reads: the tensor repacked for the kernel
  // (ops::kernels::Q8_0PackFn) in the Transformer's packed_q8_0_ arena, or
  // tensor->data when the kernel reads it as it is; and how many of its
  // leading rows are packed (ops::LinearQ8_0's packed_rows).
  const quant::BlockQ8_0* q8_0 = nullptr;
  size_t q8_0_packed_rows = 0;
};

struct Transformer::LayerLinears {
  std::unique_ptr<Linear> wq, wk, wv, wo, w_gate, w_up, w_down;
};

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

// Tokens per feed-forward pass within a Forward batch (see ForwardToHidden).
// The Q8_0 GEMM works in tiles of 8 tokens, so chunks of 128 cost nothing
// measurable in speed; at a 512-token batch of tinyllama they save 17 MB.
constexpr int32_t kFfnChunk = 128;

// Source bytes packed between page releases: bounds the transient extra
// resident memory of packing to about this much.
constexpr size_t kPackSlabBytes = size_t{4} << 20;

// Where a packed tensor starts in the arena: cache-line aligned (the
// kernels' 64-byte loads).
constexpr size_t kPackedAlign = 64;

size_t PackedArenaBytes(const Tensor& t) {
  return (t.size_bytes + kPackedAlign - 1) / kPackedAlign * kPackedAlign;
}

// Repacks Q8_0 tensor `t` for the best kernel into the arena at `*cursor`
// and advances it; does nothing when that kernel reads Q8_0 as it is. Slabs
// are packed in parallel on `pool` (load time: tinyllama's 1.1 GB took
// ~0.6 s on one thread).
absl::Status PackQ8_0(const Tensor& t, bool release_source,
                      ops::ThreadPool* pool, Transformer::Linear* linear,
                      char** cursor) {
  const ops::kernels::Q8_0GemmKernel& kernel =
      ops::kernels::BestQ8_0GemmKernel();
  if (kernel.pack == nullptr) return absl::OkStatus();
  auto* packed_data = reinterpret_cast<quant::BlockQ8_0*>(*cursor);
  *cursor += PackedArenaBytes(t);
  linear->q8_0 = packed_data;
  const auto* src = reinterpret_cast<const quant::BlockQ8_0*>(t.data);
  const size_t rows = static_cast<size_t>(t.rows);
  const size_t nb = static_cast<size_t>(t.cols) / quant::kQ8_0BlockSize;
  const size_t row_bytes = nb * sizeof(quant::BlockQ8_0);
  // Slabs of whole 16-row groups (every pack function packs groups of at
  // most 16 rows from the start of what it is given).
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
      const size_t p = kernel.pack(src + r * nb, n, nb, packed_data + r * nb);
      if (s + 1 == slabs) {
        last_packed = r + p;
      } else if (p != n) {
        short_slab_rows.store(p + 1, std::memory_order_relaxed);
      }
      if (release_source) ReleaseMappedPages(src + r * nb, n * row_bytes);
    }
  });
  if (const size_t bad = short_slab_rows.load(); bad != 0) {
    return absl::InternalError(absl::StrCat(
        "tensor ", t.name, ": the ", kernel.name, " kernel packed ", bad - 1,
        " of a slab of ", slab_rows, " rows"));
  }
  linear->q8_0_packed_rows = last_packed;
  return absl::OkStatus();
}

// `cursor`: where the next packed Q8_0 tensor goes (see PackedArenaBytes).
absl::StatusOr<std::unique_ptr<Transformer::Linear>> PrepareLinear(
    const Tensor& t, bool release_source, ops::ThreadPool* pool,
    char** cursor) {
  auto linear = std::make_unique<Transformer::Linear>();
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
    default:
      return absl::UnimplementedError(
          absl::StrCat("tensor ", t.name, ": unsupported weight type"));
  }
}

}  // namespace

Transformer::Transformer(const ModelConfig& config, const ModelWeights& weights,
                         ops::ThreadPool* pool)
    : config_(config), weights_(weights), pool_(pool) {}

Transformer::~Transformer() = default;

absl::StatusOr<std::unique_ptr<Transformer>> Transformer::Create(
    const ModelConfig& config, const ModelWeights& weights,
    const TransformerOptions& options, ops::ThreadPool* pool) {
  if (options.slots <= 0 || options.max_batch <= 0 || options.context < 0) {
    return absl::InvalidArgumentError(
        "slots and max_batch must be positive, context non-negative");
  }
  std::unique_ptr<Transformer> t(new Transformer(config, weights, pool));
  const ModelConfig& c = t->config_;
  int32_t context = options.context;
  if (context == 0) context = std::min(c.context_length, kDefaultContextCap);
  EDGELLM_ASSIGN_OR_RETURN(
      t->kv_, KvCache::Create(c.block_count, options.slots, context, c.kv_dim(),
                              options.kv_type));
  t->max_batch_ = options.max_batch;
  if (options.kv_type == KvCacheType::kF16) {
    EDGELLM_ASSIGN_OR_RETURN(t->kv_convert_,
                             ops::F32ToF16Converter::Create(c.kv_dim()));
  }

  // Prepare every linear from the copy of the weights this object owns, so
  // the Tensor pointers stay valid.
  if (t->weights_.layers.size() != static_cast<size_t>(c.block_count)) {
    return absl::InvalidArgumentError(
        absl::StrCat("weights hold ", t->weights_.layers.size(),
                     " layers; the config says ", c.block_count));
  }
  // Every linear in the order a forward pass reads it, with where its
  // prepared form goes.
  struct Slot {
    const Tensor* tensor;
    std::unique_ptr<Linear>* linear;
  };
  std::vector<Slot> order;
  t->layers_.resize(c.block_count);
  for (int32_t i = 0; i < c.block_count; ++i) {
    const LayerWeights& w = t->weights_.layers[i];
    LayerLinears& l = t->layers_[i];
    order.insert(order.end(), {{&w.wq, &l.wq},
                               {&w.wk, &l.wk},
                               {&w.wv, &l.wv},
                               {&w.wo, &l.wo},
                               {&w.w_gate, &l.w_gate},
                               {&w.w_up, &l.w_up},
                               {&w.w_down, &l.w_down}});
  }
  order.push_back({&t->weights_.output, &t->output_});
  // Packed Q8_0 tensors go, in that order, into one huge-page arena: one
  // allocation instead of one per tensor (no per-tensor padding to huge
  // pages), and a decode step streams it front to back.
  if (ops::kernels::BestQ8_0GemmKernel().pack != nullptr) {
    size_t arena_bytes = 0;
    for (const Slot& s : order) {
      if (s.tensor->type == TensorType::kQ8_0) {
        arena_bytes += PackedArenaBytes(*s.tensor);
      }
    }
    if (arena_bytes > 0) {
      EDGELLM_ASSIGN_OR_RETURN(t->packed_q8_0_,
                               HugePageBuffer::Allocate(arena_bytes));
    }
  }
  char* cursor = static_cast<char*>(t->packed_q8_0_.data());
  const bool release = options.release_packed_sources;
  for (const Slot& s : order) {
    EDGELLM_ASSIGN_OR_RETURN(*s.linear,
                             PrepareLinear(*s.tensor, release, pool, &cursor));
  }
  t->rope_.head_dim = c.head_dim;
  t->rope_.rot_dims = c.rope_dimension_count;
  t->rope_.freq_base = c.rope_freq_base;
  t->rope_.layout = c.rope_style == RopeStyle::kNeox ? ops::RopeLayout::kNeox
                                                     : ops::RopeLayout::kNormal;
  if (t->weights_.rope_freqs.present()) {
    // The file's own table wins: it is what llama.cpp applies.
    t->rope_.freq_factors = t->weights_.rope_freqs.f32();
  } else if (c.rope_scaling.factor > 0) {
    const Llama3RopeScaling& s = c.rope_scaling;
    t->rope_freq_factors_ = ops::Llama3RopeFreqFactors(
        c.rope_dimension_count, c.rope_freq_base, s.factor, s.low_freq_factor,
        s.high_freq_factor, s.original_context_length);
    t->rope_.freq_factors = t->rope_freq_factors_.data();
  }
  t->attention_.n_heads = c.head_count;
  t->attention_.n_kv_heads = c.head_count_kv;
  t->attention_.head_dim = c.head_dim;
  t->attention_.n_ctx = context;

  const size_t b = options.max_batch;
  t->x_.resize(b * c.embedding_length);
  t->xb_.resize(b * std::max(c.embedding_length, c.q_dim()));
  t->q_.resize(b * c.q_dim());
  t->k_.resize(b * c.kv_dim());
  t->v_.resize(b * c.kv_dim());
  t->att_.resize(b * c.q_dim());
  const size_t ffn_rows = std::min<size_t>(b, kFfnChunk);
  t->ff_gate_.resize(ffn_rows * c.feed_forward_length);
  t->ff_up_.resize(ffn_rows * c.feed_forward_length);
  t->head_in_.resize(b * c.embedding_length);
  t->att_scratch_.resize(ops::AttentionScratchFloats(t->attention_));
  t->embed_row_.resize(c.embedding_length / quant::kQ8_0BlockSize);
  // Grow the pool's scratch once to what the largest linear needs, so that
  // Forward never allocates.
  if (pool != nullptr) {
    const size_t widest =
        std::max<size_t>({size_t(c.embedding_length), size_t(c.q_dim()),
                          size_t(c.feed_forward_length)});
    if (pool->Scratch(ops::LinearQ8_0ScratchBytes(b, widest)) == nullptr) {
      return absl::ResourceExhaustedError("cannot allocate linear scratch");
    }
  }
  return t;
}

absl::Status Transformer::RunLinear(const Linear& linear, const float* x,
                                    int32_t batch, const float* bias,
                                    float* y) {
  const Tensor& t = *linear.tensor;
  if (linear.packed != nullptr) {
    EDGELLM_RETURN_IF_ERROR(linear.packed->Run(x, batch, y, pool_));
    if (bias != nullptr) {
      for (int32_t b = 0; b < batch; ++b) {
        for (int64_t o = 0; o < t.rows; ++o) y[b * t.rows + o] += bias[o];
      }
    }
    return absl::OkStatus();
  }
  return ops::LinearQ8_0(x, batch, t.cols, linear.q8_0, t.rows, bias, y, pool_,
                         /*scratch=*/nullptr, linear.q8_0_packed_rows);
}

absl::Status Transformer::RunLinears(absl::Span<const LinearCall> calls,
                                     const float* x, int32_t batch) {
  // Q8_0 matrices of one input go through one quantization and one parallel
  // call (ops::LinearQ8_0Multi); anything else one by one.
  bool all_q8_0 = calls.size() <= 4;
  for (const LinearCall& c : calls) all_q8_0 &= c.linear->packed == nullptr;
  if (!all_q8_0) {
    for (const LinearCall& c : calls) {
      EDGELLM_RETURN_IF_ERROR(RunLinear(*c.linear, x, batch, c.bias, c.y));
    }
    return absl::OkStatus();
  }
  ops::Q8_0Matrix m[4];
  for (size_t i = 0; i < calls.size(); ++i) {
    const Linear& l = *calls[i].linear;
    m[i].w = l.q8_0;
    m[i].packed_rows = l.q8_0_packed_rows;
    m[i].out = static_cast<size_t>(l.tensor->rows);
    m[i].bias = calls[i].bias;
    m[i].y = calls[i].y;
  }
  return ops::LinearQ8_0Multi(x, batch, calls[0].linear->tensor->cols,
                              absl::MakeConstSpan(m, calls.size()), pool_);
}

absl::Status Transformer::Embed(absl::Span<const BatchToken> batch, float* x) {
  const Tensor& e = weights_.token_embd;
  const int64_t d = config_.embedding_length;
  for (size_t i = 0; i < batch.size(); ++i) {
    const int64_t id = batch[i].token;
    float* row = x + i * d;
    switch (e.type) {
      case TensorType::kF32:
        std::memcpy(row, e.f32() + id * d, d * sizeof(float));
        break;
      case TensorType::kF16: {
        const auto* src = reinterpret_cast<const uint16_t*>(e.data) + id * d;
        for (int64_t j = 0; j < d; ++j) row[j] = quant::Fp16ToFp32(src[j]);
        break;
      }
      case TensorType::kBF16: {
        const auto* src = reinterpret_cast<const uint16_t*>(e.data) + id * d;
        for (int64_t j = 0; j < d; ++j) row[j] = quant::Bf16ToFp32(src[j]);
        break;
      }
      case TensorType::kQ8_0: {
        const size_t nb = d / quant::kQ8_0BlockSize;
        // A tied table is read from the output head's copy (packed rows
        // unpacked, the rest as they are), so the file's released pages
        // stay out of RSS.
        const Linear& head = *output_;
        const quant::BlockQ8_0* table =
            head.tensor->data == e.data && head.q8_0 != nullptr
                ? head.q8_0
                : reinterpret_cast<const quant::BlockQ8_0*>(e.data);
        const quant::BlockQ8_0* src = table + id * nb;
        if (static_cast<size_t>(id) < head.q8_0_packed_rows &&
            table == head.q8_0) {
          ops::kernels::BestQ8_0GemmKernel().unpack_row(table, id, nb,
                                                        embed_row_.data());
          src = embed_row_.data();
        }
        quant::DequantizeRowQ8_0(src, row, d);
        break;
      }
      default:
        return absl::UnimplementedError("unsupported embedding type");
    }
  }
  return absl::OkStatus();
}

absl::Status Transformer::StoreKv(int32_t layer, int32_t slot, int32_t pos0,
                                  int32_t count, const float* k,
                                  const float* v) {
  // Positions pos0.. of one (layer, slot) are consecutive rows in the cache.
  const int32_t kv_dim = config_.kv_dim();
  if (kv_->type() == KvCacheType::kF32) {
    std::memcpy(kv_->key(layer, slot, pos0), k, size_t(count) * kv_dim * 4);
    std::memcpy(kv_->value(layer, slot, pos0), v, size_t(count) * kv_dim * 4);
    return absl::OkStatus();
  }
  EDGELLM_RETURN_IF_ERROR(kv_convert_->Run(
      k, count, static_cast<uint16_t*>(kv_->key(layer, slot, pos0))));
  return kv_convert_->Run(
      v, count, static_cast<uint16_t*>(kv_->value(layer, slot, pos0)));
}

absl::Status Transformer::AttentionRun(int32_t layer,
                                       absl::Span<const BatchToken> batch,
                                       int32_t begin, int32_t end) {
  const ModelConfig& c = config_;
  const int32_t q_dim = c.q_dim();
  const int32_t kv_dim = c.kv_dim();
  const int32_t slot = batch[begin].slot;
  const int32_t pos0 = batch[begin].pos;
  const size_t count = end - begin;
  float* q = q_.data() + size_t(begin) * q_dim;
  float* k = k_.data() + size_t(begin) * kv_dim;
  float* v = v_.data() + size_t(begin) * kv_dim;
  EDGELLM_RETURN_IF_ERROR(
      ops::Rope(rope_, q, count, c.head_count, q_dim, pos0, pool_));
  EDGELLM_RETURN_IF_ERROR(
      ops::Rope(rope_, k, count, c.head_count_kv, kv_dim, pos0, pool_));
  EDGELLM_RETURN_IF_ERROR(
      StoreKv(layer, slot, pos0, static_cast<int32_t>(count), k, v));
  float* out = att_.data() + size_t(begin) * q_dim;
  if (kv_->type() == KvCacheType::kF32) {
    return ops::Attention(attention_, q, count, pos0,
                          static_cast<const float*>(kv_->key(layer, slot, 0)),
                          static_cast<const float*>(kv_->value(layer, slot, 0)),
                          out, att_scratch_.data(), att_scratch_.size(), pool_);
  }
  return ops::AttentionF16(
      attention_, q, count, pos0,
      static_cast<const uint16_t*>(kv_->key(layer, slot, 0)),
      static_cast<const uint16_t*>(kv_->value(layer, slot, 0)), out,
      att_scratch_.data(), att_scratch_.size(), pool_);
}

absl::Status Transformer::Forward(absl::Span<const BatchToken> batch,
                                  float* logits) {
  int32_t rows = 0;
  EDGELLM_RETURN_IF_ERROR(ForwardToHidden(batch, xb_.data(), &rows));
  if (rows == 0) return absl::OkStatus();
  return RunLinear(*output_, xb_.data(), rows, nullptr, logits);
}

absl::Status Transformer::ForwardHidden(absl::Span<const BatchToken> batch,
                                        float* hidden) {
  int32_t rows = 0;
  return ForwardToHidden(batch, hidden, &rows);
}

absl::Status Transformer::ForwardToHidden(absl::Span<const BatchToken> batch,
                                          float* out, int32_t* rows_out) {
  *rows_out = 0;
  const ModelConfig& c = config_;
  const int32_t n = static_cast<int32_t>(batch.size());
  if (n <= 0 || n > max_batch_) {
    return absl::InvalidArgumentError(
        absl::StrCat("batch of ", n, " tokens; must be 1..", max_batch_));
  }
  for (const BatchToken& t : batch) {
    if (t.token < 0 || t.token >= c.vocab_size) {
      return absl::InvalidArgumentError(
          absl::StrCat("token id ", t.token, " is outside the vocabulary [0, ",
                       c.vocab_size, ")"));
    }
    if (t.slot < 0 || t.slot >= kv_->slots()) {
      return absl::InvalidArgumentError(
          absl::StrCat("slot ", t.slot, " is outside [0, ", kv_->slots(), ")"));
    }
    if (t.pos < 0 || t.pos >= kv_->context()) {
      return absl::OutOfRangeError(absl::StrCat("position ", t.pos,
                                                " is past the context of ",
                                                kv_->context(), " tokens"));
    }
  }
  const int32_t d = c.embedding_length;
  const int32_t ff = c.feed_forward_length;
  float* x = x_.data();
  EDGELLM_RETURN_IF_ERROR(Embed(batch, x));

  for (int32_t l = 0; l < c.block_count; ++l) {
    const LayerWeights& w = weights_.layers[l];
    const LayerLinears& lin = layers_[l];
    // Attention block.
    ops::RmsNorm(x, w.attn_norm.f32(), n, d, c.rms_norm_eps, xb_.data(), pool_);
    const LinearCall qkv[] = {
        {lin.wq.get(), w.bq.present() ? w.bq.f32() : nullptr, q_.data()},
        {lin.wk.get(), w.bk.present() ? w.bk.f32() : nullptr, k_.data()},
        {lin.wv.get(), w.bv.present() ? w.bv.f32() : nullptr, v_.data()}};
    EDGELLM_RETURN_IF_ERROR(RunLinears(qkv, xb_.data(), n));
    // Runs of consecutive positions of one slot share RoPE and attention
    // calls: a prompt chunk is one run, a decode batch one run per slot.
    for (int32_t begin = 0; begin < n;) {
      int32_t end = begin + 1;
      while (end < n && batch[end].slot == batch[begin].slot &&
             batch[end].pos == batch[end - 1].pos + 1) {
        ++end;
      }
      EDGELLM_RETURN_IF_ERROR(AttentionRun(l, batch, begin, end));
      begin = end;
    }
    EDGELLM_RETURN_IF_ERROR(
        RunLinear(*lin.wo, att_.data(), n, nullptr, xb_.data()));
    for (size_t i = 0; i < size_t(n) * d; ++i) x[i] += xb_[i];

    // Feed-forward block, kFfnChunk tokens at a time (every token's FFN is
    // independent): the two ff-wide buffers are the largest activations, and
    // chunking them keeps a 512-token prompt batch inside issue 7's memory
    // budget. The down projection of a chunk overwrites its own rows of xb_,
    // which gate/up have consumed.
    ops::RmsNorm(x, w.ffn_norm.f32(), n, d, c.rms_norm_eps, xb_.data(), pool_);
    for (int32_t c0 = 0; c0 < n; c0 += kFfnChunk) {
      const int32_t cn = std::min(kFfnChunk, n - c0);
      float* xc = xb_.data() + size_t(c0) * d;
      const LinearCall gate_up[] = {
          {lin.w_gate.get(), nullptr, ff_gate_.data()},
          {lin.w_up.get(), nullptr, ff_up_.data()}};
      EDGELLM_RETURN_IF_ERROR(RunLinears(gate_up, xc, cn));
      ops::SwiGlu(ff_gate_.data(), ff_up_.data(), size_t(cn) * ff,
                  ff_gate_.data(), pool_);
      EDGELLM_RETURN_IF_ERROR(
          RunLinear(*lin.w_down, ff_gate_.data(), cn, nullptr, xc));
    }
    for (size_t i = 0; i < size_t(n) * d; ++i) x[i] += xb_[i];
  }

  // Final norm, only for the rows that want an output.
  int32_t rows = 0;
  for (int32_t i = 0; i < n; ++i) {
    if (!batch[i].want_logits) continue;
    std::memcpy(head_in_.data() + size_t(rows) * d, x + size_t(i) * d,
                d * sizeof(float));
    ++rows;
  }
  if (rows == 0) return absl::OkStatus();
  ops::RmsNorm(head_in_.data(), weights_.output_norm.f32(), rows, d,
               c.rms_norm_eps, out, pool_);
  *rows_out = rows;
  return absl::OkStatus();
}

}  // namespace edgellm::model
