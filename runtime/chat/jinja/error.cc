#include "runtime/chat/jinja/error.h"

#include "absl/strings/cord.h"
#include "runtime/chat/jinja/str_cat.h"

namespace edgellm::chat::jinja {
namespace {

constexpr char kTextPayload[] = "edgellm.jinja/text";
constexpr char kPositionPayload[] = "edgellm.jinja/position";

}  // namespace

std::string_view ErrorTypeName(ErrorType type) {
  switch (type) {
    case ErrorType::kTemplateSyntaxError:
      return "TemplateSyntaxError";
    case ErrorType::kTemplateAssertionError:
      return "TemplateAssertionError";
    case ErrorType::kTemplateError:
      return "TemplateError";
    case ErrorType::kTemplateRuntimeError:
      return "TemplateRuntimeError";
    case ErrorType::kUndefinedError:
      return "UndefinedError";
    case ErrorType::kSecurityError:
      return "SecurityError";
    case ErrorType::kTypeError:
      return "TypeError";
    case ErrorType::kValueError:
      return "ValueError";
    case ErrorType::kZeroDivisionError:
      return "ZeroDivisionError";
    case ErrorType::kOverflowError:
      return "OverflowError";
    case ErrorType::kSyntaxError:
      return "SyntaxError";
    case ErrorType::kFilterArgumentError:
      return "FilterArgumentError";
    case ErrorType::kAttributeError:
      return "AttributeError";
    case ErrorType::kRuntimeError:
      return "RuntimeError";
    case ErrorType::kLimitExceeded:
      return "LimitExceeded";
  }
  return "Error";
}

absl::Status MakeError(ErrorType type, std::string_view message) {
  const std::string text = Cat(ErrorTypeName(type), ": ", message);
  absl::Status status(type == ErrorType::kLimitExceeded
                          ? absl::StatusCode::kResourceExhausted
                          : absl::StatusCode::kInvalidArgument,
                      text);
  status.SetPayload(kTextPayload, absl::Cord(text));
  return status;
}

absl::Status WithPosition(const absl::Status& status, int line, int column) {
  if (status.ok() || status.GetPayload(kPositionPayload).has_value()) {
    return status;
  }
  const std::string where = Cat("line ", line, ", column ", column);
  absl::Status out(status.code(),
                   Cat("template ", where, ": ", status.message()));
  status.ForEachPayload(
      [&out](absl::string_view url, const absl::Cord& payload) {
        out.SetPayload(url, payload);
      });
  out.SetPayload(kPositionPayload, absl::Cord(where));
  return out;
}

std::string ErrorText(const absl::Status& status) {
  if (auto text = status.GetPayload(kTextPayload); text.has_value()) {
    return std::string(*text);
  }
  return std::string(status.message());
}

}  // namespace edgellm::chat::jinja
