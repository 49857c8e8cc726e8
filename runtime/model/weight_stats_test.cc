#include "runtime/model/weight_stats.h"

#include <string>

#include "gtest/gtest.h"
#include "runtime/gguf/gguf.h"
#include "runtime/gguf/writer.h"

namespace edgellm::model {
namespace {

using gguf::TensorType;

std::string Zeros(size_t n) { return std::string(n, '\0'); }

// A Q4_K_M-like mix: 2 Q4_K matrices, 1 Q6_K, 3 F32 vectors, and a
// 4-row embedding table.
std::string MixedFile(bool separate_head) {
  gguf::GgufWriter w;
  w.SetString("general.architecture", "llama");
  w.AddTensor("token_embd.weight", TensorType::kQ6_K, {256, 4}, Zeros(4 * 210));
  w.AddTensor("output_norm.weight", TensorType::kF32, {256}, Zeros(1024));
  if (separate_head) {
    w.AddTensor("output.weight", TensorType::kQ6_K, {256, 4}, Zeros(4 * 210));
  }
  w.AddTensor("blk.0.attn_norm.weight", TensorType::kF32, {256}, Zeros(1024));
  w.AddTensor("blk.0.attn_q.weight", TensorType::kQ4_K, {256, 2}, Zeros(288));
  w.AddTensor("blk.0.attn_k.weight", TensorType::kQ4_K, {256, 2}, Zeros(288));
  w.AddTensor("blk.0.ffn_norm.weight", TensorType::kF32, {256}, Zeros(1024));
  return *w.WriteToString();
}

TEST(WeightStatsTest, MixAndBytesPerToken) {
  const std::string tied = MixedFile(false);
  auto f = gguf::GgufFile::FromBuffer(tied.data(), tied.size());
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(WeightTypeMix(**f), "F32 x3, Q4_K x2, Q6_K x1");
  ASSERT_EQ(WeightTypes(**f).size(), 3u);
  EXPECT_EQ(WeightTypes(**f)[0], TensorType::kF32);
  // Tied: the whole table is the head.
  EXPECT_EQ(WeightBytesPerToken(**f), 4u * 210 + 3 * 1024 + 2 * 288);

  const std::string sep = MixedFile(true);
  f = gguf::GgufFile::FromBuffer(sep.data(), sep.size());
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(WeightTypeMix(**f), "F32 x3, Q4_K x2, Q6_K x2");
  // Separate head: the head whole, one embedding row.
  EXPECT_EQ(WeightBytesPerToken(**f), 210u + 4 * 210 + 3 * 1024 + 2 * 288);
}

}  // namespace
}  // namespace edgellm::model
