// Attention over each KV cache type (f32, f16, q8_0) on model shapes: every
// tile kernel this CPU runs (portable, AVX2 or NEON) against the plain
// reference, through contiguous caches and block tables with odd block
// sizes, head_dim 64/80/96/128/256 (and 8, where a Q8_0 block holds four
// heads), GQA ratios 1, 4 and 7, odd context lengths.
//
// Tolerance: |kernel - reference| <= 2e-5 + 2e-5 |reference|. The kernels
// compute the same sums in another order: q.k over 4 or 8 lanes and a tree
// instead of left to right, the softmax online per key block of 64 (a
// running max, partial sums rescaled by exp(m_old - m_new)) with a ~2 ulp
// polynomial exp, V accumulated in that rescaled form. Each output is a
// convex combination of V values (|v| < 6 here), so these reorderings move
// it by a few float ulps of 6 (~1e-6) times log2 of the keys; 2e-5 leaves
// room for that and still catches a wrong, missing or extra key (a shift of
// ~1e-2 and more with peaked rows) or a wrong scale.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>
#include <type_traits>
#include <vector>

#include "gtest/gtest.h"
#include "ops/attention.h"
#include "ops/attention_internal.h"
#include "ops/thread_pool.h"
#include "quant/fp16.h"
#include "quant/q8_0.h"

