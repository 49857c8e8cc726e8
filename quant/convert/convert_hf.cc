// Hugging Face model folder (Llama / Mistral / Qwen2, safetensors) -> GGUF,
// following llama.cpp's convert_hf_to_gguf.py (LlamaModel, Qwen2Model).
#include <map>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "quant/convert/convert_sources.h"
#include "quant/convert/hf_config.h"
#include "quant/convert/hf_tokenizer.h"
#include "quant/convert/mapped_file.h"
#include "quant/convert/safetensors.h"
#include "util/status_macros.h"

namespace edgellm::quant::internal {
namespace {

// The row-major shape config.json implies for a GGUF tensor name, or empty
// if the name is not one we expect.
std::vector<int64_t> ExpectedShape(const HfConfig& c, const std::string& name) {
  const int64_t q = c.num_attention_heads * c.head_dim;
  const int64_t kv = c.num_key_value_heads * c.head_dim;
  const auto dot = name.find('.', 4);  // after "blk."
  const std::string leaf = name.starts_with("blk.") && dot != std::string::npos
                               ? name.substr(dot + 1)
                               : name;
  static const std::map<std::string, int> kIndex = {
      {"token_embd.weight", 0},  {"output.weight", 0},
      {"output_norm.weight", 1}, {"attn_norm.weight", 1},
      {"ffn_norm.weight", 1},    {"attn_q.weight", 2},
      {"attn_k.weight", 3},      {"attn_v.weight", 3},
      {"attn_output.weight", 4}, {"ffn_gate.weight", 5},
      {"ffn_up.weight", 5},      {"ffn_down.weight", 6},
      {"attn_q.bias", 7},        {"attn_k.bias", 8},
      {"attn_v.bias", 8},
  };
  auto it = kIndex.find(leaf);
  if (it == kIndex.end()) return {};
  switch (it->second) {
    case 0:
      return {c.vocab_size, c.hidden_size};
    case 1:
      return {c.hidden_size};
    case 2:
      return {q, c.hidden_size};
    case 3:
      return {kv, c.hidden_size};
    case 4:
      return {c.hidden_size, q};
    case 5:
      return {c.intermediate_size, c.hidden_size};
    case 6:
      return {c.hidden_size, c.intermediate_size};
    case 7:
      return {q};
    case 8:
      return {kv};
  }
  return {};
}

// llama.cpp's order: embeddings, blocks, final norm, head.
std::vector<std::string> CanonicalOrder(const HfConfig& c) {
  std::vector<std::string> names = {"rope_freqs.weight", "token_embd.weight"};
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    for (const char* t :
         {"attn_norm.weight", "attn_q.weight", "attn_q.bias", "attn_k.weight",
          "attn_k.bias", "attn_v.weight", "attn_v.bias", "attn_output.weight",
          "ffn_norm.weight", "ffn_gate.weight", "ffn_up.weight",
          "ffn_down.weight"}) {
      names.push_back(absl::StrCat("blk.", l, ".", t));
    }
  }
  names.push_back("output_norm.weight");
  names.push_back("output.weight");
  return names;
}

void SetTokenizerMetadata(const HfVocab& v, gguf::GgufWriter* w) {
  w->SetString("tokenizer.ggml.model", v.model);
  w->SetString("tokenizer.ggml.pre", v.pre);
  w->SetStringArray("tokenizer.ggml.tokens", v.tokens);
  if (v.model == "llama") w->SetFloat32Array("tokenizer.ggml.scores", v.scores);
  w->SetInt32Array("tokenizer.ggml.token_type", v.types);
  if (v.model == "gpt2") w->SetStringArray("tokenizer.ggml.merges", v.merges);
  for (auto [key, id] :
       {std::pair{"tokenizer.ggml.bos_token_id", &v.bos_id},
        std::pair{"tokenizer.ggml.eos_token_id", &v.eos_id},
        std::pair{"tokenizer.ggml.unknown_token_id", &v.unk_id},
        std::pair{"tokenizer.ggml.padding_token_id", &v.pad_id}}) {
    if (*id) w->SetUint32(key, static_cast<uint32_t>(**id));
  }
  for (auto [key, flag] :
       {std::pair{"tokenizer.ggml.add_bos_token", &v.add_bos},
        std::pair{"tokenizer.ggml.add_eos_token", &v.add_eos},
        std::pair{"tokenizer.ggml.add_space_prefix", &v.add_space_prefix}}) {
    if (*flag) w->SetBool(key, **flag);
  }
  if (!v.chat_template.empty()) {
    w->SetString("tokenizer.chat_template", v.chat_template);
  }
}

}  // namespace

