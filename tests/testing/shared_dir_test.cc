#include "tests/testing/shared_dir.h"

#include "gtest/gtest.h"

namespace edgellm::testing {
namespace {

TEST(SharedDirTest, FindsGoldenFileOrSkips) {
  if (SharedDirOrEmpty().empty()) GTEST_SKIP() << kNoSharedMessage;
  EXPECT_FALSE(SharedFileOrEmpty("golden/stories260K_greedy.jsonl").empty());
  EXPECT_TRUE(SharedFileOrEmpty("no/such/file").empty());
}

}  // namespace
}  // namespace edgellm::testing
