// GoogleTest and GoogleMock link and run: a mock is called as expected.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace {

class Greeter {
 public:
  virtual ~Greeter() = default;
  virtual std::string Greet(const std::string& name) = 0;
};

class MockGreeter : public Greeter {
 public:
  MOCK_METHOD(std::string, Greet, (const std::string& name), (override));
};

TEST(GtestGmockSmokeTest, MockIsCalledWithExpectedArgument) {
  MockGreeter greeter;
  EXPECT_CALL(greeter, Greet("edge")).WillOnce(::testing::Return("hi edge"));
  EXPECT_THAT(greeter.Greet("edge"), ::testing::StartsWith("hi"));
}

}  // namespace
