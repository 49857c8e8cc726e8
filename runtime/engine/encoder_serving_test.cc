// The Engine serving encoder-only models (random bert and bert reranker
// files the test writes): Embed and Rerank give what EncoderEngine gives
// for each text on its own, however requests are batched together; a
// request's texts share forward passes; generation, and reranking with a
// model that cannot, answer UNIMPLEMENTED saying why; bad requests name
// the field; shutdown ends what is left.
#include <cmath>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/engine/edgellm.h"
#include "runtime/engine/encoder_engine.h"
#include "runtime/model/random_model.h"

namespace edgellm {
namespace {

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

std::unique_ptr<Engine> LoadEngine(const std::string& path, int queue = 16) {
  EngineOptions options;
  options.model_path = path;
  options.threads = 1;
  options.queue = queue;
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Load(options);
  EXPECT_TRUE(engine.ok()) << engine.status();
  return engine.ok() ? std::move(*engine) : nullptr;
}

std::unique_ptr<engine::EncoderEngine> LoadDirect(const std::string& path) {
  auto e = engine::EncoderEngine::Load({.model_path = path, .threads = 1});
  EXPECT_TRUE(e.ok()) << e.status();
  return e.ok() ? std::move(*e) : nullptr;
}

const std::vector<std::string>& Texts() {
  static const auto* texts = new std::vector<std::string>{
      "what is a red ball",
      "the cat sat on the mat",
      "a",
      "blue cars are fast and red balls are round",
      "hello world",
      "is the sky blue today or is it going to rain",
  };
  return *texts;
}

void ExpectNear(const std::vector<float>& a, const std::vector<float>& b,
                const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t i = 0; i < a.size(); ++i) {
    // Packed passes differ from single ones only in summation order.
    EXPECT_NEAR(a[i], b[i], 1e-4f * (1 + std::fabs(b[i])))
        << what << "[" << i << "]";
  }
}

TEST(EncoderServingTest, InfoSaysWhatTheModelDoes) {
  std::unique_ptr<Engine> bert = LoadEngine(WriteShape("tiny-bert"));
  ASSERT_NE(bert, nullptr);
  const ModelInfo& info = bert->info();
  EXPECT_EQ(info.architecture, "bert");
  EXPECT_FALSE(info.generates);
  EXPECT_FALSE(info.reranks);
  EXPECT_TRUE(info.embeddings);
  EXPECT_EQ(info.tokenizer, "wordpiece");
  EXPECT_GT(info.context_length, 0);
  EXPECT_EQ(info.kv_cache_bytes, 0);
  EXPECT_FALSE(info.pooling.empty());
  std::unique_ptr<Engine> rerank = LoadEngine(WriteShape("tiny-bert-rerank"));
  ASSERT_NE(rerank, nullptr);
  EXPECT_TRUE(rerank->info().reranks);
  EXPECT_EQ(rerank->info().pooling, "rank");
}

TEST(EncoderServingTest, GenerationIsUnimplementedSayingWhy) {
  std::unique_ptr<Engine> engine = LoadEngine(WriteShape("tiny-bert"));
  ASSERT_NE(engine, nullptr);
  GenerateRequest g;
  g.prompt = "hello";
  absl::StatusOr<GenerateResult> r = engine->Generate(g);
  ASSERT_EQ(r.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("encoder-only"));
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("cannot generate text"));
  EXPECT_EQ(engine->Submit(g).status().code(),
            absl::StatusCode::kUnimplemented);
  ChatRequest chat;
  chat.messages.push_back({.role = "user", .content = "hi"});
  EXPECT_EQ(engine->SubmitChat(chat).status().code(),
            absl::StatusCode::kUnimplemented);
  EXPECT_EQ(engine->RenderChat(chat).status().code(),
            absl::StatusCode::kUnimplemented);
  // Tokenizing still works: it is the model's vocabulary.
  EXPECT_FALSE(engine->Tokenize("hello", true, false).empty());
}

TEST(EncoderServingTest, EmbedEqualsEachTextAloneAndPacksTexts) {
  const std::string path = WriteShape("tiny-bert");
  std::unique_ptr<Engine> engine = LoadEngine(path);
  std::unique_ptr<engine::EncoderEngine> direct = LoadDirect(path);
  ASSERT_NE(engine, nullptr);
  ASSERT_NE(direct, nullptr);
  for (bool normalize : {false, true}) {
    EmbedRequest request;
    request.texts = Texts();
    request.options.normalize = normalize;
    const int64_t steps_before = engine->counters().steps;
    absl::StatusOr<EmbedResult> got = engine->Embed(request);
    ASSERT_TRUE(got.ok()) << got.status();
    // Six short texts: one forward pass.
    EXPECT_EQ(engine->counters().steps - steps_before, 1);
    ASSERT_EQ(got->vectors.size(), Texts().size());
    for (size_t i = 0; i < Texts().size(); ++i) {
      auto alone = direct->Embed({Texts()[i]}, {.normalize = normalize});
      ASSERT_TRUE(alone.ok());
      ExpectNear(got->vectors[i], alone->embeddings[0],
                 absl::StrCat("texts[", i, "]"));
      EXPECT_EQ(got->tokens[i], alone->token_ids[0].size());
      EXPECT_EQ(got->vectors[i].size(),
                static_cast<size_t>(engine->info().embedding_length));
    }
  }
}

