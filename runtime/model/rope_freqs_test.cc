// Llama 3.1-style RoPE scaling reaches the model two ways: a rope_freqs.weight
// tensor (what llama.cpp's converter writes) or {arch}.rope.scaling.* keys.
// Both must give the same logits, and a table of ones must change nothing.
#include <cstdlib>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ops/rope.h"
#include "runtime/engine/loaded_model.h"
#include "runtime/gguf/gguf.h"
#include "runtime/gguf/writer.h"
#include "runtime/model/random_model.h"

namespace edgellm::model {
namespace {

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/" + name;
}

// Copies `base` to `out`, adding `extra` (metadata and/or tensors).
void CopyWith(const std::string& base, const std::string& out,
              const std::function<void(gguf::GgufWriter&)>& extra) {
  auto file = gguf::GgufFile::Open(base);
  ASSERT_TRUE(file.ok()) << file.status();
  gguf::GgufWriter w;
  for (const auto& [key, value] : (*file)->metadata()) {
    w.SetValue(key, value);
  }
  for (const gguf::TensorInfo& t : (*file)->tensors()) {
    w.AddTensor(
        t.name, t.type, t.dims,
        std::string(reinterpret_cast<const char*>(t.data), t.size_bytes));
  }
  extra(w);
  ASSERT_TRUE(w.Write(out).ok());
}

std::vector<float> LogitsAfter(const std::string& path,
                               const std::vector<int32_t>& tokens) {
  engine::LoadOptions options;
  options.model_path = path;
  options.threads = 1;
  auto engine = engine::LoadedModel::Load(options);
  EXPECT_TRUE(engine.ok()) << engine.status();
  if (!engine.ok()) return {};
  std::vector<BatchToken> batch;
  for (size_t i = 0; i < tokens.size(); ++i) {
    batch.push_back(
        {tokens[i], static_cast<int32_t>(i), 0, i + 1 == tokens.size()});
  }
  std::vector<float> logits((*engine)->config().vocab_size);
  EXPECT_TRUE((*engine)->transformer().Forward(batch, logits.data()).ok());
  return logits;
}

TEST(RopeFreqsTest, TensorAndScalingKeysAgreeAndOnesChangeNothing) {
  RandomModelSpec spec = *NamedRandomModelSpec("tiny");
  spec.file_type = quant::FileType::kF32;
  spec.rope_freq_base = 500000.0f;
  spec.context_length = 8192;
  const std::string base = TempPath("rope_base.gguf");
  ASSERT_TRUE(WriteRandomModel(spec, base, false).ok());
  const int32_t head_dim = spec.embedding_length / spec.head_count;

  const std::string ones = TempPath("rope_ones.gguf");
  CopyWith(base, ones, [&](gguf::GgufWriter& w) {
    std::vector<float> table(head_dim / 2, 1.0f);
    w.AddTensor("rope_freqs.weight", gguf::TensorType::kF32, {head_dim / 2},
                std::string(reinterpret_cast<const char*>(table.data()),
                            table.size() * sizeof(float)));
  });
  // Scaling parameters chosen so that the table is not all ones for a
  // 32-wide head: low frequencies are divided by the factor.
  const float factor = 8, low = 1, high = 4, original = 64;
  const std::string table_file = TempPath("rope_table.gguf");
  CopyWith(base, table_file, [&](gguf::GgufWriter& w) {
    std::vector<float> table = ops::Llama3RopeFreqFactors(
        head_dim, spec.rope_freq_base, factor, low, high, original);
    ASSERT_EQ(table.size(), size_t(head_dim / 2));
    bool all_ones = true;
    for (float f : table) all_ones &= f == 1.0f;
    ASSERT_FALSE(all_ones);
    w.AddTensor("rope_freqs.weight", gguf::TensorType::kF32, {head_dim / 2},
                std::string(reinterpret_cast<const char*>(table.data()),
                            table.size() * sizeof(float)));
  });
  const std::string keys_file = TempPath("rope_keys.gguf");
  CopyWith(base, keys_file, [&](gguf::GgufWriter& w) {
    w.SetString("llama.rope.scaling.type", "llama3");
    w.SetFloat32("llama.rope.scaling.factor", factor);
    w.SetFloat32("llama.rope.scaling.low_freq_factor", low);
    w.SetFloat32("llama.rope.scaling.high_freq_factor", high);
    w.SetUint32("llama.rope.scaling.original_context_length", original);
  });

  const std::vector<int32_t> tokens = {1,   300, 301, 302, 303, 304, 305, 306,
                                       307, 308, 309, 310, 311, 312, 313};
  const std::vector<float> plain = LogitsAfter(base, tokens);
  const std::vector<float> with_ones = LogitsAfter(ones, tokens);
  const std::vector<float> with_table = LogitsAfter(table_file, tokens);
  const std::vector<float> with_keys = LogitsAfter(keys_file, tokens);
  ASSERT_EQ(plain.size(), with_table.size());
  EXPECT_EQ(plain, with_ones);
  EXPECT_EQ(with_table, with_keys);
  EXPECT_NE(plain, with_table) << "the scaling had no effect";
}

}  // namespace
}  // namespace edgellm::model
