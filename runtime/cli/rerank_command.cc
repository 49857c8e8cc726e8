// `edgellm rerank`: one relevance score per document for a query, from a
// cross-encoder (a bert reranker: classifier head, pooling rank).
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "runtime/cli/commands.h"
#include "runtime/engine/encoder_engine.h"

namespace edgellm::cli {
namespace {

constexpr char kName[] = "edgellm rerank: ";

int Run(const ParsedArgs& args) {
  if (args.GetString("model").empty()) {
    std::cerr << kName << "--model is required\n";
    return 2;
  }
  if (!args.IsSet("query")) {
    std::cerr << kName << "--query is required\n";
    return 2;
  }
  const std::vector<std::string>& documents = args.GetStrings("document");
  if (documents.empty()) {
    std::cerr << kName << "give at least one --document\n";
    return 2;
  }
  absl::StatusOr<std::unique_ptr<engine::EncoderEngine>> e =
      engine::EncoderEngine::Load(
          {.model_path = args.GetString("model"),
           .threads = static_cast<int32_t>(args.GetInt("threads")),
           .max_tokens = static_cast<int32_t>(args.GetInt("max-tokens"))});
  if (!e.ok()) {
    std::cerr << kName << e.status().message() << "\n";
    return 1;
  }
  absl::StatusOr<std::vector<float>> scores =
      (*e)->Rerank(args.GetString("query"), documents);
  if (!scores.ok()) {
    std::cerr << kName << scores.status().message() << "\n";
    return scores.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  if (args.GetBool("json")) {
    std::cout << nlohmann::json({{"scores", *scores}}).dump() << "\n";
    return 0;
  }
  for (size_t i = 0; i < scores->size(); ++i) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.9g", (*scores)[i]);
    std::cout << buf << "\t" << documents[i] << "\n";
  }
  return 0;
}

}  // namespace

Command RerankCommand() {
  return Command{
      .name = "rerank",
      .summary = "score documents against a query with a cross-encoder",
      .usage =
          "edgellm rerank --model MODEL --query Q --document D "
          "[--document D ...] [--json]",
      .details =
          "MODEL is a reranker: an encoder with a classification head "
          "(bge-reranker style: cls, cls.output). Each document is scored "
          "over [CLS] query [SEP] document [SEP] (the layout llama.cpp's "
          "server builds from the vocabulary's add_bos/add_eos/add_sep, or "
          "the file's tokenizer.chat_template.rerank), all documents in "
          "packed batches. A score is the head's raw first output (a logit; "
          "higher is more relevant), in input order.\n"
          "Output: one line per document, the score, a tab, the document; "
          "with --json one object {\"scores\": [...]}.",
      .flags =
          {
              {"model", FlagKind::kString, "", "GGUF reranker model", 'm'},
              {"query", FlagKind::kString, "", "the query", 'q'},
              {"document", FlagKind::kString, "", "a document to score", 'd',
               true},
              {"json", FlagKind::kBool, "false", "print {\"scores\": [...]}"},
              {"threads", FlagKind::kInt, "0", "threads (0 = one per core)"},
              {"max-tokens", FlagKind::kInt, "1024",
               "tokens per forward pass (over all its pairs)"},
          },
      .run = Run,
  };
}

}  // namespace edgellm::cli
