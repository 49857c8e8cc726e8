// Tokenizers that reproduce llama.cpp's (and so the publishers') token ids
// exactly: SentencePiece-BPE by scores ("llama"), byte-level BPE by merge
// ranks with regex pre-tokenizers ("gpt2"), WordPiece ("bert"), and
// llama2.c's tokenizer.bin (run.c's encoder).
//
// Sources of truth, read to learn (no code copied): llama.cpp
// src/llama-vocab.cpp and src/unicode.cpp (tokenizer sessions, special-token
// partitioning, defaults per vocab type, end-of-generation ids), and
// karpathy/llama2.c run.c (encode/decode of tokenizer.bin).
//
// Ownership and threading: a Tokenizer is immutable after creation; Encode,
// Decode and the accessors are const and may be called from any number of
// threads at once. A StreamDecoder holds per-stream state: one per stream,
// not thread-safe; it refers to its Tokenizer, which must outlive it.
#ifndef EDGELLM_RUNTIME_TOKENIZER_TOKENIZER_H_
#define EDGELLM_RUNTIME_TOKENIZER_TOKENIZER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace edgellm::gguf {
class GgufFile;
}  // namespace edgellm::gguf

namespace edgellm::tokenizer {

using TokenId = int32_t;
inline constexpr TokenId kNoToken = -1;

// GGUF `tokenizer.ggml.token_type` values (llama.cpp's llama_token_type).
enum class TokenType : int32_t {
  kUndefined = 0,
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

enum class TokenizerKind {
  kSpm,        // tokenizer.ggml.model "llama": SentencePiece BPE by scores
  kBpe,        // "gpt2": byte-level BPE by merge ranks
  kWordPiece,  // "bert"
  kLlama2c,    // llama2.c tokenizer.bin
};

// A vocabulary as stored in GGUF metadata. Unset optionals take llama.cpp's
// default for the kind (and pre-tokenizer); see Tokenizer::FromVocab.
struct Vocab {
  TokenizerKind kind = TokenizerKind::kSpm;
  std::string pre;   // tokenizer.ggml.pre; "" means "default"
  std::string name;  // general.name (llama.cpp keys a phi-3 quirk on it)
  std::vector<std::string> tokens;
  std::vector<float> scores;        // empty: all 0
  std::vector<TokenType> types;     // empty: all kNormal
  std::vector<std::string> merges;  // "left right"; rank = index (kBpe)
  std::optional<TokenId> bos, eos, eot, eom, unk, sep, pad, mask;
  std::optional<bool> add_bos, add_eos, add_sep, add_space_prefix;
};

// Resolved special ids; kNoToken where the vocabulary has none.
struct SpecialTokens {
  TokenId bos = kNoToken;
  TokenId eos = kNoToken;
  TokenId eot = kNoToken;
  TokenId eom = kNoToken;
  TokenId unk = kNoToken;
  TokenId sep = kNoToken;
  TokenId pad = kNoToken;
  TokenId mask = kNoToken;
};

struct EncodeOptions {
  // Add BOS / EOS (WordPiece: CLS / SEP) as the model's add_bos/add_eos say.
  bool add_special = false;
  // Recognise the text of control tokens ("<|im_end|>", "<s>") in the input.
  // When false such text is tokenized as ordinary text. User-defined tokens
  // (GGUF type 4, Hugging Face "added tokens" that are not special) are
  // always recognised, as llama.cpp and Hugging Face do.
  bool parse_special = false;
};

struct DecodeOptions {
  // Output the text of control/unknown tokens; otherwise they decode to "".
  bool render_special = false;
  // Drop one leading space from the first piece (after BOS tokens) when the
  // tokenizer adds a dummy-prefix space (SentencePiece add_space_prefix,
  // llama2.c, WordPiece's word marker), so Decode(Encode(s)) == s.
  bool strip_leading_space = true;
};

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // Builds a tokenizer from a vocabulary (the GGUF loader and tests use it).
  // Errors: INVALID_ARGUMENT for an unknown kind/pre-tokenizer, mismatched
  // array sizes, a special id out of range, or add_bos without a BOS id.
  static absl::StatusOr<std::unique_ptr<Tokenizer>> FromVocab(Vocab vocab);
  // From the `tokenizer.ggml.*` metadata of a GGUF file.
  static absl::StatusOr<std::unique_ptr<Tokenizer>> FromGguf(
      const gguf::GgufFile& file);
  // A llama2.c tokenizer.bin (format in run.c build_tokenizer), given the
  // vocabulary size it must hold (run.c takes it from the checkpoint; 0 =
  // read entries until the end of the file).
  static absl::StatusOr<std::unique_ptr<Tokenizer>> FromLlama2cBuffer(
      std::string_view bytes, int32_t vocab_size = 0);
  // Opens `path`: a GGUF file (magic "GGUF") or a llama2.c tokenizer.bin.
  static absl::StatusOr<std::unique_ptr<Tokenizer>> Load(
      const std::string& path);

