// An encoder's weight tensors (runtime/model/encoder_config.h), bound by name
// from a GGUF file and checked against the config: views into the mapped
// file, nothing copied. Names and shapes are llama.cpp's (src/llama-arch.cpp
// LLM_ARCH_BERT / LLM_ARCH_NOMIC_BERT); GGUF dims are {cols, rows}.
//
// Every tensor of the file must be claimed: a tensor this binder does not
// know (a variant's extra norm, say) fails the load by name instead of being
// silently ignored.
#ifndef EDGELLM_RUNTIME_MODEL_ENCODER_WEIGHTS_H_
#define EDGELLM_RUNTIME_MODEL_ENCODER_WEIGHTS_H_

#include <vector>

#include "absl/status/statusor.h"
#include "runtime/gguf/gguf.h"
#include "runtime/model/encoder_config.h"
#include "runtime/model/weights.h"

namespace edgellm::model {

// Optional tensors (biases, the gate) are Tensors without data when absent.
struct EncoderLayerWeights {
  // [q_dim][d], [kv_dim][d] x2: row views of blk.N.attn_qkv when the file
  // fuses them (nomic-bert), else attn_q / attn_k / attn_v.
  Tensor wq, wk, wv;
  Tensor bq, bk, bv;                // {q_dim}, {kv_dim} x2
  Tensor wo, bo;                    // attn_output: [d][q_dim], {d}
  Tensor attn_norm_w, attn_norm_b;  // attn_output_norm {d}
  Tensor w_up, b_up;                // [ff][d], {ff}
  // [ff][d]: present means SwiGLU silu(x W_gate) * (x W_up) (nomic-bert),
  // absent means GELU(x W_up + b_up) (bert).
  Tensor w_gate;
  Tensor w_down, b_down;          // [d][ff], {d}
  Tensor out_norm_w, out_norm_b;  // layer_output_norm {d}
};

struct EncoderWeights {
  Tensor token_embd;     // [vocab][d]
  Tensor position_embd;  // [context_length][d]; bert only
  // [types][d]: row 0 is added to every token (llama.cpp hard-codes token
  // type 0, the document half of a rerank pair included).
  Tensor token_types;
  Tensor embd_norm_w, embd_norm_b;  // token_embd_norm {d}
  std::vector<EncoderLayerWeights> layers;
  // The classification head of rerankers (pooling kRank), each optional:
  // h' = tanh(cls h + cls_b), score = cls_out h' + cls_out_b.
  Tensor cls, cls_b;          // [d][d], {d}
  Tensor cls_out, cls_out_b;  // [classifier_outputs][d], {classifier_outputs}

  bool has_classifier() const { return cls.present() || cls_out.present(); }
};

absl::StatusOr<EncoderWeights> BindEncoderWeights(const gguf::GgufFile& file,
                                                  const EncoderConfig& config);

}  // namespace edgellm::model

#endif  // EDGELLM_RUNTIME_MODEL_ENCODER_WEIGHTS_H_
