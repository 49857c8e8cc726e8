// A Jinja chat template, parsed once and rendered many times, with the
// semantics of Python's Jinja2 3.1 in the environment Hugging Face's
// apply_chat_template sets up: ImmutableSandboxedEnvironment(trim_blocks,
// lstrip_blocks, loopcontrols), tojson as json.dumps(ensure_ascii=False),
// raise_exception and strftime_now as globals, the {% generation %} tag.
//
//   auto tpl = Template::Parse(source);          // TemplateSyntaxError, ...
//   auto text = tpl->RenderJson(context);        // {"messages": [...], ...}
//
// Errors are absl::Status values whose message starts with the template
// line and column; ErrorText() gives Jinja2's "Type: message" form.
//
// Thread safety: a Template is immutable after Parse; any number of threads
// may call Render on one Template at the same time.
#ifndef EDGELLM_RUNTIME_CHAT_JINJA_TEMPLATE_H_
#define EDGELLM_RUNTIME_CHAT_JINJA_TEMPLATE_H_

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "runtime/chat/jinja/error.h"
#include "runtime/chat/jinja/value.h"

namespace edgellm::chat::jinja {

struct ParseOptions {
  // Hugging Face's settings; Jinja2's own defaults are false for all three.
  bool trim_blocks = true;
  bool lstrip_blocks = true;
  bool keep_trailing_newline = false;
};

// Bounds on one render, so a hostile template ends with a LimitExceeded
// error instead of running away.
struct RenderOptions {
  // The rendered text, and any one string or captured block, stay below this.
  size_t max_output_bytes = 16 << 20;
  // Evaluation steps (expressions, statements, loop iterations, and work
  // proportional to the size of strings and lists made).
  int64_t max_steps = 20'000'000;
  // Nesting of evaluation, including macro recursion.
  int max_depth = 1000;
  // strftime_now's clock (local time); defaults to the system clock.
  std::function<std::tm()> now;
};

class Template {
 public:
  static absl::StatusOr<Template> Parse(std::string_view source,
                                        const ParseOptions& options = {});

  // `context` holds the template's variables (a dict value).
  absl::StatusOr<std::string> Render(const Dict& context,
                                     const RenderOptions& options = {}) const;
  // A JSON object of variables; ordered_json keeps key order, which
  // `tojson` and `|items` show.
  absl::StatusOr<std::string> RenderJson(
      const nlohmann::ordered_json& context,
      const RenderOptions& options = {}) const;

 private:
  struct Impl;
  explicit Template(std::shared_ptr<const Impl> impl)
      : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

}  // namespace edgellm::chat::jinja

#endif  // EDGELLM_RUNTIME_CHAT_JINJA_TEMPLATE_H_
