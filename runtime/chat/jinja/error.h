// Errors of the Jinja interpreter. Each carries the Python exception type
// Jinja2 would raise and its message ("TypeError: ..."), so a caller can
// compare with Jinja2, and the template line and column where it happened.
#ifndef EDGELLM_RUNTIME_CHAT_JINJA_ERROR_H_
#define EDGELLM_RUNTIME_CHAT_JINJA_ERROR_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace edgellm::chat::jinja {

enum class ErrorType {
  kTemplateSyntaxError,
  kTemplateAssertionError,
  kTemplateError,  // raise_exception()
  kTemplateRuntimeError,
  kUndefinedError,
  kSecurityError,
  kTypeError,
  kValueError,
  kZeroDivisionError,
  kOverflowError,
  kSyntaxError,
  kFilterArgumentError,
  kRuntimeError,
  kAttributeError,
  // Not Jinja2's: a render limit (output size, work, recursion) was hit.
  kLimitExceeded,
};

std::string_view ErrorTypeName(ErrorType type);

// An error without a position yet; the interpreter adds the position of the
// expression or statement it was evaluating.
absl::Status MakeError(ErrorType type, std::string_view message);

// Adds "line L, column C: " in front of the message unless the error already
// has a position. Keeps the Jinja2-style text (see ErrorText).
absl::Status WithPosition(const absl::Status& status, int line, int column);

// "Type: message" as Jinja2 reports it (type(exc).__name__ + ": " + str(exc)),
// without the position; the whole message for other statuses.
std::string ErrorText(const absl::Status& status);

}  // namespace edgellm::chat::jinja

#endif  // EDGELLM_RUNTIME_CHAT_JINJA_ERROR_H_
