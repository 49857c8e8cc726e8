// The public API (edgellm.h) end to end on a random-weight model the test
// writes itself: generation through the scheduler equals the single-stream
// path, concurrent requests, cancellation, limits, embeddings, text.
#include "runtime/engine/edgellm.h"

#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/model/random_model.h"

namespace edgellm {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string TinyModel() {
  static const std::string* path = [] {
    const char* dir = std::getenv("TEST_TMPDIR");
    auto* p = new std::string(std::string(dir ? dir : "/tmp") +
                              "/edgellm_api_tiny.gguf");
    auto spec = model::NamedRandomModelSpec("tiny");
    EXPECT_TRUE(spec.ok());
    EXPECT_TRUE(model::WriteRandomModel(*spec, *p, false).ok());
    return p;
  }();
  return *path;
}

std::unique_ptr<Engine> Load(int32_t parallel = 2, int32_t queue = 4,
                             int32_t context = 256) {
  EngineOptions options;
  options.model_path = TinyModel();
  options.threads = 1;
  options.parallel = parallel;
  options.queue = queue;
  options.context = context;
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Load(options);
  EXPECT_TRUE(engine.ok()) << engine.status();
  return engine.ok() ? std::move(*engine) : nullptr;
}

GenerateRequest Greedy(std::string prompt, int32_t max_tokens) {
  GenerateRequest r;
  r.prompt = std::move(prompt);
  r.options.max_tokens = max_tokens;
  r.options.ignore_eos = true;
  r.options.sampling.temperature = 0.0f;
  return r;
}

TEST(EngineApiTest, LoadErrorsNameTheOption) {
  EngineOptions options;
  EXPECT_THAT(std::string(Engine::Load(options).status().message()),
              StartsWith("model_path"));
  options.model_path = TinyModel();
  options.parallel = 0;
  EXPECT_THAT(std::string(Engine::Load(options).status().message()),
              StartsWith("parallel"));
  options.parallel = 1;
  options.chat_template = "no-such-family";
  EXPECT_THAT(std::string(Engine::Load(options).status().message()),
              StartsWith("chat_template"));
  options.chat_template = "";
  options.model_path = "/nonexistent/model.gguf";
  EXPECT_FALSE(Engine::Load(options).ok());
}

TEST(EngineApiTest, MemoryEstimateIsWhatLoadHolds) {
  // The slab and the paged cache (default pool, --kv-blocks), on a model
  // of full-context layers and one with sliding-window layers.
  const char* dir = std::getenv("TEST_TMPDIR");
  const std::string gemma3 =
      std::string(dir ? dir : "/tmp") + "/edgellm_api_tiny_gemma3.gguf";
  auto spec = model::NamedRandomModelSpec("tiny-gemma3");
  ASSERT_TRUE(spec.ok());
  ASSERT_TRUE(model::WriteRandomModel(*spec, gemma3, false).ok());
  struct Paging {
    int32_t block_size, blocks;
  };
  for (const std::string& path : {TinyModel(), gemma3}) {
    for (Paging paging : {Paging{0, 0}, Paging{16, 0}, Paging{16, 7}}) {
      for (KvCacheType kv :
           {KvCacheType::kF32, KvCacheType::kF16, KvCacheType::kQ8_0}) {
        for (bool embedding_slot : {true, false}) {
          SCOPED_TRACE(absl::StrCat(path, " block size ", paging.block_size,
                                    " blocks ", paging.blocks));
          EngineOptions options;
          options.model_path = path;
          options.threads = 1;
          options.parallel = 3;
          options.context = 128;
          options.kv_type = kv;
          options.kv_block_size = paging.block_size;
          options.kv_blocks = paging.blocks;
          options.embedding_slot = embedding_slot;
          absl::StatusOr<MemoryEstimate> e = EstimateMemory(options);
          ASSERT_TRUE(e.ok()) << e.status();
          absl::StatusOr<std::unique_ptr<Engine>> engine =
              Engine::Load(options);
          ASSERT_TRUE(engine.ok()) << engine.status();
          const ModelInfo& info = (*engine)->info();
          EXPECT_EQ(e->model_bytes, info.model_bytes);
          EXPECT_EQ(e->kv_cache_bytes, info.kv_cache_bytes);
          EXPECT_EQ(e->context, info.context_length);
          EXPECT_EQ(e->slots, 3 + (embedding_slot ? 1 : 0));
        }
      }
    }
  }
  // --kv-blocks is what the estimate follows: 7 blocks hold less than 4
  // slots' slabs of 128 positions.
  EngineOptions small;
  small.model_path = TinyModel();
  small.parallel = 3;
  small.context = 128;
  EngineOptions pooled = small;
  pooled.kv_block_size = 16;
  pooled.kv_blocks = 7;
  small.kv_block_size = 0;  // the slabs: 4 slots x 128 positions
  EXPECT_EQ(EstimateMemory(pooled)->kv_cache_bytes * (4 * 128),
            EstimateMemory(small)->kv_cache_bytes * (7 * 16));
  // q8_0 (head_dim 32: blocks of 32 values and an fp16 scale, 34 bytes)
  // against f16 (2 bytes a value), slab and paged.
  for (int32_t block_size : {0, 16}) {
    EngineOptions q8 = small;
    q8.kv_block_size = block_size;
    EngineOptions f16 = q8;
    q8.kv_type = KvCacheType::kQ8_0;
    f16.kv_type = KvCacheType::kF16;
    EXPECT_EQ(EstimateMemory(q8)->kv_cache_bytes * 64,
              EstimateMemory(f16)->kv_cache_bytes * 34);
  }
  EngineOptions missing;
  missing.model_path = "/nonexistent/model.gguf";
  EXPECT_FALSE(EstimateMemory(missing).ok());
}

TEST(EngineApiTest, CountersReportKvPositionsOfRunningGenerations) {
  std::unique_ptr<Engine> engine = Load(/*parallel=*/2, 4, /*context=*/256);
  ASSERT_NE(engine, nullptr);
  Engine::Counters idle = engine->counters();
  EXPECT_EQ(idle.kv_positions_total, 2 * 256);
  EXPECT_EQ(idle.kv_positions_used, 0);
  GenerateRequest r = Greedy("once upon a time", 200);
  absl::StatusOr<std::shared_ptr<GenerationStream>> stream =
      engine->Submit(std::move(r));
  ASSERT_TRUE(stream.ok()) << stream.status();
  // After a few tokens the slot holds the prompt and them.
  int tokens = 0;
  while (tokens < 5) {
    std::optional<StreamEvent> e = (*stream)->Next(absl::Seconds(10));
    ASSERT_TRUE(e.has_value());
    ASSERT_FALSE(e->final);
    ++tokens;
  }
  const Engine::Counters running = engine->counters();
  EXPECT_GE(running.kv_positions_used, 5);
  EXPECT_LE(running.kv_positions_used, 256);
  (*stream)->Cancel();
  while (true) {
    std::optional<StreamEvent> e = (*stream)->Next(absl::Seconds(10));
    ASSERT_TRUE(e.has_value());
    if (e->final) break;
  }
  // Freed with the slot.
  const absl::Time end = absl::Now() + absl::Seconds(10);
  while (engine->counters().kv_positions_used != 0 && absl::Now() < end) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  EXPECT_EQ(engine->counters().kv_positions_used, 0);
}

TEST(EngineApiTest, ConcurrentGenerationsAreEachTheirOwnGreedyRun) {
  std::unique_ptr<Engine> engine = Load(/*parallel=*/3);
  ASSERT_NE(engine, nullptr);
  const std::vector<std::string> prompts = {"once upon a time", "the cat",
                                            "a dog ran", "in the park"};
  std::vector<GenerateResult> alone;
  for (const std::string& p : prompts) {
    absl::StatusOr<GenerateResult> r = engine->Generate(Greedy(p, 24));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->output_ids.size(), 24u);
    alone.push_back(*r);
  }
  std::vector<GenerateResult> together(prompts.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < prompts.size(); ++i) {
    threads.emplace_back([&, i] {
      absl::StatusOr<GenerateResult> r =
          engine->Generate(Greedy(prompts[i], 24));
      ASSERT_TRUE(r.ok()) << r.status();
      together[i] = *r;
    });
  }
  for (std::thread& t : threads) t.join();
  for (size_t i = 0; i < prompts.size(); ++i) {
    EXPECT_EQ(together[i].output_ids, alone[i].output_ids) << prompts[i];
    EXPECT_EQ(together[i].text, alone[i].text);
    EXPECT_EQ(together[i].prompt_ids, alone[i].prompt_ids);
  }
  const Engine::Counters c = engine->counters();
  EXPECT_EQ(c.active, 0);
  EXPECT_EQ(c.queued, 0);
  EXPECT_EQ(c.finished, 8);
}

