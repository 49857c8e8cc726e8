#include "runtime/model/weight_stats.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace edgellm::model {
namespace {

std::string UpperTypeName(gguf::TensorType type) {
  absl::StatusOr<gguf::TensorTypeTraits> traits =
      gguf::GetTensorTypeTraits(static_cast<uint32_t>(type));
  std::string name = traits.ok()
                         ? std::string(traits->name)
                         : absl::StrCat("type", static_cast<uint32_t>(type));
  for (char& ch : name) ch = static_cast<char>(std::toupper(ch));
  return name;
}

// (type, tensor count), most common first; ties in type-code order.
std::vector<std::pair<gguf::TensorType, int>> CountTypes(
    const gguf::GgufFile& file) {
  std::map<uint32_t, int> counts;
  for (const gguf::TensorInfo& t : file.tensors()) {
    ++counts[static_cast<uint32_t>(t.type)];
  }
  std::vector<std::pair<gguf::TensorType, int>> sorted;
  for (const auto& [code, n] : counts) {
    sorted.emplace_back(static_cast<gguf::TensorType>(code), n);
  }
  std::stable_sort(
      sorted.begin(), sorted.end(),
      [](const auto& a, const auto& b) { return a.second > b.second; });
  return sorted;
}

}  // namespace

std::string WeightTypeMix(const gguf::GgufFile& file) {
  return absl::StrJoin(
      CountTypes(file), ", ", [](std::string* out, const auto& p) {
        absl::StrAppend(out, UpperTypeName(p.first), " x", p.second);
      });
}

std::vector<gguf::TensorType> WeightTypes(const gguf::GgufFile& file) {
  std::vector<gguf::TensorType> types;
  for (const auto& p : CountTypes(file)) types.push_back(p.first);
  return types;
}

uint64_t WeightBytesPerToken(const gguf::GgufFile& file) {
  const bool separate_head = file.FindTensor("output.weight") != nullptr;
  uint64_t bytes = 0;
  for (const gguf::TensorInfo& t : file.tensors()) {
    if (separate_head && t.name == "token_embd.weight" && t.dims.size() == 2 &&
        t.dims[1] > 0) {
      bytes += t.size_bytes / static_cast<uint64_t>(t.dims[1]);
      continue;
    }
    bytes += t.size_bytes;
  }
  return bytes;
}

}  // namespace edgellm::model
