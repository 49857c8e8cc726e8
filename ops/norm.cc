#include "ops/norm.h"

#include <cmath>

namespace edgellm::ops {
namespace {

// Rows per parallel task: a 4096-wide row is ~2 us of work.
constexpr size_t kMinRowsPerTask = 4;

void RmsNormRow(const float* x, const float* weight, size_t n, float eps,
                float* y) {
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i) sum += static_cast<double>(x[i] * x[i]);
  const float mean = static_cast<float>(sum / static_cast<double>(n));
  const float scale = 1.0f / std::sqrt(mean + eps);
  for (size_t i = 0; i < n; ++i) y[i] = (x[i] * scale) * weight[i];
}

}  // namespace

void RmsNormRef(const float* x, const float* weight, size_t rows, size_t n,
                float eps, float* y) {
  if (n == 0) return;
  for (size_t r = 0; r < rows; ++r) {
    RmsNormRow(x + r * n, weight, n, eps, y + r * n);
  }
}

void RmsNorm(const float* x, const float* weight, size_t rows, size_t n,
             float eps, float* y, ThreadPool* pool) {
  if (n == 0) return;
  if (rows <= 1 || pool == nullptr) {
    RmsNormRef(x, weight, rows, n, eps, y);
    return;
  }
  ParallelFor(pool, rows, BalancedTile(pool, rows, kMinRowsPerTask),
              [&](size_t r0, size_t r1) {
                for (size_t r = r0; r < r1; ++r) {
                  RmsNormRow(x + r * n, weight, n, eps, y + r * n);
                }
              });
}

}  // namespace edgellm::ops
