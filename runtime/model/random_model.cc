#include "runtime/model/random_model.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "quant/type_traits.h"
#include "runtime/gguf/writer.h"
#include "runtime/model/architecture.h"
#include "runtime/model/random_encoder.h"

namespace edgellm::model {
namespace {

// xorshift64*: fast, seedable, and good enough for weights that only need to
// look like weights.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed * 0x9E3779B97F4A7C15ull + 1) {}
  uint64_t Next() {
    s_ ^= s_ >> 12;
    s_ ^= s_ << 25;
    s_ ^= s_ >> 27;
    return s_ * 0x2545F4914F6CDD1Dull;
  }
  // Uniform in [-1, 1).
  float Symmetric() {
    return static_cast<float>(static_cast<int64_t>(Next() >> 11) -
                              (int64_t{1} << 52)) /
           static_cast<float>(int64_t{1} << 52);
  }

 private:
  uint64_t s_;
};

// `rows` rows of `cols` values uniform in [-scale, scale] (all ones for
// scale 0), encoded as `type`. F32 and Q8_0 rows are drawn and encoded one
// by one. The other block types would make a large model slow to write
// (their quantizers search scales), so a pool of blocks quantized from such
// rows is drawn from at random instead: every block is a valid block of the
// same value distribution, which is all a random-weight model needs.
void AppendRandomRows(int64_t rows, int64_t cols, float scale,
                      gguf::TensorType type, Rng& rng, std::string* out) {
  std::vector<float> row(cols);
  auto fill = [&] {
    for (float& x : row) x = scale == 0 ? 1.0f : scale * rng.Symmetric();
  };
  if (type == gguf::TensorType::kF32) {
    for (int64_t r = 0; r < rows; ++r) {
      fill();
      out->append(reinterpret_cast<const char*>(row.data()),
                  row.size() * sizeof(float));
    }
    return;
  }
  const quant::QuantTypeTraits& q = *quant::FindQuantType(type);
  std::string encoded(q.RowBytes(cols), '\0');
  if (type == gguf::TensorType::kQ8_0) {
    for (int64_t r = 0; r < rows; ++r) {
      fill();
      q.quantize(row.data(), encoded.data(), cols);
      out->append(encoded);
    }
    return;
  }
  constexpr int64_t kPoolRows = 16;
  const int64_t pool_rows = std::min(rows, kPoolRows);
  std::string pool;
  for (int64_t r = 0; r < pool_rows; ++r) {
    fill();
    q.quantize(row.data(), encoded.data(), cols);
    pool += encoded;
  }
  const size_t pool_blocks = pool.size() / q.block_bytes;
  const int64_t blocks_per_row = cols / q.block_values;
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t b = 0; b < blocks_per_row; ++b) {
      out->append(pool, (rng.Next() % pool_blocks) * q.block_bytes,
                  q.block_bytes);
    }
  }
}

// Common English words: the random model's vocabulary looks like text.
constexpr const char* kWords[] = {
    "the",    "a",     "and",   "to",    "of",     "in",     "was",    "he",
    "she",    "it",    "they",  "with",  "on",     "for",    "his",    "her",
    "that",   "is",    "at",    "said",  "one",    "day",    "little", "big",
    "girl",   "boy",   "dog",   "cat",   "tree",   "sun",    "happy",  "sad",
    "friend", "play",  "park",  "ball",  "house",  "mom",    "dad",    "time",
    "upon",   "once",  "there", "saw",   "wanted", "went",   "very",   "so",
    "not",    "but",   "had",   "were",  "named",  "loved",  "looked", "found",
    "new",    "red",   "blue",  "green", "bird",   "fish",   "water",  "sky",
    "home",   "run",   "jump",  "help",  "good",   "nice",   "kind",   "toy",
    "car",    "book",  "eat",   "cake",  "apple",  "flower", "garden", "story",
    "smile",  "laugh", "learn"};

struct VocabData {
  std::vector<std::string> tokens;
  std::vector<float> scores;
  std::vector<int32_t> types;
};

