// Hugging Face transformers model folders (config.json) for the Llama and
// Qwen2 families: hyperparameters, tensor names and the Q/K row order,
// mapped to llama.cpp's GGUF conventions (llama.cpp convert_hf_to_gguf.py,
// LlamaModel and Qwen2Model; gguf-py tensor_mapping.py).
//
// Pure functions; no I/O.
#ifndef EDGELLM_QUANT_CONVERT_HF_CONFIG_H_
#define EDGELLM_QUANT_CONVERT_HF_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace edgellm::quant {

struct HfConfig {
  std::string hf_architecture;    // "LlamaForCausalLM", "Qwen2ForCausalLM"
  std::string gguf_architecture;  // "llama", "qwen2"
  std::string model_type;         // config.json "model_type"
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;  // = num_attention_heads when absent
  int64_t head_dim = 0;             // = hidden_size / heads when absent
  int64_t vocab_size = 0;
  std::optional<int64_t> max_position_embeddings;
  double rms_norm_eps = 1e-6;
  std::optional<double> rope_theta;
  bool tie_word_embeddings = false;
  // rope_scaling: "" (none), "linear" or "llama3".
  std::string rope_scaling_type;
  double rope_scaling_factor = 1.0;
  double rope_low_freq_factor = 1.0;
  double rope_high_freq_factor = 4.0;
  int64_t rope_original_context = 8192;
  std::optional<int64_t> bos_token_id;
  std::optional<int64_t> eos_token_id;  // the first if a list
  std::optional<int64_t> pad_token_id;

  // llama.cpp's `llama` arch rotates interleaved pairs; HF Llama stores Q/K
  // for NeoX-style half rotation, so their rows must be permuted. Qwen2
  // uses NeoX RoPE in llama.cpp and is stored as is.
  bool permute_qk() const { return gguf_architecture == "llama"; }
};

// Parses config.json. UNIMPLEMENTED naming the architecture for anything but
// the Llama / Mistral / Qwen2 causal-LM classes; INVALID_ARGUMENT naming the
// field for missing or inconsistent hyperparameters.
absl::StatusOr<HfConfig> ParseHfConfig(std::string_view config_json);

// What to do with one Hugging Face tensor.
struct HfTensorMapping {
  std::string gguf_name;  // empty: skip the tensor (e.g. rotary inv_freq)
  bool permute = false;   // apply PermuteQkRows with `permute_heads`
  int64_t permute_heads = 0;
};

// "model.layers.3.self_attn.q_proj.weight" -> "blk.3.attn_q.weight" (with
// permutation for Llama), "lm_head.weight" -> "output.weight" (skipped when
// the embeddings are tied), ... INVALID_ARGUMENT for a name the
// architecture does not have, or a layer index >= num_hidden_layers.
absl::StatusOr<HfTensorMapping> MapHfTensor(const HfConfig& config,
                                            std::string_view hf_name);

// The tensors a complete model must have, as GGUF names (the check that a
// checkpoint is not missing a shard or a layer).
std::vector<std::string> RequiredGgufTensors(const HfConfig& config);

// llama.cpp's LlamaModel.permute: viewing the [rows][cols] matrix as
// [n_head][2][rows / n_head / 2][cols] and swapping axes 1 and 2, so row
// h*hd + s*(hd/2) + j moves to h*hd + 2*j + s (hd = rows / n_head). Turns
// HF's half-split rotary layout into interleaved pairs. `cols` is 1 for a
// bias. Requires rows % (2 * n_head) == 0.
void PermuteQkRows(const float* in, float* out, int64_t rows, int64_t cols,
                   int64_t n_head);

// llama.cpp's rope_freqs for rope_scaling.rope_type == "llama3"
// (LlamaModel.generate_extra_tensors): one factor per rotated pair.
std::vector<float> Llama3RopeFactors(const HfConfig& config);

}  // namespace edgellm::quant

#endif  // EDGELLM_QUANT_CONVERT_HF_CONFIG_H_
