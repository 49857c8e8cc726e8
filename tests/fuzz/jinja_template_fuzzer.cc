// libFuzzer target for the Jinja interpreter: any input, taken as template
// source, must parse to a Status or a template whose render (with a small
// chat context and tight limits) ends in text or a Status, never a crash,
// hang or runaway memory. Built with clang by `tools/fuzz.sh
// jinja_template`; the seed corpus (tests/fuzz/corpus/jinja_template, small
// templates written for this) is replayed by
// //tests/fuzz:jinja_template_fuzzer_replay_test.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "nlohmann/json.hpp"
#include "runtime/chat/jinja/template.h"

namespace {

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

const nlohmann::ordered_json& Context() {
  static const auto* context =
      new nlohmann::ordered_json(nlohmann::ordered_json::parse(R"({
    "messages": [
      {"role": "system", "content": "Be brief."},
      {"role": "user", "content": "Grüße 😀 \"q\""},
      {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function",
        "function": {"name": "get_weather", "arguments": {"location": "Paris", "n": [1, 2.5, true]}}}]},
      {"role": "tool", "tool_call_id": "call_1", "content": "22C"},
      {"role": "user", "content": [{"type": "text", "text": "parts"}]}
    ],
    "tools": [{"type": "function", "function": {"name": "get_weather", "parameters":
      {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}}],
    "add_generation_prompt": true, "bos_token": "<s>", "eos_token": "</s>", "enable_thinking": false
  })"));
  return *context;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view source(reinterpret_cast<const char*>(data), size);
  auto tpl = edgellm::chat::jinja::Template::Parse(source);
  if (!tpl.ok()) {
    Check(!edgellm::chat::jinja::ErrorText(tpl.status()).empty());
    return 0;
  }
  edgellm::chat::jinja::RenderOptions options;
  options.max_steps = 200'000;
  options.max_output_bytes = 1 << 20;
  options.max_depth = 300;
  auto out = tpl->RenderJson(Context(), options);
  if (out.ok()) Check(out->size() <= options.max_output_bytes);
  return 0;
}
