// XNNPACK initializes and runs one operator (f32 fully connected) on the
// shared pthreadpool, with the result checked against a plain loop.
#include <pthreadpool.h>
#include <xnnpack.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace {

TEST(XnnpackSmokeTest, FullyConnectedF32MatchesReference) {
  ASSERT_EQ(xnn_initialize(/*allocator=*/nullptr), xnn_status_success);

  constexpr size_t kBatch = 3, kIn = 37, kOut = 19;  // odd on purpose
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> input(kBatch * kIn), weights(kOut * kIn), bias(kOut);
  for (float& v : input) v = dist(rng);
  for (float& v : weights) v = dist(rng);
  for (float& v : bias) v = dist(rng);

  xnn_operator_t op = nullptr;
  ASSERT_EQ(
      xnn_create_fully_connected_nc_f32(
          kIn, kOut, /*input_stride=*/kIn, /*output_stride=*/kOut,
          weights.data(), bias.data(), -std::numeric_limits<float>::infinity(),
          std::numeric_limits<float>::infinity(), /*flags=*/0, &op),
      xnn_status_success);

  pthreadpool_t pool = pthreadpool_create(2);
  ASSERT_NE(pool, nullptr);
  std::vector<float> output(kBatch * kOut, 0.0f);
  ASSERT_EQ(xnn_setup_fully_connected_nc_f32(op, kBatch, input.data(),
                                             output.data(), pool),
            xnn_status_success);
  ASSERT_EQ(xnn_run_operator(op, pool), xnn_status_success);

  for (size_t b = 0; b < kBatch; ++b) {
    for (size_t o = 0; o < kOut; ++o) {
      double want = bias[o];
      for (size_t i = 0; i < kIn; ++i) {
        want += double{input[b * kIn + i]} * weights[o * kIn + i];
      }
      EXPECT_NEAR(output[b * kOut + o], want, 1e-4) << "b=" << b << " o=" << o;
    }
  }
  xnn_delete_operator(op);
  pthreadpool_destroy(pool);
}

}  // namespace