namespace edgellm::ops {
namespace {

using quant::BlockQ8_0;

[[maybe_unused]] const size_t kSplitEveryCall = SetMinParallelWorkForTesting(0);

template <typename T>
constexpr size_t kUnit = std::is_same_v<T, BlockQ8_0> ? 32 : 1;

// `rows` rows of `row` floats in the cache type T.
template <typename T>
std::vector<T> ToType(const std::vector<float>& x, size_t row) {
  const size_t rows = x.size() / row;
  std::vector<T> y(rows * row / kUnit<T>);
  if constexpr (std::is_same_v<T, float>) {
    y = x;
  } else if constexpr (std::is_same_v<T, uint16_t>) {
    for (size_t i = 0; i < x.size(); ++i) y[i] = quant::Fp32ToFp16(x[i]);
  } else {
    QuantizeKvRowsQ8_0(x.data(), rows, row, y.data());
  }
  return y;
}

// The values the cache holds, decoded independently of ops/.
template <typename T>
std::vector<float> Decoded(const std::vector<T>& y, size_t values) {
  std::vector<float> x(values);
  for (size_t i = 0; i < values; ++i) {
    if constexpr (std::is_same_v<T, float>) {
      x[i] = y[i];
    } else if constexpr (std::is_same_v<T, uint16_t>) {
      x[i] = quant::Fp16ToFp32(y[i]);
    } else {
      x[i] = quant::Fp16ToFp32(y[i / 32].d) * float(y[i / 32].qs[i % 32]);
    }
  }
  return x;
}

template <typename T>
absl::Status RunRef(const AttentionShape& s, const float* q, size_t n,
                    size_t pos0, const KvRows<T>& kv, float* out,
                    std::vector<float>& scratch) {
  if constexpr (std::is_same_v<T, float>) {
    return AttentionRowsRef(s, q, n, pos0, kv, out, scratch.data(),
                            scratch.size());
  } else if constexpr (std::is_same_v<T, uint16_t>) {
    return AttentionRowsF16Ref(s, q, n, pos0, kv, out, scratch.data(),
                               scratch.size());
  } else {
    return AttentionRowsQ8_0Ref(s, q, n, pos0, kv, out, scratch.data(),
                                scratch.size());
  }
}

template <typename T>
absl::Status RunKernel(const attention_internal::AttentionKernel& kernel,
                       const AttentionShape& s, const float* q, size_t n,
                       size_t pos0, const KvRows<T>& kv, float* out,
                       std::vector<float>& scratch, ThreadPool* pool) {
  if constexpr (std::is_same_v<T, float>) {
    return attention_internal::AttentionWithKernel(
        kernel, s, q, n, pos0, kv, out, scratch.data(), scratch.size(), pool);
  } else if constexpr (std::is_same_v<T, uint16_t>) {
    return attention_internal::AttentionF16WithKernel(
        kernel, s, q, n, pos0, kv, out, scratch.data(), scratch.size(), pool);
  } else {
    return attention_internal::AttentionQ8_0WithKernel(
        kernel, s, q, n, pos0, kv, out, scratch.data(), scratch.size(), pool);
  }
}

struct Case {
  size_t n_kv_heads, ratio, head_dim, n_tokens, pos0, block_rows;
};

// Cached positions 0 .. pos0 - 1 in a contiguous cache and in a pool of
// shuffled blocks (keys, then values, then padding per block).
template <typename T>
struct Cache {
  std::vector<T> k, v, new_k, new_v, pool;
  std::vector<float> k_f, v_f, new_k_f, new_v_f;  // the values held
  std::vector<int32_t> table;
  size_t stride = 0;  // units of T per pool block
};

template <typename T>
Cache<T> MakeCache(const Case& c, std::mt19937& rng) {
  const size_t row = c.n_kv_heads * c.head_dim;
  std::normal_distribution<float> nd(0.0f, 1.0f);
  auto random = [&](size_t rows) {
    std::vector<float> x(rows * row);
    for (float& e : x) e = nd(rng);
    return x;
  };
  Cache<T> m;
  const size_t cached = std::max<size_t>(c.pos0, 1);
  m.k = ToType<T>(random(cached), row);
  m.v = ToType<T>(random(cached), row);
  m.new_k = ToType<T>(random(c.n_tokens), row);
  m.new_v = ToType<T>(random(c.n_tokens), row);
  m.k_f = Decoded(m.k, cached * row);
  m.v_f = Decoded(m.v, cached * row);
  m.new_k_f = Decoded(m.new_k, c.n_tokens * row);
  m.new_v_f = Decoded(m.new_v, c.n_tokens * row);
  const size_t units = row / kUnit<T>;
  const size_t n_blocks = (cached + c.block_rows - 1) / c.block_rows;
  const size_t pool_blocks = 2 * n_blocks + 1;
  m.stride = 2 * c.block_rows * units + 3;
  m.pool.assign(pool_blocks * m.stride, T{});
  std::vector<int32_t> ids(pool_blocks);
  std::iota(ids.begin(), ids.end(), 0);
  std::shuffle(ids.begin(), ids.end(), rng);
  m.table.assign(ids.begin(), ids.begin() + n_blocks);
  for (size_t j = 0; j < cached; ++j) {
    T* block = m.pool.data() + m.table[j / c.block_rows] * m.stride;
    const size_t r = j % c.block_rows;
    std::memcpy(block + r * units, &m.k[j * units], units * sizeof(T));
    std::memcpy(block + (c.block_rows + r) * units, &m.v[j * units],
                units * sizeof(T));
  }
  return m;
}

template <typename T>
void CheckCase(const Case& c, ThreadPool* pool, std::mt19937& rng) {
  const size_t row = c.n_kv_heads * c.head_dim;
  const size_t units = row / kUnit<T>;
  AttentionShape s{c.n_kv_heads * c.ratio, c.n_kv_heads, c.head_dim,
                   c.pos0 + c.n_tokens};
  const Cache<T> m = MakeCache<T>(c, rng);
  std::normal_distribution<float> nd(0.0f, 2.0f);  // peaked softmax rows
  std::vector<float> q(c.n_tokens * s.n_heads * c.head_dim);
  for (float& x : q) x = nd(rng);
  const KvRows<T> flat{m.k.data(), m.v.data(), m.new_k.data(), m.new_v.data()};
  KvRows<T> paged{m.pool.data(), m.pool.data() + c.block_rows * units,
                  m.new_k.data(), m.new_v.data()};
  paged.blocks = m.table.data();
  paged.block_rows = c.block_rows;
  paged.block_stride = m.stride;
  std::vector<float> scratch(AttentionScratchFloats(s));
  std::vector<float> ref(q.size()), ref_paged(q.size()), got(q.size()),
      got_paged(q.size());
  ASSERT_TRUE(
      RunRef(s, q.data(), c.n_tokens, c.pos0, flat, ref.data(), scratch).ok());
  ASSERT_TRUE(
      RunRef(s, q.data(), c.n_tokens, c.pos0, paged, ref_paged.data(), scratch)
          .ok());
  ASSERT_EQ(ref, ref_paged) << "reference through the block table";
  if constexpr (!std::is_same_v<T, float>) {
    // f16 / q8_0 are f32 attention on the values they hold (f16: with q
    // rounded to f16 as well), bit for bit.
    std::vector<float> all_k = m.k_f, all_v = m.v_f, qq = q;
    all_k.resize(c.pos0 * row);
    all_v.resize(c.pos0 * row);
    all_k.insert(all_k.end(), m.new_k_f.begin(), m.new_k_f.end());
    all_v.insert(all_v.end(), m.new_v_f.begin(), m.new_v_f.end());
    if constexpr (std::is_same_v<T, uint16_t>) {
      for (float& x : qq) x = quant::Fp16ToFp32(quant::Fp32ToFp16(x));
    }
    std::vector<float> want(q.size());
    ASSERT_TRUE(AttentionRef(s, qq.data(), c.n_tokens, c.pos0, all_k.data(),
                             all_v.data(), want.data(), scratch.data(),
                             scratch.size())
                    .ok());
    ASSERT_EQ(ref, want) << "f32 reference on the decoded values";
  }
  for (const auto* kernel : attention_internal::SupportedAttentionKernels()) {
    SCOPED_TRACE(kernel->name);
    std::fill(got.begin(), got.end(), 1e30f);
    std::fill(got_paged.begin(), got_paged.end(), -1e30f);
    ASSERT_TRUE(RunKernel(*kernel, s, q.data(), c.n_tokens, c.pos0, flat,
                          got.data(), scratch, pool)
                    .ok());
    ASSERT_TRUE(RunKernel(*kernel, s, q.data(), c.n_tokens, c.pos0, paged,
                          got_paged.data(), scratch, pool)
                    .ok());
    ASSERT_EQ(got, got_paged) << "kernel through the block table";
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_NEAR(got[i], ref[i], 2e-5f + 2e-5f * std::fabs(ref[i])) << i;
    }
  }
}

TEST(AttentionKvTypesTest, EveryKernelEqualsReferenceForEveryType) {
  auto pool = std::move(ThreadPool::Create(2)).value();
  std::mt19937 rng(51);
  std::vector<Case> cases;
  const size_t block_rows[] = {1, 3, 5, 7, 16, 17};
  size_t b = 0;
  for (size_t head_dim : {64, 80, 96, 128, 256, 8}) {
    for (size_t ratio : {1, 4, 7}) {
      // Decode after an odd context (several key blocks), a prompt chunk
      // from position 0, a chunk after some context.
      for (auto [n_tokens, pos0] :
           {std::pair<size_t, size_t>{1, 157}, {9, 0}, {3, 65}}) {
        cases.push_back({head_dim == 8 ? 4u : 2u, ratio, head_dim, n_tokens,
                         pos0, block_rows[b++ % 6]});
      }
    }
  }
  for (const Case& c : cases) {
    for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), pool.get()}) {
      SCOPED_TRACE(testing::Message()
                   << "kv_heads=" << c.n_kv_heads << " ratio=" << c.ratio
                   << " head_dim=" << c.head_dim << " n_tokens=" << c.n_tokens
                   << " pos0=" << c.pos0 << " block_rows=" << c.block_rows
                   << " pool=" << (p != nullptr));
      {
        SCOPED_TRACE("f32");
        CheckCase<float>(c, p, rng);
      }
      {
        SCOPED_TRACE("f16");
        CheckCase<uint16_t>(c, p, rng);
      }
      {
        SCOPED_TRACE("q8_0");
        CheckCase<BlockQ8_0>(c, p, rng);
      }
    }
  }
}

