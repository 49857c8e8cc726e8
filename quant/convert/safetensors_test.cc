#include "quant/convert/safetensors.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "quant/convert/test_util.h"

namespace edgellm::quant {
namespace {

using testing::EncodeAs;
using testing::FakeTensor;
using ::testing::HasSubstr;
using testing::MakeSafetensors;

TEST(SafetensorsTest, ReadsAllDtypes) {
  const std::vector<float> v = {1.0f, -2.5f, 0.125f, 3.0f, 65504.0f, 0.0f};
  const std::string image = MakeSafetensors({
      {"a", "F32", {2, 3}, EncodeAs("F32", v)},
      {"b", "F16", {6}, EncodeAs("F16", v)},
      {"c", "BF16", {3, 2}, EncodeAs("BF16", v)},
      {"d", "I8", {2}, std::string("\x01\x02", 2)},
  });
  auto file = SafetensorsFile::FromBuffer(image.data(), image.size(), "x");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ((*file)->tensors().size(), 4u);
  EXPECT_EQ((*file)->metadata().at("format"), "pt");
  for (const char* name : {"a", "b", "c"}) {
    const SafetensorsTensor* t = (*file)->Find(name);
    ASSERT_NE(t, nullptr);
    std::vector<float> out(t->num_elements());
    ASSERT_TRUE(SafetensorsToF32(*t, out.data()).ok());
    if (std::string(name) == "c") {
      // bf16 keeps 8 bits of mantissa: 65504 rounds to 65536.
      EXPECT_EQ(out[4], 65536.0f);
      out[4] = v[4];
    }
    EXPECT_EQ(out, v) << name;
  }
  const SafetensorsTensor* d = (*file)->Find("d");
  std::vector<float> out(2);
  EXPECT_THAT(SafetensorsToF32(*d, out.data()).message(),
              HasSubstr("dtype I8, which is not supported"));
}

TEST(SafetensorsTest, RejectsCorruptHeaders) {
  const std::string good =
      MakeSafetensors({{"a", "F32", {2}, EncodeAs("F32", {1, 2})}});
  auto parse = [](const std::string& image) {
    return SafetensorsFile::FromBuffer(image.data(), image.size(), "bad")
        .status();
  };
  EXPECT_TRUE(parse(good).ok());
  EXPECT_THAT(parse(good.substr(0, 4)).message(), HasSubstr("only 4 bytes"));
  std::string huge = good;
  huge[7] = 0x7f;
  EXPECT_THAT(parse(huge).message(), HasSubstr("header length"));
  // Data truncated: offsets now lie outside the data section.
  EXPECT_THAT(parse(good.substr(0, good.size() - 1)).message(),
              HasSubstr("outside the data section"));
  // Shape that does not match the byte range.
  EXPECT_THAT(
      parse(MakeSafetensors({{"a", "F32", {3}, EncodeAs("F32", {1, 2})}}))
          .message(),
      HasSubstr("need 12"));
  // Not JSON.
  std::string garbage = good;
  garbage[8] = '!';
  EXPECT_THAT(parse(garbage).message(), HasSubstr("not a JSON object"));
}

TEST(SafetensorsTest, RejectsWronglyTypedFields) {
  for (const std::string header : {
           R"({"a": 5})",
           R"({"a": {"dtype": 5, "shape": [1], "data_offsets": [0, 4]}})",
           R"({"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}})",
           R"({"a": {"dtype": "F32", "shape": 1, "data_offsets": [0, 4]}})",
           R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}})",
           R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": ["0", 4]}})",
           R"({"__metadata__": 3})",
           R"([1, 2, 3])",
       }) {
    const uint64_t n = header.size();
    std::string image(reinterpret_cast<const char*>(&n), 8);
    image += header + std::string(4, '\0');
    auto file = SafetensorsFile::FromBuffer(image.data(), image.size(), "t");
    EXPECT_FALSE(file.ok()) << header;
  }
}

