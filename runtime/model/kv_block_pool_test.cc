#include "runtime/model/kv_block_pool.h"

#include <set>

#include "gtest/gtest.h"

namespace edgellm::model {
namespace {

TEST(KvBlockPoolTest, AllocatesEveryBlockOnceThenNone) {
  KvBlockPool pool(5);
  std::set<int32_t> got;
  for (int i = 0; i < 5; ++i) {
    const int32_t b = pool.Allocate(false);
    ASSERT_GE(b, 0);
    EXPECT_EQ(pool.refs(b), 1);
    got.insert(b);
  }
  EXPECT_EQ(got.size(), 5u);
  EXPECT_EQ(pool.free(), 0);
  EXPECT_EQ(pool.Allocate(false), -1);
  EXPECT_EQ(pool.Allocate(true), -1);
}

TEST(KvBlockPoolTest, ReservationsAreHonouredAndUnreservedTakersWait) {
  KvBlockPool pool(4);
  pool.Reserve(3);
  EXPECT_EQ(pool.available(), 1);
  ASSERT_GE(pool.Allocate(false), 0);
  // The three left are promised: an unreserved caller gets none.
  EXPECT_EQ(pool.Allocate(false), -1);
  for (int i = 0; i < 3; ++i) ASSERT_GE(pool.Allocate(true), 0);
  EXPECT_EQ(pool.reserved(), 0);
  EXPECT_EQ(pool.Allocate(true), -1);  // nothing reserved any more
}

TEST(KvBlockPoolTest, RefCountsFreeOnTheLastHolder) {
  KvBlockPool pool(2);
  const int32_t b = pool.Allocate(false);
  pool.Ref(b);
  EXPECT_EQ(pool.refs(b), 2);
  EXPECT_FALSE(pool.Unref(b));
  EXPECT_EQ(pool.free(), 1);
  EXPECT_TRUE(pool.Unref(b));
  EXPECT_EQ(pool.free(), 2);
}

TEST(KvBlockPoolTest, FreedCachedBlocksStayFindableUntilEvictedOldestFirst) {
  KvBlockPool pool(3);
  const int32_t a = pool.Allocate(false);
  const int32_t b = pool.Allocate(false);
  const int32_t c = pool.Allocate(false);
  ASSERT_TRUE(pool.Publish(a, 100));
  ASSERT_TRUE(pool.Publish(b, 200));
  EXPECT_FALSE(pool.Publish(c, 100));  // the hash is taken
  pool.Unref(b);                       // freed first: evicted first
  pool.Unref(a);
  EXPECT_EQ(pool.free(), 2);
  EXPECT_EQ(pool.cached(), 2);
  EXPECT_EQ(pool.Find(100), a);
  EXPECT_EQ(pool.Find(200), b);
  // Reusing a freed cached block takes it off the free list.
  pool.Ref(a);
  EXPECT_EQ(pool.free(), 1);
  pool.Unref(a);  // now the most recently freed
  // No uncached free block: allocation evicts b, then a.
  EXPECT_EQ(pool.Allocate(false), b);
  EXPECT_EQ(pool.Find(200), -1);
  EXPECT_EQ(pool.Find(100), a);
  EXPECT_EQ(pool.Allocate(false), a);
  EXPECT_EQ(pool.Find(100), -1);
  EXPECT_FALSE(pool.published(a));
  EXPECT_EQ(pool.cached(), 0);
}

TEST(KvBlockPoolTest, UncachedFreeBlocksGoBeforeCachedOnes) {
  KvBlockPool pool(2);
  const int32_t a = pool.Allocate(false);
  const int32_t b = pool.Allocate(false);
  ASSERT_TRUE(pool.Publish(a, 7));
  pool.Unref(a);
  pool.Unref(b);
  EXPECT_EQ(pool.Allocate(false), b);
  EXPECT_EQ(pool.Find(7), a);
}

TEST(KvBlockPoolTest, CachedBlocksFreedStaleAreEvictedFirst) {
  KvBlockPool pool(4);
  int32_t b[4];
  for (int32_t i = 0; i < 4; ++i) {
    b[i] = pool.Allocate(false);
    ASSERT_TRUE(pool.Publish(b[i], 10 + i));
  }
  pool.Unref(b[0]);
  pool.Unref(b[1], /*stale=*/true);
  pool.Unref(b[2]);
  pool.Unref(b[3], /*stale=*/true);
  EXPECT_EQ(pool.free(), 4);
  EXPECT_EQ(pool.cached(), 4);
  // A stale block taken again and freed not stale counts as not stale.
  pool.Ref(b[3]);
  EXPECT_EQ(pool.free(), 3);
  pool.Unref(b[3]);
  // Stale ones first (oldest first), then the others oldest first.
  EXPECT_EQ(pool.Allocate(false), b[1]);
  EXPECT_EQ(pool.Find(11), -1);
  EXPECT_EQ(pool.Find(10), b[0]);
  EXPECT_EQ(pool.Allocate(false), b[0]);
  EXPECT_EQ(pool.Allocate(false), b[2]);
  EXPECT_EQ(pool.Allocate(false), b[3]);
  EXPECT_EQ(pool.cached(), 0);
  // Unpublishing a free stale block makes it an uncached one.
  for (int32_t i = 0; i < 2; ++i) ASSERT_TRUE(pool.Publish(b[i], 20 + i));
  pool.Unref(b[0], /*stale=*/true);
  pool.Unref(b[1]);
  pool.Unpublish(b[0]);
  EXPECT_EQ(pool.Allocate(false), b[0]);
  EXPECT_EQ(pool.Find(21), b[1]);
}

TEST(KvBlockPoolTest, UnpublishForgetsTheHash) {
  KvBlockPool pool(1);
  const int32_t a = pool.Allocate(false);
  ASSERT_TRUE(pool.Publish(a, 9));
  pool.Unpublish(a);
  EXPECT_EQ(pool.Find(9), -1);
  EXPECT_FALSE(pool.published(a));
  EXPECT_TRUE(pool.Publish(a, 10));
}

}  // namespace
}  // namespace edgellm::model
