#include "quant/convert/hf_config.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace edgellm::quant {
namespace {

using ::testing::HasSubstr;

constexpr char kLlama[] = R"({
  "architectures": ["LlamaForCausalLM"], "model_type": "llama",
  "hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 2,
  "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 100,
  "max_position_embeddings": 2048, "rms_norm_eps": 1e-05,
  "rope_theta": 500000.0, "tie_word_embeddings": false,
  "bos_token_id": 1, "eos_token_id": [2, 3],
  "rope_scaling": {"rope_type": "llama3", "factor": 8.0,
    "low_freq_factor": 1.0, "high_freq_factor": 4.0,
    "original_max_position_embeddings": 8192}
})";

TEST(HfConfigTest, ParsesLlama) {
  auto c = ParseHfConfig(kLlama);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->gguf_architecture, "llama");
  EXPECT_EQ(c->head_dim, 16);
  EXPECT_EQ(c->num_key_value_heads, 2);
  EXPECT_EQ(c->max_position_embeddings, 2048);
  EXPECT_DOUBLE_EQ(c->rms_norm_eps, 1e-5);
  EXPECT_EQ(c->rope_theta, 500000.0);
  EXPECT_EQ(c->eos_token_id, 2);
  EXPECT_EQ(c->rope_scaling_type, "llama3");
  EXPECT_TRUE(c->permute_qk());
  const std::vector<float> factors = Llama3RopeFactors(*c);
  ASSERT_EQ(factors.size(), 8u);
  EXPECT_EQ(factors[0], 1.0f);  // highest frequency: unscaled
  EXPECT_EQ(factors[7], 8.0f);  // lowest frequency: scaled by factor
}

TEST(HfConfigTest, RejectsUnsupported) {
  EXPECT_THAT(ParseHfConfig(R"({"architectures": ["GPT2LMHeadModel"]})")
                  .status()
                  .message(),
              HasSubstr("unsupported model architecture 'GPT2LMHeadModel'"));
  EXPECT_THAT(ParseHfConfig(R"({"hidden_size": 1})").status().message(),
              HasSubstr("architectures"));
  EXPECT_THAT(ParseHfConfig(R"({"architectures": ["Qwen2ForCausalLM"],
        "hidden_size": 64, "num_hidden_layers": 1, "num_attention_heads": 4,
        "vocab_size": 10})")
                  .status()
                  .message(),
              HasSubstr("\"intermediate_size\" is missing"));
  EXPECT_THAT(ParseHfConfig(R"({"architectures": ["Qwen2ForCausalLM"],
        "hidden_size": 64, "intermediate_size": 8, "num_hidden_layers": 1,
        "num_attention_heads": 4, "vocab_size": 10,
        "rope_scaling": {"type": "yarn", "factor": 4}})")
                  .status()
                  .message(),
              HasSubstr("rope_scaling type 'yarn' is not supported"));
  EXPECT_FALSE(ParseHfConfig("{not json").ok());
}

// A hostile config.json: each field out of range is refused by name, before
// anything is sized from it (the converter would otherwise pad 2^32
// vocabulary entries or list tensors for 2^32 layers).
TEST(HfConfigTest, RejectsSizesOutOfRange) {
  const nlohmann::json base = nlohmann::json::parse(kLlama);
  ASSERT_TRUE(ParseHfConfig(base.dump()).ok());
  struct Case {
    const char* field;
    nlohmann::json value;
    const char* expected;
  };
  const Case cases[] = {
      {"vocab_size", int64_t{1} << 32,
       "\"vocab_size\" = 4294967296 is out of range"},
      {"vocab_size", 0, "\"vocab_size\" = 0 is out of range"},
      {"hidden_size", int64_t{1} << 40, "\"hidden_size\""},
      {"hidden_size", -64, "\"hidden_size\""},
      {"intermediate_size", uint64_t{1} << 63,
       "\"intermediate_size\" = 9223372036854775808 does not fit"},
      {"eos_token_id", ~uint64_t{0},
       "\"eos_token_id\" = 18446744073709551615 does not fit"},
      {"num_hidden_layers", int64_t{1} << 32, "\"num_hidden_layers\""},
      {"num_attention_heads", int64_t{1} << 31, "\"num_attention_heads\""},
      {"num_key_value_heads", int64_t{1} << 62, "\"num_key_value_heads\""},
      {"head_dim", int64_t{1} << 62, "\"head_dim\""},
      {"head_dim", -2, "\"head_dim\""},
      {"max_position_embeddings", -1, "\"max_position_embeddings\""},
      {"max_position_embeddings", int64_t{1} << 32,
       "\"max_position_embeddings\""},
  };
  for (const Case& c : cases) {
    nlohmann::json j = base;
    j[c.field] = c.value;
    EXPECT_THAT(ParseHfConfig(j.dump()).status().message(),
                HasSubstr(c.expected))
        << c.field << " = " << c.value;
  }
  // Doubles that no integer holds, and factors that would divide by zero.
  for (const char* scaling :
       {R"({"rope_type": "llama3", "original_max_position_embeddings": 1e300})",
        R"({"rope_type": "llama3", "original_max_position_embeddings": -5})",
        R"({"rope_type": "linear", "factor": 0})",
        R"({"rope_type": "llama3", "low_freq_factor": -1})"}) {
    nlohmann::json j = base;
    j["rope_scaling"] = nlohmann::json::parse(scaling);
    EXPECT_THAT(ParseHfConfig(j.dump()).status().message(),
                HasSubstr("\"rope_scaling\""))
        << scaling;
  }
}

