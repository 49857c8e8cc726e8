// stories260K's greedy output with an f16 KV cache against the same model
// with an f32 cache, on every golden prompt of ../shared/golden: the first 40
// generated ids (all of them when fewer) must agree.
//
// q8_0 is not asserted here: stories260K's head_dim is 8, so each Q8_0 block
// of a 32-value row holds four heads under one scale, and its logits move by
// up to ~1.2 (teacher-forced, first 40 steps), which flips greedy choices
// within 0-16 tokens on most prompts. The q8_0 path is checked for
// correctness by ops/attention_kv_types_test (kernels = reference = f32
// attention on the decoded values) and runtime/model/kv_paged_test. The f32 run
// is computed here, not read from a file, so the comparison is between cache
// types alone (the f32 run itself is checked against llama2.c by
// stories260k_golden_test). stories260K's head_dim is 8, so one q8_0 block
// of its 32-value rows holds four heads (runtime/model/kv_type.h).
// EDGELLM_TEST_KV_BLOCK_SIZE set: the same through the paged cache.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "runtime/engine/loaded_model.h"
#include "tests/testing/shared_dir.h"

namespace edgellm {
namespace {

using nlohmann::json;

constexpr size_t kMinAgreeing = 40;

std::vector<json> ReadJsonLines(const std::string& path) {
  std::vector<json> lines;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) lines.push_back(json::parse(line));
  }
  return lines;
}

std::unique_ptr<engine::LoadedModel> Load(const std::string& path,
                                          model::KvCacheType type) {
  engine::LoadOptions options;
  options.model_path = path;
  options.threads = 1;
  options.context = 512;
  options.max_batch = 16;  // longer prompts prefill in chunks
  options.kv_type = type;
  if (const char* bs = std::getenv("EDGELLM_TEST_KV_BLOCK_SIZE")) {
    options.paging.block_size = std::atoi(bs);
  }
  absl::StatusOr<std::unique_ptr<engine::LoadedModel>> e =
      engine::LoadedModel::Load(options);
  EXPECT_TRUE(e.ok()) << e.status();
  return e.ok() ? std::move(*e) : nullptr;
}

// Greedy ids after the prompt, positions 0 .. steps - 1 as the goldens ran,
// stopping on BOS (1).
std::vector<int32_t> Greedy(engine::LoadedModel& engine, const json& golden) {
  const std::vector<int32_t> prompt =
      golden["prompt_ids"].get<std::vector<int32_t>>();
  engine::GenerateOptions options;
  options.sampling.temperature = 0.0f;
  options.max_tokens =
      golden["steps"].get<int>() + 1 - static_cast<int>(prompt.size());
  options.ignore_eos = true;
  absl::StatusOr<engine::SequenceResult> r = engine.GenerateFromIds(
      prompt, options,
      [](const engine::TokenEvent& e) { return e.token != 1; });
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? r->output_ids : std::vector<int32_t>{};
}

size_t LeadingAgreement(const std::vector<int32_t>& a,
                        const std::vector<int32_t>& b) {
  size_t n = 0;
  while (n < a.size() && n < b.size() && a[n] == b[n]) ++n;
  return n;
}

class Stories260kKvTypesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    golden_path_ =
        testing::SharedFileOrEmpty("golden/stories260K_greedy.jsonl");
    model_ =
        testing::SharedFileOrEmpty("models/stories260K/stories260K-f32.gguf");
    if (golden_path_.empty() || model_.empty()) {
      GTEST_SKIP() << testing::kNoSharedMessage;
    }
    f32_ = Load(model_, model::KvCacheType::kF32);
    ASSERT_NE(f32_, nullptr);
    goldens_ = ReadJsonLines(golden_path_);
    ASSERT_FALSE(goldens_.empty());
  }
  std::string golden_path_, model_;
  std::unique_ptr<engine::LoadedModel> f32_;
  std::vector<json> goldens_;
};

// f16 keys and values (q rounded to f16, as llama.cpp does): free-running
// greedy output equals f32's for at least the first 40 tokens.
TEST_F(Stories260kKvTypesTest, F16AgreesWithF32ForFortyTokens) {
  std::unique_ptr<engine::LoadedModel> f16 =
      Load(model_, model::KvCacheType::kF16);
  ASSERT_NE(f16, nullptr);
  for (const json& golden : goldens_) {
    const std::string prompt = golden["prompt"].get<std::string>();
    SCOPED_TRACE("prompt: " + prompt);
    const std::vector<int32_t> want = Greedy(*f32_, golden);
    const size_t lead = LeadingAgreement(want, Greedy(*f16, golden));
    std::printf("f16 KV '%s': %zu of %zu generated ids agree with f32 KV\n",
                prompt.c_str(), lead, want.size());
    ASSERT_FALSE(want.empty());
    EXPECT_GE(lead, std::min(kMinAgreeing, want.size()));
  }
}

}  // namespace
}  // namespace edgellm
