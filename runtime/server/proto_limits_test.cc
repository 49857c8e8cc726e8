// The proto's comments state the request limits a client must respect; this
// keeps them the engine's (RequestLimits, SamplingParams in edgellm.h).
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/engine/edgellm.h"

namespace edgellm {
namespace {

using ::testing::HasSubstr;

std::string Proto() {
  std::ifstream in("proto/edgellm/v1/edgellm.proto");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(ProtoLimitsTest, CommentsStateTheEngineLimits) {
  const std::string proto = Proto();
  ASSERT_FALSE(proto.empty());
  // Each check names the limit next to the words the proto uses for it.
  EXPECT_THAT(proto, HasSubstr(absl::StrCat(
                         "At most ", RequestLimits::kMaxStopStrings,
                         ", each non-empty and at most ",
                         RequestLimits::kMaxStopStringBytes, " bytes")));
  EXPECT_THAT(
      proto, HasSubstr(absl::StrCat("At most ", RequestLimits::kMaxChatMessages,
                                    " messages")));
  EXPECT_THAT(proto, HasSubstr(absl::StrCat("At least one and at most ",
                                            RequestLimits::kMaxEmbedTexts)));
  EXPECT_THAT(proto,
              HasSubstr(absl::StrCat("at most ", RequestLimits::kMaxEmbedTokens,
                                     " tokens in all")));
  EXPECT_THAT(proto, HasSubstr(absl::StrCat("At least one and at most ",
                                            RequestLimits::kMaxRerankDocuments,
                                            " documents")));
  EXPECT_THAT(proto,
              HasSubstr(absl::StrCat("at most ", RequestLimits::kMaxEmbedTokens,
                                     " tokens over all pairs")));
  EXPECT_THAT(proto, HasSubstr(absl::StrCat(SamplingParams::kMaxLogitBias,
                                            " entries")));
  EXPECT_THAT(proto, HasSubstr(absl::StrCat(
                         "In [0, ", SamplingParams::kMaxPenaltyLastN, "]")));
}

TEST(ProtoLimitsTest, CommentsStateTheChatToolLimits) {
  const std::string proto = Proto();
  ASSERT_FALSE(proto.empty());
  EXPECT_THAT(proto, HasSubstr(absl::StrCat(
                         "At most ", RequestLimits::kMaxChatTools, ".")));
  EXPECT_THAT(proto,
              HasSubstr(absl::StrCat("nested deeper than ",
                                     RequestLimits::kMaxJsonDepth, " levels")));
  EXPECT_THAT(proto,
              HasSubstr(absl::StrCat("Nested at most ",
                                     RequestLimits::kMaxJsonDepth, " levels")));
}

}  // namespace
}  // namespace edgellm
