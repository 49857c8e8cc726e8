#include "quant/convert/hf_config.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <tuple>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"

namespace edgellm::quant {
namespace {

using nlohmann::json;

absl::Status FieldError(const std::string& field, const std::string& what) {
  return absl::InvalidArgumentError(
      absl::StrCat("config.json: \"", field, "\" ", what));
}

// An integer field; NOT present -> nullopt; wrong type -> error.
absl::StatusOr<std::optional<int64_t>> OptionalInt(const json& j,
                                                   const char* field) {
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) return std::optional<int64_t>();
  if (it->is_array() && !it->empty()) it = it->begin();  // eos lists
  if (!it->is_number_integer()) return FieldError(field, "is not an integer");
  // An unsigned number past int64's range would wrap to a negative one.
  if (it->is_number_unsigned() &&
      it->get<uint64_t>() >
          static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return FieldError(field, absl::StrCat("= ", it->get<uint64_t>(),
                                          " does not fit a 64-bit integer"));
  }
  return std::optional<int64_t>(it->get<int64_t>());
}

// Bounds on the hyperparameters, so that every size computed from them
// (heads * head_dim, vocab_size * hidden_size, layers * tensors per layer)
// stays far from overflow and a hostile config.json cannot make the
// converter allocate per claimed layer or token. They match what
// runtime/model/config.cc accepts from a GGUF file; the largest Llama has
// hidden_size 16384, 126 layers and 128 heads.
constexpr int64_t kMaxDim = int64_t{1} << 20;
constexpr int64_t kMaxLayers = 4096;
constexpr int64_t kMaxHeads = 4096;
constexpr int64_t kMaxHeadDim = 4096;
constexpr int64_t kMaxVocab = int64_t{1} << 24;
// GGUF stores the context length as a uint32.
constexpr int64_t kMaxContext = std::numeric_limits<uint32_t>::max();

absl::Status CheckRange(const char* field, int64_t value, int64_t min,
                        int64_t max) {
  if (value < min || value > max) {
    return FieldError(field, absl::StrCat("= ", value, " is out of range (",
                                          min, "..", max, ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> RequiredPositiveInt(const json& j, const char* field,
                                            int64_t max) {
  absl::StatusOr<std::optional<int64_t>> v = OptionalInt(j, field);
  if (!v.ok()) return v.status();
  if (!v->has_value()) return FieldError(field, "is missing");
  if (absl::Status s = CheckRange(field, **v, 1, max); !s.ok()) return s;
  return **v;
}

absl::StatusOr<std::optional<double>> OptionalNumber(const json& j,
                                                     const char* field) {
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) return std::optional<double>();
  if (!it->is_number()) return FieldError(field, "is not a number");
  return std::optional<double>(it->get<double>());
}

}  // namespace

absl::StatusOr<HfConfig> ParseHfConfig(std::string_view config_json) {
  const json j = json::parse(config_json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError("config.json is not a JSON object");
  }
  HfConfig c;
  auto archs = j.find("architectures");
  if (archs == j.end() || !archs->is_array() || archs->empty() ||
      !(*archs)[0].is_string()) {
    return FieldError("architectures",
                      "is missing (cannot tell which model this is)");
  }
  c.hf_architecture = (*archs)[0].get<std::string>();
  if (c.hf_architecture == "LlamaForCausalLM" ||
      c.hf_architecture == "LLaMAForCausalLM" ||
      c.hf_architecture == "MistralForCausalLM") {
    c.gguf_architecture = "llama";
  } else if (c.hf_architecture == "Qwen2ForCausalLM") {
    c.gguf_architecture = "qwen2";
  } else {
    return absl::UnimplementedError(
        absl::StrCat("unsupported model architecture '", c.hf_architecture,
                     "' (supported: LlamaForCausalLM, MistralForCausalLM, "
                     "Qwen2ForCausalLM)"));
  }
  if (auto it = j.find("model_type"); it != j.end() && it->is_string()) {
    c.model_type = it->get<std::string>();
  }
  for (auto [field, out, max] :
       {std::tuple{"hidden_size", &c.hidden_size, kMaxDim},
        std::tuple{"intermediate_size", &c.intermediate_size, kMaxDim},
        std::tuple{"num_hidden_layers", &c.num_hidden_layers, kMaxLayers},
        std::tuple{"num_attention_heads", &c.num_attention_heads, kMaxHeads},
        std::tuple{"vocab_size", &c.vocab_size, kMaxVocab}}) {
    absl::StatusOr<int64_t> v = RequiredPositiveInt(j, field, max);
    if (!v.ok()) return v.status();
    *out = *v;
  }
  absl::StatusOr<std::optional<int64_t>> kv =
      OptionalInt(j, "num_key_value_heads");
  if (!kv.ok()) return kv.status();
  c.num_key_value_heads = kv->value_or(c.num_attention_heads);
  absl::StatusOr<std::optional<int64_t>> head_dim = OptionalInt(j, "head_dim");
  if (!head_dim.ok()) return head_dim.status();
  c.head_dim = head_dim->value_or(c.hidden_size / c.num_attention_heads);
  if (head_dim->has_value()) {
    if (absl::Status s = CheckRange("head_dim", c.head_dim, 2, kMaxHeadDim);
        !s.ok()) {
      return s;
    }
  }
  if (c.num_key_value_heads <= 0 || c.num_key_value_heads > kMaxHeads ||
      c.num_attention_heads % c.num_key_value_heads != 0) {
    return FieldError("num_key_value_heads",
                      absl::StrCat("= ", c.num_key_value_heads,
                                   " does not divide num_attention_heads = ",
                                   c.num_attention_heads));
  }
  if (c.head_dim <= 0 || c.head_dim % 2 != 0 ||
      (!head_dim->has_value() && c.hidden_size % c.num_attention_heads != 0)) {
    return FieldError(
        "hidden_size",
        absl::StrCat("= ", c.hidden_size, " with ", c.num_attention_heads,
                     " heads does not give an even head size"));
  }
  absl::StatusOr<std::optional<int64_t>> ctx =
      OptionalInt(j, "max_position_embeddings");
  if (!ctx.ok()) return ctx.status();
  if (ctx->has_value()) {
    if (absl::Status s =
            CheckRange("max_position_embeddings", **ctx, 1, kMaxContext);
        !s.ok()) {
      return s;
    }
  }
  c.max_position_embeddings = *ctx;
  absl::StatusOr<std::optional<double>> eps = OptionalNumber(j, "rms_norm_eps");
  if (!eps.ok()) return eps.status();
  if (eps->has_value()) c.rms_norm_eps = **eps;
  absl::StatusOr<std::optional<double>> theta = OptionalNumber(j, "rope_theta");
  if (!theta.ok()) return theta.status();
  c.rope_theta = *theta;
  if (auto it = j.find("tie_word_embeddings"); it != j.end()) {
    if (!it->is_boolean()) {
      return FieldError("tie_word_embeddings", "is not a boolean");
    }
    c.tie_word_embeddings = it->get<bool>();
  }
  for (auto [field, out] : {std::pair{"bos_token_id", &c.bos_token_id},
                            std::pair{"eos_token_id", &c.eos_token_id},
                            std::pair{"pad_token_id", &c.pad_token_id}}) {
    absl::StatusOr<std::optional<int64_t>> v = OptionalInt(j, field);
    if (!v.ok()) return v.status();
    *out = *v;
  }
  if (auto it = j.find("rope_scaling"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) return FieldError("rope_scaling", "is not an object");
    std::string type;
    for (const char* key : {"rope_type", "type"}) {
      if (auto t = it->find(key); t != it->end() && t->is_string()) {
        type = t->get<std::string>();
        break;
      }
    }
    auto number = [&](const char* key, double fallback) {
      auto v = it->find(key);
      return v != it->end() && v->is_number() ? v->get<double>() : fallback;
    };
    if (type == "linear" || type == "llama3") {
      c.rope_scaling_type = type;
      c.rope_scaling_factor = number("factor", type == "llama3" ? 8.0 : 1.0);
      c.rope_low_freq_factor = number("low_freq_factor", 1.0);
      c.rope_high_freq_factor = number("high_freq_factor", 4.0);
      // Checked as a double: casting an out-of-range double to an integer
      // is undefined behaviour.
      const double original = number("original_max_position_embeddings", 8192);
      if (!(original >= 1 && original <= static_cast<double>(kMaxContext))) {
        return FieldError(
            "rope_scaling",
            absl::StrCat("has original_max_position_embeddings ", original,
                         ", out of range (1..", kMaxContext, ")"));
      }
      c.rope_original_context = static_cast<int64_t>(original);
      for (auto [key, value] :
           {std::pair{"factor", c.rope_scaling_factor},
            std::pair{"low_freq_factor", c.rope_low_freq_factor},
            std::pair{"high_freq_factor", c.rope_high_freq_factor}}) {
        if (!std::isfinite(value) || value <= 0) {
          return FieldError("rope_scaling",
                            absl::StrCat("has ", key, " ", value,
                                         "; must be a positive number"));
        }
      }
      if (type == "llama3" &&
          c.rope_low_freq_factor == c.rope_high_freq_factor) {
        return FieldError("rope_scaling",
                          "has low_freq_factor == high_freq_factor");
      }
    } else if (type != "default" && !type.empty()) {
      return absl::UnimplementedError(
          absl::StrCat("config.json: rope_scaling type '", type,
                       "' is not supported (supported: linear, llama3)"));
    }
  }
  return c;
}

absl::StatusOr<HfTensorMapping> MapHfTensor(const HfConfig& config,
                                            std::string_view hf_name_view) {
  // absl::string_view is not std::string_view in Debian's abseil.
  const std::string hf_name(hf_name_view);
  HfTensorMapping m;
  auto unknown = [&]() {
    return absl::InvalidArgumentError(
        absl::StrCat("tensor '", hf_name, "' has no GGUF name for ",
                     config.hf_architecture, " (unsupported tensor)"));
  };
  if (hf_name == "model.embed_tokens.weight") {
    m.gguf_name = "token_embd.weight";
    return m;
  }
  if (hf_name == "model.norm.weight") {
    m.gguf_name = "output_norm.weight";
    return m;
  }
  if (hf_name == "lm_head.weight") {
    // Tied: the output head is token_embd; llama.cpp falls back to it.
    if (!config.tie_word_embeddings) m.gguf_name = "output.weight";
    return m;
  }
  if (!hf_name.starts_with("model.layers.")) return unknown();
  const std::vector<std::string> parts =
      absl::StrSplit(absl::string_view(hf_name).substr(strlen("model.layers.")),
                     absl::MaxSplits('.', 1));
  int64_t layer;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &layer) || layer < 0) {
    return unknown();
  }
  if (layer >= config.num_hidden_layers) {
    return absl::InvalidArgumentError(
        absl::StrCat("tensor '", hf_name, "' is in layer ", layer,
                     " but num_hidden_layers is ", config.num_hidden_layers));
  }
  const std::string_view rest = parts[1];
  if (rest == "self_attn.rotary_emb.inv_freq") return m;  // recomputed
  struct Entry {
    const char* hf;
    const char* gguf;
    bool bias_allowed;
  };
  static constexpr Entry kLayer[] = {
      {"input_layernorm", "attn_norm", false},
      {"self_attn.q_proj", "attn_q", true},
      {"self_attn.k_proj", "attn_k", true},
      {"self_attn.v_proj", "attn_v", true},
      {"self_attn.o_proj", "attn_output", false},
      {"post_attention_layernorm", "ffn_norm", false},
      {"mlp.gate_proj", "ffn_gate", false},
      {"mlp.up_proj", "ffn_up", false},
      {"mlp.down_proj", "ffn_down", false},
  };
  for (const Entry& e : kLayer) {
    const std::string_view hf = e.hf;
    if (!rest.starts_with(hf) || rest.size() <= hf.size() ||
        rest[hf.size()] != '.') {
      continue;
    }
    const std::string suffix(rest.substr(hf.size() + 1));
    if (suffix != "weight" && !(suffix == "bias" && e.bias_allowed)) break;
    m.gguf_name = absl::StrCat("blk.", layer, ".", e.gguf, ".", suffix);
    if (config.permute_qk()) {
      if (hf == "self_attn.q_proj") {
        m.permute = true;
        m.permute_heads = config.num_attention_heads;
      } else if (hf == "self_attn.k_proj") {
        m.permute = true;
        m.permute_heads = config.num_key_value_heads;
      }
    }
    return m;
  }
  return unknown();
}

std::vector<std::string> RequiredGgufTensors(const HfConfig& config) {
  std::vector<std::string> names = {"token_embd.weight", "output_norm.weight"};
  for (int64_t l = 0; l < config.num_hidden_layers; ++l) {
    for (const char* t :
         {"attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm",
          "ffn_gate", "ffn_up", "ffn_down"}) {
      names.push_back(absl::StrCat("blk.", l, ".", t, ".weight"));
    }
    if (config.gguf_architecture == "qwen2") {
      for (const char* t : {"attn_q", "attn_k", "attn_v"}) {
        names.push_back(absl::StrCat("blk.", l, ".", t, ".bias"));
      }
    }
  }
  return names;
}

void PermuteQkRows(const float* in, float* out, int64_t rows, int64_t cols,
                   int64_t n_head) {
  const int64_t head_dim = rows / n_head;
  const int64_t half = head_dim / 2;
  for (int64_t h = 0; h < n_head; ++h) {
    for (int64_t s = 0; s < 2; ++s) {
      for (int64_t j = 0; j < half; ++j) {
        const int64_t from = h * head_dim + s * half + j;
        const int64_t to = h * head_dim + 2 * j + s;
        std::memcpy(out + to * cols, in + from * cols, cols * sizeof(float));
      }
    }
  }
}

std::vector<float> Llama3RopeFactors(const HfConfig& c) {
  const double base = c.rope_theta.value_or(10000.0);
  const int64_t dim = c.head_dim;
  const double old_context = static_cast<double>(c.rope_original_context);
  const double low_wavelen = old_context / c.rope_low_freq_factor;
  const double high_wavelen = old_context / c.rope_high_freq_factor;
  std::vector<float> factors;
  for (int64_t i = 0; i < dim; i += 2) {
    // torch computes the frequencies in float32; so do we.
    const float freq =
        1.0f / std::pow(static_cast<float>(base), static_cast<float>(i) / dim);
    const double wavelen = 2 * M_PI / freq;
    if (wavelen < high_wavelen) {
      factors.push_back(1.0f);
    } else if (wavelen > low_wavelen) {
      factors.push_back(static_cast<float>(c.rope_scaling_factor));
    } else {
      const double smooth = (old_context / wavelen - c.rope_low_freq_factor) /
                            (c.rope_high_freq_factor - c.rope_low_freq_factor);
      factors.push_back(static_cast<float>(
          1.0 / ((1 - smooth) / c.rope_scaling_factor + smooth)));
    }
  }
  return factors;
}

}  // namespace edgellm::quant
