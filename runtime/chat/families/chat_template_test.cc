#include "runtime/chat/families/chat_template.h"

#include <fstream>
#include <iterator>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/shared_dir.h"

namespace edgellm::chat {
namespace {

using ::testing::HasSubstr;

// Test data: published chat templates (the `chat_template` field of the
// models' tokenizer_config.json) with the prompts they render, taken from
// two references:
//  - llama.cpp tests/test-chat-template.cpp: six-message conversation, BOS
//    "" and generation prompt on. Where llama.cpp's hand-written output
//    differs from real Jinja, it records the Jinja output separately
//    (`expected_output_jinja`); we take that one, since the model was
//    trained on what the template produces.
//  - huggingface swift-jinja Tests/IntegrationTests.swift: outputs of the
//    templates under Jinja with trim_blocks/lstrip_blocks (as Hugging Face's
//    apply_chat_template), on a three- or four-message conversation.

std::vector<ChatMessage> LlamaCppConversation() {
  return {
      {"system", "You are a helpful assistant"},
      {"user", "Hello"},
      {"assistant", "Hi there"},
      {"user", "Who are you"},
      {"assistant", "   I am an assistant   "},
      {"user", "Another question"},
  };
}

std::vector<ChatMessage> SwiftJinjaMessages() {
  return {
      {"user", "Hello, how are you?"},
      {"assistant", "I'm doing great. How can I help you today?"},
      {"user", "I'd like to show off how chat templating works!"},
  };
}

std::vector<ChatMessage> SwiftJinjaMessagesWithSystem() {
  std::vector<ChatMessage> messages = SwiftJinjaMessages();
  messages.insert(
      messages.begin(),
      {"system",
       "You are a friendly chatbot who always responds in the style of a "
       "pirate"});
  return messages;
}

enum class Conversation { kLlamaCpp, kSwift, kSwiftWithSystem };

std::vector<ChatMessage> Messages(Conversation c) {
  switch (c) {
    case Conversation::kLlamaCpp:
      return LlamaCppConversation();
    case Conversation::kSwift:
      return SwiftJinjaMessages();
    case Conversation::kSwiftWithSystem:
      return SwiftJinjaMessagesWithSystem();
  }
  return {};
}

struct TemplateCase {
  std::string_view name;  // model the template comes from
  std::string_view jinja;
  ChatTemplateFamily family;
  Conversation conversation;
  std::string_view bos;
  bool add_generation_prompt;
  std::string_view expected;
};

constexpr std::string_view kChatMlExpected =
    "<|im_start|>system\nYou are a helpful assistant<|im_end|>\n"
    "<|im_start|>user\nHello<|im_end|>\n"
    "<|im_start|>assistant\nHi there<|im_end|>\n"
    "<|im_start|>user\nWho are you<|im_end|>\n"
    "<|im_start|>assistant\n   I am an assistant   <|im_end|>\n"
    "<|im_start|>user\nAnother question<|im_end|>\n"
    "<|im_start|>assistant\n";

constexpr std::string_view kPhi3Expected =
    "<|system|>\nYou are a helpful assistant<|end|>\n<|user|>\nHello<|end|>\n"
    "<|assistant|>\nHi there<|end|>\n<|user|>\nWho are you<|end|>\n"
    "<|assistant|>\n   I am an assistant   <|end|>\n"
    "<|user|>\nAnother question<|end|>\n<|assistant|>\n";

constexpr std::string_view kSmolLm2Template =
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != "
    "'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named "
    "SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif "
    "%}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + "
    "'<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ "
    "'<|im_start|>assistant\n' }}{% endif %}";

constexpr std::string_view kQwen25Template =
    "{%- if tools %}\n    {{- '<|im_start|>system\\n' }}\n    {%- if "
    "messages[0]['role'] == 'system' %}\n        {{- messages[0]['content'] "
    "}}\n    {%- else %}\n        {{- 'You are Qwen, created by Alibaba "
    "Cloud. You are a helpful assistant.' }}\n    {%- endif %}\n    {{- "
    "\"\\n\\n# Tools\\n\\nYou may call one or more functions to assist with "
    "the user query.\\n\\nYou are provided with function signatures within "
    "<tools></tools> XML tags:\\n<tools>\" }}\n    {%- for tool in tools "
    "%}\n        {{- \"\\n\" }}\n        {{- tool | tojson }}\n    {%- endfor "
    "%}\n    {{- \"\\n</tools>\\n\\nFor each function call, return a json "
    "object with function name and arguments within <tool_call></tool_call> "
    "XML tags:\\n<tool_call>\\n{\\\"name\\\": <function-name>, "
    "\\\"arguments\\\": <args-json-object>}\\n</tool_call><|im_end|>\\n\" "
    "}}\n{%- else %}\n    {%- if messages[0]['role'] == 'system' %}\n        "
    "{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' "
    "}}\n    {%- else %}\n        {{- '<|im_start|>system\\nYou are Qwen, "
    "created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' "
    "}}\n    {%- endif %}\n{%- endif %}\n{%- for message in messages %}\n    "
    "{%- if (message.role == \"user\") or (message.role == \"system\" and not "
    "loop.first) or (message.role == \"assistant\" and not "
    "message.tool_calls) %}\n        {{- '<|im_start|>' + message.role + "
    "'\\n' + message.content + '<|im_end|>' + '\\n' }}\n    {%- elif "
    "message.role == \"assistant\" %}\n        {{- '<|im_start|>' + "
    "message.role }}\n        {%- if message.content %}\n            {{- "
    "'\\n' + message.content }}\n        {%- endif %}\n        {%- for "
    "tool_call in message.tool_calls %}\n            {%- if tool_call.function "
    "is defined %}\n                {%- set tool_call = tool_call.function "
    "%}\n            {%- endif %}\n            {{- "
    "'\\n<tool_call>\\n{\"name\": "
    "\"' }}\n            {{- tool_call.name }}\n            {{- '\", "
    "\"arguments\": ' }}\n            {{- tool_call.arguments | tojson }}\n   "
    "         {{- '}\\n</tool_call>' }}\n        {%- endfor %}\n        {{- "
    "'<|im_end|>\\n' }}\n    {%- elif message.role == \"tool\" %}\n        "
    "{%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != "
    "\"tool\") %}\n            {{- '<|im_start|>user' }}\n        {%- endif "
    "%}\n        {{- '\\n<tool_response>\\n' }}\n        {{- message.content "
    "}}\n        {{- '\\n</tool_response>' }}\n        {%- if loop.last or "
    "(messages[loop.index0 + 1].role != \"tool\") %}\n            {{- "
    "'<|im_end|>\\n' }}\n        {%- endif %}\n    {%- endif %}\n{%- endfor "
    "%}\n{%- if add_generation_prompt %}\n    {{- '<|im_start|>assistant\\n' "
    "}}\n{%- endif %}";

constexpr std::string_view kQwen15Template =
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != "
    "'system' %}{{ '<|im_start|>system\nYou are a helpful "
    "assistant.<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] "
    "+ '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if "
    "add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

constexpr std::string_view kMistralV3Template =
    "{%- if messages[0][\"role\"] == \"system\" %}\n    {%- set "
    "system_message = messages[0][\"content\"] %}\n    {%- set loop_messages "
    "= messages[1:] %}\n{%- else %}\n    {%- set loop_messages = messages "
    "%}\n{%- endif %}\n{%- if not tools is defined %}\n    {%- set tools = "
    "none %}\n{%- endif %}\n{%- set user_messages = loop_messages | "
    "selectattr(\"role\", \"equalto\", \"user\") | list %}\n\n{#- This block "
    "checks for alternating user/assistant messages, skipping tool calling "
    "messages #}\n{%- set ns = namespace() %}\n{%- set ns.index = 0 %}\n{%- "
    "for message in loop_messages %}\n    {%- if not (message.role == "
    "\"tool\" or message.role == \"tool_results\" or (message.tool_calls is "
    "defined and message.tool_calls is not none)) %}\n        {%- if "
    "(message[\"role\"] == \"user\") != (ns.index % 2 == 0) %}\n            "
    "{{- raise_exception(\"After the optional system message, conversation "
    "roles must alternate user/assistant/user/assistant/...\") }}\n        "
    "{%- endif %}\n        {%- set ns.index = ns.index + 1 %}\n    {%- endif "
    "%}\n{%- endfor %}\n\n{{- bos_token }}\n{%- for message in loop_messages "
    "%}\n    {%- if message[\"role\"] == \"user\" %}\n        {%- if tools is "
    "not none and (message == user_messages[-1]) %}\n            {{- "
    "\"[AVAILABLE_TOOLS] [\" }}\n            {%- for tool in tools %}\n      "
    "          {%- set tool = tool.function %}\n                {{- "
    "'{\"type\": \"function\", \"function\": {' }}\n                {%- for "
    "key, val in tool.items() if key != \"return\" %}\n                    "
    "{%- if val is string %}\n                        {{- '\"' + key + '\": "
    "\"' + val + '\"' }}\n                    {%- else %}\n                  "
    "      {{- '\"' + key + '\": ' + val|tojson }}\n                    {%- "
    "endif %}\n                    {%- if not loop.last %}\n                 "
    "       {{- \", \" }}\n                    {%- endif %}\n                "
    "{%- endfor %}\n                {{- \"}}\" }}\n                {%- if not "
    "loop.last %}\n                    {{- \", \" }}\n                {%- "
    "else %}\n                    {{- \"]\" }}\n                {%- endif "
    "%}\n            {%- endfor %}\n            {{- \"[/AVAILABLE_TOOLS]\" "
    "}}\n            {%- endif %}\n        {%- if loop.last and "
    "system_message is defined %}\n            {{- \"[INST] \" + "
    "system_message + \"\\n\\n\" + message[\"content\"] + \"[/INST]\" }}\n    "
    "    {%- else %}\n            {{- \"[INST] \" + message[\"content\"] + "
    "\"[/INST]\" }}\n        {%- endif %}\n    {%- elif message.tool_calls is "
    "defined and message.tool_calls is not none %}\n        {{- "
    "\"[TOOL_CALLS] [\" }}\n        {%- for tool_call in message.tool_calls "
    "%}\n            {%- set out = tool_call.function|tojson %}\n            "
    "{{- out[:-1] }}\n            {%- if not tool_call.id is defined or "
    "tool_call.id|length != 9 %}\n                {{- raise_exception(\"Tool "
    "call IDs should be alphanumeric strings with length 9!\") }}\n          "
    "  {%- endif %}\n            {{- ', \"id\": \"' + tool_call.id + '\"}' "
    "}}\n            {%- if not loop.last %}\n                {{- \", \" "
    "}}\n            {%- else %}\n                {{- \"]\" + eos_token }}\n "
    "           {%- endif %}\n        {%- endfor %}\n    {%- elif "
    "message[\"role\"] == \"assistant\" %}\n        {{- \" \" + "
    "message[\"content\"]|trim + eos_token}}\n    {%- elif message[\"role\"] "
    "== \"tool_results\" or message[\"role\"] == \"tool\" %}\n        {%- if "
    "message.content is defined and message.content.content is defined %}\n "
    "           {%- set content = message.content.content %}\n        {%- "
    "else %}\n            {%- set content = message.content %}\n        {%- "
    "endif %}\n        {{- '[TOOL_RESULTS] {\"content\": ' + content|string "
    "+ \", \" }}\n        {%- if not message.tool_call_id is defined or "
    "message.tool_call_id|length != 9 %}\n            {{- "
    "raise_exception(\"Tool call IDs should be alphanumeric strings with "
    "length 9!\") }}\n        {%- endif %}\n        {{- '\"call_id\": \"' + "
    "message.tool_call_id + '\"}[/TOOL_RESULTS]' }}\n    {%- else %}\n       "
    " {{- raise_exception(\"Only user and assistant roles are supported, with "
    "the exception of an initial optional system message!\") }}\n    {%- "
    "endif %}\n{%- endfor %}\n";

// mistralai/Mistral-Nemo-Instruct-2407 as in swift-jinja's test.
constexpr std::string_view kMistralNemoTemplate =
    "{%- if messages[0][\"role\"] == \"system\" %}\n    {%- set "
    "system_message = messages[0][\"content\"] %}\n    {%- set loop_messages "
    "= messages[1:] %}\n{%- else %}\n    {%- set loop_messages = messages "
    "%}\n{%- endif %}\n{%- if not tools is defined %}\n    {%- set tools = "
    "none %}\n{%- endif %}\n{%- set user_messages = loop_messages | "
    "selectattr(\"role\", \"equalto\", \"user\") | list %}\n\n{%- for message "
    "in loop_messages | rejectattr(\"role\", \"equalto\", \"tool\") | "
    "rejectattr(\"role\", \"equalto\", \"tool_results\") | "
    "selectattr(\"tool_calls\", \"undefined\") %}\n    {%- if "
    "(message[\"role\"] == \"user\") != (loop.index0 % 2 == 0) %}\n        "
    "{{- raise_exception(\"After the optional system message, conversation "
    "roles must alternate user/assistant/user/assistant/...\") }}\n    {%- "
    "endif %}\n{%- endfor %}\n\n{{- bos_token }}\n{%- for message in "
    "loop_messages %}\n    {%- if message[\"role\"] == \"user\" %}\n        "
    "{%- if tools is not none and (message == user_messages[-1]) %}\n        "
    "    {{- \"[AVAILABLE_TOOLS][\" }}\n            {%- for tool in tools "
    "%}\n        {%- set tool = tool.function %}\n        {{- '{\"type\": "
    "\"function\", \"function\": {' }}\n        {%- for key, val in "
    "tool.items() if key != \"return\" %}\n            {%- if val is string "
    "%}\n            {{- '\"' + key + '\": \"' + val + '\"' }}\n            "
    "{%- else %}\n            {{- '\"' + key + '\": ' + val|tojson }}\n      "
    "      {%- endif %}\n            {%- if not loop.last %}\n            "
    "{{- \", \" }}\n            {%- endif %}\n        {%- endfor %}\n        "
    "{{- \"}}\" }}\n                {%- if not loop.last %}\n                "
    "    {{- \", \" }}\n                {%- else %}\n                    {{- "
    "\"]\" }}\n                {%- endif %}\n            {%- endfor %}\n     "
    "       {{- \"[/AVAILABLE_TOOLS]\" }}\n            {%- endif %}\n        "
    "{%- if loop.last and system_message is defined %}\n            {{- "
    "\"[INST]\" + system_message + \"\\n\\n\" + message[\"content\"] + "
    "\"[/INST]\" }}\n        {%- else %}\n            {{- \"[INST]\" + "
    "message[\"content\"] + \"[/INST]\" }}\n        {%- endif %}\n    {%- "
    "elif message[\"role\"] == \"tool_calls\" or message.tool_calls is "
    "defined %}\n        {%- if message.tool_calls is defined %}\n           "
    " {%- set tool_calls = message.tool_calls %}\n        {%- else %}\n      "
    "      {%- set tool_calls = message.content %}\n        {%- endif %}\n   "
    "     {{- \"[TOOL_CALLS][\" }}\n        {%- for tool_call in tool_calls "
    "%}\n            {%- set out = tool_call.function|tojson %}\n            "
    "{{- out[:-1] }}\n            {%- if not tool_call.id is defined or "
    "tool_call.id|length != 9 %}\n                {{- raise_exception(\"Tool "
    "call IDs should be alphanumeric strings with length 9!\") }}\n          "
    "  {%- endif %}\n            {{- ', \"id\": \"' + tool_call.id + '\"}' "
    "}}\n            {%- if not loop.last %}\n                {{- \", \" "
    "}}\n            {%- else %}\n                {{- \"]\" + eos_token }}\n "
    "           {%- endif %}\n        {%- endfor %}\n    {%- elif "
    "message[\"role\"] == \"assistant\" %}\n        {{- message[\"content\"] "
    "+ eos_token}}\n    {%- elif message[\"role\"] == \"tool_results\" or "
    "message[\"role\"] == \"tool\" %}\n        {%- if message.content is "
    "defined and message.content.content is defined %}\n            {%- set "
    "content = message.content.content %}\n        {%- else %}\n            "
    "{%- set content = message.content %}\n        {%- endif %}\n        {{- "
    "'[TOOL_RESULTS]{\"content\": ' + content|string + \", \" }}\n        "
    "{%- if not message.tool_call_id is defined or "
    "message.tool_call_id|length != 9 %}\n            {{- "
    "raise_exception(\"Tool call IDs should be alphanumeric strings with "
    "length 9!\") }}\n        {%- endif %}\n        {{- '\"call_id\": \"' + "
    "message.tool_call_id + '\"}[/TOOL_RESULTS]' }}\n    {%- else %}\n       "
    " {{- raise_exception(\"Only user and assistant roles are supported, with "
    "the exception of an initial optional system message!\") }}\n    {%- "
    "endif %}\n{%- endfor %}\n";

constexpr std::string_view kZephyrTemplate =
    "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ "
    "'<|user|>\n' + message['content'] + eos_token }}\n{% elif "
    "message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + "
    "eos_token }}\n{% elif message['role'] == 'assistant' %}\n{{ "
    "'<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n{% "
    "if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% "
    "endif %}\n{% endfor %}";

constexpr std::string_view kLlama2HfTemplate =
    "{% if messages[0]['role'] == 'system' %}{% set loop_messages = "
    "messages[1:] %}{% set system_message = messages[0]['content'] %}{% elif "
    "USE_DEFAULT_PROMPT == true and not '<<SYS>>' in messages[0]['content'] "
    "%}{% set loop_messages = messages %}{% set system_message = "
    "'DEFAULT_SYSTEM_MESSAGE' %}{% else %}{% set loop_messages = messages %}{% "
    "set system_message = false %}{% endif %}{% for message in loop_messages "
    "%}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ "
    "raise_exception('Conversation roles must alternate "
    "user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 "
    "and system_message != false %}{% set content = '<<SYS>>\\n' + "
    "system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else "
    "%}{% set content = message['content'] %}{% endif %}{% if message['role'] "
    "== 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% "
    "elif message['role'] == 'system' %}{{ '<<SYS>>\\n' + content.strip() + "
    "'\\n<</SYS>>\\n\\n' }}{% elif message['role'] == 'assistant' %}{{ "
    "' ' + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";

const TemplateCase kCases[] = {
    // ---- ChatML ----
    {"teknium/OpenHermes-2.5-Mistral-7B",
     "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' "
     "+ message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if "
     "add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
     ChatTemplateFamily::kChatMl, Conversation::kLlamaCpp, "", true,
     kChatMlExpected},
    // With a system message the SmolLM2 template is the one above.
    {"HuggingFaceTB/SmolLM2-Instruct", kSmolLm2Template,
     ChatTemplateFamily::kChatMl, Conversation::kLlamaCpp, "", true,
     kChatMlExpected},
    {"cognitivecomputations/dolphin-2.5-mixtral-8x7b",
     "{% if not add_generation_prompt is defined %}{% set "
     "add_generation_prompt = false %}{% endif %}{% for message in messages "
     "%}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + "
     "'<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ "
     "'<|im_start|>assistant\n' }}{% endif %}",
     ChatTemplateFamily::kChatMl, Conversation::kSwift, "", false,
     "<|im_start|>user\nHello, how are you?<|im_end|>\n<|im_start|>assistant\n"
     "I'm doing great. How can I help you today?<|im_end|>\n<|im_start|>user\n"
     "I'd like to show off how chat templating works!<|im_end|>\n"},
    // ---- Phi-4 ----
    {"microsoft/phi-4",
     "{% for message in messages %}{% if (message['role'] == 'system') "
     "%}{{'<|im_start|>system<|im_sep|>' + message['content'] + "
     "'<|im_end|>'}}{% elif (message['role'] == 'user') "
     "%}{{'<|im_start|>user<|im_sep|>' + message['content'] + "
     "'<|im_end|><|im_start|>assistant<|im_sep|>'}}{% elif (message['role'] == "
     "'assistant') %}{{message['content'] + '<|im_end|>'}}{% endif %}{% endfor "
     "%}",
     ChatTemplateFamily::kPhi4, Conversation::kLlamaCpp, "", true,
     "<|im_start|>system<|im_sep|>You are a helpful assistant<|im_end|>"
     "<|im_start|>user<|im_sep|>Hello<|im_end|>"
     "<|im_start|>assistant<|im_sep|>Hi there<|im_end|>"
     "<|im_start|>user<|im_sep|>Who are you<|im_end|>"
     "<|im_start|>assistant<|im_sep|>   I am an assistant   <|im_end|>"
     "<|im_start|>user<|im_sep|>Another question<|im_end|>"
     "<|im_start|>assistant<|im_sep|>"},
    // ---- Phi-4-mini ----
    {"microsoft/Phi-4-mini-instruct",
     "{% for message in messages %}{% if message['role'] == 'system' and "
     "'tools' in message and message['tools'] is not none %}{{ '<|' + "
     "message['role'] + '|>' + message['content'] + '<|tool|>' + "
     "message['tools'] + '<|/tool|>' + '<|end|>' }}{% else %}{{ '<|' + "
     "message['role'] + '|>' + message['content'] + '<|end|>' }}{% endif %}{% "
     "endfor %}{% if add_generation_prompt %}{{ '<|assistant|>' }}{% else "
     "%}{{ eos_token }}{% endif %}",
     ChatTemplateFamily::kPhi4Mini, Conversation::kLlamaCpp, "", true,
     "<|system|>You are a helpful assistant<|end|><|user|>Hello<|end|>"
     "<|assistant|>Hi there<|end|><|user|>Who are you<|end|>"
     "<|assistant|>   I am an assistant   <|end|>"
     "<|user|>Another question<|end|><|assistant|>"},
    // ---- Llama 2 ----
    {"bofenghuang/vigogne-2-70b-chat",
     "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{% set "
     "loop_messages = messages[1:] %}{% set system_message = "
     "messages[0]['content'] %}{% elif true == true and not '<<SYS>>' in "
     "messages[0]['content'] %}{% set loop_messages = messages %}{% set "
     "system_message = 'Vous êtes Vigogne, un assistant IA créé par Zaion "
     "Lab. Vous suivez extrêmement bien les instructions. Aidez autant que "
     "vous le pouvez.' %}{% else %}{% set loop_messages = messages %}{% set "
     "system_message = false %}{% endif %}{% for message in loop_messages %}{% "
     "if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ "
     "raise_exception('Conversation roles must alternate "
     "user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 "
     "and system_message != false %}{% set content = '<<SYS>>\\n' + "
     "system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% "
     "set content = message['content'] %}{% endif %}{% if message['role'] == "
     "'user' %}{{ '[INST] ' + content.strip() + ' [/INST]' }}{% elif "
     "message['role'] == 'system' %}{{ '<<SYS>>\\n' + content.strip() + "
     "'\\n<</SYS>>\\n\\n' }}{% elif message['role'] == 'assistant' %}{{ ' '  + "
     "content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}",
     ChatTemplateFamily::kLlama2, Conversation::kLlamaCpp, "", true,
     "[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\nHello [/INST] "
     "Hi there </s>[INST] Who are you [/INST] I am an assistant </s>[INST] "
     "Another question [/INST]"},
    // The Llama 2 chat template (hf-internal-testing/llama-tokenizer): BOS
    // opens every user turn.
    {"hf-internal-testing/llama-tokenizer", kLlama2HfTemplate,
     ChatTemplateFamily::kLlama2, Conversation::kSwiftWithSystem, "<s>", true,
     "<s>[INST] <<SYS>>\nYou are a friendly chatbot who always responds in the "
     "style of a pirate\n<</SYS>>\n\nHello, how are you? [/INST] I'm doing "
     "great. How can I help you today? </s><s>[INST] I'd like to show off how "
     "chat templating works! [/INST]"},
    // ---- Llama 3 ----
    {"meta-llama/Meta-Llama-3-8B-Instruct",
     "{% set loop_messages = messages %}{% for message in loop_messages %}{% "
     "set content = '<|start_header_id|>' + message['role'] + "
     "'<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% "
     "if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif "
     "%}{{ content }}{% endfor %}{{ "
     "'<|start_header_id|>assistant<|end_header_id|>\n\n' }}",
     ChatTemplateFamily::kLlama3, Conversation::kLlamaCpp, "", true,
     "<|start_header_id|>system<|end_header_id|>\n\nYou are a helpful "
     "assistant<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHello<|"
     "eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHi "
     "there<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWho are "
     "you<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nI am an "
     "assistant<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nAnother "
     "question<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"},
    // ---- Mistral ----
    {"mistralai/Mistral-7B-Instruct-v0.2 (pre-v1, system folded)",
     "{{ bos_token }}{% for message in messages %}{% if (message['role'] == "
     "'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation "
     "roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% "
     "if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' "
     "[/INST]' }}{% elif message['role'] == 'assistant' %}{{ "
     "message['content'] + eos_token}}{% else %}{{ raise_exception('Only user "
     "and assistant roles are supported!') }}{% endif %}{% endfor %}",
     ChatTemplateFamily::kMistralV0, Conversation::kLlamaCpp, "", true,
     "[INST] You are a helpful assistant\nHello [/INST]Hi there</s>[INST] Who "
     "are you [/INST]   I am an assistant   </s>[INST] Another question "
     "[/INST]"},
    {"mistralai/Mixtral-8x7B-Instruct-v0.1",
     "{{ bos_token }}{% for message in messages %}{% if (message['role'] == "
     "'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation "
     "roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% "
     "if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' "
     "[/INST]' }}{% elif message['role'] == 'assistant' %}{{ "
     "message['content'] + eos_token}}{% else %}{{ raise_exception('Only user "
     "and assistant roles are supported!') }}{% endif %}{% endfor %}",
     ChatTemplateFamily::kMistralV0, Conversation::kSwift, "<s>", true,
     "<s>[INST] Hello, how are you? [/INST]I'm doing great. How can I help you "
     "today?</s>[INST] I'd like to show off how chat templating works! "
     "[/INST]"},
    {"mistralai/Mistral-7B-Instruct-v0.2 (mistral 'v1' template)",
     "{%- if messages[0]['role'] == 'system' %}\n    {%- set system_message = "
     "messages[0]['content'] %}\n    {%- set loop_messages = messages[1:] "
     "%}\n{%- else %}\n    {%- set loop_messages = messages %}\n{%- endif "
     "%}\n\n{{- bos_token }}\n{%- for message in loop_messages %}\n    {%- if "
     "(message['role'] == 'user') != (loop.index0 % 2 == 0) %}\n        {{- "
     "raise_exception('After the optional system message, conversation roles "
     "must alternate user/assistant/user/assistant/...') }}\n    {%- endif "
     "%}\n    {%- if message['role'] == 'user' %}\n        {%- if loop.first "
     "and system_message is defined %}\n            {{- ' [INST] ' + "
     "system_message + '\\n\\n' + message['content'] + ' [/INST]' }}\n        "
     "{%- else %}\n            {{- ' [INST] ' + message['content'] + ' "
     "[/INST]' }}\n        {%- endif %}\n    {%- elif message['role'] == "
     "'assistant' %}\n        {{- ' ' + message['content'] + eos_token}}\n    "
     "{%- else %}\n        {{- raise_exception('Only user and assistant roles "
     "are supported, with the exception of an initial optional system "
     "message!') }}\n    {%- endif %}\n{%- endfor %}\n",
     ChatTemplateFamily::kMistralV1, Conversation::kLlamaCpp, "", true,
     " [INST] You are a helpful assistant\n\nHello [/INST] Hi there</s> [INST] "
     "Who are you [/INST]    I am an assistant   </s> [INST] Another question "
     "[/INST]"},
    // v3 and v3-tekken put the system prompt into the last user turn.
    {"mistralai/Mistral-Large-Instruct-2407 ('v3')", kMistralV3Template,
     ChatTemplateFamily::kMistralV3, Conversation::kLlamaCpp, "", true,
     "[INST] Hello[/INST] Hi there</s>[INST] Who are you[/INST] I am an "
     "assistant</s>[INST] You are a helpful assistant\n\nAnother "
     "question[/INST]"},
    {"mistralai/Mistral-Nemo-Instruct-2407 ('v3-tekken')", kMistralNemoTemplate,
     ChatTemplateFamily::kMistralV3Tekken, Conversation::kLlamaCpp, "", true,
     "[INST]Hello[/INST]Hi there</s>[INST]Who are you[/INST]   I am an "
     "assistant   </s>[INST]You are a helpful assistant\n\nAnother "
     "question[/INST]"},
    {"mistralai/Mistral-Nemo-Instruct-2407 (swift-jinja)", kMistralNemoTemplate,
     ChatTemplateFamily::kMistralV3Tekken, Conversation::kSwift, "<s>", true,
     "<s>[INST]Hello, how are you?[/INST]I'm doing great. How can I help you "
     "today?</s>[INST]I'd like to show off how chat templating works![/INST]"},
    {"mistralai/Mistral-Large-Instruct-2411 ('v7')",
     "{{ bos_token }}{% for message in messages %}{% if message['role'] == "
     "'user' %}{{ '[INST] ' + message['content'] + '[/INST]' }}{% elif "
     "message['role'] == 'system' %}{{ '[SYSTEM_PROMPT] ' + message['content'] "
     "+ '[/SYSTEM_PROMPT]' }}{% elif message['role'] == 'assistant' %}{{ ' ' + "
     "message['content'] + eos_token }}{% else %}{{ raise_exception('Only "
     "user, system and assistant roles are supported!') }}{% endif %}{% "
     "endfor %}",
     ChatTemplateFamily::kMistralV7, Conversation::kLlamaCpp, "", true,
     "[SYSTEM_PROMPT] You are a helpful assistant[/SYSTEM_PROMPT][INST] "
     "Hello[/INST] Hi there</s>[INST] Who are you[/INST]    I am an assistant "
     "  </s>[INST] Another question[/INST]"},
    // ---- Zephyr ----
    {"HuggingFaceH4/zephyr-7b-beta", kZephyrTemplate,
     ChatTemplateFamily::kZephyr, Conversation::kSwiftWithSystem, "", false,
     "<|system|>\nYou are a friendly chatbot who always responds in the style "
     "of a pirate</s>\n<|user|>\nHello, how are you?</s>\n<|assistant|>\nI'm "
     "doing great. How can I help you today?</s>\n<|user|>\nI'd like to show "
     "off how chat templating works!</s>\n"},
    // ---- Gemma ----
    {"google/gemma-7b-it",
     "{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role "
     "not supported') }}{% endif %}{% for message in messages %}{% if "
     "(message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ "
     "raise_exception('Conversation roles must alternate "
     "user/assistant/user/assistant/...') }}{% endif %}{% if (message['role'] "
     "== 'assistant') %}{% set role = 'model' %}{% else %}{% set role = "
     "message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\\n' + "
     "message['content'] | trim + '<end_of_turn>\\n' }}{% endfor %}{% if "
     "add_generation_prompt %}{{'<start_of_turn>model\\n'}}{% endif %}",
     ChatTemplateFamily::kGemma, Conversation::kLlamaCpp, "", true,
     "<start_of_turn>user\nYou are a helpful "
     "assistant\n\nHello<end_of_turn>\n<start_of_turn>model\nHi "
     "there<end_of_turn>\n<start_of_turn>user\nWho are "
     "you<end_of_turn>\n<start_of_turn>model\nI am an "
     "assistant<end_of_turn>\n<start_of_turn>user\nAnother "
     "question<end_of_turn>\n<start_of_turn>model\n"},
    {"google/gemma-2b-it",
     "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ "
     "raise_exception('System role not supported') }}{% endif %}{% for message "
     "in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == "
     "0) %}{{ raise_exception('Conversation roles must alternate "
     "user/assistant/user/assistant/...') }}{% endif %}{% if (message['role'] "
     "== 'assistant') %}{% set role = 'model' %}{% else %}{% set role = "
     "message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\n' + "
     "message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}{% if "
     "add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}",
     ChatTemplateFamily::kGemma, Conversation::kSwift, "", false,
     "<start_of_turn>user\nHello, how are you?<end_of_turn>\n<start_of_turn>"
     "model\nI'm doing great. How can I help you today?<end_of_turn>\n"
     "<start_of_turn>user\nI'd like to show off how chat templating "
     "works!<end_of_turn>\n"},
    // ---- Phi-3 ----
    {"microsoft/Phi-3-small-8k-instruct",
     "{{ bos_token }}{% for message in messages %}{{'<|' + message['role'] + "
     "'|>' + '\n' + message['content'] + '<|end|>\n' }}{% endfor %}{% if "
     "add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token "
     "}}{% endif %}",
     ChatTemplateFamily::kPhi3, Conversation::kLlamaCpp, "", true,
     kPhi3Expected},
    {"microsoft/Phi-3-vision-128k-instruct",
     "{% for message in messages %}{{'<|' + message['role'] + '|>' + '\n' + "
     "message['content'] + '<|end|>\n' }}{% endfor %}{% if "
     "add_generation_prompt and messages[-1]['role'] != 'assistant' %}{{- "
     "'<|assistant|>\n' -}}{% endif %}",
     ChatTemplateFamily::kPhi3, Conversation::kLlamaCpp, "", true,
     kPhi3Expected},
};

// Names the model in failure messages instead of dumping bytes.
void PrintTo(const TemplateCase& c, std::ostream* os) { *os << c.name; }

class PublishedTemplateTest : public ::testing::TestWithParam<TemplateCase> {};

TEST_P(PublishedTemplateTest, DetectsFamilyAndRendersReferencePrompt) {
  const TemplateCase& c = GetParam();
  absl::StatusOr<ChatTemplateFamily> family = DetectChatTemplate(c.jinja);
  ASSERT_TRUE(family.ok()) << c.name << ": " << family.status();
  EXPECT_EQ(ChatTemplateFamilyName(*family), ChatTemplateFamilyName(c.family))
      << c.name;
  absl::StatusOr<std::string> prompt = RenderChat(
      *family, Messages(c.conversation), c.add_generation_prompt, c.bos);
  ASSERT_TRUE(prompt.ok()) << c.name << ": " << prompt.status();
  EXPECT_EQ(*prompt, c.expected) << c.name;
}

INSTANTIATE_TEST_SUITE_P(ChatTemplate, PublishedTemplateTest,
                         ::testing::ValuesIn(kCases));

TEST(ChatTemplateTest, ZephyrGenerationPromptMatchesReference) {
  // swift-jinja: zephyr-7b-beta, add_generation_prompt = true.
  absl::StatusOr<std::string> prompt = RenderChat(
      ChatTemplateFamily::kZephyr,
      {{"system",
        "You are a friendly chatbot who always responds in the style of a "
        "pirate"},
       {"user", "How many helicopters can a human eat in one sitting?"}},
      true, "");
  ASSERT_TRUE(prompt.ok()) << prompt.status();
  EXPECT_EQ(*prompt,
            "<|system|>\nYou are a friendly chatbot who always responds in the "
            "style of a pirate</s>\n<|user|>\nHow many helicopters can a human "
            "eat in one sitting?</s>\n<|assistant|>\n");
}

TEST(ChatTemplateTest, DefaultSystemPromptOfQwenAndSmolLm) {
  EXPECT_EQ(DefaultSystemPrompt(kQwen25Template),
            "You are Qwen, created by Alibaba Cloud. You are a helpful "
            "assistant.");
  EXPECT_EQ(DefaultSystemPrompt(kQwen15Template),
            "You are a helpful assistant.");
  EXPECT_EQ(DefaultSystemPrompt(kSmolLm2Template),
            "You are a helpful AI assistant named SmolLM, trained by Hugging "
            "Face");
  // Plain ChatML has no default.
  EXPECT_EQ(DefaultSystemPrompt(kZephyrTemplate), std::nullopt);
  EXPECT_EQ(DefaultSystemPrompt(
                "{% for message in messages %}{{'<|im_start|>' + "
                "message['role'] + '\\n' + message['content'] + '<|im_end|>' "
                "+ '\\n'}}{% endfor %}"),
            std::nullopt);
}

TEST(ChatTemplateTest, QwenWithDefaultSystemMatchesReference) {
  // swift-jinja: Qwen2.5-0.5B-Instruct and Qwen1.5-72B-Chat on a chat
  // without a system message, add_generation_prompt unset.
  for (std::string_view tmpl : {kQwen25Template, kQwen15Template}) {
    absl::StatusOr<ChatTemplateFamily> family = DetectChatTemplate(tmpl);
    ASSERT_TRUE(family.ok()) << family.status();
    EXPECT_EQ(*family, ChatTemplateFamily::kChatMl);
    std::optional<std::string> system = DefaultSystemPrompt(tmpl);
    ASSERT_TRUE(system.has_value());
    std::vector<ChatMessage> messages = SwiftJinjaMessages();
    messages.insert(messages.begin(), {"system", *system});
    absl::StatusOr<std::string> prompt =
        RenderChat(*family, messages, false, "");
    ASSERT_TRUE(prompt.ok()) << prompt.status();
    EXPECT_EQ(*prompt,
              "<|im_start|>system\n" + *system +
                  "<|im_end|>\n<|im_start|>user\nHello, how are "
                  "you?<|im_end|>\n<|im_start|>assistant\nI'm doing great. "
                  "How can I help you today?<|im_end|>\n<|im_start|>user\nI'd "
                  "like to show off how chat templating works!<|im_end|>\n");
  }
}

TEST(ChatTemplateTest, BosLeadsTheFamiliesThatStartWithIt) {
  const std::vector<ChatMessage> chat = LlamaCppConversation();
  for (ChatTemplateFamily family :
       {ChatTemplateFamily::kLlama3, ChatTemplateFamily::kGemma,
        ChatTemplateFamily::kPhi3, ChatTemplateFamily::kMistralV0,
        ChatTemplateFamily::kMistralV1, ChatTemplateFamily::kMistralV3,
        ChatTemplateFamily::kMistralV3Tekken, ChatTemplateFamily::kMistralV7}) {
    absl::StatusOr<std::string> without = RenderChat(family, chat, true, "");
    absl::StatusOr<std::string> with = RenderChat(family, chat, true, "<B>");
    ASSERT_TRUE(without.ok() && with.ok()) << ChatTemplateFamilyName(family);
    EXPECT_EQ(*with, "<B>" + *without) << ChatTemplateFamilyName(family);
  }
  // ChatML, Phi-4, Phi-4-mini and Zephyr templates have no bos_token.
  for (ChatTemplateFamily family :
       {ChatTemplateFamily::kChatMl, ChatTemplateFamily::kPhi4,
        ChatTemplateFamily::kPhi4Mini, ChatTemplateFamily::kZephyr}) {
    EXPECT_EQ(RenderChat(family, chat, true, "<B>").value(),
              RenderChat(family, chat, true, "").value())
        << ChatTemplateFamilyName(family);
  }
}

TEST(ChatTemplateTest, GenerationPromptIsTheOnlyDifference) {
  const std::vector<ChatMessage> chat = LlamaCppConversation();
  struct Suffix {
    ChatTemplateFamily family;
    std::string_view suffix;
  };
  for (const Suffix& s : {
           Suffix{ChatTemplateFamily::kChatMl, "<|im_start|>assistant\n"},
           Suffix{ChatTemplateFamily::kLlama3,
                  "<|start_header_id|>assistant<|end_header_id|>\n\n"},
           Suffix{ChatTemplateFamily::kGemma, "<start_of_turn>model\n"},
           Suffix{ChatTemplateFamily::kPhi3, "<|assistant|>\n"},
           Suffix{ChatTemplateFamily::kPhi4Mini, "<|assistant|>"},
           Suffix{ChatTemplateFamily::kZephyr, "<|assistant|>\n"},
           Suffix{ChatTemplateFamily::kLlama2, ""},
           Suffix{ChatTemplateFamily::kMistralV7, ""},
       }) {
    EXPECT_EQ(
        RenderChat(s.family, chat, true, "").value(),
        RenderChat(s.family, chat, false, "").value() + std::string(s.suffix))
        << ChatTemplateFamilyName(s.family);
  }
}

TEST(ChatTemplateTest, NamesRoundTripAndAliases) {
  for (std::string_view name :
       {"chatml", "llama2", "llama3", "mistral", "mistral-v1", "mistral-v3",
        "mistral-v3-tekken", "mistral-v7", "zephyr", "gemma", "phi3", "phi4",
        "phi4-mini"}) {
    absl::StatusOr<ChatTemplateFamily> family =
        ChatTemplateFamilyFromName(name);
    ASSERT_TRUE(family.ok()) << family.status();
    EXPECT_EQ(ChatTemplateFamilyName(*family), name);
    // A bare name also passes detection (one --chat-template value).
    EXPECT_EQ(DetectChatTemplate(name).value(), *family);
    EXPECT_THAT(SupportedChatTemplateNames(), HasSubstr(name));
  }
  EXPECT_EQ(ChatTemplateFamilyFromName("qwen").value(),
            ChatTemplateFamily::kChatMl);
  EXPECT_EQ(ChatTemplateFamilyFromName("smollm").value(),
            ChatTemplateFamily::kChatMl);
  absl::StatusOr<ChatTemplateFamily> bad = ChatTemplateFamilyFromName("llama9");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("llama9"));
  EXPECT_THAT(bad.status().message(), HasSubstr("chatml"));
}

TEST(ChatTemplateTest, UnrecognizedTemplateSaysWhatIsSupported) {
  // CohereForAI/c4ai-command-r-plus: a real template we do not render.
  absl::StatusOr<ChatTemplateFamily> family = DetectChatTemplate(
      "{{ bos_token }}{% for message in messages %}{% if message['role'] == "
      "'user' %}{{ '<|START_OF_TURN_TOKEN|><|USER_TOKEN|>' + "
      "content.strip() + '<|END_OF_TURN_TOKEN|>' }}{% endif %}{% endfor %}");
  ASSERT_FALSE(family.ok());
  EXPECT_EQ(family.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(family.status().message(), HasSubstr("not recognized"));
  EXPECT_THAT(family.status().message(), HasSubstr("chatml, llama2, llama3"));
  EXPECT_THAT(family.status().message(), HasSubstr("--chat-template"));

  absl::StatusOr<ChatTemplateFamily> empty = DetectChatTemplate("  ");
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(empty.status().message(), HasSubstr("no chat template"));
  EXPECT_THAT(empty.status().message(), HasSubstr("--chat-template"));

  // SmolVLM uses <|im_start|> as BOS but is not ChatML.
  EXPECT_FALSE(DetectChatTemplate("<|im_start|>{% for message in messages "
                                  "%}User:{{ message['content'] "
                                  "}}<end_of_utterance>\n{% endfor %}")
                   .ok());
}

TEST(ChatTemplateTest, RejectsBadConversations) {
  absl::StatusOr<std::string> empty =
      RenderChat(ChatTemplateFamily::kChatMl, {}, true, "");
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(empty.status().message(), HasSubstr("no messages"));

  absl::StatusOr<std::string> tool = RenderChat(
      ChatTemplateFamily::kLlama3, {{"user", "hi"}, {"tool", "42"}}, true, "");
  EXPECT_EQ(tool.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(tool.status().message(), HasSubstr("message 1"));
  EXPECT_THAT(tool.status().message(), HasSubstr("\"tool\""));

  absl::StatusOr<std::string> late_system =
      RenderChat(ChatTemplateFamily::kGemma,
                 {{"user", "hi"}, {"system", "be brief"}}, true, "");
  EXPECT_EQ(late_system.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(late_system.status().message(), HasSubstr("message 1"));
  EXPECT_THAT(late_system.status().message(), HasSubstr("gemma"));

  absl::StatusOr<std::string> lone_system = RenderChat(
      ChatTemplateFamily::kLlama2, {{"system", "be brief"}}, true, "");
  EXPECT_EQ(lone_system.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(lone_system.status().message(), HasSubstr("no user message"));

  absl::StatusOr<std::string> bad_family = RenderChat(
      static_cast<ChatTemplateFamily>(999), {{"user", "hi"}}, true, "");
  EXPECT_EQ(bad_family.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_family.status().message(), HasSubstr("--chat-template"));
}

TEST(ChatTemplateTest, SystemAnywhereIsFineWhereTheTemplateHasTheRole) {
  absl::StatusOr<std::string> prompt =
      RenderChat(ChatTemplateFamily::kChatMl,
                 {{"user", "hi"}, {"system", "be brief"}}, false, "");
  ASSERT_TRUE(prompt.ok()) << prompt.status();
  EXPECT_EQ(*prompt,
            "<|im_start|>user\nhi<|im_end|>\n"
            "<|im_start|>system\nbe brief<|im_end|>\n");
}

// The families of the models the table-driven decoder added, recognised from
// the opening of each published template (the `chat_template` of the
// models' tokenizer_config.json): Qwen3 and SmolLM3 are ChatML, Gemma 3 its
// <start_of_turn> form, Phi-3.5 and Phi-4-mini their <|role|> forms, Llama
// 3.2 Llama 3's headers.
TEST(ChatTemplateTest, DetectsTheNewDecodersFamilies) {
  const std::pair<const char*, ChatTemplateFamily> kOpenings[] = {
      {"{%- if tools %}\n    {{- '<|im_start|>system\\n' }}\n    {%- if "
       "messages[0].role == 'system' %}\n        {{- messages[0].content + "
       "'\\n\\n' }}\n    {%- endif %}",
       ChatTemplateFamily::kChatMl},  // Qwen/Qwen3-0.6B
      {"{{ bos_token }}\n{%- if messages[0]['role'] == 'system' -%}\n    {%- "
       "if messages[0]['content'] is string -%}\n        {%- set "
       "first_user_prefix = messages[0]['content'] + '\n\n' -%}"
       "{{ '<start_of_turn>' + role + '\n' }}",
       ChatTemplateFamily::kGemma},  // google/gemma-3-1b-it
      {"{% for message in messages %}{% if message['role'] == 'system' and "
       "message['content'] %}{{'<|system|>\n' + message['content'] + "
       "'<|end|>\n'}}{% elif message['role'] == 'user' %}{{'<|user|>\n' + "
       "message['content'] + '<|end|>\n'}}{% elif message['role'] == "
       "'assistant' %}{{'<|assistant|>\n' + message['content'] + "
       "'<|end|>\n'}}{% endif %}{% endfor %}",
       ChatTemplateFamily::kPhi3},  // microsoft/Phi-3.5-mini-instruct
      {"{{- bos_token }}\n{%- if custom_tools is defined %}\n    {%- set "
       "tools = custom_tools %}\n{%- endif %}{{- "
       "'<|start_header_id|>system<|end_header_id|>\\n\\n' }}",
       ChatTemplateFamily::kLlama3},  // meta-llama/Llama-3.2-1B-Instruct
  };
  for (const auto& [jinja, family] : kOpenings) {
    absl::StatusOr<ChatTemplateFamily> got = DetectChatTemplate(jinja);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, family) << jinja;
  }
  // SmolLM3's full template (reasoning modes, tools) where ../shared has it.
  const std::string smollm3 = edgellm::testing::SharedFileOrEmpty(
      "chat_templates/HuggingFaceTB-SmolLM3-3B.jinja");
  if (!smollm3.empty()) {
    std::ifstream in(smollm3);
    const std::string text((std::istreambuf_iterator<char>(in)),
                           std::istreambuf_iterator<char>());
    EXPECT_EQ(DetectChatTemplate(text).value(), ChatTemplateFamily::kChatMl);
  }
}

}  // namespace
}  // namespace edgellm::chat
