// model::Encoder against an independent double-precision forward pass
// written here from the formulas in encoder.h (only the GELU is ops'
// fp16-table definition, which ops/activation_test checks on its own), on
// random-weight tiny bert, nomic-bert and reranker files; batching; every
// weight type; and its errors.
#include "runtime/model/encoder.h"

#include <cmath>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ops/activation.h"
#include "quant/fp16.h"
#include "quant/q8_0.h"
#include "runtime/gguf/gguf.h"
#include "runtime/gguf/writer.h"
#include "runtime/model/encoder_config.h"
#include "runtime/model/encoder_weights.h"
#include "runtime/model/random_model.h"

namespace edgellm::model {
namespace {

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return absl::StrCat(dir != nullptr ? dir : "/tmp", "/", name);
}

std::string WriteShape(const std::string& shape, bool q8_0) {
  RandomModelSpec spec = *NamedRandomModelSpec(shape);
  spec.file_type = q8_0 ? quant::FileType::kQ8_0 : quant::FileType::kF32;
  spec.seed = 7;
  const std::string path =
      TempPath(absl::StrCat(shape, q8_0 ? "-q8_0" : "-f32", ".gguf"));
  EXPECT_TRUE(WriteRandomModel(spec, path, false).ok());
  return path;
}

// A loaded encoder and the file it reads.
struct Loaded {
  std::unique_ptr<gguf::GgufFile> file;
  EncoderConfig config;
  EncoderWeights weights;
  std::unique_ptr<ops::ThreadPool> pool;
  std::unique_ptr<Encoder> encoder;
};

absl::StatusOr<Loaded> Load(const std::string& path, int32_t max_tokens = 512,
                            int threads = 2) {
  Loaded l;
  auto file = gguf::GgufFile::Open(path);
  if (!file.ok()) return file.status();
  l.file = std::move(*file);
  auto config = ReadEncoderConfig(*l.file);
  if (!config.ok()) return config.status();
  l.config = *config;
  auto weights = BindEncoderWeights(*l.file, l.config);
  if (!weights.ok()) return weights.status();
  l.weights = *weights;
  l.pool = std::move(ops::ThreadPool::Create(threads)).value();
  EncoderOptions options;
  options.max_tokens = max_tokens;
  auto encoder = Encoder::Create(l.config, l.weights, options, l.pool.get());
  if (!encoder.ok()) return encoder.status();
  l.encoder = std::move(*encoder);
  return l;
}

// ---- The double-precision reference -------------------------------------

using Mat = std::vector<double>;  // row-major

const float* F32(const gguf::GgufFile& f, const std::string& name) {
  const gguf::TensorInfo* t = f.FindTensor(name);
  EXPECT_NE(t, nullptr) << name;
  EXPECT_EQ(t->type, gguf::TensorType::kF32) << name;
  return reinterpret_cast<const float*>(t->data);
}
bool Has(const gguf::GgufFile& f, const std::string& name) {
  return f.FindTensor(name) != nullptr;
}

// y[n][out] = x[n][in] W^T (+ b), W [out][in] from the file.
Mat Linear(const Mat& x, size_t n, size_t in, const float* w, size_t out,
           const float* b) {
  Mat y(n * out);
  for (size_t t = 0; t < n; ++t) {
    for (size_t o = 0; o < out; ++o) {
      double s = b != nullptr ? b[o] : 0.0;
      for (size_t i = 0; i < in; ++i) s += x[t * in + i] * w[o * in + i];
      y[t * out + o] = s;
    }
  }
  return y;
}

void LayerNorm(Mat& x, size_t n, size_t d, const float* w, const float* b,
               double eps) {
  for (size_t t = 0; t < n; ++t) {
    double mean = 0, var = 0;
    for (size_t i = 0; i < d; ++i) mean += x[t * d + i];
    mean /= d;
    for (size_t i = 0; i < d; ++i) {
      var += (x[t * d + i] - mean) * (x[t * d + i] - mean);
    }
    var /= d;
    for (size_t i = 0; i < d; ++i) {
      x[t * d + i] = (x[t * d + i] - mean) / std::sqrt(var + eps) * w[i] + b[i];
    }
  }
}

// NeoX rotation of the pairs (j, j + d/2) of each head at position t.
void Rope(Mat& x, size_t n, size_t heads, size_t hd, double base) {
  for (size_t t = 0; t < n; ++t) {
    for (size_t h = 0; h < heads; ++h) {
      double* v = &x[(t * heads + h) * hd];
      for (size_t j = 0; j < hd / 2; ++j) {
        const double theta = t * std::pow(base, -2.0 * j / hd);
        const double a = v[j], b = v[j + hd / 2];
        v[j] = a * std::cos(theta) - b * std::sin(theta);
        v[j + hd / 2] = a * std::sin(theta) + b * std::cos(theta);
      }
    }
  }
}

// Final hidden states of one sequence.
Mat ReferenceHidden(const gguf::GgufFile& f, const EncoderConfig& c,
                    const std::vector<int32_t>& ids) {
  const size_t n = ids.size(), d = c.embedding_length,
               ff = c.feed_forward_length, heads = c.head_count,
               hd = c.head_dim;
  const bool nomic = c.architecture == EncoderArchitecture::kNomicBert;
  Mat x(n * d);
  const float* tok = F32(f, "token_embd.weight");
  const float* types = F32(f, "token_types.weight");
  for (size_t t = 0; t < n; ++t) {
    for (size_t i = 0; i < d; ++i) {
      x[t * d + i] = double(tok[ids[t] * d + i]) + types[i];
      if (!nomic) x[t * d + i] += F32(f, "position_embd.weight")[t * d + i];
    }
  }
  LayerNorm(x, n, d, F32(f, "token_embd_norm.weight"),
            F32(f, "token_embd_norm.bias"), c.layer_norm_eps);
  for (int l = 0; l < c.block_count; ++l) {
    auto name = [l](const char* s) { return absl::StrCat("blk.", l, ".", s); };
    auto bias = [&](const char* s) {
      return Has(f, name(s)) ? F32(f, name(s)) : nullptr;
    };
    Mat q, k, v;
    if (nomic) {
      const float* w = F32(f, name("attn_qkv.weight"));
      q = Linear(x, n, d, w, d, nullptr);
      k = Linear(x, n, d, w + d * d, d, nullptr);
      v = Linear(x, n, d, w + 2 * d * d, d, nullptr);
      Rope(q, n, heads, hd, c.rope_freq_base);
      Rope(k, n, heads, hd, c.rope_freq_base);
    } else {
      q = Linear(x, n, d, F32(f, name("attn_q.weight")), d,
                 bias("attn_q.bias"));
      k = Linear(x, n, d, F32(f, name("attn_k.weight")), d,
                 bias("attn_k.bias"));
      v = Linear(x, n, d, F32(f, name("attn_v.weight")), d,
                 bias("attn_v.bias"));
    }
    Mat att(n * d, 0.0);
    for (size_t h = 0; h < heads; ++h) {
      for (size_t t = 0; t < n; ++t) {
        std::vector<double> s(n);
        double max = -1e300, sum = 0;
        for (size_t j = 0; j < n; ++j) {
          double dot = 0;
          for (size_t i = 0; i < hd; ++i) {
            dot += q[t * d + h * hd + i] * k[j * d + h * hd + i];
          }
          s[j] = dot / std::sqrt(double(hd));
          max = std::max(max, s[j]);
        }
        for (double& e : s) sum += (e = std::exp(e - max));
        for (size_t j = 0; j < n; ++j) {
          for (size_t i = 0; i < hd; ++i) {
            att[t * d + h * hd + i] += s[j] / sum * v[j * d + h * hd + i];
          }
        }
      }
    }
    Mat a = Linear(att, n, d, F32(f, name("attn_output.weight")), d,
                   bias("attn_output.bias"));
    for (size_t i = 0; i < n * d; ++i) x[i] += a[i];
    LayerNorm(x, n, d, F32(f, name("attn_output_norm.weight")),
              F32(f, name("attn_output_norm.bias")), c.layer_norm_eps);
    Mat up =
        Linear(x, n, d, F32(f, name("ffn_up.weight")), ff, bias("ffn_up.bias"));
    if (nomic) {
      Mat gate = Linear(x, n, d, F32(f, name("ffn_gate.weight")), ff, nullptr);
      for (size_t i = 0; i < n * ff; ++i) {
        up[i] *= gate[i] / (1 + std::exp(-gate[i]));
      }
    } else {
      for (double& u : up) {
        const float in = static_cast<float>(u);
        float out;
        ops::GeluRef(&in, 1, &out);
        u = out;
      }
    }
    Mat down = Linear(up, n, ff, F32(f, name("ffn_down.weight")), d,
                      bias("ffn_down.bias"));
    for (size_t i = 0; i < n * d; ++i) x[i] += down[i];
    LayerNorm(x, n, d, F32(f, name("layer_output_norm.weight")),
              F32(f, name("layer_output_norm.bias")), c.layer_norm_eps);
  }
  return x;
}

std::vector<std::vector<int32_t>> RandomSequences(int32_t vocab,
                                                  std::mt19937& rng,
                                                  std::vector<size_t> lengths) {
  std::uniform_int_distribution<int32_t> id(104, vocab - 1);
  std::vector<std::vector<int32_t>> out;
  for (size_t len : lengths) {
    std::vector<int32_t> s = {101};
    while (s.size() + 1 < len) s.push_back(id(rng));
    s.push_back(102);
    s.resize(len);
    out.push_back(s);
  }
  return out;
}

std::vector<absl::Span<const int32_t>> Spans(
    const std::vector<std::vector<int32_t>>& seqs) {
  return {seqs.begin(), seqs.end()};
}

// Every pooling and the hidden states of tiny bert and nomic-bert, the
// sequences packed into one pass, against the double reference. bert's
// tolerance is wider: its fp16-table GELU jumps by an fp16 step (up to 1e-3
// relative) where f32 and double inputs round to different sides of an fp16
// boundary (llama.cpp's references show the same, README of
// reference_embed).
TEST(EncoderTest, MatchesDoubleReference) {
  std::mt19937 rng(11);
  for (const char* shape : {"tiny-bert", "tiny-nomic-bert"}) {
    SCOPED_TRACE(shape);
    const double tol = std::string(shape) == "tiny-bert" ? 1.5e-3 : 2e-4;
    auto l = Load(WriteShape(shape, /*q8_0=*/false));
    ASSERT_TRUE(l.ok()) << l.status();
    const EncoderConfig& c = l->config;
    const size_t d = c.embedding_length;
    const auto seqs = RandomSequences(c.vocab_size, rng, {7, 1, 33, 2, 70});
    std::vector<Mat> ref;
    for (const auto& s : seqs) ref.push_back(ReferenceHidden(*l->file, c, s));

    size_t total = 0;
    for (const auto& s : seqs) total += s.size();
    std::vector<float> hidden(total * d);
    ASSERT_TRUE(
        l->encoder->EncodeTokens(Spans(seqs), absl::MakeSpan(hidden)).ok());
    size_t row = 0;
    for (size_t s = 0; s < seqs.size(); ++s) {
      for (size_t i = 0; i < seqs[s].size() * d; ++i) {
        ASSERT_NEAR(hidden[row * d + i], ref[s][i], tol)
            << "sequence " << s << " value " << i;
      }
      row += seqs[s].size();
    }
    for (EncoderPooling p :
         {EncoderPooling::kMean, EncoderPooling::kCls, EncoderPooling::kLast}) {
      for (bool normalize : {false, true}) {
        std::vector<float> out(seqs.size() * d);
        ASSERT_TRUE(
            l->encoder->Encode(Spans(seqs), p, normalize, absl::MakeSpan(out))
                .ok());
        for (size_t s = 0; s < seqs.size(); ++s) {
          const size_t n = seqs[s].size();
          std::vector<double> want(d, 0.0);
          for (size_t i = 0; i < d; ++i) {
            if (p == EncoderPooling::kMean) {
              for (size_t t = 0; t < n; ++t) want[i] += ref[s][t * d + i] / n;
            } else {
              want[i] = ref[s][(p == EncoderPooling::kCls ? 0 : n - 1) * d + i];
            }
          }
          double norm = 0;
          for (double w : want) norm += w * w;
          norm = normalize ? std::sqrt(norm) : 1.0;
          for (size_t i = 0; i < d; ++i) {
            ASSERT_NEAR(out[s * d + i], want[i] / norm, tol)
                << EncoderPoolingName(p) << " sequence " << s;
          }
        }
      }
    }
  }
}

TEST(EncoderTest, RerankHeadMatchesDoubleReference) {
  std::mt19937 rng(12);
  auto l = Load(WriteShape("tiny-bert-rerank", /*q8_0=*/false));
  ASSERT_TRUE(l.ok()) << l.status();
  const EncoderConfig& c = l->config;
  ASSERT_EQ(c.pooling, EncoderPooling::kRank);
  ASSERT_TRUE(l->encoder->can_rank());
  ASSERT_EQ(l->encoder->OutputSize(EncoderPooling::kRank), 1);
  const size_t d = c.embedding_length;
  const auto seqs = RandomSequences(c.vocab_size, rng, {9, 3, 40});
  std::vector<float> scores(seqs.size());
  ASSERT_TRUE(l->encoder
                  ->Encode(Spans(seqs), EncoderPooling::kRank, false,
                           absl::MakeSpan(scores))
                  .ok());
  const float* cls = F32(*l->file, "cls.weight");
  const float* cls_b = F32(*l->file, "cls.bias");
  const float* out_w = F32(*l->file, "cls.output.weight");
  const float* out_b = F32(*l->file, "cls.output.bias");
  for (size_t s = 0; s < seqs.size(); ++s) {
    const Mat h = ReferenceHidden(*l->file, c, seqs[s]);
    Mat first(h.begin(), h.begin() + d);
    Mat mid = Linear(first, 1, d, cls, d, cls_b);
    for (double& m : mid) m = std::tanh(m);
    const Mat score = Linear(mid, 1, d, out_w, 1, out_b);
    EXPECT_NEAR(scores[s], score[0], 1.5e-3) << "sequence " << s;
  }
}

// Packing is invisible: one pass of many sequences, passes split by a small
// max_tokens, and each sequence alone give the same vectors.
TEST(EncoderTest, PackedBatchesEqualSingleSequences) {
  std::mt19937 rng(13);
  const std::string path = WriteShape("tiny-nomic-bert", /*q8_0=*/true);
  auto big = Load(path, 512);
  auto small = Load(path, 40);
  ASSERT_TRUE(big.ok() && small.ok());
  const size_t d = big->config.embedding_length;
  const auto seqs = RandomSequences(big->config.vocab_size, rng,
                                    {16, 16, 5, 40, 1, 16, 23, 16});
  std::vector<float> a(seqs.size() * d), b(a.size()), one(d);
  ASSERT_TRUE(
      big->encoder
          ->Encode(Spans(seqs), EncoderPooling::kMean, true, absl::MakeSpan(a))
          .ok());
  ASSERT_TRUE(
      small->encoder
          ->Encode(Spans(seqs), EncoderPooling::kMean, true, absl::MakeSpan(b))
          .ok());
  for (size_t s = 0; s < seqs.size(); ++s) {
    const absl::Span<const int32_t> alone[] = {seqs[s]};
    ASSERT_TRUE(
        big->encoder
            ->Encode(alone, EncoderPooling::kMean, true, absl::MakeSpan(one))
            .ok());
    for (size_t i = 0; i < d; ++i) {
      ASSERT_NEAR(a[s * d + i], one[i], 1e-6) << s;
      ASSERT_NEAR(b[s * d + i], one[i], 1e-6) << s;
    }
  }
}

// Copies a GGUF file with every 2-D tensor re-encoded as `type`.
std::string Reencode(const std::string& path, gguf::TensorType type,
                     const std::string& suffix) {
  auto file = std::move(gguf::GgufFile::Open(path)).value();
  gguf::GgufWriter w;
  for (const auto& [key, value] : file->metadata()) w.SetValue(key, value);
  for (const gguf::TensorInfo& t : file->tensors()) {
    const bool matrix = t.dims.size() == 2 && t.dims[1] > 1;
    const auto* f = reinterpret_cast<const float*>(t.data);
    const size_t n = t.num_elements();
    std::string bytes;
    gguf::TensorType out = gguf::TensorType::kF32;
    if (!matrix || t.type != gguf::TensorType::kF32) {
      out = t.type;
      bytes.assign(reinterpret_cast<const char*>(t.data), t.size_bytes);
    } else if (type == gguf::TensorType::kQ8_0) {
      out = type;
      std::vector<quant::BlockQ8_0> blocks(n / quant::kQ8_0BlockSize);
      quant::QuantizeRowQ8_0(f, blocks.data(), n);
      bytes.assign(reinterpret_cast<const char*>(blocks.data()),
                   blocks.size() * sizeof(quant::BlockQ8_0));
    } else {
      out = type;
      for (size_t i = 0; i < n; ++i) {
        const uint16_t h = type == gguf::TensorType::kF16
                               ? quant::Fp32ToFp16(f[i])
                               : quant::Fp32ToBf16(f[i]);
        bytes.append(reinterpret_cast<const char*>(&h), 2);
      }
    }
    w.AddTensor(t.name, out, t.dims, std::move(bytes));
  }
  const std::string out_path = path + suffix;
  EXPECT_TRUE(w.Write(out_path).ok());
  return out_path;
}

// F16, BF16 and Q8_0 weights (embeddings included) give the F32 model's
// vectors within their rounding.
TEST(EncoderTest, EveryWeightTypeMatchesF32) {
  std::mt19937 rng(14);
  for (const char* shape : {"tiny-bert", "tiny-nomic-bert"}) {
    const std::string f32 = WriteShape(shape, /*q8_0=*/false);
    auto base = Load(f32);
    ASSERT_TRUE(base.ok()) << base.status();
    const size_t d = base->config.embedding_length;
    const auto seqs = RandomSequences(base->config.vocab_size, rng, {12, 30});
    std::vector<float> want(seqs.size() * d);
    ASSERT_TRUE(base->encoder
                    ->Encode(Spans(seqs), EncoderPooling::kMean, true,
                             absl::MakeSpan(want))
                    .ok());
    struct Case {
      gguf::TensorType type;
      const char* suffix;
      double min_cos;
    };
    for (const Case& k : {Case{gguf::TensorType::kF16, ".f16", 0.99999},
                          Case{gguf::TensorType::kBF16, ".bf16", 0.999},
                          Case{gguf::TensorType::kQ8_0, ".q8_0", 0.999}}) {
      SCOPED_TRACE(absl::StrCat(shape, k.suffix));
      auto other = Load(Reencode(f32, k.type, k.suffix));
      ASSERT_TRUE(other.ok()) << other.status();
      std::vector<float> got(want.size());
      ASSERT_TRUE(other->encoder
                      ->Encode(Spans(seqs), EncoderPooling::kMean, true,
                               absl::MakeSpan(got))
                      .ok());
      for (size_t s = 0; s < seqs.size(); ++s) {
        double dot = 0;
        for (size_t i = 0; i < d; ++i) dot += got[s * d + i] * want[s * d + i];
        EXPECT_GE(dot, k.min_cos) << "sequence " << s;
        EXPECT_LT(dot, 1.0 + 1e-5);
      }
    }
  }
}

TEST(EncoderTest, BadInputsAreClearErrors) {
  auto l = Load(WriteShape("tiny-bert", /*q8_0=*/true), 64);
  ASSERT_TRUE(l.ok()) << l.status();
  const size_t d = l->config.embedding_length;
  std::vector<float> out(4 * d);
  const std::vector<int32_t> ok = {101, 200, 102};
  const std::vector<int32_t> empty;
  const std::vector<int32_t> bad_id = {101, 5000, 102};
  const std::vector<int32_t> too_long(65, 200);
  for (const auto* bad : {&empty, &bad_id, &too_long}) {
    const absl::Span<const int32_t> seqs[] = {ok, *bad};
    absl::Status s = l->encoder->Encode(seqs, EncoderPooling::kMean, false,
                                        absl::MakeSpan(out));
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(s.message().find("sequences[1]"), std::string::npos) << s;
  }
  const absl::Span<const int32_t> one[] = {ok};
  EXPECT_EQ(
      l->encoder->Encode(one, EncoderPooling::kRank, false, absl::MakeSpan(out))
          .code(),
      absl::StatusCode::kUnimplemented);  // no classifier head
  EXPECT_EQ(
      l->encoder->Encode(one, EncoderPooling::kNone, false, absl::MakeSpan(out))
          .code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(l->encoder
                ->Encode(one, EncoderPooling::kMean, false,
                         absl::MakeSpan(out.data(), d - 1))
                .code(),
            absl::StatusCode::kInvalidArgument);  // output too short
}

// A tensor the binder does not know (a variant's extra weights) and a
// missing one fail the load by name.
TEST(EncoderTest, UnknownOrMissingTensorsAreRefused) {
  const std::string path = WriteShape("tiny-bert", /*q8_0=*/false);
  auto file = std::move(gguf::GgufFile::Open(path)).value();
  for (bool extra : {true, false}) {
    gguf::GgufWriter w;
    for (const auto& [key, value] : file->metadata()) w.SetValue(key, value);
    for (const gguf::TensorInfo& t : file->tensors()) {
      if (!extra && t.name == "blk.1.attn_output_norm.bias") continue;
      w.AddTensor(
          t.name, t.type, t.dims,
          std::string(reinterpret_cast<const char*>(t.data), t.size_bytes));
    }
    if (extra) {
      w.AddTensor("blk.0.attn_q_norm.weight", gguf::TensorType::kF32, {128},
                  std::string(128 * 4, '\0'));
    }
    const std::string out = path + (extra ? ".extra" : ".missing");
    ASSERT_TRUE(w.Write(out).ok());
    absl::StatusOr<Loaded> l = Load(out);
    ASSERT_FALSE(l.ok());
    EXPECT_NE(l.status().message().find(extra ? "blk.0.attn_q_norm.weight"
                                              : "blk.1.attn_output_norm.bias"),
              std::string::npos)
        << l.status();
  }
}

}  // namespace
}  // namespace edgellm::model
