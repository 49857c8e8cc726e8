#include "runtime/gguf/writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "runtime/gguf/gguf.h"
#include "runtime/gguf/internal/sv.h"
#include "runtime/gguf/internal/value_rep.h"
#include "runtime/gguf/types.h"

namespace edgellm::gguf {
namespace {

using internal::Sv;

constexpr uint32_t kVersion = 3;
constexpr uint64_t kDefaultAlignment = 32;
constexpr std::string_view kAlignmentKey = "general.alignment";

template <typename T>
void Append(std::string& out, T v) {
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));
  out.append(buf, sizeof(T));
}

void AppendString(std::string& out, std::string_view s) {
  Append<uint64_t>(out, s.size());
  out.append(s);
}

template <typename T>
std::string Scalar(T v) {
  std::string out;
  Append(out, v);
  return out;
}

// Where the bytes go: a file or a string.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual absl::Status Write(const void* data, size_t size) = 0;
  absl::Status Write(std::string_view s) { return Write(s.data(), s.size()); }
  absl::Status Pad(uint64_t at, uint64_t alignment) {
    static constexpr char kZeros[256] = {};
    uint64_t n = (alignment - at % alignment) % alignment;
    while (n > 0) {
      const size_t chunk = n < sizeof(kZeros) ? n : sizeof(kZeros);
      if (absl::Status s = Write(kZeros, chunk); !s.ok()) return s;
      n -= chunk;
    }
    return absl::OkStatus();
  }
};

class StringSink : public Sink {
 public:
  absl::Status Write(const void* data, size_t size) override {
    out_.append(static_cast<const char*>(data), size);
    return absl::OkStatus();
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

class FileSink : public Sink {
 public:
  FileSink(FILE* f, std::string path) : f_(f), path_(std::move(path)) {}
  absl::Status Write(const void* data, size_t size) override {
    if (size != 0 && std::fwrite(data, 1, size, f_) != size) {
      return absl::ErrnoToStatus(errno,
                                 absl::StrCat("cannot write '", path_, "'"));
    }
    return absl::OkStatus();
  }

 private:
  FILE* f_;
  std::string path_;
};

}  // namespace

struct GgufWriter::Impl {
  struct Kv {
    std::string key;
    ValueType type;
    std::string payload;  // encoding after the type tag
  };
  struct Tensor {
    std::string name;
    TensorType type;
    std::vector<int64_t> dims;
    std::string bytes;
    Producer produce;  // if set, bytes is unused
  };

  void Put(std::string_view key, ValueType type, std::string payload) {
    for (Kv& kv : kvs) {
      if (kv.key == key) {
        kv.type = type;
        kv.payload = std::move(payload);
        return;
      }
    }
    kvs.push_back(Kv{std::string(key), type, std::move(payload)});
  }

  absl::StatusOr<uint64_t> Alignment() const;
  absl::Status WriteTo(Sink& sink) const;

  std::vector<Kv> kvs;
  std::vector<Tensor> tensors;
};

absl::StatusOr<uint64_t> GgufWriter::Impl::Alignment() const {
  for (const Kv& kv : kvs) {
    if (kv.key != kAlignmentKey) continue;
    if (kv.type != ValueType::kUint32) {
      return absl::InvalidArgumentError(
          absl::StrCat("general.alignment must be uint32, got ",
                       Sv(ValueTypeName(kv.type))));
    }
    uint32_t a;
    std::memcpy(&a, kv.payload.data(), sizeof(a));
    if (a == 0 || (a & (a - 1)) != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "general.alignment is ", a, "; must be a non-zero power of two"));
    }
    return a;
  }
  return kDefaultAlignment;
}

