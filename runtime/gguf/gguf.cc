// GgufFile: mapping, parsing and validation of a whole GGUF file.
#include "runtime/gguf/gguf.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <numeric>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "runtime/gguf/internal/cursor.h"
#include "runtime/gguf/internal/sv.h"
#include "runtime/gguf/internal/value_rep.h"
#include "runtime/gguf/types.h"

namespace edgellm::gguf {
namespace {

using internal::Cursor;
using internal::Sv;

// docs/gguf.md: the header is magic "GGUF", uint32 version, then (since v2)
// uint64 tensor count and uint64 metadata count.
constexpr char kMagic[4] = {'G', 'G', 'U', 'F'};
constexpr uint64_t kDefaultAlignment = 32;  // when general.alignment is unset
constexpr std::string_view kAlignmentKey = "general.alignment";

// Smallest encodings, to bound untrusted counts by the bytes that remain
// before anything is allocated: a metadata entry is a key length (8), a
// value type (4) and at least a 1-byte value; a tensor info is a name length
// (8), n_dims (4), at least one dim (8), type (4) and offset (8).
constexpr uint64_t kMinKvBytes = 8 + 4 + 1;
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 8 + 4 + 8;

// A name for messages: escaped, and cut short if absurdly long.
std::string Quote(std::string_view s) {
  constexpr size_t kMaxShown = 96;
  std::string out = absl::CHexEscape(Sv(s.substr(0, kMaxShown)));
  if (s.size() > kMaxShown) absl::StrAppend(&out, "...");
  return absl::StrCat("'", out, "'");
}

std::string U128(absl::uint128 v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

absl::Status WithPrefix(const absl::Status& s, std::string_view prefix) {
  if (s.ok()) return s;
  return absl::Status(s.code(), absl::StrCat(Sv(prefix), s.message()));
}

absl::Status CheckMagic(Cursor& c) {
  if (absl::Status s = c.Need(4, "magic"); !s.ok()) return s;
  if (std::memcmp(c.here(), kMagic, 4) == 0) return c.Skip(4, "magic");
  std::string shown;
  for (int i = 0; i < 4; ++i) {
    const uint8_t b = c.here()[i];
    absl::StrAppend(&shown,
                    b >= 0x20 && b < 0x7f
                        ? std::string(1, static_cast<char>(b))
                        : absl::StrCat("\\x", absl::Hex(b, absl::kZeroPad2)));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "bad magic at byte 0: '", shown, "', expected 'GGUF' (not a GGUF file)"));
}

absl::Status CheckVersion(uint32_t version) {
  if (version == 2 || version == 3) return absl::OkStatus();
  if (version == 1) {
    return absl::InvalidArgumentError(
        "GGUF version 1 at byte 4 is not supported (it used 32-bit counts "
        "and lengths); re-convert the model with a current llama.cpp");
  }
  if ((version & 0xffff) == 0 && version != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("GGUF version ", version,
                     " at byte 4 looks byte-swapped: big-endian "
                     "GGUF files are not supported"));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unsupported GGUF version ", version, " at byte 4 (supported: 2, 3)"));
}

}  // namespace

struct GgufFile::Impl {
  ~Impl() {
    if (mapping != nullptr) ::munmap(mapping, mapping_size);
  }

  absl::Status Parse();
  absl::Status ParseMetadata(Cursor& c, uint64_t count);
  absl::Status ParseTensorInfos(Cursor& c, uint64_t count,
                                std::vector<uint64_t>& info_offsets);
  absl::Status CheckTensorData(const std::vector<uint64_t>& info_offsets);

  const uint8_t* data = nullptr;
  uint64_t size = 0;
  void* mapping = nullptr;  // owned when the file was opened by path
  size_t mapping_size = 0;

