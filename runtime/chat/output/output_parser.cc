// The streaming engine. Text accumulates in `pending_`; each step either
// emits the part of it that no future text can change, or waits. Content
// and reasoning are emitted up to the first place a marker could start;
// tool-call blocks are collected whole and read by ParseBody. Every
// decision depends only on the text seen, never on how it was split.
#include "runtime/chat/output/output_parser.h"

#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_format.h"
#include "runtime/chat/output/call_body.h"
#include "runtime/chat/output/format_spec.h"
#include "runtime/chat/output/text_util.h"
#include "runtime/chat/output/tool_schema.h"
#include "runtime/chat/output/utf8.h"
#include "runtime/chat/output/value_scanner.h"

namespace edgellm::chat::output {
namespace internal {
namespace {

using Json = nlohmann::ordered_json;

// A marker the content scanner looks for.
struct Marker {
  enum class Kind { kReasoningOpen, kBlockOpen, kIgnored, kClose };
  std::string_view text;
  Kind kind;
  const BlockSpec* block = nullptr;
};

struct Found {
  size_t pos = std::string_view::npos;  // npos: no marker can start here
  const Marker* marker = nullptr;       // nullptr with pos set: wait
};

// The earliest position where a marker matches or could still match (the
// buffer ends inside it). At a position where one marker matches and a
// longer one could still match, it waits. At the end of the stream nothing
// more can come, so only complete matches count.
Found FindMarker(std::string_view text, const std::vector<Marker>& markers,
                 bool at_end) {
  for (size_t pos = 0; pos < text.size(); ++pos) {
    const std::string_view rest = text.substr(pos);
    const Marker* full = nullptr;
    bool partial = false;
    for (const Marker& m : markers) {
      if (rest.size() >= m.text.size()) {
        if (rest.substr(0, m.text.size()) == m.text &&
            (full == nullptr || m.text.size() > full->text.size())) {
          full = &m;
        }
      } else if (!at_end && m.text.substr(0, rest.size()) == rest) {
        partial = true;  // longer than any full match at this position
      }
    }
    if (partial) return {pos, nullptr};
    if (full != nullptr) return {pos, full};
  }
  return {};
}

// A scanner for Mistral's [TOOL_CALLS] body: a JSON array (or object), or
// NAME, optionally [CALL_ID]ID, then [ARGS] and a JSON object.
class MistralScanner {
 public:
  using State = ValueScanner::State;

  State Scan(std::string_view body) {
    while (true) {
      switch (phase_) {
        case Phase::kStart: {
          while (pos_ < body.size() && IsSpace(body[pos_])) ++pos_;
          if (pos_ == body.size()) return State::kNeedMore;
          const char c = body[pos_];
          phase_ = (c == '[' || c == '{') ? Phase::kJson : Phase::kName;
          args_at_ = 0;
          break;
        }
        case Phase::kName:
        case Phase::kId: {
          const State s = ScanWord(body);
          if (s != State::kComplete) return s;
          break;
        }
        case Phase::kJson: {
          const State s = json_.Scan(body.substr(args_at_));
          if (s == State::kComplete) end_ = args_at_ + json_.end();
          return s;
        }
      }
    }
  }

  size_t end() const { return end_; }

 private:
  enum class Phase { kStart, kName, kId, kJson };

  static bool WordChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
  }

  // Reads name or id characters up to [CALL_ID] / [ARGS]; kComplete when
  // the phase advanced.
  State ScanWord(std::string_view body) {
    constexpr std::string_view kArgs = "[ARGS]", kCallId = "[CALL_ID]";
    constexpr size_t kMaxWord = 256;
    while (pos_ < body.size()) {
      const char c = body[pos_];
      if (WordChar(c)) {
        if (++word_ > kMaxWord) return State::kFailed;
        ++pos_;
        continue;
      }
      if (c != '[' || word_ == 0) return State::kFailed;
      const std::string_view rest = body.substr(pos_);
      for (std::string_view marker : {kArgs, kCallId}) {
        if (marker == kCallId && phase_ != Phase::kName) continue;
        if (rest.substr(0, marker.size()) == marker) {
          pos_ += marker.size();
          word_ = 0;
          if (marker == kArgs) {
            phase_ = Phase::kJson;
            args_at_ = pos_;
          } else {
            phase_ = Phase::kId;
          }
          return State::kComplete;
        }
        if (rest.size() < marker.size() &&
            marker.substr(0, rest.size()) == rest) {
          return State::kNeedMore;
        }
      }
      return State::kFailed;
    }
    return State::kNeedMore;
  }

