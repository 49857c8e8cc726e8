// The hyperparameters of a decoder-only transformer, read from GGUF metadata
// through the architecture's row in runtime/model/architecture.h.
//
// Supported architectures (`general.architecture`): llama (Llama 2/3/3.2,
// TinyLlama, SmolLM/SmolLM2, Mistral), qwen2, qwen3, gemma3, phi3 (Phi-3/3.5,
// Phi-4-mini), smollm3. Anything else is refused at load with an error
// naming the architecture.
#ifndef EDGELLM_RUNTIME_MODEL_CONFIG_H_
#define EDGELLM_RUNTIME_MODEL_CONFIG_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/gguf/gguf.h"
#include "runtime/model/architecture.h"
#include "runtime/model/kv_type.h"

namespace edgellm::model {

// llama3-style frequency scaling (Llama 3.1+ `rope_scaling` with
// rope_type "llama3"; GGUF keys {arch}.rope.scaling.*). factor 0 = none.
struct Llama3RopeScaling {
  float factor = 0.0f;
  float low_freq_factor = 1.0f;
  float high_freq_factor = 4.0f;
  int32_t original_context_length = 8192;
};

// What differs between the layers of one model.
struct LayerConfig {
  bool rope = true;    // false: a NoPE layer (SmolLM3)
  int32_t window = 0;  // 0: attends to every earlier position; else a
                       // sliding window of this many positions (itself
                       // included)
  float rope_freq_base = 10000.0f;
  float rope_freq_scale = 1.0f;  // linear position interpolation
};

struct ModelConfig {
  ArchitectureDescription arch;   // the table row
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
  int32_t rope_dimension_count = 0;  // rotated dims per head (<= head_dim)
  RopeStyle rope_style = RopeStyle::kAdjacentPairs;
  Llama3RopeScaling rope_scaling;
  // LongRoPE: the context above which rope_factors_long replaces
  // rope_factors_short (rope.scaling.original_context_length), and the
  // magnitude factor of the rotated dims (rope.scaling.attn_factor).
  int32_t rope_original_context = 0;
  float rope_attn_factor = 1.0f;
  bool has_qkv_bias = false;
  bool tied_output = false;         // output.weight absent: reuse token_embd
  float embedding_scale = 1.0f;     // sqrtf(n_embd) for Gemma
  float attention_scale = 0.0f;     // of q.k; 0 = 1/sqrt(head_dim)
  int32_t sliding_window = 0;       // of the local layers; 0 = none
  std::vector<LayerConfig> layers;  // block_count entries

  int32_t q_dim() const { return head_count * head_dim; }
  int32_t kv_dim() const { return head_count_kv * head_dim; }
};

// Whether ReadModelConfig accepts `general.architecture` = `name`.
bool IsSupportedArchitecture(std::string_view name);

// Reads and checks the config. `vocab_size` comes from the token list when
// {arch}.vocab_size is absent, and `tied_output` from the tensor table.
absl::StatusOr<ModelConfig> ReadModelConfig(const gguf::GgufFile& file);

// KV-cache rows per slot of each layer for `context` positions: the context,
// or min(window, context) for a sliding-window layer (a ring).
std::vector<int32_t> KvRowsPerLayer(const ModelConfig& config, int32_t context);

// Bytes of keys and values one sequence slot holds for `context` positions
// in a cache of `type` (runtime/model/kv_type.h).
uint64_t KvBytesPerSlot(const ModelConfig& config, int32_t context,
                        KvCacheType type);

// The per-layer attention and RoPE plan in a few words, e.g. "26 layers: 22
// local (window 512, rope base 10000), 4 global (rope base 1e+06, scale
// 0.125)", for inspect and logs.
std::string DescribeLayers(const ModelConfig& config);

}  // namespace edgellm::model

#endif  // EDGELLM_RUNTIME_MODEL_CONFIG_H_
