#include "runtime/model/config.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "util/status_macros.h"

namespace edgellm::model {
namespace {

// Reads `{arch}.{suffix}` as an integer in [min, max].
absl::StatusOr<int32_t> ReadInt(const gguf::GgufFile& file,
                                const std::string& arch,
                                const std::string& suffix, int64_t min,
                                int64_t max) {
  const std::string key = absl::StrCat(arch, ".", suffix);
  absl::StatusOr<int64_t> v = file.GetInt(key);
  if (!v.ok()) return v.status();
  if (*v < min || *v > max) {
    return absl::InvalidArgumentError(absl::StrCat(
        "metadata ", key, " = ", *v, " is outside [", min, ", ", max, "]"));
  }
  return static_cast<int32_t>(*v);
}

absl::StatusOr<int32_t> ReadOptionalInt(const gguf::GgufFile& file,
                                        const std::string& arch,
                                        const std::string& suffix, int64_t min,
                                        int64_t max, int32_t fallback) {
  if (file.Find(absl::StrCat(arch, ".", suffix)) == nullptr) return fallback;
  return ReadInt(file, arch, suffix, min, max);
}

absl::StatusOr<float> ReadOptionalFloat(const gguf::GgufFile& file,
                                        const std::string& key,
                                        float fallback) {
  if (file.Find(key) == nullptr) return fallback;
  absl::StatusOr<double> v = file.GetFloat(key);
  if (!v.ok()) return v.status();
  return static_cast<float>(*v);
}

}  // namespace

bool IsSupportedArchitecture(std::string_view name) {
  return name == "llama" || name == "qwen2";
}

absl::StatusOr<ModelConfig> ReadModelConfig(const gguf::GgufFile& file) {
  ModelConfig c;
  absl::StatusOr<std::string_view> arch =
      file.GetString("general.architecture");
  if (!arch.ok()) return arch.status();
  c.architecture_name = std::string(*arch);
  if (c.architecture_name == "llama") {
    c.architecture = Architecture::kLlama;
    c.rope_style = RopeStyle::kAdjacentPairs;
  } else if (c.architecture_name == "qwen2") {
    c.architecture = Architecture::kQwen2;
    c.rope_style = RopeStyle::kNeox;
    c.has_qkv_bias = true;
  } else {
    return absl::UnimplementedError(
        absl::StrCat("unsupported model architecture '", c.architecture_name,
                     "' (supported: llama, qwen2)"));
  }
  if (absl::StatusOr<std::string_view> name = file.GetString("general.name");
      name.ok()) {
    c.name = std::string(*name);
  }
  const std::string& a = c.architecture_name;
  constexpr int64_t kMaxDim = 1 << 20;
  EDGELLM_ASSIGN_OR_RETURN(c.embedding_length,
                           ReadInt(file, a, "embedding_length", 1, kMaxDim));
  EDGELLM_ASSIGN_OR_RETURN(c.block_count,
                           ReadInt(file, a, "block_count", 1, 4096));
  EDGELLM_ASSIGN_OR_RETURN(c.head_count,
                           ReadInt(file, a, "attention.head_count", 1, 4096));
  EDGELLM_ASSIGN_OR_RETURN(
      c.head_count_kv, ReadOptionalInt(file, a, "attention.head_count_kv", 1,
                                       4096, c.head_count));
  EDGELLM_ASSIGN_OR_RETURN(c.feed_forward_length,
                           ReadInt(file, a, "feed_forward_length", 1, kMaxDim));
  EDGELLM_ASSIGN_OR_RETURN(
      c.context_length,
      ReadOptionalInt(file, a, "context_length", 1, 1 << 24, 2048));
  if (c.embedding_length % c.head_count != 0 &&
      file.Find(a + ".attention.key_length") == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(a, ".embedding_length ", c.embedding_length,
                     " is not a multiple of head_count ", c.head_count));
  }
  EDGELLM_ASSIGN_OR_RETURN(
      c.head_dim, ReadOptionalInt(file, a, "attention.key_length", 2, 4096,
                                  c.embedding_length / c.head_count));
  if (c.head_dim % 2 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("head dimension ", c.head_dim, " must be even for RoPE"));
  }
  if (c.head_count % c.head_count_kv != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(a, ".attention.head_count ", c.head_count,
                     " is not a multiple of head_count_kv ", c.head_count_kv));
  }
  EDGELLM_ASSIGN_OR_RETURN(c.rope_dimension_count,
                           ReadOptionalInt(file, a, "rope.dimension_count", 2,
                                           c.head_dim, c.head_dim));
  EDGELLM_ASSIGN_OR_RETURN(
      c.rms_norm_eps,
      ReadOptionalFloat(file, a + ".attention.layer_norm_rms_epsilon", 1e-5f));
  EDGELLM_ASSIGN_OR_RETURN(
      c.rope_freq_base,
      ReadOptionalFloat(file, a + ".rope.freq_base", 10000.0f));
  if (!(c.rms_norm_eps > 0) || !(c.rope_freq_base > 0)) {
    return absl::InvalidArgumentError(
        "rms epsilon and rope frequency base must be positive");
  }
  // llama3 rope scaling: present as {arch}.rope.scaling.type == "llama3" in
  // some converters, or implied by a rope_freqs tensor; we read the factors.
  if (absl::StatusOr<std::string_view> type =
          file.GetString(a + ".rope.scaling.type");
      type.ok() && *type == "llama3") {
    EDGELLM_ASSIGN_OR_RETURN(
        c.rope_scaling.factor,
        ReadOptionalFloat(file, a + ".rope.scaling.factor", 8.0f));
    EDGELLM_ASSIGN_OR_RETURN(
        c.rope_scaling.low_freq_factor,
        ReadOptionalFloat(file, a + ".rope.scaling.low_freq_factor", 1.0f));
    EDGELLM_ASSIGN_OR_RETURN(
        c.rope_scaling.high_freq_factor,
        ReadOptionalFloat(file, a + ".rope.scaling.high_freq_factor", 4.0f));
    EDGELLM_ASSIGN_OR_RETURN(
        c.rope_scaling.original_context_length,
        ReadOptionalInt(file, a, "rope.scaling.original_context_length", 1,
                        1 << 24, 8192));
  }

  // Vocabulary: {arch}.vocab_size, else the token list, else token_embd.
  if (file.Find(a + ".vocab_size") != nullptr) {
    absl::StatusOr<int32_t> v = ReadInt(file, a, "vocab_size", 1, 1 << 24);
    if (!v.ok()) return v.status();
    c.vocab_size = *v;
  } else if (const gguf::Value* tokens = file.Find("tokenizer.ggml.tokens")) {
    c.vocab_size = static_cast<int32_t>(tokens->size());
  }
  const gguf::TensorInfo* embd = file.FindTensor("token_embd.weight");
  if (embd == nullptr) {
    return absl::InvalidArgumentError("tensor token_embd.weight is missing");
  }
  if (embd->dims.size() == 2 && c.vocab_size == 0) {
    c.vocab_size = static_cast<int32_t>(embd->dims[1]);
  }
  if (c.vocab_size <= 0) {
    return absl::InvalidArgumentError("cannot determine the vocabulary size");
  }
  c.tied_output = file.FindTensor("output.weight") == nullptr;
  return c;
}

}  // namespace edgellm::model