  Phase phase_ = Phase::kStart;
  size_t pos_ = 0;
  size_t word_ = 0;
  size_t args_at_ = 0;
  size_t end_ = 0;
  ValueScanner json_{ValueScanner::Syntax::kJson};
};

// A bare value is judged by its first kVerdictWindow bytes only, so the
// verdict is the same whichever prefix it is first taken on (and a flood of
// whitespace after '{' costs nothing).
constexpr size_t kVerdictWindow = 256;

// Whether a bare '{' at the start of the reply is a tool call: its first
// key must be one a call object starts with. nullopt: not known yet.
std::optional<bool> BareJsonVerdictInWindow(std::string_view body,
                                            bool allow_response) {
  size_t i = LeadingSpace(body);
  if (i == body.size() || body[i] != '{') return false;
  i += 1;
  i += LeadingSpace(body.substr(i));
  if (i == body.size()) return std::nullopt;
  if (body[i] != '"') return false;
  const size_t key_end = body.find('"', i + 1);
  const std::string_view key = body.substr(
      i + 1, key_end == std::string_view::npos ? std::string_view::npos
                                               : key_end - i - 1);
  std::vector<std::string_view> keys = {"name", "type", "function", "tool_call",
                                        "tool_calls"};
  if (allow_response) keys.push_back("response");
  for (std::string_view k : keys) {
    if (key_end != std::string_view::npos ? key == k
                                          : k.substr(0, key.size()) == key) {
      return key_end != std::string_view::npos ? std::optional<bool>(true)
                                               : std::nullopt;
    }
  }
  return false;
}

// Whether a bare '[' at the start of the reply is a Python call list: an
// identifier and '(' must follow.
std::optional<bool> BarePythonVerdictInWindow(std::string_view body) {
  size_t i = LeadingSpace(body);
  if (i == body.size() || body[i] != '[') return false;
  i += 1;
  i += LeadingSpace(body.substr(i));
  if (i == body.size()) return std::nullopt;
  const auto ident_start = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  };
  if (!ident_start(body[i])) return false;
  while (i < body.size() &&
         (ident_start(body[i]) || (body[i] >= '0' && body[i] <= '9') ||
          body[i] == '.' || body[i] == '-')) {
    ++i;
  }
  i += LeadingSpace(body.substr(i));
  if (i == body.size()) return std::nullopt;
  return body[i] == '(';
}

std::optional<bool> BareVerdict(std::string_view body, bool python,
                                bool allow_response) {
  const std::string_view window = body.substr(0, kVerdictWindow);
  const std::optional<bool> v =
      python ? BarePythonVerdictInWindow(window)
             : BareJsonVerdictInWindow(window, allow_response);
  if (!v.has_value() && body.size() >= kVerdictWindow) return false;
  return v;
}

// Streams one channel's text out in whole UTF-8 characters.
class Channel {
 public:
  void Append(std::string_view text, std::string& delta, std::string& all) {
    if (text.empty()) return;
    tail_.append(text);
    const size_t n = CompleteUtf8Prefix(tail_);
    delta.append(tail_, 0, n);
    all.append(tail_, 0, n);
    tail_.erase(0, n);
  }
  void Flush(std::string& delta, std::string& all) {
    delta += tail_;
    all += tail_;
    tail_.clear();
  }

 private:
  std::string tail_;
};

}  // namespace

class Engine {
 public:
  Engine(const ReasoningSpec& reasoning, const ToolSpec* tools,
         ToolSchemas schemas, ParseOptions options)
      : reasoning_(reasoning),
        tools_(tools),
        schemas_(std::move(schemas)),
        options_(std::move(options)) {
    if (!reasoning_.open.empty()) {
      content_markers_.push_back(
          {reasoning_.open, Marker::Kind::kReasoningOpen});
    }
    for (std::string_view m : reasoning_.ignored) {
      content_markers_.push_back({m, Marker::Kind::kIgnored});
    }
    if (tools_ != nullptr) {
      for (const BlockSpec& b : tools_->blocks) {
        if (b.open.empty()) continue;
        content_markers_.push_back({b.open, Marker::Kind::kBlockOpen, &b});
      }
      for (std::string_view m : tools_->ignored) {
        content_markers_.push_back({m, Marker::Kind::kIgnored});
      }
    }
    if (!reasoning_.close.empty()) {
      close_marker_.push_back({reasoning_.close, Marker::Kind::kClose});
      if (options_.starts_in_reasoning || reasoning_.open.empty()) {
        mode_ = Mode::kReasoning;
      }
    }
  }

