// Early-return helpers for absl::Status / absl::StatusOr.
#ifndef EDGELLM_UTIL_STATUS_MACROS_H_
#define EDGELLM_UTIL_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define EDGELLM_STATUS_CONCAT_INNER(a, b) a##b
#define EDGELLM_STATUS_CONCAT(a, b) EDGELLM_STATUS_CONCAT_INNER(a, b)

// Returns the status from the enclosing function if `expr` is not OK.
#define EDGELLM_RETURN_IF_ERROR(expr)                  \
  do {                                                 \
    ::absl::Status _edgellm_status = (expr);           \
    if (!_edgellm_status.ok()) return _edgellm_status; \
  } while (0)

// `lhs = value of expr` or returns its status. lhs may declare a variable:
//   EDGELLM_ASSIGN_OR_RETURN(auto file, GgufFile::Open(path));
#define EDGELLM_ASSIGN_OR_RETURN(lhs, expr) \
  EDGELLM_ASSIGN_OR_RETURN_IMPL(            \
      EDGELLM_STATUS_CONCAT(_edgellm_statusor_, __LINE__), lhs, expr)

#define EDGELLM_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = std::move(tmp).value()

#endif  // EDGELLM_UTIL_STATUS_MACROS_H_
