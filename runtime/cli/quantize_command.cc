// `edgellm quantize`: convert a llama2.c checkpoint, a GGUF file or a
// Hugging Face folder to a GGUF of any llama.cpp file type we write (f32,
// f16, bf16, q8_0, q4_0 ... q6_k, q4_k_m, iq4_xs, ...).
#include <chrono>
#include <iostream>
#include <string>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "quant/convert/convert.h"
#include "quant/recipe.h"
#include "runtime/cli/commands.h"

namespace edgellm::cli {
namespace {

int RunQuantize(const ParsedArgs& args) {
  const std::string input = args.GetString("input");
  const std::string output = args.GetString("output");
  if (input.empty() || output.empty()) {
    std::cerr << "edgellm quantize: --input and --output are required\n";
    return 2;
  }
  absl::StatusOr<quant::OutputType> type =
      quant::ParseOutputType(args.GetString("type"));
  if (!type.ok()) {
    std::cerr << "edgellm quantize: " << type.status().message() << "\n";
    return 2;
  }
  quant::ConvertOptions options;
  options.input = input;
  options.type = *type;
  options.tokenizer = args.GetString("tokenizer");
  options.name = args.GetString("name");
  options.log = args.GetBool("quiet") ? nullptr : &std::cout;
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<quant::ConvertResult> result =
      quant::ConvertModel(options, output);
  if (!result.ok()) {
    std::cerr << "edgellm quantize: " << result.status().message() << "\n";
    return 1;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  std::cout << absl::StrFormat("wrote %s (%.2f MB, %s) in %.1f s\n", output,
                               result->output_bytes / 1e6,
                               quant::OutputTypeName(*type), seconds);
  return 0;
}

}  // namespace

Command QuantizeCommand() {
  return Command{
      .name = "quantize",
      .summary = "convert a model to GGUF: q4_k_m, q4_0, q8_0, f16, ...",
      .usage =
          "edgellm quantize --input IN --output OUT.gguf "
          "[--type q4_k_m|q4_0|q8_0|...] [--tokenizer tokenizer.bin]",
      .details =
          "IN is a llama2.c checkpoint (.bin; needs --tokenizer), a GGUF "
          "file with f32/f16/bf16 or block-quantized tensors (metadata is "
          "copied), or a Hugging Face folder (config.json, *.safetensors, "
          "tokenizer.json or tokenizer.model) of the Llama, Mistral or Qwen2 "
          "families.\n"
          "Types: " +
          absl::StrJoin(quant::FileTypeNames(), ", ") +
          ". Each tensor gets the type llama.cpp's llama-quantize gives it "
          "for that file type (q4_k_m: Q4_K, Q6_K for the output head or "
          "tied embedding and for attn_v/ffn_down in the first and last "
          "eighth of the layers and every third between), and the blocks "
          "equal ggml's own quantization of the same floats (no importance "
          "matrix). From an F32 GGUF the file is byte-identical to "
          "llama-quantize's. Norms and other 1-D tensors stay f32; a matrix "
          "whose rows do not split into its type's blocks falls back as "
          "llama.cpp's does (q4_K -> q5_0, q6_K -> q8_0, ...; f32 when no "
          "block type fits), each listed.",
      .flags =
          {
              {"input", FlagKind::kString, "", "model to convert", 'i'},
              {"output", FlagKind::kString, "", "GGUF file to write", 'o'},
              {"type", FlagKind::kString, "q8_0",
               "file type: q4_k_m, q4_0, q5_k_m, q6_k, q8_0, f16, f32, ...",
               't'},
              {"tokenizer", FlagKind::kString, "",
               "llama2.c tokenizer.bin (llama2.c input only)"},
              {"name", FlagKind::kString, "",
               "general.name (default: from the input's name)"},
              {"quiet", FlagKind::kBool, "false", "no per-tensor progress"},
          },
      .run = RunQuantize,
  };
}

}  // namespace edgellm::cli
