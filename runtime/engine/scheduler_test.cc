// The scheduler over a fake model whose next token is a fixed function of
// the input token ("a" -> "b" -> ... -> "z" -> end of text), so every
// request's greedy output is known without a real model. The fake model also
// checks the KV-slot discipline: every slot is fed consecutive positions
// from 0, and each Forward stays within max_batch. Its hidden state for a
// token is {token, pos, slot, 1}, so pooled embeddings are known too.
#include "runtime/engine/scheduler.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgellm::engine {
namespace {

using ::testing::HasSubstr;

constexpr int32_t kUnk = 0, kBos = 1, kEos = 2, kA = 3;
constexpr int32_t kVocab = kA + 26;

std::unique_ptr<tokenizer::Tokenizer> LetterTokenizer() {
  tokenizer::Vocab v;
  v.kind = tokenizer::TokenizerKind::kSpm;
  v.tokens = {"<unk>", "<s>", "</s>"};
  v.types = {tokenizer::TokenType::kUnknown, tokenizer::TokenType::kControl,
             tokenizer::TokenType::kControl};
  for (char c = 'a'; c <= 'z'; ++c) {
    v.tokens.push_back(std::string(1, c));
    v.types.push_back(tokenizer::TokenType::kNormal);
  }
  v.bos = kBos;
  v.eos = kEos;
  v.unk = kUnk;
  v.add_bos = false;
  v.add_space_prefix = false;
  absl::StatusOr<std::unique_ptr<tokenizer::Tokenizer>> t =
      tokenizer::Tokenizer::FromVocab(std::move(v));
  EXPECT_TRUE(t.ok()) << t.status();
  return std::move(*t);
}

// Next token after `token`: the following letter; "z" -> EOS; EOS and other
// specials -> "a".
int32_t NextOf(int32_t token) {
  if (token < kA) return kA;
  if (token == kA + 25) return kEos;
  return token + 1;
}

class FakeModel : public BatchModel {
 public:
  static constexpr int32_t kHidden = 4;

  FakeModel(int32_t slots, int32_t context, int32_t max_batch,
            absl::Duration step_time = absl::ZeroDuration(),
            bool hidden = false)
      : hidden_(hidden),
        slots_(slots),
        context_(context),
        max_batch_(max_batch),
        step_time_(step_time),
        next_pos_(slots, 0) {}

  absl::Status Forward(absl::Span<const model::BatchToken> batch,
                       float* logits) override {
    if (absl::Status s = AcceptBatch(batch); !s.ok()) return s;
    int32_t decode_like = 0;
    for (const model::BatchToken& t : batch) {
      if (t.want_logits) {
        for (int32_t i = 0; i < kVocab; ++i) logits[i] = 0.0f;
        logits[NextOf(t.token)] = 10.0f;
        logits += kVocab;
        ++decode_like;
      }
    }
    int32_t seen = max_rows_.load();
    while (decode_like > seen &&
           !max_rows_.compare_exchange_weak(seen, decode_like)) {
    }
    forwards_.fetch_add(1);
    Record('d', batch.size());
    if (step_time_ > absl::ZeroDuration()) absl::SleepFor(step_time_);
    return absl::OkStatus();
  }
  absl::Status ForwardHidden(absl::Span<const model::BatchToken> batch,
                             float* hidden) override {
    if (!hidden_) return BatchModel::ForwardHidden(batch, hidden);
    if (absl::Status s = AcceptBatch(batch); !s.ok()) return s;
    for (const model::BatchToken& t : batch) {
      if (!t.want_logits) continue;
      hidden[0] = static_cast<float>(t.token);
      hidden[1] = static_cast<float>(t.pos);
      hidden[2] = static_cast<float>(t.slot);
      hidden[3] = 1.0f;
      hidden += kHidden;
    }
    hidden_forwards_.fetch_add(1);
    Record('e', batch.size());
    if (step_time_ > absl::ZeroDuration()) absl::SleepFor(step_time_);
    return absl::OkStatus();
  }
  int32_t hidden_size() const override { return hidden_ ? kHidden : 0; }
  int32_t vocab_size() const override { return kVocab; }
  int32_t context() const override { return context_; }
  int32_t slots() const override { return slots_; }
  int32_t max_batch() const override { return max_batch_; }

