// LoadedModel::Embed on a small random-weight F32 model (runtime/model/
// random_model), so the test needs nothing from ../shared. The engine runs
// texts in chunks of max_batch = 4 tokens; the references below feed the
// transformer one token at a time and pool by hand.
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/engine/embedding.h"
#include "runtime/engine/loaded_model.h"
#include "runtime/gguf/gguf.h"
#include "runtime/model/random_model.h"

namespace edgellm::engine {
namespace {

using ::testing::HasSubstr;

constexpr int32_t kContext = 32;
constexpr int32_t kMaxBatch = 4;
// A text longer than one chunk and not a multiple of it.
constexpr char kText[] = "once upon a time there was a little dog";

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/" + name;
}

double Norm(const std::vector<float>& v) {
  double sq = 0;
  for (float x : v) sq += double(x) * x;
  return std::sqrt(sq);
}

// Batched and one-token forward passes sum in different orders; allow that
// much, relative to the vector's largest entry.
void ExpectClose(const std::vector<float>& got, const std::vector<float>& want,
                 double rel = 1e-5) {
  ASSERT_EQ(got.size(), want.size());
  double scale = 0;
  for (float x : want) scale = std::max(scale, double(std::fabs(x)));
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i], want[i], rel * scale + 1e-7) << "index " << i;
  }
}

class EmbedTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    model::RandomModelSpec spec;
    spec.name = "embed-test";
    spec.vocab_size = 640;  // the built-in vocabulary needs 577
    spec.file_type =
        quant::FileType::kF32;  // F32: the output head is a plain dot product
    spec.tied_output = true;
    spec.seed = 11;
    path_ = new std::string(TempPath("embed_test.gguf"));
    const absl::Status written = model::WriteRandomModel(spec, *path_, false);
    ASSERT_TRUE(written.ok()) << written;
    LoadOptions o;
    o.model_path = *path_;
    o.threads = 1;
    o.context = kContext;
    o.max_batch = kMaxBatch;
    absl::StatusOr<std::unique_ptr<LoadedModel>> e = LoadedModel::Load(o);
    ASSERT_TRUE(e.ok()) << e.status();
    engine_ = e->release();
  }
  static void TearDownTestSuite() {
    delete engine_;
    engine_ = nullptr;
    delete path_;
  }

  int32_t d() const { return engine_->config().embedding_length; }

  // The final hidden state of every token of `ids`, fed one at a time on
  // slot 0.
  std::vector<std::vector<float>> TokenByTokenStates(
      const std::vector<int32_t>& ids) {
    std::vector<std::vector<float>> states;
    for (size_t i = 0; i < ids.size(); ++i) {
      model::BatchToken t;
      t.token = ids[i];
      t.pos = static_cast<int32_t>(i);
      t.slot = 0;
      t.want_logits = true;
      std::vector<float> h(d());
      absl::Status s = engine_->transformer().ForwardHidden({&t, 1}, h.data());
      EXPECT_TRUE(s.ok()) << s;
      states.push_back(std::move(h));
    }
    return states;
  }

  static std::string* path_;
  static LoadedModel* engine_;
};

std::string* EmbedTest::path_ = nullptr;
LoadedModel* EmbedTest::engine_ = nullptr;

EmbedOptions Options(Pooling pooling, bool normalize = false) {
  EmbedOptions o;
  o.pooling = pooling;
  o.normalize = normalize;
  return o;
}

TEST_F(EmbedTest, ForwardHiddenIsTheOutputHeadInput) {
  // With a tied F32 head, logits[v] = <hidden, token_embd[v]>.
  const std::vector<int32_t> ids = engine_->Encode(kText);
  ASSERT_GT(ids.size(), 2u);
  std::vector<model::BatchToken> batch;
  for (size_t i = 0; i < 3; ++i) {
    batch.push_back({ids[i], static_cast<int32_t>(i), 0, i != 1});
  }
  const int32_t vocab = engine_->config().vocab_size;
  std::vector<float> logits(2 * vocab), hidden(2 * d());
  model::Transformer& t = engine_->transformer();
  ASSERT_TRUE(t.Forward(batch, logits.data()).ok());
  ASSERT_TRUE(t.ForwardHidden(batch, hidden.data()).ok());
  const gguf::TensorInfo* embd =
      engine_->file().FindTensor("token_embd.weight");
  ASSERT_NE(embd, nullptr);
  ASSERT_EQ(embd->type, gguf::TensorType::kF32);
  const float* w = reinterpret_cast<const float*>(embd->data);
  for (int row = 0; row < 2; ++row) {
    for (int32_t v = 0; v < vocab; v += 37) {
      double dot = 0;
      for (int32_t j = 0; j < d(); ++j) {
        dot += double(hidden[row * d() + j]) * w[size_t(v) * d() + j];
      }
      EXPECT_NEAR(logits[size_t(row) * vocab + v], dot,
                  1e-4 * (1 + std::fabs(dot)))
          << "row " << row << " token " << v;
    }
  }
}

