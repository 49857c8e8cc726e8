// The encoder models of ../shared/reference_embed (random-weight bert with
// mean and CLS pooling, nomic-bert, a bert reranker; F32 and Q8_0) through
// EncoderEngine, against llama.cpp's outputs, by that folder's README ("What
// must match"):
//
// - Token ids exactly, for every text, except the one known divergence:
//   llama.cpp's WordPiece keeps only a Hangul syllable's leading consonant,
//   ours (as Hugging Face's BERT normalizer the models were trained with)
//   keeps every jamo. For those texts the vectors are computed from
//   llama.cpp's token ids, as for every other text.
// - F32: embedding_l2 cos >= 0.999999 and max |d| <= 2e-4; embedding
//   max |d| <= 3e-3; token_embeddings and cls_embedding max |d| <= 3e-3;
//   score |d| <= 2e-3.
// - Q8_0: embedding_l2 cos >= 0.9995 and max |d| <= 1e-2; embedding, token
//   and cls embeddings max |d| <= 0.15; score |d| <= 5e-2.
//
// All texts of a file run as one packed batch (the block-diagonal mask must
// keep them apart), and each text also on its own: the two must agree.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "runtime/engine/encoder_engine.h"
#include "runtime/model/encoder_config.h"
#include "tests/testing/shared_dir.h"

namespace edgellm {
namespace {

using nlohmann::json;

struct Bounds {
  double l2_cos, l2_max, raw_max, hidden_max, score_max;
};
constexpr Bounds kF32Bounds{0.999999, 2e-4, 3e-3, 3e-3, 2e-3};
constexpr Bounds kQ8_0Bounds{0.9995, 1e-2, 0.15, 0.15, 5e-2};

std::vector<json> ReadJsonl(const std::string& path) {
  std::vector<json> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(json::parse(line));
  }
  return lines;
}

double MaxAbsDiff(const std::vector<float>& got, const json& want) {
  EXPECT_EQ(got.size(), want.size());
  double worst = 0;
  for (size_t i = 0; i < std::min(got.size(), want.size()); ++i) {
    worst = std::max(worst, std::fabs(got[i] - want[i].get<double>()));
  }
  return worst;
}

double Cosine(const std::vector<float>& a, const json& b) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    const double y = b[i].get<double>();
    ab += a[i] * y;
    aa += double(a[i]) * a[i];
    bb += y * y;
  }
  return ab / std::sqrt(aa * bb);
}

// A Hangul syllable (U+AC00..U+D7A3) anywhere in the UTF-8 text.
bool HasHangulSyllable(const std::string& s) {
  for (size_t i = 0; i + 2 < s.size(); ++i) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    if ((b0 & 0xF0) != 0xE0) continue;
    const uint32_t cp = (b0 & 0x0Fu) << 12 |
                        (static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 6 |
                        (static_cast<unsigned char>(s[i + 2]) & 0x3Fu);
    if (cp >= 0xAC00 && cp <= 0xD7A3) return true;
  }
  return false;
}

// The worst figures of one file, printed for the record.
struct Worst {
  double one_minus_cos = 0, l2 = 0, raw = 0, hidden = 0, score = 0;
  int texts = 0, ids_equal = 0, hangul_divergent = 0;
};

class EncoderReferenceTest : public ::testing::TestWithParam<std::string> {};

