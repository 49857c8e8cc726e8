// `edgellm embed`: one vector per text (or token-id list), from an encoder
// model (bert, nomic-bert: model::Encoder, texts batched into packed forward
// passes) or from a decoder (its pooled final hidden states).
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"
#include "runtime/cli/commands.h"
#include "runtime/engine/encoder_engine.h"
#include "runtime/engine/loaded_model.h"
#include "runtime/gguf/gguf.h"
#include "runtime/model/encoder_config.h"

namespace edgellm::cli {
namespace {

constexpr char kName[] = "edgellm embed: ";

// "101,2023,102" -> ids; an error names the flag and the bad entry.
absl::StatusOr<std::vector<int32_t>> ParseIds(const std::string& list) {
  std::vector<int32_t> ids;
  for (absl::string_view part : absl::StrSplit(list, ',')) {
    int32_t id;
    if (!absl::SimpleAtoi(part, &id)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--token-ids: '", std::string(part),
                       "' is not a token id (expected e.g. 101,2023,102)"));
    }
    ids.push_back(id);
  }
  return ids;
}

// The texts and id lists to embed: --text, --token-ids, else stdin lines.
struct Inputs {
  std::vector<std::string> texts;
  std::vector<std::vector<int32_t>> ids;  // given ids (after the texts')
};

absl::StatusOr<Inputs> ReadInputs(const ParsedArgs& args) {
  Inputs in;
  in.texts = args.GetStrings("text");
  for (const std::string& list : args.GetStrings("token-ids")) {
    absl::StatusOr<std::vector<int32_t>> ids = ParseIds(list);
    if (!ids.ok()) return ids.status();
    in.ids.push_back(*std::move(ids));
  }
  if (in.texts.empty() && in.ids.empty()) {
    for (std::string line; std::getline(std::cin, line);) {
      in.texts.push_back(line);
    }
  }
  if (in.texts.empty() && in.ids.empty()) {
    return absl::InvalidArgumentError(
        "nothing to embed: give --text, --token-ids or lines on stdin");
  }
  return in;
}

struct Output {
  std::vector<std::vector<int32_t>> token_ids;
  std::vector<std::vector<float>> embeddings;
  std::string pooling;
};

absl::StatusOr<Output> EmbedWithEncoder(const ParsedArgs& args, Inputs in) {
  std::optional<model::EncoderPooling> pooling;
  if (const std::string& p = args.GetString("pooling"); !p.empty()) {
    absl::StatusOr<model::EncoderPooling> parsed =
        model::ParseEncoderPooling(p);
    if (!parsed.ok() || *parsed == model::EncoderPooling::kNone) {
      return absl::InvalidArgumentError(
          absl::StrCat("--pooling '", p, "': use mean, cls, last or rank"));
    }
    pooling = *parsed;
  }
  absl::StatusOr<std::unique_ptr<engine::EncoderEngine>> e =
      engine::EncoderEngine::Load(
          {.model_path = args.GetString("model"),
           .threads = static_cast<int32_t>(args.GetInt("threads")),
           .max_tokens = static_cast<int32_t>(args.GetInt("max-tokens"))});
  if (!e.ok()) return e.status();
  Output out;
  const model::EncoderPooling used = pooling.value_or((*e)->default_pooling());
  const engine::EncoderEmbedOptions options = {
      .pooling = used, .normalize = args.GetBool("normalize")};
  // Texts and id lists as two batches, so an error names "texts[i]" or
  // "ids[i]".
  if (!in.texts.empty()) {
    absl::StatusOr<engine::EncoderEmbedResult> r =
        (*e)->Embed(in.texts, options);
    if (!r.ok()) return r.status();
    out.token_ids = std::move(r->token_ids);
    out.embeddings = std::move(r->embeddings);
  }
  if (!in.ids.empty()) {
    absl::StatusOr<std::vector<std::vector<float>>> vectors =
        (*e)->EmbedIds(in.ids, options);
    if (!vectors.ok()) return vectors.status();
    for (size_t i = 0; i < in.ids.size(); ++i) {
      out.token_ids.push_back(std::move(in.ids[i]));
      out.embeddings.push_back(std::move((*vectors)[i]));
    }
  }
  out.pooling = std::string(model::EncoderPoolingName(used));
  return out;
}

