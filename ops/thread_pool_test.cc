#include "ops/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace edgellm::ops {
namespace {

TEST(ThreadPoolTest, ParallelForCoversEveryIndexOnce) {
  auto pool = ThreadPool::Create(3);
  ASSERT_TRUE(pool.ok());
  for (size_t range : {1, 2, 7, 64, 1000, 4097}) {
    for (size_t tile : {1, 3, 16, 5000}) {
      std::vector<std::atomic<int>> hits(range);
      ParallelFor(pool.value().get(), range, tile, [&](size_t b, size_t e) {
        ASSERT_LT(b, e);
        ASSERT_LE(e - b, tile);
        for (size_t i = b; i < e; ++i) hits[i].fetch_add(1);
      });
      for (size_t i = 0; i < range; ++i) {
        ASSERT_EQ(hits[i].load(), 1) << "range " << range << " tile " << tile;
      }
    }
  }
}

TEST(ThreadPoolTest, ManyShortJobsBackToBack) {
  // Decode issues hundreds of tiny jobs per token; a worker that falls
  // behind must never run an item of a newer job twice or miss one.
  auto pool = ThreadPool::Create(2);
  ASSERT_TRUE(pool.ok());
  std::vector<int> v(16);
  for (int job = 0; job < 20000; ++job) {
    ParallelFor(pool.value().get(), v.size(), 1, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) ++v[i];
    });
  }
  for (int x : v) EXPECT_EQ(x, 20000);
}

TEST(ThreadPoolTest, CallerFinishesWithoutASlowWorker) {
  // Items are claimed, not assigned: the caller can do them all.
  auto pool = ThreadPool::Create(2);
  ASSERT_TRUE(pool.ok());
  std::atomic<int> n{0};
  ParallelFor(pool.value().get(), 100, 1, [&](size_t, size_t) {
    std::this_thread::sleep_for(std::chrono::microseconds(50));
    n.fetch_add(1);
  });
  EXPECT_EQ(n.load(), 100);
}

TEST(ThreadPoolTest, NullPoolRunsSerially) {
  std::vector<int> order;
  ParallelFor(nullptr, 10, 4, [&](size_t b, size_t e) {
    order.push_back(static_cast<int>(b));
    EXPECT_EQ(e, std::min<size_t>(b + 4, 10));
  });
  EXPECT_EQ(order, (std::vector<int>{0, 4, 8}));
}

TEST(ThreadPoolTest, RunMoreItemsThanOneClaimWordCounts) {
  auto pool = ThreadPool::Create(2);
  ASSERT_TRUE(pool.ok());
  const size_t n = ThreadPool::kMaxRunItems + 10;
  std::vector<std::atomic<uint8_t>> hits(n);
  pool.value()->Run(
      n,
      [](void* c, size_t i) {
        (*static_cast<std::vector<std::atomic<uint8_t>>*>(c))[i].fetch_add(1);
      },
      &hits);
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << i;
}

}  // namespace
}  // namespace edgellm::ops
