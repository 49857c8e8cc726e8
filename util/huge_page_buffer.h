// Anonymous memory for large buffers that are streamed end to end: the
// repacked model weights and the memory-bandwidth probe.
//
// Why: decoding reads every weight once per token. On 4 KiB pages that is one
// TLB miss (a page walk) every 4 KiB of a stream, which the GEMV, busy with
// arithmetic between loads, hides less well than a plain read loop does. The
// buffer is aligned to 2 MiB and the kernel is asked (madvise MADV_HUGEPAGE)
// to back it with transparent huge pages, which Debian's default THP setting
// ("madvise") only does for memory that asks. Measured on the 2-core dev VM
// (docs/performance.md): tinyllama-1.1b decode GEMVs streamed 25.9 / 24.3 /
// 27.2 GB/s on small pages and 28.2 / 26.7 / 29.4 on huge pages, three pairs
// of alternating runs (+9%).
//
// Resident memory is what is touched, as with malloc: the tail past the last
// whole 2 MiB stays on small pages, so no huge page is filled with padding.
// The price: a huge page is zeroed (and, in a VM whose host reclaims free
// guest memory, backed by the host) in one fault. On the dev VM, loading
// tinyllama right after other processes freed their memory took up to ~5 s
// of system time once, ~0.4 s when warm (4 KiB pages: ~0.6 s). A long-
// running server pays it once; EDGELLM_HUGE_PAGES=0 in the environment skips
// the request for short runs on such a VM.
//
// Where THP is unavailable the buffer is ordinary memory: a kernel built
// without THP refuses the request (huge_pages_requested() is false), one set
// to "never" accepts it and ignores it. Contents start zeroed.
#ifndef EDGELLM_UTIL_HUGE_PAGE_BUFFER_H_
#define EDGELLM_UTIL_HUGE_PAGE_BUFFER_H_

#include <cstddef>

#include "absl/status/statusor.h"

namespace edgellm {

class HugePageBuffer {
 public:
  static constexpr size_t kHugePageBytes = size_t{2} << 20;

  // `bytes` > 0. ResourceExhausted when the address space or memory is not
  // there (mmap failed).
  static absl::StatusOr<HugePageBuffer> Allocate(size_t bytes);

  HugePageBuffer() = default;
  HugePageBuffer(HugePageBuffer&& other) noexcept;
  HugePageBuffer& operator=(HugePageBuffer&& other) noexcept;
  HugePageBuffer(const HugePageBuffer&) = delete;
  HugePageBuffer& operator=(const HugePageBuffer&) = delete;
  ~HugePageBuffer();

  void* data() const { return data_; }
  size_t size() const { return size_; }
  // The kernel accepted the MADV_HUGEPAGE request (it may still use small
  // pages: THP "never", or no free huge page).
  bool huge_pages_requested() const { return huge_pages_requested_; }

 private:
  void Release();

  void* data_ = nullptr;
  size_t size_ = 0;
  size_t mapped_ = 0;  // bytes mapped at data_ (size_ rounded to a page)
  bool huge_pages_requested_ = false;
};

}  // namespace edgellm

#endif  // EDGELLM_UTIL_HUGE_PAGE_BUFFER_H_
