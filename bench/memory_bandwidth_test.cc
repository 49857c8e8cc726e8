#include "bench/memory_bandwidth.h"

#include <gtest/gtest.h>

#include <limits>

namespace edgellm::bench {
namespace {

TEST(MemoryBandwidthTest, MeasuresAPositiveRate) {
  auto pool = ops::ThreadPool::Create(2);
  ASSERT_TRUE(pool.ok());
  absl::StatusOr<MemoryBandwidth> bw =
      MeasureMemoryReadBandwidth(pool.value().get(), size_t{16} << 20, 2);
  ASSERT_TRUE(bw.ok()) << bw.status();
  EXPECT_EQ(bw->buffer_bytes, size_t{16} << 20);
  EXPECT_EQ(bw->passes, 2);
  EXPECT_EQ(bw->threads, 2u);
  // Any machine reads faster than 0.1 GB/s and slower than 100 TB/s.
  EXPECT_GT(bw->best_gb_per_s, 0.1);
  EXPECT_LT(bw->best_gb_per_s, 1e5);
}

TEST(MemoryBandwidthTest, SustainedReadIsAtMostThePeakPass) {
  auto pool = ops::ThreadPool::Create(2);
  ASSERT_TRUE(pool.ok());
  absl::StatusOr<MemoryBandwidth> bw = MeasureMemoryReadBandwidth(
      pool.value().get(), size_t{16} << 20, 1, /*sustained_seconds=*/0.05);
  ASSERT_TRUE(bw.ok()) << bw.status();
  EXPECT_GE(bw->sustained_passes, 1);
  EXPECT_GE(bw->sustained_seconds, 0.05);
  EXPECT_GT(bw->sustained_gb_per_s, 0.1);
  EXPECT_LE(bw->sustained_gb_per_s, bw->best_gb_per_s);
  // Without a sustained time only the peak is measured.
  bw = MeasureMemoryReadBandwidth(pool.value().get(), size_t{16} << 20, 1);
  ASSERT_TRUE(bw.ok()) << bw.status();
  EXPECT_EQ(bw->sustained_passes, 0);
  EXPECT_EQ(bw->sustained_gb_per_s, 0.0);
}

TEST(MemoryBandwidthTest, SerialWithoutPool) {
  absl::StatusOr<MemoryBandwidth> bw =
      MeasureMemoryReadBandwidth(nullptr, size_t{1} << 20, 1);
  ASSERT_TRUE(bw.ok()) << bw.status();
  EXPECT_EQ(bw->threads, 1u);
  EXPECT_GT(bw->best_gb_per_s, 0.0);
}

TEST(MemoryBandwidthTest, RejectsBadArguments) {
  EXPECT_EQ(MeasureMemoryReadBandwidth(nullptr, 0, 1).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MeasureMemoryReadBandwidth(nullptr, 1 << 20, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      MeasureMemoryReadBandwidth(nullptr, 1 << 20, 1, -1.0).status().code(),
      absl::StatusCode::kInvalidArgument);
  // An infinite or NaN time is refused, not read for ever.
  for (double seconds : {std::numeric_limits<double>::infinity(),
                         std::numeric_limits<double>::quiet_NaN()}) {
    EXPECT_EQ(MeasureMemoryReadBandwidth(nullptr, 1 << 20, 1, seconds)
                  .status()
                  .code(),
              absl::StatusCode::kInvalidArgument)
        << seconds;
  }
}

}  // namespace
}  // namespace edgellm::bench
