// Finds stop strings in streamed text and decides how much of it is safe to
// show.
//
// Text arrives in deltas (one per decoded token), and a stop string may be
// split across them ("</s" + ">"). Text that could still become the start of
// a stop string is held back until the next delta settles it; everything
// before it is released at once. When a stop string is found, the text before
// it is released and the stop string and anything after it are dropped.
//
// Matching is on bytes. If the deltas and the stop strings are valid UTF-8,
// released text always ends on a character boundary, because a held suffix
// starts where a stop string (which starts with a lead byte) would start.
//
// Threading: not thread-safe; one per generation session.

#ifndef EDGELLM_RUNTIME_ENGINE_STOP_STRING_MATCHER_H_
#define EDGELLM_RUNTIME_ENGINE_STOP_STRING_MATCHER_H_

#include <string>
#include <string_view>
#include <vector>

namespace edgellm::engine {

class StopStringMatcher {
 public:
  struct Result {
    // Safe to emit now. Points into the matcher: valid until the next call to
    // Feed(), Flush() or Reset().
    std::string_view text;
    // True once a stop string has been seen; `text` ends right before it.
    bool stopped = false;
    // Index into the constructor's list of the stop string that matched
    // (the earliest in the text; on a tie, the lowest index), or -1.
    int stop_index = -1;
  };

  // Empty stop strings are ignored (they would match everywhere).
  explicit StopStringMatcher(std::vector<std::string> stop_strings);

  // Appends `delta` and reports what can be emitted. After a stop, every
  // later call returns empty text with `stopped` set (and the same index).
  Result Feed(std::string_view delta);

  // End of generation without a stop: releases the held-back text.
  Result Flush();

  // Forgets all text and the stopped state, keeping the stop strings.
  void Reset();

  bool stopped() const { return stop_index_ >= 0; }
  // Bytes currently held back (a possible stop-string prefix).
  size_t held_size() const { return buffer_.size() - released_; }

 private:
  std::vector<std::string> stops_;
  size_t max_stop_size_ = 0;
  // buffer_[0, released_) was returned by the previous call and is dropped on
  // the next one; buffer_[released_, size) is held back.
  std::string buffer_;
  size_t released_ = 0;
  int stop_index_ = -1;
};

}  // namespace edgellm::engine

#endif  // EDGELLM_RUNTIME_ENGINE_STOP_STRING_MATCHER_H_
