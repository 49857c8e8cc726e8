#include "util/huge_page_buffer.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace edgellm {
namespace {

size_t RoundUp(size_t n, size_t to) { return (n + to - 1) / to * to; }

// EDGELLM_HUGE_PAGES=0 turns the request off (see the header).
bool HugePagesWanted() {
  const char* v = std::getenv("EDGELLM_HUGE_PAGES");
  return v == nullptr || std::strcmp(v, "0") != 0;
}

}  // namespace

absl::StatusOr<HugePageBuffer> HugePageBuffer::Allocate(size_t bytes) {
  if (bytes == 0) {
    return absl::InvalidArgumentError("HugePageBuffer: size 0");
  }
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  if (bytes > SIZE_MAX - 2 * kHugePageBytes - page) {
    return absl::ResourceExhaustedError(
        absl::StrCat("HugePageBuffer: ", bytes, " bytes is too large"));
  }
  const size_t mapped = RoundUp(bytes, page);
  // Over-map by one huge page so an aligned start exists, then unmap the
  // slack on both sides.
  const size_t span = mapped + kHugePageBytes;
  void* raw = mmap(nullptr, span, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) {
    return absl::ResourceExhaustedError(
        absl::StrCat("HugePageBuffer: cannot map ", bytes,
                     " bytes: ", std::strerror(errno)));
  }
  const uintptr_t base = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = RoundUp(base, kHugePageBytes);
  if (aligned > base) munmap(raw, aligned - base);
  const uintptr_t end = aligned + mapped;
  if (base + span > end) {
    munmap(reinterpret_cast<void*>(end), base + span - end);
  }
  HugePageBuffer buffer;
  buffer.data_ = reinterpret_cast<void*>(aligned);
  buffer.size_ = bytes;
  buffer.mapped_ = mapped;
#ifdef MADV_HUGEPAGE
  if (HugePagesWanted()) {
    buffer.huge_pages_requested_ =
        madvise(buffer.data_, mapped, MADV_HUGEPAGE) == 0;
  }
#endif
  return buffer;
}

HugePageBuffer::HugePageBuffer(HugePageBuffer&& other) noexcept {
  *this = std::move(other);
}

HugePageBuffer& HugePageBuffer::operator=(HugePageBuffer&& other) noexcept {
  if (this != &other) {
    Release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    mapped_ = std::exchange(other.mapped_, 0);
    huge_pages_requested_ = std::exchange(other.huge_pages_requested_, false);
  }
  return *this;
}

HugePageBuffer::~HugePageBuffer() { Release(); }

void HugePageBuffer::Release() {
  if (data_ != nullptr) munmap(data_, mapped_);
  data_ = nullptr;
  size_ = mapped_ = 0;
}

}  // namespace edgellm
