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
                 "and some attn_v/ffn_down layers).",
      .flags =
          {
              {"shape", FlagKind::kString, "tiny", "model shape"},
              {"output", FlagKind::kString, "", "output GGUF file", 'o'},
              {"type", FlagKind::kString, "q8_0",
               "file type: q8_0, q4_0, q4_k_m, q5_k_m, q6_k, iq4_xs, f16, "
               "f32, ... (llama.cpp's per-tensor recipe)"},
              {"seed", FlagKind::kInt, "1", "random seed"},
              {"architecture", FlagKind::kString, "",
               "override the shape's architecture: llama or qwen2"},
              {"untied", FlagKind::kBool, "false",
               "write a separate output.weight even if the shape ties it"},
          },
      .run = RunMakeModel,
  };
}

}  // namespace edgellm::cli
