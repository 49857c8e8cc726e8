// llama2.c checkpoint + tokenizer.bin -> GGUF (architecture "llama").
#include <memory>

#include "absl/strings/str_cat.h"
#include "quant/convert/convert_sources.h"
#include "quant/convert/llama2c.h"
#include "quant/convert/mapped_file.h"
#include "util/status_macros.h"

namespace edgellm::quant::internal {

absl::StatusOr<std::vector<SourceTensor>> PrepareLlama2c(
    const ConvertOptions& options, gguf::GgufWriter* writer,
    RecipeModel* model) {
  if (options.tokenizer.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", options.input,
        "' is a llama2.c checkpoint, which carries no vocabulary: pass its "
        "tokenizer with --tokenizer tokenizer.bin"));
  }
  EDGELLM_ASSIGN_OR_RETURN(std::shared_ptr<MappedFile> file,
                           MappedFile::Open(options.input));
  absl::StatusOr<Llama2cCheckpoint> parsed =
      ParseLlama2cCheckpoint(file->data(), file->size());
  if (!parsed.ok()) {
    return absl::Status(
        parsed.status().code(),
        absl::StrCat(options.input, ": ", parsed.status().message()));
  }
  auto checkpoint = std::make_shared<const Llama2cCheckpoint>(*parsed);
  const Llama2cConfig& c = checkpoint->config;
  model->n_layer = c.n_layers;
  model->n_gqa = c.n_kv_heads > 0 ? c.n_heads / c.n_kv_heads : 1;
  EDGELLM_ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> tok_file,
                           MappedFile::Open(options.tokenizer));
  absl::StatusOr<SpmVocab> vocab =
      ParseLlama2cTokenizer(tok_file->data(), tok_file->size(), c.vocab_size);
  if (!vocab.ok()) {
    return absl::Status(
        vocab.status().code(),
        absl::StrCat(options.tokenizer, ": ", vocab.status().message()));
  }

  // Keys and their order as llama.cpp's convert-llama2c-to-ggml writes
  // them. run.c's fixed hyperparameters: RMSNorm eps 1e-5, RoPE base
  // 10000 over the whole head.
  const std::string arch = "llama";
  writer->SetString("general.architecture", arch);
  writer->SetString("general.name", options.name.empty()
                                        ? DefaultModelName(options.input)
                                        : options.name);
  SetFileType(options.type, writer);
  writer->SetUint32(arch + ".vocab_size", c.vocab_size);
  writer->SetUint32(arch + ".context_length", c.seq_len);
  writer->SetUint32(arch + ".embedding_length", c.dim);
  writer->SetUint32(arch + ".block_count", c.n_layers);
  writer->SetUint32(arch + ".feed_forward_length", c.hidden_dim);
  writer->SetUint32(arch + ".attention.head_count", c.n_heads);
  writer->SetUint32(arch + ".attention.head_count_kv", c.n_kv_heads);
  writer->SetUint32(arch + ".attention.key_length", c.head_size());
  writer->SetUint32(arch + ".attention.value_length", c.head_size());
  writer->SetUint32(arch + ".rope.dimension_count", c.head_size());
  writer->SetFloat32(arch + ".rope.freq_base", 10000.0f);
  writer->SetFloat32(arch + ".attention.layer_norm_rms_epsilon", 1e-5f);
  writer->SetString("tokenizer.ggml.model", "llama");
  writer->SetStringArray("tokenizer.ggml.tokens", vocab->tokens);
  writer->SetFloat32Array("tokenizer.ggml.scores", vocab->scores);
  writer->SetInt32Array("tokenizer.ggml.token_type", vocab->types);
  writer->SetUint32("tokenizer.ggml.bos_token_id", vocab->bos_id);
  writer->SetUint32("tokenizer.ggml.eos_token_id", vocab->eos_id);
  writer->SetUint32("tokenizer.ggml.unknown_token_id", vocab->unk_id);
  // run.c prepends BOS and never appends EOS; SentencePiece's default
  // dummy prefix is on (llama2.c's encode adds it).
  writer->SetBool("tokenizer.ggml.add_bos_token", true);
  writer->SetBool("tokenizer.ggml.add_eos_token", false);
  writer->SetBool("tokenizer.ggml.add_space_prefix", true);

  std::vector<SourceTensor> tensors;
  for (size_t i = 0; i < checkpoint->tensors.size(); ++i) {
    const Llama2cTensor& t = checkpoint->tensors[i];
    SourceTensor s;
    s.name = t.name;
    s.dims = t.dims;
    s.source_type = t.int8 ? "int8" : "f32";
    s.read_f32 = [file, checkpoint, i](std::vector<float>* out) {
      const Llama2cTensor& t = checkpoint->tensors[i];
      out->resize(t.num_elements());
      return ReadLlama2cTensor(file->data(), file->size(), checkpoint->config,
                               t, out->data());
    };
    tensors.push_back(std::move(s));
  }
  return tensors;
}

}  // namespace edgellm::quant::internal
