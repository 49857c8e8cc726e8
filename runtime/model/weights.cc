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
  EDGELLM_ASSIGN_OR_RETURN(w.rope_freqs,
                           Bind(file, "rope_freqs.weight", 1,
                                c.rope_dimension_count / 2, /*optional=*/true));
  w.layers.resize(c.block_count);
  for (int i = 0; i < c.block_count; ++i) {
    LayerWeights& l = w.layers[i];
    auto name = [i](const char* suffix) {
      return absl::StrCat("blk.", i, ".", suffix);
    };
    EDGELLM_ASSIGN_OR_RETURN(l.attn_norm,
                             Bind(file, name("attn_norm.weight"), 1, d));
    EDGELLM_ASSIGN_OR_RETURN(l.wq,
                             Bind(file, name("attn_q.weight"), c.q_dim(), d));
    EDGELLM_ASSIGN_OR_RETURN(l.wk,
                             Bind(file, name("attn_k.weight"), c.kv_dim(), d));
    EDGELLM_ASSIGN_OR_RETURN(l.wv,
                             Bind(file, name("attn_v.weight"), c.kv_dim(), d));
    EDGELLM_ASSIGN_OR_RETURN(
        l.wo, Bind(file, name("attn_output.weight"), d, c.q_dim()));
    const bool need_bias = c.has_qkv_bias;
    EDGELLM_ASSIGN_OR_RETURN(
        l.bq, Bind(file, name("attn_q.bias"), 1, c.q_dim(), !need_bias));
    EDGELLM_ASSIGN_OR_RETURN(
        l.bk, Bind(file, name("attn_k.bias"), 1, c.kv_dim(), !need_bias));
    EDGELLM_ASSIGN_OR_RETURN(
        l.bv, Bind(file, name("attn_v.bias"), 1, c.kv_dim(), !need_bias));
    EDGELLM_ASSIGN_OR_RETURN(l.ffn_norm,
                             Bind(file, name("ffn_norm.weight"), 1, d));
    const int64_t ff = c.feed_forward_length;
    EDGELLM_ASSIGN_OR_RETURN(l.w_gate,
                             Bind(file, name("ffn_gate.weight"), ff, d));
    EDGELLM_ASSIGN_OR_RETURN(l.w_up, Bind(file, name("ffn_up.weight"), ff, d));
    EDGELLM_ASSIGN_OR_RETURN(l.w_down,
                             Bind(file, name("ffn_down.weight"), d, ff));
  }
  return w;
}

}  // namespace edgellm::model
