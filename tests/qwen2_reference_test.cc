// The engine's forward pass against an independent scalar reference.
//
// A small random-weight model (F32 weights, written by random_model) is run
// through LoadedModel/Transformer, and the same GGUF is read here tensor by
// tensor and evaluated by a plain double-precision forward pass written from
// the model definitions, not from ops/ or runtime/model:
//   Qwen2 (HF transformers modeling_qwen2.py): RMSNorm, Q/K/V with bias,
//     RoPE in the NeoX / rotate_half layout (pairs (i, i + head_dim/2)),
//     causal grouped-query attention, SwiGLU FFN, tied output head.
//   Llama (llama.cpp LLAMA_ROPE_TYPE_NORM): the same without biases, RoPE on
//     adjacent pairs (2i, 2i+1), untied output head.
// Logits must agree to 1e-4 relative at every position, both for a whole
// prompt in one batch and token by token.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "runtime/engine/loaded_model.h"
#include "runtime/gguf/gguf.h"
#include "runtime/model/kv_cache.h"
#include "runtime/model/random_model.h"
#include "runtime/model/transformer.h"

namespace edgellm {
namespace {

// ---------------------------------------------------------------------------
// The reference: doubles, loops, nothing shared with the engine but the file.

enum class RefRope { kNeox, kAdjacent };

struct RefModel {
  const gguf::GgufFile* file = nullptr;
  std::string arch;
  int64_t d = 0, layers = 0, heads = 0, kv_heads = 0, ff = 0, vocab = 0;
  int64_t head_dim = 0;
  double eps = 0, rope_base = 0;
  RefRope rope = RefRope::kNeox;
  bool bias = false;
};

// Tensor `name` as doubles; checks type F32 and the GGUF dims {in, out}
// (or {n} for a vector).
std::vector<double> ReadF32(const gguf::GgufFile& file, const std::string& name,
                            std::vector<int64_t> dims) {
  const gguf::TensorInfo* t = file.FindTensor(name);
  EXPECT_NE(t, nullptr) << name;
  if (t == nullptr) return {};
  EXPECT_EQ(t->type, gguf::TensorType::kF32) << name;
  EXPECT_EQ(t->dims, dims) << name;
  if (t->type != gguf::TensorType::kF32 || t->dims != dims) return {};
  const int64_t n = t->num_elements();
  std::vector<double> out(n);
  for (int64_t i = 0; i < n; ++i) {
    float f;
    std::memcpy(&f, t->data + 4 * i, 4);
    out[i] = f;
  }
  return out;
}

// y[out] = W x (+ b); W row-major [out][in] (GGUF dims {in, out}).
std::vector<double> MatVec(const std::vector<double>& w,
                           const std::vector<double>& x, int64_t out,
                           const std::vector<double>* b = nullptr) {
  const int64_t in = static_cast<int64_t>(x.size());
  std::vector<double> y(out, 0.0);
  for (int64_t r = 0; r < out; ++r) {
    double s = 0;
    for (int64_t c = 0; c < in; ++c) s += w[r * in + c] * x[c];
    y[r] = s + (b != nullptr ? (*b)[r] : 0.0);
  }
  return y;
}

std::vector<double> RmsNorm(const std::vector<double>& x,
                            const std::vector<double>& g, double eps) {
  double ss = 0;
  for (double v : x) ss += v * v;
  const double scale = 1.0 / std::sqrt(ss / x.size() + eps);
  std::vector<double> y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = x[i] * scale * g[i];
  return y;
}

// Rotates every head of `v` (n_heads * head_dim) for position `pos`.
void ApplyRope(std::vector<double>& v, int64_t n_heads, int64_t head_dim,
               int64_t pos, double base, RefRope style) {
  const int64_t half = head_dim / 2;
  for (int64_t h = 0; h < n_heads; ++h) {
    double* x = v.data() + h * head_dim;
    for (int64_t i = 0; i < half; ++i) {
      const double theta =
          pos * std::pow(base, -2.0 * static_cast<double>(i) / head_dim);
      const double c = std::cos(theta), s = std::sin(theta);
      const int64_t a = style == RefRope::kNeox ? i : 2 * i;
      const int64_t b = style == RefRope::kNeox ? i + half : 2 * i + 1;
      const double xa = x[a], xb = x[b];
      x[a] = xa * c - xb * s;
      x[b] = xa * s + xb * c;
    }
  }
}

// Logits [tokens.size()][vocab] of the causal forward pass over `tokens` at
// positions 0, 1, ...
std::vector<std::vector<double>> ReferenceForward(
    const RefModel& m, const std::vector<int32_t>& tokens) {
  const gguf::GgufFile& f = *m.file;
  const int64_t n = static_cast<int64_t>(tokens.size());
  const int64_t q_dim = m.heads * m.head_dim;
  const int64_t kv_dim = m.kv_heads * m.head_dim;
  const std::vector<double> embd =
      ReadF32(f, "token_embd.weight", {m.d, m.vocab});

  std::vector<std::vector<double>> x(n);
  for (int64_t t = 0; t < n; ++t) {
    x[t].assign(embd.begin() + tokens[t] * m.d,
                embd.begin() + (tokens[t] + 1) * m.d);
  }
  for (int64_t l = 0; l < m.layers; ++l) {
    auto name = [l](const char* s) { return absl::StrCat("blk.", l, ".", s); };
    const auto attn_norm = ReadF32(f, name("attn_norm.weight"), {m.d});
    const auto wq = ReadF32(f, name("attn_q.weight"), {m.d, q_dim});
    const auto wk = ReadF32(f, name("attn_k.weight"), {m.d, kv_dim});
    const auto wv = ReadF32(f, name("attn_v.weight"), {m.d, kv_dim});
    std::vector<double> bq, bk, bv;
    if (m.bias) {
      bq = ReadF32(f, name("attn_q.bias"), {q_dim});
      bk = ReadF32(f, name("attn_k.bias"), {kv_dim});
      bv = ReadF32(f, name("attn_v.bias"), {kv_dim});
    } else {
      EXPECT_EQ(f.FindTensor(name("attn_q.bias")), nullptr);
    }
    const auto wo = ReadF32(f, name("attn_output.weight"), {q_dim, m.d});
    const auto ffn_norm = ReadF32(f, name("ffn_norm.weight"), {m.d});
    const auto wg = ReadF32(f, name("ffn_gate.weight"), {m.d, m.ff});
    const auto wu = ReadF32(f, name("ffn_up.weight"), {m.d, m.ff});
    const auto wd = ReadF32(f, name("ffn_down.weight"), {m.ff, m.d});

    std::vector<std::vector<double>> q(n), k(n), v(n);
    for (int64_t t = 0; t < n; ++t) {
      const auto h = RmsNorm(x[t], attn_norm, m.eps);
      q[t] = MatVec(wq, h, q_dim, m.bias ? &bq : nullptr);
      k[t] = MatVec(wk, h, kv_dim, m.bias ? &bk : nullptr);
      v[t] = MatVec(wv, h, kv_dim, m.bias ? &bv : nullptr);
      ApplyRope(q[t], m.heads, m.head_dim, t, m.rope_base, m.rope);
      ApplyRope(k[t], m.kv_heads, m.head_dim, t, m.rope_base, m.rope);
    }
    const double scale = 1.0 / std::sqrt(static_cast<double>(m.head_dim));
    const int64_t group = m.heads / m.kv_heads;
    for (int64_t t = 0; t < n; ++t) {
      std::vector<double> att(q_dim, 0.0);
      for (int64_t h = 0; h < m.heads; ++h) {
        const int64_t kh = h / group;  // query head h reads KV head h/group
        std::vector<double> score(t + 1);
        double mx = -INFINITY;
        for (int64_t s = 0; s <= t; ++s) {
          double dot = 0;
          for (int64_t i = 0; i < m.head_dim; ++i) {
            dot += q[t][h * m.head_dim + i] * k[s][kh * m.head_dim + i];
          }
          score[s] = dot * scale;
          mx = std::max(mx, score[s]);
        }
        double sum = 0;
        for (double& e : score) sum += (e = std::exp(e - mx));
        for (int64_t s = 0; s <= t; ++s) {
          for (int64_t i = 0; i < m.head_dim; ++i) {
            att[h * m.head_dim + i] +=
                score[s] / sum * v[s][kh * m.head_dim + i];
          }
        }
      }
      const auto o = MatVec(wo, att, m.d);
      for (int64_t i = 0; i < m.d; ++i) x[t][i] += o[i];

      const auto h2 = RmsNorm(x[t], ffn_norm, m.eps);
      auto g = MatVec(wg, h2, m.ff);
      const auto u = MatVec(wu, h2, m.ff);
      for (int64_t i = 0; i < m.ff; ++i) {
        g[i] = g[i] / (1.0 + std::exp(-g[i])) * u[i];  // silu(gate) * up
      }
      const auto down = MatVec(wd, g, m.d);
      for (int64_t i = 0; i < m.d; ++i) x[t][i] += down[i];
    }
  }
  const auto out_norm = ReadF32(f, "output_norm.weight", {m.d});
  const bool tied = f.FindTensor("output.weight") == nullptr;
  const std::vector<double> head =
      tied ? embd : ReadF32(f, "output.weight", {m.d, m.vocab});
  std::vector<std::vector<double>> logits(n);
  for (int64_t t = 0; t < n; ++t) {
    logits[t] = MatVec(head, RmsNorm(x[t], out_norm, m.eps), m.vocab);
  }
  return logits;
}

absl::StatusOr<RefModel> ReadRefModel(const gguf::GgufFile& file) {
  RefModel m;
  m.file = &file;
  absl::StatusOr<std::string_view> arch =
      file.GetString("general.architecture");
  if (!arch.ok()) return arch.status();
  m.arch = std::string(*arch);
  auto get_int = [&](const char* key, int64_t* out) -> absl::Status {
    absl::StatusOr<int64_t> v = file.GetInt(absl::StrCat(m.arch, ".", key));
    if (!v.ok()) return v.status();
    *out = *v;
    return absl::OkStatus();
  };
  for (auto [key, out] : {std::pair{"embedding_length", &m.d},
                          std::pair{"block_count", &m.layers},
                          std::pair{"attention.head_count", &m.heads},
                          std::pair{"attention.head_count_kv", &m.kv_heads},
                          std::pair{"feed_forward_length", &m.ff}}) {
    if (absl::Status s = get_int(key, out); !s.ok()) return s;
  }
  absl::StatusOr<std::vector<std::string_view>> tokens =
      file.GetStringArray("tokenizer.ggml.tokens");
  if (!tokens.ok()) return tokens.status();
  m.vocab = static_cast<int64_t>(tokens->size());
  m.head_dim = m.d / m.heads;
  absl::StatusOr<double> eps =
      file.GetFloat(m.arch + ".attention.layer_norm_rms_epsilon");
  if (!eps.ok()) return eps.status();
  m.eps = *eps;
  absl::StatusOr<double> base = file.GetFloat(m.arch + ".rope.freq_base");
  if (!base.ok()) return base.status();
  m.rope_base = *base;
  return m;
}

// ---------------------------------------------------------------------------
// The engine side.

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return absl::StrCat(dir != nullptr ? dir : "/tmp", "/", name);
}

// Logits per position, the whole sequence in one Forward call.
absl::StatusOr<std::vector<std::vector<float>>> EngineBatch(
    engine::LoadedModel& e, const std::vector<int32_t>& tokens) {
  const int32_t vocab = e.config().vocab_size;
  std::vector<model::BatchToken> batch;
  for (size_t i = 0; i < tokens.size(); ++i) {
    batch.push_back({.token = tokens[i],
                     .pos = static_cast<int32_t>(i),
                     .slot = 0,
                     .want_logits = true});
  }
  std::vector<float> flat(tokens.size() * vocab);
  if (absl::Status s = e.transformer().Forward(batch, flat.data()); !s.ok()) {
    return s;
  }
  std::vector<std::vector<float>> out;
  for (size_t i = 0; i < tokens.size(); ++i) {
    out.emplace_back(flat.begin() + i * vocab, flat.begin() + (i + 1) * vocab);
  }
  return out;
}

// Logits per position, one Forward call per token.
absl::StatusOr<std::vector<std::vector<float>>> EngineStepwise(
    engine::LoadedModel& e, const std::vector<int32_t>& tokens) {
  const int32_t vocab = e.config().vocab_size;
  std::vector<std::vector<float>> out;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const model::BatchToken t{.token = tokens[i],
                              .pos = static_cast<int32_t>(i),
                              .slot = 0,
                              .want_logits = true};
    std::vector<float> row(vocab);
    if (absl::Status s = e.transformer().Forward({&t, 1}, row.data());
        !s.ok()) {
      return s;
    }
    out.push_back(std::move(row));
  }
  return out;
}

