#include "runtime/model/random_encoder.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "quant/q8_0.h"
#include "runtime/gguf/writer.h"

namespace edgellm::model {
namespace {

// splitmix64 (Steele et al. 2014): seedable, one state word.
class SplitMix {
 public:
  explicit SplitMix(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [-1, 1).
  float Symmetric() {
    return static_cast<float>(
        static_cast<double>(Next() >> 11) * (2.0 / 9007199254740992.0) - 1.0);
  }

 private:
  uint64_t s_;
};

// Words of retrieval-style text, so `edgellm tokenize` on an encoder shape
// shows whole-word pieces.
constexpr const char* kWords[] = {
    "the",       "a",      "of",        "and",      "to",       "in",
    "is",        "for",    "on",        "with",     "as",       "by",
    "what",      "how",    "which",     "model",    "document", "query",
    "search",    "text",   "language",  "data",     "answer",   "question",
    "retrieval", "vector", "embedding", "rank",     "city",     "capital",
    "france",    "paris",  "red",       "blue",     "ball",     "car",
    "book",      "river",  "mountain",  "computer", "phone",    "music"};

struct Vocab {
  std::vector<std::string> tokens;
  std::vector<int32_t> types;
};

// A WordPiece vocabulary as llama.cpp's converter stores one: word-initial
// pieces carry U+2581, continuation pieces ("##s") are stored bare.
absl::StatusOr<Vocab> MakeWordPieceVocab(int32_t vocab_size) {
  constexpr int32_t kNormal = 1, kControl = 3, kUnused = 5;
  Vocab v;
  absl::flat_hash_set<std::string> seen;
  auto add = [&](std::string piece, int32_t type) {
    if (!seen.insert(piece).second) return;
    v.tokens.push_back(std::move(piece));
    v.types.push_back(type);
  };
  add("[PAD]", kControl);
  for (int i = 1; i < 100; ++i)
    add(absl::StrCat("[unused", i - 1, "]"), kUnused);
  add("[UNK]", kControl);
  add("[CLS]", kControl);
  add("[SEP]", kControl);
  add("[MASK]", kControl);
  const std::string marker = "\xE2\x96\x81";  // U+2581
  for (char c = 33; c < 127; ++c) {
    add(marker + std::string(1, c), kNormal);
    add(std::string(1, c), kNormal);
  }
  for (const char* w : kWords) add(marker + w, kNormal);
  if (static_cast<int32_t>(v.tokens.size()) > vocab_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "vocab_size ", vocab_size, " is smaller than the ", v.tokens.size(),
        " tokens of the built-in WordPiece vocabulary"));
  }
  for (int32_t i = static_cast<int32_t>(v.tokens.size()); i < vocab_size; ++i) {
    add(absl::StrCat("[unused", i, "]"), kUnused);
  }
  return v;
}

// One tensor: rows = 1 for vectors; value = offset + scale * U(-1, 1).
struct Plan {
  std::string name;
  int64_t rows, cols;
  float scale, offset;
  bool keep_f32;  // never Q8_0 (position / type embeddings)
};

std::vector<Plan> EncoderPlans(const RandomModelSpec& s) {
  const bool nomic = s.architecture == "nomic-bert";
  const int64_t d = s.embedding_length, ff = s.feed_forward_length;
  const int64_t kv = d / s.head_count * s.head_count_kv;
  // Uniform scale sqrt(3 / in) has variance 1 / in: activations keep their
  // size through the layers.
  auto lin = [](int64_t in) { return std::sqrt(3.0f / in); };
  // Small embeddings make the embedding LayerNorm's variance small, so the
  // file exercises BERT's eps of 1e-12 (as llama.cpp's references do).
  constexpr float kEmbd = 0.02f, kBias = 0.1f, kNormSpread = 0.2f;
  std::vector<Plan> p;
  p.push_back({"token_embd.weight", s.vocab_size, d, kEmbd, 0, false});
  if (!nomic) {
    p.push_back({"position_embd.weight", s.context_length, d, kEmbd, 0, true});
  }
  p.push_back({"token_types.weight", 2, d, kEmbd, 0, true});
  p.push_back({"token_embd_norm.weight", 1, d, kNormSpread, 1, false});
  p.push_back({"token_embd_norm.bias", 1, d, kBias, 0, false});
  for (int i = 0; i < s.block_count; ++i) {
    auto n = [i](const char* x) { return absl::StrCat("blk.", i, ".", x); };
    if (nomic) {
      p.push_back({n("attn_qkv.weight"), d + 2 * kv, d, lin(d), 0, false});
      p.push_back({n("attn_output.weight"), d, d, lin(d), 0, false});
    } else {
      p.push_back({n("attn_q.weight"), d, d, lin(d), 0, false});
      p.push_back({n("attn_q.bias"), 1, d, kBias, 0, false});
      p.push_back({n("attn_k.weight"), kv, d, lin(d), 0, false});
      p.push_back({n("attn_k.bias"), 1, kv, kBias, 0, false});
      p.push_back({n("attn_v.weight"), kv, d, lin(d), 0, false});
      p.push_back({n("attn_v.bias"), 1, kv, kBias, 0, false});
      p.push_back({n("attn_output.weight"), d, d, lin(d), 0, false});
      p.push_back({n("attn_output.bias"), 1, d, kBias, 0, false});
    }
    p.push_back({n("attn_output_norm.weight"), 1, d, kNormSpread, 1, false});
    p.push_back({n("attn_output_norm.bias"), 1, d, kBias, 0, false});
    p.push_back({n("ffn_up.weight"), ff, d, lin(d), 0, false});
    if (nomic) {
      p.push_back({n("ffn_gate.weight"), ff, d, lin(d), 0, false});
    } else {
      p.push_back({n("ffn_up.bias"), 1, ff, kBias, 0, false});
    }
    p.push_back({n("ffn_down.weight"), d, ff, lin(ff), 0, false});
    if (!nomic) p.push_back({n("ffn_down.bias"), 1, d, kBias, 0, false});
    p.push_back({n("layer_output_norm.weight"), 1, d, kNormSpread, 1, false});
    p.push_back({n("layer_output_norm.bias"), 1, d, kBias, 0, false});
  }
  if (s.classifier_outputs > 0) {
    const int64_t out = s.classifier_outputs;
    p.push_back({"cls.weight", d, d, lin(d), 0, false});
    p.push_back({"cls.bias", 1, d, kBias, 0, false});
    // One row stays f32 (llama-quantize keeps one-row tensors), as a
    // {d, out} matrix the way the converter writes it.
    p.push_back({"cls.output.weight", out, d, lin(d), 0, out == 1});
    p.push_back({"cls.output.bias", 1, out, kBias, 0, false});
  }
  return p;
}

void ShowProgress(size_t t, size_t total, const std::string& name) {
  // One updating line on a terminal; in a log, a line per tenth.
  if (isatty(STDERR_FILENO)) {
    std::fprintf(stderr, "\rwriting tensor %zu/%zu %-32s", t + 1, total,
                 name.c_str());
    if (t + 1 == total) std::fprintf(stderr, "\n");
  } else if ((t + 1) * 10 / total != t * 10 / total) {
    std::fprintf(stderr, "writing tensor %zu/%zu\n", t + 1, total);
  }
}

}  // namespace

