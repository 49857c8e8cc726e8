#include "ops/activation.h"

#include <cmath>

namespace edgellm::ops {
namespace {

// Elements per parallel task; expf costs ~10 ns, so 4096 is ~40 us.
constexpr size_t kMinElementsPerTask = 4096;

inline float SiluOne(float x) { return x / (1.0f + std::exp(-x)); }

}  // namespace

void SiluRef(const float* x, size_t n, float* y) {
  for (size_t i = 0; i < n; ++i) y[i] = SiluOne(x[i]);
}

void SwiGluRef(const float* gate, const float* up, size_t n, float* y) {
  for (size_t i = 0; i < n; ++i) y[i] = SiluOne(gate[i]) * up[i];
}

void Silu(const float* x, size_t n, float* y, ThreadPool* pool) {
  ParallelFor(pool, n, BalancedTile(pool, n, kMinElementsPerTask),
              [&](size_t b, size_t e) { SiluRef(x + b, e - b, y + b); });
}

void SwiGlu(const float* gate, const float* up, size_t n, float* y,
            ThreadPool* pool) {
  ParallelFor(
      pool, n, BalancedTile(pool, n, kMinElementsPerTask),
      [&](size_t b, size_t e) { SwiGluRef(gate + b, up + b, e - b, y + b); });
}

}  // namespace edgellm::ops
