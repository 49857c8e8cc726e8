// The hyperparameters of a decoder-only transformer, read from GGUF metadata.
//
// Supported architectures (`general.architecture`):
//   llama  Llama 2/3, TinyLlama, SmolLM, Mistral: RMSNorm, GQA, RoPE on
//          adjacent pairs (llama.cpp LLAMA_ROPE_TYPE_NORM), SwiGLU, optional
//          llama3 rope scaling, tied or untied output head.
//   qwen2  Qwen2/2.5: as llama plus Q/K/V biases and NeoX-style RoPE (pairs
//          (i, i + d/2)).
// Anything else is refused at load with an error naming the architecture.
#ifndef EDGELLM_RUNTIME_MODEL_CONFIG_H_
#define EDGELLM_RUNTIME_MODEL_CONFIG_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "runtime/gguf/gguf.h"

namespace edgellm::model {

enum class Architecture { kLlama, kQwen2 };
enum class RopeStyle { kAdjacentPairs, kNeox };

// llama3-style frequency scaling (Llama 3.1+ `rope_scaling` with
// rope_type "llama3"; GGUF keys {arch}.rope.scaling.*). factor 0 = none.
struct Llama3RopeScaling {
  float factor = 0.0f;
  float low_freq_factor = 1.0f;
  float high_freq_factor = 4.0f;
  int32_t original_context_length = 8192;
};

struct ModelConfig {
  Architecture architecture = Architecture::kLlama;
  std::string architecture_name;  // as in the file
  std::string name;               // general.name, may be empty
  int32_t vocab_size = 0;
  int32_t embedding_length = 0;  // d_model
  int32_t block_count = 0;
  int32_t head_count = 0;
  int32_t head_count_kv = 0;
  int32_t head_dim = 0;  // embedding_length / head_count unless set
  int32_t feed_forward_length = 0;
  int32_t context_length = 0;  // trained context
  float rms_norm_eps = 1e-5f;
  float rope_freq_base = 10000.0f;
  int32_t rope_dimension_count = 0;  // rotated dims per head (= head_dim)
  RopeStyle rope_style = RopeStyle::kAdjacentPairs;
  Llama3RopeScaling rope_scaling;
  bool has_qkv_bias = false;
  bool tied_output = false;  // output.weight absent: reuse token_embd

  int32_t q_dim() const { return head_count * head_dim; }
  int32_t kv_dim() const { return head_count_kv * head_dim; }
};

// Whether ReadModelConfig accepts `general.architecture` = `name`.
bool IsSupportedArchitecture(std::string_view name);

// Reads and checks the config. `vocab_size` comes from the token list when
// {arch}.vocab_size is absent, and `tied_output` from the tensor table.
absl::StatusOr<ModelConfig> ReadModelConfig(const gguf::GgufFile& file);

}  // namespace edgellm::model

#endif  // EDGELLM_RUNTIME_MODEL_CONFIG_H_
