#include "runtime/model/weights.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "quant/type_traits.h"
#include "util/status_macros.h"

namespace edgellm::model {
namespace {

using gguf::TensorType;

// F32/F16/BF16 and every block type with a linear kernel (Q4_0 ... Q8_0,
// the K-quants, IQ4_NL, IQ4_XS: quant/type_traits.h).
bool IsMatrixType(TensorType t) {
  if (t == TensorType::kF32 || t == TensorType::kF16 || t == TensorType::kBF16)
    return true;
  const quant::QuantTypeTraits* q = quant::FindQuantType(t);
  return q != nullptr && q->is_weight_type();
}

std::string TypeName(TensorType t) {
  absl::StatusOr<gguf::TensorTypeTraits> traits =
      gguf::GetTensorTypeTraits(static_cast<uint32_t>(t));
  return traits.ok() ? std::string(traits->name)
                     : absl::StrCat("type ", static_cast<uint32_t>(t));
}

absl::StatusOr<Tensor> Bind(const gguf::GgufFile& file, const std::string& name,
                            int64_t rows, int64_t cols, bool optional = false) {
  const gguf::TensorInfo* info = file.FindTensor(name);
  if (info == nullptr) {
    if (optional) return Tensor{};
    return absl::InvalidArgumentError(
        absl::StrCat("tensor ", name, " is missing from the model file"));
  }
  const bool vector = rows == 1;
  bool shape_ok;
  if (vector) {
    shape_ok = info->dims.size() == 1 && info->dims[0] == cols;
  } else {
    shape_ok = info->dims.size() == 2 && info->dims[0] == cols &&
               info->dims[1] == rows;
  }
  if (!shape_ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tensor ", name, " has shape {", absl::StrJoin(info->dims, ", "),
        "}, expected {", cols, vector ? "" : absl::StrCat(", ", rows), "}"));
  }
  if (vector ? info->type != TensorType::kF32 : !IsMatrixType(info->type)) {
    return absl::UnimplementedError(absl::StrCat(
        "tensor ", name, " has type ", TypeName(info->type),
        vector ? "; 1-D tensors must be f32"
               : "; supported matrix types are f32, f16, bf16, q4_0, q4_1, "
                 "q5_0, q5_1, q8_0, q2_K, q3_K, q4_K, q5_K, q6_K, iq4_nl and "
                 "iq4_xs"));
  }
  Tensor t;
  t.name = name;
  t.type = info->type;
  t.rows = rows;
  t.cols = cols;
  t.data = info->data;
  t.size_bytes = info->size_bytes;
  return t;
}

// Rows [row0, row0 + rows) of matrix `t` as a matrix of its own: GGUF rows
// are stored one after another, whole blocks each, so a row range is a
// contiguous byte range of any type.
absl::StatusOr<Tensor> RowView(const Tensor& t, int64_t row0, int64_t rows,
                               const char* part) {
  absl::StatusOr<gguf::TensorTypeTraits> traits =
      gguf::GetTensorTypeTraits(static_cast<uint32_t>(t.type));
  if (!traits.ok()) return traits.status();
  if (t.cols % traits->block_size != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tensor ", t.name, ": rows of ", t.cols, " values are not whole ",
        std::string(traits->name), " blocks"));
  }
  const uint64_t row_bytes = t.cols / traits->block_size * traits->type_size;
  Tensor v = t;
  v.name = absl::StrCat(t.name, "[", part, "]");
  v.rows = rows;
  v.data = t.data + row0 * row_bytes;
  v.size_bytes = rows * row_bytes;
  return v;
}

// q, k, v: three tensors, or the three row ranges of a fused attn_qkv.
absl::Status BindQkv(const gguf::GgufFile& file, const ModelConfig& c, int il,
                     LayerWeights& l) {
  const int64_t d = c.embedding_length, q = c.q_dim(), kv = c.kv_dim();
  auto name = [il](const char* suffix) {
    return absl::StrCat("blk.", il, ".", suffix);
  };
  if (!c.arch.fused_qkv) {
    EDGELLM_ASSIGN_OR_RETURN(l.wq, Bind(file, name("attn_q.weight"), q, d));
    EDGELLM_ASSIGN_OR_RETURN(l.wk, Bind(file, name("attn_k.weight"), kv, d));
    EDGELLM_ASSIGN_OR_RETURN(l.wv, Bind(file, name("attn_v.weight"), kv, d));
    return absl::OkStatus();
  }
  // llama.cpp's phi3 loader requires the q part to be n_embd wide.
  if (q != d) {
    return absl::InvalidArgumentError(
        absl::StrCat("a fused attn_qkv needs head_count * head_dim (", q,
                     ") = embedding_length (", d, ")"));
  }
  EDGELLM_ASSIGN_OR_RETURN(const Tensor qkv,
                           Bind(file, name("attn_qkv.weight"), q + 2 * kv, d));
  EDGELLM_ASSIGN_OR_RETURN(l.wq, RowView(qkv, 0, q, "q"));
  EDGELLM_ASSIGN_OR_RETURN(l.wk, RowView(qkv, q, kv, "k"));
  EDGELLM_ASSIGN_OR_RETURN(l.wv, RowView(qkv, q + kv, kv, "v"));
  return absl::OkStatus();
}

