// `edgellm quantize` against llama-quantize: every quantized reference model
// (six architectures x Q8_0, Q4_0, Q4_K_M, Q5_K_M, Q6_K, made by llama.cpp's
// llama-quantize from the stored F32 files; shared/reference/models.json has
// each file's sha256) rebuilt by our quantizer from the same F32 file must
// be byte-identical: the per-tensor recipe, tensor order, metadata layout
// and every quantized block equal llama.cpp's.
#include <cstdlib>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/reference_models.h"
#include "tests/testing/shared_dir.h"

namespace edgellm {
namespace {

TEST(QuantizeReferenceTest, EveryQuantizedModelIsByteIdenticalToLlamaQuantize) {
  const std::string shared = testing::SharedDirOrEmpty();
  if (shared.empty()) GTEST_SKIP() << testing::kNoSharedMessage;
  std::ifstream in(shared + "/reference/models.json");
  ASSERT_TRUE(in) << "reference/models.json is missing";
  const nlohmann::json models = nlohmann::json::parse(in);
  const char* tmp = std::getenv("TEST_TMPDIR");
  ASSERT_NE(tmp, nullptr);
  int checked = 0;
  for (const nlohmann::json& m : models) {
    const std::string file = m["file"];
    if (file.ends_with("-f32.gguf")) continue;
    absl::StatusOr<std::string> path =
        testing::RebuildReferenceModel(shared, file, tmp);
    ASSERT_TRUE(path.ok()) << file << ": " << path.status();
    absl::StatusOr<std::string> sha = testing::Sha256OfFile(*path);
    ASSERT_TRUE(sha.ok()) << sha.status();
    EXPECT_EQ(*sha, m["sha256"].get<std::string>())
        << file << " differs from llama-quantize's";
    std::remove(path->c_str());
    ++checked;
  }
  EXPECT_EQ(checked, 30);
}

}  // namespace
}  // namespace edgellm