// A SentencePiece-style vocabulary: <unk> <s> </s>, 256 byte-fallback
// pieces, printable ASCII, then every "▁"-prefixed prefix of each word (so
// BPE by score can build the words), padded with unused tokens.
absl::StatusOr<VocabData> MakeVocab(int32_t vocab_size) {
  constexpr int32_t kNormal = 1, kUnknown = 2, kControl = 3, kUnused = 5,
                    kByte = 6;
  VocabData v;
  absl::flat_hash_set<std::string> seen;
  auto add = [&v, &seen](std::string piece, float score, int32_t type) {
    if (!seen.insert(piece).second) return;
    v.tokens.push_back(std::move(piece));
    v.scores.push_back(score);
    v.types.push_back(type);
  };
  add("<unk>", 0, kUnknown);
  add("<s>", 0, kControl);
  add("</s>", 0, kControl);
  for (int b = 0; b < 256; ++b) {
    char buf[8];
    std::snprintf(buf, sizeof(buf), "<0x%02X>", b);
    add(buf, 0, kByte);
  }
  const std::string space = "\xE2\x96\x81";  // U+2581, SentencePiece's space
  add(space, -1, kNormal);
  for (char c = 33; c < 127; ++c) add(std::string(1, c), -2, kNormal);
  for (const char* word : kWords) {
    const std::string w = word;
    for (size_t len = 1; len <= w.size(); ++len) {
      add(space + w.substr(0, len), static_cast<float>(len), kNormal);
    }
  }
  if (static_cast<int32_t>(v.tokens.size()) > vocab_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("vocab_size ", vocab_size, " is smaller than the ",
                     v.tokens.size(), " tokens of the built-in vocabulary"));
  }
  for (int32_t i = static_cast<int32_t>(v.tokens.size()); i < vocab_size; ++i) {
    add(absl::StrCat("<unused", i, ">"), -1e9f, kUnused);
  }
  return v;
}

struct Plan {
  std::string name;
  int64_t rows, cols;              // rows = 1 for vectors
  float scale;                     // uniform in [-scale, scale]; 0 = all ones
  std::vector<float> values = {};  // a vector given value by value instead
};

// The tensors of layer `il` that the architecture's row says it has
// (weights.cc binds the same): fused or separate q/k/v and gate/up, biases,
// per-head q/k norms, post-norms. Norms are all ones (Gemma's converter
// stores the "+1" of its RMSNorm in the weight, so 1 is its identity too).
void AppendLayerPlans(const ArchitectureDescription& arch, int il, int64_t d,
                      int64_t q_dim, int64_t kv_dim, int64_t head_dim,
                      int64_t ff, float sd, float sq, float sff,
                      std::vector<Plan>& plans) {
  auto n = [il](const char* s) { return absl::StrCat("blk.", il, ".", s); };
  plans.push_back({n("attn_norm.weight"), 1, d, 0});
  if (arch.fused_qkv) {
    plans.push_back({n("attn_qkv.weight"), q_dim + 2 * kv_dim, d, sd});
  } else {
    plans.push_back({n("attn_q.weight"), q_dim, d, sd});
    plans.push_back({n("attn_k.weight"), kv_dim, d, sd});
    plans.push_back({n("attn_v.weight"), kv_dim, d, sd});
  }
  if (arch.qkv_bias) {
    plans.push_back({n("attn_q.bias"), 1, q_dim, 0.02f});
    plans.push_back({n("attn_k.bias"), 1, kv_dim, 0.02f});
    plans.push_back({n("attn_v.bias"), 1, kv_dim, 0.02f});
  }
  if (arch.qk_norm) {
    plans.push_back({n("attn_q_norm.weight"), 1, head_dim, 0});
    plans.push_back({n("attn_k_norm.weight"), 1, head_dim, 0});
  }
  plans.push_back({n("attn_output.weight"), d, q_dim, sq});
  if (arch.post_norms) {
    plans.push_back({n("post_attention_norm.weight"), 1, d, 0});
  }
  plans.push_back({n("ffn_norm.weight"), 1, d, 0});
  if (arch.fused_gate_up) {
    plans.push_back({n("ffn_up.weight"), 2 * ff, d, sd});
  } else {
    plans.push_back({n("ffn_gate.weight"), ff, d, sd});
    plans.push_back({n("ffn_up.weight"), ff, d, sd});
  }
  plans.push_back({n("ffn_down.weight"), d, ff, sff});
  if (arch.post_norms) plans.push_back({n("post_ffw_norm.weight"), 1, d, 0});
}