TEST(EngineApiTest, CallbackStopIsANormalEndWithCancelledReason) {
  std::unique_ptr<Engine> engine = Load();
  ASSERT_NE(engine, nullptr);
  int seen = 0;
  absl::StatusOr<GenerateResult> r =
      engine->Generate(Greedy("hello", 100), [&](const TokenEvent& e) {
        EXPECT_EQ(e.index, seen);
        return ++seen < 5;
      });
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->finish_reason, FinishReason::kCancelled);
  EXPECT_EQ(seen, 5);
}

TEST(EngineApiTest, StreamCancelAndDeadline) {
  std::unique_ptr<Engine> engine = Load(/*parallel=*/1, /*queue=*/2);
  ASSERT_NE(engine, nullptr);
  absl::StatusOr<std::shared_ptr<GenerationStream>> running =
      engine->Submit(Greedy("hello", 200));
  ASSERT_TRUE(running.ok());
  GenerateRequest timed = Greedy("hello", 200);
  timed.deadline = absl::Now() - absl::Seconds(1);
  absl::StatusOr<std::shared_ptr<GenerationStream>> late =
      engine->Submit(std::move(timed));
  ASSERT_TRUE(late.ok());
  (*running)->Cancel();
  for (auto* stream : {&*running, &*late}) {
    std::optional<StreamEvent> e;
    while ((e = (**stream).Next(absl::Seconds(10))).has_value() && !e->final) {
    }
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->finish_reason, FinishReason::kCancelled);
  }
  // Read in that order: the first was cancelled, the second timed out.
}

