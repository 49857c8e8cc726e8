// Write -> read round trips of every value type, nested arrays and tensor
// bytes; writer errors; typed getter semantics.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/gguf/gguf.h"
#include "runtime/gguf/internal/value_rep.h"
#include "runtime/gguf/test_bytes.h"
#include "runtime/gguf/types.h"
#include "runtime/gguf/writer.h"

namespace edgellm::gguf {
namespace {

using testing::Bytes;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

std::string_view RawOf(const Value& v) {
  return std::string_view(reinterpret_cast<const char*>(v.rep()->raw),
                          v.rep()->raw_size);
}

// Deep equality through the public API (types, counts, every element).
void ExpectSameValue(const Value& a, const Value& b, const std::string& where) {
  ASSERT_EQ(a.type(), b.type()) << where;
  ASSERT_EQ(a.element_type(), b.element_type()) << where;
  ASSERT_EQ(a.size(), b.size()) << where;
  EXPECT_EQ(RawOf(a), RawOf(b)) << where;
  if (a.type() == ValueType::kArray) {
    for (uint64_t i = 0; i < a.size(); ++i) {
      auto ea = a.GetElement(i);
      auto eb = b.GetElement(i);
      ASSERT_TRUE(ea.ok() && eb.ok()) << where << "[" << i << "]";
      ExpectSameValue(*ea, *eb, where + "[" + std::to_string(i) + "]");
    }
  }
}

void ExpectSameFiles(const GgufFile& a, const GgufFile& b) {
  ASSERT_EQ(a.metadata().size(), b.metadata().size());
  for (size_t i = 0; i < a.metadata().size(); ++i) {
    EXPECT_EQ(a.metadata()[i].first, b.metadata()[i].first);
    ExpectSameValue(a.metadata()[i].second, b.metadata()[i].second,
                    std::string(a.metadata()[i].first));
  }
  ASSERT_EQ(a.tensors().size(), b.tensors().size());
  for (size_t i = 0; i < a.tensors().size(); ++i) {
    const TensorInfo& ta = a.tensors()[i];
    const TensorInfo& tb = b.tensors()[i];
    EXPECT_EQ(ta.name, tb.name);
    EXPECT_EQ(ta.type, tb.type);
    EXPECT_EQ(ta.dims, tb.dims);
    ASSERT_EQ(ta.size_bytes, tb.size_bytes);
    EXPECT_EQ(std::memcmp(ta.data, tb.data, ta.size_bytes), 0) << ta.name;
  }
}

GgufWriter MakeWriterWithEverything() {
  GgufWriter w;
  w.SetString("general.architecture", "llama");
  w.SetString("s.empty", "");
  w.SetString("s.binary", std::string("a\0b\xff", 4));
  w.SetString("s.utf8", "Cửa Việt ☃");
  w.SetBool("b.true", true);
  w.SetBool("b.false", false);
  w.SetUint8("u8", 255);
  w.SetInt8("i8", -128);
  w.SetUint16("u16", 65535);
  w.SetInt16("i16", -32768);
  w.SetUint32("u32", 4294967295u);
  w.SetInt32("i32", -2147483647 - 1);
  w.SetUint64("u64", std::numeric_limits<uint64_t>::max());
  w.SetInt64("i64", std::numeric_limits<int64_t>::min());
  w.SetFloat32("f32", -1.5f);
  w.SetFloat64("f64", 3.141592653589793);
  w.SetStringArray("a.str", {"<unk>", "", std::string("x\0y", 3), "▁the"});
  w.SetStringArray("a.str_empty", {});
  w.SetInt32Array("a.i32", {0, -1, 2147483647, -2147483647 - 1});
  w.SetFloat32Array("a.f32", {0.0f, -0.0f, 1e-30f, INFINITY});
  return w;
}

TEST(RoundTripTest, EveryWriterValueAndTensor) {
  GgufWriter w = MakeWriterWithEverything();
  const std::string f32 = RandomBytes(4 * 3 * 4, 1);
  const std::string q8 = RandomBytes(2 * 2 * 34, 2);
  const std::string f16 = RandomBytes(5 * 2, 3);
  w.AddTensor("t.f32", TensorType::kF32, {4, 3}, f32);
  w.AddTensor("t.q8_0", TensorType::kQ8_0, {64, 2}, q8);
  w.AddTensor("t.f16", TensorType::kF16, {5},
              GgufWriter::Producer([&](std::string* out) {
                out->append(f16);
                return absl::OkStatus();
              }));
  absl::StatusOr<std::string> image = w.WriteToString();
  ASSERT_TRUE(image.ok()) << image.status();
  auto file = GgufFile::FromBuffer(image->data(), image->size());
  ASSERT_TRUE(file.ok()) << file.status();
  const GgufFile& g = **file;

  EXPECT_EQ(g.version(), 3u);
  EXPECT_EQ(g.alignment(), 32u);
  EXPECT_EQ(g.data_offset() % 32, 0u);
  EXPECT_EQ(g.file_size(), image->size());
  ASSERT_EQ(g.metadata().size(), 20u);
  EXPECT_EQ(g.metadata()[0].first, "general.architecture");
  EXPECT_EQ(*g.GetString("general.architecture"), "llama");
  EXPECT_EQ(*g.GetString("s.empty"), "");
  EXPECT_EQ(*g.GetString("s.binary"), std::string_view("a\0b\xff", 4));
  EXPECT_EQ(*g.GetString("s.utf8"), "Cửa Việt ☃");
  EXPECT_EQ(*g.GetBool("b.true"), true);
  EXPECT_EQ(*g.GetBool("b.false"), false);
  EXPECT_EQ(*g.GetUint("u8"), 255u);
  EXPECT_EQ(*g.GetInt("i8"), -128);
  EXPECT_EQ(*g.GetUint("u16"), 65535u);
  EXPECT_EQ(*g.GetInt("i16"), -32768);
  EXPECT_EQ(*g.GetUint("u32"), 4294967295u);
  EXPECT_EQ(*g.GetInt("i32"), -2147483647 - 1);
  EXPECT_EQ(*g.GetUint("u64"), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(*g.GetInt("i64"), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(*g.GetFloat("f32"), -1.5);
  EXPECT_EQ(*g.GetFloat("f64"), 3.141592653589793);
  EXPECT_EQ(g.Find("f32")->type(), ValueType::kFloat32);
  EXPECT_EQ(g.Find("b.true")->type(), ValueType::kBool);

  auto strs = g.GetStringArray("a.str");
  ASSERT_TRUE(strs.ok()) << strs.status();
  EXPECT_THAT(*strs,
              ElementsAre("<unk>", "", std::string_view("x\0y", 3), "▁the"));
  EXPECT_TRUE(g.GetStringArray("a.str_empty")->empty());
  EXPECT_EQ(g.Find("a.str_empty")->element_type(), ValueType::kString);
  EXPECT_THAT(*g.GetIntArray("a.i32"),
              ElementsAre(0, -1, 2147483647, -2147483647 - 1));
  auto floats = g.GetFloatArray("a.f32");
  ASSERT_TRUE(floats.ok());
  ASSERT_EQ(floats->size(), 4u);
  EXPECT_EQ((*floats)[0], 0.0f);
  EXPECT_TRUE(std::signbit((*floats)[1]));
  EXPECT_EQ((*floats)[2], 1e-30f);
  EXPECT_TRUE(std::isinf((*floats)[3]));
  auto third = g.Find("a.str")->GetElement(2);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(*third->GetString(), std::string_view("x\0y", 3));

  ASSERT_EQ(g.tensors().size(), 3u);
  const TensorInfo* t = g.FindTensor("t.q8_0");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->type, TensorType::kQ8_0);
  EXPECT_THAT(t->dims, ElementsAre(64, 2));
  EXPECT_EQ(t->num_elements(), 128);
  EXPECT_EQ(t->size_bytes, q8.size());
  EXPECT_EQ(
      std::string_view(reinterpret_cast<const char*>(t->data), t->size_bytes),
      q8);
  for (const TensorInfo& ti : g.tensors()) {
    EXPECT_EQ(ti.offset % 32, 0u) << ti.name;
    EXPECT_EQ(ti.data, reinterpret_cast<const uint8_t*>(image->data()) +
                           g.data_offset() + ti.offset);
  }
  EXPECT_EQ(std::string_view(
                reinterpret_cast<const char*>(g.FindTensor("t.f32")->data), 48),
            f32);
  EXPECT_EQ(std::string_view(
                reinterpret_cast<const char*>(g.FindTensor("t.f16")->data), 10),
            f16);
  EXPECT_EQ(g.FindTensor("missing"), nullptr);
  EXPECT_EQ(g.Find("missing"), nullptr);

  // The file path gives the same bytes, and Open reads them back.
  const std::string path = TempPath("everything.gguf");
  ASSERT_TRUE(w.Write(path).ok());
  EXPECT_EQ(ReadAll(path), *image);
  auto opened = GgufFile::Open(path);
  ASSERT_TRUE(opened.ok()) << opened.status();
  ExpectSameFiles(**opened, g);
  std::remove(path.c_str());
}

TEST(RoundTripTest, AlignmentKeyHonoured) {
  GgufWriter w;
  w.SetUint32("general.alignment", 64);
  w.SetString("k", "v");
  w.AddTensor("a", TensorType::kF32, {3}, RandomBytes(12, 4));
  w.AddTensor("b", TensorType::kF32, {5}, RandomBytes(20, 5));
  auto image = w.WriteToString();
  ASSERT_TRUE(image.ok());
  auto file = GgufFile::FromBuffer(image->data(), image->size());
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ((*file)->alignment(), 64u);
  EXPECT_EQ((*file)->data_offset() % 64, 0u);
  EXPECT_EQ((*file)->tensors()[1].offset, 64u);
}

TEST(RoundTripTest, SetReplacesAndKeepsOrder) {
  GgufWriter w;
  w.SetString("a", "1");
  w.SetString("b", "2");
  w.SetUint32("a", 3);
  auto image = w.WriteToString();
  ASSERT_TRUE(image.ok());
  auto file = GgufFile::FromBuffer(image->data(), image->size());
  ASSERT_TRUE(file.ok());
  ASSERT_EQ((*file)->metadata().size(), 2u);
  EXPECT_EQ((*file)->metadata()[0].first, "a");
  EXPECT_EQ(*(*file)->GetUint("a"), 3u);
}

// An image holding an array of every element type and nested arrays, built
// by hand (the writer has no nested-array setter); copied key by key through
// SetValue it must survive byte for byte.
std::string AllArraysImage() {
  Bytes b;
  b.Header(3, 0, 15);
  auto array_of = [&](const char* key, ValueType elem, uint64_t n) -> Bytes& {
    return b.Str(key).Type(ValueType::kArray).Type(elem).U64(n);
  };
  array_of("a.u8", ValueType::kUint8, 3).U8(0).U8(7).U8(255);
  array_of("a.i8", ValueType::kInt8, 2).Put<int8_t>(-1).Put<int8_t>(127);
  array_of("a.u16", ValueType::kUint16, 1).Put<uint16_t>(65535);
  array_of("a.i16", ValueType::kInt16, 1).Put<int16_t>(-300);
  array_of("a.u32", ValueType::kUint32, 2).U32(1).U32(4000000000u);
  array_of("a.i32", ValueType::kInt32, 1).Put<int32_t>(-5);
  array_of("a.f32", ValueType::kFloat32, 2).Put(0.25f).Put(-2.0f);
  array_of("a.bool", ValueType::kBool, 3).U8(1).U8(0).U8(1);
  array_of("a.u64", ValueType::kUint64, 1).U64(1ull << 40);
  array_of("a.i64", ValueType::kInt64, 1).Put<int64_t>(-(1ll << 40));
  array_of("a.f64", ValueType::kFloat64, 1).Put(1e300);
  array_of("a.str", ValueType::kString, 2).Str("x").Str("yz");
  // [[1, 2], [], [3]] as uint32.
  array_of("a.nested", ValueType::kArray, 3)
      .Type(ValueType::kUint32)
      .U64(2)
      .U32(1)
      .U32(2)
      .Type(ValueType::kUint32)
      .U64(0)
      .Type(ValueType::kUint32)
      .U64(1)
      .U32(3);
  // [[["a"], ["b", "c"]]]: three levels, strings at the bottom.
  array_of("a.deep", ValueType::kArray, 1)
      .Type(ValueType::kArray)
      .U64(2)
      .Type(ValueType::kString)
      .U64(1)
      .Str("a")
      .Type(ValueType::kString)
      .U64(2)
      .Str("b")
      .Str("c");
  b.Str("s").Type(ValueType::kString).Str("plain");
  return b.str();
}

TEST(RoundTripTest, ArraysOfEveryTypeAndNestedArraysViaSetValue) {
  const std::string src = AllArraysImage();
  auto in = GgufFile::FromBuffer(src.data(), src.size());
  ASSERT_TRUE(in.ok()) << in.status();
  const GgufFile& g = **in;

  EXPECT_THAT(*g.GetIntArray("a.u8"), ElementsAre(0, 7, 255));
  EXPECT_THAT(*g.GetIntArray("a.i8"), ElementsAre(-1, 127));
  EXPECT_THAT(*g.GetIntArray("a.u16"), ElementsAre(65535));
  EXPECT_THAT(*g.GetIntArray("a.i16"), ElementsAre(-300));
  EXPECT_THAT(*g.GetIntArray("a.u32"), ElementsAre(1, 4000000000ll));
  EXPECT_THAT(*g.GetIntArray("a.bool"), ElementsAre(1, 0, 1));
  EXPECT_THAT(*g.GetIntArray("a.u64"), ElementsAre(1ll << 40));
  EXPECT_THAT(*g.GetIntArray("a.i64"), ElementsAre(-(1ll << 40)));
  EXPECT_THAT(*g.GetFloatArray("a.f32"), ElementsAre(0.25f, -2.0f));
  EXPECT_THAT(*g.GetFloatArray("a.f64"), ElementsAre(INFINITY));  // narrowed
  EXPECT_THAT(*g.GetFloatArray("a.i32"), ElementsAre(-5.0f));
  EXPECT_EQ(*g.Find("a.bool")->GetElement(1)->GetBool(), false);
  EXPECT_EQ(*g.Find("a.f64")->GetElement(0)->GetFloat(), 1e300);

  const Value* nested = g.Find("a.nested");
  ASSERT_NE(nested, nullptr);
  EXPECT_EQ(nested->element_type(), ValueType::kArray);
  ASSERT_EQ(nested->size(), 3u);
  EXPECT_THAT(*nested->GetElement(0)->GetIntArray(), ElementsAre(1, 2));
  EXPECT_EQ(nested->GetElement(1)->size(), 0u);
  EXPECT_THAT(*nested->GetElement(2)->GetIntArray(), ElementsAre(3));
  EXPECT_FALSE(nested->GetElement(3).ok());
  EXPECT_FALSE(nested->GetStringArray().ok());
  auto deep = g.Find("a.deep")->GetElement(0);
  ASSERT_TRUE(deep.ok());
  EXPECT_THAT(*deep->GetElement(1)->GetStringArray(), ElementsAre("b", "c"));

  GgufWriter w;
  for (const auto& [key, value] : g.metadata()) w.SetValue(key, value);
  auto image = w.WriteToString();
  ASSERT_TRUE(image.ok());
  auto out = GgufFile::FromBuffer(image->data(), image->size());
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectSameFiles(g, **out);
  // Nothing but the (absent) padding differs from the hand-built image.
  EXPECT_EQ(image->substr(0, src.size()), src);
}

TEST(RoundTripTest, WriterErrors) {
  {
    GgufWriter w;
    w.AddTensor("x", TensorType::kF32, {2}, std::string(8, '\0'));
    w.AddTensor("x", TensorType::kF32, {2}, std::string(8, '\0'));
    EXPECT_THAT(std::string(w.WriteToString().status().message()),
                HasSubstr("duplicate tensor name 'x'"));
  }
  {
    GgufWriter w;
    w.AddTensor("x", TensorType::kF32, {2}, std::string(7, '\0'));
    EXPECT_FALSE(w.WriteToString().ok());
  }
  {
    GgufWriter w;
    w.AddTensor("x", TensorType::kQ8_0, {31}, std::string(34, '\0'));
    EXPECT_FALSE(w.WriteToString().ok());
  }
  {
    GgufWriter w;
    w.AddTensor("x", TensorType::kF32, {2},
                GgufWriter::Producer([](std::string* out) {
                  out->append(4, '\0');
                  return absl::OkStatus();
                }));
    EXPECT_THAT(std::string(w.WriteToString().status().message()),
                HasSubstr("producer"));
  }
  {
    GgufWriter w;
    w.SetUint64("general.alignment", 64);
    EXPECT_FALSE(w.WriteToString().ok());
    w.SetUint32("general.alignment", 48);
    EXPECT_FALSE(w.WriteToString().ok());
  }
  {
    // A failing producer leaves neither the final file nor a temporary.
    const std::string dir = TempPath("failed_write");
    ::mkdir(dir.c_str(), 0755);
    GgufWriter w;
    w.AddTensor("x", TensorType::kF32, {2},
                GgufWriter::Producer(
                    [](std::string*) { return absl::InternalError("boom"); }));
    absl::Status s = w.Write(dir + "/out.gguf");
    EXPECT_THAT(std::string(s.message()), HasSubstr("boom"));
    EXPECT_EQ(::rmdir(dir.c_str()), 0) << "directory not empty";
  }
}

TEST(RoundTripTest, TypedGetterErrors) {
  GgufWriter w = MakeWriterWithEverything();
  auto image = w.WriteToString();
  ASSERT_TRUE(image.ok());
  auto file = GgufFile::FromBuffer(image->data(), image->size());
  ASSERT_TRUE(file.ok());
  const GgufFile& g = **file;
  EXPECT_EQ(g.GetInt("u64").status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(g.GetUint("i8").status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(*g.GetInt("b.true"), 1);
  EXPECT_EQ(*g.GetFloat("i8"), -128.0);
  EXPECT_EQ(*g.GetFloat("u64"), 18446744073709551615.0);
  auto s = g.GetBool("u8");
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("'u8'"));
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("uint8"));
  EXPECT_THAT(std::string(g.GetString("a.str").status().message()),
              HasSubstr("array of string"));
  auto missing = g.GetInt("no.such.key");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(missing.status().message()),
              HasSubstr("'no.such.key'"));
  EXPECT_FALSE(g.GetIntArray("a.str").ok());
  EXPECT_FALSE(g.GetStringArray("a.i32").ok());
  EXPECT_FALSE(g.Find("u8")->GetElement(0).ok());
}

TEST(RoundTripTest, LargeStringArrayIsFast) {
  constexpr int kTokens = 280000;
  std::vector<std::string> tokens(kTokens);
  for (int i = 0; i < kTokens; ++i) tokens[i] = "tok" + std::to_string(i);
  GgufWriter w;
  w.SetStringArray("tokenizer.ggml.tokens", tokens);
  auto image = w.WriteToString();
  ASSERT_TRUE(image.ok());
  const auto t0 = std::chrono::steady_clock::now();
  auto file = GgufFile::FromBuffer(image->data(), image->size());
  ASSERT_TRUE(file.ok());
  const auto t1 = std::chrono::steady_clock::now();
  auto got = (*file)->GetStringArray("tokenizer.ggml.tokens");
  const auto t2 = std::chrono::steady_clock::now();
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), tokens.size());
  for (int i = 0; i < kTokens; i += 9973) EXPECT_EQ((*got)[i], tokens[i]);
  // Random access is O(1) thanks to the parse-time index.
  const Value* v = (*file)->Find("tokenizer.ggml.tokens");
  for (int i = kTokens - 1; i >= 0; i -= 1) {
    if (i % 1000 != 0) continue;
    EXPECT_EQ(*v->GetElement(i)->GetString(), tokens[i]);
  }
  using Ms = std::chrono::duration<double, std::milli>;
  std::printf("parse %d tokens: %.2f ms; GetStringArray: %.2f ms\n", kTokens,
              Ms(t1 - t0).count(), Ms(t2 - t1).count());
  EXPECT_LT(Ms(t2 - t0).count(), 1000.0);  // generous: sanitizer builds
}

TEST(OpenTest, FileSystemErrors) {
  auto missing = GgufFile::Open(TempPath("does-not-exist.gguf"));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(missing.status().message()),
              HasSubstr("does-not-exist.gguf"));

  auto dir = GgufFile::Open(TempPath(""));
  EXPECT_EQ(dir.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(dir.status().message()), HasSubstr("directory"));

  const std::string empty = TempPath("empty.gguf");
  { std::ofstream(empty, std::ios::binary); }
  auto e = GgufFile::Open(empty);
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(e.status().message()), HasSubstr("empty"));
  std::remove(empty.c_str());

  EXPECT_FALSE(GgufFile::FromBuffer("", 0).ok());
  EXPECT_FALSE(GgufFile::FromBuffer(nullptr, 8).ok());
}

}  // namespace
}  // namespace edgellm::gguf
