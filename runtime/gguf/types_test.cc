#include "runtime/gguf/types.h"

#include <cstdint>
#include <limits>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgellm::gguf {
namespace {

using ::testing::HasSubstr;

struct Expected {
  TensorType type;
  const char* name;
  int64_t block_size;
  int64_t type_size;
};

// Block sizes and bytes per block from ggml-common.h's block structs.
TEST(TypesTest, TraitsMatchGgml) {
  const Expected kExpected[] = {
      {TensorType::kF32, "f32", 1, 4},
      {TensorType::kF16, "f16", 1, 2},
      {TensorType::kQ4_0, "q4_0", 32, 18},
      {TensorType::kQ4_1, "q4_1", 32, 20},
      {TensorType::kQ5_0, "q5_0", 32, 22},
      {TensorType::kQ5_1, "q5_1", 32, 24},
      {TensorType::kQ8_0, "q8_0", 32, 34},
      {TensorType::kQ8_1, "q8_1", 32, 36},
      {TensorType::kQ2_K, "q2_K", 256, 84},
      {TensorType::kQ3_K, "q3_K", 256, 110},
      {TensorType::kQ4_K, "q4_K", 256, 144},
      {TensorType::kQ5_K, "q5_K", 256, 176},
      {TensorType::kQ6_K, "q6_K", 256, 210},
      {TensorType::kQ8_K, "q8_K", 256, 292},
      {TensorType::kIQ2_XXS, "iq2_xxs", 256, 66},
      {TensorType::kIQ2_XS, "iq2_xs", 256, 74},
      {TensorType::kIQ3_XXS, "iq3_xxs", 256, 98},
      {TensorType::kIQ1_S, "iq1_s", 256, 50},
      {TensorType::kIQ4_NL, "iq4_nl", 32, 18},
      {TensorType::kIQ3_S, "iq3_s", 256, 110},
      {TensorType::kIQ2_S, "iq2_s", 256, 82},
      {TensorType::kIQ4_XS, "iq4_xs", 256, 136},
      {TensorType::kI8, "i8", 1, 1},
      {TensorType::kI16, "i16", 1, 2},
      {TensorType::kI32, "i32", 1, 4},
      {TensorType::kI64, "i64", 1, 8},
      {TensorType::kF64, "f64", 1, 8},
      {TensorType::kIQ1_M, "iq1_m", 256, 56},
      {TensorType::kBF16, "bf16", 1, 2},
      {TensorType::kTQ1_0, "tq1_0", 256, 54},
      {TensorType::kTQ2_0, "tq2_0", 256, 66},
      {TensorType::kMXFP4, "mxfp4", 32, 17},
  };
  for (const Expected& e : kExpected) {
    auto traits = GetTensorTypeTraits(static_cast<uint32_t>(e.type));
    ASSERT_TRUE(traits.ok()) << e.name;
    EXPECT_EQ(traits->name, e.name);
    EXPECT_EQ(traits->block_size, e.block_size) << e.name;
    EXPECT_EQ(traits->type_size, e.type_size) << e.name;
  }
}

TEST(TypesTest, UnknownCodesRejected) {
  for (uint32_t code :
       {4u, 5u, 31u, 32u, 33u, 36u, 37u, 38u, 40u, 1000u, 0xffffffffu}) {
    auto traits = GetTensorTypeTraits(code);
    EXPECT_FALSE(traits.ok()) << code;
    EXPECT_THAT(traits.status().message(), HasSubstr("unknown"));
  }
}

TEST(TypesTest, TensorBytes) {
  EXPECT_EQ(*TensorBytes(TensorType::kF32, {64, 512}), 64u * 512 * 4);
  EXPECT_EQ(*TensorBytes(TensorType::kQ8_0, {64, 2}), 2u * 2 * 34);
  EXPECT_EQ(*TensorBytes(TensorType::kQ4_K, {512, 3, 2}), 2u * 3 * 2 * 144);
  EXPECT_EQ(*TensorBytes(TensorType::kBF16, {7}), 14u);
}

TEST(TypesTest, TensorBytesRejectsBadShapes) {
  constexpr int64_t kBig = std::numeric_limits<int64_t>::max();
  EXPECT_THAT(TensorBytes(TensorType::kQ8_0, {33}).status().message(),
              HasSubstr("not a multiple of the q8_0 block size 32"));
  EXPECT_FALSE(TensorBytes(TensorType::kF32, {}).ok());
  EXPECT_FALSE(TensorBytes(TensorType::kF32, {1, 1, 1, 1, 1}).ok());
  EXPECT_FALSE(TensorBytes(TensorType::kF32, {0}).ok());
  EXPECT_FALSE(TensorBytes(TensorType::kF32, {-4}).ok());
  EXPECT_FALSE(TensorBytes(TensorType::kF32, {kBig, 2}).ok());
  EXPECT_FALSE(TensorBytes(TensorType::kF32, {1 << 30, 1 << 30, 1 << 30}).ok());
  // Fits int64 elements but not uint64 bytes: 2^62 * 8 bytes.
  EXPECT_FALSE(TensorBytes(TensorType::kF64, {int64_t{1} << 62}).ok());
  EXPECT_FALSE(TensorBytes(static_cast<TensorType>(4), {32}).ok());
}

TEST(TypesTest, ValueTypeNames) {
  EXPECT_EQ(ValueTypeName(ValueType::kString), "string");
  EXPECT_EQ(ValueTypeName(ValueType::kFloat64), "float64");
  EXPECT_EQ(ValueTypeName(static_cast<ValueType>(13)), "unknown");
  EXPECT_EQ(ScalarValueSize(ValueType::kBool), 1u);
  EXPECT_EQ(ScalarValueSize(ValueType::kUint64), 8u);
  EXPECT_EQ(ScalarValueSize(ValueType::kString), 0u);
  EXPECT_TRUE(IsKnownValueType(12));
  EXPECT_FALSE(IsKnownValueType(13));
}

}  // namespace
}  // namespace edgellm::gguf