TEST(HfConfigTest, MapsNames) {
  auto c = ParseHfConfig(kLlama);
  ASSERT_TRUE(c.ok());
  auto q = MapHfTensor(*c, "model.layers.1.self_attn.q_proj.weight");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->gguf_name, "blk.1.attn_q.weight");
  EXPECT_TRUE(q->permute);
  EXPECT_EQ(q->permute_heads, 4);
  auto k = MapHfTensor(*c, "model.layers.0.self_attn.k_proj.weight");
  EXPECT_EQ(k->permute_heads, 2);
  EXPECT_FALSE(
      MapHfTensor(*c, "model.layers.0.self_attn.v_proj.weight")->permute);
  EXPECT_EQ(MapHfTensor(*c, "model.layers.0.mlp.down_proj.weight")->gguf_name,
            "blk.0.ffn_down.weight");
  EXPECT_EQ(MapHfTensor(*c, "lm_head.weight")->gguf_name, "output.weight");
  EXPECT_EQ(MapHfTensor(*c, "model.layers.0.self_attn.rotary_emb.inv_freq")
                ->gguf_name,
            "");
  EXPECT_THAT(
      MapHfTensor(*c, "model.layers.2.mlp.up_proj.weight").status().message(),
      HasSubstr("num_hidden_layers is 2"));
  EXPECT_THAT(MapHfTensor(*c, "model.vision_tower.weight").status().message(),
              HasSubstr("no GGUF name"));
  HfConfig tied = *c;
  tied.tie_word_embeddings = true;
  EXPECT_EQ(MapHfTensor(tied, "lm_head.weight")->gguf_name, "");

  HfConfig qwen = *c;
  qwen.gguf_architecture = "qwen2";
  auto qb = MapHfTensor(qwen, "model.layers.0.self_attn.q_proj.bias");
  EXPECT_EQ(qb->gguf_name, "blk.0.attn_q.bias");
  EXPECT_FALSE(qb->permute);
}

// llama.cpp's permute, written as numpy would run it: reshape to
// (n_head, 2, rows/n_head/2, cols), swap axes 1 and 2, reshape back.
TEST(HfConfigTest, PermutationMatchesReshapeSwapaxes) {
  const int64_t n_head = 3, head_dim = 8, rows = n_head * head_dim, cols = 5;
  std::vector<float> in(rows * cols);
  for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<float>(i);
  std::vector<float> out(in.size());
  PermuteQkRows(in.data(), out.data(), rows, cols, n_head);
  const int64_t half = head_dim / 2;
  for (int64_t h = 0; h < n_head; ++h) {
    for (int64_t a = 0; a < half; ++a) {  // axis 1 after the swap
      for (int64_t b = 0; b < 2; ++b) {   // axis 2 after the swap
        for (int64_t c = 0; c < cols; ++c) {
          const int64_t out_index = ((h * half + a) * 2 + b) * cols + c;
          const int64_t in_index = ((h * 2 + b) * half + a) * cols + c;
          EXPECT_EQ(out[out_index], in[in_index]);
        }
      }
    }
  }
}

}  // namespace
}  // namespace edgellm::quant
