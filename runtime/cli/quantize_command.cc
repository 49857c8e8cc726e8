// `edgellm quantize`: convert a llama2.c checkpoint, a GGUF file or a
// Hugging Face folder to a GGUF with F32 / F16 / Q8_0 weights.
#include <chrono>
#include <iostream>
#include <string>

#include "absl/strings/str_format.h"
#include "quant/convert/convert.h"
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
      .summary = "convert a model to GGUF with q8_0, f16 or f32 weights",
      .usage =
          "edgellm quantize --input IN --output OUT.gguf "
          "[--type q8_0|f16|f32] [--tokenizer tokenizer.bin]",
      .details =
          "IN is a llama2.c checkpoint (.bin; needs --tokenizer), a GGUF "
          "file with f32/f16/bf16/q8_0 tensors (metadata is copied), or a "
          "Hugging Face folder (config.json, *.safetensors, tokenizer.json "
          "or tokenizer.model) of the Llama, Mistral or Qwen2 families.\n"
          "Norms and other 1-D tensors stay f32; for q8_0, matrices whose "
          "rows are not a multiple of 32 stay f32 (each is listed).",
      .flags =
          {
              {"input", FlagKind::kString, "", "model to convert", 'i'},
              {"output", FlagKind::kString, "", "GGUF file to write", 'o'},
              {"type", FlagKind::kString, "q8_0",
               "weight type: q8_0, f16 or f32", 't'},
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
