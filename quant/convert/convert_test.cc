// End-to-end conversions of synthetic inputs: a sharded Hugging Face Llama
// folder (checking names and the Q/K permutation by formula), a Qwen2
// folder (biases, tied embeddings, no permutation), F16/BF16 GGUF -> Q8_0,
// and the errors for unsupported inputs.
#include "quant/convert/convert.h"

#include <cstring>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "quant/convert/test_util.h"
#include "quant/fp16.h"
#include "quant/q8_0.h"
#include "runtime/gguf/gguf.h"
#include "runtime/gguf/writer.h"

namespace edgellm::quant {
namespace {

using testing::EncodeAs;
using testing::FakeTensor;
using ::testing::HasSubstr;
using testing::MakeSafetensors;
using testing::WriteFileOrDie;

// Values exactly representable in bf16 and f16, distinct per tensor.
std::vector<float> Values(int64_t n, int tag) {
  std::vector<float> v(n);
  for (int64_t i = 0; i < n; ++i) {
    v[i] = static_cast<float>((i * 7 + tag * 13) % 97 - 48) / 8.0f;
  }
  return v;
}

struct Converted {
  std::string bytes;
  std::unique_ptr<gguf::GgufFile> file;
  std::string log;
};

absl::StatusOr<Converted> Convert(ConvertOptions options) {
  Converted c;
  std::ostringstream log;
  options.log = &log;
  auto writer = PrepareConversion(options);
  if (!writer.ok()) return writer.status();
  auto bytes = (*writer)->WriteToString();
  if (!bytes.ok()) return bytes.status();
  c.bytes = std::move(*bytes);
  auto file = gguf::GgufFile::FromBuffer(c.bytes.data(), c.bytes.size());
  if (!file.ok()) return file.status();
  c.file = std::move(*file);
  c.log = log.str();
  return c;
}

std::vector<float> TensorF32(const gguf::GgufFile& f, const std::string& name) {
  const gguf::TensorInfo* t = f.FindTensor(name);
  EXPECT_NE(t, nullptr) << name;
  if (t == nullptr) return {};
  EXPECT_EQ(t->type, gguf::TensorType::kF32) << name;
  std::vector<float> v(t->num_elements());
  std::memcpy(v.data(), t->data, v.size() * sizeof(float));
  return v;
}

constexpr int64_t kHidden = 64, kHeads = 4, kKvHeads = 2, kHeadDim = 16,
                  kFf = 96, kVocab = 10, kLayers = 2;

constexpr char kTokenizerJson[] = R"({
  "added_tokens": [
    {"id": 8, "content": "<|begin_of_text|>", "special": true},
    {"id": 9, "content": "<|eot_id|>", "special": true}],
  "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
    {"type": "Split", "pattern": {"Regex":
      "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}}]},
  "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "c": 2, "ab": 3,
    "bc": 4, "abc": 5, "\u0120": 6, "\u0120a": 7},
    "merges": ["a b", "b c", "ab c", "\u0120 a"]}
})";

// Hugging Face tensors of a Llama model with GQA, in row-major shapes.
std::vector<FakeTensor> LlamaTensors(bool with_biases) {
  std::vector<FakeTensor> t;
  int tag = 0;
  auto add = [&](const std::string& name, std::vector<int64_t> shape,
                 const std::string& dtype) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    t.push_back({name, dtype, shape, EncodeAs(dtype, Values(n, ++tag))});
  };
  add("model.embed_tokens.weight", {kVocab, kHidden}, "F32");
  for (int l = 0; l < kLayers; ++l) {
    const std::string p = absl::StrCat("model.layers.", l, ".");
    // Layer 0 in F32, layer 1 in BF16 / F16 to cover every dtype.
    const std::string d = l == 0 ? "F32" : "BF16";
    add(p + "input_layernorm.weight", {kHidden}, d);
    add(p + "self_attn.q_proj.weight", {kHeads * kHeadDim, kHidden}, d);
    add(p + "self_attn.k_proj.weight", {kKvHeads * kHeadDim, kHidden}, d);
    add(p + "self_attn.v_proj.weight", {kKvHeads * kHeadDim, kHidden}, d);
    if (with_biases) {
      add(p + "self_attn.q_proj.bias", {kHeads * kHeadDim}, d);
      add(p + "self_attn.k_proj.bias", {kKvHeads * kHeadDim}, d);
      add(p + "self_attn.v_proj.bias", {kKvHeads * kHeadDim}, d);
    }
    add(p + "self_attn.o_proj.weight", {kHidden, kHeads * kHeadDim}, d);
    add(p + "post_attention_layernorm.weight", {kHidden}, d);
    add(p + "mlp.gate_proj.weight", {kFf, kHidden}, l == 0 ? "F32" : "F16");
    add(p + "mlp.up_proj.weight", {kFf, kHidden}, l == 0 ? "F32" : "F16");
    add(p + "mlp.down_proj.weight", {kHidden, kFf}, l == 0 ? "F32" : "F16");
  }
  add("model.norm.weight", {kHidden}, "F32");
  return t;
}

