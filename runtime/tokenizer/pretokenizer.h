// Regex pre-tokenizers for byte-level BPE, chosen by `tokenizer.ggml.pre`
// (internal to runtime/tokenizer).
//
// The regex lists per pre-tokenizer are those of llama.cpp's
// llm_tokenizer_bpe (src/llama-vocab.cpp), which come from each model's
// Hugging Face tokenizer.json. They run on PCRE2 (UTF + UCP, JIT when
// available), compiled once. As in llama.cpp's unicode_regex_split, the
// regexes apply in sequence: each one splits every piece left by the
// previous one into its matches and the text between them (which is kept as
// pieces too).
#ifndef EDGELLM_RUNTIME_TOKENIZER_PRETOKENIZER_H_
#define EDGELLM_RUNTIME_TOKENIZER_PRETOKENIZER_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace edgellm::tokenizer {

// Behaviour that llama.cpp attaches to a pre-tokenizer name.
struct PreTokenizerSpec {
  std::vector<std::string> regexes;
  bool ignore_merges = false;    // Llama 3: a word that is a token stays whole
  bool default_add_bos = false;  // llama.cpp sets add_bos for these
  bool no_bos = false;           // chatglm: no BOS id by default
};

// The spec for a `tokenizer.ggml.pre` value ("" = "default"); NOT_FOUND for
// a name llama.cpp does not know or edgellm does not support.
absl::StatusOr<PreTokenizerSpec> PreTokenizerSpecFor(std::string_view pre);

// Names accepted by PreTokenizerSpecFor, for messages and tests.
std::vector<std::string> SupportedPreTokenizers();

// Compiled regexes. Immutable and thread-safe after Create.
class PreTokenizer {
 public:
  static absl::StatusOr<std::unique_ptr<PreTokenizer>> Create(
      const std::vector<std::string>& regexes);
  ~PreTokenizer();

  // Appends the pieces of `text` (valid UTF-8) in order; they cover `text`
  // exactly. Views point into `text`.
  void Split(std::string_view text, std::vector<std::string_view>* out) const;

  // Rewrites `\s` / `\S` to the Unicode White_Space set that llama.cpp uses
  // (PCRE2 10.42's \s lacks U+0085). Exposed for tests.
  static std::string RewriteWhitespaceClasses(std::string_view pattern);

 private:
  struct Compiled;
  PreTokenizer() = default;
  void SplitOne(const Compiled& re, std::string_view piece,
                std::vector<std::string_view>* out) const;
  std::vector<std::unique_ptr<Compiled>> regexes_;
};

}  // namespace edgellm::tokenizer

#endif  // EDGELLM_RUNTIME_TOKENIZER_PRETOKENIZER_H_
