#include "runtime/chat/output/value_scanner.h"

#include "runtime/chat/output/text_util.h"

namespace edgellm::chat::output::internal {
ValueScanner::State ValueScanner::Scan(std::string_view text) {
  const bool python = syntax_ == Syntax::kPython;
  while (state_ == State::kNeedMore && pos_ < text.size()) {
    const char c = text[pos_];
    if (!started_) {
      if (IsSpace(c)) {
        ++pos_;
        continue;
      }
      if (c != '{' && c != '[') return state_ = State::kFailed;
      started_ = true;
    }
    ++pos_;
    if (quote_ != 0) {
      if (escape_) {
        escape_ = false;
      } else if (c == '\\') {
        escape_ = true;
      } else if (c == quote_) {
        quote_ = 0;
      }
      continue;
    }
    if (c == '"' || (python && c == '\'')) {
      quote_ = c;
    } else if (c == '{' || c == '[' || (python && c == '(')) {
      if (++depth_ > kMaxValueDepth) return state_ = State::kFailed;
    } else if (c == '}' || c == ']' || (python && c == ')')) {
      if (--depth_ == 0) state_ = State::kComplete;
    }
  }
  return state_;
}

}  // namespace edgellm::chat::output::internal