std::string ConfigJson(const std::string& arch, bool tied) {
  return absl::StrCat(R"({"architectures": [")", arch, R"("],
    "hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 2,
    "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 10,
    "max_position_embeddings": 4096, "rms_norm_eps": 1e-05,
    "rope_theta": 500000.0, "bos_token_id": 8, "eos_token_id": 9,
    "tie_word_embeddings": )",
                      tied ? "true" : "false", "}");
}

// Decodes a FakeTensor back to f32 (the test's own reference).
std::vector<float> Decode(const FakeTensor& t) {
  int64_t n = 1;
  for (int64_t d : t.shape) n *= d;
  std::vector<float> v(n);
  for (int64_t i = 0; i < n; ++i) {
    if (t.dtype == "F32") {
      std::memcpy(&v[i], t.bytes.data() + 4 * i, 4);
    } else {
      uint16_t h;
      std::memcpy(&h, t.bytes.data() + 2 * i, 2);
      v[i] = t.dtype == "F16" ? Fp16ToFp32(h) : Bf16ToFp32(h);
    }
  }
  return v;
}

const FakeTensor& FindFake(const std::vector<FakeTensor>& all,
                           const std::string& name) {
  for (const FakeTensor& t : all) {
    if (t.name == name) return t;
  }
  static const FakeTensor kNone;
  ADD_FAILURE() << "no fake tensor " << name;
  return kNone;
}