TEST_P(EncoderReferenceTest, MatchesLlamaCpp) {
  const std::string shared = testing::SharedDirOrEmpty();
  if (shared.empty()) GTEST_SKIP() << testing::kNoSharedMessage;
  const std::string stem = GetParam();
  const std::string dir = shared + "/reference_embed/";
  const std::string model_path = dir + "models/" + stem + ".gguf";
  if (!std::ifstream(model_path).good()) {
    GTEST_SKIP() << model_path << " is not stored";
  }
  const std::vector<json> refs = ReadJsonl(dir + stem + ".jsonl");
  ASSERT_FALSE(refs.empty()) << dir << stem << ".jsonl";
  const bool q8_0 = stem.ends_with("q8_0");
  const Bounds& bound = q8_0 ? kQ8_0Bounds : kF32Bounds;

  auto engine = engine::EncoderEngine::Load(
      {.model_path = model_path, .threads = 2, .max_tokens = 512});
  ASSERT_TRUE(engine.ok()) << engine.status();
  engine::EncoderEngine& e = **engine;
  const bool rank = refs[0]["pooling"] == "rank";
  ASSERT_EQ(e.default_pooling(),
            *model::ParseEncoderPooling(refs[0]["pooling"].get<std::string>()));

  Worst worst;
  std::vector<std::vector<int32_t>> ref_ids;
  for (const json& r : refs) {
    SCOPED_TRACE(absl::StrCat(stem, " text ", r["index"].get<int>()));
    ++worst.texts;
    const std::vector<int32_t> want = r["tokens"].get<std::vector<int32_t>>();
    ASSERT_EQ(want.size(), r["n_tokens"].get<size_t>());
    const std::vector<int32_t> ours =
        r.contains("query")
            ? e.TokenizeRerankPair(r["query"].get<std::string>(),
                                   r["document"].get<std::string>())
            : e.TokenizeForEmbedding(r["text"].get<std::string>());
    if (ours == want) {
      ++worst.ids_equal;
    } else {
      // Only the documented Hangul divergence may differ.
      ASSERT_TRUE(HasHangulSyllable(r["text"].get<std::string>()))
          << "token ids differ from llama.cpp's";
      ++worst.hangul_divergent;
    }
    ref_ids.push_back(want);
  }

  // All texts in one packed batch, then each alone.
  absl::StatusOr<std::vector<std::vector<float>>> batch =
      rank ? e.EmbedIds(ref_ids, {})
           : e.EmbedIds(ref_ids, {.normalize = false});
  ASSERT_TRUE(batch.ok()) << batch.status();
  for (size_t i = 0; i < refs.size(); ++i) {
    const json& r = refs[i];
    SCOPED_TRACE(absl::StrCat(stem, " text ", r["index"].get<int>()));
    absl::StatusOr<std::vector<std::vector<float>>> alone =
        e.EmbedIds({ref_ids[i]}, {});
    ASSERT_TRUE(alone.ok()) << alone.status();
    for (size_t j = 0; j < (*batch)[i].size(); ++j) {
      ASSERT_NEAR((*alone)[0][j], (*batch)[i][j], 1e-5) << "batched vs alone";
    }
    const std::vector<float>& got = (*batch)[i];
    if (rank) {
      ASSERT_EQ(got.size(), r["score"].size());
      const double d = MaxAbsDiff(got, r["score"]);
      worst.score = std::max(worst.score, d);
      EXPECT_LE(d, bound.score_max) << "score";
    } else {
      const double raw = MaxAbsDiff(got, r["embedding"]);
      EXPECT_LE(raw, bound.raw_max) << "embedding";
      worst.raw = std::max(worst.raw, raw);
      auto normalized = e.EmbedIds({ref_ids[i]}, {.normalize = true});
      ASSERT_TRUE(normalized.ok()) << normalized.status();
      const double cos = Cosine((*normalized)[0], r["embedding_l2"]);
      const double l2 = MaxAbsDiff((*normalized)[0], r["embedding_l2"]);
      EXPECT_GE(cos, bound.l2_cos) << "embedding_l2 cosine";
      EXPECT_LE(l2, bound.l2_max) << "embedding_l2";
      worst.one_minus_cos = std::max(worst.one_minus_cos, 1 - cos);
      worst.l2 = std::max(worst.l2, l2);
    }
    // Final hidden states: every token of text 1, the [CLS] row of the
    // reranker's texts.
    if (r.contains("token_embeddings") || r.contains("cls_embedding")) {
      const size_t d = e.config().embedding_length;
      std::vector<float> hidden(ref_ids[i].size() * d);
      const absl::Span<const int32_t> one[] = {ref_ids[i]};
      ASSERT_TRUE(e.encoder().EncodeTokens(one, absl::MakeSpan(hidden)).ok());
      if (r.contains("token_embeddings")) {
        const json& rows = r["token_embeddings"];
        ASSERT_EQ(rows.size(), ref_ids[i].size());
        for (size_t t = 0; t < rows.size(); ++t) {
          const std::vector<float> row(hidden.begin() + t * d,
                                       hidden.begin() + (t + 1) * d);
          const double h = MaxAbsDiff(row, rows[t]);
          EXPECT_LE(h, bound.hidden_max) << "token_embeddings[" << t << "]";
          worst.hidden = std::max(worst.hidden, h);
        }
      }
      if (r.contains("cls_embedding")) {
        const std::vector<float> row(hidden.begin(), hidden.begin() + d);
        const double h = MaxAbsDiff(row, r["cls_embedding"]);
        EXPECT_LE(h, bound.hidden_max) << "cls_embedding";
        worst.hidden = std::max(worst.hidden, h);
      }
    }
  }
  const std::string summary = absl::StrFormat(
      "%s: %d texts, ids equal %d (Hangul divergent %d); worst 1-cos %.2g, "
      "L2 %.2g, raw %.2g, hidden %.2g, score %.2g",
      stem, worst.texts, worst.ids_equal, worst.hangul_divergent,
      worst.one_minus_cos, worst.l2, worst.raw, worst.hidden, worst.score);
  std::printf("%s\n", summary.c_str());
  RecordProperty("summary", summary);
}

INSTANTIATE_TEST_SUITE_P(Models, EncoderReferenceTest,
                         ::testing::Values("bert-mean-f32", "bert-mean-q8_0",
                                           "bert-cls-f32", "bert-cls-q8_0",
                                           "nomic-bert-f32", "nomic-bert-q8_0",
                                           "bert-rerank-f32",
                                           "bert-rerank-q8_0"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace
}  // namespace edgellm