// rope_freqs.weight as llama.cpp's converter derives it from Llama 3's
// rope_scaling (convert_hf_to_gguf.py, LlamaModel): per rotated pair, 1 for
// wavelengths under original_context / high_freq_factor, `factor` over
// original_context / low_freq_factor, and a smooth blend in between; the
// runtime divides the pair's frequency by it.
std::vector<float> Llama3RopeFactors(const RandomModelSpec& spec, int rot) {
  const double low_wavelen =
      spec.llama3_original_context / spec.llama3_low_freq_factor;
  const double high_wavelen =
      spec.llama3_original_context / spec.llama3_high_freq_factor;
  std::vector<float> factors;
  for (int i = 0; i < rot; i += 2) {
    const double freq = 1.0 / std::pow(static_cast<double>(spec.rope_freq_base),
                                       static_cast<double>(i) / rot);
    const double wavelen = 2 * M_PI / freq;
    double f;
    if (wavelen < high_wavelen) {
      f = 1;
    } else if (wavelen > low_wavelen) {
      f = spec.llama3_rope_factor;
    } else {
      const double smooth =
          (spec.llama3_original_context / wavelen -
           spec.llama3_low_freq_factor) /
          (spec.llama3_high_freq_factor - spec.llama3_low_freq_factor);
      f = 1 / ((1 - smooth) / spec.llama3_rope_factor + smooth);
    }
    factors.push_back(static_cast<float>(f));
  }
  return factors;
}

// LongRoPE's per-pair divisors: Phi's published short factors are near 1
// and its long ones grow with the pair index; these follow that form.
std::vector<float> LongRopeFactors(int pairs, bool long_factors) {
  std::vector<float> out(pairs);
  for (int i = 0; i < pairs; ++i) {
    const float t = pairs > 1 ? static_cast<float>(i) / (pairs - 1) : 0.0f;
    out[i] = long_factors ? 1.0f + 31.0f * t * t : 1.0f + 0.05f * t;
  }
  return out;
}

// rope.scaling.attn_factor as llama.cpp's converter computes it for Phi-3
// LongRoPE: sqrt(1 + ln(context / original) / ln(original)), 1 unscaled.
float LongRopeAttnFactor(int32_t context, int32_t original) {
  const double scale = static_cast<double>(context) / original;
  if (scale <= 1) return 1.0f;
  return static_cast<float>(
      std::sqrt(1 + std::log(scale) / std::log(static_cast<double>(original))));
}

// The decoders of the table-driven architectures (architecture.h) at the
// hyperparameters of their published models' config.json (Hugging Face):
// Qwen/Qwen3-0.6B, google/gemma-3-1b-it, microsoft/Phi-4-mini-instruct,
// meta-llama/Llama-3.2-1B, HuggingFaceTB/SmolLM3-3B. All tie the head.
bool NewDecoderSpec(const std::string& name, RandomModelSpec& s) {
  if (name == "qwen3-0.6b") {
    s.architecture = "qwen3";
    s.vocab_size = 151936;
    s.embedding_length = 1024;
    s.block_count = 28;
    s.head_count = 16;
    s.head_count_kv = 8;
    s.head_dim = 128;
    s.feed_forward_length = 3072;
    s.context_length = 40960;
    s.rope_freq_base = 1000000.0f;
    s.rms_norm_eps = 1e-6f;
  } else if (name == "gemma3-1b") {
    s.architecture = "gemma3";
    s.vocab_size = 262144;
    s.embedding_length = 1152;
    s.block_count = 26;
    s.head_count = 4;
    s.head_count_kv = 1;
    s.head_dim = 256;
    s.feed_forward_length = 6912;
    s.context_length = 32768;
    s.rope_freq_base = 1000000.0f;
    s.rope_freq_base_swa = 10000.0f;
    s.sliding_window = 512;
    s.rms_norm_eps = 1e-6f;
  } else if (name == "phi4-mini") {
    s.architecture = "phi3";
    s.vocab_size = 200064;
    s.embedding_length = 3072;
    s.block_count = 32;
    s.head_count = 24;
    s.head_count_kv = 8;
    s.rope_dimension_count = 96;  // partial_rotary_factor 0.75 of 128
    s.feed_forward_length = 8192;
    s.context_length = 131072;
    s.longrope_original_context = 4096;
    s.sliding_window = 262144;
  } else if (name == "llama3.2-1b") {
    s.vocab_size = 128256;
    s.embedding_length = 2048;
    s.block_count = 16;
    s.head_count = 32;
    s.head_count_kv = 8;
    s.feed_forward_length = 8192;
    s.context_length = 131072;
    s.rope_freq_base = 500000.0f;
    s.llama3_rope_factor = 32.0f;
  } else if (name == "smollm3-3b") {
    s.architecture = "smollm3";
    s.vocab_size = 128256;
    s.embedding_length = 2048;
    s.block_count = 36;
    s.head_count = 16;
    s.head_count_kv = 4;
    s.feed_forward_length = 11008;
    s.context_length = 65536;
    s.rope_freq_base = 5000000.0f;
    s.rms_norm_eps = 1e-6f;
  } else {
    return false;
  }
  s.tied_output = true;
  return true;
}

