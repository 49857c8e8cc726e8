#include "ops/softmax.h"

#include <cmath>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "ops/thread_pool.h"

namespace edgellm::ops {
namespace {

// Small test shapes must still take the parallel paths on multi-thread pools.
[[maybe_unused]] const size_t kSplitEveryCall = SetMinParallelWorkForTesting(0);

TEST(SoftmaxTest, MatchesDoubleMathOnOddSizes) {
  auto pool = std::move(ThreadPool::Create(2)).value();
  std::mt19937 rng(3);
  std::normal_distribution<float> nd(0.0f, 5.0f);
  for (size_t n : {1, 3, 17, 1000, 32003}) {
    const size_t rows = 3;
    std::vector<float> x(rows * n), y(rows * n);
    for (float& v : x) v = nd(rng);
    x[0] = 1e30f;  // huge logits do not overflow
    Softmax(x.data(), rows, n, y.data(), pool.get());
    for (size_t r = 0; r < rows; ++r) {
      const float* xr = x.data() + r * n;
      double max = xr[0];
      for (size_t i = 0; i < n; ++i) max = std::max(max, double{xr[i]});
      double sum = 0;
      for (size_t i = 0; i < n; ++i) sum += std::exp(xr[i] - max);
      double total = 0;
      for (size_t i = 0; i < n; ++i) {
        const double want = std::exp(xr[i] - max) / sum;
        ASSERT_NEAR(y[r * n + i], want, 1e-6 * want + 1e-12) << n << " " << i;
        total += y[r * n + i];
      }
      EXPECT_NEAR(total, 1.0, 1e-5);
    }
  }
}

TEST(SoftmaxTest, XnnpackAgreesWithOwn) {
  auto pool = std::move(ThreadPool::Create(2)).value();
  std::mt19937 rng(4);
  std::normal_distribution<float> nd(0.0f, 5.0f);
  for (size_t n : {1, 17, 32003}) {
    auto op = XnnSoftmax::Create(n);
    ASSERT_TRUE(op.ok()) << op.status();
    std::vector<float> x(2 * n), y(2 * n), y2(2 * n);
    for (float& v : x) v = nd(rng);
    Softmax(x.data(), 2, n, y.data(), pool.get());
    ASSERT_TRUE((*op)->Run(x.data(), 2, y2.data(), pool.get()).ok());
    for (size_t i = 0; i < y.size(); ++i) {
      ASSERT_NEAR(y2[i], y[i], 1e-5 * y[i] + 1e-9) << n << " " << i;
    }
  }
}

}  // namespace
}  // namespace edgellm::ops
