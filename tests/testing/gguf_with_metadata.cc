#include "tests/testing/gguf_with_metadata.h"

#include <cstdint>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "runtime/gguf/gguf.h"
#include "runtime/gguf/writer.h"

namespace edgellm::testing {

absl::Status CopyGgufWithStrings(
    const std::string& in, const std::string& out,
    const std::vector<std::pair<std::string, std::string>>& strings) {
  absl::StatusOr<std::unique_ptr<gguf::GgufFile>> file =
      gguf::GgufFile::Open(in);
  if (!file.ok()) return file.status();
  gguf::GgufWriter w;
  for (const auto& [key, value] : (*file)->metadata()) w.SetValue(key, value);
  for (const auto& [key, value] : strings) w.SetString(key, value);
  for (const gguf::TensorInfo& t : (*file)->tensors()) {
    w.AddTensor(t.name, t.type, t.dims,
                std::string(reinterpret_cast<const char*>(t.data),
                            static_cast<size_t>(t.size_bytes)));
  }
  return w.Write(out);
}

namespace {

// Little-endian, as GGUF stores its numbers (and x86 and arm64 hold them).
template <typename T>
std::string Bytes(T v) {
  std::string out(sizeof(T), '\0');
  std::memcpy(out.data(), &v, sizeof(T));
  return out;
}

}  // namespace

absl::Status WidenInt32ArrayToBytes(std::string& image, std::string_view key) {
  // A metadata entry: the key (uint64 length, bytes), its type (array), the
  // element type and the uint64 element count.
  const std::string entry =
      absl::StrCat(Bytes<uint64_t>(key.size()), std::string(key),
                   Bytes(static_cast<uint32_t>(gguf::ValueType::kArray)),
                   Bytes(static_cast<uint32_t>(gguf::ValueType::kInt32)));
  const size_t at = image.find(entry);
  if (at == std::string::npos || at + entry.size() + 8 > image.size()) {
    return absl::NotFoundError(
        absl::StrCat("no int32 array '", std::string(key), "' in the image"));
  }
  uint64_t count = 0;
  std::memcpy(&count, image.data() + at + entry.size(), sizeof(count));
  const std::string widened =
      absl::StrCat(Bytes(static_cast<uint32_t>(gguf::ValueType::kUint8)),
                   Bytes<uint64_t>(count * 4));
  image.replace(at + entry.size() - 4, widened.size(), widened);
  return absl::OkStatus();
}

}  // namespace edgellm::testing
