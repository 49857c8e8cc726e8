// Finds where a bracketed JSON (or Python-literal) value ends in text that
// arrives piece by piece, without parsing it: strings, escapes and bracket
// depth only. The value is then parsed whole by its body parser.
#ifndef EDGELLM_RUNTIME_CHAT_OUTPUT_VALUE_SCANNER_H_
#define EDGELLM_RUNTIME_CHAT_OUTPUT_VALUE_SCANNER_H_

#include <cstddef>
#include <string_view>

namespace edgellm::chat::output::internal {

// Deeper values are refused: nothing a tool call needs nests this far, and
// the JSON library's serializer recurses once per level.
inline constexpr int kMaxValueDepth = 64;

class ValueScanner {
 public:
  enum class Syntax {
    kJson,    // "..." strings; {} and [] brackets
    kPython,  // also '...' strings and () brackets
  };
  enum class State { kNeedMore, kComplete, kFailed };

  explicit ValueScanner(Syntax syntax) : syntax_(syntax) {}

  // Scans `text`, which must start with the text of the previous calls
  // (the buffer only grows). Leading whitespace is skipped; the value must
  // start with '{' or '['. kFailed when it does not, or nests deeper than
  // kMaxValueDepth.
  State Scan(std::string_view text);

  // One past the value's closing bracket, once kComplete.
  size_t end() const { return pos_; }

 private:
  Syntax syntax_;
  State state_ = State::kNeedMore;
  size_t pos_ = 0;
  int depth_ = 0;
  bool started_ = false;
  char quote_ = 0;  // the open string's quote, or 0 outside strings
  bool escape_ = false;
};

}  // namespace edgellm::chat::output::internal

#endif  // EDGELLM_RUNTIME_CHAT_OUTPUT_VALUE_SCANNER_H_