// Decoders: the engine's pooled final hidden states, one text at a time.
absl::StatusOr<Output> EmbedWithDecoder(const ParsedArgs& args, Inputs in) {
  engine::LoadOptions options;
  options.model_path = args.GetString("model");
  options.threads = static_cast<int32_t>(args.GetInt("threads"));
  absl::StatusOr<std::unique_ptr<engine::LoadedModel>> m =
      engine::LoadedModel::Load(options);
  if (!m.ok()) return m.status();
  engine::EmbedOptions eo;
  eo.pooling = (*m)->default_pooling();
  if (const std::string& p = args.GetString("pooling"); !p.empty()) {
    if (p == "mean") {
      eo.pooling = engine::Pooling::kMean;
    } else if (p == "cls") {
      eo.pooling = engine::Pooling::kCls;
    } else if (p == "last") {
      eo.pooling = engine::Pooling::kLastToken;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "--pooling '", p, "': a decoder pools with mean, cls or last"));
    }
  }
  eo.normalize = args.GetBool("normalize");
  Output out;
  for (const std::string& t : in.texts) {
    out.token_ids.push_back((*m)->Encode(t));
  }
  for (std::vector<int32_t>& ids : in.ids) {
    out.token_ids.push_back(std::move(ids));
  }
  for (size_t i = 0; i < out.token_ids.size(); ++i) {
    absl::StatusOr<std::vector<float>> v = (*m)->EmbedIds(out.token_ids[i], eo);
    if (!v.ok()) {
      return absl::Status(
          v.status().code(),
          absl::StrCat("input ", i, ": ", v.status().message()));
    }
    out.embeddings.push_back(*std::move(v));
  }
  out.pooling = std::string(engine::PoolingName(eo.pooling));
  return out;
}

int Run(const ParsedArgs& args) {
  if (args.GetString("model").empty()) {
    std::cerr << kName << "--model is required\n";
    return 2;
  }
  absl::StatusOr<Inputs> in = ReadInputs(args);
  if (!in.ok()) {
    std::cerr << kName << in.status().message() << "\n";
    return 2;
  }
  absl::StatusOr<std::unique_ptr<gguf::GgufFile>> file =
      gguf::GgufFile::Open(args.GetString("model"));
  if (!file.ok()) {
    std::cerr << kName << file.status().message() << "\n";
    return 1;
  }
  const bool encoder = model::IsEncoderArchitecture(
      (*file)->GetString("general.architecture").value_or(""));
  file->reset();
  absl::StatusOr<Output> out = encoder ? EmbedWithEncoder(args, *std::move(in))
                                       : EmbedWithDecoder(args, *std::move(in));
  if (!out.ok()) {
    std::cerr << kName << out.status().message() << "\n";
    return out.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  const size_t dims = out->embeddings.empty() ? 0 : out->embeddings[0].size();
  if (args.GetBool("json")) {
    nlohmann::json j;
    j["token_ids"] = out->token_ids;
    j["embeddings"] = out->embeddings;
    j["dimensions"] = dims;
    j["pooling"] = out->pooling;
    std::cout << j.dump() << "\n";
    return 0;
  }
  for (const std::vector<float>& v : out->embeddings) {
    std::string line;
    for (size_t i = 0; i < v.size(); ++i) {
      char buf[32];
      std::snprintf(buf, sizeof(buf), i == 0 ? "%.9g" : " %.9g", v[i]);
      line += buf;
    }
    std::cout << line << "\n";
  }
  std::cerr << out->embeddings.size() << " vectors of " << dims
            << " dimensions, pooling " << out->pooling
            << (args.GetBool("normalize") ? ", L2-normalized" : "") << "\n";
  return 0;
}

}  // namespace

Command EmbedCommand() {
  return Command{
      .name = "embed",
      .summary = "print one embedding vector per text",
      .usage =
          "edgellm embed --model MODEL --text T [--text T ...] "
          "[--token-ids 101,2023,...] [--pooling mean|cls|last] "
          "[--normalize] [--json]",
      .details =
          "Encoder models (bert, nomic-bert: bge, all-MiniLM, "
          "nomic-embed-text) run every input in packed batches with the "
          "file's pooling (<arch>.pooling_type; mean when it has none). A "
          "reranker's pooling is rank: its vector is the classifier output. "
          "Decoder models pool their final hidden states (mean unless the "
          "file says otherwise).\n"
          "Texts are tokenized as llama.cpp's llama-embedding does: [CLS] "
          "text [SEP], special-token text such as [SEP] recognised. "
          "--token-ids feeds ids as given (one list per flag, embedded after "
          "the texts). With neither flag, every line of standard input is a "
          "text.\n"
          "Output: one line of space-separated floats per input, in order; "
          "with --json one object {\"token_ids\": [[...]], \"embeddings\": "
          "[[...]], \"dimensions\": N, \"pooling\": P} on the last line.",
      .flags =
          {
              {"model", FlagKind::kString, "", "GGUF model file", 'm'},
              {"text", FlagKind::kString, "", "a text to embed", 't', true},
              {"token-ids", FlagKind::kString, "",
               "comma-separated token ids to embed as given", 0, true},
              {"pooling", FlagKind::kString, "",
               "mean, cls, last (encoders also rank); default: the file's"},
              {"normalize", FlagKind::kBool, "false",
               "scale each vector to unit L2 norm"},
              {"json", FlagKind::kBool, "false", "print one JSON object"},
              {"threads", FlagKind::kInt, "0", "threads (0 = one per core)"},
              {"max-tokens", FlagKind::kInt, "1024",
               "encoders: tokens per forward pass (over all its texts)"},
          },
      .run = Run,
  };
}

}  // namespace edgellm::cli
