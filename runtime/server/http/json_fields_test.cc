#include "runtime/server/http/json_fields.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace edgellm::server::http {
namespace {

using nlohmann::json;

TEST(JsonFieldsTest, InvalidFieldNamesTheField) {
  const absl::Status s = InvalidField("documents[2]", "empty");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "documents[2]: empty");
}

TEST(JsonFieldsTest, ParseBodyObjectTakesOnlyAnObject) {
  absl::StatusOr<json> ok = ParseBodyObject(R"({"a": 1})");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ((*ok)["a"], 1);
  for (const char* bad : {"{", "", "nul"}) {
    absl::StatusOr<json> r = ParseBodyObject(bad);
    EXPECT_EQ(r.status().message(), "body: not valid JSON") << bad;
  }
  for (const char* bad : {"[1]", "\"text\"", "3", "null"}) {
    absl::StatusOr<json> r = ParseBodyObject(bad);
    EXPECT_EQ(r.status().message(), "body: not a JSON object") << bad;
  }
}

TEST(JsonFieldsTest, ParseBodyObjectRefusesAnOversizedBodyBeforeParsing) {
  // Valid JSON, one byte too long: refused by its size, not parsed.
  std::string body = "{\"a\": \"";
  body.append(kMaxBodyBytes - body.size() - 1, 'x');
  body += "\"}";
  ASSERT_EQ(body.size(), kMaxBodyBytes + 1);
  absl::StatusOr<json> r = ParseBodyObject(body);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            absl::StrCat("body: ", kMaxBodyBytes + 1, " bytes; at most ",
                         kMaxBodyBytes));
  body.erase(body.size() - 3, 1);  // now exactly kMaxBodyBytes
  EXPECT_TRUE(ParseBodyObject(body).ok());
}

TEST(JsonFieldsTest, FindMemberTreatsNullAsAbsent) {
  const json o = {{"a", 1}, {"b", nullptr}};
  ASSERT_NE(FindMember(o, "a"), nullptr);
  EXPECT_EQ(FindMember(o, "a"), &o["a"]);  // the member itself, not a copy
  EXPECT_EQ(FindMember(o, "b"), nullptr);
  EXPECT_EQ(FindMember(o, "c"), nullptr);
}

TEST(JsonFieldsTest, OptionalMembersKeepTheirValueWhenAbsentOrNull) {
  const json o = json::parse(R"({"n": null})");
  bool b = true;
  std::string s = "kept";
  std::optional<float> f;
  std::optional<int64_t> i;
  for (const char* key : {"n", "missing"}) {
    EXPECT_TRUE(ReadBool(o, key, &b).ok());
    EXPECT_TRUE(ReadString(o, key, &s).ok());
    EXPECT_TRUE(ReadNumber(o, key, &f).ok());
    EXPECT_TRUE(ReadInteger(o, key, &i).ok());
  }
  EXPECT_TRUE(b);
  EXPECT_EQ(s, "kept");
  EXPECT_FALSE(f.has_value());
  EXPECT_FALSE(i.has_value());
}

TEST(JsonFieldsTest, OptionalMembersReadTheirType) {
  const json o = json::parse(
      R"({"b": false, "s": "bge", "f": 0.25, "i": -7, "big": 9223372036854775807})");
  bool b = true;
  std::string s;
  std::optional<float> f;
  std::optional<int64_t> i, big;
  ASSERT_TRUE(ReadBool(o, "b", &b).ok());
  ASSERT_TRUE(ReadString(o, "s", &s).ok());
  ASSERT_TRUE(ReadNumber(o, "f", &f).ok());
  ASSERT_TRUE(ReadInteger(o, "i", &i).ok());
  ASSERT_TRUE(ReadInteger(o, "big", &big).ok());
  EXPECT_FALSE(b);
  EXPECT_EQ(s, "bge");
  EXPECT_EQ(f, 0.25f);
  EXPECT_EQ(i, -7);
  EXPECT_EQ(big, std::numeric_limits<int64_t>::max());
  std::optional<float> from_integer;
  ASSERT_TRUE(ReadNumber(o, "i", &from_integer).ok());
  EXPECT_EQ(from_integer, -7.0f);
}

TEST(JsonFieldsTest, OptionalMembersOfAnotherTypeNameTheKey) {
  const json o = json::parse(
      R"({"b": 1, "s": 2, "f": "x", "i": 1.5, "big": 9223372036854775808})");
  bool b = false;
  std::string s;
  std::optional<float> f;
  std::optional<int64_t> i;
  EXPECT_EQ(ReadBool(o, "b", &b).message(), "b: must be true or false");
  EXPECT_EQ(ReadString(o, "s", &s).message(), "s: must be a string");
  EXPECT_EQ(ReadNumber(o, "f", &f).message(), "f: must be a number");
  EXPECT_EQ(ReadInteger(o, "i", &i).message(), "i: must be an integer");
  EXPECT_EQ(ReadInteger(o, "big", &i).message(), "big: is out of range");
  EXPECT_FALSE(b);
  EXPECT_EQ(s, "");
  EXPECT_FALSE(f.has_value());
  EXPECT_FALSE(i.has_value());
}

}  // namespace
}  // namespace edgellm::server::http
