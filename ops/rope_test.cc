#include "ops/rope.h"

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "ops/thread_pool.h"

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

// Independent double-precision rotation of one head.
void RotateDouble(const RopeConfig& c, double p, const float* in, double* out) {
  for (size_t i = 0; i < c.head_dim; ++i) out[i] = in[i];
  const size_t half = c.rot_dims / 2;
  for (size_t i = 0; i < half; ++i) {
    double theta = p * std::pow(double{c.freq_base}, -2.0 * i / c.rot_dims);
    if (c.freq_factors != nullptr) theta /= c.freq_factors[i];
    theta *= c.freq_scale;
    const double m = c.attn_factor;
    const size_t a = c.layout == RopeLayout::kNormal ? 2 * i : i;
    const size_t b = c.layout == RopeLayout::kNormal ? 2 * i + 1 : i + half;
    out[a] = m * (in[a] * std::cos(theta) - in[b] * std::sin(theta));
    out[b] = m * (in[a] * std::sin(theta) + in[b] * std::cos(theta));
  }
}

TEST(RopeTest, MatchesDoubleMathAndFastIsIdentical) {
  auto pool = std::move(ThreadPool::Create(2)).value();
  std::mt19937 rng(10);
  const auto factors = Llama3RopeFreqFactors(64, 500000.0f, 8, 1, 4, 8192);
  for (RopeLayout layout : {RopeLayout::kNormal, RopeLayout::kNeox}) {
    for (auto [head_dim, rot_dims] :
         {std::pair<size_t, size_t>{2, 2}, {6, 4}, {64, 64}, {80, 32}}) {
      for (auto [llama3, scaled] : {std::pair{false, false},
                                    {true, false},
                                    {false, true},
                                    {true, true}}) {
        if (llama3 && rot_dims != 64) continue;
        RopeConfig c;
        // Linear interpolation (Gemma 3's global layers) and LongRoPE's
        // magnitude factor (Phi-4-mini's attn_factor).
        c.freq_scale = scaled ? 0.125f : 1.0f;
        c.attn_factor = scaled ? 1.1902381f : 1.0f;
        c.head_dim = head_dim;
        c.rot_dims = rot_dims;
        c.freq_base = llama3 ? 500000.0f : 10000.0f;
        c.layout = layout;
        c.freq_factors = llama3 ? factors.data() : nullptr;
        const size_t heads = 3, tokens = 5, stride = heads * head_dim + 3;
        const int64_t pos0 = 41;
        const auto x = Random(tokens * stride, rng);
        auto a = x, b = x;
        ASSERT_TRUE(RopeRef(c, a.data(), tokens, heads, stride, pos0).ok());
        ASSERT_TRUE(
            Rope(c, b.data(), tokens, heads, stride, pos0, pool.get()).ok());
        ASSERT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * 4));
        // A table of the positions' cos/sin gives the same bits.
        std::vector<int64_t> positions(tokens);
        for (size_t t = 0; t < tokens; ++t) positions[t] = pos0 + t;
        std::vector<float> cs(tokens * rot_dims);
        ASSERT_TRUE(RopeCosSinTable(c, positions, cs.data(), pool.get()).ok());
        auto with_table = x;
        ASSERT_TRUE(RopeWithTable(c, cs.data(), with_table.data(), tokens,
                                  heads, stride, pool.get())
                        .ok());
        ASSERT_EQ(0, std::memcmp(a.data(), with_table.data(), a.size() * 4));
        std::vector<double> want(head_dim);
        for (size_t t = 0; t < tokens; ++t) {
          for (size_t h = 0; h < heads; ++h) {
            const size_t off = t * stride + h * head_dim;
            RotateDouble(c, pos0 + t, x.data() + off, want.data());
            for (size_t i = 0; i < head_dim; ++i) {
              // theta is accumulated in f32 like llama.cpp: ~1e-7 relative
              // per pair, times |theta| <= 46 rad here.
              ASSERT_NEAR(a[off + i], want[i], 1e-4)
                  << "layout=" << int(layout) << " d=" << head_dim << " t=" << t
                  << " h=" << h << " i=" << i;
            }
          }
          // Padding between rows is untouched.
          for (size_t i = heads * head_dim; i < stride; ++i) {
            EXPECT_EQ(a[t * stride + i], x[t * stride + i]);
          }
        }
      }
    }
  }
}