absl::StatusOr<std::vector<SourceTensor>> PrepareHuggingFace(
    const ConvertOptions& options, gguf::GgufWriter* writer,
    RecipeModel* recipe_model) {
  if (!options.tokenizer.empty()) {
    return absl::InvalidArgumentError(
        "--tokenizer applies to llama2.c checkpoints only; a Hugging Face "
        "folder's tokenizer is read from tokenizer.json / tokenizer.model");
  }
  const std::string& dir = options.input;
  absl::StatusOr<std::string> config_text =
      ReadFileToString(dir + "/config.json");
  if (!config_text.ok()) {
    if (absl::IsNotFound(config_text.status())) {
      return absl::NotFoundError(
          absl::StrCat("no config.json in '", dir,
                       "': not a Hugging Face model folder (missing config)"));
    }
    return config_text.status();
  }
  EDGELLM_ASSIGN_OR_RETURN(const HfConfig config, ParseHfConfig(*config_text));
  auto config_ptr = std::make_shared<const HfConfig>(config);
  EDGELLM_ASSIGN_OR_RETURN(std::shared_ptr<SafetensorsModel> model,
                           SafetensorsModel::Open(dir));

  // Map every tensor first, so a bad name or shape fails before writing.
  std::map<std::string, SourceTensor> by_name;
  for (const auto& [hf_name, st] : model->tensors()) {
    EDGELLM_ASSIGN_OR_RETURN(const HfTensorMapping m,
                             MapHfTensor(config, hf_name));
    if (m.gguf_name.empty()) continue;
    if (st->dtype == SafetensorsDtype::kOther) {
      return absl::UnimplementedError(
          absl::StrCat("tensor '", hf_name, "' has dtype ", st->dtype_name,
                       ", which is not supported (supported: F32, F16, BF16)"));
    }
    const std::vector<int64_t> expected = ExpectedShape(config, m.gguf_name);
    if (st->shape != expected) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tensor '", hf_name, "' has shape [", absl::StrJoin(st->shape, ", "),
          "] but config.json implies [", absl::StrJoin(expected, ", "), "]"));
    }
    if (m.permute && expected[0] % (2 * m.permute_heads) != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("tensor '", hf_name, "': ", expected[0],
                       " rows cannot be split into ", m.permute_heads,
                       " heads of rotary pairs"));
    }
    SourceTensor s;
    s.name = m.gguf_name;
    s.dims.assign(st->shape.rbegin(), st->shape.rend());
    s.source_type = st->dtype_name;
    const SafetensorsTensor* tensor = st;
    s.read_f32 = [model, tensor, m](std::vector<float>* out) -> absl::Status {
      out->resize(tensor->num_elements());
      EDGELLM_RETURN_IF_ERROR(SafetensorsToF32(*tensor, out->data()));
      if (m.permute) {
        const int64_t rows = tensor->shape[0];
        const int64_t cols = tensor->shape.size() > 1 ? tensor->shape[1] : 1;
        std::vector<float> permuted(out->size());
        PermuteQkRows(out->data(), permuted.data(), rows, cols,
                      m.permute_heads);
        out->swap(permuted);
      }
      return absl::OkStatus();
    };
    by_name.emplace(s.name, std::move(s));
  }
  std::vector<std::string> missing;
  for (const std::string& name : RequiredGgufTensors(config)) {
    if (!by_name.contains(name)) missing.push_back(name);
  }
  if (!missing.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", dir, "' lacks ", missing.size(), " tensor(s) the config implies: ",
        absl::StrJoin(missing.begin(),
                      missing.begin() + std::min<size_t>(missing.size(), 5),
                      ", "),
        missing.size() > 5 ? ", ..." : "", " (a missing shard?)"));
  }
  // The vocabulary is padded to config.json's vocab_size; read it only now
  // that token_embd has been found to hold vocab_size rows, so the padding is
  // bounded by the weights' real size.
  EDGELLM_ASSIGN_OR_RETURN(const HfVocab vocab, LoadHfVocab(dir, config));
  if (options.log != nullptr) {
    for (const std::string& w : vocab.warnings) {
      *options.log << "warning: " << w << "\n";
    }
  }
  if (config.rope_scaling_type == "llama3") {
    SourceTensor s;
    s.name = "rope_freqs.weight";
    const std::vector<float> factors = Llama3RopeFactors(config);
    s.dims = {static_cast<int64_t>(factors.size())};
    s.source_type = "f32";
    s.read_f32 = [factors](std::vector<float>* out) {
      *out = factors;
      return absl::OkStatus();
    };
    by_name.emplace(s.name, std::move(s));
  }

  recipe_model->n_layer = static_cast<int32_t>(config.num_hidden_layers);
  recipe_model->n_gqa = config.num_key_value_heads > 0
                            ? static_cast<int32_t>(config.num_attention_heads /
                                                   config.num_key_value_heads)
                            : 1;
  const std::string& arch = config.gguf_architecture;
  writer->SetString("general.architecture", arch);
  writer->SetString("general.name", options.name.empty() ? DefaultModelName(dir)
                                                         : options.name);
  SetFileType(options.type, writer);
  writer->SetUint32(arch + ".vocab_size", config.vocab_size);
  if (config.max_position_embeddings) {
    writer->SetUint32(arch + ".context_length",
                      *config.max_position_embeddings);
  }
  writer->SetUint32(arch + ".embedding_length", config.hidden_size);
  writer->SetUint32(arch + ".block_count", config.num_hidden_layers);
  writer->SetUint32(arch + ".feed_forward_length", config.intermediate_size);
  writer->SetUint32(arch + ".attention.head_count", config.num_attention_heads);
  writer->SetUint32(arch + ".attention.head_count_kv",
                    config.num_key_value_heads);
  if (config.rope_theta) {
    writer->SetFloat32(arch + ".rope.freq_base", *config.rope_theta);
  }
  writer->SetFloat32(arch + ".attention.layer_norm_rms_epsilon",
                     config.rms_norm_eps);
  if (config.head_dim * config.num_attention_heads != config.hidden_size) {
    writer->SetUint32(arch + ".attention.key_length", config.head_dim);
    writer->SetUint32(arch + ".attention.value_length", config.head_dim);
  }
  writer->SetUint32(arch + ".rope.dimension_count", config.head_dim);
  if (config.rope_scaling_type == "linear") {
    writer->SetString(arch + ".rope.scaling.type", "linear");
    writer->SetFloat32(arch + ".rope.scaling.factor",
                       config.rope_scaling_factor);
  }
  SetTokenizerMetadata(vocab, writer);

  std::vector<SourceTensor> tensors;
  for (const std::string& name : CanonicalOrder(config)) {
    auto it = by_name.find(name);
    if (it != by_name.end()) tensors.push_back(std::move(it->second));
  }
  return tensors;
}

}  // namespace edgellm::quant::internal
