// Test data and a single-call runner for the Q8_0 GEMM kernels, shared by
// ops/kernels/q8_0_gemm_test.cc and the ARM cross driver
// (tests/arm/q8_0_gemm_cross_driver.cc, which builds without gtest or Bazel:
// header-only, standard library and the kernel headers only).
#ifndef EDGELLM_OPS_KERNELS_Q8_0_GEMM_TEST_UTIL_H_
#define EDGELLM_OPS_KERNELS_Q8_0_GEMM_TEST_UTIL_H_

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "ops/kernels/q8_0_gemm.h"
#include "quant/fp16.h"
#include "quant/q8_0.h"

namespace edgellm::ops::kernels::test_util {

inline uint32_t Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof(u));
  return u;
}

// Random weight blocks: all int8 values (incl. -128, which a file may hold),
// scales of varied magnitude, some blocks all zero.
inline std::vector<quant::BlockQ8_0> RandomWeights(size_t rows, size_t in,
                                                   std::mt19937& rng) {
  std::vector<quant::BlockQ8_0> w(rows * in / quant::kQ8_0BlockSize);
  std::uniform_int_distribution<int> q(-128, 127);
  std::uniform_real_distribution<float> scale(-8.0f, 2.0f);
  for (size_t i = 0; i < w.size(); ++i) {
    const bool zero = i % 13 == 5;
    w[i].d = quant::Fp32ToFp16(zero ? 0.0f : std::exp2(scale(rng)) / 127.0f);
    for (int8_t& v : w[i].qs) v = zero ? 0 : static_cast<int8_t>(q(rng));
  }
  return w;
}

// Blocks of scale 1 holding integers drawn from `q`: with them a GEMM's
// result is an exact integer dot product (while in * max|value|^2 < 2^24),
// checkable against an int64 sum independent of the reference kernel.
inline std::vector<quant::BlockQ8_0> UnitScaleBlocks(
    size_t rows, size_t in, std::uniform_int_distribution<int>& q,
    std::mt19937& rng) {
  std::vector<quant::BlockQ8_0> blocks(rows * in / quant::kQ8_0BlockSize);
  const uint16_t one = quant::Fp32ToFp16(1.0f);
  for (quant::BlockQ8_0& blk : blocks) {
    blk.d = one;
    for (int8_t& v : blk.qs) v = static_cast<int8_t>(q(rng));
  }
  return blocks;
}

// Random activations quantized like the op does (values in [-127, 127]),
// with outliers and an all-zero block now and then.
inline std::vector<quant::BlockQ8_0> RandomActivations(size_t rows, size_t in,
                                                       std::mt19937& rng) {
  std::vector<float> x(rows * in);
  std::normal_distribution<float> n(0.0f, 1.0f);
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = n(rng);
    if (i % 97 == 3) x[i] *= 100.0f;
  }
  for (size_t i = 0;
       i + quant::kQ8_0BlockSize <= x.size() && i < 2 * quant::kQ8_0BlockSize;
       ++i) {
    if (rows * in > 4 * quant::kQ8_0BlockSize && i >= quant::kQ8_0BlockSize)
      x[i] = 0.0f;
  }
  std::vector<quant::BlockQ8_0> xq(rows * in / quant::kQ8_0BlockSize);
  for (size_t r = 0; r < rows; ++r) {
    QuantizeRowQ8_0Activations(x.data() + r * in,
                               xq.data() + r * in / quant::kQ8_0BlockSize, in);
  }
  return xq;
}

// Runs fn over all `out` rows, split in two calls as two threads would make
// them (split and out > 2); y starts at -1 so unwritten outputs show.
inline std::vector<float> RunKernel(Q8_0GemmFn fn,
                                    const std::vector<quant::BlockQ8_0>& w,
                                    const std::vector<quant::BlockQ8_0>& x,
                                    size_t in, size_t out, size_t batch,
                                    const float* bias, bool split,
                                    size_t packed_rows = 0) {
  std::vector<float> y(batch * out, -1.0f);
  Q8_0GemmArgs args{w.data(), x.data(), in / quant::kQ8_0BlockSize, batch, bias,
                    y.data(), out};
  args.packed_rows = packed_rows;
  if (split && out > 2) {  // as two threads would call it
    const size_t mid = out / 2 + 1;
    fn(args, 0, mid);
    fn(args, mid, out);
  } else {
    fn(args, 0, out);
  }
  return y;
}

}  // namespace edgellm::ops::kernels::test_util

#endif  // EDGELLM_OPS_KERNELS_Q8_0_GEMM_TEST_UTIL_H_
