#include "tests/testing/qvec_file.h"

#include <cstring>
#include <fstream>
#include <iterator>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace edgellm::testing {
namespace {

// A bounds-checked little-endian cursor over the file's bytes.
class Cursor {
 public:
  Cursor(const std::string& path, const std::vector<char>& bytes)
      : path_(path), bytes_(bytes) {}

  absl::Status Read(void* dst, size_t n) {
    if (n > bytes_.size() - pos_) {
      return absl::DataLossError(absl::StrCat(path_, ": truncated at offset ",
                                              pos_, " (need ", n, " bytes)"));
    }
    std::memcpy(dst, bytes_.data() + pos_, n);
    pos_ += n;
    return absl::OkStatus();
  }
  absl::Status U32(uint32_t* v) { return Read(v, sizeof(*v)); }
  template <typename T>
  absl::Status Array(size_t count, std::vector<T>* v) {
    v->resize(count);
    return Read(v->data(), count * sizeof(T));
  }
  size_t pos() const { return pos_; }

 private:
  const std::string& path_;
  const std::vector<char>& bytes_;
  size_t pos_ = 0;
};

std::string FixedString(const char (&s)[16]) {
  return std::string(s, strnlen(s, sizeof(s)));
}

}  // namespace

// Layout (little endian, no padding): "GGMLQV1\0"; u32 ggml_type,
// vec_dot_type, n_sections, n_rows; char[16] type name, char[16]
// vec_dot_type name; then per section u32 n_per_row, n_rows, row_bytes,
// act_row_bytes and the arrays in QvecSection's order.
absl::StatusOr<QvecFile> ReadQvecFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
  Cursor c(path, bytes);
  char magic[8];
  if (!c.Read(magic, sizeof(magic)).ok() ||
      std::memcmp(magic, "GGMLQV1\0", 8) != 0) {
    return absl::DataLossError(absl::StrCat(path, ": not a GGMLQV1 file"));
  }
  QvecFile f;
  uint32_t n_sections = 0, n_rows = 0;
  char name[16], vdt_name[16];
  for (absl::Status s :
       {c.U32(&f.ggml_type), c.U32(&f.vec_dot_type), c.U32(&n_sections),
        c.U32(&n_rows), c.Read(name, sizeof(name)),
        c.Read(vdt_name, sizeof(vdt_name))}) {
    if (!s.ok()) return s;
  }
  f.type_name = FixedString(name);
  f.vec_dot_type_name = FixedString(vdt_name);
  if (n_sections > 16) {
    return absl::DataLossError(
        absl::StrCat(path, ": implausible section count ", n_sections));
  }
  for (uint32_t i = 0; i < n_sections; ++i) {
    QvecSection sec;
    for (absl::Status s : {c.U32(&sec.n_per_row), c.U32(&sec.n_rows),
                           c.U32(&sec.row_bytes), c.U32(&sec.act_row_bytes)}) {
      if (!s.ok()) return s;
    }
    if (sec.n_rows != n_rows || sec.n_per_row > (1u << 20) ||
        sec.row_bytes > (1u << 24) || sec.act_row_bytes > (1u << 24)) {
      return absl::DataLossError(absl::StrCat(
          path, ": implausible section header at offset ", c.pos() - 16));
    }
    const size_t n = sec.n_per_row, r = sec.n_rows;
    for (absl::Status s :
         {c.Array(r * n, &sec.src), c.Array(r * sec.row_bytes, &sec.q),
          c.Array(r * n, &sec.deq), c.Array(n, &sec.act),
          c.Array(sec.act_row_bytes, &sec.act_q), c.Array(n, &sec.act_deq),
          c.Array(r, &sec.dot), c.Array(r, &sec.dot_deq),
          c.Array(r, &sec.dot_f32)}) {
      if (!s.ok()) return s;
    }
    f.sections.push_back(std::move(sec));
  }
  if (c.pos() != bytes.size()) {
    return absl::DataLossError(
        absl::StrCat(path, ": ", bytes.size() - c.pos(), " trailing bytes"));
  }
  return f;
}

}  // namespace edgellm::testing