  uint32_t version = 0;
  uint64_t alignment = kDefaultAlignment;
  uint64_t data_offset = 0;
  std::vector<std::pair<std::string_view, Value>> metadata;
  absl::flat_hash_map<std::string_view, size_t> key_index;
  std::vector<TensorInfo> tensors;
  absl::flat_hash_map<std::string_view, size_t> tensor_index;
};

absl::Status GgufFile::Impl::Parse() {
  Cursor c(data, size);
  if (absl::Status s = CheckMagic(c); !s.ok()) return s;
  absl::StatusOr<uint32_t> ver = c.Read<uint32_t>("version");
  if (!ver.ok()) return ver.status();
  if (absl::Status s = CheckVersion(*ver); !s.ok()) return s;
  version = *ver;
  absl::StatusOr<uint64_t> n_tensors = c.Read<uint64_t>("tensor count");
  if (!n_tensors.ok()) return n_tensors.status();
  absl::StatusOr<uint64_t> n_kv = c.Read<uint64_t>("metadata count");
  if (!n_kv.ok()) return n_kv.status();
  // Both bounded individually, so their sum cannot overflow.
  if (*n_kv > c.remaining() / kMinKvBytes ||
      *n_tensors > c.remaining() / kMinTensorInfoBytes ||
      *n_kv * kMinKvBytes + *n_tensors * kMinTensorInfoBytes > c.remaining()) {
    return absl::DataLossError(absl::StrCat(
        "header at byte 8 claims ", *n_tensors, " tensors and ", *n_kv,
        " metadata entries, which cannot fit in the remaining ", c.remaining(),
        " bytes (at least ", kMinTensorInfoBytes, " and ", kMinKvBytes,
        " bytes each)"));
  }
  if (absl::Status s = ParseMetadata(c, *n_kv); !s.ok()) return s;
  std::vector<uint64_t> info_offsets;
  if (absl::Status s = ParseTensorInfos(c, *n_tensors, info_offsets); !s.ok()) {
    return s;
  }
  // docs/gguf.md: padding to `alignment`, then the tensor data section.
  data_offset = (c.pos() + alignment - 1) / alignment * alignment;
  return CheckTensorData(info_offsets);
}

absl::Status GgufFile::Impl::ParseMetadata(Cursor& c, uint64_t count) {
  metadata.reserve(count);
  key_index.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t at = c.offset();
    absl::StatusOr<std::string_view> key = c.ReadString("metadata key");
    if (!key.ok()) {
      return WithPrefix(key.status(), absl::StrCat("metadata entry ", i, ": "));
    }
    const std::string where =
        absl::StrCat("metadata key ", Quote(*key), " at byte ", at, ": ");
    absl::StatusOr<uint32_t> code = c.Read<uint32_t>("value type");
    if (!code.ok()) return WithPrefix(code.status(), where);
    if (!IsKnownValueType(*code)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "unknown value type code ", *code));
    }
    absl::StatusOr<std::shared_ptr<const Value::Rep>> rep =
        internal::ParseValue(c, static_cast<ValueType>(*code), /*depth=*/0);
    if (!rep.ok()) return WithPrefix(rep.status(), where);
    if (!key_index.emplace(*key, metadata.size()).second) {
      return absl::InvalidArgumentError(absl::StrCat(where, "duplicate key"));
    }
    metadata.emplace_back(*key, Value(*std::move(rep)));
  }

  if (auto it = key_index.find(kAlignmentKey); it != key_index.end()) {
    const Value& v = metadata[it->second].second;
    // docs/gguf.md: general.alignment is a uint32; ggml also requires a
    // non-zero power of two.
    if (v.type() != ValueType::kUint32) {
      return absl::InvalidArgumentError(
          absl::StrCat("metadata key 'general.alignment' must be uint32, got ",
                       Sv(ValueTypeName(v.type()))));
    }
    const uint64_t a = *v.GetUint();
    if (a == 0 || (a & (a - 1)) != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("metadata key 'general.alignment' is ", a,
                       "; must be a non-zero power of two"));
    }
    alignment = a;
  }
  return absl::OkStatus();
}

