#include "runtime/tokenizer/vocab_tokenizer.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <set>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "runtime/tokenizer/unicode.h"
#include "runtime/tokenizer/wordpiece.h"

namespace edgellm::tokenizer {
namespace {

constexpr std::string_view kSpmSpace = "\xE2\x96\x81";  // U+2581

// Token texts llama.cpp (llama_vocab::impl::load) treats as end-of-turn,
// end-of-message, FIM control and end-of-generation, in that order of use.
constexpr std::string_view kEotTexts[] = {"<|eot_id|>",
                                          "<|im_end|>",
                                          "<|end|>",
                                          "<end_of_turn>",
                                          "<|endoftext|>",
                                          "<EOT>",
                                          "_<EOT>",
                                          "<｜end▁of▁sentence｜>",
                                          "<|end_of_text|>",
                                          "[EOT]",
                                          "<end_of_utterance>"};
constexpr std::string_view kFimPadTexts[] = {"<|fim_pad|>", "<fim-pad>",
                                             "<fim_pad>", "<PAD>", "[PAD]"};
constexpr std::string_view kFimRepTexts[] = {
    "<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"};
constexpr std::string_view kFimSepTexts[] = {"<|file_sep|>"};
constexpr std::string_view kEogTexts[] = {"<|eot_id|>",
                                          "<|im_end|>",
                                          "<|end|>",
                                          "<|return|>",
                                          "<|call|>",
                                          "<end_of_turn>",
                                          "<|endoftext|>",
                                          "<|eom_id|>",
                                          "<EOT>",
                                          "_<EOT>",
                                          "[EOT]",
                                          "[EOS]",
                                          "<|end_of_text|>",
                                          "<end_of_utterance>",
                                          "<｜end▁of▁sentence｜>"};

uint32_t AttrFromType(TokenType type) {
  switch (type) {
    case TokenType::kUnknown:
      return 1u << 0;
    case TokenType::kUnused:
      return 1u << 1;
    case TokenType::kNormal:
      return 1u << 2;
    case TokenType::kControl:
      return 1u << 3;
    case TokenType::kUserDefined:
      return 1u << 4;
    case TokenType::kByte:
      return 1u << 5;
    default:
      return 0;
  }
}

bool IsAsciiSpace(char c) {
  return std::isspace(static_cast<unsigned char>(c)) != 0;
}

}  // namespace

absl::StatusOr<std::unique_ptr<VocabTokenizer>> VocabTokenizer::Create(
    Vocab vocab) {
  std::unique_ptr<VocabTokenizer> tok(new VocabTokenizer);
  absl::Status status = tok->Init(std::move(vocab));
  if (!status.ok()) return status;
  return tok;
}

absl::Status VocabTokenizer::Init(Vocab vocab) {
  kind_ = vocab.kind;
  if (kind_ == TokenizerKind::kLlama2c) {
    return absl::InvalidArgumentError(
        "llama2.c vocabularies are loaded with FromLlama2cBuffer");
  }
  const size_t n = vocab.tokens.size();
  if (n == 0) return absl::InvalidArgumentError("vocabulary has no tokens");
  if (n > static_cast<size_t>(INT32_MAX)) {
    return absl::InvalidArgumentError("vocabulary too large");
  }
  if (!vocab.scores.empty() && vocab.scores.size() < n) {
    return absl::InvalidArgumentError(
        absl::StrCat("tokenizer.ggml.scores has ", vocab.scores.size(),
                     " entries for ", n, " tokens"));
  }
  if (!vocab.types.empty() && vocab.types.size() < n) {
    return absl::InvalidArgumentError(
        absl::StrCat("tokenizer.ggml.token_type has ", vocab.types.size(),
                     " entries for ", n, " tokens"));
  }
  tokens_ = std::move(vocab.tokens);
  for (size_t i = 0; i < n; ++i) {
    // As llama.cpp: an empty text could never be produced or matched.
    if (tokens_[i].empty()) tokens_[i] = absl::StrCat("[EMPTY_", i, "]");
  }
  scores_ = std::move(vocab.scores);
  scores_.resize(n, 0.0f);
  types_ = std::move(vocab.types);
  types_.resize(n, TokenType::kNormal);
  attrs_.resize(n);
  for (size_t i = 0; i < n; ++i) attrs_[i] = AttrFromType(types_[i]);
  index_ = std::make_unique<TokenIndex>(tokens_);

  // Defaults per vocabulary type (llama_vocab::impl::load).
  SpecialTokens ids;
  bool add_bos = false, add_eos = false, add_space_prefix = false;
  PreTokenizerSpec pre_spec;
  switch (kind_) {
    case TokenizerKind::kSpm:
      ids.bos = 1;
      ids.eos = 2;
      ids.unk = 0;
      add_bos = true;
      add_space_prefix = true;
      break;
    case TokenizerKind::kBpe: {
      ids.bos = 11;
      ids.eos = 11;
      auto spec = PreTokenizerSpecFor(vocab.pre);
      if (!spec.ok())
        return absl::InvalidArgumentError(spec.status().message());
      pre_spec = *std::move(spec);
      if (pre_spec.default_add_bos) add_bos = true;
      if (pre_spec.no_bos) ids.bos = kNoToken;
      ignore_merges_ = pre_spec.ignore_merges;
      break;
    }
    case TokenizerKind::kWordPiece:
      ids.bos = 101;
      ids.unk = 100;
      ids.sep = 102;
      ids.pad = 0;
      ids.mask = 103;
      add_bos = true;
      break;
    case TokenizerKind::kLlama2c:
      break;
  }
  auto resolve = [&](TokenId& id, const std::optional<TokenId>& given) {
    if (id >= static_cast<TokenId>(n)) id = kNoToken;  // default out of range
    // llama.cpp ignores an explicit id outside the vocabulary (it warns).
    if (given.has_value() && *given >= 0 && *given < static_cast<TokenId>(n)) {
      id = *given;
    }
  };
  resolve(ids.bos, vocab.bos);
  resolve(ids.eos, vocab.eos);
  resolve(ids.eot, vocab.eot);
  resolve(ids.eom, vocab.eom);
  resolve(ids.unk, vocab.unk);
  resolve(ids.sep, vocab.sep);
  resolve(ids.pad, vocab.pad);
  resolve(ids.mask, vocab.mask);
  if (vocab.add_bos.has_value()) add_bos = *vocab.add_bos;
  if (vocab.add_eos.has_value()) add_eos = *vocab.add_eos;
  if (vocab.add_space_prefix.has_value() && kind_ == TokenizerKind::kSpm) {
    add_space_prefix = *vocab.add_space_prefix;
  }
  if (add_bos && ids.bos == kNoToken) {
    return absl::InvalidArgumentError(
        "tokenizer.ggml.add_bos_token is true, but there is no BOS token id");
  }
  if (add_eos && ids.eos == kNoToken) {
    return absl::InvalidArgumentError(
        "tokenizer.ggml.add_eos_token is true, but there is no EOS token id");
  }

  // Control tokens found by their text, and the end-of-generation set.
  // llama.cpp takes the first match while walking an unordered_map, so its
  // choice among several candidates (Llama 3 has both "<|eot_id|>" and
  // "<|end_of_text|>") is unspecified; we take the one earliest in the list.
  auto find_first = [&](auto& texts) {
    for (std::string_view t : texts) {
      if (TokenId id = index_->Find(t); id != kNoToken) return id;
    }
    return kNoToken;
  };
  std::set<TokenId> eog;
  if (ids.eot == kNoToken) ids.eot = find_first(kEotTexts);
  if (ids.eom == kNoToken) ids.eom = index_->Find("<|eom_id|>");
  const TokenId fim_pad = find_first(kFimPadTexts);
  const TokenId fim_rep = find_first(kFimRepTexts);
  const TokenId fim_sep = find_first(kFimSepTexts);
  for (TokenId id : {ids.eot, ids.eom, fim_pad, fim_rep, fim_sep}) {
    if (id != kNoToken) attrs_[id] |= kAttrControl;
  }
  for (std::string_view t : kEogTexts) {
    if (TokenId id = index_->Find(t); id != kNoToken) {
      eog.insert(id);
      attrs_[id] |= kAttrControl;
    }
  }
  for (TokenId id : {fim_pad, fim_rep, fim_sep, ids.eos, ids.eot, ids.eom}) {
    if (id != kNoToken) eog.insert(id);
  }
  eog_.assign(eog.begin(), eog.end());

  // Tokens matched as whole text before the model runs.
  for (TokenId id = 0; id < static_cast<TokenId>(n); ++id) {
    if (attrs_[id] & (kAttrControl | kAttrUserDefined | kAttrUnknown)) {
      special_cache_.push_back(id);
    }
  }
  std::stable_sort(special_cache_.begin(), special_cache_.end(),
                   [&](TokenId a, TokenId b) {
                     return tokens_[a].size() > tokens_[b].size();
                   });
  trie_token_.push_back(kNoToken);  // the root
  for (TokenId id : special_cache_) {
    int32_t node = 0;
    for (char c : tokens_[id]) {
      const uint64_t key =
          (static_cast<uint64_t>(node) << 8) | static_cast<uint8_t>(c);
      auto [it, inserted] =
          trie_.emplace(key, static_cast<int32_t>(trie_token_.size()));
      if (inserted) trie_token_.push_back(kNoToken);
      node = it->second;
    }
    if (trie_token_[node] == kNoToken) trie_token_[node] = id;
    trie_first_byte_[static_cast<uint8_t>(tokens_[id][0])] = true;
  }

  // Phi-3: llama.cpp strips whitespace after its special tokens (keyed on
  // general.name, as llama.cpp does).
  const std::string name = absl::AsciiStrToLower(vocab.name);
  if (absl::StrContains(name, "phi-3") || absl::StrContains(name, "phi3")) {
    for (TokenId id : special_cache_) attrs_[id] |= kAttrRstrip;
    if (TokenId id = index_->Find("</s>"); id != kNoToken) {
      attrs_[id] |= kAttrRstrip;
    }
    for (std::string_view t : {"<unk>", "<s>", "<|endoftext|>"}) {
      if (TokenId id = index_->Find(t); id != kNoToken) {
        attrs_[id] &= ~kAttrRstrip;
      }
    }
  }

  switch (kind_) {
    case TokenizerKind::kSpm:
      spm_.index = index_.get();
      spm_.scores = scores_;
      spm_.unk = ids.unk;
      for (int b = 0; b < 256; ++b) spm_.byte_tokens[b] = ByteToken(b);
      spm_split_words_ = true;
      for (const std::string& t : tokens_) {
        for (size_t p = t.find(kSpmSpace, 1); p != std::string::npos;
             p = t.find(kSpmSpace, p + 1)) {
          if (p < kSpmSpace.size() ||
              std::string_view(t).substr(p - kSpmSpace.size(),
                                         kSpmSpace.size()) != kSpmSpace) {
            spm_split_words_ = false;
          }
        }
      }
      break;
    case TokenizerKind::kBpe: {
      bpe_ = std::make_unique<BpeModel>(index_.get(), vocab.merges);
      auto pre = PreTokenizer::Create(pre_spec.regexes);
      if (!pre.ok()) return pre.status();
      pre_ = *std::move(pre);
      break;
    }
    default:
      break;
  }

  special_ = ids;
  add_bos_ = add_bos;
  add_eos_ = add_eos;
  // llama.cpp's default for WordPiece vocabularies is true (llama-vocab.cpp
  // load(): "bert" sets add_sep); the metadata key overrides it.
  add_sep_ = vocab.add_sep.value_or(kind_ == TokenizerKind::kWordPiece);
  add_space_prefix_ = add_space_prefix;
  strips_leading_space_ = (kind_ == TokenizerKind::kSpm && add_space_prefix) ||
                          kind_ == TokenizerKind::kWordPiece;
  return absl::OkStatus();
}

TokenId VocabTokenizer::ByteToken(uint8_t byte) const {
  char hex[8];
  std::snprintf(hex, sizeof(hex), "<0x%02X>", byte);
  if (TokenId id = index_->Find(hex); id != kNoToken) return id;
  const char c = static_cast<char>(byte);
  return index_->Find(std::string_view(&c, 1));
}

std::vector<VocabTokenizer::Fragment> VocabTokenizer::Partition(
    std::string_view text, bool parse_special) const {
  std::vector<Fragment> fragments;
  if (text.empty()) return fragments;
  fragments.push_back({kNoToken, 0, text.size()});
  if (special_cache_.empty()) return fragments;
  // Which special texts occur anywhere (each pass below only splits on one).
  absl::flat_hash_set<TokenId> present;
  for (size_t pos = 0; pos < text.size(); ++pos) {
    if (!trie_first_byte_[static_cast<uint8_t>(text[pos])]) continue;
    int32_t node = 0;
    for (size_t i = pos; i < text.size(); ++i) {
      auto it = trie_.find((static_cast<uint64_t>(node) << 8) |
                           static_cast<uint8_t>(text[i]));
      if (it == trie_.end()) break;
      node = it->second;
      if (trie_token_[node] != kNoToken) present.insert(trie_token_[node]);
    }
  }
  if (present.empty()) return fragments;
  std::vector<Fragment> next;
  for (TokenId id : special_cache_) {
    if (!present.contains(id)) continue;
    const uint32_t attr = attrs_[id];
    // Control and unknown tokens only with parse_special; user-defined
    // tokens always (Hugging Face added tokens).
    if (!parse_special && (attr & (kAttrControl | kAttrUnknown))) continue;
    const std::string& special = tokens_[id];
    bool found_any = false;
    next.clear();
    for (const Fragment& f : fragments) {
      if (f.token != kNoToken) {
        next.push_back(f);
        continue;
      }
      size_t start = f.offset;
      const size_t end = f.offset + f.length;
      while (start < end) {
        const size_t match = text.substr(0, end).find(special, start);
        if (match == std::string_view::npos) break;
        found_any = true;
        size_t left_len = match - start;
        if (attr & kAttrLstrip) {
          while (left_len > 0 && IsAsciiSpace(text[start + left_len - 1])) {
            --left_len;
          }
        }
        if (left_len > 0) next.push_back({kNoToken, start, left_len});
        next.push_back({id, 0, 0});
        start = match + special.size();
        if (attr & kAttrRstrip) {
          while (start < end && IsAsciiSpace(text[start])) ++start;
        }
      }
      if (start < end) next.push_back({kNoToken, start, end - start});
    }
    if (found_any) fragments.swap(next);
  }
  return fragments;
}

std::vector<TokenId> VocabTokenizer::Encode(
    std::string_view text, const EncodeOptions& options) const {
  std::vector<TokenId> out;
  out.reserve(text.size() / 3 + 4);
  // SPM works on raw bytes (invalid ones fall back to byte tokens); BPE and
  // WordPiece see U+FFFD for each invalid byte, as in llama.cpp.
  std::string sanitized;
  if (kind_ != TokenizerKind::kSpm && !IsValidUtf8(text)) {
    sanitized = SanitizeUtf8(text);
    text = sanitized;
  }
  const std::vector<Fragment> fragments =
      Partition(text, options.parse_special);

  switch (kind_) {
    case TokenizerKind::kSpm: {
      bool prev_special = true;  // the first fragment gets the dummy prefix
      if (options.add_special && add_bos_) out.push_back(special_.bos);
      std::string escaped;
      for (const Fragment& f : fragments) {
        if (f.token != kNoToken) {
          out.push_back(f.token);
          prev_special = true;
          continue;
        }
        escaped.clear();
        if (add_space_prefix_ && prev_special) escaped.append(kSpmSpace);
        escaped.append(
            ReplaceAll(text.substr(f.offset, f.length), " ", kSpmSpace));
        if (!spm_split_words_) {
          SpmTokenize(spm_, escaped, &out);
        } else {
          // Words start at a U+2581 that follows another character.
          const std::string_view all = escaped;
          size_t start = 0;
          size_t p = all.find(kSpmSpace, 1);
          for (; p != std::string_view::npos; p = all.find(kSpmSpace, p + 1)) {
            if (p >= kSpmSpace.size() &&
                all.substr(p - kSpmSpace.size(), kSpmSpace.size()) ==
                    kSpmSpace) {
              continue;
            }
            SpmTokenize(spm_, all.substr(start, p - start), &out);
            start = p;
          }
          SpmTokenize(spm_, all.substr(start), &out);
        }
        prev_special = false;
      }
      if (options.add_special && add_eos_) out.push_back(special_.eos);
      break;
    }
    case TokenizerKind::kBpe: {
      if (options.add_special && add_bos_) out.push_back(special_.bos);
      std::vector<std::string_view> words;
      for (const Fragment& f : fragments) {
        if (f.token != kNoToken) {
          out.push_back(f.token);
          continue;
        }
        words.clear();
        pre_->Split(text.substr(f.offset, f.length), &words);
        for (std::string_view w : words)
          bpe_->EncodeWord(w, ignore_merges_, &out);
      }
      if (options.add_special && add_eos_) out.push_back(special_.eos);
      break;
    }
    case TokenizerKind::kWordPiece: {
      // llama.cpp adds [CLS] ... [SEP] whenever add_special is set.
      if (options.add_special && special_.bos != kNoToken) {
        out.push_back(special_.bos);
      }
      for (const Fragment& f : fragments) {
        if (f.token != kNoToken) {
          out.push_back(f.token);
        } else {
          WordPieceTokenize(*index_, special_.unk,
                            text.substr(f.offset, f.length), &out);
        }
      }
      if (options.add_special && special_.sep != kNoToken) {
        out.push_back(special_.sep);
      }
      break;
    }
    case TokenizerKind::kLlama2c:
      break;
  }
  return out;
}

std::string_view VocabTokenizer::TokenText(TokenId id) const {
  if (id < 0 || id >= vocab_size()) return {};
  return tokens_[id];
}

TokenType VocabTokenizer::token_type(TokenId id) const {
  if (id < 0 || id >= vocab_size()) return TokenType::kUndefined;
  return types_[id];
}

std::string VocabTokenizer::TokenPiece(TokenId id, bool render_special) const {
  if (id < 0 || id >= vocab_size()) return {};
  const uint32_t attr = attrs_[id];
  const std::string& text = tokens_[id];
  // As llama.cpp's token_to_piece.
  if (attr & (kAttrControl | kAttrUnknown)) {
    return render_special ? text : std::string();
  }
  if (attr & kAttrUserDefined) return text;
  if (attr & kAttrNormal) {
    if (kind_ == TokenizerKind::kBpe) {
      std::string bytes;
      bytes.reserve(text.size());
      size_t pos = 0;
      while (pos < text.size()) {
        size_t len;
        uint32_t cp;
        if (CheckUtf8(std::string_view(text).substr(pos), &len, &cp) ==
                Utf8Status::kValid &&
            UnicodeToByte(cp) >= 0) {
          bytes.push_back(static_cast<char>(UnicodeToByte(cp)));
        } else {
          // Not a GPT-2 byte character: keep it as it is.
          bytes.append(text, pos, len);
        }
        pos += len;
      }
      return bytes;
    }
    return ReplaceAll(text, kSpmSpace, " ");
  }
  if (attr & kAttrByte) {
    // "<0xXX>"
    unsigned value = 0;
    if (text.size() == 6 && std::sscanf(text.c_str(), "<0x%2X>", &value) == 1) {
      return std::string(1, static_cast<char>(value));
    }
    return text;
  }
  return {};  // unused / undefined tokens
}

}  // namespace edgellm::tokenizer