// The same architectures a few MB large: every feature of the real shape
// (heads wider than width / heads, a ring window shorter than a test
// prompt with a global layer after five local ones, partial rotary with
// LongRoPE, rope_freqs, NoPE layers), for tests.
bool TinyDecoderSpec(const std::string& name, RandomModelSpec& s) {
  const std::string real = name.rfind("tiny-", 0) == 0 ? name.substr(5) : "";
  const char* kReal[][2] = {{"qwen3", "qwen3-0.6b"},
                            {"gemma3", "gemma3-1b"},
                            {"phi4-mini", "phi4-mini"},
                            {"llama3.2", "llama3.2-1b"},
                            {"smollm3", "smollm3-3b"}};
  for (const auto& [tiny, full] : kReal) {
    if (real != tiny) continue;
    NewDecoderSpec(full, s);
    s.vocab_size = 1024;
    s.embedding_length = 128;
    s.block_count = 4;
    s.head_count = 4;
    s.head_count_kv = 2;
    s.feed_forward_length = 384;
    s.context_length = std::min(s.context_length, 4096);
    if (s.head_dim > 0) s.head_dim = 64;
    if (s.rope_dimension_count > 0) s.rope_dimension_count = 24;  // of 32
    if (s.longrope_original_context > 0) s.longrope_original_context = 1024;
    if (s.architecture == "gemma3") {
      s.block_count = 7;  // five local, one global, one local
      s.head_count_kv = 1;
      s.sliding_window = 32;
    }
    return true;
  }
  return false;
}

}  // namespace

std::vector<std::string> RandomModelNames() {
  std::vector<std::string> names = {
      "tiny",          "smollm2-135m", "qwen2.5-0.5b", "tinyllama-1.1b",
      "qwen3-0.6b",    "gemma3-1b",    "phi4-mini",    "llama3.2-1b",
      "smollm3-3b",    "tiny-qwen3",   "tiny-gemma3",  "tiny-phi4-mini",
      "tiny-llama3.2", "tiny-smollm3"};
  for (std::string& e : RandomEncoderNames()) names.push_back(std::move(e));
  return names;
}

absl::StatusOr<RandomModelSpec> NamedRandomModelSpec(const std::string& name) {
  RandomModelSpec s;
  s.name = name;
  if (name == "tiny") {
    s.vocab_size = 1024;
    s.embedding_length = 128;
    s.block_count = 4;
    s.head_count = 4;
    s.head_count_kv = 2;
    s.feed_forward_length = 384;
    s.context_length = 1024;
    s.tied_output = true;
  } else if (name == "smollm2-135m") {
    s.vocab_size = 49152;
    s.embedding_length = 576;
    s.block_count = 30;
    s.head_count = 9;
    s.head_count_kv = 3;
    s.feed_forward_length = 1536;
    s.context_length = 8192;
    s.rope_freq_base = 100000.0f;
    s.tied_output = true;
  } else if (name == "qwen2.5-0.5b") {
    s.architecture = "qwen2";
    s.vocab_size = 151936;
    s.embedding_length = 896;
    s.block_count = 24;
    s.head_count = 14;
    s.head_count_kv = 2;
    s.feed_forward_length = 4864;
    s.context_length = 32768;
    s.rope_freq_base = 1000000.0f;
    s.tied_output = true;
  } else if (name == "tinyllama-1.1b") {
    s.vocab_size = 32000;
    s.embedding_length = 2048;
    s.block_count = 22;
    s.head_count = 32;
    s.head_count_kv = 4;
    s.feed_forward_length = 5632;
    s.context_length = 2048;
    s.tied_output = false;
  } else if (NewDecoderSpec(name, s) || TinyDecoderSpec(name, s)) {
    // set above
  } else if (absl::StatusOr<RandomModelSpec> encoder =
                 NamedRandomEncoderSpec(name);
             encoder.ok()) {
    return encoder;
  } else {
    return absl::NotFoundError(absl::StrCat(
        "unknown model shape '", name,
        "' (known: ", absl::StrJoin(RandomModelNames(), ", "), ")"));
  }
  return s;
}

