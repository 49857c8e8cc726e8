// GGUF model files: a validating, memory-mapped reader.
//
// GGUF (versions 2 and 3) as specified in ggml's docs/gguf.md: a header
// (magic "GGUF", version, tensor count, metadata count), typed key/value
// metadata, tensor infos, then the tensor data section aligned to
// `general.alignment` (default 32). All integers are little-endian.
//
// The reader maps the file read-only and never copies weight data: tensor
// views point into the mapping, so loading a 1 GB model takes milliseconds
// and its pages are shared between processes. Everything is validated before
// use; a corrupt or truncated file yields an error Status naming the problem
// and its byte offset, never a crash, over-read or giant allocation.
//
// Thread-safety: a GgufFile is immutable after Open and may be read from any
// number of threads. Views (string_view, TensorInfo::data) live as long as
// the GgufFile.
#ifndef EDGELLM_RUNTIME_GGUF_GGUF_H_
#define EDGELLM_RUNTIME_GGUF_GGUF_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/gguf/types.h"

namespace edgellm::gguf {

// One metadata value: a scalar, a string or an array (possibly nested).
// Cheap to copy; refers to the file's memory.
class Value {
 public:
  ValueType type() const;
  // For arrays: the element type and the number of elements. For other
  // values element_type() is type() and size() is 0.
  ValueType element_type() const;
  uint64_t size() const;

  // Scalars. Integer getters accept any integer type (and bool for GetInt)
  // whose value fits; GetFloat accepts f32/f64 and integers. Errors say which
  // type was found.
  absl::StatusOr<int64_t> GetInt() const;
  absl::StatusOr<uint64_t> GetUint() const;
  absl::StatusOr<double> GetFloat() const;
  absl::StatusOr<bool> GetBool() const;
  absl::StatusOr<std::string_view> GetString() const;

  // Arrays, decoded in one call (e.g. a tokenizer's 150k tokens).
  absl::StatusOr<std::vector<std::string_view>> GetStringArray() const;
  absl::StatusOr<std::vector<int64_t>> GetIntArray() const;
  absl::StatusOr<std::vector<float>> GetFloatArray() const;
  // Any array, element by element (nested arrays included).
  absl::StatusOr<Value> GetElement(uint64_t index) const;

  // Implementation detail: where the value's bytes start in the file.
  struct Rep;
  explicit Value(std::shared_ptr<const Rep> rep);
  // Implementation detail (the writer copies a value's encoding); never null.
  const Rep* rep() const;

 private:
  std::shared_ptr<const Rep> rep_;
};

struct TensorInfo {
  std::string_view name;
  TensorType type;
  // Dimensions in GGUF order: dims[0] varies fastest (a row has dims[0]
  // elements). For a weight matrix of shape [out][in], dims = {in, out}.
  std::vector<int64_t> dims;
  uint64_t offset = 0;            // from the start of the data section
  uint64_t size_bytes = 0;        // validated to lie inside the file
  const uint8_t* data = nullptr;  // into the mapping

  int64_t num_elements() const;
};

class GgufFile {
 public:
  // Maps and validates `path`. Errors: NOT_FOUND / PERMISSION_DENIED for the
  // file, INVALID_ARGUMENT / DATA_LOSS naming the byte offset for its content
  // (DATA_LOSS when something extends past the end, i.e. truncation;
  // INVALID_ARGUMENT for a bad field; a directory or an empty file is
  // INVALID_ARGUMENT). Messages start with the path. The mapping is
  // read-only and private; as with any mmap, truncating the file on disk
  // while it is open makes later reads of the lost pages fault (SIGBUS).
  static absl::StatusOr<std::unique_ptr<GgufFile>> Open(
      const std::string& path);

  // Parses a GGUF image already in memory (not owned; must outlive the
  // result). For tests and fuzzers.
  static absl::StatusOr<std::unique_ptr<GgufFile>> FromBuffer(const void* data,
                                                              size_t size);

  ~GgufFile();
  GgufFile(const GgufFile&) = delete;
  GgufFile& operator=(const GgufFile&) = delete;

  uint32_t version() const;
  uint64_t alignment() const;
  uint64_t file_size() const;
  uint64_t data_offset() const;  // where the tensor data section starts

  // All metadata in file order.
  const std::vector<std::pair<std::string_view, Value>>& metadata() const;
  // nullptr if absent.
  const Value* Find(std::string_view key) const;

  // Typed look-ups whose errors name the key (NOT_FOUND if absent,
  // INVALID_ARGUMENT if of the wrong type).
  absl::StatusOr<std::string_view> GetString(std::string_view key) const;
  absl::StatusOr<int64_t> GetInt(std::string_view key) const;
  absl::StatusOr<uint64_t> GetUint(std::string_view key) const;
  absl::StatusOr<double> GetFloat(std::string_view key) const;
  absl::StatusOr<bool> GetBool(std::string_view key) const;
  absl::StatusOr<std::vector<std::string_view>> GetStringArray(
      std::string_view key) const;
  absl::StatusOr<std::vector<int64_t>> GetIntArray(std::string_view key) const;
  absl::StatusOr<std::vector<float>> GetFloatArray(std::string_view key) const;

  // All tensors in file order; nullptr from FindTensor if absent.
  const std::vector<TensorInfo>& tensors() const;
  const TensorInfo* FindTensor(std::string_view name) const;

  struct Impl;

 private:
  explicit GgufFile(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgellm::gguf

#endif  // EDGELLM_RUNTIME_GGUF_GGUF_H_