absl::Status GgufWriter::Impl::WriteTo(Sink& sink) const {
  absl::StatusOr<uint64_t> alignment = Alignment();
  if (!alignment.ok()) return alignment.status();
  const uint64_t align = *alignment;

  // Validate all tensors and lay out the data section before writing a byte.
  std::vector<uint64_t> sizes(tensors.size());
  std::vector<uint64_t> offsets(tensors.size());
  absl::flat_hash_set<std::string_view> names;
  uint64_t next = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    if (!names.insert(t.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("duplicate tensor name '", t.name, "'"));
    }
    absl::StatusOr<uint64_t> bytes = TensorBytes(t.type, t.dims);
    if (!bytes.ok()) {
      return absl::Status(
          bytes.status().code(),
          absl::StrCat("tensor '", t.name, "': ", bytes.status().message()));
    }
    if (!t.produce && t.bytes.size() != *bytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("tensor '", t.name, "' has ", t.bytes.size(),
                       " bytes; its type and dims need ", *bytes));
    }
    sizes[i] = *bytes;
    offsets[i] = next;
    next += (*bytes + align - 1) / align * align;
  }

  std::string head;
  head.append("GGUF", 4);
  Append<uint32_t>(head, kVersion);
  Append<uint64_t>(head, tensors.size());
  Append<uint64_t>(head, kvs.size());
  for (const Kv& kv : kvs) {
    AppendString(head, kv.key);
    Append<uint32_t>(head, static_cast<uint32_t>(kv.type));
    head.append(kv.payload);
  }
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    AppendString(head, t.name);
    Append<uint32_t>(head, static_cast<uint32_t>(t.dims.size()));
    for (int64_t d : t.dims) Append<uint64_t>(head, static_cast<uint64_t>(d));
    Append<uint32_t>(head, static_cast<uint32_t>(t.type));
    Append<uint64_t>(head, offsets[i]);
  }
  if (absl::Status s = sink.Write(head); !s.ok()) return s;
  if (absl::Status s = sink.Pad(head.size(), align); !s.ok()) return s;

  std::string produced;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    const std::string* bytes = &t.bytes;
    if (t.produce) {
      produced.clear();
      if (absl::Status s = t.produce(&produced); !s.ok()) {
        return absl::Status(
            s.code(), absl::StrCat("tensor '", t.name, "': ", s.message()));
      }
      if (produced.size() != sizes[i]) {
        return absl::InvalidArgumentError(
            absl::StrCat("tensor '", t.name, "': producer gave ",
                         produced.size(), " bytes, expected ", sizes[i]));
      }
      bytes = &produced;
    }
    if (absl::Status s = sink.Write(*bytes); !s.ok()) return s;
    if (absl::Status s = sink.Pad(sizes[i], align); !s.ok()) return s;
  }
  return absl::OkStatus();
}

GgufWriter::GgufWriter() : impl_(std::make_unique<Impl>()) {}
GgufWriter::~GgufWriter() = default;
GgufWriter::GgufWriter(GgufWriter&&) noexcept = default;
GgufWriter& GgufWriter::operator=(GgufWriter&&) noexcept = default;

void GgufWriter::SetString(std::string_view key, std::string_view value) {
  std::string p;
  AppendString(p, value);
  impl_->Put(key, ValueType::kString, std::move(p));
}
void GgufWriter::SetBool(std::string_view key, bool value) {
  impl_->Put(key, ValueType::kBool, Scalar<uint8_t>(value ? 1 : 0));
}
void GgufWriter::SetUint8(std::string_view key, uint8_t value) {
  impl_->Put(key, ValueType::kUint8, Scalar(value));
}
void GgufWriter::SetInt8(std::string_view key, int8_t value) {
  impl_->Put(key, ValueType::kInt8, Scalar(value));
}
void GgufWriter::SetUint16(std::string_view key, uint16_t value) {
  impl_->Put(key, ValueType::kUint16, Scalar(value));
}
void GgufWriter::SetInt16(std::string_view key, int16_t value) {
  impl_->Put(key, ValueType::kInt16, Scalar(value));
}
void GgufWriter::SetUint32(std::string_view key, uint32_t value) {
  impl_->Put(key, ValueType::kUint32, Scalar(value));
}
void GgufWriter::SetInt32(std::string_view key, int32_t value) {
  impl_->Put(key, ValueType::kInt32, Scalar(value));
}
void GgufWriter::SetUint64(std::string_view key, uint64_t value) {
  impl_->Put(key, ValueType::kUint64, Scalar(value));
}
void GgufWriter::SetInt64(std::string_view key, int64_t value) {
  impl_->Put(key, ValueType::kInt64, Scalar(value));
}
void GgufWriter::SetFloat32(std::string_view key, float value) {
  impl_->Put(key, ValueType::kFloat32, Scalar(value));
}
void GgufWriter::SetFloat64(std::string_view key, double value) {
  impl_->Put(key, ValueType::kFloat64, Scalar(value));
}

