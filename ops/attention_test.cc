#include "ops/attention.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "ops/attention_internal.h"
#include "ops/thread_pool.h"
#include "quant/fp16.h"

namespace edgellm::ops {
namespace {

// Small test shapes must still take the parallel paths on multi-thread pools.
[[maybe_unused]] const size_t kSplitEveryCall = SetMinParallelWorkForTesting(0);

std::vector<float> Random(size_t n, std::mt19937& rng) {
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = nd(rng);
  return v;
}

// Independent double-precision attention.
std::vector<double> Exact(const AttentionShape& s, const std::vector<float>& q,
                          size_t n_tokens, size_t pos0,
                          const std::vector<float>& k,
                          const std::vector<float>& v) {
  const size_t d = s.head_dim, group = s.n_heads / s.n_kv_heads;
  std::vector<double> out(n_tokens * s.n_heads * d, 0.0);
  for (size_t t = 0; t < n_tokens; ++t) {
    for (size_t h = 0; h < s.n_heads; ++h) {
      const size_t g = h / group;
      const size_t n_keys = pos0 + t + 1;
      // The window masks every key more than window - 1 positions back.
      const size_t lo =
          s.window == 0 || n_keys <= s.window ? 0 : n_keys - s.window;
      std::vector<double> sc(n_keys, 0.0);
      double max = -1e300;
      const double scale = s.scale != 0 ? s.scale : 1.0 / std::sqrt(double(d));
      for (size_t j = lo; j < n_keys; ++j) {
        double dot = 0;
        for (size_t i = 0; i < d; ++i) {
          dot += double{q[(t * s.n_heads + h) * d + i]} *
                 k[(j * s.n_kv_heads + g) * d + i];
        }
        sc[j] = dot * scale;
        max = std::max(max, sc[j]);
      }
      double sum = 0;
      for (size_t j = lo; j < n_keys; ++j)
        sum += (sc[j] = std::exp(sc[j] - max));
      for (size_t j = lo; j < n_keys; ++j) {
        for (size_t i = 0; i < d; ++i) {
          out[(t * s.n_heads + h) * d + i] +=
              sc[j] / sum * v[(j * s.n_kv_heads + g) * d + i];
        }
      }
    }
  }
  return out;
}

struct Case {
  size_t n_heads, n_kv_heads, head_dim, n_tokens, pos0;
};
constexpr Case kCases[] = {{1, 1, 1, 1, 0},   {6, 2, 5, 3, 7},
                           {6, 3, 16, 1, 40}, {6, 6, 64, 4, 0},
                           {4, 1, 33, 2, 17}, {8, 2, 128, 1, 100}};

TEST(AttentionTest, F32ReferenceAndFastMatchDoubleMath) {
  auto pool = std::move(ThreadPool::Create(2)).value();
  std::mt19937 rng(20);
  for (const Case& c : kCases) {
    AttentionShape s{c.n_heads, c.n_kv_heads, c.head_dim,
                     c.pos0 + c.n_tokens + 3};
    const auto q = Random(c.n_tokens * c.n_heads * c.head_dim, rng);
    const auto k = Random(s.n_ctx * c.n_kv_heads * c.head_dim, rng);
    const auto v = Random(s.n_ctx * c.n_kv_heads * c.head_dim, rng);
    std::vector<float> scratch(AttentionScratchFloats(s));
    std::vector<float> a(q.size()), b(q.size());
    ASSERT_TRUE(AttentionRef(s, q.data(), c.n_tokens, c.pos0, k.data(),
                             v.data(), a.data(), scratch.data(), scratch.size())
                    .ok());
    ASSERT_TRUE(Attention(s, q.data(), c.n_tokens, c.pos0, k.data(), v.data(),
                          b.data(), scratch.data(), scratch.size(), pool.get())
                    .ok());
    const auto want = Exact(s, q, c.n_tokens, c.pos0, k, v);
    for (size_t i = 0; i < want.size(); ++i) {
      ASSERT_NEAR(a[i], want[i], 2e-5) << "head_dim=" << c.head_dim << " " << i;
      ASSERT_NEAR(b[i], want[i], 2e-5) << "head_dim=" << c.head_dim << " " << i;
    }
  }
}

TEST(AttentionTest, F16CacheMatchesDoubleMathOnRoundedValues) {
  auto pool = std::move(ThreadPool::Create(2)).value();
  std::mt19937 rng(21);
  for (const Case& c : kCases) {
    AttentionShape s{c.n_heads, c.n_kv_heads, c.head_dim, c.pos0 + c.n_tokens};
    auto q = Random(c.n_tokens * c.n_heads * c.head_dim, rng);
    auto k = Random(s.n_ctx * c.n_kv_heads * c.head_dim, rng);
    auto v = Random(s.n_ctx * c.n_kv_heads * c.head_dim, rng);
    std::vector<uint16_t> k16(k.size()), v16(v.size());
    for (size_t i = 0; i < k.size(); ++i) {
      k16[i] = quant::Fp32ToFp16(k[i]);
      v16[i] = quant::Fp32ToFp16(v[i]);
      k[i] = quant::Fp16ToFp32(k16[i]);
      v[i] = quant::Fp16ToFp32(v16[i]);
    }
    std::vector<float> scratch(AttentionScratchFloats(s));
    std::vector<float> a(q.size()), b(q.size());
    ASSERT_TRUE(AttentionF16Ref(s, q.data(), c.n_tokens, c.pos0, k16.data(),
                                v16.data(), a.data(), scratch.data(),
                                scratch.size())
                    .ok());
    ASSERT_TRUE(AttentionF16(s, q.data(), c.n_tokens, c.pos0, k16.data(),
                             v16.data(), b.data(), scratch.data(),
                             scratch.size(), pool.get())
                    .ok());
    for (float& x : q) x = quant::Fp16ToFp32(quant::Fp32ToFp16(x));
    const auto want = Exact(s, q, c.n_tokens, c.pos0, k, v);
    for (size_t i = 0; i < want.size(); ++i) {
      ASSERT_NEAR(a[i], want[i], 2e-5) << i;
      ASSERT_NEAR(b[i], want[i], 2e-5) << i;
    }
  }
}

// Every tile kernel this CPU runs (not only the one Attention picks) against
// double math and the reference, on the shapes of real models (head_dim 64,
// 80, 128; GQA ratios 1, 4, 8), a prompt chunk that does not fill a tile
// (7), one spanning several (33), decode (1), with and without earlier
// context (100 keys: more than one key block), f32 and f16 caches. q is
// scaled up so softmax rows are peaked and the running max changes between
// key blocks.
TEST(AttentionTest, EveryKernelMatchesReferenceOnModelShapes) {
  auto pool = std::move(ThreadPool::Create(2)).value();
  std::mt19937 rng(23);
  const auto kernels = attention_internal::SupportedAttentionKernels();
  for (const attention_internal::AttentionKernel* kernel : kernels) {
    for (size_t head_dim : {64, 80, 128}) {
      for (size_t ratio : {1, 4, 8}) {
        for (size_t n_tokens : {1, 7, 33}) {
          for (size_t pos0 : {0, 100}) {
            for (bool f16 : {false, true}) {
              SCOPED_TRACE(testing::Message()
                           << kernel->name << " head_dim=" << head_dim
                           << " ratio=" << ratio << " n_tokens=" << n_tokens
                           << " pos0=" << pos0 << " f16=" << f16);
              AttentionShape s{2 * ratio, 2, head_dim, pos0 + n_tokens + 2};
              auto q = Random(n_tokens * s.n_heads * head_dim, rng);
              for (float& x : q) x *= 2.0f;
              auto k = Random(s.n_ctx * s.n_kv_heads * head_dim, rng);
              auto v = Random(s.n_ctx * s.n_kv_heads * head_dim, rng);
              std::vector<uint16_t> k16(k.size()), v16(v.size());
              for (size_t i = 0; i < k.size(); ++i) {
                k16[i] = quant::Fp32ToFp16(k[i]);
                v16[i] = quant::Fp32ToFp16(v[i]);
                if (f16) {
                  k[i] = quant::Fp16ToFp32(k16[i]);
                  v[i] = quant::Fp16ToFp32(v16[i]);
                }
              }
              std::vector<float> scratch(AttentionScratchFloats(s));
              std::vector<float> ref(q.size()), got(q.size());
              // Serial and on the pool (different tilings).
              for (ThreadPool* p :
                   {static_cast<ThreadPool*>(nullptr), pool.get()}) {
                std::fill(got.begin(), got.end(), 1e30f);
                if (f16) {
                  ASSERT_TRUE(AttentionF16Ref(s, q.data(), n_tokens, pos0,
                                              k16.data(), v16.data(),
                                              ref.data(), scratch.data(),
                                              scratch.size())
                                  .ok());
                  const size_t row = s.n_kv_heads * head_dim;
                  ASSERT_TRUE(
                      attention_internal::AttentionF16WithKernel(
                          *kernel, s, q.data(), n_tokens, pos0,
                          {k16.data(), v16.data(), k16.data() + pos0 * row,
                           v16.data() + pos0 * row},
                          got.data(), scratch.data(), scratch.size(), p)
                          .ok());
                } else {
                  ASSERT_TRUE(AttentionRef(s, q.data(), n_tokens, pos0,
                                           k.data(), v.data(), ref.data(),
                                           scratch.data(), scratch.size())
                                  .ok());
                  const size_t row = s.n_kv_heads * head_dim;
                  ASSERT_TRUE(attention_internal::AttentionWithKernel(
                                  *kernel, s, q.data(), n_tokens, pos0,
                                  {k.data(), v.data(), k.data() + pos0 * row,
                                   v.data() + pos0 * row},
                                  got.data(), scratch.data(), scratch.size(), p)
                                  .ok());
                }
                auto qe = q;
                if (f16) {
                  for (float& x : qe) {
                    x = quant::Fp16ToFp32(quant::Fp32ToFp16(x));
                  }
                }
                const auto want = Exact(s, qe, n_tokens, pos0, k, v);
                for (size_t i = 0; i < want.size(); ++i) {
                  ASSERT_NEAR(got[i], want[i], 2e-5) << i;
                  ASSERT_NEAR(ref[i], want[i], 2e-5) << i;
                }
              }
            }
          }
        }
      }
    }
  }
}

// Sliding-window attention over a ring of cached rows, against full
// attention with a window mask: a sequence of 230 positions decoded in
// chunks of 1 to 9 tokens (prompt chunks and single steps), the cache a
// ring of only as many rows as the window needs, so it wraps around many
// times. Each chunk's keys are passed as new rows and stored into the ring
// afterwards, as the transformer does. Every kernel, f32 and f16, windows
// from 1 to past the sequence, rings of window - 1 (the minimum) and more.
TEST(AttentionTest, WindowedRingEqualsMaskedFullAttention) {
  auto pool = std::move(ThreadPool::Create(2)).value();
  std::mt19937 rng(31);
  const size_t kPositions = 230, kHeads = 4, kKvHeads = 2, kDim = 24;
  const size_t row = kKvHeads * kDim;
  // The whole sequence's q, k, v (what a model would produce).
  auto q_all = Random(kPositions * kHeads * kDim, rng);
  for (float& x : q_all) x *= 2.0f;
  auto k_all = Random(kPositions * row, rng);
  auto v_all = Random(kPositions * row, rng);
  std::vector<uint16_t> k16_all(k_all.size()), v16_all(v_all.size());
  for (size_t i = 0; i < k_all.size(); ++i) {
    k16_all[i] = quant::Fp32ToFp16(k_all[i]);
    v16_all[i] = quant::Fp32ToFp16(v_all[i]);
  }
  for (const auto* kernel : attention_internal::SupportedAttentionKernels()) {
    for (auto [window, ring] : {std::pair<size_t, size_t>{1, 1},
                                {5, 4},
                                {16, 16},
                                {16, 40},
                                {70, 69},
                                {300, 230}}) {
      for (bool f16 : {false, true}) {
        SCOPED_TRACE(testing::Message() << kernel->name << " window=" << window
                                        << " ring=" << ring << " f16=" << f16);
        AttentionShape s{kHeads, kKvHeads, kDim, ring, window};
        AttentionShape full = s;
        full.n_ctx = kPositions;
        std::vector<float> ring_k(ring * row), ring_v(ring * row);
        std::vector<uint16_t> ring_k16(ring * row), ring_v16(ring * row);
        std::vector<float> scratch(AttentionScratchFloats(full));
        size_t pos0 = 0;
        while (pos0 < kPositions) {
          const size_t n = std::min<size_t>(kPositions - pos0, 1 + rng() % 9);
          const float* q = q_all.data() + pos0 * kHeads * kDim;
          std::vector<float> got(n * kHeads * kDim), ref(got.size());
          if (f16) {
            const uint16_t* nk = k16_all.data() + pos0 * row;
            const uint16_t* nv = v16_all.data() + pos0 * row;
            ASSERT_TRUE(attention_internal::AttentionF16WithKernel(
                            *kernel, s, q, n, pos0,
                            {ring_k16.data(), ring_v16.data(), nk, nv},
                            got.data(), scratch.data(), scratch.size(),
                            pool.get())
                            .ok());
            // The reference on the whole sequence as one contiguous cache.
            ASSERT_TRUE(AttentionF16Ref(full, q, n, pos0, k16_all.data(),
                                        v16_all.data(), ref.data(),
                                        scratch.data(), scratch.size())
                            .ok());
            for (size_t t = 0; t < n; ++t) {
              const size_t r = (pos0 + t) % ring;
              std::memcpy(&ring_k16[r * row], nk + t * row, row * 2);
              std::memcpy(&ring_v16[r * row], nv + t * row, row * 2);
            }
          } else {
            const float* nk = k_all.data() + pos0 * row;
            const float* nv = v_all.data() + pos0 * row;
            ASSERT_TRUE(attention_internal::AttentionWithKernel(
                            *kernel, s, q, n, pos0,
                            {ring_k.data(), ring_v.data(), nk, nv}, got.data(),
                            scratch.data(), scratch.size(), pool.get())
                            .ok());
            ASSERT_TRUE(AttentionRef(full, q, n, pos0, k_all.data(),
                                     v_all.data(), ref.data(), scratch.data(),
                                     scratch.size())
                            .ok());
            const auto want = Exact(full, std::vector<float>(q, q + got.size()),
                                    n, pos0, k_all, v_all);
            for (size_t i = 0; i < want.size(); ++i) {
              ASSERT_NEAR(ref[i], want[i], 2e-5) << "pos0=" << pos0;
            }
            for (size_t t = 0; t < n; ++t) {
              const size_t r = (pos0 + t) % ring;
              std::memcpy(&ring_k[r * row], nk + t * row, row * 4);
              std::memcpy(&ring_v[r * row], nv + t * row, row * 4);
            }
          }
          for (size_t i = 0; i < got.size(); ++i) {
            ASSERT_NEAR(got[i], ref[i], 2e-5) << "pos0=" << pos0 << " i=" << i;
          }
          pos0 += n;
        }
      }
    }
  }
}

// The reference over a ring with new rows equals the reference over a full
// cache bit for bit (the same keys in the same order), and a window wider
// than the sequence is no window at all.
TEST(AttentionTest, RingReferenceEqualsFullReference) {
  std::mt19937 rng(37);
  const size_t row = 2 * 8, n_pos = 50, window = 7;
  auto q = Random(3 * 4 * 8, rng);
  auto k = Random(n_pos * row, rng), v = Random(n_pos * row, rng);
  const size_t pos0 = 40;
  AttentionShape full{4, 2, 8, n_pos, window};
  AttentionShape ring_shape = full;
  ring_shape.n_ctx = window - 1;
  std::vector<float> ring_k(ring_shape.n_ctx * row), ring_v(ring_k.size());
  for (size_t p = pos0 - (window - 1); p < pos0; ++p) {
    const size_t r = p % ring_shape.n_ctx;
    std::copy_n(&k[p * row], row, &ring_k[r * row]);
    std::copy_n(&v[p * row], row, &ring_v[r * row]);
  }
  std::vector<float> scratch(AttentionScratchFloats(full)), a(q.size()),
      b(q.size());
  ASSERT_TRUE(AttentionRef(full, q.data(), 3, pos0, k.data(), v.data(),
                           a.data(), scratch.data(), scratch.size())
                  .ok());
  ASSERT_TRUE(AttentionRowsRef(ring_shape, q.data(), 3, pos0,
                               {ring_k.data(), ring_v.data(), &k[pos0 * row],
                                &v[pos0 * row]},
                               b.data(), scratch.data(), scratch.size())
                  .ok());
  EXPECT_EQ(a, b);
  // A ring one row too small for the window is refused.
  ring_shape.n_ctx = window - 2;
  EXPECT_EQ(AttentionRowsRef(
                ring_shape, q.data(), 3, pos0,
                {ring_k.data(), ring_v.data(), &k[pos0 * row], &v[pos0 * row]},
                b.data(), scratch.data(), scratch.size())
                .code(),
            absl::StatusCode::kInvalidArgument);
  // Window 0 and a window past every position agree.
  AttentionShape wide = full;
  wide.window = 1000;
  full.window = 0;
  ASSERT_TRUE(AttentionRef(full, q.data(), 3, pos0, k.data(), v.data(),
                           a.data(), scratch.data(), scratch.size())
                  .ok());
  ASSERT_TRUE(AttentionRef(wide, q.data(), 3, pos0, k.data(), v.data(),
                           b.data(), scratch.data(), scratch.size())
                  .ok());
  EXPECT_EQ(a, b);
}

TEST(AttentionTest, CausalFutureRowsAreIgnored) {
  std::mt19937 rng(22);
  AttentionShape s{2, 1, 8, 10};
  const auto q = Random(3 * 2 * 8, rng);
  auto k = Random(10 * 8, rng), v = Random(10 * 8, rng);
  std::vector<float> scratch(AttentionScratchFloats(s)), a(q.size()),
      b(q.size());
  ASSERT_TRUE(Attention(s, q.data(), 3, 2, k.data(), v.data(), a.data(),
                        scratch.data(), scratch.size(), nullptr)
                  .ok());
  // Rows 5.. are beyond the last token (position 4): garbage there changes
  // nothing.
  for (size_t i = 5 * 8; i < k.size(); ++i) k[i] = v[i] = 1e6f;
  ASSERT_TRUE(Attention(s, q.data(), 3, 2, k.data(), v.data(), b.data(),
                        scratch.data(), scratch.size(), nullptr)
                  .ok());
  EXPECT_EQ(a, b);
}

TEST(AttentionTest, RejectsBadArguments) {
  AttentionShape s{6, 4, 8, 4};
  std::vector<float> buf(1000);
  EXPECT_EQ(Attention(s, buf.data(), 1, 0, buf.data(), buf.data(), buf.data(),
                      buf.data(), buf.size(), nullptr)
                .code(),
            absl::StatusCode::kInvalidArgument);  // 4 does not divide 6
  s.n_kv_heads = 2;
  EXPECT_EQ(Attention(s, buf.data(), 2, 3, buf.data(), buf.data(), buf.data(),
                      buf.data(), buf.size(), nullptr)
                .code(),
            absl::StatusCode::kInvalidArgument);  // position 4 >= n_ctx
  EXPECT_EQ(Attention(s, buf.data(), 1, 0, buf.data(), buf.data(), buf.data(),
                      buf.data(), 3, nullptr)
                .code(),
            absl::StatusCode::kInvalidArgument);  // scratch too small
}

// Independent double-precision bidirectional attention over one sequence of
// `len` rows starting at row `start`.
std::vector<double> ExactBidirectional(const AttentionShape& s,
                                       const std::vector<float>& q,
                                       const std::vector<float>& k,
                                       const std::vector<float>& v,
                                       size_t start, size_t len) {
  const size_t d = s.head_dim, group = s.n_heads / s.n_kv_heads;
  std::vector<double> out(len * s.n_heads * d, 0.0);
  for (size_t t = 0; t < len; ++t) {
    for (size_t h = 0; h < s.n_heads; ++h) {
      const size_t g = h / group;
      std::vector<double> sc(len);
      double max = -1e300;
      for (size_t j = 0; j < len; ++j) {
        double dot = 0;
        for (size_t i = 0; i < d; ++i) {
          dot += double{q[((start + t) * s.n_heads + h) * d + i]} *
                 k[((start + j) * s.n_kv_heads + g) * d + i];
        }
        sc[j] = dot / std::sqrt(double(d));
        max = std::max(max, sc[j]);
      }
      double sum = 0;
      for (double& x : sc) sum += (x = std::exp(x - max));
      for (size_t j = 0; j < len; ++j) {
        for (size_t i = 0; i < d; ++i) {
          out[(t * s.n_heads + h) * d + i] +=
              sc[j] / sum * v[((start + j) * s.n_kv_heads + g) * d + i];
        }
      }
    }
  }
  return out;
}

// Packed sequences of odd lengths (an empty one, one row, several key
// blocks: 70 > 64) on BERT / nomic-bert / GQA shapes and odd head sizes:
// the reference and every kernel (serial and on the pool) against double
// math per sequence. q is scaled up so softmax rows are peaked.
TEST(AttentionTest, BidirectionalPackedMatchesDoubleMath) {
  auto pool = std::move(ThreadPool::Create(2)).value();
  std::mt19937 rng(24);
  struct Shape {
    size_t n_heads, n_kv_heads, head_dim;
  };
  const Shape shapes[] = {
      {4, 4, 32}, {2, 2, 64}, {12, 12, 32}, {6, 2, 5}, {3, 1, 33}};
  const std::vector<size_t> lengths = {5, 1, 0, 17, 70, 16, 2};
  std::vector<size_t> starts = {0};
  for (size_t len : lengths) starts.push_back(starts.back() + len);
  const size_t rows = starts.back();
  for (const Shape& sh : shapes) {
    AttentionShape s{sh.n_heads, sh.n_kv_heads, sh.head_dim, 70};
    auto q = Random(rows * s.n_heads * s.head_dim, rng);
    for (float& x : q) x *= 2.0f;
    const auto k = Random(rows * s.n_kv_heads * s.head_dim, rng);
    const auto v = Random(rows * s.n_kv_heads * s.head_dim, rng);
    std::vector<float> scratch(AttentionScratchFloats(s)), ref(q.size());
    ASSERT_TRUE(BidirectionalAttentionRef(s, q.data(), k.data(), v.data(),
                                          starts, ref.data(), scratch.data(),
                                          scratch.size())
                    .ok());
    std::vector<std::vector<float>> got;
    for (const auto* kernel : attention_internal::SupportedAttentionKernels()) {
      for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), pool.get()}) {
        got.emplace_back(q.size(), 1e30f);
        ASSERT_TRUE(attention_internal::BidirectionalAttentionWithKernel(
                        *kernel, s, q.data(), k.data(), v.data(), starts,
                        got.back().data(), p)
                        .ok());
      }
    }
    got.emplace_back(q.size(), 1e30f);
    ASSERT_TRUE(BidirectionalAttention(s, q.data(), k.data(), v.data(), starts,
                                       got.back().data(), pool.get())
                    .ok());
    const size_t q_row = s.n_heads * s.head_dim;
    for (size_t seq = 0; seq < lengths.size(); ++seq) {
      const auto want =
          ExactBidirectional(s, q, k, v, starts[seq], lengths[seq]);
      for (size_t i = 0; i < want.size(); ++i) {
        const size_t at = starts[seq] * q_row + i;
        ASSERT_NEAR(ref[at], want[i], 2e-5)
            << "heads=" << s.n_heads << " seq=" << seq << " i=" << i;
        for (const auto& g : got) {
          ASSERT_NEAR(g[at], want[i], 2e-5)
              << "heads=" << s.n_heads << " seq=" << seq << " i=" << i;
        }
      }
    }
  }
}

