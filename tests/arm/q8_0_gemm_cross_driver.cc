// Self-contained AArch64 check of the Q8_0 GEMM kernels and their dispatch,
// cross-compiled statically and run under qemu-user by q8_0_gemm_cross_test.sh
// (no gtest/abseil libraries exist for arm64 on the build box, so this is a
// plain main()). It links the real ops/kernels/dispatch.cc and kernel files.
//
//   q8_0_gemm_cross_driver --expect-best=NAME
//       Prints the CPU's hardware capability bits, checks that the dispatcher
//       picks kernel NAME, then compares every kernel the CPU supports with
//       the reference (Q8_0GemmRef) on random odd shapes: f32 outputs must be
//       bit-identical (the contract of ops/kernels/q8_0_gemm.h), and with
//       unit scales each output must equal the exact integer dot product.
//       Kernels the CPU lacks are reported and NOT run. Exit 0 on success.
//   q8_0_gemm_cross_driver --force=NAME
//       Runs kernel NAME once (batch 3) without asking the dispatcher: used
//       to show the emulated CPU really lacks an instruction (expected to die
//       by SIGILL).
#include <sys/auxv.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "ops/kernels/dispatch.h"
#include "ops/kernels/q8_0_gemm.h"
#include "ops/kernels/q8_0_gemm_test_util.h"
#include "quant/fp16.h"
#include "quant/q8_0.h"

namespace edgellm::ops::kernels {
namespace {

using quant::BlockQ8_0;
using quant::kQ8_0BlockSize;
using test_util::Bits;
using test_util::RandomActivations;
using test_util::RandomWeights;
using test_util::RunKernel;
using test_util::UnitScaleBlocks;

// Odd shapes: block counts from 1 up; outputs with every remainder modulo
// the 4-row tiles of the NEON and i8mm kernels (and the 2-row SMMLA pair),
// batches with every remainder modulo the i8mm kernel's 4-row batch tile and
// 2-row pair, incl. 1 (matrix-vector: the i8mm kernel's dotprod path).
constexpr size_t kIns[] = {32, 64, 96, 160, 2080};
constexpr size_t kOuts[] = {1, 2, 3, 5, 6, 8, 17, 35};
constexpr size_t kBatches[] = {1, 2, 3, 4, 5, 6, 7};
// The integer-sum check: matrix-vector, one SMMLA pair, a padded pair, a
// full tile plus a padded pair.
constexpr size_t kSumBatches[] = {1, 2, 3, 7};
// --force runs one GEMM of this batch: more than 1, so the i8mm kernel
// executes SMMLA rather than its dotprod matrix-vector path.
constexpr size_t kForceBatch = 3;

// Returns the number of cases compared, or -1 after printing a mismatch.
int CompareWithReference(const Q8_0GemmKernel& k) {
  std::mt19937 rng(1234);
  int cases = 0;
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
          const auto got =
              RunKernel(k.fn, w, x, in, out, batch, bp, /*split=*/true);
          for (size_t i = 0; i < want.size(); ++i) {
            if (Bits(got[i]) != Bits(want[i])) {
              std::printf(
                  "FAIL %s in=%zu out=%zu batch=%zu bias=%d b=%zu o=%zu: "
                  "%.9g (0x%08x) vs reference %.9g (0x%08x)\n",
                  k.name, in, out, batch, bp != nullptr ? 1 : 0, i / out,
                  i % out, got[i], Bits(got[i]), want[i], Bits(want[i]));
              return -1;
            }
          }
          ++cases;
        }
      }
    }
  }
  return cases;
}