// gate and up: two tensors, or the two halves of a fused ffn_up (gate
// first: ggml_swiglu applies the activation to the first half).
absl::Status BindGateUp(const gguf::GgufFile& file, const ModelConfig& c,
                        int il, LayerWeights& l) {
  const int64_t d = c.embedding_length, ff = c.feed_forward_length;
  auto name = [il](const char* suffix) {
    return absl::StrCat("blk.", il, ".", suffix);
  };
  if (!c.arch.fused_gate_up) {
    EDGELLM_ASSIGN_OR_RETURN(l.w_gate,
                             Bind(file, name("ffn_gate.weight"), ff, d));
    EDGELLM_ASSIGN_OR_RETURN(l.w_up, Bind(file, name("ffn_up.weight"), ff, d));
    return absl::OkStatus();
  }
  EDGELLM_ASSIGN_OR_RETURN(const Tensor up,
                           Bind(file, name("ffn_up.weight"), 2 * ff, d));
  EDGELLM_ASSIGN_OR_RETURN(l.w_gate, RowView(up, 0, ff, "gate"));
  EDGELLM_ASSIGN_OR_RETURN(l.w_up, RowView(up, ff, ff, "up"));
  return absl::OkStatus();
}

absl::Status BindLayer(const gguf::GgufFile& file, const ModelConfig& c, int il,
                       LayerWeights& l) {
  const ArchitectureDescription& arch = c.arch;
  const int64_t d = c.embedding_length, ff = c.feed_forward_length;
  auto name = [il](const char* suffix) {
    return absl::StrCat("blk.", il, ".", suffix);
  };
  EDGELLM_ASSIGN_OR_RETURN(l.attn_norm,
                           Bind(file, name("attn_norm.weight"), 1, d));
  EDGELLM_RETURN_IF_ERROR(BindQkv(file, c, il, l));
  const bool optional_bias = !c.has_qkv_bias;
  EDGELLM_ASSIGN_OR_RETURN(
      l.bq, Bind(file, name("attn_q.bias"), 1, c.q_dim(), optional_bias));
  EDGELLM_ASSIGN_OR_RETURN(
      l.bk, Bind(file, name("attn_k.bias"), 1, c.kv_dim(), optional_bias));
  EDGELLM_ASSIGN_OR_RETURN(
      l.bv, Bind(file, name("attn_v.bias"), 1, c.kv_dim(), optional_bias));
  if (arch.qk_norm) {
    EDGELLM_ASSIGN_OR_RETURN(
        l.attn_q_norm, Bind(file, name("attn_q_norm.weight"), 1, c.head_dim));
    EDGELLM_ASSIGN_OR_RETURN(
        l.attn_k_norm, Bind(file, name("attn_k_norm.weight"), 1, c.head_dim));
  }
  EDGELLM_ASSIGN_OR_RETURN(
      l.wo, Bind(file, name("attn_output.weight"), d, c.q_dim()));
  if (arch.post_norms) {
    EDGELLM_ASSIGN_OR_RETURN(
        l.post_attention_norm,
        Bind(file, name("post_attention_norm.weight"), 1, d));
    EDGELLM_ASSIGN_OR_RETURN(l.post_ffw_norm,
                             Bind(file, name("post_ffw_norm.weight"), 1, d));
  }
  EDGELLM_ASSIGN_OR_RETURN(l.ffn_norm,
                           Bind(file, name("ffn_norm.weight"), 1, d));
  EDGELLM_RETURN_IF_ERROR(BindGateUp(file, c, il, l));
  EDGELLM_ASSIGN_OR_RETURN(l.w_down,
                           Bind(file, name("ffn_down.weight"), d, ff));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Tensor> BindTensor(const gguf::GgufFile& file,
                                  const std::string& name, int64_t rows,
                                  int64_t cols, bool optional) {
  return Bind(file, name, rows, cols, optional);
}

absl::StatusOr<ModelWeights> BindWeights(const gguf::GgufFile& file,
                                         const ModelConfig& c) {
  ModelWeights w;
  const int64_t d = c.embedding_length;
  EDGELLM_ASSIGN_OR_RETURN(w.token_embd,
                           Bind(file, "token_embd.weight", c.vocab_size, d));
  EDGELLM_ASSIGN_OR_RETURN(w.output_norm,
                           Bind(file, "output_norm.weight", 1, d));
  if (c.tied_output) {
    w.output = w.token_embd;
  } else {
    EDGELLM_ASSIGN_OR_RETURN(w.output,
                             Bind(file, "output.weight", c.vocab_size, d));
  }
  const int64_t pairs = c.rope_dimension_count / 2;
  EDGELLM_ASSIGN_OR_RETURN(w.rope_freqs, Bind(file, "rope_freqs.weight", 1,
                                              pairs, /*optional=*/true));
  if (c.arch.long_rope) {
    EDGELLM_ASSIGN_OR_RETURN(
        w.rope_factors_short,
        Bind(file, "rope_factors_short.weight", 1, pairs, /*optional=*/true));
    EDGELLM_ASSIGN_OR_RETURN(
        w.rope_factors_long,
        Bind(file, "rope_factors_long.weight", 1, pairs, /*optional=*/true));
    if (w.rope_factors_short.present() != w.rope_factors_long.present()) {
      return absl::InvalidArgumentError(
          "rope_factors_short.weight and rope_factors_long.weight must come "
          "together");
    }
  }
  w.layers.resize(c.block_count);
  for (int i = 0; i < c.block_count; ++i) {
    EDGELLM_RETURN_IF_ERROR(BindLayer(file, c, i, w.layers[i]));
  }
  return w;
}

}  // namespace edgellm::model