TEST(ConvertHfTest, ShardedLlamaNamesAndPermutation) {
  const std::string dir = testing::MakeTempDir("hf_llama");
  std::vector<FakeTensor> all = LlamaTensors(/*with_biases=*/false);
  all.push_back({"lm_head.weight",
                 "F32",
                 {kVocab, kHidden},
                 EncodeAs("F32", Values(kVocab * kHidden, 99))});
  // Shard 1: embeddings and layer 0; shard 2: the rest.
  std::vector<FakeTensor> shard1, shard2;
  std::string index = R"({"metadata": {}, "weight_map": {)";
  for (size_t i = 0; i < all.size(); ++i) {
    const bool first = all[i].name.find("layers.1.") == std::string::npos &&
                       all[i].name != "model.norm.weight" &&
                       all[i].name != "lm_head.weight";
    (first ? shard1 : shard2).push_back(all[i]);
    absl::StrAppend(&index, i == 0 ? "" : ",", "\"", all[i].name, "\": \"",
                    first ? "model-00001-of-00002.safetensors"
                          : "model-00002-of-00002.safetensors",
                    "\"");
  }
  index += "}}";
  WriteFileOrDie(dir + "/model-00001-of-00002.safetensors",
                 MakeSafetensors(shard1));
  WriteFileOrDie(dir + "/model-00002-of-00002.safetensors",
                 MakeSafetensors(shard2));
  WriteFileOrDie(dir + "/model.safetensors.index.json", index);
  WriteFileOrDie(dir + "/config.json",
                 ConfigJson("LlamaForCausalLM", /*tied=*/false));
  WriteFileOrDie(dir + "/tokenizer.json", kTokenizerJson);
  WriteFileOrDie(dir + "/tokenizer_config.json", R"({
    "bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>",
    "add_bos_token": true, "chat_template": "{{ bos_token }}"})");

  ConvertOptions options;
  options.input = dir;
  options.type = OutputType::kF32;
  auto c = Convert(options);
  ASSERT_TRUE(c.ok()) << c.status();
  const gguf::GgufFile& f = *c->file;

  // Names and order as llama.cpp's.
  std::vector<std::string> names;
  for (const gguf::TensorInfo& t : f.tensors()) names.emplace_back(t.name);
  std::vector<std::string> want = {"token_embd.weight"};
  for (int l = 0; l < kLayers; ++l) {
    for (const char* n :
         {"attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm",
          "ffn_gate", "ffn_up", "ffn_down"}) {
      want.push_back(absl::StrCat("blk.", l, ".", n, ".weight"));
    }
  }
  want.push_back("output_norm.weight");
  want.push_back("output.weight");
  EXPECT_EQ(names, want);
  EXPECT_EQ(f.FindTensor("blk.1.attn_k.weight")->dims,
            (std::vector<int64_t>{kHidden, kKvHeads * kHeadDim}));
  EXPECT_EQ(f.FindTensor("blk.0.ffn_down.weight")->dims,
            (std::vector<int64_t>{kFf, kHidden}));

  // Permutation: GGUF row h*hd + 2*j + s holds HF row h*hd + s*hd/2 + j.
  for (int l = 0; l < kLayers; ++l) {
    for (auto [proj, heads] :
         {std::pair{"q", kHeads}, std::pair{"k", kKvHeads}}) {
      const std::string hf =
          absl::StrCat("model.layers.", l, ".self_attn.", proj, "_proj.weight");
      const std::vector<float> src = Decode(FindFake(all, hf));
      const std::vector<float> got =
          TensorF32(f, absl::StrCat("blk.", l, ".attn_", proj, ".weight"));
      ASSERT_EQ(got.size(), src.size());
      for (int64_t h = 0; h < heads; ++h) {
        for (int64_t j = 0; j < kHeadDim / 2; ++j) {
          for (int64_t s = 0; s < 2; ++s) {
            const int64_t to = h * kHeadDim + 2 * j + s;
            const int64_t from = h * kHeadDim + s * (kHeadDim / 2) + j;
            for (int64_t col = 0; col < kHidden; ++col) {
              ASSERT_EQ(got[to * kHidden + col], src[from * kHidden + col])
                  << hf << " row " << to;
            }
          }
        }
      }
    }
  }
  // Everything else is copied unchanged (bf16/f16 widen exactly).
  for (auto [hf, gguf_name] :
       {std::pair{"model.layers.1.self_attn.v_proj.weight",
                  "blk.1.attn_v.weight"},
        std::pair{"model.layers.1.mlp.down_proj.weight",
                  "blk.1.ffn_down.weight"},
        std::pair{"model.embed_tokens.weight", "token_embd.weight"},
        std::pair{"lm_head.weight", "output.weight"},
        std::pair{"model.norm.weight", "output_norm.weight"}}) {
    EXPECT_EQ(TensorF32(f, gguf_name), Decode(FindFake(all, hf))) << hf;
  }

  // Metadata.
  EXPECT_EQ(f.GetString("general.architecture").value(), "llama");
  EXPECT_EQ(f.GetString("general.name").value(), "hf_llama");
  EXPECT_EQ(f.GetUint("general.file_type").value(), 0u);
  EXPECT_EQ(f.Find("general.quantization_version"), nullptr);
  EXPECT_EQ(f.GetUint("llama.context_length").value(), 4096u);
  EXPECT_EQ(f.GetUint("llama.embedding_length").value(), 64u);
  EXPECT_EQ(f.GetUint("llama.block_count").value(), 2u);
  EXPECT_EQ(f.GetUint("llama.feed_forward_length").value(), 96u);
  EXPECT_EQ(f.GetUint("llama.attention.head_count").value(), 4u);
  EXPECT_EQ(f.GetUint("llama.attention.head_count_kv").value(), 2u);
  EXPECT_EQ(f.GetUint("llama.rope.dimension_count").value(), 16u);
  EXPECT_EQ(f.GetUint("llama.vocab_size").value(), 10u);
  EXPECT_FLOAT_EQ(f.GetFloat("llama.rope.freq_base").value(), 500000.0f);
  EXPECT_FLOAT_EQ(f.GetFloat("llama.attention.layer_norm_rms_epsilon").value(),
                  1e-5f);
  EXPECT_EQ(f.GetString("tokenizer.ggml.model").value(), "gpt2");
  EXPECT_EQ(f.GetString("tokenizer.ggml.pre").value(), "llama-bpe");
  EXPECT_EQ(f.GetStringArray("tokenizer.ggml.tokens").value().size(), 10u);
  EXPECT_EQ(f.GetStringArray("tokenizer.ggml.merges").value().size(), 4u);
  EXPECT_EQ(f.GetIntArray("tokenizer.ggml.token_type").value(),
            (std::vector<int64_t>{1, 1, 1, 1, 1, 1, 1, 1, 3, 3}));
  EXPECT_EQ(f.GetUint("tokenizer.ggml.bos_token_id").value(), 8u);
  EXPECT_EQ(f.GetUint("tokenizer.ggml.eos_token_id").value(), 9u);
  EXPECT_EQ(f.GetBool("tokenizer.ggml.add_bos_token").value(), true);
  EXPECT_EQ(f.GetString("tokenizer.chat_template").value(), "{{ bos_token }}");

  // The same folder to q8_0: every matrix quantizes (rows of 64 and 96).
  options.type = OutputType::kQ8_0;
  auto q = Convert(options);
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->file->GetUint("general.file_type").value(), 7u);
  EXPECT_EQ(q->file->GetUint("general.quantization_version").value(), 2u);
  for (const gguf::TensorInfo& t : q->file->tensors()) {
    EXPECT_EQ(t.type, t.dims.size() == 1 ? gguf::TensorType::kF32
                                         : gguf::TensorType::kQ8_0)
        << t.name;
  }
  EXPECT_THAT(q->log, HasSubstr("[21/21]"));
}

