// A table of corrupted GGUF images: each must be refused with a Status (and,
// under --config=asan, without reading a byte outside the buffer).
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/gguf/gguf.h"
#include "runtime/gguf/test_bytes.h"
#include "runtime/gguf/types.h"
#include "runtime/gguf/writer.h"
#include "tests/testing/allocation_counter.h"

namespace edgellm::gguf {
namespace {

using testing::Bytes;
using ::testing::HasSubstr;

constexpr uint64_t kU64Max = std::numeric_limits<uint64_t>::max();

// The most a parse may allocate at once: a few bookkeeping bytes per input
// byte (a metadata entry is at least 13 bytes in the file and 32 in memory;
// a string array element 8 and 8), and small fixed overhead.
constexpr size_t kAllocationsPerInputByte = 8;
constexpr size_t kAllocationSlack = 4096;

// A GGUF image copied into an allocation of exactly its size, so that
// AddressSanitizer flags any read past its end, and the file parsed from it.
struct Parsed {
  std::unique_ptr<uint8_t[]> buffer;
  absl::StatusOr<std::unique_ptr<GgufFile>> file;

  bool ok() const { return file.ok(); }
  const absl::Status& status() const { return file.status(); }
  const GgufFile& operator*() const { return **file; }
  const GgufFile* operator->() const { return file->get(); }
};

Parsed Parse(std::string_view image) {
  Parsed p{std::unique_ptr<uint8_t[]>(new uint8_t[image.size()]),
           absl::UnknownError("unset")};
  std::memcpy(p.buffer.get(), image.data(), image.size());
  p.file = GgufFile::FromBuffer(p.buffer.get(), image.size());
  if (p.file.ok()) {
    // Touch every view.
    for (const auto& [key, value] : p->metadata()) {
      (void)key;
      (void)value.GetStringArray();
    }
    for (const TensorInfo& t : p->tensors()) {
      volatile uint8_t sink = t.data[0] ^ t.data[t.size_bytes - 1];
      (void)sink;
    }
  }
  return p;
}

// The valid base image. Its last tensor is 128 bytes, a multiple of the
// alignment, so the file ends exactly at the end of tensor data and every
// strict prefix is invalid.
struct Base {
  std::string image;
};

std::string NestedValueImage() {
  // One key, "test.nested": [[1, 2], [3]] as uint16.
  Bytes b;
  b.Header(3, 0, 1)
      .Str("test.nested")
      .Type(ValueType::kArray)
      .Type(ValueType::kArray)
      .U64(2)
      .Type(ValueType::kUint16)
      .U64(2)
      .Put<uint16_t>(1)
      .Put<uint16_t>(2)
      .Type(ValueType::kUint16)
      .U64(1)
      .Put<uint16_t>(3);
  return b.str();
}

std::string BaseImage() {
  GgufWriter w;
  w.SetString("general.architecture", "llama");
  w.SetUint32("general.alignment", 32);
  w.SetUint32("test.count", 7);
  w.SetBool("test.flag", true);
  w.SetString("test.text", "hello");
  w.SetStringArray("test.tokens", {"a", "bc", ""});
  w.SetInt32Array("test.ints", {1, 2, 3});
  const std::string nested = NestedValueImage();
  auto src = GgufFile::FromBuffer(nested.data(), nested.size());
  EXPECT_TRUE(src.ok()) << src.status();
  w.SetValue("test.nested", *(*src)->Find("test.nested"));
  w.AddTensor("tok.weight", TensorType::kQ8_0, {64, 2},
              std::string(2 * 2 * 34, '\x11'));
  w.AddTensor("norm.weight", TensorType::kF32, {8}, std::string(32, '\x22'));
  w.AddTensor("out.weight", TensorType::kF32, {8, 4}, std::string(128, '\x33'));
  auto image = w.WriteToString();
  EXPECT_TRUE(image.ok()) << image.status();
  return *image;
}

// Offset just past the gguf_string `name` (its uint64 length and bytes).
size_t After(const std::string& image, std::string_view name) {
  Bytes needle;
  needle.Str(name);
  const size_t at = image.find(needle.str());
  EXPECT_NE(at, std::string::npos) << name;
  return at + needle.size();
}

template <typename T>
void Patch(std::string& image, size_t at, T v) {
  ASSERT_LE(at + sizeof(T), image.size());
  std::memcpy(image.data() + at, &v, sizeof(T));
}

// Tensor info fields, located after the tensor's name.
size_t NDimsAt(const std::string& image, std::string_view tensor) {
  return After(image, tensor);
}
size_t DimAt(const std::string& image, std::string_view tensor, int d) {
  return After(image, tensor) + 4 + 8 * d;
}
size_t TypeAt(const std::string& image, std::string_view tensor, int n_dims) {
  return After(image, tensor) + 4 + 8 * n_dims;
}
size_t OffsetAt(const std::string& image, std::string_view tensor, int n_dims) {
  return TypeAt(image, tensor, n_dims) + 4;
}

struct Case {
  const char* name;
  std::function<void(std::string&)> corrupt;
  const char* expected;  // a substring of the error message
};

class CorruptTest : public ::testing::Test {
 protected:
  void SetUp() override { base_ = BaseImage(); }
  std::string base_;
};

TEST_F(CorruptTest, BaseImageIsValid) {
  auto file = Parse(base_);
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_EQ(file->tensors().size(), 3u);
  const TensorInfo& last = file->tensors().back();
  EXPECT_EQ(file->data_offset() + last.offset + last.size_bytes, base_.size());
  // Version 2 has the same layout and is accepted.
  std::string v2 = base_;
  Patch<uint32_t>(v2, 4, 2);
  EXPECT_TRUE(Parse(v2).ok());
}

TEST_F(CorruptTest, EveryTruncationFails) {
  for (size_t n = 0; n < base_.size(); ++n) {
    const bool ok = n == 0 ? GgufFile::FromBuffer(base_.data(), 0).ok()
                           : Parse(std::string_view(base_).substr(0, n)).ok();
    EXPECT_FALSE(ok) << "prefix of " << n << " bytes parsed";
  }
}

TEST_F(CorruptTest, TableOfCorruptions) {
  const std::vector<Case> cases = {
      {"bad magic", [](std::string& s) { s[3] = 'G'; }, "bad magic at byte 0"},
      {"magic byte-swapped", [](std::string& s) { s.replace(0, 4, "FUGG"); },
       "expected 'GGUF'"},
      {"version 1", [](std::string& s) { Patch<uint32_t>(s, 4, 1); },
       "version 1"},
      {"version 99", [](std::string& s) { Patch<uint32_t>(s, 4, 99); },
       "unsupported GGUF version 99"},
      {"version 0", [](std::string& s) { Patch<uint32_t>(s, 4, 0); },
       "unsupported GGUF version 0"},
      {"version big-endian 3",
       [](std::string& s) { Patch<uint32_t>(s, 4, 0x03000000); },
       "byte-swapped"},
      // Counts at the largest value the bytes left could hold: accepted by
      // the first check, refused later, and never allocated for beyond
      // what the input justifies.
      {"tensor count as large as the bytes allow",
       [](std::string& s) {
         Patch<uint64_t>(s, 8, (s.size() - 24 - 8 * 13) / 32);
       },
       "at byte"},
      {"metadata count as large as the bytes allow",
       [](std::string& s) {
         Patch<uint64_t>(s, 16, (s.size() - 24 - 3 * 32) / 13);
       },
       "metadata"},
      {"string array length as large as the bytes allow",
       [](std::string& s) {
         const size_t at = After(s, "test.tokens") + 8;
         Patch<uint64_t>(s, at, (s.size() - at - 8) / 8);
       },
       "'test.tokens'"},
      {"nested array length as large as the bytes allow",
       [](std::string& s) {
         const size_t at = After(s, "test.nested") + 8;
         Patch<uint64_t>(s, at, (s.size() - at - 8) / 12);
       },
       "'test.nested'"},
      {"tensor count 2^64-1",
       [](std::string& s) { Patch<uint64_t>(s, 8, kU64Max); }, "cannot fit"},
      {"metadata count 2^64-1",
       [](std::string& s) { Patch<uint64_t>(s, 16, kU64Max); }, "cannot fit"},
      {"metadata count 2^40",
       [](std::string& s) { Patch<uint64_t>(s, 16, uint64_t{1} << 40); },
       "cannot fit"},
      {"tensor count one more",
       [](std::string& s) { Patch<uint64_t>(s, 8, 4); }, "tensor"},
      {"metadata count one more",
       [](std::string& s) { Patch<uint64_t>(s, 16, 9); }, "at byte"},
      {"metadata count one less (rest misparsed)",
       [](std::string& s) { Patch<uint64_t>(s, 16, 7); }, "at byte"},
      {"key length past end",
       [](std::string& s) { Patch<uint64_t>(s, 24, s.size()); },
       "metadata key"},
      {"key length 2^64-1",
       [](std::string& s) { Patch<uint64_t>(s, 24, kU64Max); },
       "truncated at byte 24"},
      {"string value length huge",
       [](std::string& s) {
         Patch<uint64_t>(s, After(s, "test.text") + 4, kU64Max - 3);
       },
       "'test.text'"},
      {"unknown value type 13",
       [](std::string& s) { Patch<uint32_t>(s, After(s, "test.count"), 13); },
       "unknown value type code 13"},
      {"unknown value type 2^32-1",
       [](std::string& s) {
         Patch<uint32_t>(s, After(s, "test.count"), 0xffffffffu);
       },
       "unknown value type code 4294967295"},
      {"bool value 2", [](std::string& s) { s[After(s, "test.flag") + 4] = 2; },
       "must be 0 or 1"},
      {"string array length 2^62",
       [](std::string& s) {
         Patch<uint64_t>(s, After(s, "test.tokens") + 8, uint64_t{1} << 62);
       },
       "claims 4611686018427387904 string elements"},
      {"int32 array length overflowing bytes",
       [](std::string& s) {
         Patch<uint64_t>(s, After(s, "test.ints") + 8, (kU64Max / 4) + 2);
       },
       "int32 elements"},
      {"int32 array length 2^64-1",
       [](std::string& s) {
         Patch<uint64_t>(s, After(s, "test.ints") + 8, kU64Max);
       },
       "'test.ints'"},
      {"array element type unknown",
       [](std::string& s) {
         Patch<uint32_t>(s, After(s, "test.ints") + 4, 13);
       },
       "unknown element type code 13"},
      {"nested array element type unknown",
       [](std::string& s) {
         Patch<uint32_t>(s, After(s, "test.nested") + 16, 77);
       },
       "unknown element type code 77"},
      {"nested array length huge",
       [](std::string& s) {
         Patch<uint64_t>(s, After(s, "test.nested") + 20, uint64_t{1} << 61);
       },
       "uint16 elements"},
      {"duplicate key",
       [](std::string& s) {
         const size_t at = After(s, "test.flag") - 4;
         s.replace(at, 4, "text");
       },
       "duplicate key"},
      {"alignment 0",
       [](std::string& s) {
         Patch<uint32_t>(s, After(s, "general.alignment") + 4, 0);
       },
       "non-zero power of two"},
      {"alignment 48",
       [](std::string& s) {
         Patch<uint32_t>(s, After(s, "general.alignment") + 4, 48);
       },
       "non-zero power of two"},
      {"alignment as int32",
       [](std::string& s) {
         Patch<uint32_t>(s, After(s, "general.alignment"),
                         static_cast<uint32_t>(ValueType::kInt32));
       },
       "must be uint32"},
      {"tensor name length huge",
       [](std::string& s) {
         Patch<uint64_t>(s, After(s, "norm.weight") - 11 - 8, kU64Max);
       },
       "tensor info 1"},
      {"n_dims 0",
       [](std::string& s) { Patch<uint32_t>(s, NDimsAt(s, "norm.weight"), 0); },
       "n_dims is 0"},
      {"n_dims 5",
       [](std::string& s) { Patch<uint32_t>(s, NDimsAt(s, "norm.weight"), 5); },
       "n_dims is 5"},
      {"n_dims 2^32-1",
       [](std::string& s) {
         Patch<uint32_t>(s, NDimsAt(s, "norm.weight"), 0xffffffffu);
       },
       "n_dims is 4294967295"},
      {"dim 0",
       [](std::string& s) { Patch<uint64_t>(s, DimAt(s, "out.weight", 1), 0); },
       "dim 1 is 0"},
      {"dim 2^63",
       [](std::string& s) {
         Patch<uint64_t>(s, DimAt(s, "out.weight", 0), uint64_t{1} << 63);
       },
       "dim 0 is 9223372036854775808"},
      {"dims product overflowing int64",
       [](std::string& s) {
         Patch<uint64_t>(s, DimAt(s, "out.weight", 0), uint64_t{1} << 32);
         Patch<uint64_t>(s, DimAt(s, "out.weight", 1), uint64_t{1} << 32);
       },
       "overflows int64"},
      {"dims product huge but int64",
       [](std::string& s) {
         Patch<uint64_t>(s, DimAt(s, "out.weight", 0), uint64_t{1} << 30);
         Patch<uint64_t>(s, DimAt(s, "out.weight", 1), uint64_t{1} << 30);
       },
       "extends past end of file"},
      {"dims[0] not a multiple of the block size",
       [](std::string& s) {
         Patch<uint64_t>(s, DimAt(s, "tok.weight", 0), 48);
       },
       "not a multiple of the q8_0 block size 32"},
      {"unknown tensor type 4",
       [](std::string& s) {
         Patch<uint32_t>(s, TypeAt(s, "norm.weight", 1), 4);
       },
       "unknown ggml tensor type code 4"},
      {"unknown tensor type 1000",
       [](std::string& s) {
         Patch<uint32_t>(s, TypeAt(s, "norm.weight", 1), 1000);
       },
       "tensor 'norm.weight' at byte"},
      {"tensor type with bigger blocks (q4_K needs 256)",
       [](std::string& s) {
         Patch<uint32_t>(s, TypeAt(s, "tok.weight", 2),
                         static_cast<uint32_t>(TensorType::kQ4_K));
       },
       "block size 256"},
      {"tensor type grows past end (f64)",
       [](std::string& s) {
         Patch<uint32_t>(s, TypeAt(s, "out.weight", 2),
                         static_cast<uint32_t>(TensorType::kF64));
       },
       "extends past end of file"},
      {"offset misaligned",
       [](std::string& s) {
         Patch<uint64_t>(s, OffsetAt(s, "norm.weight", 1), 161);
       },
       "not a multiple of the alignment 32"},
      {"offset past end",
       [](std::string& s) {
         Patch<uint64_t>(s, OffsetAt(s, "norm.weight", 1), 1 << 20);
       },
       "extends past end of file (size"},
      {"offset near 2^64 (sum overflows)",
       [](std::string& s) {
         Patch<uint64_t>(s, OffsetAt(s, "norm.weight", 1), kU64Max - 31);
       },
       "extends past end of file"},
      {"last tensor one block past end",
       [](std::string& s) {
         Patch<uint64_t>(s, OffsetAt(s, "out.weight", 2), 160 + 32 + 32);
       },
       "extends past end of file"},
      {"data overlapping (same offset)",
       [](std::string& s) {
         Patch<uint64_t>(s, OffsetAt(s, "norm.weight", 1), 0);
       },
       "overlaps"},
      {"data overlapping (partial)",
       [](std::string& s) {
         Patch<uint64_t>(s, OffsetAt(s, "out.weight", 2), 128);
       },
       "overlaps"},
      {"duplicate tensor name",
       [](std::string& s) {
         const size_t at = After(s, "out.weight") - 10;
         s.replace(at, 10, "tok.weight");
       },
       "duplicate tensor name"},
      {"data section start past end (all data cut)",
       [](std::string& s) {
         const size_t at = After(s, "out.weight") + 4 + 16 + 4 + 8;
         s.resize(at + 1);
       },
       "but the file size is"},
      {"dims product overflowing uint64 bytes",
       [](std::string& s) {
         Patch<uint64_t>(s, DimAt(s, "out.weight", 0), uint64_t{1} << 31);
         Patch<uint64_t>(s, DimAt(s, "out.weight", 1), uint64_t{1} << 31);
       },
       "byte size overflows"},
  };
  for (const Case& c : cases) {
    std::string image = base_;
    c.corrupt(image);
    ASSERT_NE(image, base_) << c.name << ": corruption changed nothing";
    edgellm::testing::ResetLargestAllocation();
    auto file = Parse(image);
    // Counts are bounded by the bytes left before anything is reserved.
    EXPECT_LE(edgellm::testing::LargestAllocation(),
              kAllocationsPerInputByte * image.size() + kAllocationSlack)
        << c.name;
    EXPECT_FALSE(file.ok()) << c.name << ": parsed";
    if (!file.ok()) {
      EXPECT_THAT(std::string(file.status().message()), HasSubstr(c.expected))
          << c.name;
      std::printf("%-48s %s\n", c.name, file.status().ToString().c_str());
    }
  }
}

// Arrays nested one level past the limit are refused; at the limit they
// parse.
std::string NestedArrayImage(int levels) {
  Bytes b;
  b.Header(3, 0, 1).Str("deep").Type(ValueType::kArray);
  for (int i = 1; i < levels; ++i) b.Type(ValueType::kArray).U64(1);
  b.Type(ValueType::kUint8).U64(1).U8(42);
  return b.str();
}

TEST(NestingTest, DepthLimit) {
  auto ok = Parse(NestedArrayImage(8));
  ASSERT_TRUE(ok.ok()) << ok.status();
  Value v = *ok->Find("deep");
  for (int i = 1; i < 8; ++i) v = *v.GetElement(0);
  EXPECT_EQ(*v.GetElement(0)->GetUint(), 42u);

  auto deep = Parse(NestedArrayImage(9));
  ASSERT_FALSE(deep.ok());
  EXPECT_THAT(std::string(deep.status().message()), HasSubstr("nested 9 deep"));
  // Far deeper than the stack could take if recursion were unbounded.
  EXPECT_FALSE(Parse(NestedArrayImage(100000)).ok());
}

TEST(HeaderTest, TinyInputs) {
  for (std::string_view s :
       {std::string_view("G"), std::string_view("GGUF"),
        std::string_view("GGUF\x03\0\0", 7), std::string_view("\0\0\0\0", 4)}) {
    EXPECT_FALSE(Parse(s).ok()) << s.size();
  }
  // A header alone with no tensors and no metadata is a valid (empty) file.
  Bytes b;
  b.Header(3, 0, 0);
  auto empty = Parse(b.str());
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_TRUE(empty->metadata().empty());
}

}  // namespace
}  // namespace edgellm::gguf
