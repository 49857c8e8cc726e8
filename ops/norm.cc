#include "ops/norm.h"

#include <cmath>

namespace edgellm::ops {
namespace {

// Rows per parallel task: a 4096-wide row is ~2 us of work.
constexpr size_t kMinRowsPerTask = 4;
// PoolForWork counts work in multiply-adds of the linear layers, and an
// RMSNorm value takes far longer than one of those (~0.3 ns interleaved on
// this VM). Counted as one, a qwen3-0.6b prompt's 128 x 1024 norms (~40 us)
// ran on one thread while the other waited; counted as 8, calls from 32768
// values (~10 us, several hand-offs' worth) split, and a decode step's
// norms (one row, or QK-norm's 24 rows of 128) stay on the caller.
constexpr size_t kRmsNormWorkPerValue = 8;

// Rows whose sums of squares RmsNormRows takes side by side.
constexpr size_t kInterleavedRows = 8;

void ScaleRow(const float* x, const float* weight, size_t n, float eps,
              double sum, float* y) {
  const float mean = static_cast<float>(sum / static_cast<double>(n));
  const float scale = 1.0f / std::sqrt(mean + eps);
  for (size_t i = 0; i < n; ++i) y[i] = (x[i] * scale) * weight[i];
}

void RmsNormRow(const float* x, const float* weight, size_t n, float eps,
                float* y) {
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i) sum += static_cast<double>(x[i] * x[i]);
  ScaleRow(x, weight, n, eps, sum, y);
}

// kInterleavedRows rows at once. Each row's sum is still taken in index
// order, one double add after another (so it rounds exactly as RmsNormRow's),
// but the rows' chains of adds are independent: a single row waits for the
// latency of every add (~4 cycles per value), eight rows share that wait.
// QK-norm (a row per head) and prompt batches have many rows per call.
void RmsNormRows(const float* x, const float* weight, size_t n, float eps,
                 float* y) {
  double sum[kInterleavedRows] = {};
  for (size_t i = 0; i < n; ++i) {
    for (size_t r = 0; r < kInterleavedRows; ++r) {
      const float v = x[r * n + i];
      sum[r] += static_cast<double>(v * v);
    }
  }
  for (size_t r = 0; r < kInterleavedRows; ++r) {
    ScaleRow(x + r * n, weight, n, eps, sum[r], y + r * n);
  }
}

// Rows [r0, r1), interleaved where there are enough of them.
void RmsNormRange(const float* x, const float* weight, size_t r0, size_t r1,
                  size_t n, float eps, float* y) {
  size_t r = r0;
  for (; r + kInterleavedRows <= r1; r += kInterleavedRows) {
    RmsNormRows(x + r * n, weight, n, eps, y + r * n);
  }
  for (; r < r1; ++r) RmsNormRow(x + r * n, weight, n, eps, y + r * n);
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
  if (rows <= 1 ||
      PoolForWork(pool, rows * n * kRmsNormWorkPerValue) == nullptr) {
    RmsNormRange(x, weight, 0, rows, n, eps, y);
    return;
  }
  // Tiles of whole interleaved groups.
  const size_t tile =
      (BalancedTile(pool, rows, kMinRowsPerTask) + kInterleavedRows - 1) /
      kInterleavedRows * kInterleavedRows;
  ParallelFor(pool, rows, tile, [&](size_t r0, size_t r1) {
    RmsNormRange(x, weight, r0, r1, n, eps, y);
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