TEST(ConvertHfTest, Qwen2BiasesTiedNoPermutation) {
  const std::string dir = testing::MakeTempDir("hf_qwen2");
  const std::vector<FakeTensor> all = LlamaTensors(/*with_biases=*/true);
  WriteFileOrDie(dir + "/model.safetensors", MakeSafetensors(all));
  WriteFileOrDie(dir + "/config.json",
                 ConfigJson("Qwen2ForCausalLM", /*tied=*/true));
  std::string tokenizer = kTokenizerJson;
  tokenizer.replace(tokenizer.find("\\\\p{N}{1,3}"), 11, "\\\\p{N}");
  WriteFileOrDie(dir + "/tokenizer.json", tokenizer);
  ConvertOptions options;
  options.input = dir;
  options.type = OutputType::kF16;
  auto c = Convert(options);
  ASSERT_TRUE(c.ok()) << c.status();
  const gguf::GgufFile& f = *c->file;
  EXPECT_EQ(f.GetString("general.architecture").value(), "qwen2");
  EXPECT_EQ(f.GetString("tokenizer.ggml.pre").value(), "qwen2");
  EXPECT_EQ(f.GetUint("general.file_type").value(), 1u);
  EXPECT_EQ(f.FindTensor("output.weight"), nullptr);  // tied
  // q is not permuted for Qwen2: f16 of the source, row for row.
  const gguf::TensorInfo* q = f.FindTensor("blk.0.attn_q.weight");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->type, gguf::TensorType::kF16);
  const std::vector<float> src =
      Decode(FindFake(all, "model.layers.0.self_attn.q_proj.weight"));
  for (size_t i = 0; i < src.size(); ++i) {
    uint16_t h;
    std::memcpy(&h, q->data + 2 * i, 2);
    ASSERT_EQ(Fp16ToFp32(h), src[i]) << i;
  }
  for (const char* bias : {"attn_q", "attn_k", "attn_v"}) {
    const std::string name = absl::StrCat("blk.1.", bias, ".bias");
    const std::string hf = absl::StrCat(
        "model.layers.1.self_attn.", std::string(bias).substr(5), "_proj.bias");
    EXPECT_EQ(TensorF32(f, name), Decode(FindFake(all, hf))) << name;
  }
  EXPECT_EQ(f.GetUint("tokenizer.ggml.bos_token_id").value(), 8u);  // config
}