// |a - b| <= tol * max(1, |b|) at every position and vocabulary entry;
// reports the first few mismatches and the worst error.
void ExpectClose(const std::vector<std::vector<float>>& got,
                 const std::vector<std::vector<double>>& want, double rel,
                 double abs_tol, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  int failures = 0;
  double worst = 0;
  for (size_t p = 0; p < want.size(); ++p) {
    ASSERT_EQ(got[p].size(), want[p].size()) << what;
    for (size_t i = 0; i < want[p].size(); ++i) {
      const double err = std::fabs(got[p][i] - want[p][i]);
      const double tol =
          std::max(abs_tol, rel * std::max(1.0, std::fabs(want[p][i])));
      worst = std::max(worst, err / std::max(1.0, std::fabs(want[p][i])));
      if (err > tol && failures++ < 8) {
        ADD_FAILURE() << what << ": position " << p << " token " << i
                      << ": engine " << got[p][i] << " reference " << want[p][i]
                      << " (error " << err << ")";
      }
    }
  }
  EXPECT_EQ(failures, 0) << what << ": " << failures
                         << " logits out of tolerance";
  std::printf("%s: worst relative error %.3g\n", what.c_str(), worst);
}

// BOS then a spread of ids (incl. a repeat, so attention sees equal keys).
const std::vector<int32_t> kTokens = {1,   300, 17,  420, 5,  599,
                                      300, 88,  261, 512, 42, 7};

