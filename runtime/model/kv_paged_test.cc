// The paged KV cache (kv_cache.h, kv_block_tables.h) inside the decoder:
// logits equal the slab cache's bit for bit, in prompt chunks and in single
// decode steps, for every block size, every element type and a model with
// sliding-window layers; a sequence that reuses another's cached prefix
// gets the logits a cold run gets, sliding-window layers included, and those
// layers hold only their window's blocks however long the sequence.
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/engine/loaded_model.h"
#include "runtime/model/random_model.h"
#include "runtime/model/transformer.h"

namespace edgellm::model {
namespace {

std::string ModelFile(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  const std::string path =
      std::string(dir ? dir : "/tmp") + "/paged_" + name + ".gguf";
  absl::StatusOr<RandomModelSpec> spec = NamedRandomModelSpec(name);
  EXPECT_TRUE(spec.ok()) << spec.status();
  if (!spec.ok()) return "";
  EXPECT_TRUE(WriteRandomModel(*spec, path, false).ok());
  return path;
}

std::unique_ptr<engine::LoadedModel> Load(const std::string& path,
                                          KvCacheType type, int32_t block_size,
                                          int32_t slots,
                                          int32_t context = 160) {
  engine::LoadOptions options;
  options.model_path = path;
  options.threads = 1;
  options.context = context;
  options.max_batch = 32;
  options.slots = slots;
  options.kv_type = type;
  options.paging.block_size = block_size;
  auto loaded = engine::LoadedModel::Load(options);
  EXPECT_TRUE(loaded.ok()) << loaded.status();
  return loaded.ok() ? std::move(*loaded) : nullptr;
}

std::vector<int32_t> Sequence(int32_t n, int32_t vocab) {
  std::vector<int32_t> ids(n);
  for (int32_t i = 0; i < n; ++i) ids[i] = (i * 37 + 11) % vocab;
  return ids;
}

// Logits of the last token of each call: the prompt in chunks of `chunk`,
// starting at `from`, on `slot`.
std::vector<std::vector<float>> RunCalls(Transformer& t,
                                         const std::vector<int32_t>& ids,
                                         int32_t from, int32_t chunk,
                                         int32_t slot) {
  std::vector<std::vector<float>> out;
  const int32_t vocab = t.config().vocab_size;
  for (int32_t begin = from; begin < static_cast<int32_t>(ids.size());) {
    const int32_t end =
        std::min<int32_t>(begin + chunk, static_cast<int32_t>(ids.size()));
    std::vector<BatchToken> batch;
    for (int32_t p = begin; p < end; ++p) {
      batch.push_back({ids[p], p, slot, p + 1 == end});
    }
    out.emplace_back(vocab);
    const absl::Status s = t.Forward(batch, out.back().data());
    EXPECT_TRUE(s.ok()) << s;
    begin = end;
  }
  return out;
}

bool Same(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() &&
         std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

TEST(KvPagedTest, LogitsEqualTheSlabCacheBitForBit) {
  for (const std::string name : {"tiny", "tiny-gemma3"}) {
    const std::string path = ModelFile(name);
    ASSERT_FALSE(path.empty());
    for (KvCacheType type :
         {KvCacheType::kF32, KvCacheType::kF16, KvCacheType::kQ8_0}) {
      auto slab = Load(path, type, 0, 1);
      ASSERT_NE(slab, nullptr);
      const std::vector<int32_t> ids = Sequence(150, slab->config().vocab_size);
      // Prompt chunks of 29 positions (crossing blocks anywhere), then
      // single steps.
      std::vector<std::vector<float>> want = RunCalls(
          slab->transformer(), {ids.begin(), ids.begin() + 120}, 0, 29, 0);
      for (const auto& l : RunCalls(slab->transformer(), ids, 120, 1, 0)) {
        want.push_back(l);
      }
      for (int32_t bs : {16, 5, 1}) {
        SCOPED_TRACE(
            absl::StrCat(name, " ", KvTypeName(type), " block size ", bs));
        auto paged = Load(path, type, bs, 1);
        ASSERT_NE(paged, nullptr);
        ASSERT_NE(paged->transformer().kv_cache().tables(), nullptr);
        std::vector<std::vector<float>> got = RunCalls(
            paged->transformer(), {ids.begin(), ids.begin() + 120}, 0, 29, 0);
        for (const auto& l : RunCalls(paged->transformer(), ids, 120, 1, 0)) {
          got.push_back(l);
        }
        ASSERT_EQ(got.size(), want.size());
        for (size_t i = 0; i < got.size(); ++i) {
          EXPECT_TRUE(Same(got[i], want[i])) << "call " << i;
        }
      }
    }
  }
}

// Prefix reuse and copy on write hold for every KV type (the blocks are
// copied as bytes, whatever their element type).
class KvPagedTypeTest : public ::testing::TestWithParam<KvCacheType> {};

TEST_P(KvPagedTypeTest, ReusedPrefixGivesTheColdLogits) {
  const KvCacheType type = GetParam();
  const std::string path = ModelFile("tiny");
  ASSERT_FALSE(path.empty());
  auto paged = Load(path, type, 16, 2);
  ASSERT_NE(paged, nullptr);
  Transformer& t = paged->transformer();
  KvBlockTables* tables = t.kv_cache().tables();
  ASSERT_NE(tables, nullptr);
  ASSERT_TRUE(tables->prefix_cache());
  const std::vector<int32_t> ids = Sequence(100, t.config().vocab_size);
  // Cold on slot 0 (publishes), then the same prompt with another ending
  // on slot 1 while slot 0 still holds its blocks.
  ASSERT_TRUE(tables->StartSequence(0, ids, 100, true).ok());
  const std::vector<float> cold = RunCalls(t, ids, 0, 32, 0).back();
  for (int32_t len : {100, 96, 70}) {
    SCOPED_TRACE(absl::StrCat("prompt of ", len));
    std::vector<int32_t> prompt(ids.begin(), ids.begin() + len);
    absl::StatusOr<int32_t> cached =
        tables->StartSequence(1, prompt, len, true);
    ASSERT_TRUE(cached.ok()) << cached.status();
    EXPECT_EQ(*cached, std::min((len / 16) * 16, len - 1));
    const std::vector<float> warm = RunCalls(t, prompt, *cached, 32, 1).back();
    if (len == 100) EXPECT_TRUE(Same(warm, cold));
    // The reference for shorter prompts: a cold run on a slab model.
    auto slab = Load(path, type, 0, 1);
    ASSERT_NE(slab, nullptr);
    EXPECT_TRUE(
        Same(warm, RunCalls(slab->transformer(), prompt, 0, 32, 0).back()));
  }
  // Slot 0's blocks were never written by slot 1: rerunning its last token
  // there still gives the cold logits.
  std::vector<BatchToken> last = {{ids[99], 99, 0, true}};
  std::vector<float> again(t.config().vocab_size);
  ASSERT_TRUE(t.Forward(last, again.data()).ok());
  EXPECT_TRUE(Same(again, cold));
  tables->EndSequence(0);
  tables->EndSequence(1);
  EXPECT_EQ(tables->pool().free(), tables->pool().size());
}

TEST(KvPagedTest, SlidingWindowLayersReuseAPrefixAndGiveTheColdLogits) {
  const std::string path = ModelFile("tiny-gemma3");
  ASSERT_FALSE(path.empty());
  auto paged = Load(path, KvCacheType::kF32, 16, 2);
  ASSERT_NE(paged, nullptr);
  Transformer& t = paged->transformer();
  KvBlockTables* tables = t.kv_cache().tables();
  ASSERT_NE(tables, nullptr);
  ASSERT_TRUE(tables->prefix_cache());
  ASSERT_EQ(tables->groups(), 2);  // global layers, window-32 layers
  ASSERT_EQ(tables->window(1), 32);
  auto slab = Load(path, KvCacheType::kF32, 0, 1);
  ASSERT_NE(slab, nullptr);
  const std::vector<int32_t> ids = Sequence(120, t.config().vocab_size);
  ASSERT_TRUE(tables->StartSequence(0, ids, 120, true).ok());
  RunCalls(t, ids, 0, 32, 0);
  // Prompts that share 120, 112, 96 and 70 tokens with it, on slot 1 while
  // slot 0 still holds its blocks; each must reuse a prefix.
  for (int32_t len : {120, 112, 96, 70}) {
    SCOPED_TRACE(absl::StrCat("prompt of ", len));
    std::vector<int32_t> prompt(ids.begin(), ids.begin() + len);
    prompt.push_back(5);
    prompt.push_back(6);
    absl::StatusOr<int32_t> cached =
        tables->StartSequence(1, prompt, len + 2, true);
    ASSERT_TRUE(cached.ok()) << cached.status();
    EXPECT_EQ(*cached, (len / 16) * 16);
    // The window layers took only the blocks of their last window.
    EXPECT_LE(tables->blocks_held(1, 1), 3);
    const std::vector<float> warm = RunCalls(t, prompt, *cached, 32, 1).back();
    EXPECT_TRUE(
        Same(warm, RunCalls(slab->transformer(), prompt, 0, 32, 0).back()));
  }
  tables->EndSequence(0);
  tables->EndSequence(1);
  EXPECT_EQ(tables->pool(0).free(), tables->pool(0).size());
  EXPECT_EQ(tables->pool(1).free(), tables->pool(1).size());
}

TEST(KvPagedTest, SlidingWindowMemoryIsBoundedByTheWindow) {
  const std::string path = ModelFile("tiny-gemma3");
  ASSERT_FALSE(path.empty());
  // The window layers' pool is the same at any context; the global
  // layers' grows with it.
  auto small = Load(path, KvCacheType::kF32, 16, 2, 160);
  auto large = Load(path, KvCacheType::kF32, 16, 2, 1600);
  ASSERT_NE(small, nullptr);
  ASSERT_NE(large, nullptr);
  const KvBlockTables& s = *small->transformer().kv_cache().tables();
  const KvBlockTables& l = *large->transformer().kv_cache().tables();
  EXPECT_EQ(s.pool(1).size(), l.pool(1).size());
  EXPECT_EQ(l.pool(0).size(), 10 * s.pool(0).size());
  KvPaging paging;
  paging.block_size = 16;
  paging.max_batch = 32;
  EXPECT_EQ(s.pool(1).size(), KvCache::DefaultWindowBlocks(32, 2, paging));
  // A sequence of the whole large context, decoded a token at a time past
  // a prompt of 200: the window layers never hold more than their peak.
  Transformer& t = large->transformer();
  KvBlockTables* tables = t.kv_cache().tables();
  const int32_t peak = KvBlockTables::WindowPeakBlocks(32, 16, 32);
  const std::vector<int32_t> ids = Sequence(1600, t.config().vocab_size);
  ASSERT_TRUE(tables->StartSequence(0, {ids.data(), 200}, 1600, true).ok());
  int32_t most = 0;
  std::vector<float> logits(t.config().vocab_size);
  for (int32_t p = 0; p < 1600;) {
    const int32_t n = p < 200 ? std::min(32, 200 - p) : 1;
    std::vector<BatchToken> batch;
    for (int32_t i = 0; i < n; ++i) {
      batch.push_back({ids[p + i], p + i, 0, i + 1 == n});
    }
    ASSERT_TRUE(t.Forward(batch, logits.data()).ok()) << "at " << p;
    p += n;
    most = std::max(most, tables->blocks_held(0, 1));
    ASSERT_LE(tables->blocks_held(0, 1), 3) << "at " << p;
  }
  EXPECT_LE(most, peak);
  EXPECT_EQ(tables->blocks_held(0, 0), 100);
  // What the window layers hold in bytes: their pool, bounded by the
  // window, against a context's worth in the global layers.
  EXPECT_LT(KvCache::PlannedBytes(std::vector<int32_t>(1, 32), 2, 1600, 64,
                                  KvCacheType::kF32, paging)
                .value(),
            KvCache::PlannedBytes(std::vector<int32_t>(1, 1600), 2, 1600, 64,
                                  KvCacheType::kF32, paging)
                    .value() /
                5);
}

INSTANTIATE_TEST_SUITE_P(Types, KvPagedTypeTest,
                         ::testing::Values(KvCacheType::kF32, KvCacheType::kF16,
                                           KvCacheType::kQ8_0),
                         [](const auto& info) {
                           return std::string(KvTypeName(info.param));
                         });

// A q8_0 cache needs whole Q8_0 blocks per position: a model whose
// n_kv_heads x head_dim is not a multiple of 32 is refused, naming it.
TEST(KvPagedTest, Q8_0RefusesRowsThatAreNotWholeBlocks) {
  const std::string path = ::testing::TempDir() + "/kv_paged_odd.gguf";
  absl::StatusOr<RandomModelSpec> spec = NamedRandomModelSpec("tiny");
  ASSERT_TRUE(spec.ok());
  spec->head_count_kv = 1;
  spec->head_count = 8;  // head_dim 16, kv_dim 16
  ASSERT_TRUE(WriteRandomModel(*spec, path, false).ok());
  engine::LoadOptions options;
  options.model_path = path;
  options.threads = 1;
  options.context = 16;
  options.kv_type = KvCacheType::kQ8_0;
  auto loaded = engine::LoadedModel::Load(options);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(loaded.status().message()),
              ::testing::HasSubstr("head_dim 16"));
  options.kv_type = KvCacheType::kF16;
  EXPECT_TRUE(engine::LoadedModel::Load(options).ok());
}

}  // namespace
}  // namespace edgellm::model
