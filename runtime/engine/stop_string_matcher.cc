#include "runtime/engine/stop_string_matcher.h"

#include <algorithm>
#include <utility>

namespace edgellm::engine {

StopStringMatcher::StopStringMatcher(std::vector<std::string> stop_strings)
    : stops_(std::move(stop_strings)) {
  for (const std::string& s : stops_) {
    max_stop_size_ = std::max(max_stop_size_, s.size());
  }
  // Steady state: held text (< max_stop_size_) plus a token's worth of delta.
  buffer_.reserve(max_stop_size_ + 64);
}

StopStringMatcher::Result StopStringMatcher::Feed(std::string_view delta) {
  buffer_.erase(0, released_);
  released_ = 0;
  if (stopped()) {
    buffer_.clear();
    return {std::string_view(), true, stop_index_};
  }
  buffer_.append(delta.data(), delta.size());
  const std::string_view text(buffer_);

  // Earliest full match. The held part alone never contains one (it was
  // checked when it arrived), so any match involves the new delta; searching
  // the whole buffer is simpler and the buffer is short.
  size_t match_at = std::string_view::npos;
  for (size_t i = 0; i < stops_.size(); ++i) {
    if (stops_[i].empty()) continue;
    const size_t at = text.find(stops_[i]);
    if (at < match_at) {
      match_at = at;
      stop_index_ = static_cast<int>(i);
    }
  }
  if (match_at != std::string_view::npos) {
    released_ = buffer_.size();
    return {text.substr(0, match_at), true, stop_index_};
  }

  // Hold back the longest suffix that is a proper prefix of a stop string.
  size_t hold = 0;
  const size_t longest =
      std::min(text.size(), max_stop_size_ > 0 ? max_stop_size_ - 1 : 0);
  for (size_t k = longest; k > 0 && hold == 0; --k) {
    const std::string_view suffix = text.substr(text.size() - k);
    for (const std::string& s : stops_) {
      // s.size() > k also skips empty stop strings.
      if (s.size() > k && std::string_view(s).substr(0, k) == suffix) {
        hold = k;
        break;
      }
    }
  }
  released_ = text.size() - hold;
  return {text.substr(0, released_), false, -1};
}

StopStringMatcher::Result StopStringMatcher::Flush() {
  buffer_.erase(0, released_);
  released_ = buffer_.size();
  if (stopped()) {
    buffer_.clear();
    released_ = 0;
    return {std::string_view(), true, stop_index_};
  }
  return {std::string_view(buffer_), false, -1};
}

void StopStringMatcher::Reset() {
  buffer_.clear();
  released_ = 0;
  stop_index_ = -1;
}

}  // namespace edgellm::engine
