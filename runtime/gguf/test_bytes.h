// Test-only: builds GGUF byte images field by field, for cases the writer
// cannot express (nested arrays, arrays of every element type, corrupt
// headers).
#ifndef EDGELLM_RUNTIME_GGUF_TEST_BYTES_H_
#define EDGELLM_RUNTIME_GGUF_TEST_BYTES_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "runtime/gguf/types.h"

namespace edgellm::gguf::testing {

class Bytes {
 public:
  template <typename T>
  Bytes& Put(T v) {
    char buf[sizeof(T)];
    std::memcpy(buf, &v, sizeof(T));
    s_.append(buf, sizeof(T));
    return *this;
  }
  Bytes& U8(uint8_t v) { return Put(v); }
  Bytes& U32(uint32_t v) { return Put(v); }
  Bytes& U64(uint64_t v) { return Put(v); }
  Bytes& Type(ValueType t) { return U32(static_cast<uint32_t>(t)); }
  Bytes& Str(std::string_view v) {
    U64(v.size());
    s_.append(v);
    return *this;
  }
  Bytes& Raw(std::string_view v) {
    s_.append(v);
    return *this;
  }
  // "GGUF", version, tensor count, metadata count.
  Bytes& Header(uint32_t version, uint64_t n_tensors, uint64_t n_kv) {
    return Raw("GGUF").U32(version).U64(n_tensors).U64(n_kv);
  }
  Bytes& PadTo(size_t alignment) {
    while (s_.size() % alignment != 0) s_.push_back('\0');
    return *this;
  }
  size_t size() const { return s_.size(); }
  const std::string& str() const { return s_; }

 private:
  std::string s_;
};

}  // namespace edgellm::gguf::testing

#endif  // EDGELLM_RUNTIME_GGUF_TEST_BYTES_H_
