// WordPiece as llama.cpp's llm_tokenizer_wpm_session runs it on a GGUF
// vocabulary (internal to runtime/tokenizer). In GGUF the word-initial
// pieces carry a U+2581 prefix and the "##" continuation pieces carry none.
#ifndef EDGELLM_RUNTIME_TOKENIZER_WORDPIECE_H_
#define EDGELLM_RUNTIME_TOKENIZER_WORDPIECE_H_

#include <string>
#include <string_view>
#include <vector>

#include "runtime/tokenizer/token_index.h"
#include "runtime/tokenizer/tokenizer.h"

namespace edgellm::tokenizer {

// BERT normalisation and pre-tokenization (Hugging Face BertNormalizer with
// lowercase + strip_accents, then BertPreTokenizer): NFD, drop nonspacing
// marks (Mn), drop NUL / U+FFFD / other controls, lowercase, split on
// Unicode White_Space, and make every punctuation character, ASCII symbol
// and CJK ideograph a word of its own. `text` must be valid UTF-8.
std::vector<std::string> WordPiecePreprocess(std::string_view text);

// Appends the tokens of `text`: for each word, greedy longest-match pieces of
// U+2581 + word; a word that cannot be covered becomes `unk`.
void WordPieceTokenize(const TokenIndex& index, TokenId unk,
                       std::string_view text, std::vector<TokenId>* out);

}  // namespace edgellm::tokenizer

#endif  // EDGELLM_RUNTIME_TOKENIZER_WORDPIECE_H_
