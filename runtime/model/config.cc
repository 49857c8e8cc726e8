#include "runtime/model/config.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

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

// Which layers use the sliding window: {arch}.attention.sliding_window_pattern
// as a period (layer il is local when il % period < period - 1) or as one
// bool per layer (true = local), else the architecture's default period.
absl::StatusOr<std::vector<bool>> LocalLayers(const gguf::GgufFile& file,
                                              const std::string& a,
                                              int32_t layers,
                                              int default_period) {
  std::vector<bool> local(layers, false);
  const std::string key = a + ".attention.sliding_window_pattern";
  const gguf::Value* pattern = file.Find(key);
  if (pattern != nullptr && pattern->type() == gguf::ValueType::kArray) {
    if (pattern->size() != static_cast<uint64_t>(layers)) {
      return absl::InvalidArgumentError(
          absl::StrCat("metadata ", key, " has ", pattern->size(),
                       " entries for ", layers, " layers"));
    }
    for (int32_t il = 0; il < layers; ++il) {
      absl::StatusOr<gguf::Value> e = pattern->GetElement(il);
      if (!e.ok()) return e.status();
      absl::StatusOr<int64_t> flag = e->GetInt();  // bools read as 0/1
      if (!flag.ok()) return flag.status();
      local[il] = *flag != 0;
    }
    return local;
  }
  int32_t period = default_period;
  if (pattern != nullptr) {
    EDGELLM_ASSIGN_OR_RETURN(
        period, ReadInt(file, a, "attention.sliding_window_pattern", 0, 4096));
  }
  // Period 0 (as llama.cpp's set_swa_pattern) makes every layer local.
  for (int32_t il = 0; il < layers; ++il) {
    local[il] = period == 0 || il % period < period - 1;
  }
  return local;
}

// The per-layer plan: NoPE layers, sliding windows and their RoPE base.
absl::Status ReadLayers(const gguf::GgufFile& file, ModelConfig& c) {
  const ArchitectureDescription& arch = c.arch;
  const std::string& a = c.architecture_name;
  // Linear position interpolation (rope.scaling.type "linear", or a factor
  // without a type, as llama.cpp reads rope.scaling.factor).
  float freq_scale = 1.0f;
  absl::StatusOr<std::string_view> type =
      file.GetString(a + ".rope.scaling.type");
  if ((type.ok() && *type == "linear") ||
      (!type.ok() && file.Find(a + ".rope.scaling.factor") != nullptr)) {
    EDGELLM_ASSIGN_OR_RETURN(
        const float factor,
        ReadOptionalFloat(file, a + ".rope.scaling.factor", 1.0f));
    if (!(factor > 0)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "metadata ", a, ".rope.scaling.factor = ", factor, " must be > 0"));
    }
    freq_scale = 1.0f / factor;
  }
  std::vector<bool> local(c.block_count, false);
  float swa_base = arch.swa_default_rope_base;
  if (arch.swa_default_period > 0) {
    EDGELLM_ASSIGN_OR_RETURN(
        c.sliding_window,
        ReadOptionalInt(file, a, "attention.sliding_window", 0, 1 << 24, 0));
  }
  if (c.sliding_window > 0) {
    EDGELLM_ASSIGN_OR_RETURN(
        local, LocalLayers(file, a, c.block_count, arch.swa_default_period));
    EDGELLM_ASSIGN_OR_RETURN(
        swa_base, ReadOptionalFloat(file, a + ".rope.freq_base_swa", swa_base));
    if (!(swa_base > 0)) {
      return absl::InvalidArgumentError(
          absl::StrCat("metadata ", a, ".rope.freq_base_swa must be positive"));
    }
  }
  c.layers.resize(c.block_count);
  for (int32_t il = 0; il < c.block_count; ++il) {
    LayerConfig& l = c.layers[il];
    l.rope =
        arch.no_rope_layer_step == 0 || (il + 1) % arch.no_rope_layer_step != 0;
    // Local layers keep their own base and no scaling (llama.cpp's
    // rope_freq_{base,scale}_train_swa).
    l.window = local[il] ? c.sliding_window : 0;
    l.rope_freq_base = local[il] ? swa_base : c.rope_freq_base;
    l.rope_freq_scale = local[il] ? 1.0f : freq_scale;
  }
  return absl::OkStatus();
}

}  // namespace

bool IsSupportedArchitecture(std::string_view name) {
  return FindArchitecture(name) != nullptr;
}