  // Passes cost `fixed` + `per_token` x tokens on clock() (the weights
  // read once, then every token's arithmetic), whatever the real time.
  void set_cost(int64_t fixed, int64_t per_token) {
    fixed_cost_ = fixed;
    token_cost_ = per_token;
  }
  NanoClock clock() {
    return [this] { return now_.load(); };
  }
  struct Pass {
    char kind;  // 'd': Forward (decode steps, prompts), 'e': ForwardHidden
    int64_t tokens, cost;
  };
  std::vector<Pass> passes() const {
    absl::MutexLock lock(&log_mu_);
    return passes_;
  }

  int32_t max_rows() const { return max_rows_.load(); }
  int64_t forwards() const { return forwards_.load(); }
  int64_t hidden_forwards() const { return hidden_forwards_.load(); }
  void set_fail(bool fail) { fail_.store(fail); }

 private:
  // The checks a real model makes, and the positions it would advance: the
  // batch size, an injected failure, slots and positions in range, and a
  // slot's positions following on (a new sequence starts at 0).
  absl::Status AcceptBatch(absl::Span<const model::BatchToken> batch) {
    if (batch.empty() || batch.size() > static_cast<size_t>(max_batch_)) {
      return absl::InvalidArgumentError("bad batch size");
    }
    if (fail_.load()) return absl::InternalError("injected failure");
    for (const model::BatchToken& t : batch) {
      if (t.slot < 0 || t.slot >= slots_ || t.pos < 0 || t.pos >= context_) {
        return absl::OutOfRangeError("slot or position out of range");
      }
      if (t.pos != 0 && t.pos != next_pos_[t.slot]) {
        return absl::InvalidArgumentError(
            absl::StrCat("slot ", t.slot, " got pos ", t.pos, ", expected ",
                         next_pos_[t.slot]));
      }
      next_pos_[t.slot] = t.pos + 1;
    }
    return absl::OkStatus();
  }

  void Record(char kind, size_t tokens) {
    const int64_t cost = fixed_cost_ + token_cost_ * int64_t(tokens);
    now_.fetch_add(cost);
    absl::MutexLock lock(&log_mu_);
    passes_.push_back({kind, int64_t(tokens), cost});
  }

  const bool hidden_;
  const int32_t slots_, context_, max_batch_;
  int64_t fixed_cost_ = 0, token_cost_ = 0;  // set before the scheduler runs
  std::atomic<int64_t> now_{0};
  mutable absl::Mutex log_mu_;
  std::vector<Pass> passes_ ABSL_GUARDED_BY(log_mu_);
  const absl::Duration step_time_;
  std::vector<int32_t> next_pos_;  // scheduler thread only
  std::atomic<int32_t> max_rows_{0};
  std::atomic<int64_t> forwards_{0};
  std::atomic<int64_t> hidden_forwards_{0};
  std::atomic<bool> fail_{false};
};

struct Collected {
  std::string text;
  std::vector<int32_t> tokens;
  StreamEvent final;
  bool got_final = false;
};

Collected Drain(GenerationStream& stream,
                absl::Duration limit = absl::Seconds(20)) {
  Collected c;
  const absl::Time end = absl::Now() + limit;
  while (absl::Now() < end) {
    std::optional<StreamEvent> e = stream.Next(absl::Milliseconds(50));
    if (!e) continue;
    if (e->final) {
      c.final = std::move(*e);
      c.got_final = true;
      break;
    }
    c.text += e->text;
    c.tokens.push_back(e->token);
  }
  return c;
}

GenerateRequest Greedy(std::vector<int32_t> prompt, int32_t max_tokens) {
  GenerateRequest r;
  r.prompt_ids = std::move(prompt);
  r.options.max_tokens = max_tokens;
  r.options.sampling.temperature = 0.0f;
  return r;
}

// "bcdef..." after a prompt ending in `last`.
std::string Expected(int32_t last, int32_t n) {
  std::string s;
  for (int32_t t = last, i = 0; i < n; ++i) {
    t = NextOf(t);
    if (t == kEos) break;
    s += static_cast<char>('a' + (t - kA));
  }
  return s;
}

class SchedulerTest : public ::testing::Test {
 protected:
  // With `embed_slot`, the model has hidden states and one KV slot more
  // than `parallel`, for embeddings.
  // `options` gives the rest of the scheduler's options.
  void Start(int32_t parallel, int32_t queue, int32_t context = 64,
             int32_t max_batch = 16, absl::Duration step = absl::ZeroDuration(),
             bool embed_slot = false, SchedulerOptions o = {},
             int64_t fixed_cost = 0, int64_t token_cost = 0) {
    tokenizer_ = LetterTokenizer();
    model_ = std::make_unique<FakeModel>(parallel + (embed_slot ? 1 : 0),
                                         context, max_batch, step, embed_slot);
    model_->set_cost(fixed_cost, token_cost);
    if (fixed_cost + token_cost > 0) o.clock = model_->clock();
    o.parallel = parallel;
    o.queue = queue;
    absl::StatusOr<std::unique_ptr<Scheduler>> s =
        Scheduler::Create(model_.get(), tokenizer_.get(), o);
    ASSERT_TRUE(s.ok()) << s.status();
    scheduler_ = std::move(*s);
  }
  void TearDown() override {
    if (scheduler_) scheduler_->Shutdown(absl::ZeroDuration());
  }