struct Case {
  model::RandomModelSpec spec;
  RefRope rope;
  bool bias;
};

Case Qwen2Case() {
  model::RandomModelSpec s;
  s.name = "qwen2-ref";
  s.architecture = "qwen2";
  s.vocab_size = 640;
  s.embedding_length = 64;
  s.block_count = 3;
  s.head_count = 4;
  s.head_count_kv = 2;
  s.feed_forward_length = 96;
  s.context_length = 256;
  s.rope_freq_base = 1000000.0f;
  s.tied_output = true;
  s.file_type = quant::FileType::kF32;
  s.seed = 7;
  return {s, RefRope::kNeox, true};
}

Case LlamaCase() {
  model::RandomModelSpec s;
  s.name = "llama-ref";
  s.architecture = "llama";
  s.vocab_size = 608;
  s.embedding_length = 64;
  s.block_count = 2;
  s.head_count = 4;
  s.head_count_kv = 2;
  s.feed_forward_length = 128;
  s.context_length = 256;
  s.rope_freq_base = 10000.0f;
  s.tied_output = false;
  s.file_type = quant::FileType::kF32;
  s.seed = 11;
  return {s, RefRope::kAdjacent, false};
}

void RunReferenceComparison(const Case& c) {
  const std::string path = TempPath(c.spec.name + ".gguf");
  ASSERT_TRUE(model::WriteRandomModel(c.spec, path, false).ok());

  absl::StatusOr<std::unique_ptr<gguf::GgufFile>> file =
      gguf::GgufFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  absl::StatusOr<RefModel> ref = ReadRefModel(**file);
  ASSERT_TRUE(ref.ok()) << ref.status();
  ref->rope = c.rope;
  ref->bias = c.bias;
  ASSERT_EQ(ref->vocab, c.spec.vocab_size);
  const std::vector<std::vector<double>> want = ReferenceForward(*ref, kTokens);
  ASSERT_FALSE(::testing::Test::HasFailure());

  absl::StatusOr<std::unique_ptr<engine::LoadedModel>> engine =
      engine::LoadedModel::Load({.model_path = path, .threads = 2});
  ASSERT_TRUE(engine.ok()) << engine.status();
  absl::StatusOr<std::vector<std::vector<float>>> batch =
      EngineBatch(**engine, kTokens);
  ASSERT_TRUE(batch.ok()) << batch.status();
  ExpectClose(*batch, want, 1e-4, 0, c.spec.name + " one batch");

  // A fresh engine: the stepwise run rewrites the same positions anyway,
  // but a clean cache rules out stale keys helping.
  engine = engine::LoadedModel::Load({.model_path = path, .threads = 2});
  ASSERT_TRUE(engine.ok()) << engine.status();
  absl::StatusOr<std::vector<std::vector<float>>> steps =
      EngineStepwise(**engine, kTokens);
  ASSERT_TRUE(steps.ok()) << steps.status();
  ExpectClose(*steps, want, 1e-4, 0, c.spec.name + " token by token");
}