absl::StatusOr<ModelConfig> ReadModelConfig(const gguf::GgufFile& file) {
  ModelConfig c;
  absl::StatusOr<std::string_view> arch_name =
      file.GetString("general.architecture");
  if (!arch_name.ok()) return arch_name.status();
  c.architecture_name = std::string(*arch_name);
  const ArchitectureDescription* arch = FindArchitecture(c.architecture_name);
  if (arch == nullptr) {
    return absl::UnimplementedError(
        absl::StrCat("unsupported model architecture '", c.architecture_name,
                     "' (supported: ", SupportedArchitectureNames(), ")"));
  }
  c.arch = *arch;
  c.rope_style = arch->rope_style;
  c.has_qkv_bias = arch->qkv_bias;
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
  EDGELLM_ASSIGN_OR_RETURN(
      const int32_t value_length,
      ReadOptionalInt(file, a, "attention.value_length", 2, 4096, c.head_dim));
  if (value_length != c.head_dim) {
    return absl::UnimplementedError(absl::StrCat(
        a, ".attention.value_length ", value_length,
        " differs from key_length ", c.head_dim, " (not supported)"));
  }
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
  if (c.rope_dimension_count % 2 != 0 ||
      (arch->full_rotary && c.rope_dimension_count != c.head_dim)) {
    return absl::InvalidArgumentError(absl::StrCat(
        a, ".rope.dimension_count ", c.rope_dimension_count, " must be even",
        arch->full_rotary ? absl::StrCat(" and equal head_dim ", c.head_dim)
                          : ""));
  }
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
  if (arch->long_rope) {
    EDGELLM_ASSIGN_OR_RETURN(
        c.rope_original_context,
        ReadOptionalInt(file, a, "rope.scaling.original_context_length", 1,
                        1 << 24, c.context_length));
    EDGELLM_ASSIGN_OR_RETURN(
        c.rope_attn_factor,
        ReadOptionalFloat(file, a + ".rope.scaling.attn_factor", 1.0f));
    if (!(c.rope_attn_factor > 0) || !std::isfinite(c.rope_attn_factor)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "metadata ", a, ".rope.scaling.attn_factor must be positive"));
    }
  }
  if (arch->scale_embeddings) {
    c.embedding_scale = std::sqrt(static_cast<float>(c.embedding_length));
  }
  if (arch->width_attention_scale_layers == c.block_count) {
    c.attention_scale =
        1.0f / std::sqrt(static_cast<float>(c.embedding_length / c.head_count));
  }
  EDGELLM_RETURN_IF_ERROR(ReadLayers(file, c));

  // Vocabulary: {arch}.vocab_size, else the token list, else token_embd.
  // Counts from the file are checked before they are narrowed to int32.
  constexpr int64_t kMaxVocab = 1 << 24;
  if (file.Find(a + ".vocab_size") != nullptr) {
    absl::StatusOr<int32_t> v = ReadInt(file, a, "vocab_size", 1, kMaxVocab);
    if (!v.ok()) return v.status();
    c.vocab_size = *v;
  } else if (const gguf::Value* tokens = file.Find("tokenizer.ggml.tokens")) {
    if (tokens->size() > static_cast<uint64_t>(kMaxVocab)) {
      return absl::InvalidArgumentError(
          absl::StrCat("metadata tokenizer.ggml.tokens has ", tokens->size(),
                       " entries; at most ", kMaxVocab));
    }
    c.vocab_size = static_cast<int32_t>(tokens->size());
  }
  const gguf::TensorInfo* embd = file.FindTensor("token_embd.weight");
  if (embd == nullptr) {
    return absl::InvalidArgumentError("tensor token_embd.weight is missing");
  }
  if (embd->dims.size() == 2 && c.vocab_size == 0) {
    if (embd->dims[1] > kMaxVocab) {
      return absl::InvalidArgumentError(
          absl::StrCat("tensor token_embd.weight has ", embd->dims[1],
                       " rows (the vocabulary); at most ", kMaxVocab));
    }
    c.vocab_size = static_cast<int32_t>(embd->dims[1]);
  }
  if (c.vocab_size <= 0) {
    return absl::InvalidArgumentError("cannot determine the vocabulary size");
  }
  c.tied_output = file.FindTensor("output.weight") == nullptr;
  return c;
}

std::vector<int32_t> KvRowsPerLayer(const ModelConfig& c, int32_t context) {
  std::vector<int32_t> rows(c.layers.size(), context);
  for (size_t l = 0; l < c.layers.size(); ++l) {
    if (c.layers[l].window > 0) rows[l] = std::min(c.layers[l].window, context);
  }
  return rows;
}

uint64_t KvBytesPerSlot(const ModelConfig& c, int32_t context,
                        KvCacheType type) {
  uint64_t rows = 0;
  for (int32_t r : KvRowsPerLayer(c, context)) rows += r;
  return rows * 2 * KvRowBytes(type, c.kv_dim());
}

std::string DescribeLayers(const ModelConfig& c) {
  // Consecutive classes of equal layers, counted: "22 local (...), 4 global".
  struct Kind {
    LayerConfig layer;
    int count = 0;
  };
  std::vector<Kind> kinds;
  for (const LayerConfig& l : c.layers) {
    auto it = std::find_if(kinds.begin(), kinds.end(), [&](const Kind& k) {
      return k.layer.rope == l.rope && k.layer.window == l.window &&
             k.layer.rope_freq_base == l.rope_freq_base &&
             k.layer.rope_freq_scale == l.rope_freq_scale;
    });
    if (it == kinds.end()) {
      kinds.push_back({l, 1});
    } else {
      ++it->count;
    }
  }
  std::string out = absl::StrCat(c.layers.size(), " layers");
  for (size_t i = 0; i < kinds.size(); ++i) {
    const LayerConfig& l = kinds[i].layer;
    absl::StrAppend(&out, i == 0 ? ": " : ", ", kinds[i].count, " ",
                    l.window > 0
                        ? absl::StrCat("local (window ", l.window, ", ")
                        : "global (");
    if (l.rope) {
      absl::StrAppend(&out, "rope base ", l.rope_freq_base);
      if (l.rope_freq_scale != 1.0f) {
        absl::StrAppend(&out, ", scale ", l.rope_freq_scale);
      }
    } else {
      absl::StrAppend(&out, "no rope");
    }
    absl::StrAppend(&out, ")");
  }
  return out;
}

}  // namespace edgellm::model