  OutputDelta Feed(std::string_view text) {
    if (finished_) return {};
    pending_.append(text);
    Run(/*at_end=*/false);
    return std::exchange(delta_, {});
  }

  OutputDelta Finish() {
    if (finished_) return {};
    finished_ = true;
    Run(/*at_end=*/true);
    content_.Flush(delta_.content, parsed_.content);
    reasoning_channel_.Flush(delta_.reasoning, parsed_.reasoning);
    return std::exchange(delta_, {});
  }

  const ParsedOutput& parsed() const { return parsed_; }

 private:
  enum class Mode { kContent, kReasoning, kBlock };

  struct OpenBlock {
    const BlockSpec* spec = nullptr;
    bool bare = false;
    std::string body;
    size_t search_from = 0;
    std::optional<bool> verdict;  // bare values: a call or not, once known
    bool python_code = false;     // kPythonTag: the body is not JSON
    ValueScanner value{ValueScanner::Syntax::kJson};
    MistralScanner mistral;
  };

  void Run(bool at_end) {
    bool progress = true;
    while (progress) {
      switch (mode_) {
        case Mode::kContent:
          progress = StepContent(at_end);
          break;
        case Mode::kReasoning:
          progress = StepReasoning(at_end);
          break;
        case Mode::kBlock:
          progress = StepBlock(at_end);
          break;
      }
    }
  }

  // Drops leading whitespace while skip_space_ is set; false if nothing but
  // whitespace is pending.
  bool SkipSpace() {
    if (!skip_space_) return true;
    pending_.erase(0, LeadingSpace(pending_));
    if (pending_.empty()) return false;
    skip_space_ = false;
    return true;
  }

  bool StepContent(bool at_end) {
    if (!SkipSpace()) return false;
    if (bare_allowed_ && tools_ != nullptr) {
      const char c = pending_[0];
      if (c == '{' && tools_->bare_json) {
        Open(BareJsonBlock(), /*bare=*/true);
        return true;
      }
      if (c == '[' && tools_->bare_python) {
        Open(BarePythonBlock(), /*bare=*/true);
        return true;
      }
    }
    const Found found = FindMarker(pending_, content_markers_, at_end);
    if (found.pos == std::string_view::npos) {
      EmitContent(pending_);
      pending_.clear();
      return false;
    }
    EmitContent(std::string_view(pending_).substr(0, found.pos));
    if (found.marker == nullptr) {
      pending_.erase(0, found.pos);
      return false;
    }
    pending_.erase(0, found.pos + found.marker->text.size());
    switch (found.marker->kind) {
      case Marker::Kind::kReasoningOpen:
        mode_ = Mode::kReasoning;
        skip_space_ = true;
        break;
      case Marker::Kind::kBlockOpen:
        Open(*found.marker->block, /*bare=*/false);
        break;
      case Marker::Kind::kIgnored:
      case Marker::Kind::kClose:
        break;
    }
    return true;
  }

  bool StepReasoning(bool at_end) {
    if (!SkipSpace()) return false;
    const Found found = FindMarker(pending_, close_marker_, at_end);
    if (found.pos == std::string_view::npos) {
      EmitReasoning(pending_);
      pending_.clear();
      if (at_end) reasoning_space_.clear();  // trailing space of the block
      return false;
    }
    EmitReasoning(std::string_view(pending_).substr(0, found.pos));
    if (found.marker == nullptr) {
      pending_.erase(0, found.pos);
      return false;
    }
    pending_.erase(0, found.pos + found.marker->text.size());
    reasoning_space_.clear();
    mode_ = Mode::kContent;
    skip_space_ = true;
    return true;
  }

  void Open(const BlockSpec& spec, bool bare) {
    block_ = OpenBlock();
    block_.spec = &spec;
    block_.bare = bare;
    block_.value = ValueScanner(spec.end == BlockEnd::kPythonValue
                                    ? ValueScanner::Syntax::kPython
                                    : ValueScanner::Syntax::kJson);
    mode_ = Mode::kBlock;
  }