void GgufWriter::SetStringArray(std::string_view key,
                                const std::vector<std::string>& values) {
  std::string p;
  Append<uint32_t>(p, static_cast<uint32_t>(ValueType::kString));
  Append<uint64_t>(p, values.size());
  for (const std::string& v : values) AppendString(p, v);
  impl_->Put(key, ValueType::kArray, std::move(p));
}

void GgufWriter::SetInt32Array(std::string_view key,
                               const std::vector<int32_t>& values) {
  std::string p;
  Append<uint32_t>(p, static_cast<uint32_t>(ValueType::kInt32));
  Append<uint64_t>(p, values.size());
  p.append(reinterpret_cast<const char*>(values.data()), 4 * values.size());
  impl_->Put(key, ValueType::kArray, std::move(p));
}

void GgufWriter::SetFloat32Array(std::string_view key,
                                 const std::vector<float>& values) {
  std::string p;
  Append<uint32_t>(p, static_cast<uint32_t>(ValueType::kFloat32));
  Append<uint64_t>(p, values.size());
  p.append(reinterpret_cast<const char*>(values.data()), 4 * values.size());
  impl_->Put(key, ValueType::kArray, std::move(p));
}

void GgufWriter::SetValue(std::string_view key, const Value& value) {
  const Value::Rep& r = *value.rep();
  impl_->Put(key, r.type,
             std::string(reinterpret_cast<const char*>(r.raw), r.raw_size));
}

void GgufWriter::AddTensor(std::string_view name, TensorType type,
                           std::vector<int64_t> dims, std::string bytes) {
  impl_->tensors.push_back(Impl::Tensor{
      std::string(name), type, std::move(dims), std::move(bytes), nullptr});
}

void GgufWriter::AddTensor(std::string_view name, TensorType type,
                           std::vector<int64_t> dims, Producer produce) {
  impl_->tensors.push_back(Impl::Tensor{
      std::string(name), type, std::move(dims), "", std::move(produce)});
}

absl::StatusOr<std::string> GgufWriter::WriteToString() const {
  StringSink sink;
  if (absl::Status s = impl_->WriteTo(sink); !s.ok()) return s;
  return sink.Take();
}

absl::Status GgufWriter::Write(const std::string& path) const {
  std::string tmp = path + ".tmp.XXXXXX";
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) {
    return absl::ErrnoToStatus(
        errno,
        absl::StrCat("cannot create a temporary file beside '", path, "'"));
  }
  FILE* f = ::fdopen(fd, "wb");
  if (f == nullptr) {
    const int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return absl::ErrnoToStatus(err, absl::StrCat("fdopen '", tmp, "'"));
  }
  std::vector<char> buffer(1 << 20);
  std::setvbuf(f, buffer.data(), _IOFBF, buffer.size());
  FileSink sink(f, tmp);
  absl::Status status = impl_->WriteTo(sink);
  // Flush and sync before the rename so the final name never refers to a
  // partly written file, even after a crash.
  if (status.ok() && std::fflush(f) != 0) {
    status =
        absl::ErrnoToStatus(errno, absl::StrCat("cannot write '", tmp, "'"));
  }
  if (status.ok() && ::fdatasync(fd) != 0) {
    status =
        absl::ErrnoToStatus(errno, absl::StrCat("cannot sync '", tmp, "'"));
  }
  // mkstemp creates the file 0600; a model file is ordinary data.
  if (status.ok() && ::fchmod(fd, 0644) != 0) {
    status =
        absl::ErrnoToStatus(errno, absl::StrCat("cannot chmod '", tmp, "'"));
  }
  if (std::fclose(f) != 0 && status.ok()) {
    status =
        absl::ErrnoToStatus(errno, absl::StrCat("cannot close '", tmp, "'"));
  }
  if (status.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    status = absl::ErrnoToStatus(
        errno, absl::StrCat("cannot rename '", tmp, "' to '", path, "'"));
  }
  if (!status.ok()) ::unlink(tmp.c_str());
  return status;
}

}  // namespace edgellm::gguf
