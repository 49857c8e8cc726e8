#include "ops/thread_pool.h"

#include <gtest/gtest.h>
#include <time.h>

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

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

TEST(ThreadPoolTest, CallerSleepsWhileAWorkerFinishesItsItem) {
  // The caller runs out of items while a worker still holds one: it must
  // wait for it, asleep (a worker without a core on a busy machine can take
  // a whole time slice), and wake when the item is done.
  auto pool = ThreadPool::Create(2);
  ASSERT_TRUE(pool.ok());
  constexpr auto kHold = std::chrono::milliseconds(30);
  // However late the worker is scheduled, the caller's item holds on until
  // the worker has taken the other one, so the caller cannot run both: the
  // case under test happens on every run, not only when the timing allows.
  // The caller waits asleep, so its CPU time below is the pool's own.
  constexpr auto kClaimLimit = std::chrono::seconds(30);
  const std::thread::id caller = std::this_thread::get_id();
  std::atomic<bool> worker_ran{false};
  std::atomic<bool> worker_done{false};
  const double cpu0 = ThreadCpuSeconds();
  const auto t0 = std::chrono::steady_clock::now();
  ParallelFor(pool.value().get(), 2, 1, [&](size_t, size_t) {
    if (std::this_thread::get_id() == caller) {
      const auto until = std::chrono::steady_clock::now() + kClaimLimit;
      while (!worker_ran && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
      return;
    }
    worker_ran = true;
    std::this_thread::sleep_for(kHold);
    worker_done = true;
  });
  const auto wall = std::chrono::steady_clock::now() - t0;
  const double cpu = ThreadCpuSeconds() - cpu0;
  ASSERT_TRUE(worker_ran.load())
      << "the worker did not take the other item within 30 s";
  EXPECT_TRUE(worker_done.load());  // returned only after the item
  EXPECT_GE(wall, kHold);
  // Polling for the whole wait would cost ~30 ms of CPU.
  EXPECT_LT(cpu, 0.010) << "the caller spun instead of sleeping";
}

TEST(ThreadPoolTest, PoolForWorkKeepsSmallCallsOnTheCaller) {
  auto pool = ThreadPool::Create(2);
  ASSERT_TRUE(pool.ok());
  ThreadPool* p = pool.value().get();
  ASSERT_EQ(MinParallelWork(), kMinParallelWork);
  EXPECT_EQ(PoolForWork(p, kMinParallelWork - 1), nullptr);
  EXPECT_EQ(PoolForWork(p, kMinParallelWork), p);
  EXPECT_EQ(PoolForWork(nullptr, kMinParallelWork), nullptr);
  const size_t before = SetMinParallelWorkForTesting(0);
  EXPECT_EQ(PoolForWork(p, 1), p);
  SetMinParallelWorkForTesting(before);
}

TEST(ThreadPoolTest, PthreadpoolMatchesTheThreadCount) {
  for (size_t n : {1, 2, 3}) {
    auto pool = ThreadPool::Create(n);
    ASSERT_TRUE(pool.ok());
    EXPECT_EQ(pool.value()->num_threads(), n);
    ASSERT_NE(pool.value()->get(), nullptr);
    EXPECT_EQ(pthreadpool_get_threads_count(pool.value()->get()), n);
  }
  auto cores = ThreadPool::Create(0);
  ASSERT_TRUE(cores.ok());
  EXPECT_GE(cores.value()->num_threads(), 1u);
  EXPECT_EQ(pthreadpool_get_threads_count(cores.value()->get()),
            cores.value()->num_threads());
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
