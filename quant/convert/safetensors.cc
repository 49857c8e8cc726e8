#include "quant/convert/safetensors.h"

#include <algorithm>
#include <cstring>
#include <set>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "quant/fp16.h"

namespace edgellm::quant {
namespace {

using nlohmann::json;

// The safetensors reference implementation caps headers at 100 MB.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;
// Bounds that keep every size computed from a header far from overflow:
// 2^48 elements of 8 bytes still fit an int64, and no tensor has more than
// a handful of dimensions (GGUF allows 4).
constexpr int kMaxElementsLog2 = 48;
constexpr uint64_t kMaxElements = uint64_t{1} << kMaxElementsLog2;
constexpr size_t kMaxDims = 8;

struct DtypeInfo {
  const char* name;
  SafetensorsDtype dtype;
  int64_t size;
};

constexpr DtypeInfo kDtypes[] = {
    {"F32", SafetensorsDtype::kF32, 4},
    {"F16", SafetensorsDtype::kF16, 2},
    {"BF16", SafetensorsDtype::kBF16, 2},
    {"F64", SafetensorsDtype::kOther, 8},
    {"I64", SafetensorsDtype::kOther, 8},
    {"U64", SafetensorsDtype::kOther, 8},
    {"I32", SafetensorsDtype::kOther, 4},
    {"U32", SafetensorsDtype::kOther, 4},
    {"I16", SafetensorsDtype::kOther, 2},
    {"U16", SafetensorsDtype::kOther, 2},
    {"I8", SafetensorsDtype::kOther, 1},
    {"U8", SafetensorsDtype::kOther, 1},
    {"BOOL", SafetensorsDtype::kOther, 1},
    {"F8_E4M3", SafetensorsDtype::kOther, 1},
    {"F8_E5M2", SafetensorsDtype::kOther, 1},
};

}  // namespace

int64_t SafetensorsTensor::num_elements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

absl::StatusOr<std::unique_ptr<SafetensorsFile>> SafetensorsFile::Open(
    const std::string& path) {
  absl::StatusOr<std::unique_ptr<MappedFile>> mapped = MappedFile::Open(path);
  if (!mapped.ok()) return mapped.status();
  std::unique_ptr<SafetensorsFile> file(new SafetensorsFile());
  file->path_ = path;
  file->file_ = std::move(*mapped);
  if (absl::Status s = file->Parse(file->file_->data(), file->file_->size());
      !s.ok()) {
    return s;
  }
  return file;
}

absl::StatusOr<std::unique_ptr<SafetensorsFile>> SafetensorsFile::FromBuffer(
    const void* data, size_t size, std::string name) {
  std::unique_ptr<SafetensorsFile> file(new SafetensorsFile());
  file->path_ = std::move(name);
  if (absl::Status s = file->Parse(static_cast<const uint8_t*>(data), size);
      !s.ok()) {
    return s;
  }
  return file;
}

absl::Status SafetensorsFile::Parse(const uint8_t* data, size_t size) {
  auto error = [&](const std::string& what) {
    return absl::InvalidArgumentError(
        absl::StrCat("safetensors file '", path_, "': ", what));
  };
  if (size < 8) return error(absl::StrCat("only ", size, " bytes"));
  uint64_t header_len;
  std::memcpy(&header_len, data, sizeof(header_len));
  if (header_len > kMaxHeaderBytes || header_len > size - 8) {
    return error(absl::StrCat("header length ", header_len,
                              " at byte 0 exceeds the file (", size,
                              " bytes) or the 100 MB limit"));
  }
  const char* text = reinterpret_cast<const char*>(data + 8);
  const json header = json::parse(text, text + header_len, nullptr,
                                  /*allow_exceptions=*/false);
  if (header.is_discarded() || !header.is_object()) {
    return error("the header (bytes 8.." + std::to_string(8 + header_len) +
                 ") is not a JSON object");
  }
  const uint8_t* base = data + 8 + header_len;
  const uint64_t data_size = size - 8 - header_len;
  for (const auto& item : header.items()) {
    // Not a structured binding: clang 14 (the fuzzer build) cannot capture
    // one in the lambda below.
    const std::string& name = item.key();
    const json& entry = item.value();
    if (name == "__metadata__") {
      if (!entry.is_object()) return error("__metadata__ is not an object");
      for (const auto& [key, value] : entry.items()) {
        if (value.is_string()) metadata_[key] = value.get<std::string>();
      }
      continue;
    }
    auto field_error = [&](const std::string& what) {
      return error(absl::StrCat("tensor '", name, "': ", what));
    };
    if (!entry.is_object()) return field_error("entry is not an object");
    const auto dtype = entry.find("dtype");
    const auto shape = entry.find("shape");
    const auto offsets = entry.find("data_offsets");
    if (dtype == entry.end() || !dtype->is_string()) {
      return field_error("missing or non-string \"dtype\"");
    }
    if (shape == entry.end() || !shape->is_array()) {
      return field_error("missing or non-array \"shape\"");
    }
    if (offsets == entry.end() || !offsets->is_array() ||
        offsets->size() != 2 || !(*offsets)[0].is_number_unsigned() ||
        !(*offsets)[1].is_number_unsigned()) {
      return field_error("\"data_offsets\" is not [begin, end]");
    }
    SafetensorsTensor t;
    t.name = name;
    t.dtype_name = dtype->get<std::string>();
    for (const DtypeInfo& info : kDtypes) {
      if (t.dtype_name == info.name) {
        t.dtype = info.dtype;
        t.element_size = info.size;
      }
    }
    if (shape->size() > kMaxDims) {
      return field_error(absl::StrCat("shape has ", shape->size(),
                                      " dimensions; at most ", kMaxDims));
    }
    // The product is checked before each multiplication: [2^32, 2^32]
    // would wrap to 0 and match an empty byte range.
    uint64_t elements = 1;
    for (const json& d : *shape) {
      if (!d.is_number_unsigned()) {
        return field_error("shape entries must be non-negative integers");
      }
      const uint64_t dim = d.get<uint64_t>();
      // Each dim is bounded too: after a 0 the product no longer grows.
      if (dim > kMaxElements || (dim != 0 && elements > kMaxElements / dim)) {
        return field_error(absl::StrCat("shape entry ", t.shape.size(), " (",
                                        dim,
                                        ") takes the element "
                                        "count past 2^",
                                        kMaxElementsLog2));
      }
      t.shape.push_back(static_cast<int64_t>(dim));
      elements *= dim;
    }
    const uint64_t begin = (*offsets)[0].get<uint64_t>();
    const uint64_t end = (*offsets)[1].get<uint64_t>();
    if (begin > end || end > data_size) {
      return field_error(absl::StrCat("data_offsets [", begin, ", ", end,
                                      "] lie outside the data section (",
                                      data_size, " bytes)"));
    }
    if (t.element_size != 0 &&
        end - begin != elements * static_cast<uint64_t>(t.element_size)) {
      return field_error(
          absl::StrCat("data_offsets [", begin, ", ", end, "] hold ",
                       end - begin, " bytes but shape and dtype ", t.dtype_name,
                       " need ", elements * t.element_size));
    }
    t.data = base + begin;
    t.size_bytes = end - begin;
    tensors_.push_back(std::move(t));
  }
  std::sort(tensors_.begin(), tensors_.end(),
            [](const SafetensorsTensor& a, const SafetensorsTensor& b) {
              return a.data < b.data;
            });
  for (size_t i = 1; i < tensors_.size(); ++i) {
    const SafetensorsTensor& prev = tensors_[i - 1];
    if (prev.data + prev.size_bytes > tensors_[i].data) {
      return error(absl::StrCat("tensors '", prev.name, "' and '",
                                tensors_[i].name, "' overlap"));
    }
  }
  return absl::OkStatus();
}

const SafetensorsTensor* SafetensorsFile::Find(std::string_view name) const {
  for (const SafetensorsTensor& t : tensors_) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

absl::Status SafetensorsToF32(const SafetensorsTensor& tensor, float* out) {
  const int64_t n = tensor.num_elements();
  // An empty tensor's output may be a null pointer, which memcpy must not
  // get even for 0 bytes (found by the fuzzer under UBSan).
  if (n == 0 && tensor.dtype != SafetensorsDtype::kOther) {
    return absl::OkStatus();
  }
  switch (tensor.dtype) {
    case SafetensorsDtype::kF32:
      std::memcpy(out, tensor.data, n * sizeof(float));
      return absl::OkStatus();
    case SafetensorsDtype::kF16:
    case SafetensorsDtype::kBF16: {
      const bool f16 = tensor.dtype == SafetensorsDtype::kF16;
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, tensor.data + 2 * i, sizeof(h));
        out[i] = f16 ? Fp16ToFp32(h) : Bf16ToFp32(h);
      }
      return absl::OkStatus();
    }
    case SafetensorsDtype::kOther:
      break;
  }
  return absl::UnimplementedError(
      absl::StrCat("tensor '", tensor.name, "' has dtype ", tensor.dtype_name,
                   ", which is not supported (supported: F32, F16, BF16)"));
}

