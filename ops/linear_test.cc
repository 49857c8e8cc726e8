#include "ops/linear.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "ops/kernels/dispatch.h"
#include "ops/kernels/q8_0_gemm.h"
#include "ops/kernels/q8_0_gemm_test_util.h"
#include "ops/thread_pool.h"
#include "quant/fp16.h"
#include "quant/q8_0.h"

namespace edgellm::ops {
namespace {

// Small test shapes must still take the parallel paths on multi-thread pools.
[[maybe_unused]] const size_t kSplitEveryCall = SetMinParallelWorkForTesting(0);

using quant::BlockQ8_0;

std::vector<float> RandomFloats(size_t n, std::mt19937& rng) {
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

std::unique_ptr<ThreadPool> MakePool(size_t threads) {
  auto pool = ThreadPool::Create(threads);
  EXPECT_TRUE(pool.ok()) << pool.status();
  return std::move(pool).value();
}

// Sum in double of x . W^T + bias.
std::vector<double> ExactLinear(const std::vector<float>& x, size_t batch,
                                size_t in, const std::vector<float>& w,
                                size_t out, const float* bias) {
  std::vector<double> y(batch * out);
  for (size_t b = 0; b < batch; ++b) {
    for (size_t o = 0; o < out; ++o) {
      double acc = bias != nullptr ? bias[o] : 0.0;
      for (size_t i = 0; i < in; ++i) {
        acc += double{x[b * in + i]} * w[o * in + i];
      }
      y[b * out + o] = acc;
    }
  }
  return y;
}

// Several matrices on one input equal separate LinearQ8_0 calls bit for bit,
// also with the best kernel's packed weights.
TEST(LinearQ8_0Test, MultiEqualsSeparateCalls) {
  auto pool = MakePool(2);
  std::mt19937 rng(8);
  const kernels::Q8_0GemmKernel& kernel = kernels::BestQ8_0GemmKernel();
  for (size_t in : {64, 576}) {
    for (size_t batch : {1, 3, 9}) {
      const size_t outs[3] = {576, 192, 33};
      const auto x = RandomFloats(batch * in, rng);
      std::vector<std::vector<BlockQ8_0>> w(3), wp(3);
      std::vector<std::vector<float>> bias(3), want(3), got(3);
      std::vector<Q8_0Matrix> mats(3);
      for (size_t i = 0; i < 3; ++i) {
        const auto wf = RandomFloats(in * outs[i], rng);
        w[i].resize(outs[i] * in / 32);
        for (size_t o = 0; o < outs[i]; ++o) {
          quant::QuantizeRowQ8_0(wf.data() + o * in, w[i].data() + o * in / 32,
                                 in);
        }
        bias[i] = RandomFloats(outs[i], rng);
        want[i].resize(batch * outs[i]);
        got[i].resize(batch * outs[i]);
        ASSERT_TRUE(LinearQ8_0(x.data(), batch, in, w[i].data(), outs[i],
                               i == 1 ? bias[i].data() : nullptr,
                               want[i].data(), pool.get())
                        .ok());
        mats[i] = {w[i].data(), outs[i], i == 1 ? bias[i].data() : nullptr,
                   got[i].data(), 0};
        if (kernel.pack != nullptr && i != 2) {  // one plain, two packed
          wp[i].resize(w[i].size());
          mats[i].packed_rows =
              kernel.pack(w[i].data(), outs[i], in / 32, wp[i].data());
          mats[i].w = wp[i].data();
        }
      }
      ASSERT_TRUE(LinearQ8_0Multi(x.data(), batch, in, mats, pool.get()).ok());
      for (size_t i = 0; i < 3; ++i) {
        ASSERT_EQ(std::memcmp(got[i].data(), want[i].data(),
                              got[i].size() * sizeof(float)),
                  0)
            << "matrix " << i << " in=" << in << " batch=" << batch;
      }
    }
  }
}

// Every row of every matrix is computed exactly as the reference kernel does
// over the whole matrix in one call, for shapes and pool sizes that exercise
// the row-task split: 1-row matrices, row counts not a multiple of 16,
// decode batches (guided tasks) and prompt batches (even tiles), and 64
// threads on 4 x 32000 rows, where the guided split reaches its task cap. The
// outputs start as NaN, so a row no task covers shows.
TEST(LinearQ8_0Test, MultiCoversEveryRowForManyShapesAndPools) {
  std::mt19937 rng(21);
  const kernels::Q8_0GemmKernel& kernel = kernels::BestQ8_0GemmKernel();
  const std::vector<std::vector<size_t>> shapes = {
      {1},
      {17},
      {1, 1, 1, 1},
      {33, 1, 577, 16},
      {5000, 1, 17, 2048},
      {32000, 32000, 32000, 32000}};
  std::vector<std::unique_ptr<ThreadPool>> pools;
  for (size_t threads : {1, 2, 3, 64}) pools.push_back(MakePool(threads));
  const size_t in = 64;
  for (const std::vector<size_t>& outs : shapes) {
    const size_t n = outs.size();
    std::vector<std::vector<BlockQ8_0>> w(n), wp(n);
    std::vector<std::vector<float>> bias(n);
    std::vector<size_t> packed_rows(n, 0);
    for (size_t i = 0; i < n; ++i) {
      w[i] = kernels::test_util::RandomWeights(outs[i], in, rng);
      bias[i] = RandomFloats(outs[i], rng);
      if (kernel.pack != nullptr && i % 2 == 0) {
        wp[i].resize(w[i].size());
        packed_rows[i] =
            kernel.pack(w[i].data(), outs[i], in / 32, wp[i].data());
      }
    }
    for (size_t batch : {1, 4, 5, 9}) {
      const auto x = RandomFloats(batch * in, rng);
      std::vector<BlockQ8_0> xq(batch * in / 32);
      for (size_t b = 0; b < batch; ++b) {
        kernels::QuantizeRowQ8_0Activations(x.data() + b * in,
                                            xq.data() + b * in / 32, in);
      }
      std::vector<std::vector<float>> want(n);
      for (size_t i = 0; i < n; ++i) {
        want[i] = kernels::test_util::RunKernel(
            kernels::Q8_0GemmRef, w[i], xq, in, outs[i], batch,
            i == 1 ? bias[i].data() : nullptr, /*split=*/false);
      }
      for (const auto& pool : pools) {
        const size_t threads = pool->num_threads();
        std::vector<std::vector<float>> got(n);
        std::vector<Q8_0Matrix> mats(n);
        for (size_t i = 0; i < n; ++i) {
          got[i].assign(batch * outs[i], std::nanf(""));
          mats[i] = {wp[i].empty() ? w[i].data() : wp[i].data(), outs[i],
                     i == 1 ? bias[i].data() : nullptr, got[i].data(),
                     packed_rows[i]};
        }
        const absl::Status s =
            LinearQ8_0Multi(x.data(), batch, in, mats, pool.get());
        ASSERT_TRUE(s.ok()) << s;
        for (size_t i = 0; i < n; ++i) {
          ASSERT_EQ(std::memcmp(got[i].data(), want[i].data(),
                                got[i].size() * sizeof(float)),
                    0)
              << "matrix " << i << " of " << n << ", out=" << outs[i]
              << " batch=" << batch << " threads=" << threads;
        }
        // One matrix alone through LinearQ8_0 splits the same way.
        std::vector<float> y(batch * outs[0], std::nanf(""));
        ASSERT_TRUE(LinearQ8_0(x.data(), batch, in, mats[0].w, outs[0], nullptr,
                               y.data(), pool.get(), nullptr,
                               mats[0].packed_rows)
                        .ok());
        ASSERT_EQ(
            std::memcmp(y.data(), want[0].data(), y.size() * sizeof(float)), 0)
            << "LinearQ8_0 out=" << outs[0] << " batch=" << batch
            << " threads=" << threads;
      }
    }
  }
}

TEST(LinearQ8_0Test, PackedRowsNeedAPackingKernelAndFitTheMatrix) {
  auto pool = MakePool(1);
  std::vector<BlockQ8_0> w(32 * 2);
  std::vector<float> x(64, 1.0f), y(32);
  const kernels::Q8_0GemmKernel& ref = kernels::Q8_0GemmKernels()[0];
  ASSERT_EQ(ref.pack, nullptr);
  absl::Status s =
      LinearQ8_0WithKernel(ref, x.data(), 1, 64, w.data(), 32, nullptr,
                           y.data(), pool.get(), nullptr, /*packed_rows=*/16);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("packed_rows = 16"), absl::string_view::npos);
  s = LinearQ8_0(x.data(), 1, 64, w.data(), 32, nullptr, y.data(), pool.get(),
                 nullptr, /*packed_rows=*/48);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
}

TEST(LinearQ8_0Test, MatchesKernelReferenceAndDequantizedMath) {
  auto pool = MakePool(2);
  std::mt19937 rng(5);
  for (size_t in : {32, 96, 2080}) {
    for (size_t out : {1, 17, 257}) {
      for (size_t batch : {1, 2, 7}) {
        const auto wf = RandomFloats(in * out, rng);
        std::vector<BlockQ8_0> w(out * in / 32);
        for (size_t o = 0; o < out; ++o) {
          quant::QuantizeRowQ8_0(wf.data() + o * in, w.data() + o * in / 32,
                                 in);
        }
        const auto x = RandomFloats(batch * in, rng);
        const auto bias = RandomFloats(out, rng);
        std::vector<float> y(batch * out);
        ASSERT_TRUE(LinearQ8_0(x.data(), batch, in, w.data(), out, bias.data(),
                               y.data(), pool.get())
                        .ok());

        // Bit-exact against the single-threaded reference kernel.
        std::vector<BlockQ8_0> xq(batch * in / 32);
        for (size_t b = 0; b < batch; ++b) {
          kernels::QuantizeRowQ8_0Activations(x.data() + b * in,
                                              xq.data() + b * in / 32, in);
        }
        std::vector<float> want(batch * out);
        kernels::Q8_0GemmRef({w.data(), xq.data(), in / 32, batch, bias.data(),
                              want.data(), out},
                             0, out);
        ASSERT_EQ(0, std::memcmp(y.data(), want.data(), y.size() * 4))
            << "in=" << in << " out=" << out << " batch=" << batch;

        // Close to exact math on the dequantized weights: what is left is
        // the activation quantization, at most kQ8_0MaxRelativeError * amax
        // of its block per value (quant/q8_0.h), times |w|, plus f32
        // rounding.
        std::vector<float> wd(in * out);
        for (size_t o = 0; o < out; ++o) {
          quant::DequantizeRowQ8_0(w.data() + o * in / 32, wd.data() + o * in,
                                   in);
        }
        const auto exact = ExactLinear(x, batch, in, wd, out, bias.data());
        for (size_t b = 0; b < batch; ++b) {
          for (size_t o = 0; o < out; ++o) {
            double bound = 1e-4;
            for (size_t blk = 0; blk < in / 32; ++blk) {
              double amax = 0;
              for (size_t i = blk * 32; i < blk * 32 + 32; ++i) {
                amax = std::max(amax, std::fabs(double{x[b * in + i]}));
              }
              for (size_t i = blk * 32; i < blk * 32 + 32; ++i) {
                bound += std::fabs(wd[o * in + i]) * amax *
                         quant::kQ8_0MaxRelativeError;
              }
            }
            ASSERT_NEAR(y[b * out + o], exact[b * out + o], bound)
                << "b=" << b << " o=" << o;
          }
        }
      }
    }
  }
}

TEST(LinearQ8_0Test, ExplicitScratchAndNoPool) {
  std::mt19937 rng(6);
  const size_t in = 64, out = 5, batch = 3;
  const auto wf = RandomFloats(in * out, rng);
  std::vector<BlockQ8_0> w(out * in / 32);
  quant::QuantizeRowQ8_0(wf.data(), w.data(), in * out);
  const auto x = RandomFloats(batch * in, rng);
  std::vector<float> y1(batch * out), y2(batch * out);
  std::vector<BlockQ8_0> scratch(LinearQ8_0ScratchBytes(batch, in) /
                                 sizeof(BlockQ8_0));
  ASSERT_TRUE(LinearQ8_0(x.data(), batch, in, w.data(), out, nullptr, y1.data(),
                         nullptr, scratch.data())
                  .ok());
  auto pool = MakePool(1);
  ASSERT_TRUE(LinearQ8_0(x.data(), batch, in, w.data(), out, nullptr, y2.data(),
                         pool.get())
                  .ok());
  EXPECT_EQ(y1, y2);
  // The pool's scratch is reused: a second call of the same size does not
  // reallocate.
  void* s = pool->Scratch(0);
  ASSERT_TRUE(LinearQ8_0(x.data(), batch, in, w.data(), out, nullptr, y2.data(),
                         pool.get())
                  .ok());
  EXPECT_EQ(pool->Scratch(0), s);
}

TEST(LinearQ8_0Test, RejectsBadArguments) {
  std::vector<float> x(40), y(1);
  std::vector<BlockQ8_0> w(2);
  auto pool = MakePool(1);
  absl::Status s =
      LinearQ8_0(x.data(), 1, 40, w.data(), 1, nullptr, y.data(), pool.get());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("in = 40"), std::string::npos) << s;
  s = LinearQ8_0(x.data(), 1, 32, w.data(), 1, nullptr, y.data(), nullptr);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  s = LinearQ8_0(nullptr, 1, 32, w.data(), 1, nullptr, y.data(), pool.get());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
}

TEST(LinearF32Test, ReferenceAndXnnpackAgree) {
  auto pool = MakePool(2);
  std::mt19937 rng(8);
  for (size_t in : {1, 37, 96, 2080}) {
    for (size_t out : {1, 3, 17, 257}) {
      for (size_t batch : {1, 2, 7}) {
        const auto w = RandomFloats(in * out, rng);
        const auto x = RandomFloats(batch * in, rng);
        const auto bias = RandomFloats(out, rng);
        const auto exact = ExactLinear(x, batch, in, w, out, bias.data());
        const double tol = 1e-5 * std::sqrt(double(in)) * 4;

        std::vector<float> y_ref(batch * out), y_xnn(batch * out);
        ASSERT_TRUE(LinearF32Ref(x.data(), batch, in, w.data(), out,
                                 bias.data(), y_ref.data(), pool.get())
                        .ok());
        auto op = PackedLinear::CreateF32(w.data(), in, out, bias.data());
        ASSERT_TRUE(op.ok()) << op.status();
        ASSERT_TRUE((*op)->Run(x.data(), batch, y_xnn.data(), pool.get()).ok());
        for (size_t i = 0; i < exact.size(); ++i) {
          ASSERT_NEAR(y_ref[i], exact[i], tol) << "in=" << in << " i=" << i;
          ASSERT_NEAR(y_xnn[i], exact[i], tol) << "in=" << in << " i=" << i;
        }
      }
    }
  }
}

TEST(LinearF16Test, ReferenceAndXnnpackAgree) {
  auto pool = MakePool(2);
  std::mt19937 rng(9);
  const size_t in = 96, out = 17, batch = 7;
  const auto wf = RandomFloats(in * out, rng);
  std::vector<uint16_t> w(wf.size());
  std::vector<float> wr(wf.size());  // the values the f16 weights hold
  for (size_t i = 0; i < w.size(); ++i) {
    w[i] = quant::Fp32ToFp16(wf[i]);
    wr[i] = quant::Fp16ToFp32(w[i]);
  }
  const auto x = RandomFloats(batch * in, rng);
  const auto exact = ExactLinear(x, batch, in, wr, out, nullptr);
  std::vector<float> y_ref(batch * out), y_xnn(batch * out);
  ASSERT_TRUE(LinearF16Ref(x.data(), batch, in, w.data(), out, nullptr,
                           y_ref.data(), pool.get())
                  .ok());
  auto op = PackedLinear::CreateF16(w.data(), in, out, nullptr);
  ASSERT_TRUE(op.ok()) << op.status();
  ASSERT_TRUE((*op)->Run(x.data(), batch, y_xnn.data(), pool.get()).ok());
  for (size_t i = 0; i < exact.size(); ++i) {
    EXPECT_NEAR(y_ref[i], exact[i], 1e-4);
    EXPECT_NEAR(y_xnn[i], exact[i], 1e-4);
  }
}

TEST(ThreadPoolTest, SizesAndParallelForCoversRange) {
  auto pool = MakePool(2);
  EXPECT_EQ(pool->num_threads(), 2u);
  std::vector<int> hits(1001, 0);
  ParallelFor(pool.get(), hits.size(), 7, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) ++hits[i];
  });
  for (int h : hits) EXPECT_EQ(h, 1);
  auto all = MakePool(0);
  EXPECT_GE(all->num_threads(), 1u);
}

}  // namespace
}  // namespace edgellm::ops
