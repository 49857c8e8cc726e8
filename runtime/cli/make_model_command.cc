// `edgellm make-model`: write a random-weight model of a real shape.
#include <iostream>

#include "absl/strings/str_join.h"
#include "quant/recipe.h"
#include "runtime/cli/commands.h"
#include "runtime/model/random_model.h"

namespace edgellm::cli {
namespace {

int RunMakeModel(const ParsedArgs& args) {
  const std::string output = args.GetString("output");
  if (output.empty()) {
    std::cerr << "edgellm make-model: --output is required\n";
    return 2;
  }
  absl::StatusOr<model::RandomModelSpec> spec =
      model::NamedRandomModelSpec(args.GetString("shape"));
  if (!spec.ok()) {
    std::cerr << "edgellm make-model: " << spec.status().message() << "\n";
    return 2;
  }
  const std::string type = args.GetString("type");
  absl::StatusOr<quant::FileType> file_type = quant::ParseFileType(type);
  if (!file_type.ok()) {
    std::cerr << "edgellm make-model: --type: " << file_type.status().message()
              << "\n";
    return 2;
  }
  spec->file_type = *file_type;
  // Overrides for small test models of either architecture and either head
  // (e.g. `--shape tiny --architecture qwen2 --untied`).
  const std::string architecture = args.GetString("architecture");
  if (!architecture.empty()) spec->architecture = architecture;
  if (args.GetBool("untied")) spec->tied_output = false;
  // A real shape's widths with fewer layers or a smaller vocabulary: small
  // files that still have the published model's matrices.
  const int64_t layers = args.GetInt("layers"), vocab = args.GetInt("vocab");
  if (layers < 0 || layers > 4096 || vocab < 0 || vocab > (1 << 24)) {
    std::cerr << "edgellm make-model: --layers must be in [0, 4096] and "
                 "--vocab in [0, 16777216]\n";
    return 2;
  }
  if (layers > 0) spec->block_count = static_cast<int32_t>(layers);
  if (vocab > 0) spec->vocab_size = static_cast<int32_t>(vocab);
  spec->seed = static_cast<uint64_t>(args.GetInt("seed"));
  absl::Status written = model::WriteRandomModel(*spec, output, true);
  if (!written.ok()) {
    std::cerr << "edgellm make-model: " << written.message() << "\n";
    return 1;
  }
  if (spec->architecture == "bert" || spec->architecture == "nomic-bert") {
    std::cerr << "wrote " << output << ": shape " << spec->name << " ("
              << spec->architecture << " encoder, pooling_type "
              << spec->pooling_type
              << (spec->classifier_outputs > 0 ? ", reranker head" : "")
              << "), " << type
              << ", RANDOM weights (its vectors and scores are meaningless)\n";
    return 0;
  }
  std::cerr << "wrote " << output << ": shape " << spec->name << " ("
            << spec->architecture << (spec->tied_output ? ", tied" : ", untied")
            << "), " << type
            << ", RANDOM weights (generated text is meaningless)\n";
  return 0;
}

}  // namespace

Command MakeModelCommand() {
  return Command{
      .name = "make-model",
      .summary = "write a random-weight GGUF model of a real shape",
      .usage = "edgellm make-model --shape NAME --output OUT.gguf [flags]",
      .details = "Shapes: " + absl::StrJoin(model::RandomModelNames(), ", ") +
                 ".\nThe weights are RANDOM: every code path and the speed are "
                 "real, the text is\nnot. The file loads in other GGUF "
                 "runtimes too.\nTypes: " +
                 absl::StrJoin(quant::FileTypeNames(), ", ") +
                 "; each matrix gets the type llama-quantize gives it for "
                 "that file type\n(q4_k_m: Q4_K, Q6_K for the output head "
                 "and some attn_v/ffn_down layers).\nqwen3-0.6b, gemma3-1b, "
                 "phi4-mini, llama3.2-1b and smollm3-3b have their published "
                 "models'\nhyperparameters; tiny-qwen3, tiny-gemma3, ... the "
                 "same features a few MB large.",
      .flags =
          {
              {"shape", FlagKind::kString, "tiny", "model shape"},
              {"output", FlagKind::kString, "", "output GGUF file", 'o'},
              {"type", FlagKind::kString, "q8_0",
               "file type: q8_0, q4_0, q4_k_m, q5_k_m, q6_k, iq4_xs, f16, "
               "f32, ... (llama.cpp's per-tensor recipe)"},
              {"seed", FlagKind::kInt, "1", "random seed"},
              {"architecture", FlagKind::kString, "",
               "override the shape's architecture: llama, qwen2, qwen3, "
               "phi3, smollm3 (gemma3 needs a window: --shape tiny-gemma3)"},
              {"untied", FlagKind::kBool, "false",
               "write a separate output.weight even if the shape ties it"},
              {"layers", FlagKind::kInt, "0",
               "override the shape's layer count (0: the shape's)"},
              {"vocab", FlagKind::kInt, "0",
               "override the shape's vocabulary size (0: the shape's)"},
          },
      .run = RunMakeModel,
  };
}

}  // namespace edgellm::cli