TEST(ConvertHfTest, Errors) {
  const std::string dir = testing::MakeTempDir("hf_errors");
  ConvertOptions options;
  options.input = dir;
  EXPECT_THAT(PrepareConversion(options).status().message(),
              HasSubstr("no config.json"));

  WriteFileOrDie(dir + "/config.json",
                 R"({"architectures": ["GPTNeoXForCausalLM"]})");
  EXPECT_THAT(PrepareConversion(options).status().message(),
              HasSubstr("unsupported model architecture 'GPTNeoXForCausalLM'"));

  WriteFileOrDie(dir + "/config.json", ConfigJson("LlamaForCausalLM", true));
  EXPECT_THAT(PrepareConversion(options).status().message(),
              HasSubstr("no model.safetensors"));

  std::vector<FakeTensor> all = LlamaTensors(false);
  WriteFileOrDie(dir + "/model.safetensors", MakeSafetensors(all));
  EXPECT_THAT(PrepareConversion(options).status().message(),
              HasSubstr("no tokenizer.model or tokenizer.json"));

  WriteFileOrDie(dir + "/tokenizer.json", kTokenizerJson);
  all[1].dtype = "I16";  // same byte size as BF16 would not be; use F16 size
  all[1].bytes = std::string(kHidden * 2, '\0');
  WriteFileOrDie(dir + "/model.safetensors", MakeSafetensors(all));
  EXPECT_THAT(PrepareConversion(options).status().message(),
              HasSubstr("dtype I16, which is not supported"));

  all = LlamaTensors(false);
  all.erase(all.begin() + 3);  // a layer-0 tensor
  WriteFileOrDie(dir + "/model.safetensors", MakeSafetensors(all));
  EXPECT_THAT(PrepareConversion(options).status().message(),
              HasSubstr("lacks 1 tensor(s)"));

  options.input = dir + "/model.safetensors";
  EXPECT_THAT(PrepareConversion(options).status().message(),
              HasSubstr("pass the folder"));
  options.input = dir + "/nonexistent.bin";
  EXPECT_TRUE(absl::IsNotFound(PrepareConversion(options).status()));
}

// A GGUF with F16 / BF16 / F32 tensors written by the project's writer.
std::string MakeGguf(std::vector<float>* f16_values,
                     std::vector<float>* bf16_values) {
  gguf::GgufWriter w;
  w.SetString("general.architecture", "llama");
  w.SetString("general.name", "tiny");
  w.SetUint32("general.file_type", 1);
  w.SetUint32("llama.block_count", 1);
  w.SetStringArray("tokenizer.ggml.tokens", {"a", "b"});
  w.SetFloat32Array("tokenizer.ggml.scores", {0.5f, -1.0f});
  *f16_values = Values(64 * 3, 1);
  for (float& v : *f16_values) v *= 3.3f;  // not exact in f16: rounds
  std::string f16 = EncodeAs("F16", *f16_values);
  for (size_t i = 0; i < f16_values->size(); ++i) {
    uint16_t h;
    std::memcpy(&h, f16.data() + 2 * i, 2);
    (*f16_values)[i] = Fp16ToFp32(h);
  }
  *bf16_values = Values(32 * 2, 2);
  w.AddTensor("a.weight", gguf::TensorType::kF16, {64, 3}, f16);
  w.AddTensor("b.weight", gguf::TensorType::kBF16, {32, 2},
              EncodeAs("BF16", *bf16_values));
  w.AddTensor("c_norm.weight", gguf::TensorType::kF32, {5},
              EncodeAs("F32", Values(5, 3)));
  w.AddTensor("d.weight", gguf::TensorType::kF16, {40, 2},
              EncodeAs("F16", Values(80, 4)));
  return w.WriteToString().value();
}

