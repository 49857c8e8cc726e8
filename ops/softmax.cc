#include "ops/softmax.h"

#include <cmath>
#include <limits>

namespace edgellm::ops {

void SoftmaxRowRef(const float* x, size_t n, float* y) {
  if (n == 0) return;
  float max = -std::numeric_limits<float>::infinity();
  for (size_t i = 0; i < n; ++i) max = std::fmax(max, x[i]);
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i) {
    const float e = std::exp(x[i] - max);
    y[i] = e;
    sum += e;
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (size_t i = 0; i < n; ++i) y[i] *= inv;
}

void Softmax(const float* x, size_t rows, size_t n, float* y,
             ThreadPool* pool) {
  ParallelFor(PoolForWork(pool, rows * n), rows, 1, [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; ++r) SoftmaxRowRef(x + r * n, n, y + r * n);
  });
}

}  // namespace edgellm::ops
