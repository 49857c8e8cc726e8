// Self-contained AArch64 check of the Q4_0, Q4_K, Q5_K and Q6_K GEMM kernels
// and their dispatch, cross-compiled statically and run under qemu-user by
// quant_gemm_cross_test.sh (no gtest/abseil libraries exist for arm64 on the
// build box, so this is a plain main()). It links the real
// ops/kernels/quant_dispatch.cc, the reference and the kernel files.
//
//   quant_gemm_cross_driver --expect-best=NAME
//       Prints the CPU's hardware capability bits, checks that the dispatcher
//       picks kernel NAME for each of the four types, then compares every
//       kernel the CPU supports with the reference (QuantGemmRef) on random
//       odd shapes: f32 outputs must be bit-identical (the contract of
//       ops/kernels/quant_gemm.h). Kernels the CPU lacks are reported and NOT
//       run. Exit 0 on success.
//   quant_gemm_cross_driver --force=NAME
//       Runs kernel NAME of each type once (batch 3) without asking the
//       dispatcher: used to show the emulated CPU really lacks an
//       instruction (expected to die by SIGILL).
//   quant_gemm_cross_driver --count=NAME:TYPE:IN:OUT:BATCH[:packed]
//       Runs kernel NAME of TYPE (q4_0, ...) once on that shape between
//       calls of EdgellmCountBegin and EdgellmCountEnd, so that
//       quant_gemm_cross_test.sh --count can count the instructions of the
//       call in qemu's log; with :packed on weights in the kernel's packed
//       layout (packed before the first marker), else on plain GGUF rows.
#include <sys/auxv.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "ops/kernels/q8_0_gemm.h"
#include "ops/kernels/quant_dispatch.h"
#include "ops/kernels/quant_gemm.h"
#include "ops/kernels/quant_pack16.h"
#include "quant/fp16.h"
#include "quant/k_quants.h"
#include "quant/q4_q5.h"
#include "quant/q8_0.h"
#include "quant/q8_k.h"

// The markers of --count: not inlined, so each is a block qemu logs.
extern "C" __attribute__((noinline)) void EdgellmCountBegin() {
  asm volatile("" ::: "memory");
}
extern "C" __attribute__((noinline)) void EdgellmCountEnd() {
  asm volatile("" ::: "memory");
}

namespace edgellm::ops::kernels {
namespace {

using gguf::TensorType;

uint32_t Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof(u));
  return u;
}

// One weight type: its block, how to quantize floats to it, where its fp16
// scale fields sit (ggml-common.h), and the shapes it is checked on.
struct TypeCase {
  const char* name;
  TensorType type;
  int block_values;
  size_t block_bytes;
  void (*quantize)(const float* x, void* y, int64_t k);
  std::vector<size_t> scale_offsets;
  std::vector<size_t> ins;
};

template <typename Block, void (*Q)(const float*, Block*, int64_t)>
void QuantizeAs(const float* x, void* y, int64_t k) {
  Q(x, static_cast<Block*>(y), k);
}

const std::vector<TypeCase>& TypeCases() {
  // Block counts from 1 up, incl. one long row (2080 = 65 Q4_0 blocks,
  // 1152 = 36 Q5_0 blocks, 2560 = 10 super-blocks).
  static const std::vector<TypeCase>* const cases = new std::vector<TypeCase>{
      {"q4_0",
       TensorType::kQ4_0,
       32,
       sizeof(quant::BlockQ4_0),
       &QuantizeAs<quant::BlockQ4_0, &quant::QuantizeRowQ4_0>,
       {0},
       {32, 64, 96, 160, 2080}},
      // 1152 = 36 blocks: Gemma 3 1B's width, whose rows are not multiples
      // of 256 (so its Q4_K_M files hold Q5_0 tensors).
      {"q5_0",
       TensorType::kQ5_0,
       32,
       sizeof(quant::BlockQ5_0),
       &QuantizeAs<quant::BlockQ5_0, &quant::QuantizeRowQ5_0>,
       {0},
       {32, 64, 96, 160, 1152}},
      {"q4_k",
       TensorType::kQ4_K,
       quant::kQK_K,
       sizeof(quant::BlockQ4_K),
       &QuantizeAs<quant::BlockQ4_K, &quant::QuantizeRowQ4_K>,
       {0, 2},
       {256, 512, 768, 2560}},
      {"q5_k",
       TensorType::kQ5_K,
       quant::kQK_K,
       sizeof(quant::BlockQ5_K),
       &QuantizeAs<quant::BlockQ5_K, &quant::QuantizeRowQ5_K>,
       {0, 2},
       {256, 512, 768, 2560}},
      {"q6_k",
       TensorType::kQ6_K,
       quant::kQK_K,
       sizeof(quant::BlockQ6_K),
       &QuantizeAs<quant::BlockQ6_K, &quant::QuantizeRowQ6_K>,
       {208},
       {256, 512, 768, 2560}},
  };
  return *cases;
}