TEST_F(EmbedTest, MeanIsTheMeanOfTokenByTokenStates) {
  const std::vector<int32_t> ids = engine_->Encode(kText);
  ASSERT_GT(ids.size(), size_t(kMaxBatch)) << "the text must span chunks";
  const std::vector<std::vector<float>> states = TokenByTokenStates(ids);
  std::vector<float> want(d(), 0.0f);
  for (int32_t j = 0; j < d(); ++j) {
    double sum = 0;
    for (const auto& s : states) sum += s[j];
    want[j] = static_cast<float>(sum / states.size());
  }
  absl::StatusOr<std::vector<float>> got =
      engine_->Embed(kText, Options(Pooling::kMean));
  ASSERT_TRUE(got.ok()) << got.status();
  ExpectClose(*got, want);
}

TEST_F(EmbedTest, LastTokenAndClsPickTheirRows) {
  const std::vector<int32_t> ids = engine_->Encode(kText);
  const std::vector<std::vector<float>> states = TokenByTokenStates(ids);
  absl::StatusOr<std::vector<float>> last =
      engine_->Embed(kText, Options(Pooling::kLastToken));
  ASSERT_TRUE(last.ok()) << last.status();
  ExpectClose(*last, states.back());
  absl::StatusOr<std::vector<float>> cls =
      engine_->Embed(kText, Options(Pooling::kCls));
  ASSERT_TRUE(cls.ok()) << cls.status();
  ExpectClose(*cls, states.front());
  // The three poolings really differ.
  absl::StatusOr<std::vector<float>> mean =
      engine_->Embed(kText, Options(Pooling::kMean));
  ASSERT_TRUE(mean.ok());
  EXPECT_NE(*mean, *last);
  EXPECT_NE(*mean, *cls);
  EXPECT_NE(*last, *cls);
}

TEST_F(EmbedTest, NormalizeGivesUnitNormInTheSameDirection) {
  for (Pooling p : {Pooling::kMean, Pooling::kLastToken, Pooling::kCls}) {
    SCOPED_TRACE(std::string(PoolingName(p)));
    absl::StatusOr<std::vector<float>> raw = engine_->Embed(kText, Options(p));
    absl::StatusOr<std::vector<float>> unit =
        engine_->Embed(kText, Options(p, /*normalize=*/true));
    ASSERT_TRUE(raw.ok() && unit.ok());
    EXPECT_NEAR(Norm(*unit), 1.0, 1e-5);
    const double n = Norm(*raw);
    ASSERT_GT(n, 0.0);
    std::vector<float> scaled(*raw);
    for (float& x : scaled) x = static_cast<float>(x / n);
    ExpectClose(*unit, scaled);
  }
}

TEST_F(EmbedTest, SameTextTwiceGivesIdenticalVectors) {
  absl::StatusOr<std::vector<float>> a =
      engine_->Embed(kText, Options(Pooling::kMean, true));
  // Something else on the same slot in between must not leak into it.
  ASSERT_TRUE(engine_->Embed("the little dog", Options(Pooling::kMean)).ok());
  GenerateOptions gen;
  gen.max_tokens = 4;
  ASSERT_TRUE(engine_->Generate("once", gen, nullptr).ok());
  absl::StatusOr<std::vector<float>> b =
      engine_->Embed(kText, Options(Pooling::kMean, true));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(a->size(), size_t(d()));
}

TEST_F(EmbedTest, BadInputIsInvalidArgumentNamingTheField) {
  absl::StatusOr<std::vector<float>> empty =
      engine_->Embed("", Options(Pooling::kMean));
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(empty.status().message()), HasSubstr("text"));

  std::string long_text;
  for (int i = 0; i < kContext; ++i) long_text += "dog ";
  absl::StatusOr<std::vector<float>> too_long =
      engine_->Embed(long_text, Options(Pooling::kMean));
  EXPECT_EQ(too_long.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(too_long.status().message()), HasSubstr("text"));
  EXPECT_THAT(std::string(too_long.status().message()), HasSubstr("context"));

  const std::vector<int32_t> bad = {1, -3};
  absl::StatusOr<std::vector<float>> bad_ids =
      engine_->EmbedIds(bad, Options(Pooling::kMean));
  EXPECT_EQ(bad_ids.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad_ids.status().message()), HasSubstr("ids"));
  EXPECT_EQ(engine_->EmbedIds({}, Options(Pooling::kMean)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(PoolingTest, GgufValuesFollowLlamaCpp) {
  EXPECT_EQ(PoolingFromGgufValue(1), Pooling::kMean);
  EXPECT_EQ(PoolingFromGgufValue(2), Pooling::kCls);
  EXPECT_EQ(PoolingFromGgufValue(3), Pooling::kLastToken);
  EXPECT_EQ(PoolingFromGgufValue(0), Pooling::kMean);  // NONE
  EXPECT_EQ(PoolingFromGgufValue(4), Pooling::kMean);  // RANK
}

TEST(L2NormalizeTest, LeavesZeroAloneAndScalesTheRest) {
  std::vector<float> zero(3, 0.0f);
  L2Normalize(absl::MakeSpan(zero));
  EXPECT_EQ(zero, std::vector<float>(3, 0.0f));
  std::vector<float> v = {3.0f, 4.0f};
  L2Normalize(absl::MakeSpan(v));
  EXPECT_FLOAT_EQ(v[0], 0.6f);
  EXPECT_FLOAT_EQ(v[1], 0.8f);
}

}  // namespace
}  // namespace edgellm::engine
