#include "runtime/model/encoder_weights.h"

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "util/status_macros.h"

namespace edgellm::model {
namespace {

// Rows [row0, row0 + rows) of matrix `t` (a fused QKV weight, or its bias
// vector when t.rows == 1: then the columns [row0, row0 + rows)). Every
// supported type stores whole rows contiguously, so a row is
// size_bytes / t.rows bytes.
Tensor RowView(const Tensor& t, int64_t row0, int64_t rows,
               const std::string& name) {
  Tensor v = t;
  v.name = name;
  if (t.rows == 1) {  // a bias: f32 values
    v.cols = rows;
    v.data = t.data + row0 * sizeof(float);
    v.size_bytes = rows * sizeof(float);
  } else {
    const uint64_t row_bytes = t.size_bytes / t.rows;
    v.rows = rows;
    v.data = t.data + row0 * row_bytes;
    v.size_bytes = rows * row_bytes;
  }
  return v;
}

class Binder {
 public:
  explicit Binder(const gguf::GgufFile& file) : file_(file) {}

  absl::StatusOr<Tensor> Matrix(const std::string& name, int64_t rows,
                                int64_t cols, bool optional = false) {
    claimed_.insert(name);
    return BindTensor(file_, name, rows, cols, optional);
  }
  absl::StatusOr<Tensor> Vector(const std::string& name, int64_t n,
                                bool optional = false) {
    claimed_.insert(name);
    return BindTensor(file_, name, 1, n, optional);
  }
  // A classifier output of `rows` x `cols`; one row may be stored as a 1-D
  // {cols} tensor (llama-quantize writes cls.output.weight that way).
  absl::StatusOr<Tensor> MatrixOrRow(const std::string& name, int64_t rows,
                                     int64_t cols) {
    const gguf::TensorInfo* info = file_.FindTensor(name);
    if (rows == 1 && info != nullptr && info->dims.size() == 2 &&
        info->dims[1] == 1) {
      // {cols, 1}: one matrix row (its type is checked where it is
      // prepared for the linear kernels).
      claimed_.insert(name);
      if (info->dims[0] != cols) {
        return absl::InvalidArgumentError(
            absl::StrCat("tensor ", name, " has shape {", info->dims[0],
                         ", 1}, expected {", cols, ", 1} or {", cols, "}"));
      }
      Tensor t;
      t.name = name;
      t.type = info->type;
      t.rows = 1;
      t.cols = cols;
      t.data = info->data;
      t.size_bytes = info->size_bytes;
      return t;
    }
    if (rows == 1) return Vector(name, cols, /*optional=*/true);
    return Matrix(name, rows, cols, /*optional=*/true);
  }
  // Rows of a 2-D tensor as the file has them (token_types).
  int64_t RowsOf(const std::string& name) const {
    const gguf::TensorInfo* info = file_.FindTensor(name);
    return info != nullptr && info->dims.size() == 2 ? info->dims[1] : 0;
  }
  bool Has(const std::string& name) const {
    return file_.FindTensor(name) != nullptr;
  }

  // Every tensor of the file was asked for.
  absl::Status CheckAllClaimed(const std::string& arch) const {
    for (const gguf::TensorInfo& t : file_.tensors()) {
      if (!claimed_.contains(std::string(t.name))) {
        return absl::UnimplementedError(absl::StrCat(
            "tensor ", std::string(t.name), " is not part of a ", arch,
            " encoder this runtime knows (an unsupported variant)"));
      }
    }
    return absl::OkStatus();
  }