absl::Status GgufFile::Impl::ParseTensorInfos(
    Cursor& c, uint64_t count, std::vector<uint64_t>& info_offsets) {
  tensors.reserve(count);
  tensor_index.reserve(count);
  info_offsets.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t at = c.offset();
    absl::StatusOr<std::string_view> name = c.ReadString("tensor name");
    if (!name.ok()) {
      return WithPrefix(name.status(), absl::StrCat("tensor info ", i, ": "));
    }
    const std::string where =
        absl::StrCat("tensor ", Quote(*name), " at byte ", at, ": ");
    absl::StatusOr<uint32_t> n_dims = c.Read<uint32_t>("n_dims");
    if (!n_dims.ok()) return WithPrefix(n_dims.status(), where);
    if (*n_dims == 0 || *n_dims > kMaxDims) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, "n_dims is ", *n_dims, "; must be 1 to ", kMaxDims));
    }
    TensorInfo info;
    info.name = *name;
    info.dims.resize(*n_dims);
    int64_t elements = 1;
    for (uint32_t d = 0; d < *n_dims; ++d) {
      absl::StatusOr<uint64_t> dim = c.Read<uint64_t>("dim");
      if (!dim.ok()) return WithPrefix(dim.status(), where);
      if (*dim == 0 ||
          *dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, "dim ", d, " is ", *dim, "; must be in 1..2^63-1"));
      }
      info.dims[d] = static_cast<int64_t>(*dim);
      if (elements > std::numeric_limits<int64_t>::max() / info.dims[d]) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, "element count overflows int64 at dim ", d));
      }
      elements *= info.dims[d];
    }
    absl::StatusOr<uint32_t> type = c.Read<uint32_t>("tensor type");
    if (!type.ok()) return WithPrefix(type.status(), where);
    if (absl::StatusOr<TensorTypeTraits> t = GetTensorTypeTraits(*type);
        !t.ok()) {
      return WithPrefix(t.status(), where);
    }
    info.type = static_cast<TensorType>(*type);
    absl::StatusOr<uint64_t> bytes = TensorBytes(info.type, info.dims);
    if (!bytes.ok()) return WithPrefix(bytes.status(), where);
    info.size_bytes = *bytes;
    absl::StatusOr<uint64_t> offset = c.Read<uint64_t>("tensor data offset");
    if (!offset.ok()) return WithPrefix(offset.status(), where);
    info.offset = *offset;
    if (!tensor_index.emplace(info.name, tensors.size()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "duplicate tensor name"));
    }
    tensors.push_back(std::move(info));
    info_offsets.push_back(at);
  }
  return absl::OkStatus();
}

absl::Status GgufFile::Impl::CheckTensorData(
    const std::vector<uint64_t>& info_offsets) {
  if (tensors.empty()) return absl::OkStatus();
  if (data_offset > size) {
    return absl::DataLossError(absl::StrCat(
        "truncated: the tensor data section starts at byte ", data_offset,
        " (aligned to ", alignment, ") but the file size is ", size));
  }
  for (size_t i = 0; i < tensors.size(); ++i) {
    TensorInfo& t = tensors[i];
    const std::string where = absl::StrCat("tensor ", Quote(t.name),
                                           " at byte ", info_offsets[i], ": ");
    if (t.offset % alignment != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "data offset ", t.offset,
                       " is not a multiple of the alignment ", alignment));
    }
    const absl::uint128 begin = absl::uint128(data_offset) + t.offset;
    const absl::uint128 end = begin + t.size_bytes;
    if (end > size) {
      return absl::DataLossError(
          absl::StrCat(where, "data [", U128(begin), ", ", U128(end),
                       ") extends past end of file (size ", size, ")"));
    }
    t.data = data + data_offset + t.offset;
  }
  // No two tensors may share bytes: sort by offset, compare neighbours.
  std::vector<size_t> order(tensors.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return tensors[a].offset < tensors[b].offset;
  });
  for (size_t k = 1; k < order.size(); ++k) {
    const TensorInfo& prev = tensors[order[k - 1]];
    const TensorInfo& next = tensors[order[k]];
    if (prev.offset + prev.size_bytes > next.offset) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tensor ", Quote(next.name), " at byte ", info_offsets[order[k]],
          ": data [", data_offset + next.offset, ", ",
          data_offset + next.offset + next.size_bytes, ") overlaps tensor ",
          Quote(prev.name), " data [", data_offset + prev.offset, ", ",
          data_offset + prev.offset + prev.size_bytes, ")"));
    }
  }
  return absl::OkStatus();
}

int64_t TensorInfo::num_elements() const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