// Outputs with every remainder modulo the 4-row tiles (and 2-row SMMLA
// pairs); batches with every remainder modulo a 4-row batch tile and 2-row
// pair, incl. 1 (matrix-vector).
constexpr size_t kOuts[] = {1, 2, 3, 5, 6, 8, 17, 32, 35};
constexpr size_t kBatches[] = {1, 2, 3, 4, 5, 6, 7};
// --force runs one GEMM of this batch: more than 1, so a batch kernel runs
// its batch path rather than its matrix-vector one.
constexpr size_t kForceBatch = 3;

// Rows of the type: even rows quantized from N(0, 1) floats (the blocks a
// file holds), odd rows random bytes with sane fp16 scales (every bit
// pattern of levels and sub-block scales and minimums).
std::vector<uint8_t> RandomWeights(const TypeCase& t, size_t rows, size_t in,
                                   std::mt19937& rng) {
  const size_t blocks = in / t.block_values;
  const size_t row_bytes = blocks * t.block_bytes;
  std::vector<uint8_t> w(rows * row_bytes);
  std::normal_distribution<float> n(0.0f, 1.0f);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_real_distribution<float> mag(-10.0f, -3.0f);
  std::vector<float> x(in);
  for (size_t r = 0; r < rows; ++r) {
    uint8_t* row = w.data() + r * row_bytes;
    if (r % 2 == 0) {
      for (float& v : x) v = n(rng);
      t.quantize(x.data(), row, static_cast<int64_t>(in));
      continue;
    }
    for (size_t i = 0; i < row_bytes; ++i) {
      row[i] = static_cast<uint8_t>(byte(rng));
    }
    for (size_t b = 0; b < blocks; ++b) {
      for (size_t off : t.scale_offsets) {
        const float s = (byte(rng) % 2 ? 1 : -1) * std::exp2(mag(rng));
        const uint16_t h = quant::Fp32ToFp16(s);
        std::memcpy(row + b * t.block_bytes + off, &h, 2);
      }
    }
  }
  return w;
}

const ActivationFormat& Format(const TypeCase& t) {
  return *ActivationFormatFor(t.type);
}

// Activations quantized to the type's partner format: N(0, 1) with
// outliers, and an all-zero super-block in the first row when there is room.
std::vector<uint8_t> RandomActivations(const TypeCase& t, size_t batch,
                                       size_t in, std::mt19937& rng) {
  const ActivationFormat& f = Format(t);
  std::normal_distribution<float> n(0.0f, 1.0f);
  std::vector<float> x(batch * in);
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = n(rng);
    if (i % 89 == 5) x[i] *= 30.0f;
  }
  if (in >= 512) std::fill(x.begin() + 256, x.begin() + 512, 0.0f);
  std::vector<uint8_t> xq(batch * f.RowBytes(in));
  for (size_t b = 0; b < batch; ++b) {
    f.quantize(x.data() + b * in, xq.data() + b * f.RowBytes(in),
               static_cast<int64_t>(in));
  }
  return xq;
}