  // Token ids of `text`. Never fails: invalid UTF-8 is handled as documented
  // per kind (SPM and llama2.c: byte fallback, lossless; BPE and WordPiece:
  // each invalid byte becomes U+FFFD, as in llama.cpp).
  virtual std::vector<TokenId> Encode(
      std::string_view text, const EncodeOptions& options = {}) const = 0;

  virtual TokenizerKind kind() const = 0;
  virtual int32_t vocab_size() const = 0;
  // The vocabulary entry as stored ("▁Hello", "Ġworld", "<0x0A>"); "" for
  // an id out of range.
  virtual std::string_view TokenText(TokenId id) const = 0;
  virtual TokenType token_type(TokenId id) const = 0;
  // The bytes a token stands for: "▁" -> " ", "<0x0A>" -> "\n", GPT-2 byte
  // characters -> bytes. Control/unknown tokens give their text only with
  // render_special. May be an incomplete UTF-8 sequence (byte tokens).
  virtual std::string TokenPiece(TokenId id,
                                 bool render_special = true) const = 0;

  // Concatenated pieces (raw bytes; may hold invalid UTF-8 if the ids do).
  std::string Decode(absl::Span<const TokenId> ids,
                     const DecodeOptions& options = {}) const;

  const SpecialTokens& special() const { return special_; }
  bool add_bos() const { return add_bos_; }
  bool add_eos() const { return add_eos_; }
  // tokenizer.ggml.add_sep_token (WordPiece default true): a pair of texts
  // (a rerank query and document) gets SEP between them.
  bool add_sep() const { return add_sep_; }
  bool add_space_prefix() const { return add_space_prefix_; }
  // Whether Decode's strip_leading_space applies to this tokenizer.
  bool strips_leading_space() const { return strips_leading_space_; }
  // End-of-generation ids: eos, eot, eom and control tokens such as
  // "<|im_end|>", "<|eot_id|>", "<|end|>", "<|endoftext|>" (llama.cpp's
  // special_eog_ids), ascending.
  const std::vector<TokenId>& end_of_generation_ids() const { return eog_; }
  bool IsEndOfGeneration(TokenId id) const;

 protected:
  Tokenizer() = default;

  SpecialTokens special_;
  bool add_bos_ = false;
  bool add_eos_ = false;
  bool add_sep_ = false;
  bool add_space_prefix_ = false;
  bool strips_leading_space_ = false;
  std::vector<TokenId> eog_;
};

// Incremental detokenizer for streaming: takes ids one at a time and returns
// only complete UTF-8 characters, holding back the bytes of a character that
// is split across tokens (byte-fallback pieces "<0xE4>" "<0xBD>" "<0xA0>").
// Bytes that can never form a valid character are replaced by U+FFFD, so the
// output is always valid UTF-8.
class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& tokenizer,
                         DecodeOptions options = {});

  // Adds one token; returns the text that became complete (maybe "").
  std::string Push(TokenId id);
  // Returns pending bytes (an incomplete tail becomes U+FFFD) and resets.
  std::string Flush();
  // Forgets pending bytes and starts a new sequence.
  void Reset();
  // Bytes held back waiting for the rest of a character.
  size_t pending_bytes() const { return pending_.size(); }

 private:
  const Tokenizer& tokenizer_;
  DecodeOptions options_;
  bool at_start_ = true;
  std::string pending_;
};

}  // namespace edgellm::tokenizer

#endif  // EDGELLM_RUNTIME_TOKENIZER_TOKENIZER_H_