absl::StatusOr<std::unique_ptr<SafetensorsModel>> SafetensorsModel::Open(
    const std::string& dir) {
  auto model = std::make_unique<SafetensorsModel>();
  const std::string index_path = dir + "/model.safetensors.index.json";
  absl::StatusOr<std::string> index_text = ReadFileToString(index_path);
  std::map<std::string, std::string> weight_map;  // tensor -> file
  std::vector<std::string> shard_names;
  if (index_text.ok()) {
    const json index = json::parse(*index_text, nullptr, false);
    if (index.is_discarded() || !index.is_object() ||
        !index.contains("weight_map") || !index["weight_map"].is_object()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "'", index_path, "' is not JSON with a \"weight_map\" object"));
    }
    std::set<std::string> shards;
    for (const auto& [tensor, file] : index["weight_map"].items()) {
      if (!file.is_string()) {
        return absl::InvalidArgumentError(
            absl::StrCat("'", index_path, "': weight_map entry '", tensor,
                         "' is not a file name"));
      }
      const std::string name = file.get<std::string>();
      if (name.find('/') != std::string::npos || name == "..") {
        return absl::InvalidArgumentError(
            absl::StrCat("'", index_path, "': shard name '", name,
                         "' is not a plain file name"));
      }
      weight_map[tensor] = name;
      shards.insert(name);
    }
    shard_names.assign(shards.begin(), shards.end());
  } else if (absl::IsNotFound(index_text.status())) {
    shard_names.push_back("model.safetensors");
  } else {
    return index_text.status();
  }
  for (const std::string& shard : shard_names) {
    absl::StatusOr<std::unique_ptr<SafetensorsFile>> file =
        SafetensorsFile::Open(dir + "/" + shard);
    if (!file.ok()) {
      if (absl::IsNotFound(file.status()) && weight_map.empty()) {
        return absl::NotFoundError(absl::StrCat(
            "no model.safetensors or model.safetensors.index.json in '", dir,
            "' (only safetensors weights are supported, not "
            "pytorch_model.bin)"));
      }
      return file.status();
    }
    for (const SafetensorsTensor& t : (*file)->tensors()) {
      if (!weight_map.empty()) {
        auto it = weight_map.find(t.name);
        if (it == weight_map.end() || it->second != shard) {
          return absl::InvalidArgumentError(absl::StrCat(
              "tensor '", t.name, "' is in shard '", shard,
              "' but model.safetensors.index.json ",
              it == weight_map.end() ? "does not list it"
                                     : "places it in '" + it->second + "'"));
        }
      }
      if (!model->tensors_.emplace(t.name, &t).second) {
        return absl::InvalidArgumentError(absl::StrCat(
            "tensor '", t.name, "' appears in more than one shard"));
      }
    }
    model->files_.push_back(std::move(*file));
  }
  for (const auto& [tensor, shard] : weight_map) {
    if (!model->tensors_.contains(tensor)) {
      return absl::InvalidArgumentError(
          absl::StrCat("model.safetensors.index.json places tensor '", tensor,
                       "' in '", shard, "', which does not contain it"));
    }
  }
  return model;
}

const SafetensorsTensor* SafetensorsModel::Find(const std::string& name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : it->second;
}

}  // namespace edgellm::quant
