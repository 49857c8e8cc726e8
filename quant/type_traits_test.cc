#include "quant/type_traits.h"

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/gguf/types.h"

namespace edgellm::quant {
namespace {

// Every weight type the table lists agrees with the GGUF type table on its
// block shape, and round-trips random rows to within a bound that scales
// with the type's bits (tests/quant_vectors_test checks the bytes against
// ggml itself).
TEST(QuantTypeTraitsTest, BlockShapesMatchGguf) {
  ASSERT_EQ(QuantTypes().size(), 14u);
  for (const QuantTypeTraits& t : QuantTypes()) {
    absl::StatusOr<gguf::TensorTypeTraits> g =
        gguf::GetTensorTypeTraits(static_cast<uint32_t>(t.type));
    ASSERT_TRUE(g.ok()) << t.name;
    EXPECT_EQ(g->name, t.name);
    EXPECT_EQ(g->block_size, t.block_values) << t.name;
    EXPECT_EQ(g->type_size, t.block_bytes) << t.name;
    EXPECT_EQ(FindQuantType(t.type), &t);
  }
  EXPECT_EQ(FindQuantType(gguf::TensorType::kIQ2_XXS), nullptr);
  EXPECT_EQ(FindQuantType(gguf::TensorType::kF32), nullptr);
}

// Largest |x - dequant(quant(x))| relative to the largest |x| of a 256-value
// span, by type, for N(0,1) data. The symmetric types clip the side opposite
// the block's largest value by one step (1/8 of it for Q4_0, 1/16 for
// Q5_0); a wrong nibble order or scale packing gives errors of the order of
// the data itself.
double Bound(gguf::TensorType t) {
  switch (t) {
    case gguf::TensorType::kQ8_0:
      return 0.01;
    case gguf::TensorType::kQ6_K:
      return 0.04;
    case gguf::TensorType::kQ5_0:
    case gguf::TensorType::kQ5_1:
    case gguf::TensorType::kQ5_K:
      return 0.07;
    case gguf::TensorType::kQ2_K:
      return 0.5;
    case gguf::TensorType::kQ3_K:
      return 0.3;
    default:  // 4-bit
      return 0.15;
  }
}

TEST(QuantTypeTraitsTest, RoundTripWithinBound) {
  std::mt19937 rng(5);
  std::normal_distribution<float> n(0.0f, 1.0f);
  constexpr int64_t kN = 1024;
  std::vector<float> x(kN), y(kN);
  for (float& v : x) v = n(rng);
  for (const QuantTypeTraits& t : QuantTypes()) {
    if (!t.is_weight_type()) continue;
    std::vector<uint8_t> q(t.RowBytes(kN));
    t.quantize(x.data(), q.data(), kN);
    t.dequantize(q.data(), y.data(), kN);
    for (int64_t s = 0; s < kN; s += 256) {
      float amax = 0, err = 0;
      for (int64_t i = s; i < s + 256; ++i) {
        amax = std::fmax(amax, std::fabs(x[i]));
        err = std::fmax(err, std::fabs(x[i] - y[i]));
      }
      EXPECT_LE(err, Bound(t.type) * amax) << t.name << " span " << s / 256;
    }
  }
}

// Hostile input (a checkpoint with NaN/Inf, denormals, all zeros) must not
// crash or hit undefined behaviour (run under --config=ubsan); all-zero rows
// stay zero.
TEST(QuantTypeTraitsTest, NonFiniteAndZeroInputIsSafe) {
  constexpr int64_t kN = 512;
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<std::vector<float>> rows = {
      std::vector<float>(kN, 0.0f),
      std::vector<float>(kN, std::numeric_limits<float>::quiet_NaN()),
      std::vector<float>(kN, 1e-40f),
  };
  std::vector<float> mixed(kN, 1.0f);
  mixed[3] = inf;
  mixed[40] = -inf;
  mixed[300] = std::numeric_limits<float>::quiet_NaN();
  rows.push_back(mixed);
  std::vector<float> y(kN);
  for (const QuantTypeTraits& t : QuantTypes()) {
    if (!t.is_weight_type()) continue;
    for (size_t r = 0; r < rows.size(); ++r) {
      std::vector<uint8_t> q(t.RowBytes(kN));
      t.quantize(rows[r].data(), q.data(), kN);
      t.dequantize(q.data(), y.data(), kN);
      if (r == 0) {
        for (float v : y) ASSERT_EQ(v, 0.0f) << t.name;
      }
    }
  }
}

}  // namespace
}  // namespace edgellm::quant