// Every kernel's conversions are exact: f16 and Q8_0 (from any value
// offset, so heads that start inside a block) give the decoded floats.
TEST(AttentionKvTypesTest, ConversionsAreExact) {
  std::mt19937 rng(52);
  std::normal_distribution<float> nd(0.0f, 3.0f);
  std::vector<float> x(8 * 32);
  for (float& e : x) e = nd(rng);
  x[5] = 0.0f;
  std::fill(x.begin() + 64, x.begin() + 96, 0.0f);  // an all-zero block
  const std::vector<BlockQ8_0> q8 = ToType<BlockQ8_0>(x, x.size());
  const std::vector<uint16_t> h = ToType<uint16_t>(x, x.size());
  const std::vector<float> q8_want = Decoded(q8, x.size());
  const std::vector<float> h_want = Decoded(h, x.size());
  for (const auto* kernel : attention_internal::SupportedAttentionKernels()) {
    SCOPED_TRACE(kernel->name);
    for (size_t first : {0, 1, 8, 13, 32, 40, 100}) {
      for (size_t n : {1, 7, 8, 24, 64, 97}) {
        if (first + n > x.size()) continue;
        std::vector<float> got(n, -1.0f);
        kernel->q8_0_to_f32(q8.data(), first, n, got.data());
        for (size_t i = 0; i < n; ++i) {
          ASSERT_EQ(got[i], q8_want[first + i]) << first << "+" << i;
        }
        kernel->f16_to_f32(h.data() + first, n, got.data());
        for (size_t i = 0; i < n; ++i) {
          ASSERT_EQ(got[i], h_want[first + i]) << first << "+" << i;
        }
      }
    }
  }
}

