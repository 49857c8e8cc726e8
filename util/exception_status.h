// Turns the exception being handled into an absl::Status, for the few
// places where the standard library's exceptions must not escape: request
// handlers and the engine's scheduler thread. Errors elsewhere are values.
//
//   try {
//     ...
//   } catch (...) {
//     return StatusFromCurrentException("building the sequence");
//   }
//
// std::bad_alloc and std::length_error (a container asked for more than it
// can hold) become RESOURCE_EXHAUSTED; any other exception INTERNAL. The
// message starts with `during`. Call only inside a catch block.
#ifndef EDGELLM_UTIL_EXCEPTION_STATUS_H_
#define EDGELLM_UTIL_EXCEPTION_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace edgellm {

absl::Status StatusFromCurrentException(absl::string_view during);

// Runs `f` (returning absl::Status or absl::StatusOr<T>) and returns its
// result, or the status of an exception it threw.
template <typename F>
auto CatchExceptions(absl::string_view during, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (...) {
    return StatusFromCurrentException(during);
  }
}

}  // namespace edgellm

#endif  // EDGELLM_UTIL_EXCEPTION_STATUS_H_
