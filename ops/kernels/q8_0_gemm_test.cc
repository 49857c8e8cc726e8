// Every Q8_0 GEMM kernel against the reference, on odd shapes. The kernels
// share one arithmetic contract (q8_0_gemm.h), so results must be
// bit-identical, which also pins the int32 block sums. Kernels the CPU lacks
// are skipped, not failed.
#include "ops/kernels/q8_0_gemm.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ops/kernels/cpu_features.h"
#include "ops/kernels/dispatch.h"
#include "ops/kernels/q8_0_gemm_test_util.h"
#include "quant/fp16.h"
#include "quant/q8_0.h"

namespace edgellm::ops::kernels {
namespace {

using test_util::Bits;
using test_util::RandomActivations;
using test_util::RandomWeights;
using test_util::RunKernel;
using test_util::UnitScaleBlocks;

using quant::BlockQ8_0;
using quant::kQ8_0BlockSize;

constexpr size_t kIns[] = {32, 64, 96, 2080};
// 33 = two 16-row groups and a partial third (the VNNI kernel's row tile);
// 96 = six whole groups (its two-stream decode path over packed rows).
constexpr size_t kOuts[] = {1, 3, 17, 33, 96, 257};
// 1-3 are the VNNI kernel's three decode instantiations; 4 is where the
// AVX2 and VNNI kernels' prompt paths start; 6, 7, 9, 17 and 20 reach their
// tiles with partial row and batch tiles (AVX2: 4-row tiles and tails of
// 2, 3, 1, 1, 0).
constexpr size_t kBatches[] = {1, 2, 3, 4, 6, 7, 9, 17, 20};

class Q8_0GemmKernelTest : public ::testing::TestWithParam<Q8_0GemmKernel> {
 protected:
  void SetUp() override {
    if (!GetParam().supported()) {
      GTEST_SKIP() << "CPU lacks the features of kernel " << GetParam().name;
    }
  }
};

TEST_P(Q8_0GemmKernelTest, BitIdenticalToReferenceOnOddShapes) {
  std::mt19937 rng(1234);
  for (size_t in : kIns) {
    for (size_t out : kOuts) {
      for (size_t batch : kBatches) {
        const auto w = RandomWeights(out, in, rng);
        const auto x = RandomActivations(batch, in, rng);
        std::vector<float> bias(out);
        std::normal_distribution<float> n(0.0f, 1.0f);
        for (float& b : bias) b = n(rng);
        for (const float* bp : {static_cast<const float*>(nullptr),
                                static_cast<const float*>(bias.data())}) {
          const auto want = RunKernel(&Q8_0GemmRef, w, x, in, out, batch, bp,
                                      /*split=*/false);
          const auto got = RunKernel(GetParam().fn, w, x, in, out, batch, bp,
                                     /*split=*/true);
          for (size_t i = 0; i < want.size(); ++i) {
            ASSERT_EQ(Bits(got[i]), Bits(want[i]))
                << GetParam().name << " in=" << in << " out=" << out
                << " batch=" << batch << " bias=" << (bp != nullptr)
                << " b=" << i / out << " o=" << i % out << ": " << got[i]
                << " vs " << want[i];
          }
          if (GetParam().pack == nullptr) continue;
          // The same on the kernel's packed weights; the split at out/2 + 1
          // starts the second task inside a packed group.
          std::vector<BlockQ8_0> wp(w.size());
          const size_t packed_rows =
              GetParam().pack(w.data(), out, in / kQ8_0BlockSize, wp.data());
          ASSERT_EQ(packed_rows % 16, 0u);
          ASSERT_LE(packed_rows, out);
          ASSERT_NE(GetParam().unpack_row, nullptr);
          std::vector<BlockQ8_0> row(in / kQ8_0BlockSize);
          for (size_t o = 0; o < packed_rows; ++o) {
            GetParam().unpack_row(wp.data(), o, row.size(), row.data());
            ASSERT_EQ(std::memcmp(row.data(), w.data() + o * row.size(),
                                  row.size() * sizeof(BlockQ8_0)),
                      0)
                << GetParam().name << " unpacked row " << o;
          }
          // Rows past packed_rows are copied unchanged.
          ASSERT_EQ(
              std::memcmp(wp.data() + packed_rows * row.size(),
                          w.data() + packed_rows * row.size(),
                          (out - packed_rows) * row.size() * sizeof(BlockQ8_0)),
              0);
          for (bool split : {true, false}) {
            const auto got_packed = RunKernel(GetParam().fn, wp, x, in, out,
                                              batch, bp, split, packed_rows);
            for (size_t i = 0; i < want.size(); ++i) {
              ASSERT_EQ(Bits(got_packed[i]), Bits(want[i]))
                  << GetParam().name << " packed in=" << in << " out=" << out
                  << " batch=" << batch << " bias=" << (bp != nullptr)
                  << " split=" << split << " b=" << i / out << " o=" << i % out;
            }
          }
        }
      }
    }
  }
}

// With unit scales the result is the exact integer dot product (it stays
// below 2^24, so every f32 step is exact): the int32 block sums are checked
// against an int64 sum computed here, independent of the reference.
TEST_P(Q8_0GemmKernelTest, IntegerSumsExact) {
  std::mt19937 rng(99);
  for (size_t in : kIns) {
    // Bound |values| so that in * bound^2 < 2^24.
    const int bound = in <= 96 ? 127 : 60;
    std::uniform_int_distribution<int> wq(in <= 96 ? -128 : -bound, bound);
    std::uniform_int_distribution<int> xq(-bound, bound);
    for (size_t out : kOuts) {
      const size_t batch = 2;
      std::vector<BlockQ8_0> w = UnitScaleBlocks(out, in, wq, rng);
      std::vector<BlockQ8_0> x = UnitScaleBlocks(batch, in, xq, rng);
      const auto got = RunKernel(GetParam().fn, w, x, in, out, batch, nullptr,
                                 /*split=*/false);
      for (size_t b = 0; b < batch; ++b) {
        for (size_t o = 0; o < out; ++o) {
          int64_t want = 0;
          for (size_t i = 0; i < in; ++i) {
            want += int64_t{w[o * in / 32 + i / 32].qs[i % 32]} *
                    x[b * in / 32 + i / 32].qs[i % 32];
          }
          ASSERT_EQ(got[b * out + o], static_cast<float>(want))
              << GetParam().name << " in=" << in << " o=" << o;
        }
      }
    }
  }
}

#if defined(__x86_64__)
// The AVX2 kernel's prompt path (8-row groups transposed per call, 4-row
// batch tiles) called directly at every batch, also the decode sizes the
// dispatch sends elsewhere, with integer sums checked exactly as above and
// against the reference at odd shapes, split inside a group.
TEST(Q8_0GemmAvx2PromptTest, EveryBatchBitIdenticalToReference) {
  if (!CpuHasAvx2()) GTEST_SKIP() << "CPU lacks AVX2";
  std::mt19937 rng(77);
  for (size_t in : {32, 1024, 2080}) {
    for (size_t out : {1, 7, 8, 9, 23, 64}) {
      for (size_t batch = 1; batch <= 9; ++batch) {
        const auto w = RandomWeights(out, in, rng);
        const auto x = RandomActivations(batch, in, rng);
        const auto want = RunKernel(&Q8_0GemmRef, w, x, in, out, batch, nullptr,
                                    /*split=*/false);
        const auto got = RunKernel(&Q8_0GemmAvx2Prompt, w, x, in, out, batch,
                                   nullptr, /*split=*/true);
        for (size_t i = 0; i < want.size(); ++i) {
          ASSERT_EQ(Bits(got[i]), Bits(want[i]))
              << "in=" << in << " out=" << out << " batch=" << batch
              << " b=" << i / out << " o=" << i % out;
        }
      }
    }
  }
  // Extreme values: weights of -128 and +127, activations of +-127 (the
  // sign trick's and maddubs' limits), unit scales so the result is the
  // exact integer sum.
  std::uniform_int_distribution<int> wq(-128, 127), xq(-127, 127);
  const size_t in = 96, out = 17, batch = 5;
  std::vector<BlockQ8_0> w = UnitScaleBlocks(out, in, wq, rng);
  std::vector<BlockQ8_0> x = UnitScaleBlocks(batch, in, xq, rng);
  for (size_t i = 0; i < 32; ++i) {
    w[0].qs[i] = -128;
    w[in / 32].qs[i] = 127;
    x[0].qs[i] = i % 2 == 0 ? 127 : -127;
    x[1].qs[i] = -127;
  }
  const auto got = RunKernel(&Q8_0GemmAvx2Prompt, w, x, in, out, batch, nullptr,
                             /*split=*/false);
  for (size_t b = 0; b < batch; ++b) {
    for (size_t o = 0; o < out; ++o) {
      int64_t want = 0;
      for (size_t i = 0; i < in; ++i) {
        want += int64_t{w[o * in / 32 + i / 32].qs[i % 32]} *
                x[b * in / 32 + i / 32].qs[i % 32];
      }
      ASSERT_EQ(got[b * out + o], static_cast<float>(want))
          << "b=" << b << " o=" << o;
    }
  }
}
#endif

INSTANTIATE_TEST_SUITE_P(
    AllKernels, Q8_0GemmKernelTest, ::testing::ValuesIn(Q8_0GemmKernels()),
    [](const ::testing::TestParamInfo<Q8_0GemmKernel>& info) {
      return std::string(info.param.name);
    });

TEST(Q8_0GemmDispatchTest, BestIsSupportedAndLastSupported) {
  const Q8_0GemmKernel& best = BestQ8_0GemmKernel();
  EXPECT_TRUE(best.supported());
  const Q8_0GemmKernel* last = nullptr;
  for (const auto& k : Q8_0GemmKernels()) {
    if (k.supported()) last = &k;
  }
  ASSERT_NE(last, nullptr);
  EXPECT_STREQ(best.name, last->name);
}

// The activation quantizer follows llama.cpp's x86 AVX2 path: ties round to
// even, id = 127/amax. quant::QuantizeRowQ8_0 (ggml's scalar reference, for
// weights) rounds ties away from zero.
TEST(QuantizeRowQ8_0ActivationsTest, TiesRoundToEvenLikeAvx2) {
  float x[kQ8_0BlockSize] = {};
  x[0] = 127.0f;  // amax = 127 -> d = 1, id = 1
  x[1] = 2.5f;
  x[2] = 3.5f;
  x[3] = -2.5f;
  x[4] = 0.5f;
  x[5] = -126.5f;
  BlockQ8_0 got;
  QuantizeRowQ8_0Activations(x, &got, kQ8_0BlockSize);
  EXPECT_EQ(got.d, quant::Fp32ToFp16(1.0f));
  EXPECT_EQ(got.qs[0], 127);
  EXPECT_EQ(got.qs[1], 2);
  EXPECT_EQ(got.qs[2], 4);
  EXPECT_EQ(got.qs[3], -2);
  EXPECT_EQ(got.qs[4], 0);
  EXPECT_EQ(got.qs[5], -126);

  BlockQ8_0 ref;
  quant::QuantizeRowQ8_0(x, &ref, kQ8_0BlockSize);
  EXPECT_EQ(ref.qs[1], 3);  // roundf: half away from zero
}

TEST(QuantizeRowQ8_0ActivationsTest, ZeroBlockAndNonFinite) {
  float x[2 * kQ8_0BlockSize] = {};
  x[kQ8_0BlockSize] = std::nanf("");
  BlockQ8_0 y[2];
  QuantizeRowQ8_0Activations(x, y, 2 * kQ8_0BlockSize);
  EXPECT_EQ(y[0].d, 0);
  for (int8_t v : y[0].qs) EXPECT_EQ(v, 0);
  // No UB on NaN; the value itself is unspecified garbage, like llama.cpp's.
}

// Matches the formula of llama.cpp's AVX2 quantize_row_q8_0 written out with
// SSE-free scalar code on random data (guards against refactors).
TEST(QuantizeRowQ8_0ActivationsTest, MatchesX86Formula) {
  std::mt19937 rng(7);
  std::normal_distribution<float> n(0.0f, 3.0f);
  std::vector<float> x(64 * kQ8_0BlockSize);
  for (float& v : x) v = n(rng);
  std::vector<BlockQ8_0> y(64);
  QuantizeRowQ8_0Activations(x.data(), y.data(), x.size());
  for (size_t b = 0; b < y.size(); ++b) {
    float amax = 0.0f;
    for (int i = 0; i < kQ8_0BlockSize; ++i) {
      amax = std::max(amax, std::fabs(x[b * kQ8_0BlockSize + i]));
    }
    ASSERT_EQ(y[b].d, quant::Fp32ToFp16(amax / 127.0f));
    const float id = 127.0f / amax;
    for (int i = 0; i < kQ8_0BlockSize; ++i) {
      const float v = x[b * kQ8_0BlockSize + i] * id;
      float r = std::floor(v);
      const float frac = v - r;
      if (frac > 0.5f || (frac == 0.5f && std::fmod(r, 2.0f) != 0.0f)) r += 1;
      ASSERT_EQ(y[b].qs[i], static_cast<int>(r)) << "block " << b << " i " << i;
    }
  }
}

// Every kernel's paired quantizer gives the scalar version's bytes exactly,
// including ties, zero blocks, NaN, Inf and huge values.
TEST(QuantizeRowQ8_0ActivationsTest, KernelQuantizersBitIdentical) {
  std::mt19937 rng(11);
  std::normal_distribution<float> n(0.0f, 2.0f);
  const size_t blocks = 400;
  std::vector<float> x(blocks * kQ8_0BlockSize);
  for (size_t i = 0; i < x.size(); ++i) {
    const size_t b = i / kQ8_0BlockSize;
    float v = n(rng);
    switch (b % 8) {
      case 1:
        v = std::nearbyint(v * 20.0f) + 0.5f;
        break;  // ties
      case 2:
        v = 0.0f;
        break;
      case 3:
        if (i % 7 == 0) v = std::nanf("");
        break;
      case 4:
        if (i % 11 == 0) v = -INFINITY;
        break;
      case 5:
        v *= 1e30f;
        break;
      case 6:
        v *= 1e-30f;
        break;
      default:
        break;
    }
    x[i] = v;
  }
  std::vector<BlockQ8_0> want(blocks), got(blocks);
  QuantizeRowQ8_0Activations(x.data(), want.data(), x.size());
  for (const Q8_0GemmKernel& k : Q8_0GemmKernels()) {
    if (!k.supported()) continue;
    std::fill(got.begin(), got.end(), BlockQ8_0{});
    k.quantize(x.data(), got.data(), x.size());
    for (size_t b = 0; b < blocks; ++b) {
      ASSERT_EQ(got[b].d, want[b].d) << k.name << " block " << b;
      for (int i = 0; i < kQ8_0BlockSize; ++i) {
        ASSERT_EQ(got[b].qs[i], want[b].qs[i])
            << k.name << " block " << b << " i " << i;
      }
    }
  }
}

}  // namespace
}  // namespace edgellm::ops::kernels