TEST(EncoderServingTest, ConcurrentRequestsEachGetTheirOwnVectors) {
  const std::string path = WriteShape("tiny-bert");
  std::unique_ptr<Engine> engine = LoadEngine(path, /*queue=*/64);
  std::unique_ptr<engine::EncoderEngine> direct = LoadDirect(path);
  ASSERT_NE(engine, nullptr);
  std::vector<std::vector<float>> expected;
  for (const std::string& t : Texts()) {
    expected.push_back(direct->Embed({t}, {})->embeddings[0]);
  }
  constexpr int kThreads = 6, kRounds = 8;
  std::vector<std::thread> threads;
  std::vector<std::vector<std::vector<float>>> got(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRounds; ++r) {
        EmbedRequest request;
        request.texts = {Texts()[(t + r) % Texts().size()]};
        absl::StatusOr<EmbedResult> result = engine->Embed(request);
        got[t].push_back(result.ok() ? result->vectors[0]
                                     : std::vector<float>{});
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int t = 0; t < kThreads; ++t) {
    for (int r = 0; r < kRounds; ++r) {
      ExpectNear(got[t][r], expected[(t + r) % Texts().size()],
                 absl::StrCat("thread ", t, " round ", r));
    }
  }
  EXPECT_EQ(engine->counters().finished, kThreads * kRounds);
}

TEST(EncoderServingTest, ManyTextsRunInBoundedPasses) {
  std::unique_ptr<Engine> engine = LoadEngine(WriteShape("tiny-bert"));
  ASSERT_NE(engine, nullptr);
  EmbedRequest request;
  for (int i = 0; i < RequestLimits::kMaxEmbedTexts; ++i) {
    request.texts.push_back(Texts()[i % Texts().size()]);
  }
  absl::StatusOr<EmbedResult> got = engine->Embed(request);
  ASSERT_TRUE(got.ok()) << got.status();
  const Engine::Counters c = engine->counters();
  // Packed, but never more than a pass's tokens (1024) at once.
  EXPECT_GT(c.steps, 1);
  EXPECT_LT(c.steps, RequestLimits::kMaxEmbedTexts / 8);
  EXPECT_LE(c.batched_tokens, c.steps * 1024);
}

TEST(EncoderServingTest, RerankEqualsTheEncoderInInputOrder) {
  const std::string path = WriteShape("tiny-bert-rerank");
  std::unique_ptr<Engine> engine = LoadEngine(path);
  std::unique_ptr<engine::EncoderEngine> direct = LoadDirect(path);
  ASSERT_NE(engine, nullptr);
  RerankRequest request;
  request.query = "what is a red ball";
  request.documents = Texts();
  absl::StatusOr<std::vector<float>> got = engine->Rerank(request);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), Texts().size());
  for (size_t i = 0; i < Texts().size(); ++i) {
    auto alone = direct->Rerank(request.query, {Texts()[i]});
    ASSERT_TRUE(alone.ok());
    EXPECT_NEAR((*got)[i], (*alone)[0], 1e-4f * (1 + std::fabs((*alone)[0])))
        << "documents[" << i << "]";
  }
  // A reranker embeds only with a pooling named.
  EmbedRequest embed;
  embed.texts = {"a red ball"};
  absl::StatusOr<EmbedResult> e = engine->Embed(embed);
  ASSERT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(e.status().message()), HasSubstr("pooling: "));
  embed.options.pooling = Pooling::kCls;
  e = engine->Embed(embed);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->pooling, Pooling::kCls);
}

TEST(EncoderServingTest, RerankErrorsNameTheField) {
  std::unique_ptr<Engine> engine = LoadEngine(WriteShape("tiny-bert-rerank"));
  ASSERT_NE(engine, nullptr);
  const auto error = [&](RerankRequest r) {
    absl::StatusOr<std::vector<float>> s = engine->Rerank(std::move(r));
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(s.status().message());
  };
  EXPECT_THAT(error({.query = "", .documents = {"a"}}), HasSubstr("query: "));
  EXPECT_THAT(error({.query = "q", .documents = {}}), HasSubstr("documents: "));
  EXPECT_THAT(error({.query = "q", .documents = {"a", ""}}),
              HasSubstr("documents[1]: empty"));
  RerankRequest many{.query = "q"};
  many.documents.assign(RequestLimits::kMaxRerankDocuments + 1, "a");
  EXPECT_THAT(error(many), HasSubstr("documents: 513 documents; at most 512"));
  std::string long_text;
  for (int i = 0; i < engine->info().context_length; ++i) long_text += "a ";
  EXPECT_THAT(error({.query = "q", .documents = {"a", long_text}}),
              HasSubstr("documents[1]: "));
  EXPECT_THAT(error({.query = long_text, .documents = {"a"}}),
              HasSubstr("query: "));
}

