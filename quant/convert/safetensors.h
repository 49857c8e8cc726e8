// safetensors files (huggingface/safetensors): an 8-byte little-endian
// header length N, N bytes of JSON {"name": {"dtype", "shape",
// "data_offsets": [begin, end]}, "__metadata__": {...}}, then the data;
// offsets are relative to the start of the data. Tensors are row-major
// (C order), so a [out, in] matrix is GGUF dims {in, out}.
//
// The file is memory-mapped; every entry is validated (dtype known, shape
// product matches the byte range, ranges inside the data and not
// overlapping) before any pointer is handed out.
//
// Immutable after Open; safe to read from any thread. Views live as long as
// the SafetensorsFile.
#ifndef EDGELLM_QUANT_CONVERT_SAFETENSORS_H_
#define EDGELLM_QUANT_CONVERT_SAFETENSORS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "quant/convert/mapped_file.h"

namespace edgellm::quant {

enum class SafetensorsDtype { kF32, kF16, kBF16, kOther };

struct SafetensorsTensor {
  std::string name;
  std::string dtype_name;  // as in the file: "F32", "BF16", "I8", ...
  SafetensorsDtype dtype = SafetensorsDtype::kOther;
  int64_t element_size = 0;    // bytes; 0 for kOther dtypes we cannot size
  std::vector<int64_t> shape;  // row-major, shape.back() fastest
  const uint8_t* data = nullptr;
  uint64_t size_bytes = 0;

  int64_t num_elements() const;
};

class SafetensorsFile {
 public:
  static absl::StatusOr<std::unique_ptr<SafetensorsFile>> Open(
      const std::string& path);
  // Parses an image in memory (not owned). For tests.
  static absl::StatusOr<std::unique_ptr<SafetensorsFile>> FromBuffer(
      const void* data, size_t size, std::string name);

  const std::string& path() const { return path_; }
  // In order of their data offsets.
  const std::vector<SafetensorsTensor>& tensors() const { return tensors_; }
  const SafetensorsTensor* Find(std::string_view name) const;
  // String values of "__metadata__".
  const std::map<std::string, std::string>& metadata() const {
    return metadata_;
  }

 private:
  SafetensorsFile() = default;
  absl::Status Parse(const uint8_t* data, size_t size);
  std::string path_;
  std::unique_ptr<MappedFile> file_;
  std::vector<SafetensorsTensor> tensors_;
  std::map<std::string, std::string> metadata_;
};

// Converts `count` values of an F32/F16/BF16 tensor to f32.
absl::Status SafetensorsToF32(const SafetensorsTensor& tensor, float* out);

// A model's safetensors: "model.safetensors", or the shards named by
// "model.safetensors.index.json" ({"weight_map": {tensor: file}}).
class SafetensorsModel {
 public:
  // `dir` is a Hugging Face model folder. Errors name the missing or
  // inconsistent file (a tensor the index names but its shard lacks, ...).
  static absl::StatusOr<std::unique_ptr<SafetensorsModel>> Open(
      const std::string& dir);

  const std::vector<std::unique_ptr<SafetensorsFile>>& files() const {
    return files_;
  }
  // All tensors of all shards, by name.
  const std::map<std::string, const SafetensorsTensor*>& tensors() const {
    return tensors_;
  }
  const SafetensorsTensor* Find(const std::string& name) const;

 private:
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, const SafetensorsTensor*> tensors_;
};

}  // namespace edgellm::quant

#endif  // EDGELLM_QUANT_CONVERT_SAFETENSORS_H_
