// Attention through a block table (KvRows::blocks) against the same rows in
// one contiguous cache: bit for bit, for the reference and every kernel this
// CPU runs, f32 and f16, odd shapes, block sizes that do and do not divide
// the positions, with and without a window.
#include <algorithm>
#include <cstring>
#include <numeric>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "ops/attention.h"
#include "ops/attention_internal.h"
#include "ops/thread_pool.h"
#include "quant/fp16.h"

namespace edgellm::ops {
namespace {

[[maybe_unused]] const size_t kSplitEveryCall = SetMinParallelWorkForTesting(0);

template <typename T>
T FromFloat(float x) {
  if constexpr (std::is_same_v<T, float>) {
    return x;
  } else {
    return quant::Fp32ToFp16(x);
  }
}

struct Case {
  size_t n_heads, n_kv_heads, head_dim, n_tokens, pos0, block_rows, window;
};
constexpr Case kCases[] = {{1, 1, 1, 1, 0, 1, 0},     {6, 2, 5, 3, 7, 3, 0},
                           {6, 3, 16, 1, 40, 16, 0},  {4, 1, 33, 2, 17, 16, 0},
                           {8, 2, 64, 9, 100, 7, 0},  {2, 2, 80, 1, 129, 32, 0},
                           {4, 2, 24, 5, 60, 16, 9},  {4, 4, 7, 33, 31, 4, 0},
                           {8, 2, 128, 1, 255, 16, 0}};

// The cache rows of positions 0 .. pos0 - 1 laid out in both forms: a
// contiguous [n_ctx][row] array and a pool of blocks (keys then values per
// block, as runtime/model/kv_cache.h lays them out, plus padding) in a
// shuffled order with unused blocks between.
template <typename T>
struct Layouts {
  std::vector<T> k, v;  // contiguous
  std::vector<T> pool;
  std::vector<int32_t> table;
  size_t stride = 0;
};

template <typename T>
Layouts<T> Lay(const Case& c, size_t n_ctx, std::mt19937& rng) {
  const size_t row = c.n_kv_heads * c.head_dim;
  std::normal_distribution<float> nd(0.0f, 1.0f);
  Layouts<T> l;
  l.k.resize(n_ctx * row);
  l.v.resize(n_ctx * row);
  for (size_t i = 0; i < l.k.size(); ++i) {
    l.k[i] = FromFloat<T>(nd(rng));
    l.v[i] = FromFloat<T>(nd(rng));
  }
  const size_t n_blocks = (n_ctx + c.block_rows - 1) / c.block_rows;
  const size_t pool_blocks = 2 * n_blocks + 1;
  l.stride = 2 * c.block_rows * row + 3;
  l.pool.assign(pool_blocks * l.stride, FromFloat<T>(1e4f));
  std::vector<int32_t> ids(pool_blocks);
  std::iota(ids.begin(), ids.end(), 0);
  std::shuffle(ids.begin(), ids.end(), rng);
  l.table.assign(ids.begin(), ids.begin() + n_blocks);
  for (size_t j = 0; j < n_ctx; ++j) {
    T* block = l.pool.data() + l.table[j / c.block_rows] * l.stride;
    const size_t r = j % c.block_rows;
    std::memcpy(block + r * row, &l.k[j * row], row * sizeof(T));
    std::memcpy(block + (c.block_rows + r) * row, &l.v[j * row],
                row * sizeof(T));
  }
  return l;
}

template <typename T>
void CheckCase(const Case& c, ThreadPool* pool, std::mt19937& rng) {
  const size_t row = c.n_kv_heads * c.head_dim;
  AttentionShape s{c.n_heads, c.n_kv_heads, c.head_dim, c.pos0 + c.n_tokens + 2,
                   c.window};
  const Layouts<T> l = Lay<T>(c, s.n_ctx, rng);
  std::normal_distribution<float> nd(0.0f, 2.0f);
  std::vector<float> q(c.n_tokens * c.n_heads * c.head_dim);
  for (float& x : q) x = nd(rng);
  std::vector<T> new_k(c.n_tokens * row), new_v(c.n_tokens * row);
  for (size_t i = 0; i < new_k.size(); ++i) {
    new_k[i] = FromFloat<T>(nd(rng));
    new_v[i] = FromFloat<T>(nd(rng));
  }
  const KvRows<T> flat{l.k.data(), l.v.data(), new_k.data(), new_v.data()};
  KvRows<T> paged{l.pool.data(), l.pool.data() + c.block_rows * row,
                  new_k.data(), new_v.data()};
  paged.blocks = l.table.data();
  paged.block_rows = c.block_rows;
  paged.block_stride = l.stride;
  std::vector<float> scratch(AttentionScratchFloats(s));
  std::vector<float> want(q.size()), got(q.size());
  auto run_ref = [&](const KvRows<T>& kv, float* out) {
    if constexpr (std::is_same_v<T, float>) {
      return AttentionRowsRef(s, q.data(), c.n_tokens, c.pos0, kv, out,
                              scratch.data(), scratch.size());
    } else {
      return AttentionRowsF16Ref(s, q.data(), c.n_tokens, c.pos0, kv, out,
                                 scratch.data(), scratch.size());
    }
  };
  ASSERT_TRUE(run_ref(flat, want.data()).ok());
  ASSERT_TRUE(run_ref(paged, got.data()).ok());
  ASSERT_EQ(0, std::memcmp(want.data(), got.data(), got.size() * 4))
      << "reference";
  for (const auto* kernel : attention_internal::SupportedAttentionKernels()) {
    auto run = [&](const KvRows<T>& kv, float* out) {
      if constexpr (std::is_same_v<T, float>) {
        return attention_internal::AttentionWithKernel(
            *kernel, s, q.data(), c.n_tokens, c.pos0, kv, out, scratch.data(),
            scratch.size(), pool);
      } else {
        return attention_internal::AttentionF16WithKernel(
            *kernel, s, q.data(), c.n_tokens, c.pos0, kv, out, scratch.data(),
            scratch.size(), pool);
      }
    };
    std::fill(want.begin(), want.end(), 1e30f);
    std::fill(got.begin(), got.end(), -1e30f);
    ASSERT_TRUE(run(flat, want.data()).ok());
    ASSERT_TRUE(run(paged, got.data()).ok());
    ASSERT_EQ(0, std::memcmp(want.data(), got.data(), got.size() * 4))
        << kernel->name;
  }
}

TEST(AttentionPagedTest, BlockTableEqualsContiguousBitForBit) {
  auto pool = std::move(ThreadPool::Create(2)).value();
  std::mt19937 rng(41);
  for (const Case& c : kCases) {
    for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), pool.get()}) {
      SCOPED_TRACE(testing::Message()
                   << "heads=" << c.n_heads << "/" << c.n_kv_heads
                   << " head_dim=" << c.head_dim << " n_tokens=" << c.n_tokens
                   << " pos0=" << c.pos0 << " block_rows=" << c.block_rows
                   << " window=" << c.window << " pool=" << (p != nullptr));
      CheckCase<float>(c, p, rng);
      CheckCase<uint16_t>(c, p, rng);
    }
  }
}

TEST(AttentionPagedTest, RejectsABadBlockLayout) {
  AttentionShape s{2, 1, 4, 8};
  std::vector<float> q(2 * 4), rows(64), out(q.size()),
      scratch(AttentionScratchFloats(s));
  const int32_t table[] = {0, 1};
  KvRows<float> kv{rows.data(), rows.data(), rows.data(), rows.data()};
  kv.blocks = table;
  kv.block_rows = 0;
  kv.block_stride = 8;
  EXPECT_EQ(AttentionRows(s, q.data(), 1, 3, kv, out.data(), scratch.data(),
                          scratch.size(), nullptr)
                .code(),
            absl::StatusCode::kInvalidArgument);
  kv.block_rows = 4;
  kv.block_stride = 15;  // < 4 rows of 4
  EXPECT_EQ(AttentionRows(s, q.data(), 1, 3, kv, out.data(), scratch.data(),
                          scratch.size(), nullptr)
                .code(),
            absl::StatusCode::kInvalidArgument);
  kv.block_stride = 16;
  EXPECT_TRUE(AttentionRows(s, q.data(), 1, 3, kv, out.data(), scratch.data(),
                            scratch.size(), nullptr)
                  .ok());
}

}  // namespace
}  // namespace edgellm::ops