// Extremes: every weight byte 0xff (the largest level of every field, the
// largest scales and minimums) with sane fp16 scales, against activations of
// all -128 (Q8_K with bsums of -2048, Q8_0 with an fp16 scale): the largest
// integer sums the formats reach.
void MakeExtremes(const TypeCase& t, size_t rows, size_t batch, size_t in,
                  std::vector<uint8_t>* w, std::vector<uint8_t>* xq) {
  const size_t blocks = in / t.block_values;
  w->assign(rows * blocks * t.block_bytes, 0xff);
  const uint16_t h = quant::Fp32ToFp16(1.0f / 512);
  for (size_t b = 0; b < rows * blocks; ++b) {
    for (size_t off : t.scale_offsets) {
      std::memcpy(w->data() + b * t.block_bytes + off, &h, 2);
    }
  }
  const ActivationFormat& f = Format(t);
  xq->assign(batch * f.RowBytes(in), 0);
  for (size_t b = 0; b < batch * in / f.block_values; ++b) {
    uint8_t* blk = xq->data() + b * f.block_bytes;
    if (f.type == TensorType::kQ8_K) {
      quant::BlockQ8_K x;
      x.d = 1.0f / 1024;
      std::memset(x.qs, 0x80, sizeof(x.qs));
      for (int16_t& s : x.bsums) s = -128 * 16;
      std::memcpy(blk, &x, sizeof(x));
    } else {
      quant::BlockQ8_0 x;
      x.d = quant::Fp32ToFp16(1.0f / 1024);
      std::memset(x.qs, 0x80, sizeof(x.qs));
      std::memcpy(blk, &x, sizeof(x));
    }
  }
}

// One GEMM call; with split the output range is run as two calls, as two
// threads would.
// With packed_rows > 0, w's leading rows are in the kernel's own layout.
std::vector<float> Run(QuantGemmFn fn, const TypeCase& t,
                       const std::vector<uint8_t>& w,
                       const std::vector<uint8_t>& xq, size_t in, size_t out,
                       size_t batch, const float* bias, bool split,
                       size_t packed_rows = 0) {
  std::vector<float> y(batch * out, std::nanf(""));
  QuantGemmArgs a{w.data(),
                  in / t.block_values * t.block_bytes,
                  xq.data(),
                  Format(t).RowBytes(in),
                  in / t.block_values,
                  batch,
                  bias,
                  y.data(),
                  out};
  a.packed_rows = packed_rows;
  if (split && out > 1) {
    const size_t mid = out / 2 + 1;
    fn(a, 0, mid);
    fn(a, mid, out);
  } else {
    fn(a, 0, out);
  }
  return y;
}

// w in kernel k's packed layout (its pack function, as the loader calls it),
// or empty when k reads plain rows. Checks that unpack_row gives every
// packed row's GGUF bytes back; *packed_rows is how many rows were packed.
std::vector<uint8_t> PackFor(const QuantGemmKernel& k, const TypeCase& t,
                             const std::vector<uint8_t>& w, size_t rows,
                             size_t in, size_t* packed_rows, bool* ok) {
  *packed_rows = 0;
  if (k.pack == nullptr) return {};
  const size_t blocks = in / t.block_values;
  const size_t row_bytes = blocks * t.block_bytes;
  std::vector<uint8_t> p(w.size());
  *packed_rows = k.pack(w.data(), rows, blocks, p.data());
  std::vector<uint8_t> row(row_bytes);
  for (size_t r = 0; r < rows; ++r) {
    const uint8_t* want = w.data() + r * row_bytes;
    const uint8_t* got = p.data() + r * row_bytes;
    if (r < *packed_rows) {
      k.unpack_row(p.data(), r, blocks, row.data());
      got = row.data();
    }
    if (std::memcmp(want, got, row_bytes) != 0) {
      std::printf(
          "FAIL %s %s in=%zu rows=%zu: row %zu does not unpack to "
          "its GGUF bytes\n",
          t.name, k.name, in, rows, r);
      *ok = false;
    }
  }
  return p;
}

bool Same(const QuantGemmKernel& k, const TypeCase& t,
          const std::vector<float>& want, const std::vector<float>& got,
          const char* what, size_t in, size_t out, size_t batch, bool bias) {
  for (size_t i = 0; i < want.size(); ++i) {
    if (Bits(got[i]) != Bits(want[i])) {
      std::printf(
          "FAIL %s %s %s in=%zu out=%zu batch=%zu bias=%d b=%zu o=%zu: "
          "%.9g (0x%08x) vs reference %.9g (0x%08x)\n",
          t.name, k.name, what, in, out, batch, bias ? 1 : 0, i / out, i % out,
          got[i], Bits(got[i]), want[i], Bits(want[i]));
      return false;
    }
  }
  return true;
}