// The mask is block-diagonal and not causal: changing one sequence's K/V
// changes every row of that sequence (the first row too, which a causal mask
// would hide from later keys) and no row of the others.
TEST(AttentionTest, BidirectionalSequencesSeeOnlyThemselves) {
  std::mt19937 rng(25);
  AttentionShape s{2, 2, 8, 10};
  const std::vector<size_t> starts = {0, 4, 10};
  const auto q = Random(10 * 16, rng);
  auto k = Random(10 * 16, rng), v = Random(10 * 16, rng);
  std::vector<float> a(q.size()), b(q.size());
  ASSERT_TRUE(BidirectionalAttention(s, q.data(), k.data(), v.data(), starts,
                                     a.data(), nullptr)
                  .ok());
  // The last key/value row of sequence 1 (row 9).
  for (size_t i = 9 * 16; i < 10 * 16; ++i) k[i] = v[i] = 3.0f;
  ASSERT_TRUE(BidirectionalAttention(s, q.data(), k.data(), v.data(), starts,
                                     b.data(), nullptr)
                  .ok());
  for (size_t i = 0; i < 4 * 16; ++i) ASSERT_EQ(a[i], b[i]) << i;
  for (size_t row = 4; row < 10; ++row) {
    bool changed = false;
    for (size_t i = 0; i < 16; ++i)
      changed |= a[row * 16 + i] != b[row * 16 + i];
    EXPECT_TRUE(changed) << "row " << row;
  }
}

TEST(AttentionTest, BidirectionalRejectsBadSequences) {
  AttentionShape s{2, 2, 8, 4};
  std::vector<float> buf(1000);
  const std::vector<size_t> decreasing = {0, 3, 2};
  const std::vector<size_t> too_long = {0, 5};
  for (const auto& starts : {decreasing, too_long, std::vector<size_t>{}}) {
    EXPECT_EQ(BidirectionalAttention(s, buf.data(), buf.data(), buf.data(),
                                     starts, buf.data(), nullptr)
                  .code(),
              absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(
        BidirectionalAttentionRef(s, buf.data(), buf.data(), buf.data(), starts,
                                  buf.data(), buf.data(), buf.size())
            .code(),
        absl::StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace edgellm::ops
