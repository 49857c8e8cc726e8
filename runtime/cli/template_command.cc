// `edgellm template`: renders a chat template with a JSON context, exactly
// as Hugging Face's apply_chat_template (Python Jinja2) would.
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>

#include "nlohmann/json.hpp"
#include "runtime/chat/jinja/template.h"
#include "runtime/cli/commands.h"
#include "runtime/gguf/gguf.h"

namespace edgellm::cli {
namespace {

constexpr char kName[] = "edgellm template: ";

bool ReadFile(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

int Run(const ParsedArgs& args) {
  const std::string& template_path = args.GetString("template");
  const std::string& model_path = args.GetString("model");
  if (template_path.empty() == model_path.empty()) {
    std::cerr
        << kName
        << "give exactly one of --template FILE.jinja or --model MODEL.gguf\n";
    return 2;
  }
  std::string source;
  if (!template_path.empty()) {
    if (!ReadFile(template_path, source)) {
      std::cerr << kName << "cannot read " << template_path << "\n";
      return 1;
    }
  } else {
    auto model = gguf::GgufFile::Open(model_path);
    if (!model.ok()) {
      std::cerr << kName << model.status().message() << "\n";
      return 1;
    }
    auto chat_template = (*model)->GetString("tokenizer.chat_template");
    if (!chat_template.ok()) {
      std::cerr << kName << model_path << ": "
                << chat_template.status().message() << "\n";
      return 1;
    }
    source = std::string(*chat_template);
  }
  std::string context_text = "{}";
  const std::string& context_path = args.GetString("context");
  if (context_path == "-") {
    context_text.assign(std::istreambuf_iterator<char>(std::cin),
                        std::istreambuf_iterator<char>());
  } else if (!context_path.empty() && !ReadFile(context_path, context_text)) {
    std::cerr << kName << "cannot read " << context_path << "\n";
    return 1;
  }
  // ordered_json keeps the file's key order, which tojson and |items show.
  const auto context =
      nlohmann::ordered_json::parse(context_text, nullptr,
                                    /*allow_exceptions=*/false);
  if (context.is_discarded() || !context.is_object()) {
    std::cerr << kName << (context_path.empty() ? "context" : context_path)
              << ": not a JSON object\n";
    return 1;
  }
  auto tpl = chat::jinja::Template::Parse(source);
  if (!tpl.ok()) {
    std::cerr << kName << tpl.status().message() << "\n";
    return 1;
  }
  auto text = tpl->RenderJson(context);
  if (!text.ok()) {
    std::cerr << kName << text.status().message() << "\n";
    return 1;
  }
  std::cout.write(text->data(), static_cast<std::streamsize>(text->size()));
  std::cout.flush();
  return 0;
}

}  // namespace

Command TemplateCommand() {
  return Command{
      .name = "template",
      .summary = "render a chat template with a JSON context, as Jinja2 does",
      .usage =
          "edgellm template (--template FILE.jinja | --model MODEL.gguf) "
          "[--context CONTEXT.json]",
      .details =
          "Renders the template the way Hugging Face's apply_chat_template "
          "renders it with Python's Jinja2 (trim_blocks, lstrip_blocks, "
          "loop controls, tojson as json.dumps, raise_exception, "
          "strftime_now) and writes the text to standard output byte for "
          "byte, with nothing appended.\n"
          "The context is a JSON object of the template's variables, e.g. "
          "{\"messages\": [...], \"tools\": [...], \"add_generation_prompt\": "
          "true, \"bos_token\": \"<s>\"}; nothing is added to it. A template "
          "that does not parse or raises an error exits 1 with the error "
          "(Jinja2's type and message, and the template line and column) on "
          "standard error.",
      .flags =
          {
              {"template", FlagKind::kString, "",
               "the template file (Jinja source)", 't'},
              {"model", FlagKind::kString, "",
               "a GGUF model whose tokenizer.chat_template is rendered", 'm'},
              {"context", FlagKind::kString, "",
               "JSON object of variables ('-' = standard input; default {})",
               'c'},
          },
      .run = Run,
  };
}

}  // namespace edgellm::cli
