#include "util/exception_status.h"

#include <new>
#include <stdexcept>
#include <vector>

#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgellm {
namespace {

using ::testing::HasSubstr;

TEST(ExceptionStatusTest, ClassifiesStandardExceptions) {
  const absl::Status oom = CatchExceptions(
      "alloc", []() -> absl::Status { throw std::bad_alloc(); });
  EXPECT_EQ(oom.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(oom.message(), HasSubstr("alloc: out of memory"));

  const absl::Status huge = CatchExceptions("reserve", []() -> absl::Status {
    std::vector<int> v;
    v.reserve(v.max_size() + 1);  // throws std::length_error
    return absl::OkStatus();
  });
  EXPECT_EQ(huge.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(huge.message(), HasSubstr("reserve: too large"));

  const absl::Status other = CatchExceptions(
      "parse", []() -> absl::Status { throw std::runtime_error("bad"); });
  EXPECT_EQ(other.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(other.message(), "parse: bad");

  const absl::Status odd =
      CatchExceptions("odd", []() -> absl::Status { throw 42; });
  EXPECT_EQ(odd.code(), absl::StatusCode::kInternal);
}

TEST(ExceptionStatusTest, PassesResultsThrough) {
  absl::StatusOr<int> v =
      CatchExceptions("x", []() -> absl::StatusOr<int> { return 7; });
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 7);
  EXPECT_TRUE(CatchExceptions("x", [] { return absl::OkStatus(); }).ok());
}

}  // namespace
}  // namespace edgellm
