// `edgellm quantize`: converts a model to a GGUF file llama.cpp and edgellm
// load, with F32, F16 or Q8_0 weights.
//
// Inputs, told apart by content:
//  - a llama2.c checkpoint (.bin, legacy v0 or "ak42" v1/v2) plus its
//    tokenizer.bin (`tokenizer`);
//  - a GGUF file with F32 / F16 / BF16 / Q8_0 tensors: all metadata is
//    copied, tensors re-encoded;
//  - a Hugging Face model folder (config.json, model.safetensors or shards
//    with model.safetensors.index.json, tokenizer.json or tokenizer.model,
//    tokenizer_config.json) of the Llama / Mistral / Qwen2 families.
// Output: GGUF v3 with llama.cpp's metadata keys and tensor names.
//
// Not thread-safe; runs on the calling thread.
#ifndef EDGELLM_QUANT_CONVERT_CONVERT_H_
#define EDGELLM_QUANT_CONVERT_CONVERT_H_

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "quant/convert/tensor_output.h"
#include "runtime/gguf/writer.h"

namespace edgellm::quant {

struct ConvertOptions {
  std::string input;
  OutputType type = OutputType::kQ8_0;
  std::string tokenizer;  // llama2.c tokenizer.bin; only for llama2.c input
  std::string name;       // general.name; default: from the input's name
  std::ostream* log = nullptr;  // notes and per-tensor progress; may be null
};

enum class InputKind { kLlama2c, kGguf, kHuggingFace };
std::string InputKindName(InputKind kind);

// Which kind `path` is. INVALID_ARGUMENT / UNIMPLEMENTED naming what is
// wrong (a lone .safetensors file, a folder without config.json, ...).
absl::StatusOr<InputKind> DetectInputKind(const std::string& path);

// A writer holding the converted model's metadata and tensor producers;
// the producers keep the (memory-mapped) inputs alive until the writer is
// destroyed. Run Write() or WriteToString() once.
absl::StatusOr<std::unique_ptr<gguf::GgufWriter>> PrepareConversion(
    const ConvertOptions& options);

struct ConvertResult {
  InputKind kind;
  uint64_t output_bytes = 0;
};

// PrepareConversion + Write to `output` (written to a temporary beside it
// and renamed, so a failure leaves no partial file).
absl::StatusOr<ConvertResult> ConvertModel(const ConvertOptions& options,
                                           const std::string& output);

}  // namespace edgellm::quant

#endif  // EDGELLM_QUANT_CONVERT_CONVERT_H_
