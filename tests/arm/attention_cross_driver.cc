// Self-contained AArch64 check of the NEON attention tile kernel
// (ops/attention_kernel_neon.cc) against the portable one and a plain
// double-precision softmax, cross-compiled statically and run under
// qemu-user by attention_cross_test.sh (no gtest/abseil for arm64 on the
// build box, so a plain main()).
//
// For head_dim 8, 64, 80, 96, 128, 256 and an odd 37, tiles of 1 to 8
// query rows with their own windows and causal limits, several key blocks
// of 64 (the online softmax's rescaling) and a short last block: the
// normalized outputs of both kernels within 2e-5 + 2e-5 |ref| of the double
// reference (float reassociation: lane sums and a tree instead of left to
// right, the online softmax, a ~2 ulp exp; see
// ops/attention_kv_types_test.cc). The f16 and Q8_0 conversions, from every
// offset, bit-identical to the decoded values. Prints "kernel NAME: ran".
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "ops/attention_kernel.h"
#include "quant/fp16.h"
#include "quant/q8_0.h"

namespace edgellm::ops::attention_internal {
namespace {

int failures = 0;

void Fail(const char* what, const char* kernel, size_t d, size_t rows, size_t i,
          double got, double want) {
  if (++failures <= 10) {
    std::printf(
        "FAIL %s kernel %s head_dim %zu rows %zu at %zu: %.9g vs %.9g\n", what,
        kernel, d, rows, i, got, want);
  }
}

// One tile: rows x d queries over n keys (k, v: n x d), row r seeing keys
// [first[r], end[r]).
void CheckTile(const AttentionKernel& kernel, size_t d, size_t rows, size_t n,
               std::mt19937& rng) {
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> q(rows * d), k(n * d), v(n * d);
  for (float& x : q) x = 2.0f * nd(rng);
  for (float& x : k) x = nd(rng);
  for (float& x : v) x = nd(rng);
  std::vector<std::vector<float>> out(rows, std::vector<float>(d, 0.0f));
  std::vector<float> scores(kAttentionTileRows * kAttentionBlockKeys);
  AttentionTile t;
  t.rows = rows;
  t.head_dim = d;
  t.scale = 1.0f / std::sqrt(static_cast<float>(d));
  t.q = q.data();
  t.scores = scores.data();
  for (size_t r = 0; r < rows; ++r) {
    t.out[r] = out[r].data();
    t.n_keys[r] = n - (rows - 1 - r);  // causal: later rows see more
    t.first_key[r] = r % 3 == 1 ? (t.n_keys[r] * 2) / 5 : 0;  // some windows
    t.max[r] = -std::numeric_limits<float>::infinity();
    t.sum[r] = 0.0f;
  }
  const size_t block = std::min<size_t>(kAttentionBlockKeys, 8192 / d);
  for (size_t j0 = 0; j0 < n; j0 += block) {
    const size_t nb = std::min(block, n - j0);
    kernel.block(&t, k.data() + j0 * d, v.data() + j0 * d, d, j0, nb);
  }
  for (size_t r = 0; r < rows; ++r) {
    // Double reference of row r.
    std::vector<double> s(n, 0.0), want(d, 0.0);
    double m = -1e300, sum = 0.0;
    for (size_t j = t.first_key[r]; j < t.n_keys[r]; ++j) {
      double dot = 0.0;
      for (size_t i = 0; i < d; ++i) dot += double{q[r * d + i]} * k[j * d + i];
      s[j] = dot * t.scale;
      m = std::max(m, s[j]);
    }
    for (size_t j = t.first_key[r]; j < t.n_keys[r]; ++j) {
      sum += (s[j] = std::exp(s[j] - m));
    }
    for (size_t j = t.first_key[r]; j < t.n_keys[r]; ++j) {
      for (size_t i = 0; i < d; ++i) want[i] += s[j] / sum * v[j * d + i];
    }
    for (size_t i = 0; i < d; ++i) {
      const double got = out[r][i] / t.sum[r];
      if (!(std::fabs(got - want[i]) <= 2e-5 + 2e-5 * std::fabs(want[i]))) {
        Fail("tile", kernel.name, d, rows, r * d + i, got, want[i]);
      }
    }
  }
}

void CheckConversions(const AttentionKernel& kernel, std::mt19937& rng) {
  std::normal_distribution<float> nd(0.0f, 3.0f);
  const size_t n = 8 * 32;
  std::vector<float> x(n);
  for (float& e : x) e = nd(rng);
  std::fill(x.begin() + 64, x.begin() + 96, 0.0f);  // an all-zero block
  std::vector<uint16_t> h(n);
  for (size_t i = 0; i < n; ++i) h[i] = quant::Fp32ToFp16(x[i]);
  // Q8_0 blocks with random scales and values (the kernel only reads them).
  std::vector<quant::BlockQ8_0> q8(n / 32);
  std::uniform_int_distribution<int> qd(-128, 127);
  for (auto& b : q8) {
    b.d = quant::Fp32ToFp16(std::fabs(nd(rng)) / 127.0f);
    for (int8_t& e : b.qs) e = static_cast<int8_t>(qd(rng));
  }
  q8[2].d = 0;
  for (size_t first : {0, 1, 8, 13, 32, 40, 100}) {
    for (size_t len : {1, 7, 8, 24, 64, 97}) {
      if (first + len > n) continue;
      std::vector<float> got(len);
      kernel.f16_to_f32(h.data() + first, len, got.data());
      for (size_t i = 0; i < len; ++i) {
        const float want = quant::Fp16ToFp32(h[first + i]);
        if (std::memcmp(&got[i], &want, 4) != 0) {
          Fail("f16_to_f32", kernel.name, first, len, i, got[i], want);
        }
      }
      kernel.q8_0_to_f32(q8.data(), first, len, got.data());
      for (size_t i = 0; i < len; ++i) {
        const size_t e = first + i;
        const float want = quant::Fp16ToFp32(q8[e / 32].d) *
                           static_cast<float>(q8[e / 32].qs[e % 32]);
        if (std::memcmp(&got[i], &want, 4) != 0) {
          Fail("q8_0_to_f32", kernel.name, first, len, i, got[i], want);
        }
      }
    }
  }
}

int Main() {
  std::mt19937 rng(61);
  for (const AttentionKernel* kernel :
       {&kAttentionKernelPortable, &kAttentionKernelNeon}) {
    const int before = failures;
    for (size_t d : {8, 64, 80, 96, 128, 256, 37}) {
      for (size_t rows = 1; rows <= kAttentionTileRows; ++rows) {
        for (size_t n : {size_t{8}, size_t{157}, size_t{200}}) {
          CheckTile(*kernel, d, rows, n, rng);
        }
      }
    }
    CheckConversions(*kernel, rng);
    std::printf("kernel %s: ran, %s\n", kernel->name,
                failures == before ? "all equal within tolerance" : "FAILED");
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace edgellm::ops::attention_internal

int main() { return edgellm::ops::attention_internal::Main(); }
