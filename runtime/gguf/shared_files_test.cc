// Reads the real GGUF files in /work/shared: the stories260K model (checked
// against its llama2.c checkpoint header) and every tokenizer vocabulary
// (checked against the token and merge counts in shared/vocab/README.md).
#include <dirent.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/gguf/gguf.h"
#include "runtime/gguf/types.h"
#include "tests/testing/shared_dir.h"

namespace edgellm::gguf {
namespace {

using ::testing::ElementsAre;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The llama2.c checkpoint header: 7 little-endian int32 (run.c Config).
struct Llama2cConfig {
  int32_t dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len;
};

double MsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - t0)
      .count();
}

class Stories260KTest : public ::testing::TestWithParam<const char*> {};

TEST_P(Stories260KTest, MetadataAndTensorTableMatchTheCheckpoint) {
  const std::string dir = edgellm::testing::SharedDirOrEmpty();
  if (dir.empty()) GTEST_SKIP() << edgellm::testing::kNoSharedMessage;
  const std::string path =
      dir + "/models/stories260K/stories260K-" + GetParam() + ".gguf";
  const std::string bin = ReadAll(dir + "/models/stories260K/stories260K.bin");
  ASSERT_GE(bin.size(), sizeof(Llama2cConfig));
  Llama2cConfig cfg;
  std::memcpy(&cfg, bin.data(), sizeof(cfg));

  const auto t0 = std::chrono::steady_clock::now();
  auto opened = GgufFile::Open(path);
  const double open_ms = MsSince(t0);
  ASSERT_TRUE(opened.ok()) << opened.status();
  const GgufFile& g = **opened;
  std::printf("%s: Open %.3f ms, v%u, %zu keys, %zu tensors, data at %llu\n",
              path.c_str(), open_ms, g.version(), g.metadata().size(),
              g.tensors().size(),
              static_cast<unsigned long long>(g.data_offset()));
  for (const auto& [key, value] : g.metadata()) {
    std::printf("  %-40.*s %s%s\n", static_cast<int>(key.size()), key.data(),
                std::string(ValueTypeName(value.type())).c_str(),
                value.type() == ValueType::kArray
                    ? (" of " + std::to_string(value.size()) + " " +
                       std::string(ValueTypeName(value.element_type())))
                          .c_str()
                    : "");
  }

  EXPECT_EQ(*g.GetString("general.architecture"), "llama");
  EXPECT_EQ(*g.GetString("tokenizer.ggml.model"), "llama");
  EXPECT_EQ(*g.GetInt("llama.embedding_length"), cfg.dim);
  EXPECT_EQ(*g.GetInt("llama.feed_forward_length"), cfg.hidden_dim);
  EXPECT_EQ(*g.GetInt("llama.block_count"), cfg.n_layers);
  EXPECT_EQ(*g.GetInt("llama.attention.head_count"), cfg.n_heads);
  EXPECT_EQ(*g.GetInt("llama.attention.head_count_kv"), cfg.n_kv_heads);
  EXPECT_EQ(*g.GetInt("llama.context_length"), cfg.seq_len);
  EXPECT_TRUE(g.GetFloat("llama.attention.layer_norm_rms_epsilon").ok());
  auto tokens = g.GetStringArray("tokenizer.ggml.tokens");
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  EXPECT_EQ(tokens->size(), static_cast<size_t>(cfg.vocab_size));
  EXPECT_EQ((*tokens)[0], "<unk>");
  auto scores = g.GetFloatArray("tokenizer.ggml.scores");
  ASSERT_TRUE(scores.ok()) << scores.status();
  EXPECT_EQ(scores->size(), tokens->size());
  auto types = g.GetIntArray("tokenizer.ggml.token_type");
  ASSERT_TRUE(types.ok()) << types.status();
  EXPECT_EQ(types->size(), tokens->size());

  // The tensor table: llama.cpp names, GGUF dim order (dims[0] = input).
  const int64_t dim = cfg.dim, hidden = cfg.hidden_dim;
  const int64_t kv_dim = dim / cfg.n_heads * cfg.n_kv_heads;
  std::map<std::string, std::vector<int64_t>> expected = {
      {"token_embd.weight", {dim, cfg.vocab_size}},
      {"output_norm.weight", {dim}},
  };
  for (int l = 0; l < cfg.n_layers; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    expected[p + "attn_norm.weight"] = {dim};
    expected[p + "attn_q.weight"] = {dim, dim};
    expected[p + "attn_k.weight"] = {dim, kv_dim};
    expected[p + "attn_v.weight"] = {dim, kv_dim};
    expected[p + "attn_output.weight"] = {dim, dim};
    expected[p + "ffn_norm.weight"] = {dim};
    expected[p + "ffn_gate.weight"] = {dim, hidden};
    expected[p + "ffn_up.weight"] = {dim, hidden};
    expected[p + "ffn_down.weight"] = {hidden, dim};
  }
  // Tied head (NOTICE: vocab_size > 0 means shared classifier): no
  // output.weight.
  EXPECT_EQ(g.FindTensor("output.weight"), nullptr);
  EXPECT_EQ(g.tensors().size(), expected.size());
  const bool q8 = std::string_view(GetParam()) == "q8_0";
  uint64_t total = 0;
  for (const auto& [name, dims] : expected) {
    const TensorInfo* t = g.FindTensor(name);
    ASSERT_NE(t, nullptr) << name;
    EXPECT_EQ(t->dims, dims) << name;
    // NOTICE: in the q8_0 file, 2-D tensors whose rows are a multiple of 32
    // are Q8_0, the rest stay F32.
    const bool quantized = q8 && dims.size() == 2 && dims[0] % 32 == 0;
    EXPECT_EQ(t->type, quantized ? TensorType::kQ8_0 : TensorType::kF32)
        << name;
    EXPECT_EQ(t->size_bytes, *TensorBytes(t->type, t->dims)) << name;
    EXPECT_EQ(t->offset % g.alignment(), 0u);
    total += t->size_bytes;
  }
  EXPECT_LE(g.data_offset() + total, g.file_size());

  // In the f32 file the embedding table equals the checkpoint's (which
  // starts right after the 28-byte header).
  if (!q8) {
    const TensorInfo* emb = g.FindTensor("token_embd.weight");
    ASSERT_LE(sizeof(cfg) + emb->size_bytes, bin.size());
    EXPECT_EQ(std::memcmp(emb->data, bin.data() + sizeof(cfg), emb->size_bytes),
              0);
  }
}

