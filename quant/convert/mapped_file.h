// A read-only memory mapping of a whole file, for the converters' inputs.
//
// Converters read weights straight from the mapping (a 16 GB checkpoint is
// never copied into memory at once); the kernel pages it in and out.
// Immutable after Open; safe to read from any thread. Pointers into data()
// live as long as the MappedFile.
#ifndef EDGELLM_QUANT_CONVERT_MAPPED_FILE_H_
#define EDGELLM_QUANT_CONVERT_MAPPED_FILE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace edgellm::quant {

class MappedFile {
 public:
  // NOT_FOUND / PERMISSION_DENIED / INVALID_ARGUMENT (a directory) naming
  // the path.
  static absl::StatusOr<std::unique_ptr<MappedFile>> Open(
      const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  MappedFile(std::string path, const uint8_t* data, size_t size)
      : path_(std::move(path)), data_(data), size_(size) {}
  std::string path_;
  const uint8_t* data_;
  size_t size_;
};

// Reads a whole (small) file into a string: config and tokenizer files.
absl::StatusOr<std::string> ReadFileToString(const std::string& path);

}  // namespace edgellm::quant

#endif  // EDGELLM_QUANT_CONVERT_MAPPED_FILE_H_