// Returns the number of cases compared, or -1 after printing a mismatch. A
// kernel with a packed layout is also run on its packed weights
// (*packed_cases counts the cases with packed rows).
int CompareWithReference(const TypeCase& t, const QuantGemmKernel& k,
                         int* packed_cases) {
  const QuantGemmFn ref = QuantGemmRef(t.type);
  std::mt19937 rng(1234);
  int cases = 0;
  *packed_cases = 0;
  for (size_t in : t.ins) {
    for (size_t out : kOuts) {
      for (size_t batch : kBatches) {
        const auto w = RandomWeights(t, out, in, rng);
        const auto xq = RandomActivations(t, batch, in, rng);
        std::vector<float> bias(out);
        std::normal_distribution<float> n(0.0f, 1.0f);
        for (float& b : bias) b = n(rng);
        for (const float* bp : {static_cast<const float*>(nullptr),
                                static_cast<const float*>(bias.data())}) {
          const auto want = Run(ref, t, w, xq, in, out, batch, bp, false);
          const auto got = Run(k.fn, t, w, xq, in, out, batch, bp, true);
          if (!Same(k, t, want, got, "random", in, out, batch, bp != nullptr)) {
            return -1;
          }
          ++cases;
          size_t packed_rows = 0;
          bool ok = true;
          const auto wp = PackFor(k, t, w, out, in, &packed_rows, &ok);
          if (!ok) return -1;
          if (packed_rows == 0) continue;
          const auto got_p =
              Run(k.fn, t, wp, xq, in, out, batch, bp, true, packed_rows);
          if (!Same(k, t, want, got_p, "packed", in, out, batch,
                    bp != nullptr)) {
            return -1;
          }
          ++cases;
          ++*packed_cases;
        }
      }
    }
  }
  for (size_t batch : {size_t{1}, size_t{3}, size_t{6}}) {
    const size_t in = t.ins.back(), out = 7;
    std::vector<uint8_t> w, xq;
    MakeExtremes(t, out, batch, in, &w, &xq);
    const auto want = Run(ref, t, w, xq, in, out, batch, nullptr, false);
    const auto got = Run(k.fn, t, w, xq, in, out, batch, nullptr, true);
    if (!Same(k, t, want, got, "extremes", in, out, batch, false)) return -1;
    ++cases;
  }
  // The same extremes through whole packed groups (and a plain tail).
  for (size_t batch : {size_t{1}, size_t{3}, size_t{6}}) {
    const size_t in = t.ins.back(), out = 2 * kPackRows + 3;
    std::vector<uint8_t> w, xq;
    MakeExtremes(t, out, batch, in, &w, &xq);
    size_t packed_rows = 0;
    bool ok = true;
    const auto wp = PackFor(k, t, w, out, in, &packed_rows, &ok);
    if (!ok) return -1;
    if (packed_rows == 0) break;
    const auto want = Run(ref, t, w, xq, in, out, batch, nullptr, false);
    const auto got =
        Run(k.fn, t, wp, xq, in, out, batch, nullptr, true, packed_rows);
    if (!Same(k, t, want, got, "packed extremes", in, out, batch, false)) {
      return -1;
    }
    ++cases;
    ++*packed_cases;
  }
  return cases;
}