TEST(ReferenceForwardTest, Qwen2MatchesScalarReference) {
  RunReferenceComparison(Qwen2Case());
}

TEST(ReferenceForwardTest, LlamaMatchesScalarReference) {
  RunReferenceComparison(LlamaCase());
}

// An F16 KV cache rounds keys and values to 11 significant bits, so only a
// loose match is expected; the point is that the f16 path computes the same
// function.
TEST(ReferenceForwardTest, Qwen2F16KvCacheIsClose) {
  const Case c = Qwen2Case();
  const std::string path = TempPath("qwen2-f16kv.gguf");
  ASSERT_TRUE(model::WriteRandomModel(c.spec, path, false).ok());
  absl::StatusOr<std::unique_ptr<gguf::GgufFile>> file =
      gguf::GgufFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  absl::StatusOr<RefModel> ref = ReadRefModel(**file);
  ASSERT_TRUE(ref.ok()) << ref.status();
  ref->rope = c.rope;
  ref->bias = c.bias;
  const std::vector<std::vector<double>> want = ReferenceForward(*ref, kTokens);

  for (bool stepwise : {false, true}) {
    absl::StatusOr<std::unique_ptr<engine::LoadedModel>> engine =
        engine::LoadedModel::Load({.model_path = path,
                                   .threads = 2,
                                   .kv_type = model::KvCacheType::kF16});
    ASSERT_TRUE(engine.ok()) << engine.status();
    absl::StatusOr<std::vector<std::vector<float>>> got =
        stepwise ? EngineStepwise(**engine, kTokens)
                 : EngineBatch(**engine, kTokens);
    ASSERT_TRUE(got.ok()) << got.status();
    ExpectClose(*got, want, 0, 2e-2,
                stepwise ? "f16 KV token by token" : "f16 KV one batch");
  }
}

