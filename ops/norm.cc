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

void LayerNormRow(const float* x, const float* weight, const float* bias,
                  size_t n, float eps, float* y) {
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i) sum += static_cast<double>(x[i]);
  const float mean = static_cast<float>(sum / static_cast<double>(n));
  // y holds the centred row first (y may be x: each x[i] is read once,
  // before y[i] is written).
  double sum2 = 0.0;
  for (size_t i = 0; i < n; ++i) {
    const float v = x[i] - mean;
    y[i] = v;
    sum2 += static_cast<double>(v * v);
  }
  const float var = static_cast<float>(sum2 / static_cast<double>(n));
  const float scale = 1.0f / std::sqrt(var + eps);
  if (bias == nullptr) {
    for (size_t i = 0; i < n; ++i) y[i] = (y[i] * scale) * weight[i];
  } else {
    for (size_t i = 0; i < n; ++i) y[i] = (y[i] * scale) * weight[i] + bias[i];
  }
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
  if (rows <= 1 || PoolForWork(pool, rows * n) == nullptr) {
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

void LayerNormRef(const float* x, const float* weight, const float* bias,
                  size_t rows, size_t n, float eps, float* y) {
  if (n == 0) return;
  for (size_t r = 0; r < rows; ++r) {
    LayerNormRow(x + r * n, weight, bias, n, eps, y + r * n);
  }
}

void LayerNorm(const float* x, const float* weight, const float* bias,
               size_t rows, size_t n, float eps, float* y, ThreadPool* pool) {
  if (n == 0) return;
  if (rows <= 1 || PoolForWork(pool, rows * n) == nullptr) {
    LayerNormRef(x, weight, bias, rows, n, eps, y);
    return;
  }
  ParallelFor(pool, rows, BalancedTile(pool, rows, kMinRowsPerTask),
              [&](size_t r0, size_t r1) {
                for (size_t r = r0; r < r1; ++r) {
                  LayerNormRow(x + r * n, weight, bias, n, eps, y + r * n);
                }
              });
}

}  // namespace edgellm::ops
