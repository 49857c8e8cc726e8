// The Tokenizer for GGUF-style vocabularies (SPM, BPE, WordPiece); internal
// to runtime/tokenizer, reached through Tokenizer::FromVocab / FromGguf.
#ifndef EDGELLM_RUNTIME_TOKENIZER_VOCAB_TOKENIZER_H_
#define EDGELLM_RUNTIME_TOKENIZER_VOCAB_TOKENIZER_H_

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "runtime/tokenizer/bpe.h"
#include "runtime/tokenizer/pretokenizer.h"
#include "runtime/tokenizer/spm.h"
#include "runtime/tokenizer/token_index.h"
#include "runtime/tokenizer/tokenizer.h"

namespace edgellm::tokenizer {

class VocabTokenizer final : public Tokenizer {
 public:
  static absl::StatusOr<std::unique_ptr<VocabTokenizer>> Create(Vocab vocab);

  std::vector<TokenId> Encode(std::string_view text,
                              const EncodeOptions& options) const override;
  TokenizerKind kind() const override { return kind_; }
  int32_t vocab_size() const override {
    return static_cast<int32_t>(tokens_.size());
  }
  std::string_view TokenText(TokenId id) const override;
  TokenType token_type(TokenId id) const override;
  std::string TokenPiece(TokenId id, bool render_special) const override;

 private:
  // llama.cpp's llama_token_attr bits.
  enum Attr : uint32_t {
    kAttrUndefined = 0,
    kAttrUnknown = 1 << 0,
    kAttrUnused = 1 << 1,
    kAttrNormal = 1 << 2,
    kAttrControl = 1 << 3,
    kAttrUserDefined = 1 << 4,
    kAttrByte = 1 << 5,
    kAttrLstrip = 1 << 7,
    kAttrRstrip = 1 << 8,
  };
  struct Fragment {
    TokenId token;  // kNoToken for raw text
    size_t offset;
    size_t length;
  };

  VocabTokenizer() = default;
  absl::Status Init(Vocab vocab);
  // Splits `text` around special-token text (llama.cpp's
  // tokenizer_st_partition).
  std::vector<Fragment> Partition(std::string_view text,
                                  bool parse_special) const;
  TokenId ByteToken(uint8_t byte) const;

  TokenizerKind kind_ = TokenizerKind::kSpm;
  std::vector<std::string> tokens_;
  std::vector<float> scores_;
  std::vector<TokenType> types_;
  std::vector<uint32_t> attrs_;
  std::unique_ptr<TokenIndex> index_;
  std::vector<TokenId> special_cache_;  // longest text first
  // A byte trie of the special_cache_ texts, to find in one pass which of
  // them occur in a text at all (only those need a splitting pass).
  absl::flat_hash_map<uint64_t, int32_t> trie_;  // (node << 8 | byte) -> node
  std::vector<TokenId> trie_token_;              // per node, or kNoToken
  std::array<bool, 256> trie_first_byte_{};
  SpmModel spm_;
  std::unique_ptr<BpeModel> bpe_;
  std::unique_ptr<PreTokenizer> pre_;
  bool ignore_merges_ = false;
  // True if no token holds U+2581 right after another character: then no
  // SPM merge can cross the start of a "▁word", and each word can be merged
  // on its own (same result, much smaller work queues).
  bool spm_split_words_ = false;
};

}  // namespace edgellm::tokenizer

#endif  // EDGELLM_RUNTIME_TOKENIZER_VOCAB_TOKENIZER_H_