TEST(EncoderServingTest, ModelsThatCannotRerankAreUnimplemented) {
  std::unique_ptr<Engine> bert = LoadEngine(WriteShape("tiny-bert"));
  ASSERT_NE(bert, nullptr);
  absl::StatusOr<std::vector<float>> r =
      bert->Rerank({.query = "q", .documents = {"a"}});
  ASSERT_EQ(r.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("cannot rerank"));
  std::unique_ptr<Engine> decoder = LoadEngine(WriteShape("tiny"));
  ASSERT_NE(decoder, nullptr);
  EXPECT_TRUE(decoder->info().generates);
  EXPECT_FALSE(decoder->info().reranks);
  r = decoder->Rerank({.query = "q", .documents = {"a"}});
  ASSERT_EQ(r.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("cross-encoder"));
}

TEST(EncoderServingTest, EmbedErrorsNameTheField) {
  std::unique_ptr<Engine> engine = LoadEngine(WriteShape("tiny-bert"));
  ASSERT_NE(engine, nullptr);
  EmbedRequest r;
  EXPECT_THAT(std::string(engine->Embed(r).status().message()),
              HasSubstr("token_ids"));
  r.texts = {"a", ""};
  EXPECT_THAT(std::string(engine->Embed(r).status().message()),
              HasSubstr("texts[1]: empty"));
  std::string long_text;
  for (int i = 0; i < engine->info().context_length; ++i) long_text += "a ";
  r.texts = {"a", long_text};
  absl::Status s = engine->Embed(r).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("texts[1]"));
}

TEST(EncoderServingTest, ShutdownEndsQueuedWorkAndRefusesNew) {
  std::unique_ptr<Engine> engine = LoadEngine(WriteShape("tiny-bert"), 64);
  ASSERT_NE(engine, nullptr);
  std::vector<std::shared_ptr<EmbedCall>> calls;
  for (int i = 0; i < 32; ++i) {
    EmbedRequest r;
    r.texts.assign(64, Texts()[i % Texts().size()]);
    absl::StatusOr<std::shared_ptr<EmbedCall>> c = engine->SubmitEmbed(r);
    ASSERT_TRUE(c.ok()) << c.status();
    calls.push_back(*c);
  }
  engine->Shutdown(absl::ZeroDuration());
  int unavailable = 0;
  for (auto& c : calls) {
    std::optional<EmbedResult> result = c->Wait(absl::Seconds(30));
    ASSERT_TRUE(result.has_value());
    if (absl::IsUnavailable(result->status))
      ++unavailable;
    else
      EXPECT_TRUE(result->status.ok()) << result->status;
  }
  EXPECT_GT(unavailable, 0);
  EmbedRequest r;
  r.texts = {"a"};
  EXPECT_EQ(engine->Embed(r).status().code(), absl::StatusCode::kUnavailable);
  const Engine::Counters c = engine->counters();
  EXPECT_EQ(c.active + c.queued, 0);
}

TEST(EncoderServingTest, QueueFullIsResourceExhaustedAndCancelEnds) {
  std::unique_ptr<Engine> engine = LoadEngine(WriteShape("tiny-bert"), 2);
  ASSERT_NE(engine, nullptr);
  std::vector<std::shared_ptr<EmbedCall>> calls;
  absl::Status refused;
  for (int i = 0; i < 8 && refused.ok(); ++i) {
    EmbedRequest r;
    r.texts.assign(512, Texts()[3]);
    absl::StatusOr<std::shared_ptr<EmbedCall>> c = engine->SubmitEmbed(r);
    if (c.ok()) {
      calls.push_back(*c);
    } else {
      refused = c.status();
    }
  }
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  for (auto& c : calls) c->Cancel();
  for (auto& c : calls) {
    std::optional<EmbedResult> result = c->Wait(absl::Seconds(30));
    ASSERT_TRUE(result.has_value());
    EXPECT_TRUE(result->status.ok() || absl::IsCancelled(result->status))
        << result->status;
  }
}

TEST(EncoderServingTest, MemoryEstimateIsTheFile) {
  const std::string path = WriteShape("tiny-bert");
  absl::StatusOr<MemoryEstimate> e = EstimateMemory({.model_path = path});
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_GT(e->model_bytes, 0);
  EXPECT_EQ(e->kv_cache_bytes, 0);
}

}  // namespace
}  // namespace edgellm
