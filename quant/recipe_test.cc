#include "quant/recipe.h"

#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "runtime/gguf/types.h"
#include "tests/testing/shared_dir.h"

namespace edgellm::quant {
namespace {

using gguf::TensorType;

TensorType TypeFromName(const std::string& upper) {
  static const std::map<std::string, TensorType> kTypes = {
      {"F32", TensorType::kF32},   {"F16", TensorType::kF16},
      {"Q4_0", TensorType::kQ4_0}, {"Q8_0", TensorType::kQ8_0},
      {"Q4_K", TensorType::kQ4_K}, {"Q5_K", TensorType::kQ5_K},
      {"Q6_K", TensorType::kQ6_K}};
  auto it = kTypes.find(upper);
  return it == kTypes.end() ? TensorType::kI8 : it->second;
}

// Every quantized reference model (llama-quantize's own output for six
// architectures and five file types, shared/reference/models.json): the
// recipe applied to the F32 file's tensors gives llama-quantize's type for
// every tensor, and our order is its order.
TEST(RecipeTest, MatchesLlamaQuantizeOnTheReferenceModels) {
  const std::string path =
      edgellm::testing::SharedFileOrEmpty("reference/models.json");
  if (path.empty()) GTEST_SKIP() << edgellm::testing::kNoSharedMessage;
  std::ifstream in(path);
  const nlohmann::json models = nlohmann::json::parse(in);
  std::map<std::string, nlohmann::json> f32;  // "llama32-tiny" -> entry
  for (const nlohmann::json& m : models) {
    const std::string file = m["file"];
    if (file.ends_with("-f32.gguf")) f32[file.substr(0, file.size() - 9)] = m;
  }
  int checked = 0;
  for (const nlohmann::json& m : models) {
    const std::string file = m["file"];
    const size_t dash = file.rfind('-');
    const std::string stem = file.substr(0, dash);
    const std::string ftype = file.substr(dash + 1, file.size() - dash - 6);
    if (ftype == "f32") continue;
    SCOPED_TRACE(file);
    absl::StatusOr<FileType> ft = ParseFileType(ftype);
    ASSERT_TRUE(ft.ok()) << ft.status();
    EXPECT_EQ(static_cast<int>(*ft), m["general.file_type"].get<int>());
    ASSERT_TRUE(f32.count(stem));
    std::vector<RecipeTensor> tensors;
    std::vector<std::string> names;
    std::set<std::string> layers;
    for (const nlohmann::json& t : f32[stem]["tensors"]) {
      RecipeTensor r;
      r.name = t["name"];
      r.dims = t["ne"].get<std::vector<int64_t>>();
      tensors.push_back(r);
      names.push_back(r.name);
      if (r.name.starts_with("blk.")) {
        layers.insert(r.name.substr(0, r.name.find('.', 4)));
      }
    }
    RecipeModel model;
    model.n_layer = static_cast<int32_t>(layers.size());
    const std::vector<RecipeChoice> choices =
        ChooseTensorTypes(*ft, tensors, model);
    const std::vector<size_t> order = LlamaQuantizeTensorOrder(names);
    const nlohmann::json& want = m["tensors"];
    ASSERT_EQ(want.size(), tensors.size());
    for (size_t i = 0; i < order.size(); ++i) {
      const RecipeTensor& t = tensors[order[i]];
      EXPECT_EQ(t.name, want[i]["name"].get<std::string>()) << "position " << i;
      EXPECT_EQ(choices[order[i]].type,
                TypeFromName(want[i]["type"].get<std::string>()))
          << t.name;
      EXPECT_EQ(choices[order[i]].note, "") << t.name;
    }
    ++checked;
  }
  EXPECT_EQ(checked, 30);
}

RecipeTensor Matrix(const std::string& name, int64_t cols, int64_t rows) {
  return RecipeTensor{name, {cols, rows}, TensorType::kF32};
}

// The rules the reference models do not reach: row lengths that K-quants
// cannot split (tinyllama-like 5632-wide FFNs split; 172 does not), the
// separate output head, grouped-query attention for Q2_K, 1-D tensors.
TEST(RecipeTest, FallbacksAndOtherRules) {
  const std::vector<RecipeTensor> t = {
      Matrix("token_embd.weight", 288, 100),
      Matrix("output.weight", 288, 100),
      RecipeTensor{"output_norm.weight", {288}, TensorType::kF32},
      Matrix("blk.0.attn_v.weight", 256, 64),
      Matrix("blk.0.ffn_down.weight", 172, 256),
      Matrix("blk.0.ffn_up.weight", 256, 172),
  };
  RecipeModel m{1, 4};
  std::vector<RecipeChoice> c = ChooseTensorTypes(FileType::kQ4_K_M, t, m);
  EXPECT_EQ(c[0].type, TensorType::kQ5_0);  // untied embedding: Q4_K -> Q5_0
  EXPECT_NE(c[0].note.find("q5_0 instead of q4_K"), std::string::npos);
  EXPECT_EQ(c[1].type, TensorType::kQ8_0);  // Q6_K head -> Q8_0 (288 % 256)
  EXPECT_EQ(c[2].type, TensorType::kF32);
  EXPECT_EQ(c[3].type, TensorType::kQ6_K);  // layer 0 of 1: more bits
  EXPECT_EQ(c[4].type, TensorType::kF32);   // 172: no 32-value type either
  EXPECT_NE(c[4].note.find("kept as f32"), std::string::npos);
  EXPECT_EQ(c[5].type, TensorType::kQ4_K);
  c = ChooseTensorTypes(FileType::kQ2_K, t, m);
  EXPECT_EQ(c[3].type, TensorType::kQ4_K);  // n_gqa >= 4
  m.n_gqa = 1;
  c = ChooseTensorTypes(FileType::kQ2_K, t, m);
  EXPECT_EQ(c[3].type, TensorType::kQ3_K);
  c = ChooseTensorTypes(FileType::kQ4_0, t, m);
  EXPECT_EQ(c[0].type, TensorType::kQ4_0);
  // 288 % 32 == 0 makes the head Q6_K, which falls back to Q8_0.
  EXPECT_EQ(c[1].type, TensorType::kQ8_0);
  c = ChooseTensorTypes(FileType::kF16, t, m);
  EXPECT_EQ(c[4].type, TensorType::kF16);
  EXPECT_EQ(c[2].type, TensorType::kF32);
}

TEST(RecipeTest, Names) {
  EXPECT_EQ(*ParseFileType("Q4_K_M"), FileType::kQ4_K_M);
  EXPECT_EQ(FileTypeName(FileType::kQ6_K), "q6_k");
  EXPECT_FALSE(ParseFileType("iq2_xxs").ok());
  EXPECT_TRUE(IsQuantizedFileType(FileType::kIQ4_XS));
  EXPECT_FALSE(IsQuantizedFileType(FileType::kBF16));
}

}  // namespace
}  // namespace edgellm::quant
