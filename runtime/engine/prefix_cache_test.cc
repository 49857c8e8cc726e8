// The paged KV cache and automatic prefix caching through the public API,
// on a random-weight model the test writes itself: greedy output with a
// reused prefix equals a cold run's, concurrent requests sharing blocks
// (copy on write), eviction under pressure, waiting and refusal when the
// pool is short, and cancellation giving the blocks back.
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/engine/edgellm.h"
#include "runtime/model/random_model.h"

namespace edgellm {
namespace {

using ::testing::HasSubstr;

std::string ModelFile(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  const std::string path =
      std::string(dir ? dir : "/tmp") + "/prefix_cache_" + name + ".gguf";
  auto spec = model::NamedRandomModelSpec(name);
  EXPECT_TRUE(spec.ok());
  EXPECT_TRUE(model::WriteRandomModel(*spec, path, false).ok());
  return path;
}

std::string TinyModel() {
  static const std::string* path = new std::string(ModelFile("tiny"));
  return *path;
}

std::unique_ptr<Engine> LoadFile(const std::string& path, int32_t block_size,
                                 int32_t blocks = 0, int32_t parallel = 2,
                                 int32_t context = 256) {
  EngineOptions options;
  options.model_path = path;
  options.threads = 1;
  options.parallel = parallel;
  options.context = context;
  options.kv_block_size = block_size;
  options.kv_blocks = blocks;
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Load(options);
  EXPECT_TRUE(engine.ok()) << engine.status();
  return engine.ok() ? std::move(*engine) : nullptr;
}

std::unique_ptr<Engine> Load(int32_t block_size, int32_t blocks = 0,
                             int32_t parallel = 2, int32_t context = 256) {
  return LoadFile(TinyModel(), block_size, blocks, parallel, context);
}

// A prompt of exactly `n` token ids (deterministic, inside the vocabulary).
GenerateRequest Greedy(int32_t n, int32_t seed, int32_t max_tokens) {
  GenerateRequest r;
  for (int32_t i = 0; i < n; ++i) {
    r.prompt_ids.push_back(3 + (i * 37 + seed * 101) % 250);
  }
  r.options.max_tokens = max_tokens;
  r.options.ignore_eos = true;
  r.options.sampling.temperature = 0.0f;
  return r;
}

GenerateResult RunReq(Engine& engine, GenerateRequest request) {
  absl::StatusOr<GenerateResult> result = engine.Generate(std::move(request));
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *result : GenerateResult{};
}

// The output a slab cache gives: the reference for every paged run.
std::vector<int32_t> SlabOutput(const GenerateRequest& request) {
  static std::unique_ptr<Engine>* slab = new std::unique_ptr<Engine>(Load(0));
  return RunReq(**slab, request).output_ids;
}

TEST(PrefixCacheTest, ReusedPrefixGivesTheColdOutput) {
  std::unique_ptr<Engine> engine = Load(16);
  ASSERT_NE(engine, nullptr);
  // 100 tokens: 6 full blocks and a partial one; 96: the last full block
  // is shared and its last position recomputed (copy on write).
  for (int32_t len : {100, 96}) {
    SCOPED_TRACE(absl::StrCat("prompt of ", len));
    const GenerateRequest request = Greedy(len, len, 12);
    const std::vector<int32_t> want = SlabOutput(request);
    ASSERT_EQ(want.size(), 12u);
    GenerateRequest opted_out = request;
    opted_out.options.prefix_cache = false;
    const GenerateResult cold_opted = RunReq(*engine, opted_out);
    EXPECT_EQ(cold_opted.stats.cached_prompt_tokens, 0);
    EXPECT_EQ(cold_opted.output_ids, want);
    const GenerateResult cold = RunReq(*engine, request);
    EXPECT_EQ(cold.stats.cached_prompt_tokens, 0);  // nothing published yet
    EXPECT_EQ(cold.output_ids, want);
    const GenerateResult warm = RunReq(*engine, request);
    EXPECT_EQ(warm.stats.cached_prompt_tokens,
              std::min(len / 16 * 16, len - 1));
    EXPECT_EQ(warm.output_ids, want);
  }
}

TEST(PrefixCacheTest, NextTurnReusesThePromptAndTheReply) {
  std::unique_ptr<Engine> engine = Load(16);
  ASSERT_NE(engine, nullptr);
  const GenerateRequest first = Greedy(40, 7, 30);
  const GenerateResult turn1 = RunReq(*engine, first);
  // The next turn's prompt: the first prompt, the reply, more text.
  GenerateRequest second = first;
  second.prompt_ids.insert(second.prompt_ids.end(), turn1.output_ids.begin(),
                           turn1.output_ids.end());
  for (int i = 0; i < 9; ++i) second.prompt_ids.push_back(5 + i);
  second.options.max_tokens = 8;
  const GenerateResult turn2 = RunReq(*engine, second);
  // Positions 0..68 were written (the last reply token never is): 4 blocks.
  EXPECT_EQ(turn2.stats.cached_prompt_tokens, 64);
  EXPECT_EQ(turn2.output_ids, SlabOutput(second));
}

TEST(PrefixCacheTest, ConcurrentRequestsShareBlocksAndMatchTheColdOutput) {
  std::unique_ptr<Engine> engine = Load(16, 0, 4);
  ASSERT_NE(engine, nullptr);
  const GenerateRequest request = Greedy(64, 3, 20);
  const std::vector<int32_t> want = SlabOutput(request);
  RunReq(*engine, request);  // publishes the prompt's 4 blocks
  std::vector<std::shared_ptr<GenerationStream>> streams;
  for (int i = 0; i < 4; ++i) {
    auto stream = engine->Submit(request);
    ASSERT_TRUE(stream.ok()) << stream.status();
    streams.push_back(*stream);
  }
  for (auto& stream : streams) {
    std::vector<int32_t> ids;
    while (true) {
      std::optional<StreamEvent> e = stream->Next(absl::Seconds(60));
      ASSERT_TRUE(e.has_value());
      if (e->final) {
        EXPECT_TRUE(e->status.ok()) << e->status;
        EXPECT_EQ(e->stats.cached_prompt_tokens, 63);
        break;
      }
      ids.push_back(e->token);
    }
    EXPECT_EQ(ids, want);
  }
}

TEST(PrefixCacheTest, PressureEvictsOldPrefixesAndShortPoolsWaitOrRefuse) {
  // 12 blocks of 16: 192 positions for everything.
  std::unique_ptr<Engine> engine = Load(16, 12);
  ASSERT_NE(engine, nullptr);
  const GenerateRequest a = Greedy(64, 1, 8);
  RunReq(*engine, a);
  EXPECT_EQ(RunReq(*engine, a).stats.cached_prompt_tokens, 63);
  // 150 + 10 positions: 10 blocks, so a's cached blocks are needed.
  const GenerateRequest b = Greedy(150, 2, 10);
  EXPECT_EQ(RunReq(*engine, b).output_ids, SlabOutput(b));
  const GenerateResult a_again = RunReq(*engine, a);
  EXPECT_LT(a_again.stats.cached_prompt_tokens, 63);
  EXPECT_EQ(a_again.output_ids, SlabOutput(a));
  // Two requests of 8 blocks each: the second waits for the first.
  const GenerateRequest c = Greedy(100, 3, 28), d = Greedy(100, 4, 28);
  auto sc = engine->Submit(c);
  auto sd = engine->Submit(d);
  ASSERT_TRUE(sc.ok() && sd.ok());
  for (auto* s : {&*sc, &*sd}) {
    while (true) {
      std::optional<StreamEvent> e = (*s)->Next(absl::Seconds(60));
      ASSERT_TRUE(e.has_value());
      if (!e->final) continue;
      EXPECT_TRUE(e->status.ok()) << e->status;
      break;
    }
  }
  // More than the pool could ever hold.
  absl::StatusOr<std::shared_ptr<GenerationStream>> never =
      engine->Submit(Greedy(200, 5, 50));
  EXPECT_TRUE(absl::IsResourceExhausted(never.status())) << never.status();
  EXPECT_THAT(std::string(never.status().message()),
              HasSubstr("the pool has 12 (--kv-blocks)"));
}

TEST(PrefixCacheTest, CancellationGivesTheBlocksBack) {
  // A generation long enough (about 2,000 steps) that it is still running
  // when the test cancels it, however slowly this thread is scheduled: with
  // 200 steps the tiny model finished first on a busy machine.
  std::unique_ptr<Engine> engine = Load(16, 0, 2, /*context=*/2048);
  ASSERT_NE(engine, nullptr);
  auto stream = engine->Submit(Greedy(50, 9, 1990));
  ASSERT_TRUE(stream.ok());
  std::optional<StreamEvent> e = (*stream)->Next(absl::Seconds(60));
  ASSERT_TRUE(e.has_value());
  // The counters are refreshed after each step.
  Engine::Counters busy;
  for (int i = 0; i < 100; ++i) {
    busy = engine->counters();
    if (busy.kv_blocks_free < busy.kv_blocks_total) break;
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_GT(busy.kv_blocks_total, 0);
  EXPECT_LT(busy.kv_blocks_free, busy.kv_blocks_total);
  (*stream)->Cancel();
  while (e.has_value() && !e->final) e = (*stream)->Next(absl::Seconds(60));
  ASSERT_TRUE(e.has_value());
  EXPECT_TRUE(absl::IsCancelled(e->status)) << e->status;
  Engine::Counters idle;
  for (int i = 0; i < 100; ++i) {
    idle = engine->counters();
    if (idle.active == 0 && idle.kv_blocks_free == idle.kv_blocks_total &&
        idle.kv_blocks_cached > 0) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(idle.kv_blocks_free, idle.kv_blocks_total);
  EXPECT_GT(idle.kv_blocks_cached, 0);  // its full blocks stay cached
}

// Gemma 3's sliding-window layers (tiny-gemma3: window 32) keep only their
// window's blocks and still let a prompt reuse a cached prefix: greedy
// output equals the slab's cold run, for a repeated prompt, a shared prefix
// with a new ending, and a conversation's next turn.
TEST(PrefixCacheTest, SlidingWindowModelsReusePrefixesWithTheColdOutput) {
  const std::string path = ModelFile("tiny-gemma3");
  std::unique_ptr<Engine> paged = LoadFile(path, 16);
  std::unique_ptr<Engine> slab = LoadFile(path, 0);
  ASSERT_NE(paged, nullptr);
  ASSERT_NE(slab, nullptr);
  const GenerateRequest request = Greedy(100, 1, 12);
  const std::vector<int32_t> want = RunReq(*slab, request).output_ids;
  ASSERT_EQ(want.size(), 12u);
  EXPECT_EQ(RunReq(*paged, request).output_ids, want);
  const GenerateResult warm = RunReq(*paged, request);
  EXPECT_EQ(warm.stats.cached_prompt_tokens, 96);
  EXPECT_EQ(warm.output_ids, want);
  // The same first 80 tokens, another ending.
  GenerateRequest other = request;
  for (size_t i = 80; i < other.prompt_ids.size(); ++i) {
    other.prompt_ids[i] = 7 + static_cast<int32_t>(i);
  }
  const GenerateResult shared = RunReq(*paged, other);
  EXPECT_EQ(shared.stats.cached_prompt_tokens, 80);
  EXPECT_EQ(shared.output_ids, RunReq(*slab, other).output_ids);
  // The next turn: the prompt, the reply, more text.
  GenerateRequest next = request;
  next.prompt_ids.insert(next.prompt_ids.end(), want.begin(), want.end());
  for (int i = 0; i < 9; ++i) next.prompt_ids.push_back(5 + i);
  const GenerateResult turn2 = RunReq(*paged, next);
  EXPECT_EQ(turn2.stats.cached_prompt_tokens, 96);
  EXPECT_EQ(turn2.output_ids, RunReq(*slab, next).output_ids);
}

// A prefix cached before a cold request of the same size still hits when
// the pools hold both. tiny-gemma3 (window 32) at context 512, one
// generation slot and the embedding slot, blocks of 16, passes of 64:
// group 0's pool is 2 x 32 = 64 blocks, room for the prefix's 28 and the
// cold request's 27; the window layers' pool is 2 x (8 + 2) = 20 blocks
// (KvCache::DefaultWindowBlocks: every slot's peak plus one window), room
// for the cold request's peak of 8 and the prefix's last window (positions
// 369..399: 2 blocks). The cold request passes 27 window blocks and gives
// each back as its window slides; the prefix was written with 1 or with
// 40 generated tokens after it (then its window at 400 was given back
// before the request ended).
TEST(PrefixCacheTest, AColdRequestLeavesTheLastWindowOfACachedPrefix) {
  const std::string path = ModelFile("tiny-gemma3");
  std::unique_ptr<Engine> slab = LoadFile(path, 0, 0, 1, 512);
  ASSERT_NE(slab, nullptr);
  for (const int32_t generated : {1, 40}) {
    SCOPED_TRACE(absl::StrCat(generated, " tokens generated after the prefix"));
    std::unique_ptr<Engine> paged = LoadFile(path, 16, 0, 1, 512);
    ASSERT_NE(paged, nullptr);
    EXPECT_EQ(paged->counters().kv_blocks_total, 64);
    const GenerateRequest prefix = Greedy(400, 1, generated);
    EXPECT_EQ(RunReq(*paged, prefix).stats.cached_prompt_tokens, 0);
    const GenerateRequest cold = Greedy(410, 2, 8);
    const GenerateResult cold_run = RunReq(*paged, cold);
    EXPECT_EQ(cold_run.stats.cached_prompt_tokens, 0);
    EXPECT_EQ(cold_run.output_ids, RunReq(*slab, cold).output_ids);
    GenerateRequest warm = prefix;
    for (int32_t i = 0; i < 10; ++i) warm.prompt_ids.push_back(500 + i);
    warm.options.max_tokens = 12;
    const GenerateResult hit = RunReq(*paged, warm);
    EXPECT_EQ(hit.stats.cached_prompt_tokens, 400);
    EXPECT_EQ(hit.output_ids, RunReq(*slab, warm).output_ids);
  }
}

// Embed on a decoder with last-token pooling reuses a cached prefix (only
// the last token's state is pooled): the same vector as a cold pass, bit
// for bit; mean pooling needs every token's state and reuses nothing.
TEST(PrefixCacheTest, LastTokenEmbeddingsReuseACachedPrefix) {
  std::unique_ptr<Engine> engine = Load(16);
  ASSERT_NE(engine, nullptr);
  std::vector<int32_t> text = Greedy(70, 5, 1).prompt_ids;
  const auto embed = [&](Pooling pooling, bool cache) {
    EmbedRequest r;
    r.token_ids = {text};
    r.options.pooling = pooling;
    r.options.prefix_cache = cache;
    absl::StatusOr<EmbedResult> result = engine->Embed(std::move(r));
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : EmbedResult{};
  };
  const EmbedResult cold = embed(Pooling::kLastToken, false);
  ASSERT_EQ(cold.vectors.size(), 1u);
  EXPECT_EQ(cold.cached_tokens, 0);
  embed(Pooling::kLastToken, true);  // publishes the text's 4 full blocks
  const EmbedResult warm = embed(Pooling::kLastToken, true);
  EXPECT_EQ(warm.cached_tokens, 64);
  EXPECT_EQ(warm.vectors, cold.vectors);
  // A generation's prompt with the same start reuses the embedding's blocks.
  GenerateRequest request = Greedy(70, 5, 4);
  request.prompt_ids.push_back(9);
  EXPECT_EQ(RunReq(*engine, request).stats.cached_prompt_tokens, 64);
  EXPECT_EQ(embed(Pooling::kMean, true).cached_tokens, 0);
}

}  // namespace
}  // namespace edgellm