TEST(EngineApiTest, RequestLimitsAreInvalidArgumentNamingTheField) {
  std::unique_ptr<Engine> engine = Load();
  ASSERT_NE(engine, nullptr);
  struct Case {
    GenerateRequest request;
    std::string field;
  };
  std::vector<Case> cases;
  cases.push_back({Greedy("", 4), "prompt"});
  {
    GenerateRequest r = Greedy("x", 4);
    r.options.stop.assign(RequestLimits::kMaxStopStrings + 1, "a");
    cases.push_back({r, "limits.stop:"});
  }
  {
    GenerateRequest r = Greedy("x", 4);
    r.options.stop = {"a",
                      std::string(RequestLimits::kMaxStopStringBytes + 1, 'b')};
    cases.push_back({r, "limits.stop[1]"});
  }
  {
    GenerateRequest r = Greedy("x", 4);
    r.options.sampling.temperature = -1;
    cases.push_back({r, "sampling.temperature"});
  }
  {
    GenerateRequest r = Greedy("x", 4);
    for (int i = 0; i <= SamplingParams::kMaxLogitBias; ++i) {
      r.options.sampling.logit_bias.emplace_back(1, 0.5f);
    }
    cases.push_back({r, "sampling.logit_bias"});
  }
  {
    GenerateRequest r = Greedy("x", 4);
    r.options.max_tokens = -1;
    cases.push_back({r, "limits.max_tokens"});
  }
  {
    GenerateRequest r;
    r.prompt_ids.assign(300, 1);  // the context is 256
    cases.push_back({r, "prompt"});
  }
  for (Case& c : cases) {
    SCOPED_TRACE(c.field);
    absl::StatusOr<std::shared_ptr<GenerationStream>> s =
        engine->Submit(std::move(c.request));
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(s.status().message()), StartsWith(c.field));
  }
  EXPECT_EQ(engine->counters().finished, 0);
}

TEST(EngineApiTest, HugeMaxTokensIsCappedByTheContextNotAllocated) {
  std::unique_ptr<Engine> engine = Load(1, 0, /*context=*/64);
  ASSERT_NE(engine, nullptr);
  GenerateRequest r = Greedy("hello", 2147483647);
  absl::StatusOr<GenerateResult> result = engine->Generate(std::move(r));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->finish_reason, FinishReason::kContextFull);
  // Every position is fed, and the token sampled at the last one is
  // emitted too (it is never fed).
  EXPECT_EQ(result->prompt_ids.size() + result->output_ids.size(), 65u);
}