 private:
  const gguf::GgufFile& file_;
  absl::flat_hash_set<std::string> claimed_;
};

absl::Status BindLayer(Binder& b, const EncoderConfig& c, int i,
                       EncoderLayerWeights& l) {
  auto n = [i](const char* suffix) {
    return absl::StrCat("blk.", i, ".", suffix);
  };
  const int64_t d = c.embedding_length, ff = c.feed_forward_length;
  const int64_t q = c.q_dim(), kv = c.kv_dim();
  if (b.Has(n("attn_qkv.weight"))) {
    EDGELLM_ASSIGN_OR_RETURN(Tensor w,
                             b.Matrix(n("attn_qkv.weight"), q + 2 * kv, d));
    l.wq = RowView(w, 0, q, n("attn_qkv.weight[q]"));
    l.wk = RowView(w, q, kv, n("attn_qkv.weight[k]"));
    l.wv = RowView(w, q + kv, kv, n("attn_qkv.weight[v]"));
    EDGELLM_ASSIGN_OR_RETURN(Tensor bias,
                             b.Vector(n("attn_qkv.bias"), q + 2 * kv, true));
    if (bias.present()) {
      l.bq = RowView(bias, 0, q, n("attn_qkv.bias[q]"));
      l.bk = RowView(bias, q, kv, n("attn_qkv.bias[k]"));
      l.bv = RowView(bias, q + kv, kv, n("attn_qkv.bias[v]"));
    }
  } else {
    EDGELLM_ASSIGN_OR_RETURN(l.wq, b.Matrix(n("attn_q.weight"), q, d));
    EDGELLM_ASSIGN_OR_RETURN(l.wk, b.Matrix(n("attn_k.weight"), kv, d));
    EDGELLM_ASSIGN_OR_RETURN(l.wv, b.Matrix(n("attn_v.weight"), kv, d));
    EDGELLM_ASSIGN_OR_RETURN(l.bq, b.Vector(n("attn_q.bias"), q, true));
    EDGELLM_ASSIGN_OR_RETURN(l.bk, b.Vector(n("attn_k.bias"), kv, true));
    EDGELLM_ASSIGN_OR_RETURN(l.bv, b.Vector(n("attn_v.bias"), kv, true));
  }
  EDGELLM_ASSIGN_OR_RETURN(l.wo, b.Matrix(n("attn_output.weight"), d, q));
  EDGELLM_ASSIGN_OR_RETURN(l.bo, b.Vector(n("attn_output.bias"), d, true));
  EDGELLM_ASSIGN_OR_RETURN(l.attn_norm_w,
                           b.Vector(n("attn_output_norm.weight"), d));
  EDGELLM_ASSIGN_OR_RETURN(l.attn_norm_b,
                           b.Vector(n("attn_output_norm.bias"), d));
  EDGELLM_ASSIGN_OR_RETURN(l.w_up, b.Matrix(n("ffn_up.weight"), ff, d));
  EDGELLM_ASSIGN_OR_RETURN(l.b_up, b.Vector(n("ffn_up.bias"), ff, true));
  EDGELLM_ASSIGN_OR_RETURN(l.w_gate,
                           b.Matrix(n("ffn_gate.weight"), ff, d, true));
  EDGELLM_ASSIGN_OR_RETURN(l.w_down, b.Matrix(n("ffn_down.weight"), d, ff));
  EDGELLM_ASSIGN_OR_RETURN(l.b_down, b.Vector(n("ffn_down.bias"), d, true));
  EDGELLM_ASSIGN_OR_RETURN(l.out_norm_w,
                           b.Vector(n("layer_output_norm.weight"), d));
  EDGELLM_ASSIGN_OR_RETURN(l.out_norm_b,
                           b.Vector(n("layer_output_norm.bias"), d));
  if (l.w_gate.present() && l.b_up.present()) {
    return absl::UnimplementedError(absl::StrCat(
        "blk.", i, ": a gated feed-forward with an up bias is not supported"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<EncoderWeights> BindEncoderWeights(const gguf::GgufFile& file,
                                                  const EncoderConfig& c) {
  EncoderWeights w;
  Binder b(file);
  const int64_t d = c.embedding_length;
  EDGELLM_ASSIGN_OR_RETURN(w.token_embd,
                           b.Matrix("token_embd.weight", c.vocab_size, d));
  if (c.architecture == EncoderArchitecture::kBert) {
    EDGELLM_ASSIGN_OR_RETURN(
        w.position_embd, b.Matrix("position_embd.weight", c.context_length, d));
  }
  if (const int64_t types = b.RowsOf("token_types.weight"); types > 0) {
    EDGELLM_ASSIGN_OR_RETURN(w.token_types,
                             b.Matrix("token_types.weight", types, d));
  } else {
    EDGELLM_ASSIGN_OR_RETURN(
        w.token_types, b.Matrix("token_types.weight", 2, d, /*optional=*/true));
  }
  EDGELLM_ASSIGN_OR_RETURN(w.embd_norm_w,
                           b.Vector("token_embd_norm.weight", d));
  EDGELLM_ASSIGN_OR_RETURN(w.embd_norm_b, b.Vector("token_embd_norm.bias", d));
  w.layers.resize(c.block_count);
  for (int i = 0; i < c.block_count; ++i) {
    EDGELLM_RETURN_IF_ERROR(BindLayer(b, c, i, w.layers[i]));
  }
  EDGELLM_ASSIGN_OR_RETURN(w.cls, b.Matrix("cls.weight", d, d, true));
  EDGELLM_ASSIGN_OR_RETURN(w.cls_b, b.Vector("cls.bias", d, true));
  const int64_t n_out = c.classifier_outputs;
  EDGELLM_ASSIGN_OR_RETURN(w.cls_out,
                           b.MatrixOrRow("cls.output.weight", n_out, d));
  EDGELLM_ASSIGN_OR_RETURN(w.cls_out_b,
                           b.Vector("cls.output.bias", n_out, true));
  if (w.cls.present() != w.cls_b.present() ||
      w.cls_out.present() != w.cls_out_b.present()) {
    return absl::InvalidArgumentError(
        "classifier head: cls.weight / cls.output.weight need their biases "
        "(and the biases their weights)");
  }
  EDGELLM_RETURN_IF_ERROR(b.CheckAllClaimed(c.architecture_name));
  return w;
}

}  // namespace edgellm::model