// Unit scales: every output is the exact integer dot product (kept below
// 2^24 so each f32 step is exact), computed here in int64, independent of
// the reference. Pins the int32 block sums, incl. -128 * -128 products.
int CheckIntegerSums(const Q8_0GemmKernel& k) {
  std::mt19937 rng(99);
  int cases = 0;
  for (size_t in : kIns) {
    const int bound = in <= 160 ? 127 : 60;  // in * 128^2 < 2^24 for in <= 160
    std::uniform_int_distribution<int> wq(in <= 160 ? -128 : -bound, bound);
    std::uniform_int_distribution<int> xq(in <= 160 ? -128 : -bound, bound);
    for (size_t out : kOuts) {
      for (size_t batch : kSumBatches) {
        std::vector<BlockQ8_0> w = UnitScaleBlocks(out, in, wq, rng);
        std::vector<BlockQ8_0> x = UnitScaleBlocks(batch, in, xq, rng);
        if (in <= 160) {  // an all -128 block: the extreme int32 block sum
          for (int8_t& v : w[0].qs) v = -128;
          for (int8_t& v : x[0].qs) v = -128;
        }
        const auto got = RunKernel(k.fn, w, x, in, out, batch, nullptr, false);
        const size_t nb = in / kQ8_0BlockSize;
        for (size_t b = 0; b < batch; ++b) {
          for (size_t o = 0; o < out; ++o) {
            int64_t want = 0;
            for (size_t i = 0; i < in; ++i) {
              want +=
                  int64_t{
                      w[o * nb + i / kQ8_0BlockSize].qs[i % kQ8_0BlockSize]} *
                  x[b * nb + i / kQ8_0BlockSize].qs[i % kQ8_0BlockSize];
            }
            if (got[b * out + o] != static_cast<float>(want)) {
              std::printf(
                  "FAIL %s integer sum in=%zu out=%zu b=%zu o=%zu: %.9g "
                  "vs exact %lld\n",
                  k.name, in, out, b, o, got[b * out + o],
                  static_cast<long long>(want));
              return -1;
            }
          }
        }
        ++cases;
      }
    }
  }
  return cases;
}

const Q8_0GemmKernel* FindKernel(const std::string& name) {
  for (const Q8_0GemmKernel& k : Q8_0GemmKernels()) {
    if (name == k.name) return &k;
  }
  std::printf("no kernel named %s in this build\n", name.c_str());
  return nullptr;
}

void PrintHwcaps() {
  // Bits from arch/arm64/include/uapi/asm/hwcap.h (fixed ABI).
  const unsigned long hw = getauxval(AT_HWCAP);
  const unsigned long hw2 = getauxval(AT_HWCAP2);
  std::printf("hwcap: asimd=%d asimddp=%d sve=%d i8mm=%d\n",
              (hw >> 1) & 1 ? 1 : 0, (hw >> 20) & 1 ? 1 : 0,
              (hw >> 22) & 1 ? 1 : 0, (hw2 >> 13) & 1 ? 1 : 0);
}

int Main(int argc, char** argv) {
  const std::string arg = argc == 2 ? argv[1] : "";
  const std::string kBest = "--expect-best=", kForce = "--force=";
  PrintHwcaps();
  if (arg.rfind(kForce, 0) == 0) {
    const Q8_0GemmKernel* k = FindKernel(arg.substr(kForce.size()));
    if (k == nullptr) return 2;
    std::printf("forcing kernel %s (supported() = %d)\n", k->name,
                k->supported() ? 1 : 0);
    std::fflush(stdout);
    std::mt19937 rng(5);
    const auto w = RandomWeights(5, 64, rng);
    const auto x = RandomActivations(kForceBatch, 64, rng);
    RunKernel(k->fn, w, x, 64, 5, kForceBatch, nullptr, false);
    std::printf("kernel %s ran to completion\n", k->name);
    return 0;
  }
  if (arg.rfind(kBest, 0) != 0) {
    std::printf("usage: %s --expect-best=NAME | --force=NAME\n", argv[0]);
    return 2;
  }
  const std::string expect = arg.substr(kBest.size());
  if (FindKernel(expect) == nullptr) return 2;

  bool ok = true;
  for (const Q8_0GemmKernel& k : Q8_0GemmKernels()) {
    if (!k.supported()) {
      std::printf("kernel %s: not supported by this CPU, not run\n", k.name);
      continue;
    }
    const int cases = CompareWithReference(k);
    const int sums = cases < 0 ? -1 : CheckIntegerSums(k);
    if (cases < 0 || sums < 0) {
      ok = false;
      continue;
    }
    std::printf(
        "kernel %s: ran; %d cases bit-identical to ref, %d integer-sum "
        "cases exact\n",
        k.name, cases, sums);
  }
  const Q8_0GemmKernel& best = BestQ8_0GemmKernel();
  std::printf("dispatch picks: %s (expected %s)\n", best.name, expect.c_str());
  if (expect != best.name) {
    std::printf("FAIL dispatch picked %s, expected %s\n", best.name,
                expect.c_str());
    ok = false;
  }
  std::printf("%s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace edgellm::ops::kernels

int main(int argc, char** argv) {
  return edgellm::ops::kernels::Main(argc, argv);
}