TEST(EngineApiTest, QueueFullIsResourceExhausted) {
  std::unique_ptr<Engine> engine = Load(/*parallel=*/1, /*queue=*/1);
  ASSERT_NE(engine, nullptr);
  auto a = engine->Submit(Greedy("a", 200));
  auto b = engine->Submit(Greedy("b", 200));
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  auto c = engine->Submit(Greedy("c", 200));
  EXPECT_EQ(c.status().code(), absl::StatusCode::kResourceExhausted);
  (*a)->Cancel();
  (*b)->Cancel();
}

TEST(EngineApiTest, EmbedMatchesInOrderAndValidates) {
  std::unique_ptr<Engine> engine = Load();
  ASSERT_NE(engine, nullptr);
  ASSERT_TRUE(engine->info().embeddings);
  EmbedRequest request;
  request.texts = {"a red ball", "a blue car", "a red ball"};
  request.options.normalize = true;
  absl::StatusOr<EmbedResult> r = engine->Embed(request);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->vectors.size(), 3u);
  EXPECT_EQ(r->vectors[0], r->vectors[2]);
  EXPECT_NE(r->vectors[0], r->vectors[1]);
  EXPECT_EQ(r->vectors[0].size(),
            static_cast<size_t>(engine->info().embedding_length));
  EXPECT_EQ(r->pooling, Pooling::kMean);  // the tiny model's default
  EXPECT_EQ(
      r->tokens[0],
      static_cast<int32_t>(engine->Tokenize("a red ball", true, false).size()));

  EmbedRequest bad;
  bad.texts = {"x", ""};
  EXPECT_THAT(std::string(engine->Embed(bad).status().message()),
              StartsWith("texts[1]"));
  bad.texts.assign(RequestLimits::kMaxEmbedTexts + 1, "x");
  EXPECT_THAT(std::string(engine->Embed(bad).status().message()),
              StartsWith("texts:"));
  bad.texts = {};
  bad.token_ids = {{1, 2}, {}};
  EXPECT_THAT(std::string(engine->Embed(bad).status().message()),
              StartsWith("token_ids[1]"));
}

TEST(EngineApiTest, NoEmbeddingSlotIsUnimplemented) {
  EngineOptions options;
  options.model_path = TinyModel();
  options.threads = 1;
  options.embedding_slot = false;
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Load(options);
  ASSERT_TRUE(engine.ok()) << engine.status();
  EXPECT_FALSE((*engine)->info().embeddings);
  EmbedRequest request;
  request.texts = {"x"};
  EXPECT_EQ((*engine)->Embed(request).status().code(),
            absl::StatusCode::kUnimplemented);
}

TEST(EngineApiTest, TokenizeDetokenizeAndInfo) {
  std::unique_ptr<Engine> engine = Load();
  ASSERT_NE(engine, nullptr);
  const std::vector<int32_t> ids =
      engine->Tokenize("hello world", false, false);
  ASSERT_FALSE(ids.empty());
  absl::StatusOr<std::string> text = engine->Detokenize(ids, false);
  ASSERT_TRUE(text.ok());
  EXPECT_THAT(*text, HasSubstr("hello world"));
  const std::vector<int32_t> bad = {1, -5};
  EXPECT_THAT(std::string(engine->Detokenize(bad, false).status().message()),
              StartsWith("token_ids[1]"));
  const ModelInfo& info = engine->info();
  EXPECT_EQ(info.architecture, "llama");
  EXPECT_EQ(info.context_length, 256);
  EXPECT_EQ(info.parallel, 2);
  EXPECT_GT(info.kv_cache_bytes, 0);
  EXPECT_THAT(info.quantization, HasSubstr("Q8_0 x"));
}

TEST(EngineApiTest, ShutdownEndsQueuedAndRunningWithUnavailable) {
  std::unique_ptr<Engine> engine = Load(/*parallel=*/1, /*queue=*/2);
  ASSERT_NE(engine, nullptr);
  auto a = engine->Submit(Greedy("a", 250));
  auto b = engine->Submit(Greedy("b", 250));
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  engine->Shutdown(absl::ZeroDuration());
  for (auto* s : {&*a, &*b}) {
    std::optional<StreamEvent> e;
    while ((e = (**s).Next(absl::Seconds(10))).has_value() && !e->final) {
    }
    ASSERT_TRUE(e.has_value());
    // Either it finished before the shutdown (OK) or was ended by it.
    if (!e->status.ok()) {
      EXPECT_EQ(e->status.code(), absl::StatusCode::kUnavailable);
    }
  }
  EXPECT_EQ(engine->Submit(Greedy("c", 4)).status().code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace edgellm