  bool StepBlock(bool at_end) {
    OpenBlock& b = block_;
    b.body += pending_;
    pending_.clear();
    switch (b.spec->end) {
      case BlockEnd::kCloseMarker:
        return AwaitClose(b.spec->close, at_end, /*end_completes=*/false);
      case BlockEnd::kJsonValue:
      case BlockEnd::kPythonValue: {
        const ValueScanner::State state = b.value.Scan(b.body);
        return AwaitValue(state, b.value.end(), at_end);
      }
      case BlockEnd::kMistral: {
        const ValueScanner::State state = b.mistral.Scan(b.body);
        return AwaitValue(state, b.mistral.end(), at_end);
      }
      case BlockEnd::kPythonTag: {
        // The first character after the whitespace says JSON or code;
        // search_from walks the whitespace until then.
        if (!b.python_code) {
          while (b.search_from < b.body.size() &&
                 IsSpace(b.body[b.search_from])) {
            ++b.search_from;
          }
          if (b.search_from == b.body.size()) {
            if (at_end) Unterminated();
            return at_end;
          }
          if (b.body[b.search_from] == '{') {
            const ValueScanner::State state = b.value.Scan(b.body);
            return AwaitValue(state, b.value.end(), at_end);
          }
          b.python_code = true;
          b.search_from = 0;
        }
        return AwaitClose(b.spec->close, at_end, /*end_completes=*/true);
      }
    }
    return false;
  }

  bool AwaitClose(std::string_view close, bool at_end, bool end_completes) {
    OpenBlock& b = block_;
    const size_t at = b.body.find(close, b.search_from);
    if (at != std::string::npos) {
      pending_ = b.body.substr(at + close.size());
      b.body.resize(at);
      Complete(close);
      return true;
    }
    b.search_from =
        b.body.size() >= close.size() ? b.body.size() - close.size() + 1 : 0;
    if (!at_end) return false;
    if (end_completes) {
      Complete("");
    } else {
      Unterminated();
    }
    return true;
  }

  bool AwaitValue(ValueScanner::State state, size_t end, bool at_end) {
    OpenBlock& b = block_;
    // The verdict is taken whatever the scanner says, so that a value that
    // completes within one piece is judged as it would be byte by byte.
    if (b.bare && state != ValueScanner::State::kFailed) {
      if (!b.verdict.has_value()) {
        b.verdict = BareVerdict(b.body, b.spec->end == BlockEnd::kPythonValue,
                                tools_->bare_response);
      }
      if (b.verdict == false) state = ValueScanner::State::kFailed;
    }
    switch (state) {
      case ValueScanner::State::kComplete:
        pending_ = b.body.substr(end);
        b.body.resize(end);
        Complete("");
        return true;
      case ValueScanner::State::kFailed:
        // Not a call after all: the opener is text, and what followed it is
        // scanned again as content.
        EmitContent(b.spec->open);
        pending_ = std::move(b.body);
        bare_allowed_ = false;
        mode_ = Mode::kContent;
        return true;
      case ValueScanner::State::kNeedMore:
        if (!at_end) return false;
        Unterminated();
        return true;
    }
    return false;
  }

  // The block's text ends with `close` (already removed from pending_).
  void Complete(std::string_view close) {
    OpenBlock& b = block_;
    std::optional<BodyResult> result =
        ParseBody(*b.spec, b.body, schemas_, b.bare, tools_->bare_response);
    mode_ = Mode::kContent;
    if (!result && b.bare) {
      // A bare value that is not a call is ordinary text, scanned as such
      // (as it is when the opening key already rules a call out).
      pending_.insert(0, b.body);
      bare_allowed_ = false;
      return;
    }
    if (!result) {
      EmitContent(b.spec->open);
      EmitContent(b.body);
      EmitContent(close);
      return;
    }
    if (!result->content.empty()) EmitContent(result->content);
    for (RawCall& call : result->calls) AddCall(std::move(call));
    // Another bare call may follow a bare one (Llama 3.2 writes several).
    if (b.bare && result->content.empty()) bare_allowed_ = true;
    skip_space_ = true;
  }

  void Unterminated() {
    OpenBlock& b = block_;
    EmitContent(b.spec->open);
    EmitContent(b.body);
    mode_ = Mode::kContent;
  }

