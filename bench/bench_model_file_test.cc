#include "bench/bench_model_file.h"

#include <unistd.h>

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "quant/recipe.h"
#include "runtime/gguf/gguf.h"

namespace edgellm::bench {
namespace {

class BenchModelFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* dir = std::getenv("TEST_TMPDIR");
    tmp_ = dir != nullptr ? dir : "/tmp";
    setenv("TMPDIR", tmp_.c_str(), 1);
  }
  std::string tmp_;
};

// The file is the named shape at the named type, in $TMPDIR.
TEST_F(BenchModelFileTest, WritesTheShapeAtTheTypeUnderTheBenchmarksName) {
  absl::StatusOr<std::string> path =
      WriteShapeModel({.bench = "some_bench", .shape = "tiny", .type = "f32"});
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(*path, tmp_ + "/some_bench_tiny-f32.gguf");
  absl::StatusOr<std::unique_ptr<gguf::GgufFile>> file =
      gguf::GgufFile::Open(*path);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ((*file)->GetString("general.architecture").value_or(""), "llama");
  EXPECT_EQ((*file)->GetInt("general.file_type").value_or(-1),
            static_cast<int64_t>(quant::FileType::kF32));
  // Per process: the pid in the name.
  path = WriteShapeModel(
      {.bench = "some_bench", .shape = "tiny", .per_process = true});
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(*path, absl::StrCat(tmp_, "/some_bench_tiny-", getpid(), ".gguf"));
}

TEST_F(BenchModelFileTest, AGivenFileIsUsedAsItIs) {
  absl::StatusOr<std::string> path =
      ModelFileFor("/models/mine.gguf", "some_bench", "no-such-shape");
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(*path, "/models/mine.gguf");
  path = ModelFileFor("", "some_bench", "tiny");
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(*path, tmp_ + "/some_bench_tiny.gguf");
}

TEST_F(BenchModelFileTest, UnknownShapesAndTypesAreErrors) {
  EXPECT_FALSE(WriteShapeModel({.bench = "b", .shape = "no-such-shape"}).ok());
  EXPECT_FALSE(
      WriteShapeModel({.bench = "b", .shape = "tiny", .type = "q9_9"}).ok());
}

TEST(BenchTokensTest, InsideTheVocabularyPastTheByteIdsAndPerSeed) {
  const std::vector<int32_t> a = Tokens(500, 1, 1024), b = Tokens(500, 2, 1024);
  ASSERT_EQ(a.size(), 500u);
  for (const int32_t id : a) {
    EXPECT_GE(id, 300);
    EXPECT_LT(id, 1024);
  }
  EXPECT_NE(a, b);
  EXPECT_EQ(a, Tokens(500, 1, 1024));
}

}  // namespace
}  // namespace edgellm::bench