INSTANTIATE_TEST_SUITE_P(Files, Stories260KTest,
                         ::testing::Values("f32", "q8_0"));

// The README's tables: "name" and the n_tokens / merges columns, found by
// header name.
struct VocabFacts {
  int64_t n_tokens = -1;
  int64_t merges = -1;
};

std::map<std::string, VocabFacts> ParseVocabReadme(const std::string& text) {
  std::map<std::string, VocabFacts> out;
  int tokens_col = -1, merges_col = -1;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::ConsumePrefix(&line, "|")) {
      tokens_col = merges_col = -1;  // a table ended
      continue;
    }
    std::vector<std::string> cells;
    for (absl::string_view cell : absl::StrSplit(line, '|')) {
      cells.emplace_back(absl::StripAsciiWhitespace(cell));
    }
    if (!cells.empty() && cells[0] == "name") {
      for (int i = 0; i < static_cast<int>(cells.size()); ++i) {
        if (cells[i] == "n_tokens") tokens_col = i;
        if (cells[i] == "merges") merges_col = i;
      }
      continue;
    }
    if (tokens_col < 0 || cells.size() <= static_cast<size_t>(tokens_col) ||
        cells[0].rfind("---", 0) == 0) {
      continue;
    }
    VocabFacts f;
    if (!absl::SimpleAtoi(cells[tokens_col], &f.n_tokens)) continue;
    if (merges_col >= 0 && static_cast<size_t>(merges_col) < cells.size()) {
      absl::SimpleAtoi(cells[merges_col], &f.merges);
    }
    out[cells[0]] = f;
  }
  return out;
}

TEST(VocabFilesTest, TokenCountsMatchReadme) {
  const std::string dir = edgellm::testing::SharedDirOrEmpty();
  if (dir.empty()) GTEST_SKIP() << edgellm::testing::kNoSharedMessage;
  const std::map<std::string, VocabFacts> facts =
      ParseVocabReadme(ReadAll(dir + "/vocab/README.md"));
  ASSERT_GE(facts.size(), 10u) << "README tables not understood";

  std::set<std::string> names;
  DIR* d = opendir((dir + "/vocab").c_str());
  ASSERT_NE(d, nullptr);
  while (dirent* e = readdir(d)) {
    std::string_view f = e->d_name;
    constexpr std::string_view kPrefix = "ggml-vocab-", kSuffix = ".gguf";
    if (f.size() > kPrefix.size() + kSuffix.size() &&
        f.substr(0, kPrefix.size()) == kPrefix &&
        f.substr(f.size() - kSuffix.size()) == kSuffix) {
      names.insert(std::string(f.substr(
          kPrefix.size(), f.size() - kPrefix.size() - kSuffix.size())));
    }
  }
  closedir(d);
  ASSERT_FALSE(names.empty());

  for (const std::string& name : names) {
    SCOPED_TRACE(name);
    const std::string path = dir + "/vocab/ggml-vocab-" + name + ".gguf";
    const auto t0 = std::chrono::steady_clock::now();
    auto file = GgufFile::Open(path);
    const double open_ms = MsSince(t0);
    ASSERT_TRUE(file.ok()) << file.status();
    const GgufFile& g = **file;
    const Value* tokens = g.Find("tokenizer.ggml.tokens");
    ASSERT_NE(tokens, nullptr);
    EXPECT_EQ(tokens->type(), ValueType::kArray);
    EXPECT_EQ(tokens->element_type(), ValueType::kString);
    const auto t1 = std::chrono::steady_clock::now();
    auto list = tokens->GetStringArray();
    const double list_ms = MsSince(t1);
    ASSERT_TRUE(list.ok()) << list.status();
    EXPECT_TRUE(g.tensors().empty());
    EXPECT_TRUE(g.GetString("general.architecture").ok());
    EXPECT_TRUE(g.GetString("tokenizer.ggml.model").ok());

    auto it = facts.find(name);
    ASSERT_NE(it, facts.end()) << "no README row for " << name;
    EXPECT_EQ(static_cast<int64_t>(list->size()), it->second.n_tokens);
    const Value* merges = g.Find("tokenizer.ggml.merges");
    const int64_t n_merges = merges == nullptr ? 0 : merges->size();
    if (it->second.merges >= 0) {
      EXPECT_EQ(n_merges, it->second.merges);
    }
    std::printf(
        "%-16s v%u %7zu tokens %7lld merges  Open %.2f ms, "
        "GetStringArray %.2f ms\n",
        name.c_str(), g.version(), list->size(),
        static_cast<long long>(n_merges), open_ms, list_ms);
  }
}

}  // namespace
}  // namespace edgellm::gguf
