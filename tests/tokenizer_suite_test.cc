// Tokenizer conformance against reference data in ../shared:
// - shared/vocab: llama.cpp's test-tokenizer-0 suites (inputs and expected
//   ids, see shared/vocab/README.md), encoded with add_special=false and
//   parse_special=false; every case must match exactly.
// - shared/reference/vocab: the 4096-token cut of llama-spm the reference
//   models use, with llama.cpp's output for the same suite.
// - shared/golden/stories260K_greedy.jsonl: run.c's prompt_ids, from
//   tok512.bin and from stories260K-f32.gguf.
// Plus round trips where the tokenizer is lossless (SPM and byte-level BPE)
// and a defined outcome for invalid UTF-8.
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "runtime/tokenizer/tokenizer.h"
#include "tests/testing/shared_dir.h"

namespace edgellm::tokenizer {
namespace {

constexpr char kSeparator[] = "\n__ggml_vocab_test__\n";

// Every vocabulary in shared/vocab.
const char* const kVocabs[] = {
    "llama-spm",    "phi-3",  "gpt-2",     "deepseek-coder",
    "deepseek-llm", "falcon", "mpt",       "starcoder",
    "refact",       "qwen2",  "llama-bpe", "bert-bge",
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Case {
  std::string text;
  std::vector<TokenId> ids;
};

// The .inp/.out format of llama.cpp's tests/test-tokenizer-0.cpp.
std::vector<Case> ReadSuite(const std::string& gguf_path) {
  const std::string inp = ReadFile(gguf_path + ".inp");
  const std::string out = ReadFile(gguf_path + ".out");
  std::vector<std::string> texts = absl::StrSplit(inp, kSeparator);
  // Every test string is followed by the separator, the last one included.
  EXPECT_FALSE(texts.empty());
  EXPECT_EQ(texts.back(), "");
  texts.pop_back();
  std::vector<std::string> lines = absl::StrSplit(out, '\n');
  EXPECT_EQ(lines.back(), "");
  lines.pop_back();
  EXPECT_EQ(texts.size(), lines.size()) << gguf_path;
  std::vector<Case> cases;
  for (size_t i = 0; i < texts.size() && i < lines.size(); ++i) {
    Case c{texts[i], {}};
    for (absl::string_view field :
         absl::StrSplit(lines[i], ' ', absl::SkipEmpty())) {
      c.ids.push_back(std::stoi(std::string(field)));
    }
    cases.push_back(std::move(c));
  }
  return cases;
}

std::string Escape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

// Encodes every case of the suite beside `gguf_path`; each mismatch is a
// failure. Returns (passed, cases).
std::pair<int, int> CheckSuite(const std::string& label,
                               const std::string& gguf_path) {
  auto tok = Tokenizer::Load(gguf_path);
  EXPECT_TRUE(tok.ok()) << tok.status();
  if (!tok.ok()) return {0, 0};
  const std::vector<Case> cases = ReadSuite(gguf_path);
  EXPECT_FALSE(cases.empty()) << gguf_path;
  int passed = 0;
  for (const Case& c : cases) {
    const std::vector<TokenId> got = (*tok)->Encode(c.text);
    if (got == c.ids) {
      ++passed;
    } else {
      ADD_FAILURE() << label << " \"" << Escape(c.text) << "\"\n  want "
                    << absl::StrJoin(c.ids, " ") << "\n  got  "
                    << absl::StrJoin(got, " ");
    }
  }
  std::cout << "[suite] " << label << ": " << passed << "/" << cases.size()
            << " cases pass\n";
  return {passed, static_cast<int>(cases.size())};
}

class VocabSuiteTest : public ::testing::TestWithParam<const char*> {};

TEST_P(VocabSuiteTest, EveryCaseMatchesExactly) {
  const std::string shared = edgellm::testing::SharedDirOrEmpty();
  if (shared.empty()) GTEST_SKIP() << edgellm::testing::kNoSharedMessage;
  const std::string path = shared + "/vocab/ggml-vocab-" + GetParam() + ".gguf";
  const auto [passed, cases] = CheckSuite(GetParam(), path);
  RecordProperty("passed", passed);
  RecordProperty("cases", cases);
}

// reference/vocab: the first 4096 tokens of llama-spm, the vocabulary of the
// random-weight reference models. The cut drops every single-character
// piece, so most text falls back to byte tokens after merging.
TEST(ReferenceVocabTest, LlamaSpm4096MatchesLlamaCpp) {
  const std::string path = edgellm::testing::SharedFileOrEmpty(
      "reference/vocab/ggml-vocab-llama-spm-4096.gguf");
  if (path.empty()) GTEST_SKIP() << edgellm::testing::kNoSharedMessage;
  const auto [passed, cases] = CheckSuite("llama-spm-4096", path);
  EXPECT_GT(cases, 0);
}

// SPM (byte fallback) and byte-level BPE are lossless: decoding gives the
// text back. WordPiece is not (it lowercases, strips accents and
// whitespace, maps unknown words to [UNK]).
TEST_P(VocabSuiteTest, RoundTripWhereLossless) {
  const std::string shared = edgellm::testing::SharedDirOrEmpty();
  if (shared.empty()) GTEST_SKIP() << edgellm::testing::kNoSharedMessage;
  const std::string path = shared + "/vocab/ggml-vocab-" + GetParam() + ".gguf";
  auto tok = Tokenizer::Load(path);
  ASSERT_TRUE(tok.ok()) << tok.status();
  if ((*tok)->kind() == TokenizerKind::kWordPiece) {
    GTEST_SKIP() << "WordPiece is lossy by design";
  }
  for (const Case& c : ReadSuite(path)) {
    for (bool add_special : {false, true}) {
      const auto ids = (*tok)->Encode(c.text, {.add_special = add_special});
      EXPECT_EQ((*tok)->Decode(ids), c.text)
          << GetParam() << " \"" << Escape(c.text) << "\"";
      // Streaming gives the same text, chunked on character boundaries.
      StreamDecoder stream(**tok);
      std::string streamed;
      for (TokenId id : ids) streamed += stream.Push(id);
      streamed += stream.Flush();
      EXPECT_EQ(streamed, c.text) << GetParam() << " (stream)";
    }
  }
}

// Invalid UTF-8 never crashes and has a defined outcome: SPM falls back to
// byte tokens (lossless); BPE and WordPiece see U+FFFD for each bad byte.
TEST_P(VocabSuiteTest, InvalidUtf8HasDefinedOutcome) {
  const std::string shared = edgellm::testing::SharedDirOrEmpty();
  if (shared.empty()) GTEST_SKIP() << edgellm::testing::kNoSharedMessage;
  auto tok =
      Tokenizer::Load(shared + "/vocab/ggml-vocab-" + GetParam() + ".gguf");
  ASSERT_TRUE(tok.ok()) << tok.status();
  const std::string fffd = "\xEF\xBF\xBD";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"a\xFF"
       "b",
       "a" + fffd + "b"},
      {"\xC3", fffd},
      {"x\xE4\xBD", "x" + fffd + fffd},
      {"\xED\xA0\x80 s", fffd + fffd + fffd + " s"},  // a surrogate
      {"\xC0\x80", fffd + fffd},                      // overlong NUL
      {std::string("n\0ul", 4), std::string("n\0ul", 4)},
  };
  for (const auto& [input, sanitized] : cases) {
    for (bool parse_special : {false, true}) {
      const auto ids = (*tok)->Encode(input, {.parse_special = parse_special});
      for (TokenId id : ids) {
        ASSERT_GE(id, 0);
        ASSERT_LT(id, (*tok)->vocab_size());
      }
      const std::string decoded = (*tok)->Decode(ids);
      switch ((*tok)->kind()) {
        case TokenizerKind::kSpm:
          EXPECT_EQ(decoded, input) << GetParam();
          break;
        case TokenizerKind::kBpe:
          EXPECT_EQ(decoded, sanitized) << GetParam();
          break;
        default:
          break;  // WordPiece drops U+FFFD and controls
      }
      StreamDecoder stream(**tok);
      std::string streamed;
      for (TokenId id : ids) streamed += stream.Push(id);
      streamed += stream.Flush();
      // The stream output is always valid UTF-8.
      EXPECT_EQ(streamed.find('\xFF'), std::string::npos);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllVocabs, VocabSuiteTest,
                         ::testing::ValuesIn(kVocabs), [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

TEST(VocabSuiteTest, SpecialTokensParsedOnlyOnRequest) {
  const std::string shared = edgellm::testing::SharedDirOrEmpty();
  if (shared.empty()) GTEST_SKIP() << edgellm::testing::kNoSharedMessage;
  auto qwen = Tokenizer::Load(shared + "/vocab/ggml-vocab-qwen2.gguf");
  ASSERT_TRUE(qwen.ok()) << qwen.status();
  // README facts: "Hello world" -> 9707 1879; <|im_start|> is one id only
  // with special parsing.
  EXPECT_EQ((*qwen)->Encode("Hello world"), (std::vector<TokenId>{9707, 1879}));
  EXPECT_EQ((*qwen)->Encode("<|im_start|>", {.parse_special = true}),
            (std::vector<TokenId>{151644}));
  EXPECT_GT((*qwen)->Encode("<|im_start|>").size(), 1u);
  EXPECT_TRUE((*qwen)->IsEndOfGeneration(151645));  // <|im_end|> (eos)
  EXPECT_TRUE((*qwen)->IsEndOfGeneration(151643));  // <|endoftext|>
  EXPECT_FALSE((*qwen)->add_bos());

  auto llama3 = Tokenizer::Load(shared + "/vocab/ggml-vocab-llama-bpe.gguf");
  ASSERT_TRUE(llama3.ok()) << llama3.status();
  EXPECT_EQ((*llama3)->Encode("Hello world", {.add_special = true}),
            (std::vector<TokenId>{128000, 9906, 1917}));
  EXPECT_EQ((*llama3)->special().eot, 128009);  // <|eot_id|>
  for (TokenId id : {128001, 128008, 128009}) {
    EXPECT_TRUE((*llama3)->IsEndOfGeneration(id)) << id;
  }

  auto spm = Tokenizer::Load(shared + "/vocab/ggml-vocab-llama-spm.gguf");
  ASSERT_TRUE(spm.ok()) << spm.status();
  EXPECT_EQ((*spm)->Encode("ied 4 ½ months"),
            (std::vector<TokenId>{474, 287, 29871, 29946, 29871, 30226, 7378}));
  EXPECT_EQ((*spm)->Encode(" "), (std::vector<TokenId>{259}));
  EXPECT_EQ((*spm)->Encode("<s>", {.add_special = true, .parse_special = true}),
            (std::vector<TokenId>{1, 1}));

  auto bert = Tokenizer::Load(shared + "/vocab/ggml-vocab-bert-bge.gguf");
  ASSERT_TRUE(bert.ok()) << bert.status();
  const auto ids = (*bert)->Encode("hello", {.add_special = true});
  ASSERT_GE(ids.size(), 3u);
  EXPECT_EQ(ids.front(), 101);  // [CLS]
  EXPECT_EQ(ids.back(), 102);   // [SEP]
}

struct Golden {
  std::string prompt;
  std::vector<TokenId> prompt_ids;
};

std::vector<Golden> ReadGoldens(const std::string& path) {
  std::vector<Golden> goldens;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line);
    goldens.push_back({j.at("prompt").get<std::string>(),
                       j.at("prompt_ids").get<std::vector<TokenId>>()});
  }
  return goldens;
}

TEST(Stories260KTest, PromptIdsFromTokenizerBin) {
  const std::string bin =
      edgellm::testing::SharedFileOrEmpty("models/stories260K/tok512.bin");
  const std::string golden =
      edgellm::testing::SharedFileOrEmpty("golden/stories260K_greedy.jsonl");
  if (bin.empty() || golden.empty()) {
    GTEST_SKIP() << edgellm::testing::kNoSharedMessage;
  }
  auto tok = Tokenizer::Load(bin);
  ASSERT_TRUE(tok.ok()) << tok.status();
  EXPECT_EQ((*tok)->kind(), TokenizerKind::kLlama2c);
  EXPECT_EQ((*tok)->vocab_size(), 512);
  const auto goldens = ReadGoldens(golden);
  ASSERT_FALSE(goldens.empty());
  for (const Golden& g : goldens) {
    const auto ids = (*tok)->Encode(g.prompt, {.add_special = true});
    EXPECT_EQ(ids, g.prompt_ids) << "\"" << Escape(g.prompt) << "\"";
    EXPECT_EQ((*tok)->Decode(ids), g.prompt);
  }
  std::cout << "[suite] stories260K tok512.bin: " << goldens.size()
            << " prompts\n";
}

TEST(Stories260KTest, PromptIdsFromGguf) {
  const std::string gguf = edgellm::testing::SharedFileOrEmpty(
      "models/stories260K/stories260K-f32.gguf");
  const std::string golden =
      edgellm::testing::SharedFileOrEmpty("golden/stories260K_greedy.jsonl");
  if (gguf.empty() || golden.empty()) {
    GTEST_SKIP() << edgellm::testing::kNoSharedMessage;
  }
  auto tok = Tokenizer::Load(gguf);
  ASSERT_TRUE(tok.ok()) << tok.status();
  EXPECT_EQ((*tok)->kind(), TokenizerKind::kSpm);
  for (const Golden& g : ReadGoldens(golden)) {
    EXPECT_EQ((*tok)->Encode(g.prompt, {.add_special = true}), g.prompt_ids)
        << "\"" << Escape(g.prompt) << "\"";
  }
}

TEST(LoadTest, ClearErrorsForMissingAndCorruptFiles) {
  auto missing = Tokenizer::Load("/nonexistent/model.gguf");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  const std::string dir = ::testing::TempDir();
  const std::string junk = dir + "/junk.bin";
  std::ofstream(junk) << "this is not a model";
  auto bad = Tokenizer::Load(junk);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("neither a GGUF"), std::string::npos)
      << bad.status();
  const std::string truncated = dir + "/truncated.gguf";
  std::ofstream(truncated) << "GGUF\x03";
  EXPECT_FALSE(Tokenizer::Load(truncated).ok());
}

}  // namespace
}  // namespace edgellm::tokenizer
