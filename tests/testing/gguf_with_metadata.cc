#include "tests/testing/gguf_with_metadata.h"

#include <memory>

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

}  // namespace edgellm::testing
