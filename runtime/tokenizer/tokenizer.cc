#include "runtime/tokenizer/tokenizer.h"

#include <algorithm>

#include "runtime/tokenizer/llama2c.h"
#include "runtime/tokenizer/unicode.h"
#include "runtime/tokenizer/vocab_tokenizer.h"

namespace edgellm::tokenizer {

absl::StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::FromVocab(Vocab vocab) {
  auto tok = VocabTokenizer::Create(std::move(vocab));
  if (!tok.ok()) return tok.status();
  return std::unique_ptr<Tokenizer>(*std::move(tok));
}

absl::StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::FromLlama2cBuffer(
    std::string_view bytes, int32_t vocab_size) {
  auto tok = Llama2cTokenizer::Parse(bytes, vocab_size);
  if (!tok.ok()) return tok.status();
  return std::unique_ptr<Tokenizer>(*std::move(tok));
}

bool Tokenizer::IsEndOfGeneration(TokenId id) const {
  return std::binary_search(eog_.begin(), eog_.end(), id);
}

std::string Tokenizer::Decode(absl::Span<const TokenId> ids,
                              const DecodeOptions& options) const {
  std::string out;
  bool strip = options.strip_leading_space && strips_leading_space_;
  for (TokenId id : ids) {
    std::string piece = TokenPiece(id, options.render_special);
    if (strip && id != special_.bos) {
      if (!piece.empty() && piece[0] == ' ') piece.erase(0, 1);
      strip = false;
    }
    out += piece;
  }
  return out;
}

StreamDecoder::StreamDecoder(const Tokenizer& tokenizer, DecodeOptions options)
    : tokenizer_(tokenizer), options_(options) {}

std::string StreamDecoder::Push(TokenId id) {
  std::string piece = tokenizer_.TokenPiece(id, options_.render_special);
  if (at_start_ && id != tokenizer_.special().bos) {
    if (options_.strip_leading_space && tokenizer_.strips_leading_space() &&
        !piece.empty() && piece[0] == ' ') {
      piece.erase(0, 1);
    }
    at_start_ = false;
  }
  pending_ += piece;
  // Emit every complete character; hold back a valid but unfinished tail;
  // replace bytes that cannot start a valid character.
  std::string out;
  size_t pos = 0;
  while (pos < pending_.size()) {
    size_t len;
    uint32_t cp;
    const Utf8Status status =
        CheckUtf8(std::string_view(pending_).substr(pos), &len, &cp);
    if (status == Utf8Status::kIncomplete) break;
    if (status == Utf8Status::kValid) {
      out.append(pending_, pos, len);
    } else {
      AppendUtf8(kReplacementChar, &out);
    }
    pos += len;
  }
  pending_.erase(0, pos);
  return out;
}

std::string StreamDecoder::Flush() {
  std::string out = SanitizeUtf8(pending_);
  pending_.clear();
  return out;
}

void StreamDecoder::Reset() {
  pending_.clear();
  at_start_ = true;
}

}  // namespace edgellm::tokenizer