const QuantGemmKernel* FindKernel(TensorType type, const std::string& name) {
  for (const QuantGemmKernel& k : QuantGemmKernels(type)) {
    if (name == k.name) return &k;
  }
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

int Force(const std::string& name) {
  for (const TypeCase& t : TypeCases()) {
    const QuantGemmKernel* k = FindKernel(t.type, name);
    if (k == nullptr) {
      std::printf("no %s kernel named %s in this build\n", t.name,
                  name.c_str());
      return 2;
    }
    std::printf("forcing %s kernel %s (supported() = %d)\n", t.name, k->name,
                k->supported() ? 1 : 0);
    std::fflush(stdout);
    std::mt19937 rng(5);
    const size_t in = t.ins.front();
    const auto w = RandomWeights(t, 5, in, rng);
    const auto xq = RandomActivations(t, kForceBatch, in, rng);
    Run(k->fn, t, w, xq, in, 5, kForceBatch, nullptr, false);
    std::printf("%s kernel %s ran to completion\n", t.name, k->name);
  }
  return 0;
}

// NAME:TYPE:IN:OUT:BATCH[:packed]; returns 0 after the marked call.
int Count(const std::string& spec) {
  std::vector<std::string> f;
  size_t from = 0;
  for (size_t at; (at = spec.find(':', from)) != std::string::npos;
       from = at + 1) {
    f.push_back(spec.substr(from, at - from));
  }
  f.push_back(spec.substr(from));
  const TypeCase* t = nullptr;
  const bool packed = f.size() == 6 && f[5] == "packed";
  for (const TypeCase& c : TypeCases()) {
    if ((f.size() == 5 || packed) && f[1] == c.name) t = &c;
  }
  if (t == nullptr) {
    std::printf("--count=%s: want NAME:TYPE:IN:OUT:BATCH[:packed]\n",
                spec.c_str());
    return 2;
  }
  const QuantGemmKernel* k = FindKernel(t->type, f[0]);
  const size_t in = std::stoul(f[2]), out = std::stoul(f[3]),
               batch = std::stoul(f[4]);
  if (k == nullptr || in == 0 || in % t->block_values != 0 || out == 0 ||
      batch == 0) {
    std::printf("--count=%s: no such kernel, or a bad shape\n", spec.c_str());
    return 2;
  }
  std::mt19937 rng(7);
  auto w = RandomWeights(*t, out, in, rng);
  const auto xq = RandomActivations(*t, batch, in, rng);
  size_t packed_rows = 0;
  if (packed) {
    bool ok = true;
    auto wp = PackFor(*k, *t, w, out, in, &packed_rows, &ok);
    if (!ok || packed_rows == 0) {
      std::printf("--count=%s: %s packs no rows of this shape\n", spec.c_str(),
                  k->name);
      return 2;
    }
    w = std::move(wp);
  }
  std::vector<float> y(batch * out);
  QuantGemmArgs a{w.data(),
                  in / t->block_values * t->block_bytes,
                  xq.data(),
                  Format(*t).RowBytes(in),
                  in / t->block_values,
                  batch,
                  nullptr,
                  y.data(),
                  out};
  a.packed_rows = packed_rows;
  EdgellmCountBegin();
  k->fn(a, 0, out);
  EdgellmCountEnd();
  std::printf("%s %s in=%zu out=%zu batch=%zu packed_rows=%zu: y[0] = %g\n",
              t->name, k->name, in, out, batch, packed_rows, y[0]);
  return 0;
}

int Main(int argc, char** argv) {
  const std::string arg = argc == 2 ? argv[1] : "";
  const std::string kBest = "--expect-best=", kForce = "--force=";
  PrintHwcaps();
  if (arg.rfind(kForce, 0) == 0) return Force(arg.substr(kForce.size()));
  const std::string kCount = "--count=";
  if (arg.rfind(kCount, 0) == 0) return Count(arg.substr(kCount.size()));
  if (arg.rfind(kBest, 0) != 0) {
    std::printf("usage: %s --expect-best=NAME | --force=NAME | --count=SPEC\n",
                argv[0]);
    return 2;
  }
  const std::string expect = arg.substr(kBest.size());
  bool ok = true;
  for (const TypeCase& t : TypeCases()) {
    if (FindKernel(t.type, expect) == nullptr) {
      std::printf("FAIL no %s kernel named %s in this build\n", t.name,
                  expect.c_str());
      ok = false;
      continue;
    }
    for (const QuantGemmKernel& k : QuantGemmKernels(t.type)) {
      if (std::strcmp(k.name, "ref") == 0) continue;
      if (!k.supported()) {
        std::printf("kernel %s %s: not supported by this CPU, not run\n",
                    t.name, k.name);
        continue;
      }
      int packed_cases = 0;
      const int cases = CompareWithReference(t, k, &packed_cases);
      if (cases < 0) {
        ok = false;
        continue;
      }
      std::printf("kernel %s %s: ran; %d cases bit-identical to ref\n", t.name,
                  k.name, cases);
      if (packed_cases > 0) {
        std::printf("kernel %s %s: packed layout; %d of them packed\n", t.name,
                    k.name, packed_cases);
      }
    }
    const QuantGemmKernel* best = BestQuantGemmKernel(t.type);
    const char* got = best != nullptr ? best->name : "none";
    std::printf("dispatch picks for %s: %s (expected %s)\n", t.name, got,
                expect.c_str());
    if (expect != got) {
      std::printf("FAIL dispatch picked %s for %s, expected %s\n", got, t.name,
                  expect.c_str());
      ok = false;
    }
  }
  std::printf("%s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace edgellm::ops::kernels

int main(int argc, char** argv) {
  return edgellm::ops::kernels::Main(argc, argv);
}
