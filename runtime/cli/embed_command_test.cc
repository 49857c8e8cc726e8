// `edgellm embed` and `edgellm rerank` in-process: on random-weight encoder,
// reranker and decoder models the test writes, and on llama.cpp's
// references in ../shared/reference_embed (the commands' output must meet
// the same bounds as the library's, tests/encoder_reference_test.cc).
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "runtime/cli/commands.h"
#include "runtime/cli/run_command_for_test.h"
#include "runtime/model/random_model.h"
#include "tests/testing/shared_dir.h"

namespace edgellm::cli {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

std::string WriteShape(const std::string& shape) {
  const char* dir = std::getenv("TEST_TMPDIR");
  const std::string path =
      absl::StrCat(dir != nullptr ? dir : "/tmp", "/", shape, ".gguf");
  auto spec = model::NamedRandomModelSpec(shape);
  EXPECT_TRUE(spec.ok());
  EXPECT_TRUE(model::WriteRandomModel(*spec, path, false).ok());
  return path;
}

CommandResult Embed(std::vector<std::string> args) {
  CommandResult r = RunCommandForTest(EmbedCommand(), args);
  EXPECT_NE(r.code, -1) << r.err;
  return r;
}

CommandResult Rerank(std::vector<std::string> args) {
  CommandResult r = RunCommandForTest(RerankCommand(), args);
  EXPECT_NE(r.code, -1) << r.err;
  return r;
}

// The JSON object on the last line of stdout.
json LastLine(const std::string& out) {
  const size_t end = out.find_last_not_of('\n');
  const size_t start = out.rfind('\n', end);
  return json::parse(out.substr(start == std::string::npos ? 0 : start + 1));
}

TEST(EmbedCommandTest, EncoderJsonTextAndIds) {
  const std::string model = WriteShape("tiny-bert");
  CommandResult r = Embed({"--model", model, "--text", "what is a red ball",
                           "--text", "", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  json j = LastLine(r.out);
  EXPECT_EQ(j["dimensions"], 128);
  EXPECT_EQ(j["pooling"], "cls");  // the shape's pooling_type
  ASSERT_EQ(j["embeddings"].size(), 2u);
  ASSERT_EQ(j["token_ids"].size(), 2u);
  EXPECT_EQ(j["token_ids"][1], json({101, 102}));  // [CLS] [SEP]
  const std::vector<int32_t> ids = j["token_ids"][0];
  EXPECT_EQ(ids.front(), 101);
  EXPECT_EQ(ids.back(), 102);

  // The same ids given with --token-ids give the same vector; --normalize
  // gives unit vectors; another pooling another vector.
  r = Embed({"-m", model, "--token-ids", absl::StrJoin(ids, ","), "--json",
             "--normalize"});
  ASSERT_EQ(r.code, 0) << r.err;
  const std::vector<float> unit = LastLine(r.out)["embeddings"][0];
  const std::vector<float> raw = j["embeddings"][0];
  double norm = 0, dot = 0;
  for (size_t i = 0; i < raw.size(); ++i) {
    norm += double(raw[i]) * raw[i];
    dot += double(unit[i]) * unit[i];
  }
  EXPECT_NEAR(dot, 1.0, 1e-5);
  for (size_t i = 0; i < raw.size(); ++i) {
    EXPECT_NEAR(unit[i], raw[i] / std::sqrt(norm), 1e-6);
  }
  r = Embed(
      {"-m", model, "-t", "what is a red ball", "--pooling", "mean", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(LastLine(r.out)["pooling"], "mean");
  EXPECT_NE(LastLine(r.out)["embeddings"][0], j["embeddings"][0]);

  // Text output: one line per input, dims floats each.
  r = Embed({"-m", model, "-t", "a", "-t", "b", "-t", "c"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::vector<std::string> lines = absl::StrSplit(r.out, '\n');
  ASSERT_EQ(lines.size(), 4u);  // three lines and the final newline
  EXPECT_EQ(std::vector<std::string>(absl::StrSplit(lines[0], ' ')).size(),
            128u);
}

TEST(EmbedCommandTest, DecoderModelsStillEmbed) {
  const std::string model = WriteShape("tiny");
  CommandResult r =
      Embed({"-m", model, "-t", "once upon a time", "--json", "--normalize"});
  ASSERT_EQ(r.code, 0) << r.err;
  json j = LastLine(r.out);
  EXPECT_EQ(j["dimensions"], 128);
  EXPECT_EQ(j["pooling"], "mean");
  r = Embed({"-m", model, "-t", "x", "--pooling", "rank"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--pooling"));
}

TEST(EmbedCommandTest, ErrorsAreClear) {
  const std::string model = WriteShape("tiny-bert");
  CommandResult r = Embed({"-t", "x"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--model is required"));
  r = Embed({"-m", model, "--token-ids", "101,x,102"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("'x' is not a token id"));
  r = Embed({"-m", model, "--token-ids", "101,99999"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("ids[0]: token id 99999"));
  r = Embed({"-m", model, "-t", "x", "--pooling", "max"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--pooling 'max'"));
  r = Embed({"-m", model, "-t",
             std::string(3000, 'a') + " " +
                 absl::StrJoin(std::vector<std::string>(600, "b"), " ")});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("texts[0]"));
  EXPECT_THAT(r.err, HasSubstr("exceed the limit of 512"));
  r = Embed({"-m", "/nonexistent.gguf", "-t", "x"});
  EXPECT_EQ(r.code, 1);
}

TEST(RerankCommandTest, ScoresInInputOrder) {
  const std::string model = WriteShape("tiny-bert-rerank");
  const std::vector<std::string> docs = {"a red ball", "the capital city",
                                         "music"};
  std::vector<std::string> args = {"-m", model, "-q", "what is red", "--json"};
  for (const std::string& d : docs) args.insert(args.end(), {"-d", d});
  CommandResult r = Rerank(args);
  ASSERT_EQ(r.code, 0) << r.err;
  const std::vector<double> scores = LastLine(r.out)["scores"];
  ASSERT_EQ(scores.size(), docs.size());
  // Each alone gives its own score: the batch keeps documents apart and in
  // order.
  for (size_t i = 0; i < docs.size(); ++i) {
    CommandResult one =
        Rerank({"-m", model, "-q", "what is red", "-d", docs[i], "--json"});
    ASSERT_EQ(one.code, 0) << one.err;
    EXPECT_NEAR(LastLine(one.out)["scores"][0].get<double>(), scores[i], 1e-5);
  }
  EXPECT_NE(scores[0], scores[1]);
  // Text output: score, tab, document.
  r = Rerank({"-m", model, "-q", "what is red", "-d", "a red ball"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\ta red ball\n"));
}

TEST(RerankCommandTest, ErrorsAreClear) {
  const std::string reranker = WriteShape("tiny-bert-rerank");
  CommandResult r = Rerank({"-m", reranker, "-q", "x"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--document"));
  r = Rerank({"-m", reranker, "-d", "x"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--query is required"));
  r = Rerank({"-m", reranker, "-q", "", "-d", "x"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("query: empty"));
  r = Rerank({"-m", reranker, "-q", "x", "-d", "y", "-d", ""});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("documents[1]: empty"));
  // An embedding model has no head.
  r = Rerank({"-m", WriteShape("tiny-bert"), "-q", "x", "-d", "y"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("cannot rerank"));
  // A decoder is not an encoder.
  r = Rerank({"-m", WriteShape("tiny"), "-q", "x", "-d", "y"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("not an encoder"));
}

std::vector<json> ReadJsonl(const std::string& path) {
  std::vector<json> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(json::parse(line));
  }
  return lines;
}

double MaxAbsDiff(const std::vector<double>& a, const json& b) {
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    worst = std::max(worst, std::fabs(a[i] - b[i].get<double>()));
  }
  return worst;
}

// Every reference text through the command line, as the README of
// reference_embed describes the runs: texts (llama.cpp's ids where the
// Hangul divergence makes ours differ, via --token-ids), raw and
// --normalize, and the reranker's pair through `rerank`.
TEST(EmbedCommandTest, MatchesLlamaCppReferences) {
  const std::string shared = edgellm::testing::SharedDirOrEmpty();
  if (shared.empty()) GTEST_SKIP() << edgellm::testing::kNoSharedMessage;
  const std::string dir = shared + "/reference_embed";
  for (const char* stem : {"bert-mean-f32", "nomic-bert-q8_0"}) {
    SCOPED_TRACE(stem);
    const std::string model = absl::StrCat(dir, "/models/", stem, ".gguf");
    for (const json& ref : ReadJsonl(absl::StrCat(dir, "/", stem, ".jsonl"))) {
      const std::vector<int32_t> want = ref["tokens"];
      std::vector<std::string> args = {"-m", model, "--json", "-t",
                                       ref["text"].get<std::string>()};
      CommandResult r = Embed(args);
      ASSERT_EQ(r.code, 0) << r.err;
      if (LastLine(r.out)["token_ids"][0] != json(want)) {
        args = {"-m", model, "--json", "--token-ids", absl::StrJoin(want, ",")};
        r = Embed(args);
        ASSERT_EQ(r.code, 0) << r.err;
      }
      const bool q8 = std::string(stem).ends_with("q8_0");
      EXPECT_LE(MaxAbsDiff(LastLine(r.out)["embeddings"][0], ref["embedding"]),
                q8 ? 0.15 : 3e-3);
      args.push_back("--normalize");
      r = Embed(args);
      ASSERT_EQ(r.code, 0) << r.err;
      EXPECT_LE(
          MaxAbsDiff(LastLine(r.out)["embeddings"][0], ref["embedding_l2"]),
          q8 ? 1e-2 : 2e-4);
    }
  }
  const std::string reranker = dir + "/models/bert-rerank-f32.gguf";
  for (const json& ref : ReadJsonl(dir + "/bert-rerank-f32.jsonl")) {
    if (!ref.contains("query")) continue;
    CommandResult r = Rerank(
        {"-m", reranker, "-q", ref["query"], "-d", ref["document"], "--json"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NEAR(LastLine(r.out)["scores"][0].get<double>(),
                ref["score"][0].get<double>(), 2e-3);
  }
}

}  // namespace
}  // namespace edgellm::cli