TEST(ReferenceForwardTest, PositionPastContextIsOutOfRange) {
  const Case c = Qwen2Case();
  const std::string path = TempPath("qwen2-ctx.gguf");
  ASSERT_TRUE(model::WriteRandomModel(c.spec, path, false).ok());
  for (model::KvCacheType kv :
       {model::KvCacheType::kF32, model::KvCacheType::kF16}) {
    absl::StatusOr<std::unique_ptr<engine::LoadedModel>> engine =
        engine::LoadedModel::Load(
            {.model_path = path, .threads = 2, .context = 8, .kv_type = kv});
    ASSERT_TRUE(engine.ok()) << engine.status();
    ASSERT_EQ((*engine)->context(), 8);
    const std::vector<int32_t> first8(kTokens.begin(), kTokens.begin() + 8);
    absl::StatusOr<std::vector<std::vector<float>>> ok =
        EngineStepwise(**engine, first8);
    ASSERT_TRUE(ok.ok()) << ok.status();

    std::vector<float> row((*engine)->config().vocab_size);
    const model::BatchToken past{
        .token = kTokens[8], .pos = 8, .slot = 0, .want_logits = true};
    absl::Status s = (*engine)->transformer().Forward({&past, 1}, row.data());
    EXPECT_EQ(s.code(), absl::StatusCode::kOutOfRange) << s;

    // A batch that runs off the end midway fails as a whole, also cleanly.
    std::vector<model::BatchToken> batch;
    for (int32_t p = 6; p < 10; ++p) {
      batch.push_back(
          {.token = kTokens[p], .pos = p, .slot = 0, .want_logits = true});
    }
    std::vector<float> rows(batch.size() * row.size());
    s = (*engine)->transformer().Forward(batch, rows.data());
    EXPECT_EQ(s.code(), absl::StatusCode::kOutOfRange) << s;

    // The engine is still usable afterwards.
    const model::BatchToken last{
        .token = kTokens[7], .pos = 7, .slot = 0, .want_logits = true};
    EXPECT_TRUE((*engine)->transformer().Forward({&last, 1}, row.data()).ok());
  }
}

}  // namespace
}  // namespace edgellm
