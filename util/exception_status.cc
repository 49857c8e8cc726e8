#include "util/exception_status.h"

#include <exception>
#include <new>
#include <stdexcept>

#include "absl/strings/str_cat.h"

namespace edgellm {

absl::Status StatusFromCurrentException(absl::string_view during) {
  try {
    throw;
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError(
        absl::StrCat(during, ": out of memory"));
  } catch (const std::length_error& e) {
    return absl::ResourceExhaustedError(
        absl::StrCat(during, ": too large (", e.what(), ")"));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat(during, ": ", e.what()));
  } catch (...) {
    return absl::InternalError(absl::StrCat(during, ": unknown exception"));
  }
}

}  // namespace edgellm
