// A bounds-checked little-endian reader over untrusted bytes.
//
// Every read first checks that the bytes exist and reports a DATA_LOSS Status
// naming what was being read and the absolute byte offset, so truncation
// anywhere in a GGUF file is an error, never an over-read.
#ifndef EDGELLM_RUNTIME_GGUF_INTERNAL_CURSOR_H_
#define EDGELLM_RUNTIME_GGUF_INTERNAL_CURSOR_H_

#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "runtime/gguf/internal/sv.h"

namespace edgellm::gguf::internal {

// GGUF is little-endian (docs/gguf.md); so are all targets edgellm supports.
static_assert(std::endian::native == std::endian::little,
              "the GGUF reader assumes a little-endian host");

class Cursor {
 public:
  // Reads [data, data + size); positions are reported as base_offset + pos,
  // so a cursor over a slice of a file still names file offsets.
  Cursor(const uint8_t* data, uint64_t size, uint64_t base_offset = 0)
      : data_(data), size_(size), base_(base_offset) {}

  uint64_t pos() const { return pos_; }
  // Absolute offset of the current position (for messages).
  uint64_t offset() const { return base_ + pos_; }
  uint64_t remaining() const { return size_ - pos_; }
  const uint8_t* here() const { return data_ + pos_; }

  absl::Status Need(uint64_t n, std::string_view what) const {
    if (n <= remaining()) return absl::OkStatus();
    return absl::DataLossError(
        absl::StrCat("truncated at byte ", offset(), ": ", Sv(what), " needs ",
                     n, " bytes but only ", remaining(),
                     " remain (data ends at byte ", base_ + size_, ")"));
  }

  absl::Status Skip(uint64_t n, std::string_view what) {
    if (absl::Status s = Need(n, what); !s.ok()) return s;
    pos_ += n;
    return absl::OkStatus();
  }

  template <typename T>
  absl::StatusOr<T> Read(std::string_view what) {
    static_assert(std::is_trivially_copyable_v<T>);
    if (absl::Status s = Need(sizeof(T), what); !s.ok()) return s;
    T value;
    std::memcpy(&value, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return value;
  }

  // A gguf_string: uint64 length, then that many bytes (not NUL-terminated).
  absl::StatusOr<std::string_view> ReadString(std::string_view what) {
    const uint64_t at = offset();
    absl::StatusOr<uint64_t> len = Read<uint64_t>(what);
    if (!len.ok()) return len.status();
    if (*len > remaining()) {
      return absl::DataLossError(absl::StrCat(
          "truncated at byte ", at, ": ", Sv(what), " has length ", *len,
          " but only ", remaining(), " bytes remain (data ends at byte ",
          base_ + size_, ")"));
    }
    std::string_view s(reinterpret_cast<const char*>(data_ + pos_), *len);
    pos_ += *len;
    return s;
  }

 private:
  const uint8_t* data_;
  uint64_t size_;
  uint64_t base_;
  uint64_t pos_ = 0;
};

}  // namespace edgellm::gguf::internal

#endif  // EDGELLM_RUNTIME_GGUF_INTERNAL_CURSOR_H_
