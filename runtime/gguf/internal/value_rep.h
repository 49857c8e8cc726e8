// The representation behind gguf::Value, shared by the reader and writer.
#ifndef EDGELLM_RUNTIME_GGUF_INTERNAL_VALUE_REP_H_
#define EDGELLM_RUNTIME_GGUF_INTERNAL_VALUE_REP_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/gguf/gguf.h"
#include "runtime/gguf/internal/cursor.h"
#include "runtime/gguf/types.h"

namespace edgellm::gguf {

// A validated value. `raw` is its encoding after the type tag (for a string
// the uint64 length and bytes; for an array the element type, count and
// elements), so the writer can copy it verbatim.
struct Value::Rep {
  ValueType type = ValueType::kUint8;
  const uint8_t* raw = nullptr;
  uint64_t raw_size = 0;

  // Arrays only.
  ValueType element_type = ValueType::kUint8;
  uint64_t count = 0;
  const uint8_t* elements = nullptr;  // first element
  uint64_t element_size = 0;          // fixed element size; 0 if variable
  // Variable-size elements (strings, arrays): where each starts, relative to
  // `elements`, plus one final entry for the end. Built once at parse time
  // so GetElement(i) is O(1) and GetStringArray is one pass.
  std::vector<uint64_t> element_offsets;
};

namespace internal {

// Nested arrays deeper than this are refused (bounds recursion on untrusted
// input; real files use at most one level).
inline constexpr int kMaxArrayDepth = 8;

// Validates the value of `type` at the cursor (its type tag already read),
// advances past it and returns its Rep. `depth` is the array nesting level of
// the value's container (0 for a metadata value).
absl::StatusOr<std::shared_ptr<const Value::Rep>> ParseValue(Cursor& cursor,
                                                             ValueType type,
                                                             int depth);

}  // namespace internal
}  // namespace edgellm::gguf

#endif  // EDGELLM_RUNTIME_GGUF_INTERNAL_VALUE_REP_H_
