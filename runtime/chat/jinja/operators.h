// Python's operators over Values: arithmetic (// and % floor toward minus
// infinity, / always gives a float, str and list + and *), comparisons,
// `in`, slicing and printf-style `%` formatting, with Python's exception
// types and messages.
#ifndef EDGELLM_RUNTIME_CHAT_JINJA_OPERATORS_H_
#define EDGELLM_RUNTIME_CHAT_JINJA_OPERATORS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/chat/jinja/ast.h"
#include "runtime/chat/jinja/value.h"

namespace edgellm::chat::jinja {

// The error that using an undefined value raises (UndefinedError, or
// SecurityError for an unsafe attribute).
absl::Status UndefinedFailure(const Value& undefined);

// Jinja2's object_type_repr: "None", "dict object", "jinja2.utils.Namespace
// object", ...
std::string ObjectTypeRepr(const Value& v);

// a OP b. Results larger than max_bytes (strings) or max_items (lists) are
// LimitExceeded errors.
absl::StatusOr<Value> BinaryOperation(BinaryOp op, const Value& a,
                                      const Value& b, size_t max_bytes,
                                      size_t max_items);
absl::StatusOr<Value> Negate(const Value& v);
absl::StatusOr<Value> Positive(const Value& v);

// a OP b for one link of a comparison chain.
absl::StatusOr<bool> CompareValues(CompareOp op, const Value& a,
                                   const Value& b);
// Python's a < b (sorting); TypeError for unorderable types.
absl::StatusOr<bool> LessThan(const Value& a, const Value& b);
// Python's hash() refusal: "unhashable type: 'list'" for lists, dicts,
// Markup-free views and tuples holding one; OK for hashable values.
absl::Status CheckHashable(const Value& v);

// `item in container` (container is not a generator; the caller
// materializes those).
absl::StatusOr<bool> Contains(const Value& container, const Value& item);

// obj[start:stop:step] for str, list and tuple; nullopt for other types.
std::optional<absl::StatusOr<Value>> SliceValue(
    const Value& obj, const std::optional<int64_t>& start,
    const std::optional<int64_t>& stop, const std::optional<int64_t>& step);

// markupsafe's escape of & < > " '.
std::string HtmlEscape(std::string_view s);

// Python's `format % args` (args a tuple, a dict for %(name)s, or one value).
// With escape (a Markup format), %s and %r results are HTML-escaped.
absl::StatusOr<std::string> PercentFormat(std::string_view format,
                                          const Value& args,
                                          bool escape = false);

// Python's int() / float() of a string (whitespace and '_' as Python
// allows); nullopt if it does not parse.
std::optional<int64_t> ParseInt(std::string_view s, int base);
std::optional<double> ParseFloat(std::string_view s);

}  // namespace edgellm::chat::jinja

#endif  // EDGELLM_RUNTIME_CHAT_JINJA_OPERATORS_H_