absl::Status WriteRandomModel(const RandomModelSpec& spec,
                              const std::string& path, bool show_progress) {
  if (IsRandomEncoderArchitecture(spec.architecture)) {
    return WriteRandomEncoder(spec, path, show_progress);
  }
  const ArchitectureDescription* arch = FindArchitecture(spec.architecture);
  if (arch == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("architecture '", spec.architecture,
                     "' (supported: ", SupportedArchitectureNames(), ")"));
  }
  const int32_t head_dim = spec.head_dim > 0
                               ? spec.head_dim
                               : spec.embedding_length / spec.head_count;
  const int32_t rot =
      spec.rope_dimension_count > 0 ? spec.rope_dimension_count : head_dim;
  const int64_t d = spec.embedding_length, ff = spec.feed_forward_length;
  const int64_t q_dim = int64_t{spec.head_count} * head_dim;
  const int64_t kv_dim = int64_t{spec.head_count_kv} * head_dim;
  if ((spec.head_dim == 0 && spec.embedding_length % spec.head_count != 0) ||
      spec.head_count % spec.head_count_kv != 0 || rot % 2 != 0 ||
      rot > head_dim || (arch->fused_qkv && q_dim != d) ||
      (quant::IsQuantizedFileType(spec.file_type) &&
       (d % 32 != 0 || ff % 32 != 0 || q_dim % 32 != 0))) {
    return absl::InvalidArgumentError(
        "inconsistent shape: heads must divide the width, KV heads the "
        "heads, rotated dims must be even and at most the head width, a "
        "fused attn_qkv needs heads x head width = width, and quantized rows "
        "must be multiples of 32");
  }
  if (arch->swa_default_period > 0 && spec.sliding_window <= 0) {
    // llama.cpp requires the key for such architectures (Gemma 3).
    return absl::InvalidArgumentError(absl::StrCat(
        "architecture '", spec.architecture,
        "' needs a sliding window (a shape that has one: tiny-gemma3)"));
  }
  absl::StatusOr<VocabData> vocab = MakeVocab(spec.vocab_size);
  if (!vocab.ok()) return vocab.status();

  gguf::GgufWriter w;
  const std::string& a = spec.architecture;
  w.SetString("general.architecture", a);
  w.SetString("general.name",
              absl::StrCat("edgellm random ", spec.name, " (random weights)"));
  w.SetUint32("general.file_type", static_cast<uint32_t>(spec.file_type));
  w.SetUint32("general.quantization_version", 2);
  w.SetUint32(a + ".context_length", spec.context_length);
  w.SetUint32(a + ".embedding_length", spec.embedding_length);
  w.SetUint32(a + ".block_count", spec.block_count);
  w.SetUint32(a + ".feed_forward_length", spec.feed_forward_length);
  w.SetUint32(a + ".attention.head_count", spec.head_count);
  w.SetUint32(a + ".attention.head_count_kv", spec.head_count_kv);
  if (spec.head_dim > 0) {
    w.SetUint32(a + ".attention.key_length", head_dim);
    w.SetUint32(a + ".attention.value_length", head_dim);
  }
  w.SetFloat32(a + ".attention.layer_norm_rms_epsilon", spec.rms_norm_eps);
  w.SetFloat32(a + ".rope.freq_base", spec.rope_freq_base);
  if (spec.rope_freq_base_swa > 0) {
    w.SetFloat32(a + ".rope.freq_base_swa", spec.rope_freq_base_swa);
  }
  if (spec.sliding_window > 0) {
    w.SetUint32(a + ".attention.sliding_window", spec.sliding_window);
  }
  if (spec.longrope_original_context > 0) {
    w.SetUint32(a + ".rope.scaling.original_context_length",
                spec.longrope_original_context);
    w.SetFloat32(a + ".rope.scaling.attn_factor",
                 LongRopeAttnFactor(spec.context_length,
                                    spec.longrope_original_context));
  }
  w.SetUint32(a + ".rope.dimension_count", rot);
  w.SetUint32(a + ".vocab_size", spec.vocab_size);
  w.SetString("tokenizer.ggml.model", "llama");
  w.SetString("tokenizer.ggml.pre", "default");
  w.SetStringArray("tokenizer.ggml.tokens", vocab->tokens);
  w.SetFloat32Array("tokenizer.ggml.scores", vocab->scores);
  w.SetInt32Array("tokenizer.ggml.token_type", vocab->types);
  w.SetUint32("tokenizer.ggml.unknown_token_id", 0);
  w.SetUint32("tokenizer.ggml.bos_token_id", 1);
  w.SetUint32("tokenizer.ggml.eos_token_id", 2);
  w.SetBool("tokenizer.ggml.add_bos_token", true);
  w.SetBool("tokenizer.ggml.add_eos_token", false);
  // SentencePiece's dummy-prefix space ("once" is "▁once"). llama.cpp
  // defaults it to true for "llama" vocabularies, but its own converters
  // write it (stories260K-q8_0.gguf has it), and a runtime with another
  // default would tokenize every prompt differently.
  w.SetBool("tokenizer.ggml.add_space_prefix", true);

  std::vector<Plan> plans;
  // Scales ~ 1/sqrt(fan_in) keep activations in a sane range.
  const float sd = 1.0f / std::sqrt(static_cast<float>(d));
  const float sq = 1.0f / std::sqrt(static_cast<float>(q_dim));
  const float sff = 1.0f / std::sqrt(static_cast<float>(ff));
  if (spec.llama3_rope_factor > 0) {
    plans.push_back(
        {"rope_freqs.weight", 1, rot / 2, 0, Llama3RopeFactors(spec, rot)});
  }
  if (spec.longrope_original_context > 0) {
    plans.push_back({"rope_factors_long.weight", 1, rot / 2, 0,
                     LongRopeFactors(rot / 2, /*long_factors=*/true)});
    plans.push_back({"rope_factors_short.weight", 1, rot / 2, 0,
                     LongRopeFactors(rot / 2, /*long_factors=*/false)});
  }
  // Small embeddings keep the tied head from echoing the input token.
  plans.push_back({"token_embd.weight", spec.vocab_size, d, 0.05f});
  for (int i = 0; i < spec.block_count; ++i) {
    AppendLayerPlans(*arch, i, d, q_dim, kv_dim, head_dim, ff, sd, sq, sff,
                     plans);
  }
  plans.push_back({"output_norm.weight", 1, d, 0});
  if (!spec.tied_output)
    plans.push_back({"output.weight", spec.vocab_size, d, sd});

  // Every matrix's type by llama.cpp's recipe for the file type.
  std::vector<quant::RecipeTensor> recipe;
  for (const Plan& p : plans) {
    recipe.push_back({p.name,
                      p.rows > 1 ? std::vector<int64_t>{p.cols, p.rows}
                                 : std::vector<int64_t>{p.cols},
                      gguf::TensorType::kF32});
  }
  const std::vector<quant::RecipeChoice> types = quant::ChooseTensorTypes(
      spec.file_type, recipe,
      {spec.block_count, spec.head_count / spec.head_count_kv});

  const size_t total = plans.size();
  for (size_t t = 0; t < total; ++t) {
    const Plan p = plans[t];
    // Given values (RoPE factors) are written as F32, as llama.cpp does.
    const gguf::TensorType type =
        p.values.empty() ? types[t].type : gguf::TensorType::kF32;
    const uint64_t seed = spec.seed * 1000003ull + t;
    w.AddTensor(p.name, type, recipe[t].dims,
                [p, type, seed, t, total, show_progress](std::string* out) {
                  if (show_progress) {
                    // One updating line on a terminal; in a log, a line per
                    // tenth.
                    if (isatty(STDERR_FILENO)) {
                      std::fprintf(stderr, "\rwriting tensor %zu/%zu %-32s",
                                   t + 1, total, p.name.c_str());
                      if (t + 1 == total) std::fprintf(stderr, "\n");
                    } else if ((t + 1) * 10 / total != t * 10 / total) {
                      std::fprintf(stderr, "writing tensor %zu/%zu\n", t + 1,
                                   total);
                    }
                  }
                  if (!p.values.empty()) {
                    out->append(reinterpret_cast<const char*>(p.values.data()),
                                p.values.size() * sizeof(float));
                    return absl::OkStatus();
                  }
                  Rng rng(seed);
                  AppendRandomRows(p.rows, p.cols, p.scale, type, rng, out);
                  return absl::OkStatus();
                });
  }
  return w.Write(path);
}

}  // namespace edgellm::model