GgufFile::GgufFile(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GgufFile::~GgufFile() = default;

absl::StatusOr<std::unique_ptr<GgufFile>> GgufFile::FromBuffer(const void* data,
                                                               size_t size) {
  if (size == 0) {
    return absl::InvalidArgumentError("empty buffer: not a GGUF file");
  }
  if (data == nullptr) return absl::InvalidArgumentError("null buffer");
  auto impl = std::make_unique<Impl>();
  impl->data = static_cast<const uint8_t*>(data);
  impl->size = size;
  if (absl::Status s = impl->Parse(); !s.ok()) return s;
  return std::unique_ptr<GgufFile>(new GgufFile(std::move(impl)));
}

absl::StatusOr<std::unique_ptr<GgufFile>> GgufFile::Open(
    const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return absl::ErrnoToStatus(err, absl::StrCat("cannot open '", path, "'"));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return absl::ErrnoToStatus(err, absl::StrCat("cannot stat '", path, "'"));
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return absl::InvalidArgumentError(
        absl::StrCat("'", path, "' is a directory, not a GGUF file"));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return absl::InvalidArgumentError(
        absl::StrCat("'", path, "' is not a regular file"));
  }
  if (st.st_size == 0) {
    ::close(fd);
    return absl::InvalidArgumentError(
        absl::StrCat("'", path, "' is empty (0 bytes), not a GGUF file"));
  }
  const size_t size = static_cast<size_t>(st.st_size);
  void* mapping = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  const int map_err = errno;
  ::close(fd);  // the mapping keeps the file open
  if (mapping == MAP_FAILED) {
    return absl::ErrnoToStatus(map_err,
                               absl::StrCat("cannot mmap '", path, "'"));
  }
  auto impl = std::make_unique<Impl>();
  impl->mapping = mapping;
  impl->mapping_size = size;
  impl->data = static_cast<const uint8_t*>(mapping);
  impl->size = size;
  if (absl::Status s = impl->Parse(); !s.ok()) {
    return WithPrefix(s, absl::StrCat(path, ": "));
  }
  return std::unique_ptr<GgufFile>(new GgufFile(std::move(impl)));
}

uint32_t GgufFile::version() const { return impl_->version; }
uint64_t GgufFile::alignment() const { return impl_->alignment; }
uint64_t GgufFile::file_size() const { return impl_->size; }
uint64_t GgufFile::data_offset() const { return impl_->data_offset; }

const std::vector<std::pair<std::string_view, Value>>& GgufFile::metadata()
    const {
  return impl_->metadata;
}

const Value* GgufFile::Find(std::string_view key) const {
  auto it = impl_->key_index.find(key);
  return it == impl_->key_index.end() ? nullptr
                                      : &impl_->metadata[it->second].second;
}

namespace {

// Looks up `key` and applies `get`, naming the key in any error.
template <typename T, typename Getter>
absl::StatusOr<T> GetTyped(const GgufFile& file, std::string_view key,
                           Getter get) {
  const Value* v = file.Find(key);
  if (v == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("metadata key ", Quote(key), " not found"));
  }
  absl::StatusOr<T> r = get(*v);
  if (!r.ok()) {
    return WithPrefix(r.status(),
                      absl::StrCat("metadata key ", Quote(key), ": "));
  }
  return r;
}

}  // namespace

absl::StatusOr<std::string_view> GgufFile::GetString(
    std::string_view key) const {
  return GetTyped<std::string_view>(
      *this, key, [](const Value& v) { return v.GetString(); });
}
absl::StatusOr<int64_t> GgufFile::GetInt(std::string_view key) const {
  return GetTyped<int64_t>(*this, key,
                           [](const Value& v) { return v.GetInt(); });
}
absl::StatusOr<uint64_t> GgufFile::GetUint(std::string_view key) const {
  return GetTyped<uint64_t>(*this, key,
                            [](const Value& v) { return v.GetUint(); });
}
absl::StatusOr<double> GgufFile::GetFloat(std::string_view key) const {
  return GetTyped<double>(*this, key,
                          [](const Value& v) { return v.GetFloat(); });
}
absl::StatusOr<bool> GgufFile::GetBool(std::string_view key) const {
  return GetTyped<bool>(*this, key, [](const Value& v) { return v.GetBool(); });
}
absl::StatusOr<std::vector<std::string_view>> GgufFile::GetStringArray(
    std::string_view key) const {
  return GetTyped<std::vector<std::string_view>>(
      *this, key, [](const Value& v) { return v.GetStringArray(); });
}
absl::StatusOr<std::vector<int64_t>> GgufFile::GetIntArray(
    std::string_view key) const {
  return GetTyped<std::vector<int64_t>>(
      *this, key, [](const Value& v) { return v.GetIntArray(); });
}
absl::StatusOr<std::vector<float>> GgufFile::GetFloatArray(
    std::string_view key) const {
  return GetTyped<std::vector<float>>(
      *this, key, [](const Value& v) { return v.GetFloatArray(); });
}

const std::vector<TensorInfo>& GgufFile::tensors() const {
  return impl_->tensors;
}

const TensorInfo* GgufFile::FindTensor(std::string_view name) const {
  auto it = impl_->tensor_index.find(name);
  return it == impl_->tensor_index.end() ? nullptr
                                         : &impl_->tensors[it->second];
}

}  // namespace edgellm::gguf
