// GGUF writer (version 3): metadata and tensors, data aligned to
// `general.alignment` (32 unless set). Tensor bytes are either given up front
// or produced at write time by a callback, so converters need not hold a
// whole model in memory.
//
// Not thread-safe. Keys and tensor names must be unique (AddTensor and Set*
// replace an earlier value of the same key; duplicate tensor names are an
// error at Write).
#ifndef EDGELLM_RUNTIME_GGUF_WRITER_H_
#define EDGELLM_RUNTIME_GGUF_WRITER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "runtime/gguf/gguf.h"
#include "runtime/gguf/types.h"

namespace edgellm::gguf {

class GgufWriter {
 public:
  GgufWriter();
  ~GgufWriter();
  GgufWriter(GgufWriter&&) noexcept;
  GgufWriter& operator=(GgufWriter&&) noexcept;

  void SetString(std::string_view key, std::string_view value);
  void SetBool(std::string_view key, bool value);
  void SetUint8(std::string_view key, uint8_t value);
  void SetInt8(std::string_view key, int8_t value);
  void SetUint16(std::string_view key, uint16_t value);
  void SetInt16(std::string_view key, int16_t value);
  void SetUint32(std::string_view key, uint32_t value);
  void SetInt32(std::string_view key, int32_t value);
  void SetUint64(std::string_view key, uint64_t value);
  void SetInt64(std::string_view key, int64_t value);
  void SetFloat32(std::string_view key, float value);
  void SetFloat64(std::string_view key, double value);
  void SetStringArray(std::string_view key,
                      const std::vector<std::string>& values);
  void SetInt32Array(std::string_view key, const std::vector<int32_t>& values);
  void SetFloat32Array(std::string_view key, const std::vector<float>& values);
  // Copies every metadata entry of `value` (including nested arrays) as is.
  void SetValue(std::string_view key, const Value& value);

  // The tensor's bytes, copied now.
  void AddTensor(std::string_view name, TensorType type,
                 std::vector<int64_t> dims, std::string bytes);
  // The tensor's bytes come from `produce` at Write time; it must append
  // exactly TensorBytes(type, dims) bytes to *out.
  using Producer = std::function<absl::Status(std::string* out)>;
  void AddTensor(std::string_view name, TensorType type,
                 std::vector<int64_t> dims, Producer produce);

  // Writes the file (to a temporary beside `path`, renamed on success, so a
  // failed write never leaves a half file under the final name).
  absl::Status Write(const std::string& path) const;
  // The same bytes into memory (tests).
  absl::StatusOr<std::string> WriteToString() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgellm::gguf

#endif  // EDGELLM_RUNTIME_GGUF_WRITER_H_