  void AddCall(RawCall raw) {
    ToolCall call;
    call.index = static_cast<int>(parsed_.tool_calls.size());
    call.id = raw.id.empty() ? GeneratedId(call.index) : std::move(raw.id);
    call.name = std::move(raw.name);
    call.arguments =
        raw.arguments.dump(-1, ' ', false, Json::error_handler_t::replace);
    parsed_.tool_calls.push_back(call);
    delta_.tool_calls.push_back(std::move(call));
  }

  std::string GeneratedId(int index) const {
    if (tools_->ids == IdStyle::kNineAlnum) {
      return absl::StrFormat("call%05d", index % 100000);
    }
    return absl::StrFormat("%s%d", options_.id_prefix, index);
  }

  void EmitContent(std::string_view text) {
    if (text.empty()) return;
    bare_allowed_ = false;
    content_.Append(text, delta_.content, parsed_.content);
  }

  // Holds trailing whitespace back: it is dropped if the block closes next.
  void EmitReasoning(std::string_view text) {
    // reasoning_space_ only ever holds whitespace, so only the new text is
    // looked at.
    size_t keep = text.size();
    while (keep > 0 && IsSpace(text[keep - 1])) --keep;
    if (keep > 0) {
      reasoning_channel_.Append(reasoning_space_, delta_.reasoning,
                                parsed_.reasoning);
      reasoning_channel_.Append(text.substr(0, keep), delta_.reasoning,
                                parsed_.reasoning);
      reasoning_space_.clear();
    }
    reasoning_space_.append(text.substr(keep));
  }

  const ReasoningSpec& reasoning_;
  const ToolSpec* tools_;  // nullptr: tool calls are not parsed
  const ToolSchemas schemas_;
  const ParseOptions options_;
  std::vector<Marker> content_markers_;
  std::vector<Marker> close_marker_;

  Mode mode_ = Mode::kContent;
  std::string pending_;
  bool skip_space_ = true;    // drop whitespace before the next text
  bool bare_allowed_ = true;  // nothing but calls and reasoning so far
  bool finished_ = false;
  OpenBlock block_;
  std::string reasoning_space_;
  Channel content_, reasoning_channel_;
  OutputDelta delta_;
  ParsedOutput parsed_;
};

}  // namespace internal

absl::StatusOr<OutputParser> OutputParser::Create(const OutputFormat& format,
                                                  const ParseOptions& options) {
  const internal::ReasoningSpec* reasoning =
      internal::FindReasoningSpec(format.reasoning);
  if (reasoning == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrFormat("output format: unknown reasoning syntax %d",
                        static_cast<int>(format.reasoning)));
  }
  const internal::ToolSpec* tools = internal::FindToolSpec(format.tool_calls);
  if (tools == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrFormat("output format: unknown tool-call syntax %d",
                        static_cast<int>(format.tool_calls)));
  }
  if (!options.parse_tool_calls || format.tool_calls == ToolCallSyntax::kNone) {
    tools = nullptr;
  }
  absl::StatusOr<internal::ToolSchemas> schemas =
      internal::ToolSchemas::FromJson(options.tools_json);
  if (!schemas.ok()) return schemas.status();
  return OutputParser(std::make_unique<internal::Engine>(
      *reasoning, tools, *std::move(schemas), options));
}

OutputParser::OutputParser(std::unique_ptr<internal::Engine> engine)
    : engine_(std::move(engine)) {}
OutputParser::OutputParser(OutputParser&&) noexcept = default;
OutputParser& OutputParser::operator=(OutputParser&&) noexcept = default;
OutputParser::~OutputParser() = default;

OutputDelta OutputParser::Feed(std::string_view text) {
  return engine_->Feed(text);
}

OutputDelta OutputParser::Finish() { return engine_->Finish(); }

const ParsedOutput& OutputParser::parsed() const { return engine_->parsed(); }

absl::StatusOr<ParsedOutput> ParseOutput(std::string_view text,
                                         const OutputFormat& format,
                                         const ParseOptions& options) {
  absl::StatusOr<OutputParser> parser = OutputParser::Create(format, options);
  if (!parser.ok()) return parser.status();
  parser->Feed(text);
  parser->Finish();
  return parser->parsed();
}

}  // namespace edgellm::chat::output