// The q8_0 cache's rounding, checked against the rule written out here:
// d = max |x| / 127 stored as fp16, q = x * (127 / max |x|) rounded to the
// nearest integer, ties to even; an all-zero block has d = 0 and q = 0. And
// the documented error bound of quant/q8_0.h holds for the decoded values.
TEST(AttentionKvTypesTest, QuantizeKvRowsFollowsGgmlRounding) {
  std::mt19937 rng(53);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  const size_t row = 96, rows = 5;
  std::vector<float> x(rows * row);
  for (float& e : x) e = nd(rng);
  // A tie: 127 / amax = 1 with amax = 127, and 2.5 -> 2, 3.5 -> 4.
  std::fill(x.begin(), x.begin() + 32, 0.0f);
  x[0] = 127.0f;
  x[1] = 2.5f;
  x[2] = 3.5f;
  x[3] = -2.5f;
  std::fill(x.begin() + 32, x.begin() + 64, 0.0f);  // all zero
  std::vector<BlockQ8_0> y(rows * row / 32);
  QuantizeKvRowsQ8_0(x.data(), rows, row, y.data());
  EXPECT_EQ(y[0].qs[1], 2);
  EXPECT_EQ(y[0].qs[2], 4);
  EXPECT_EQ(y[0].qs[3], -2);
  EXPECT_EQ(y[1].d, 0);
  for (size_t b = 0; b < y.size(); ++b) {
    const float* xb = x.data() + b * 32;
    float amax = 0.0f;
    for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(xb[i]));
    EXPECT_EQ(y[b].d, quant::Fp32ToFp16(amax / 127.0f)) << b;
    const float id = amax == 0.0f ? 0.0f : 127.0f / amax;
    const float d = quant::Fp16ToFp32(y[b].d);
    for (int i = 0; i < 32; ++i) {
      ASSERT_EQ(y[b].qs[i], static_cast<int8_t>(std::nearbyint(xb[i] * id)))
          << b << " " << i;
      ASSERT_LE(
          std::fabs(d * y[b].qs[i] - xb[i]),
          amax * quant::kQ8_0MaxRelativeError + quant::kQ8_0MaxAbsoluteError)
          << b << " " << i;
    }
  }
}

TEST(AttentionKvTypesTest, Q8_0RefusesRowsThatAreNotWholeBlocks) {
  AttentionShape s{2, 2, 8, 4};  // rows of 16 values
  std::vector<float> q(16), out(16), scratch(AttentionScratchFloats(s));
  std::vector<BlockQ8_0> rows(8);
  const KvRows<BlockQ8_0> kv{rows.data(), rows.data(), rows.data(),
                             rows.data()};
  const absl::Status st =
      AttentionRowsQ8_0(s, q.data(), 1, 0, kv, out.data(), scratch.data(),
                        scratch.size(), nullptr);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("16"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace edgellm::ops