std::vector<std::string> RandomEncoderNames() {
  return {"bge-small", "nomic-embed-v1.5", "tiny-bert", "tiny-nomic-bert",
          "tiny-bert-rerank"};
}

bool IsRandomEncoderArchitecture(const std::string& architecture) {
  return architecture == "bert" || architecture == "nomic-bert";
}

absl::StatusOr<RandomModelSpec> NamedRandomEncoderSpec(
    const std::string& name) {
  RandomModelSpec s;
  s.name = name;
  s.tied_output = false;
  s.vocab_size = 30522;  // BERT's uncased vocabulary
  if (name == "bge-small") {
    s.architecture = "bert";
    s.embedding_length = 384;
    s.block_count = 12;
    s.head_count = 12;
    s.feed_forward_length = 1536;
    s.context_length = 512;
    s.pooling_type = 2;  // CLS
  } else if (name == "nomic-embed-v1.5") {
    s.architecture = "nomic-bert";
    s.embedding_length = 768;
    s.block_count = 12;
    s.head_count = 12;
    s.feed_forward_length = 3072;
    s.context_length = 2048;
    s.rope_freq_base = 1000.0f;
    s.pooling_type = 1;  // MEAN
  } else if (name == "tiny-bert" || name == "tiny-bert-rerank" ||
             name == "tiny-nomic-bert") {
    const bool nomic = name == "tiny-nomic-bert";
    s.architecture = nomic ? "nomic-bert" : "bert";
    s.vocab_size = 1024;
    s.embedding_length = 128;
    s.block_count = 2;
    s.head_count = nomic ? 2 : 4;
    s.feed_forward_length = 256;
    s.context_length = nomic ? 2048 : 512;
    s.rope_freq_base = 1000.0f;
    s.pooling_type = nomic ? 1 : 2;
    if (name == "tiny-bert-rerank") {
      s.pooling_type = 4;  // RANK
      s.classifier_outputs = 1;
    }
  } else {
    return absl::NotFoundError(
        absl::StrCat("unknown encoder shape '", name, "'"));
  }
  s.head_count_kv = s.head_count;
  return s;
}

