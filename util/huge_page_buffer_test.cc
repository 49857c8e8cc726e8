#include "util/huge_page_buffer.h"

#include <cstdint>
#include <cstring>
#include <utility>

#include "gtest/gtest.h"

namespace edgellm {
namespace {

TEST(HugePageBufferTest, AlignedZeroedAndWritable) {
  for (size_t bytes :
       {size_t{1}, size_t{4096}, size_t{3} << 20, (size_t{5} << 20) + 123}) {
    absl::StatusOr<HugePageBuffer> b = HugePageBuffer::Allocate(bytes);
    ASSERT_TRUE(b.ok()) << b.status();
    ASSERT_NE(b->data(), nullptr);
    EXPECT_EQ(b->size(), bytes);
    EXPECT_EQ(
        reinterpret_cast<uintptr_t>(b->data()) % HugePageBuffer::kHugePageBytes,
        0u);
    auto* p = static_cast<unsigned char*>(b->data());
    EXPECT_EQ(p[0], 0);
    EXPECT_EQ(p[bytes - 1], 0);
    std::memset(p, 0xab, bytes);
    EXPECT_EQ(p[bytes / 2], 0xab);
  }
}

TEST(HugePageBufferTest, RejectsZeroAndHugeSizes) {
  EXPECT_EQ(HugePageBuffer::Allocate(0).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(HugePageBuffer::Allocate(SIZE_MAX).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(HugePageBufferTest, MoveTransfersOwnership) {
  absl::StatusOr<HugePageBuffer> a = HugePageBuffer::Allocate(1 << 20);
  ASSERT_TRUE(a.ok());
  void* p = a->data();
  HugePageBuffer b = std::move(*a);
  EXPECT_EQ(b.data(), p);
  EXPECT_EQ(a->data(), nullptr);
  EXPECT_EQ(a->size(), 0u);
  HugePageBuffer c;
  c = std::move(b);
  EXPECT_EQ(c.data(), p);
  static_cast<char*>(c.data())[0] = 1;  // still mapped
}

}  // namespace
}  // namespace edgellm