  std::unique_ptr<tokenizer::Tokenizer> tokenizer_;
  std::unique_ptr<FakeModel> model_;
  std::unique_ptr<Scheduler> scheduler_;
};

TEST_F(SchedulerTest, OneRequestStreamsGreedyTokensThenLength) {
  Start(1, 0);
  auto stream = scheduler_->Submit(Greedy({kA}, 5));
  ASSERT_TRUE(stream.ok()) << stream.status();
  Collected c = Drain(**stream);
  ASSERT_TRUE(c.got_final);
  EXPECT_TRUE(c.final.status.ok()) << c.final.status;
  EXPECT_EQ(c.text, "bcdef");
  EXPECT_EQ(c.tokens,
            (std::vector<int32_t>{kA + 1, kA + 2, kA + 3, kA + 4, kA + 5}));
  EXPECT_EQ(c.final.finish_reason, FinishReason::kLength);
  EXPECT_EQ(c.final.stats.prompt_tokens, 1);
  EXPECT_EQ(c.final.stats.generated_tokens, 5);
  EXPECT_GT(c.final.stats.total_time, absl::ZeroDuration());
}

TEST_F(SchedulerTest, EndOfGenerationTokenEndsTheStream) {
  Start(1, 0);
  auto stream = scheduler_->Submit(Greedy({kA + 23}, 50));  // "x"
  ASSERT_TRUE(stream.ok());
  Collected c = Drain(**stream);
  EXPECT_EQ(c.text, "yz");
  EXPECT_EQ(c.tokens.back(), kEos);
  EXPECT_EQ(c.final.finish_reason, FinishReason::kEndOfGeneration);
  EXPECT_TRUE(c.final.status.ok());
}

TEST_F(SchedulerTest, ConcurrentRequestsAreDecodedTogether) {
  Start(4, 8, 64, 16, absl::Milliseconds(1));
  std::vector<std::shared_ptr<GenerationStream>> streams;
  for (int i = 0; i < 8; ++i) {
    // Prompts of different lengths so prefill and decode mix in one batch.
    std::vector<int32_t> prompt(1 + i, kA + i);
    auto s = scheduler_->Submit(Greedy(prompt, 10));
    ASSERT_TRUE(s.ok()) << s.status();
    streams.push_back(*s);
  }
  std::vector<Collected> results(streams.size());
  std::vector<std::thread> readers;
  for (size_t i = 0; i < streams.size(); ++i) {
    readers.emplace_back([&, i] { results[i] = Drain(*streams[i]); });
  }
  for (std::thread& t : readers) t.join();
  for (int i = 0; i < 8; ++i) {
    SCOPED_TRACE(i);
    ASSERT_TRUE(results[i].got_final);
    EXPECT_TRUE(results[i].final.status.ok()) << results[i].final.status;
    EXPECT_EQ(results[i].text, Expected(kA + i, 10));
  }
  // Four sequences advanced in one forward pass at some point, so the
  // passes were fewer than the tokens generated.
  EXPECT_EQ(model_->max_rows(), 4);
  const Scheduler::Counters counters = scheduler_->counters();
  EXPECT_LT(counters.steps, 8 * 10);
  EXPECT_EQ(counters.finished, 8);
  EXPECT_EQ(counters.active, 0);
}

TEST_F(SchedulerTest, LongPromptsPrefillInChunksAlongsideDecoding) {
  Start(2, 0, 64, 4);
  auto first = scheduler_->Submit(Greedy({kA}, 20));
  std::vector<int32_t> long_prompt(11, kA + 1);
  auto second = scheduler_->Submit(Greedy(long_prompt, 5));
  ASSERT_TRUE(first.ok() && second.ok());
  Collected a = Drain(**first), b = Drain(**second);
  EXPECT_EQ(a.text, Expected(kA, 20));
  EXPECT_EQ(b.text, Expected(kA + 1, 5));
  EXPECT_TRUE(a.final.status.ok()) << a.final.status;
  EXPECT_TRUE(b.final.status.ok()) << b.final.status;
}

TEST_F(SchedulerTest, FullQueueIsResourceExhausted) {
  Start(1, 1, 512, 16, absl::Milliseconds(5));
  GenerateRequest endless = Greedy({kA}, 400);
  endless.options.ignore_eos = true;
  auto running = scheduler_->Submit(endless);
  auto waiting = scheduler_->Submit(endless);
  auto rejected = scheduler_->Submit(endless);
  ASSERT_TRUE(running.ok());
  ASSERT_TRUE(waiting.ok());
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.status().code(), absl::StatusCode::kResourceExhausted);
  (*running)->Cancel();
  (*waiting)->Cancel();
}