absl::Status WriteRandomEncoder(const RandomModelSpec& spec,
                                const std::string& path, bool show_progress) {
  if (!IsRandomEncoderArchitecture(spec.architecture)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "architecture '", spec.architecture, "' is not an encoder"));
  }
  if (spec.file_type != quant::FileType::kQ8_0 &&
      spec.file_type != quant::FileType::kF32) {
    return absl::InvalidArgumentError(
        absl::StrCat("random encoder models are q8_0 or f32, not ",
                     quant::FileTypeName(spec.file_type)));
  }
  if (spec.embedding_length % spec.head_count != 0 ||
      spec.head_count % spec.head_count_kv != 0 ||
      (spec.file_type == quant::FileType::kQ8_0 &&
       (spec.embedding_length % 32 != 0 ||
        spec.feed_forward_length % 32 != 0))) {
    return absl::InvalidArgumentError(
        "inconsistent shape: heads must divide the width, KV heads the "
        "heads, and Q8_0 rows must be multiples of 32");
  }
  absl::StatusOr<Vocab> vocab = MakeWordPieceVocab(spec.vocab_size);
  if (!vocab.ok()) return vocab.status();

  gguf::GgufWriter w;
  const std::string a = spec.architecture + ".";
  w.SetString("general.architecture", spec.architecture);
  w.SetString("general.type", "model");
  w.SetString("general.name",
              absl::StrCat("edgellm random ", spec.name, " (random weights)"));
  w.SetUint32("general.file_type", static_cast<uint32_t>(spec.file_type));
  w.SetUint32("general.quantization_version", 2);
  w.SetUint32(a + "context_length", spec.context_length);
  w.SetUint32(a + "embedding_length", spec.embedding_length);
  w.SetUint32(a + "feed_forward_length", spec.feed_forward_length);
  w.SetUint32(a + "block_count", spec.block_count);
  w.SetUint32(a + "attention.head_count", spec.head_count);
  w.SetFloat32(a + "attention.layer_norm_epsilon", 1e-12f);
  w.SetBool(a + "attention.causal", false);
  w.SetUint32(a + "pooling_type", spec.pooling_type);
  if (spec.architecture == "nomic-bert") {
    w.SetFloat32(a + "rope.freq_base", spec.rope_freq_base);
  }
  if (spec.classifier_outputs > 0) {
    std::vector<std::string> labels;
    for (int i = 0; i < spec.classifier_outputs; ++i) {
      labels.push_back(absl::StrCat("LABEL_", i));
    }
    w.SetStringArray(a + "classifier.output_labels", labels);
  }
  w.SetUint32("tokenizer.ggml.token_type_count", 2);
  w.SetString("tokenizer.ggml.model", "bert");
  w.SetString("tokenizer.ggml.pre", "bert-bge");
  w.SetStringArray("tokenizer.ggml.tokens", vocab->tokens);
  w.SetInt32Array("tokenizer.ggml.token_type", vocab->types);
  w.SetUint32("tokenizer.ggml.bos_token_id", 101);
  w.SetUint32("tokenizer.ggml.eos_token_id", 102);
  w.SetUint32("tokenizer.ggml.unknown_token_id", 100);
  w.SetUint32("tokenizer.ggml.seperator_token_id", 102);  // sic: llama.cpp
  w.SetUint32("tokenizer.ggml.padding_token_id", 0);
  w.SetUint32("tokenizer.ggml.cls_token_id", 101);
  w.SetUint32("tokenizer.ggml.mask_token_id", 103);
  w.SetBool("tokenizer.ggml.add_bos_token", true);
  w.SetBool("tokenizer.ggml.add_eos_token", true);
  w.SetBool("tokenizer.ggml.add_sep_token", false);
  // An uncased vocabulary (bge, MiniLM): lowercase and strip accents.
  w.SetBool("tokenizer.ggml.normalizer.lowercase", true);

  const std::vector<Plan> plans = EncoderPlans(spec);
  const size_t total = plans.size();
  for (size_t t = 0; t < total; ++t) {
    const Plan p = plans[t];
    const bool q8 =
        spec.file_type == quant::FileType::kQ8_0 && p.rows > 1 && !p.keep_f32;
    const bool matrix = p.rows > 1 || p.name == "cls.output.weight";
    std::vector<int64_t> dims = matrix ? std::vector<int64_t>{p.cols, p.rows}
                                       : std::vector<int64_t>{p.cols};
    const uint64_t seed = spec.seed * 1000003ull + t;
    w.AddTensor(
        p.name, q8 ? gguf::TensorType::kQ8_0 : gguf::TensorType::kF32, dims,
        [p, q8, seed, t, total, show_progress](std::string* out) {
          if (show_progress) ShowProgress(t, total, p.name);
          SplitMix rng(seed);
          std::vector<float> row(p.cols);
          std::vector<quant::BlockQ8_0> blocks(p.cols / quant::kQ8_0BlockSize);
          for (int64_t r = 0; r < p.rows; ++r) {
            for (float& x : row) x = p.offset + p.scale * rng.Symmetric();
            if (q8) {
              quant::QuantizeRowQ8_0(row.data(), blocks.data(), p.cols);
              out->append(reinterpret_cast<const char*>(blocks.data()),
                          blocks.size() * sizeof(quant::BlockQ8_0));
            } else {
              out->append(reinterpret_cast<const char*>(row.data()),
                          row.size() * sizeof(float));
            }
          }
          return absl::OkStatus();
        });
  }
  return w.Write(path);
}

}  // namespace edgellm::model
