// libFuzzer target for the GGUF reader: any input must yield a Status or a
// file whose every view stays inside the input; a file that parses must
// survive a writer round trip unchanged. Built with clang by
// tools/fuzz.sh gguf_reader (not by Bazel's g++ build); the seed corpus is
// replayed by //tests/fuzz:gguf_reader_fuzzer_replay_test.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "runtime/gguf/gguf.h"
#include "runtime/gguf/types.h"
#include "runtime/gguf/writer.h"

namespace {

using edgellm::gguf::GgufFile;
using edgellm::gguf::GgufWriter;
using edgellm::gguf::TensorInfo;
using edgellm::gguf::Value;
using edgellm::gguf::ValueType;

// Keeps the optimizer from dropping reads.
volatile uint64_t g_sink = 0;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

void Touch(std::string_view s) {
  if (!s.empty()) g_sink = g_sink + static_cast<uint8_t>(s.front()) + s.back();
}

// Visits a value and (bounded by `budget`) its elements.
void Visit(const Value& v, int& budget) {
  if (--budget < 0) return;
  (void)v.GetInt();
  (void)v.GetUint();
  (void)v.GetFloat();
  (void)v.GetBool();
  if (auto s = v.GetString(); s.ok()) Touch(*s);
  if (v.type() != ValueType::kArray) return;
  if (auto a = v.GetStringArray(); a.ok()) {
    Check(a->size() == v.size());
    for (std::string_view s : *a) Touch(s);
  }
  if (auto a = v.GetIntArray(); a.ok()) Check(a->size() == v.size());
  if (auto a = v.GetFloatArray(); a.ok()) Check(a->size() == v.size());
  Check(!v.GetElement(v.size()).ok());
  for (uint64_t i = 0; i < v.size() && budget > 0; ++i) {
    auto e = v.GetElement(i);
    Check(e.ok());
    Check(e->type() == v.element_type());
    Visit(*e, budget);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto file = GgufFile::FromBuffer(data, size);
  if (!file.ok()) return 0;
  const GgufFile& g = **file;
  Check(g.data_offset() % g.alignment() == 0);

  int budget = 20000;
  GgufWriter w;
  for (const auto& [key, value] : g.metadata()) {
    Touch(key);
    Check(g.Find(key) == &value);
    Visit(value, budget);
    w.SetValue(key, value);
  }
  for (const TensorInfo& t : g.tensors()) {
    Touch(t.name);
    Check(g.FindTensor(t.name) == &t);
    Check(t.data >= data && t.size_bytes <= size &&
          t.data + t.size_bytes <= data + size);
    auto bytes = edgellm::gguf::TensorBytes(t.type, t.dims);
    Check(bytes.ok() && *bytes == t.size_bytes);
    g_sink = g_sink + t.data[0] + t.data[t.size_bytes - 1];
    w.AddTensor(
        t.name, t.type, t.dims,
        std::string(reinterpret_cast<const char*>(t.data), t.size_bytes));
  }

  // Whatever the reader accepts, the writer reproduces.
  auto image = w.WriteToString();
  Check(image.ok());
  auto again = GgufFile::FromBuffer(image->data(), image->size());
  Check(again.ok());
  const GgufFile& h = **again;
  Check(h.metadata().size() == g.metadata().size());
  for (size_t i = 0; i < g.metadata().size(); ++i) {
    const Value& a = g.metadata()[i].second;
    const Value& b = h.metadata()[i].second;
    Check(h.metadata()[i].first == g.metadata()[i].first);
    Check(a.type() == b.type() && a.size() == b.size());
  }
  Check(h.tensors().size() == g.tensors().size());
  for (size_t i = 0; i < g.tensors().size(); ++i) {
    const TensorInfo& a = g.tensors()[i];
    const TensorInfo& b = h.tensors()[i];
    Check(a.name == b.name && a.type == b.type && a.dims == b.dims);
    Check(std::memcmp(a.data, b.data, a.size_bytes) == 0);
  }
  return 0;
}