TEST_F(SchedulerTest, CancelFreesTheSlotWithinAStep) {
  Start(1, 1, 4096, 16, absl::Milliseconds(2));
  GenerateRequest endless = Greedy({kA}, 4000);
  endless.options.ignore_eos = true;
  auto running = scheduler_->Submit(endless);
  ASSERT_TRUE(running.ok());
  for (int got = 0; got < 3;) {
    if ((*running)->Next(absl::Seconds(5))) ++got;
  }
  (*running)->Cancel();
  const absl::Time cancelled_at = absl::Now();
  Collected c = Drain(**running);
  ASSERT_TRUE(c.got_final);
  EXPECT_LT(absl::Now() - cancelled_at, absl::Seconds(1));
  EXPECT_EQ(c.final.status.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(c.final.finish_reason, FinishReason::kCancelled);
  // The one slot is free again: a new request runs to completion.
  auto next = scheduler_->Submit(Greedy({kA}, 3));
  ASSERT_TRUE(next.ok()) << next.status();
  Collected d = Drain(**next);
  EXPECT_EQ(d.text, "bcd");
  EXPECT_EQ(scheduler_->counters().active, 0);
}

TEST_F(SchedulerTest, CancelWhileQueuedEndsTheRequest) {
  Start(1, 1, 4096, 16, absl::Milliseconds(2));
  GenerateRequest endless = Greedy({kA}, 4000);
  endless.options.ignore_eos = true;
  auto running = scheduler_->Submit(endless);
  auto waiting = scheduler_->Submit(endless);
  ASSERT_TRUE(running.ok() && waiting.ok());
  (*waiting)->Cancel();
  Collected c = Drain(**waiting);
  EXPECT_EQ(c.final.status.code(), absl::StatusCode::kCancelled);
  EXPECT_TRUE(c.tokens.empty());
  (*running)->Cancel();
}

TEST_F(SchedulerTest, DeadlineStopsARunningRequest) {
  Start(1, 0, 4096, 16, absl::Milliseconds(2));
  GenerateRequest endless = Greedy({kA}, 4000);
  endless.options.ignore_eos = true;
  endless.deadline = absl::Now() + absl::Milliseconds(100);
  auto running = scheduler_->Submit(endless);
  ASSERT_TRUE(running.ok());
  Collected c = Drain(**running);
  ASSERT_TRUE(c.got_final);
  EXPECT_EQ(c.final.status.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_GT(c.tokens.size(), 0u);
  EXPECT_LT(c.tokens.size(), 4000u);
}

TEST_F(SchedulerTest, InvalidRequestsNameTheField) {
  Start(1, 0, 8);
  auto empty = scheduler_->Submit(Greedy({}, 5));
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(empty.status().message(), HasSubstr("prompt"));

  auto too_long = scheduler_->Submit(Greedy(std::vector<int32_t>(8, kA), 5));
  ASSERT_FALSE(too_long.ok());
  EXPECT_THAT(too_long.status().message(), HasSubstr("context"));

  auto bad_id = scheduler_->Submit(Greedy({kVocab}, 5));
  ASSERT_FALSE(bad_id.ok());
  EXPECT_THAT(bad_id.status().message(), HasSubstr("token id"));

  GenerateRequest hot = Greedy({kA}, 5);
  hot.options.sampling.temperature = -1.0f;
  auto bad_temperature = scheduler_->Submit(hot);
  ASSERT_FALSE(bad_temperature.ok());
  EXPECT_EQ(bad_temperature.status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_temperature.status().message(), HasSubstr("temperature"));

  GenerateRequest top_p = Greedy({kA}, 5);
  top_p.options.sampling.top_p = 1.5f;
  auto bad_top_p = scheduler_->Submit(top_p);
  ASSERT_FALSE(bad_top_p.ok());
  EXPECT_THAT(bad_top_p.status().message(), HasSubstr("top_p"));
}

TEST_F(SchedulerTest, ContextFullEndsTheSequence) {
  Start(1, 0, 8);
  GenerateRequest r = Greedy({kA, kA + 1}, 100);
  auto s = scheduler_->Submit(r);
  ASSERT_TRUE(s.ok());
  Collected c = Drain(**s);
  EXPECT_TRUE(c.final.status.ok()) << c.final.status;
  EXPECT_EQ(c.final.finish_reason, FinishReason::kContextFull);
  EXPECT_EQ(c.final.stats.generated_tokens, 8 - 2 + 1);
}

TEST_F(SchedulerTest, ForwardFailureIsInternal) {
  Start(1, 0);
  model_->set_fail(true);
  auto s = scheduler_->Submit(Greedy({kA}, 5));
  ASSERT_TRUE(s.ok());
  Collected c = Drain(**s);
  EXPECT_EQ(c.final.status.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(c.final.status.message(), HasSubstr("injected failure"));
}

TEST_F(SchedulerTest, ShutdownLetsShortRequestsFinish) {
  Start(2, 2, 64, 16, absl::Milliseconds(1));
  auto s = scheduler_->Submit(Greedy({kA}, 10));
  ASSERT_TRUE(s.ok());
  scheduler_->Shutdown(absl::Seconds(10));
  Collected c = Drain(**s);
  EXPECT_TRUE(c.final.status.ok()) << c.final.status;
  EXPECT_EQ(c.text, Expected(kA, 10));
  auto late = scheduler_->Submit(Greedy({kA}, 10));
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(SchedulerTest, ShutdownCancelsWhatOutlivesTheGracePeriod) {
  Start(1, 1, 4096, 16, absl::Milliseconds(2));
  GenerateRequest endless = Greedy({kA}, 4000);
  endless.options.ignore_eos = true;
  auto running = scheduler_->Submit(endless);
  auto waiting = scheduler_->Submit(endless);
  ASSERT_TRUE(running.ok() && waiting.ok());
  const absl::Time start = absl::Now();
  scheduler_->Shutdown(absl::Milliseconds(50));
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  Collected a = Drain(**running), b = Drain(**waiting);
  EXPECT_EQ(a.final.status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(a.final.status.message(), HasSubstr("shutting down"));
  EXPECT_EQ(b.final.status.code(), absl::StatusCode::kUnavailable);
}

TEST_F(SchedulerTest, RejectsParallelBeyondTheModel) {
  tokenizer_ = LetterTokenizer();
  model_ = std::make_unique<FakeModel>(2, 64, 16);
  SchedulerOptions o;
  o.parallel = 3;
  auto s = Scheduler::Create(model_.get(), tokenizer_.get(), o);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.status().message(), HasSubstr("parallel"));
}

// ---------------------------------------------------------------------------
// Embeddings

EmbedRequest Embed(std::vector<std::vector<int32_t>> texts, Pooling pooling,
                   bool normalize = false) {
  EmbedRequest r;
  r.token_ids = std::move(texts);
  r.options.pooling = pooling;
  r.options.normalize = normalize;
  return r;
}

EmbedResult WaitFor(EmbedCall& call, absl::Duration limit = absl::Seconds(20)) {
  std::optional<EmbedResult> r = call.Wait(limit);
  EXPECT_TRUE(r.has_value()) << "no embedding result in time";
  return r.has_value() ? std::move(*r) : EmbedResult{};
}

TEST_F(SchedulerTest, EmbedPoolsHiddenRowsOnItsOwnSlot) {
  Start(/*parallel=*/1, /*queue=*/0, 64, /*max_batch=*/4, absl::ZeroDuration(),
        /*embed_slot=*/true);
  ASSERT_TRUE(scheduler_->embeddings_available());
  // Six tokens: two chunks of at most four.
  const std::vector<int32_t> six = {kA, kA + 1, kA + 2, kA + 3, kA + 4, kA + 5};
  const std::vector<int32_t> one = {kA + 7};
  struct Case {
    Pooling pooling;
    std::vector<float> first, second;
  };
  // Rows are {token, pos, slot, 1}; the embedding slot is 1 (= parallel).
  const std::vector<Case> cases = {
      {Pooling::kMean, {kA + 2.5f, 2.5f, 1, 1}, {kA + 7.0f, 0, 1, 1}},
      {Pooling::kLastToken, {kA + 5.0f, 5, 1, 1}, {kA + 7.0f, 0, 1, 1}},
      {Pooling::kCls, {kA + 0.0f, 0, 1, 1}, {kA + 7.0f, 0, 1, 1}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(PoolingName(c.pooling)));
    auto call = scheduler_->SubmitEmbed(Embed({six, one}, c.pooling));
    ASSERT_TRUE(call.ok()) << call.status();
    EmbedResult r = WaitFor(**call);
    ASSERT_TRUE(r.status.ok()) << r.status;
    ASSERT_EQ(r.vectors.size(), 2u);
    EXPECT_EQ(r.vectors[0], c.first);
    EXPECT_EQ(r.vectors[1], c.second);
    EXPECT_EQ(r.tokens, (std::vector<int32_t>{6, 1}));
  }
  auto call = scheduler_->SubmitEmbed(Embed({six}, Pooling::kMean, true));
  ASSERT_TRUE(call.ok());
  EmbedResult r = WaitFor(**call);
  ASSERT_TRUE(r.status.ok()) << r.status;
  double sq = 0;
  for (float x : r.vectors[0]) sq += double(x) * x;
  EXPECT_NEAR(sq, 1.0, 1e-6);
}

TEST_F(SchedulerTest, EmbedRunsWhileGenerationsHoldEverySlot) {
  Start(1, 0, 512, 4, absl::Milliseconds(1), true);
  GenerateRequest endless = Greedy({kA}, 400);
  endless.options.ignore_eos = true;
  auto running = scheduler_->Submit(endless);
  ASSERT_TRUE(running.ok());
  std::optional<StreamEvent> first = (*running)->Next(absl::Seconds(10));
  ASSERT_TRUE(first.has_value());  // decoding
  // The only generation slot is busy and the queue is 0, yet the embedding
  // has a slot of its own.
  auto call = scheduler_->SubmitEmbed(
      Embed({std::vector<int32_t>(10, kA + 1)}, Pooling::kMean));
  ASSERT_TRUE(call.ok()) << call.status();
  EmbedResult r = WaitFor(**call);
  EXPECT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(scheduler_->Submit(Greedy({kA}, 5)).status().code(),
            absl::StatusCode::kResourceExhausted);
  (*running)->Cancel();
  Collected c = Drain(**running);
  EXPECT_EQ(c.final.status.code(), absl::StatusCode::kCancelled);
  // The generation's tokens were not disturbed by the embedding's passes.
  const std::string text = first->text + c.text;
  const size_t n = std::min<size_t>(text.size(), 20);
  EXPECT_EQ(text.substr(0, n), Expected(kA, 20).substr(0, n));
  EXPECT_GT(model_->hidden_forwards(), 1);
}

// The fairness rule of scheduler.h, on the fake model's clock (so exact,
// whatever the machine): a pass costs 1,000 + 100 per token, so a decode
// step 1,100 and the least embedding chunk (4 steps, 4,400) 34 tokens.
TEST_F(SchedulerTest, EmbeddingsBesideAGenerationGetHalfTheTime) {
  Start(1, 0, 4096, 64, absl::Microseconds(200), true, {}, 1'000, 100);
  GenerateRequest endless = Greedy({kA}, 4000);
  endless.options.ignore_eos = true;
  auto running = scheduler_->Submit(endless);
  ASSERT_TRUE(running.ok());
  ASSERT_TRUE((*running)->Next(absl::Seconds(10)).has_value());  // decoding
  std::vector<std::vector<int32_t>> texts(4, std::vector<int32_t>(400, kA));
  auto call = scheduler_->SubmitEmbed(Embed(texts, Pooling::kMean));
  ASSERT_TRUE(call.ok()) << call.status();
  EmbedResult r = WaitFor(**call);
  ASSERT_TRUE(r.status.ok()) << r.status;
  // Still generating: every chunk ran beside it.
  EXPECT_EQ(scheduler_->counters().active, 1);
  (*running)->Cancel();
  Drain(**running);

  // From the embedding's first chunk to its last.
  const std::vector<FakeModel::Pass> all = model_->passes();
  size_t first = all.size(), last = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i].kind != 'e') continue;
    first = std::min(first, i);
    last = i;
  }
  ASSERT_LT(first, last);
  int64_t decode_cost = 0, embed_cost = 0, embed_tokens = 0, longest = 0;
  size_t steps_in_a_row = 0, most_in_a_row = 0;
  for (size_t i = first; i <= last; ++i) {
    const FakeModel::Pass& p = all[i];
    if (p.kind == 'e') {
      // One chunk at most between two decode steps.
      if (i > first) {
        EXPECT_EQ(all[i - 1].kind, 'd') << "pass " << i;
      }
      embed_cost += p.cost;
      embed_tokens += p.tokens;
      longest = std::max(longest, p.cost);
      steps_in_a_row = 0;
    } else {
      EXPECT_EQ(p.tokens, 1) << "a decode step";
      decode_cost += p.cost;
      most_in_a_row = std::max(most_in_a_row, ++steps_in_a_row);
    }
  }
  EXPECT_EQ(embed_tokens, 4 * 400);
  // No chunk beyond the least turn (the size is learned from below), and
  // the chunks are not cut to single tokens: at least 20 of them held 30
  // tokens or more.
  EXPECT_LE(longest, 4'400);
  int big = 0;
  for (size_t i = first; i <= last; ++i) {
    if (all[i].kind == 'e' && all[i].tokens >= 30) ++big;
  }
  EXPECT_GE(big, 20);
  // Half the time each, within one chunk and one step.
  EXPECT_LE(std::llabs(decode_cost - embed_cost), longest + 1'100)
      << decode_cost << " ns decoding, " << embed_cost << " ns embedding";
  // After a chunk, as many steps as it took (4,400 / 1,100), one more at
  // most.
  EXPECT_LE(most_in_a_row, 5u);
}

TEST_F(SchedulerTest, EmbeddingsAloneRunWholeChunks) {
  Start(1, 0, 4096, 64, absl::ZeroDuration(), true, {}, 1'000, 100);
  auto call = scheduler_->SubmitEmbed(
      Embed({std::vector<int32_t>(640, kA)}, Pooling::kMean));
  ASSERT_TRUE(call.ok()) << call.status();
  ASSERT_TRUE(WaitFor(**call).status.ok());
  const std::vector<FakeModel::Pass> all = model_->passes();
  ASSERT_EQ(all.size(), 10u);
  for (const FakeModel::Pass& p : all) EXPECT_EQ(p.tokens, 64);
}

TEST_F(SchedulerTest, EmbedQueueIsBounded) {
  Start(1, 1, 512, 4, absl::Milliseconds(5), true);
  const std::vector<int32_t> long_text(200, kA);  // 50 chunks, >= 250 ms
  auto first = scheduler_->SubmitEmbed(Embed({long_text}, Pooling::kMean));
  ASSERT_TRUE(first.ok());
  auto second = scheduler_->SubmitEmbed(Embed({long_text}, Pooling::kMean));
  ASSERT_TRUE(second.ok()) << second.status();
  auto third = scheduler_->SubmitEmbed(Embed({long_text}, Pooling::kMean));
  EXPECT_EQ(third.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(third.status().message()), HasSubstr("queue"));
  // The queue entry is taken: a generation can run (free slot) but not wait.
  auto gen = scheduler_->Submit(Greedy({kA}, 3));
  ASSERT_TRUE(gen.ok()) << gen.status();
  EXPECT_EQ(Drain(**gen).text, Expected(kA, 3));
  (*first)->Cancel();
  (*second)->Cancel();
  EXPECT_EQ(WaitFor(**first).status.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(WaitFor(**second).status.code(), absl::StatusCode::kCancelled);
}

TEST_F(SchedulerTest, EmbedDeadlineAndShutdownEndIt) {
  Start(1, 4, 512, 4, absl::Milliseconds(5), true);
  EmbedRequest timed = Embed({std::vector<int32_t>(400, kA)}, Pooling::kMean);
  timed.deadline = absl::Now() + absl::Milliseconds(50);
  auto call = scheduler_->SubmitEmbed(timed);
  ASSERT_TRUE(call.ok());
  const absl::Time start = absl::Now();
  EXPECT_EQ(WaitFor(**call).status.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));

  auto running = scheduler_->SubmitEmbed(
      Embed({std::vector<int32_t>(400, kA)}, Pooling::kMean));
  auto queued = scheduler_->SubmitEmbed(
      Embed({std::vector<int32_t>(400, kA)}, Pooling::kMean));
  ASSERT_TRUE(running.ok() && queued.ok());
  scheduler_->Shutdown(absl::ZeroDuration());
  EXPECT_EQ(WaitFor(**running).status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(WaitFor(**queued).status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(
      scheduler_->SubmitEmbed(Embed({{kA}}, Pooling::kMean)).status().code(),
      absl::StatusCode::kUnavailable);
}

TEST_F(SchedulerTest, BadEmbedRequestsAreInvalidArgumentNamingTheField) {
  Start(1, 0, 64, 4, absl::ZeroDuration(), true);
  struct Case {
    EmbedRequest request;
    std::string field;
  };
  const std::vector<Case> cases = {
      {Embed({}, Pooling::kMean), "token_ids"},
      {Embed({{kA}, {}}, Pooling::kMean), "token_ids[1]"},
      {Embed({{kA}, std::vector<int32_t>(65, kA)}, Pooling::kMean),
       "token_ids[1]: 65 tokens exceed the context of 64"},
      {Embed({{kA, kVocab}}, Pooling::kMean), "token_ids[0]: token id"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.field);
    auto call = scheduler_->SubmitEmbed(c.request);
    EXPECT_EQ(call.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(call.status().message()), HasSubstr(c.field));
  }
  EXPECT_EQ(model_->hidden_forwards(), 0);
}

TEST_F(SchedulerTest, EmbedWithoutASpareSlotIsUnimplemented) {
  Start(1, 0);
  EXPECT_FALSE(scheduler_->embeddings_available());
  EXPECT_EQ(
      scheduler_->SubmitEmbed(Embed({{kA}}, Pooling::kMean)).status().code(),
      absl::StatusCode::kUnimplemented);
}

TEST_F(SchedulerTest, EmbedForwardFailureIsInternal) {
  Start(1, 0, 64, 4, absl::ZeroDuration(), true);
  model_->set_fail(true);
  auto call = scheduler_->SubmitEmbed(Embed({{kA, kA}}, Pooling::kMean));
  ASSERT_TRUE(call.ok());
  EmbedResult r = WaitFor(**call);
  EXPECT_EQ(r.status.code(), absl::StatusCode::kInternal);
  EXPECT_TRUE(r.vectors.empty());
}

}  // namespace
}  // namespace edgellm::engine