// Rows at unrelated positions (a decode batch of several slots): row t of
// the table rotates like Rope at positions[t].
TEST(RopeTest, TableRowsFollowTheirPositions) {
  auto pool = std::move(ThreadPool::Create(2)).value();
  std::mt19937 rng(13);
  const RopeConfig c{128, 128, 1000000.0f, RopeLayout::kNeox, nullptr};
  const std::vector<int64_t> positions = {41, 0, 7, 4095, 42, 1};
  const size_t heads = 2, stride = heads * c.head_dim;
  std::vector<float> cs(positions.size() * c.rot_dims);
  ASSERT_TRUE(RopeCosSinTable(c, positions, cs.data(), pool.get()).ok());
  const auto x = Random(positions.size() * stride, rng);
  auto got = x;
  ASSERT_TRUE(RopeWithTable(c, cs.data(), got.data(), positions.size(), heads,
                            stride, pool.get())
                  .ok());
  for (size_t t = 0; t < positions.size(); ++t) {
    std::vector<float> want(x.begin() + t * stride,
                            x.begin() + (t + 1) * stride);
    ASSERT_TRUE(RopeRef(c, want.data(), 1, heads, stride, positions[t]).ok());
    EXPECT_EQ(0, std::memcmp(want.data(), got.data() + t * stride,
                             stride * sizeof(float)))
        << "position " << positions[t];
  }
}

TEST(RopeTest, NeoxIsNormalOnDeinterleavedPairs) {
  std::mt19937 rng(11);
  const size_t d = 8;
  const auto x = Random(d, rng);
  // Neox pairs (i, i + d/2) == normal pairs (2i, 2i+1) after permuting.
  std::vector<float> perm(d);
  for (size_t i = 0; i < d / 2; ++i) {
    perm[2 * i] = x[i];
    perm[2 * i + 1] = x[i + d / 2];
  }
  RopeConfig c{d, d, 10000.0f, RopeLayout::kNeox, nullptr};
  auto neox = x;
  ASSERT_TRUE(RopeRef(c, neox.data(), 1, 1, d, 7).ok());
  c.layout = RopeLayout::kNormal;
  ASSERT_TRUE(RopeRef(c, perm.data(), 1, 1, d, 7).ok());
  for (size_t i = 0; i < d / 2; ++i) {
    EXPECT_EQ(neox[i], perm[2 * i]);
    EXPECT_EQ(neox[i + d / 2], perm[2 * i + 1]);
  }
}

TEST(RopeTest, PositionZeroIsIdentity) {
  std::mt19937 rng(12);
  auto x = Random(16, rng);
  const auto orig = x;
  RopeConfig c{16, 16, 10000.0f, RopeLayout::kNormal, nullptr};
  ASSERT_TRUE(Rope(c, x.data(), 1, 1, 16, 0, nullptr).ok());
  EXPECT_EQ(x, orig);
}

TEST(RopeTest, Llama3FactorsShape) {
  // Llama 3.1 8B: head_dim 128, theta 500000, factor 8, low 1, high 4,
  // original context 8192.
  const auto f = Llama3RopeFreqFactors(128, 500000.0f, 8, 1, 4, 8192);
  ASSERT_EQ(f.size(), 64u);
  EXPECT_EQ(f.front(), 1.0f);  // high frequencies untouched
  EXPECT_EQ(f.back(), 8.0f);   // low frequencies divided by `factor`
  for (size_t i = 1; i < f.size(); ++i) {
    EXPECT_GE(f[i], f[i - 1]);
    EXPECT_GE(f[i], 1.0f);
    EXPECT_LE(f[i], 8.0f);
  }
  // Some pairs are in the smooth band.
  bool smooth = false;
  for (float v : f) smooth |= v > 1.0f && v < 8.0f;
  EXPECT_TRUE(smooth);
}

TEST(RopeTest, RejectsBadConfig) {
  float x[8] = {};
  RopeConfig c{8, 5, 10000.0f, RopeLayout::kNormal, nullptr};
  EXPECT_EQ(RopeRef(c, x, 1, 1, 8, 0).code(),
            absl::StatusCode::kInvalidArgument);
  const int64_t pos[1] = {3};
  float cs[8];
  EXPECT_EQ(RopeCosSinTable(c, pos, cs, nullptr).code(),
            absl::StatusCode::kInvalidArgument);
  c.rot_dims = 8;
  EXPECT_EQ(Rope(c, x, 1, 2, 8, 0, nullptr).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RopeWithTable(c, cs, x, 1, 2, 8, nullptr).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RopeWithTable(c, nullptr, x, 1, 1, 8, nullptr).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace edgellm::ops