TEST(ConvertGgufTest, F16AndBf16ToQ8_0) {
  std::vector<float> a, b;
  const std::string dir = testing::MakeTempDir("gguf_in");
  const std::string path = dir + "/tiny-f16.gguf";
  WriteFileOrDie(path, MakeGguf(&a, &b));
  ConvertOptions options;
  options.input = path;
  options.type = OutputType::kQ8_0;
  auto c = Convert(options);
  ASSERT_TRUE(c.ok()) << c.status();
  const gguf::GgufFile& f = *c->file;
  // Metadata copied; the file type and quantization version go last, as
  // llama-quantize appends them.
  auto in = gguf::GgufFile::Open(path);
  ASSERT_TRUE(in.ok());
  for (const auto& [key, value] : (*in)->metadata()) {
    ASSERT_NE(f.Find(key), nullptr) << key;
  }
  const size_t n_keys = f.metadata().size();
  ASSERT_GE(n_keys, 2u);
  EXPECT_EQ(f.metadata()[n_keys - 2].first, "general.quantization_version");
  EXPECT_EQ(f.metadata()[n_keys - 1].first, "general.file_type");
  EXPECT_EQ(f.GetUint("general.file_type").value(), 7u);
  EXPECT_EQ(f.GetUint("general.quantization_version").value(), 2u);
  EXPECT_EQ(f.GetString("general.name").value(), "tiny");
  EXPECT_EQ(f.GetFloatArray("tokenizer.ggml.scores").value(),
            (std::vector<float>{0.5f, -1.0f}));

  for (auto [name, values] :
       {std::pair{"a.weight", &a}, std::pair{"b.weight", &b}}) {
    const gguf::TensorInfo* t = f.FindTensor(name);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->type, gguf::TensorType::kQ8_0);
    std::vector<BlockQ8_0> want(values->size() / kQ8_0BlockSize);
    QuantizeRowQ8_0(values->data(), want.data(), values->size());
    ASSERT_EQ(t->size_bytes, want.size() * sizeof(BlockQ8_0));
    EXPECT_EQ(std::memcmp(t->data, want.data(), t->size_bytes), 0) << name;
  }
  EXPECT_EQ(f.FindTensor("c_norm.weight")->type, gguf::TensorType::kF32);
  EXPECT_EQ(f.FindTensor("d.weight")->type, gguf::TensorType::kF32);
  EXPECT_THAT(c->log, HasSubstr("d.weight: kept as f32: rows of 40"));

  // Q8_0 -> Q8_0 copies the blocks unchanged.
  const std::string q8_path = dir + "/tiny-q8_0.gguf";
  WriteFileOrDie(q8_path, c->bytes);
  options.input = q8_path;
  auto again = Convert(options);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->bytes, c->bytes);
}

TEST(ConvertGgufTest, RejectsUnsupportedTensorTypes) {
  gguf::GgufWriter w;
  w.SetString("general.architecture", "llama");
  w.AddTensor("q.weight", gguf::TensorType::kIQ2_XXS, {256, 1},
              std::string(66, '\0'));
  const std::string dir = testing::MakeTempDir("gguf_iq2");
  WriteFileOrDie(dir + "/iq2.gguf", w.WriteToString().value());
  ConvertOptions options;
  options.input = dir + "/iq2.gguf";
  EXPECT_THAT(PrepareConversion(options).status().message(),
              HasSubstr("has type iq2_xxs, which cannot be converted"));
  options.tokenizer = "tok.bin";
  EXPECT_THAT(PrepareConversion(options).status().message(),
              HasSubstr("--tokenizer applies to llama2.c checkpoints only"));
}

TEST(ConvertLlama2cTest, NeedsTokenizer) {
  const std::string dir = testing::MakeTempDir("l2c");
  WriteFileOrDie(dir + "/model.bin", std::string(64, '\x01'));
  ConvertOptions options;
  options.input = dir + "/model.bin";
  EXPECT_THAT(PrepareConversion(options).status().message(),
              HasSubstr("pass its tokenizer with --tokenizer"));
  options.tokenizer = dir + "/model.bin";
  EXPECT_THAT(PrepareConversion(options).status().message(),
              HasSubstr("is this a llama2.c checkpoint?"));
}

TEST(OutputTypeTest, Parse) {
  EXPECT_EQ(ParseOutputType("Q8_0").value(), OutputType::kQ8_0);
  EXPECT_EQ(ParseOutputType("f16").value(), OutputType::kF16);
  EXPECT_THAT(ParseOutputType("q4_k").status().message(),
              HasSubstr("unsupported output type 'q4_k'"));
}

}  // namespace
}  // namespace edgellm::quant