// Headers whose sizes would overflow if multiplied unchecked: each must be
// refused, naming the tensor (an element count that wraps to 0 would
// otherwise match data_offsets [0, 0]).
TEST(SafetensorsTest, RejectsSizesThatOverflow) {
  struct Case {
    std::string header;
    const char* expected;
  };
  const Case cases[] = {
      {R"({"a": {"dtype": "F32", "shape": [4294967296, 4294967296],
           "data_offsets": [0, 0]}})",
       "takes the element count past 2^48"},
      {R"({"a": {"dtype": "F32", "shape": [65536, 65536, 65536, 65536],
           "data_offsets": [0, 0]}})",
       "takes the element count past 2^48"},
      {R"({"a": {"dtype": "I8", "shape": [18446744073709551615],
           "data_offsets": [0, 0]}})",
       "takes the element count past 2^48"},
      {R"({"a": {"dtype": "F32", "shape": [0, 18446744073709551615],
           "data_offsets": [0, 0]}})",
       "takes the element count past 2^48"},
      {R"({"a": {"dtype": "BF16", "shape": [2, 9223372036854775808],
           "data_offsets": [0, 0]}})",
       "takes the element count past 2^48"},
      {R"({"a": {"dtype": "X9", "shape": [4294967296, 4294967296],
           "data_offsets": [0, 0]}})",
       "takes the element count past 2^48"},
      {R"({"a": {"dtype": "F32", "shape": [1,1,1,1,1,1,1,1,1],
           "data_offsets": [0, 4]}})",
       "9 dimensions"},
      {R"({"a": {"dtype": "F32", "shape": [1],
           "data_offsets": [18446744073709551615, 4]}})",
       "outside the data section"},
      {R"({"a": {"dtype": "F32", "shape": [1],
           "data_offsets": [0, 18446744073709551615]}})",
       "outside the data section"},
  };
  for (const Case& c : cases) {
    const uint64_t n = c.header.size();
    std::string image(reinterpret_cast<const char*>(&n), 8);
    image += c.header + std::string(4, '\0');
    auto file = SafetensorsFile::FromBuffer(image.data(), image.size(), "t");
    EXPECT_THAT(file.status().message(), HasSubstr("tensor 'a'")) << c.header;
    EXPECT_THAT(file.status().message(), HasSubstr(c.expected)) << c.header;
  }
  // A zero dimension is a legal empty tensor.
  const std::string empty =
      R"({"a": {"dtype": "F32", "shape": [0, 4096], "data_offsets": [0, 0]}})";
  const uint64_t n = empty.size();
  std::string image(reinterpret_cast<const char*>(&n), 8);
  image += empty;
  auto file = SafetensorsFile::FromBuffer(image.data(), image.size(), "e");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ((*file)->tensors()[0].num_elements(), 0);
}

TEST(SafetensorsTest, RejectsOverlap) {
  std::string header =
      R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
      R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})";
  const uint64_t n = header.size();
  std::string image(reinterpret_cast<const char*>(&n), 8);
  image += header + std::string(8, '\0');
  auto file = SafetensorsFile::FromBuffer(image.data(), image.size(), "o");
  EXPECT_THAT(file.status().message(), HasSubstr("overlap"));
}

TEST(SafetensorsTest, ShardedModel) {
  const std::string dir = testing::MakeTempDir("sharded");
  testing::WriteFileOrDie(
      dir + "/model-00001-of-00002.safetensors",
      MakeSafetensors({{"x", "F32", {1}, EncodeAs("F32", {1})}}));
  testing::WriteFileOrDie(
      dir + "/model-00002-of-00002.safetensors",
      MakeSafetensors({{"y", "F16", {1}, EncodeAs("F16", {2})}}));
  testing::WriteFileOrDie(dir + "/model.safetensors.index.json",
                          R"({"metadata": {}, "weight_map": {
        "x": "model-00001-of-00002.safetensors",
        "y": "model-00002-of-00002.safetensors"}})");
  auto model = SafetensorsModel::Open(dir);
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ((*model)->files().size(), 2u);
  ASSERT_NE((*model)->Find("y"), nullptr);
  EXPECT_EQ((*model)->Find("y")->dtype, SafetensorsDtype::kF16);

  // The index names a tensor its shard lacks.
  testing::WriteFileOrDie(dir + "/model.safetensors.index.json",
                          R"({"weight_map": {
        "x": "model-00001-of-00002.safetensors",
        "z": "model-00001-of-00002.safetensors",
        "y": "model-00002-of-00002.safetensors"}})");
  EXPECT_THAT(SafetensorsModel::Open(dir).status().message(), HasSubstr("'z'"));
  // A missing shard.
  testing::WriteFileOrDie(dir + "/model.safetensors.index.json",
                          R"({"weight_map": {"x": "gone.safetensors"}})");
  EXPECT_THAT(SafetensorsModel::Open(dir).status().message(),
              HasSubstr("gone.safetensors"));
}

TEST(SafetensorsTest, MissingWeights) {
  const std::string dir = testing::MakeTempDir("empty");
  EXPECT_THAT(SafetensorsModel::Open(dir).status().message(),
              HasSubstr("no model.safetensors"));
}

}  // namespace
}  // namespace edgellm::quant
