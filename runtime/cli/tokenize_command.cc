// `edgellm tokenize`: text -> token ids and pieces, as the model's tokenizer
// produces them.
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>

#include "nlohmann/json.hpp"
#include "runtime/cli/commands.h"
#include "runtime/tokenizer/tokenizer.h"

namespace edgellm::cli {
namespace {

// A piece for a terminal: printable ASCII and valid UTF-8 as is, the rest
// escaped (\n, \t, \xNN) so byte tokens and control characters stay visible.
std::string EscapePiece(const std::string& piece) {
  std::string out;
  for (size_t i = 0; i < piece.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(piece[i]);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '\'') {
      out += "\\'";
    } else if (c >= 0x20 && c < 0x7F) {
      out.push_back(static_cast<char>(c));
    } else {
      // Copy a whole valid multi-byte character; escape anything else.
      size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
      bool ok = len > 0 && c < 0xF5 && i + len <= piece.size();
      for (size_t k = 1; ok && k < len; ++k) {
        ok = (static_cast<unsigned char>(piece[i + k]) & 0xC0) == 0x80;
      }
      if (ok) {
        out.append(piece, i, len);
        i += len - 1;
      } else {
        char buf[8];
        std::snprintf(buf, sizeof(buf), "\\x%02X", c);
        out += buf;
      }
    }
  }
  return out;
}

int Run(const ParsedArgs& args) {
  const std::string& model = args.GetString("model");
  if (model.empty()) {
    std::cerr << "edgellm tokenize: --model is required (a GGUF file or a "
                 "llama2.c tokenizer.bin)\n";
    return 2;
  }
  auto tok = tokenizer::Tokenizer::Load(model);
  if (!tok.ok()) {
    std::cerr << "edgellm tokenize: " << tok.status().message() << "\n";
    return 1;
  }
  std::string text;
  if (args.IsSet("text")) {
    text = args.GetString("text");
  } else {
    text.assign(std::istreambuf_iterator<char>(std::cin),
                std::istreambuf_iterator<char>());
  }
  const std::vector<tokenizer::TokenId> ids =
      (*tok)->Encode(text, {.add_special = args.GetBool("add-special"),
                            .parse_special = args.GetBool("parse-special")});
  if (args.GetBool("json")) {
    nlohmann::json j;
    j["ids"] = ids;
    j["pieces"] = nlohmann::json::array();
    for (tokenizer::TokenId id : ids)
      j["pieces"].push_back((*tok)->TokenPiece(id));
    // Pieces that are not valid UTF-8 on their own (byte tokens) come out
    // with U+FFFD; the ids are exact.
    std::cout << j.dump(-1, ' ', false,
                        nlohmann::json::error_handler_t::replace)
              << "\n";
    return 0;
  }
  for (tokenizer::TokenId id : ids) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "%6d", id);
    std::cout << buf << " -> '" << EscapePiece((*tok)->TokenPiece(id)) << "'\n";
  }
  std::cout << ids.size() << " tokens\n";
  return 0;
}

}  // namespace

Command TokenizeCommand() {
  return Command{
      .name = "tokenize",
      .summary = "print the token ids and pieces of a text",
      .usage =
          "edgellm tokenize --model MODEL [--text TEXT] [--add-special] "
          "[--parse-special] [--json]",
      .details =
          "MODEL is a GGUF file (its tokenizer.ggml.* metadata) or a llama2.c "
          "tokenizer.bin (told apart by the GGUF magic). The text comes from "
          "--text, else from standard input (all of it, newlines included).\n"
          "By default no BOS/EOS is added and special-token text such as "
          "<|im_end|> is tokenized as plain text.",
      .flags =
          {
              {"model", FlagKind::kString, "", "GGUF model or tokenizer.bin",
               'm'},
              {"text", FlagKind::kString, "",
               "text to tokenize (default: standard input)", 't'},
              {"add-special", FlagKind::kBool, "false",
               "add BOS/EOS as the model's metadata asks"},
              {"parse-special", FlagKind::kBool, "false",
               "recognise special-token text (<s>, <|im_end|>, ...)"},
              {"json", FlagKind::kBool, "false",
               "print {\"ids\": [...], \"pieces\": [...]}"},
          },
      .run = Run,
  };
}

}  // namespace edgellm::cli
