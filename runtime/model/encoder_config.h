// The hyperparameters of an encoder-only transformer (embedding and
// reranking models), read from GGUF metadata. Encoders are their own model
// class: bidirectional attention over packed sequences, no KV cache, a pooled
// vector or a classifier score per sequence (runtime/model/encoder.h).
//
// Supported architectures (`general.architecture`), as llama.cpp's
// convert_hf_to_gguf.py writes them and src/models/bert.cpp runs them:
//   bert        BERT, bge, all-MiniLM, bge-reranker heads: token, position
//               and token-type embeddings, embedding LayerNorm, post-LN
//               blocks with biases, GELU feed-forward.
//   nomic-bert  nomic-embed-text: as bert without position embeddings; fused
//               QKV, NeoX-style RoPE over the whole head, SwiGLU.
// The keys are `<arch>.block_count`, `.context_length`, `.embedding_length`,
// `.feed_forward_length`, `.attention.head_count` (and optional
// `_kv`), `.attention.layer_norm_epsilon`, `.attention.causal` (must be
// false), `.pooling_type`, `.rope.freq_base`, `.classifier.output_labels`.
#ifndef EDGELLM_RUNTIME_MODEL_ENCODER_CONFIG_H_
#define EDGELLM_RUNTIME_MODEL_ENCODER_CONFIG_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "runtime/gguf/gguf.h"

namespace edgellm::model {

enum class EncoderArchitecture { kBert, kNomicBert };

// How one sequence's final hidden states become its output, as llama.cpp's
// enum llama_pooling_type (the GGUF value in parentheses):
//   kNone (0)  no pooling: every token's hidden state;
//   kMean (1)  the average over every token, [CLS] and [SEP] included;
//   kCls  (2)  the first token's state;
//   kLast (3)  the last token's state;
//   kRank (4)  the classifier head over the first token: n_cls_out scores.
enum class EncoderPooling { kNone, kMean, kCls, kLast, kRank };

// "none", "mean", "cls", "last", "rank".
std::string_view EncoderPoolingName(EncoderPooling pooling);
// The inverse of EncoderPoolingName; InvalidArgument for anything else.
absl::StatusOr<EncoderPooling> ParseEncoderPooling(std::string_view name);

struct EncoderConfig {
  EncoderArchitecture architecture = EncoderArchitecture::kBert;
  std::string architecture_name;  // as in the file
  std::string name;               // general.name, may be empty
  int32_t vocab_size = 0;
  int32_t embedding_length = 0;
  int32_t block_count = 0;
  int32_t head_count = 0;
  int32_t head_count_kv = 0;
  int32_t head_dim = 0;  // embedding_length / head_count
  int32_t feed_forward_length = 0;
  // Trained context: the most tokens of one sequence (bert: the rows of
  // position_embd).
  int32_t context_length = 0;
  float layer_norm_eps = 1e-12f;
  // nomic-bert: NeoX RoPE over rope_dimension_count dims of each head.
  float rope_freq_base = 10000.0f;
  int32_t rope_dimension_count = 0;
  // `<arch>.pooling_type`; kNone when the file has none (llama.cpp's
  // default), which callers treat as "pick one" (embeddings: mean).
  EncoderPooling pooling = EncoderPooling::kNone;
  bool pooling_in_file = false;
  // Classifier outputs (rerankers): the length of
  // `<arch>.classifier.output_labels`, 1 when absent (llama.cpp's default).
  int32_t classifier_outputs = 1;

  int32_t q_dim() const { return head_count * head_dim; }
  int32_t kv_dim() const { return head_count_kv * head_dim; }
};

// Whether `general.architecture` = `name` is an encoder ReadEncoderConfig
// reads ("bert", "nomic-bert").
bool IsEncoderArchitecture(std::string_view name);

// Reads and checks the config. `vocab_size` comes from the token list, else
// from token_embd.weight. Errors name the key.
absl::StatusOr<EncoderConfig> ReadEncoderConfig(const gguf::GgufFile& file);

}  // namespace edgellm::model

#endif  // EDGELLM_RUNTIME_MODEL_ENCODER_CONFIG_H_
