#include "quant/convert/hf_tokenizer.h"

#include <cstring>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "nlohmann/json.hpp"
#include "quant/convert/llama2c.h"
#include "quant/convert/mapped_file.h"

namespace edgellm::quant {
namespace {

using nlohmann::json;

constexpr char kSpmSpace[] = "\xE2\x96\x81";  // U+2581
constexpr float kPadScore = -1000.0f;         // llama.cpp's filler score

// --- protobuf wire format -------------------------------------------------

class WireReader {
 public:
  WireReader(std::string_view bytes, uint64_t base)
      : bytes_(bytes), base_(base) {}
  bool done() const { return pos_ >= bytes_.size(); }
  uint64_t offset() const { return base_ + pos_; }

  absl::StatusOr<uint64_t> Varint() {
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= bytes_.size()) return Error("truncated varint");
      const uint8_t b = static_cast<uint8_t>(bytes_[pos_++]);
      value |= uint64_t{b & 0x7fu} << shift;
      if ((b & 0x80u) == 0) return value;
    }
    return Error("varint longer than 10 bytes");
  }
  // The next field's bytes for wire types 1, 2, 5; varints are returned in
  // *varint. Unsupported (group) wire types are errors.
  absl::Status Field(uint32_t* number, uint32_t* wire_type,
                     std::string_view* payload, uint64_t* varint,
                     uint64_t* payload_offset) {
    absl::StatusOr<uint64_t> tag = Varint();
    if (!tag.ok()) return tag.status();
    *number = static_cast<uint32_t>(*tag >> 3);
    *wire_type = static_cast<uint32_t>(*tag & 7);
    switch (*wire_type) {
      case 0: {
        absl::StatusOr<uint64_t> v = Varint();
        if (!v.ok()) return v.status();
        *varint = *v;
        return absl::OkStatus();
      }
      case 1:
      case 5: {
        const size_t n = *wire_type == 1 ? 8 : 4;
        if (bytes_.size() - pos_ < n) return Error("truncated fixed field");
        *payload_offset = offset();
        *payload = bytes_.substr(pos_, n);
        pos_ += n;
        return absl::OkStatus();
      }
      case 2: {
        absl::StatusOr<uint64_t> len = Varint();
        if (!len.ok()) return len.status();
        if (*len > bytes_.size() - pos_) {
          return Error(absl::StrCat("length ", *len, " runs past the end"));
        }
        *payload_offset = offset();
        *payload = bytes_.substr(pos_, *len);
        pos_ += *len;
        return absl::OkStatus();
      }
      default:
        return Error(absl::StrCat("unsupported wire type ", *wire_type));
    }
  }

 private:
  absl::Status Error(const std::string& what) const {
    return absl::InvalidArgumentError(
        absl::StrCat("tokenizer.model (SentencePiece protobuf): ", what,
                     " at byte ", offset()));
  }
  std::string_view bytes_;
  uint64_t base_;
  size_t pos_ = 0;
};

// --- helpers ----------------------------------------------------------------

// gguf-py's SpecialVocab / convert_hf_to_gguf.py does_token_look_special.
bool LooksSpecial(const std::string& t) {
  auto wrapped = [&](const std::string& open, const std::string& close) {
    return t.size() >= open.size() + close.size() &&
           absl::StartsWith(t, open) && absl::EndsWith(t, close);
  };
  return t == "<pad>" || t == "<mask>" || t == "<2mass>" || t == "[@BOS@]" ||
         wrapped("<|", "|>") ||
         wrapped("<\xEF\xBD\x9C", "\xEF\xBD\x9C>") ||  // <｜ ｜>
         wrapped("<unused", ">");
}

// obj[key] if obj is an object holding a string there, else "" (never
// throws, unlike json::value on a wrongly typed field).
std::string StringField(const json& obj, const char* key) {
  if (!obj.is_object()) return "";
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

// A special-token entry of tokenizer_config.json: "text" or {"content": ..}.
std::optional<std::string> TokenContent(const json& entry) {
  if (entry.is_string()) return entry.get<std::string>();
  if (entry.is_object()) {
    auto it = entry.find("content");
    if (it != entry.end() && it->is_string()) return it->get<std::string>();
  }
  return std::nullopt;
}

void CollectRegexes(const json& pre, std::vector<std::string>* out) {
  if (!pre.is_object()) return;
  if (auto p = pre.find("pattern"); p != pre.end() && p->is_object()) {
    if (auto r = p->find("Regex"); r != p->end() && r->is_string()) {
      out->push_back(r->get<std::string>());
    }
  }
  if (auto list = pre.find("pretokenizers");
      list != pre.end() && list->is_array()) {
    for (const json& p : *list) CollectRegexes(p, out);
  }
}

}  // namespace

absl::StatusOr<HfVocab> ParseSentencePieceModel(std::string_view proto,
                                                int64_t vocab_size) {
  HfVocab vocab;
  vocab.model = "llama";
  vocab.pre = "default";
  WireReader top(proto, 0);
  while (!top.done()) {
    uint32_t number, wire;
    std::string_view payload;
    uint64_t varint = 0, at = 0;
    if (absl::Status s = top.Field(&number, &wire, &payload, &varint, &at);
        !s.ok()) {
      return s;
    }
    if (number != 1 || wire != 2) continue;  // trainer/normalizer specs
    std::string piece;
    float score = 0.0f;
    int32_t type = kTokenNormal;  // SentencePiece.Type default NORMAL = 1
    WireReader sub(payload, at);
    while (!sub.done()) {
      uint32_t n, w;
      std::string_view p;
      uint64_t v = 0, o = 0;
      if (absl::Status s = sub.Field(&n, &w, &p, &v, &o); !s.ok()) return s;
      if (n == 1 && w == 2) {
        piece = std::string(p);
      } else if (n == 2 && w == 5) {
        std::memcpy(&score, p.data(), sizeof(score));
      } else if (n == 3 && w == 0) {
        // SentencePiece.Type numbers equal llama_token_type's (1..6).
        if (v < 1 || v > 6) {
          return absl::InvalidArgumentError(
              absl::StrCat("tokenizer.model: piece ", vocab.tokens.size(),
                           " has unknown type ", v, " at byte ", o));
        }
        type = static_cast<int32_t>(v);
      }
    }
    vocab.tokens.push_back(std::move(piece));
    vocab.scores.push_back(score);
    vocab.types.push_back(type);
  }
  if (vocab.tokens.empty()) {
    return absl::InvalidArgumentError(
        "tokenizer.model holds no pieces (is it a SentencePiece model?)");
  }
  if (static_cast<int64_t>(vocab.tokens.size()) > vocab_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tokenizer.model has ", vocab.tokens.size(),
        " pieces, more than config.json's vocab_size ", vocab_size));
  }
  for (int64_t i = vocab.tokens.size(); i < vocab_size; ++i) {
    vocab.tokens.push_back(absl::StrCat("[PAD", i, "]"));
    vocab.scores.push_back(kPadScore);
    vocab.types.push_back(kTokenUnused);
  }
  for (size_t i = 0; i < vocab.types.size(); ++i) {
    if (vocab.types[i] == kTokenUnknown && !vocab.unk_id) vocab.unk_id = i;
  }
  return vocab;
}

absl::StatusOr<HfVocab> ParseTokenizerJson(std::string_view tokenizer_json,
                                           const HfConfig& config) {
  const json j = json::parse(tokenizer_json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError("tokenizer.json is not a JSON object");
  }
  const auto model = j.find("model");
  if (model == j.end() || !model->is_object()) {
    return absl::InvalidArgumentError("tokenizer.json has no \"model\"");
  }
  const std::string type =
      model->contains("type") && (*model)["type"].is_string()
          ? (*model)["type"].get<std::string>()
          : "";
  if (type != "BPE") {
    return absl::UnimplementedError(absl::StrCat(
        "tokenizer.json model type '", type,
        "' is not supported (supported: byte-level BPE; or provide "
        "tokenizer.model for SentencePiece)"));
  }
  if (auto bf = model->find("byte_fallback");
      bf != model->end() && bf->is_boolean() && bf->get<bool>()) {
    return absl::UnimplementedError(
        "tokenizer.json is a SentencePiece-style BPE (byte_fallback) and "
        "there is no tokenizer.model; converting it is not supported");
  }
  const auto vocab_it = model->find("vocab");
  const auto merges_it = model->find("merges");
  if (vocab_it == model->end() || !vocab_it->is_object() ||
      merges_it == model->end() || !merges_it->is_array()) {
    return absl::InvalidArgumentError(
        "tokenizer.json: model.vocab (object) or model.merges (array) missing");
  }
  std::map<int64_t, std::string> by_id;
  std::map<int64_t, bool> added_special;  // id -> special
  for (const auto& [token, id] : vocab_it->items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tokenizer.json: model.vocab['", token, "'] is not a valid id"));
    }
    by_id[id.get<int64_t>()] = token;
  }
  if (auto added = j.find("added_tokens");
      added != j.end() && added->is_array()) {
    for (const json& t : *added) {
      if (!t.is_object() || !t.contains("id") || !t["id"].is_number_integer() ||
          t["id"].get<int64_t>() < 0 || !t.contains("content") ||
          !t["content"].is_string()) {
        return absl::InvalidArgumentError(
            "tokenizer.json: an added_tokens entry lacks id or content");
      }
      const int64_t id = t["id"].get<int64_t>();
      by_id[id] = t["content"].get<std::string>();
      added_special[id] = t.contains("special") && t["special"].is_boolean() &&
                          t["special"].get<bool>();
    }
  }
  const int64_t max_id = by_id.empty() ? -1 : by_id.rbegin()->first;
  if (max_id >= config.vocab_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("tokenizer.json has token id ", max_id,
                     " but config.json's vocab_size is ", config.vocab_size));
  }
  HfVocab vocab;
  vocab.model = "gpt2";
  for (int64_t i = 0; i < config.vocab_size; ++i) {
    auto it = by_id.find(i);
    if (it == by_id.end()) {
      vocab.tokens.push_back(absl::StrCat("[PAD", i, "]"));
      vocab.types.push_back(kTokenUnused);
      continue;
    }
    std::string token = it->second;
    int32_t type = kTokenNormal;
    if (auto a = added_special.find(i); a != added_special.end()) {
      if (a->second || LooksSpecial(token)) {
        type = kTokenControl;
      } else {
        type = kTokenUserDefined;
        token = absl::StrReplaceAll(token, {{kSpmSpace, " "}});
      }
    }
    vocab.tokens.push_back(std::move(token));
    vocab.types.push_back(type);
  }
  for (const json& m : *merges_it) {
    if (m.is_string()) {
      vocab.merges.push_back(m.get<std::string>());
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() &&
               m[1].is_string()) {
      // Newer tokenizers store pairs; gguf-py joins them with a space after
      // mapping spaces inside a part to U+0120, as byte-level BPE does.
      vocab.merges.push_back(absl::StrCat(
          absl::StrReplaceAll(m[0].get<std::string>(), {{" ", "\xC4\xA0"}}),
          " ",
          absl::StrReplaceAll(m[1].get<std::string>(), {{" ", "\xC4\xA0"}})));
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("tokenizer.json: merge ", vocab.merges.size(),
                       " is neither \"a b\" nor [\"a\", \"b\"]"));
    }
  }
  // Name the pre-tokenizer by its split regex, as llama.cpp's hash of a
  // test string would (Llama-3 splits digits in runs of 1..3, Qwen2 one by
  // one).
  std::vector<std::string> regexes;
  if (auto pre = j.find("pre_tokenizer"); pre != j.end()) {
    CollectRegexes(*pre, &regexes);
  }
  auto any = [&](const std::string& needle) {
    for (const std::string& r : regexes) {
      if (absl::StrContains(r, needle)) return true;
    }
    return false;
  };
  if (any("\\p{N}{1,3}")) {
    vocab.pre = "llama-bpe";
  } else if (any("|\\p{N}|") ||
             (regexes.empty() && config.gguf_architecture == "qwen2")) {
    vocab.pre = "qwen2";
  } else {
    vocab.pre = "default";
    vocab.warnings.push_back(
        "the BPE pre-tokenizer was not recognised (neither Llama-3's nor "
        "Qwen2's split regex); wrote tokenizer.ggml.pre = \"default\"");
  }
  return vocab;
}

absl::Status ApplyTokenizerConfig(std::string_view tokenizer_config_json,
                                  std::string_view tokenizer_json,
                                  HfVocab* vocab) {
  json tc = json::object();
  if (!tokenizer_config_json.empty()) {
    tc = json::parse(tokenizer_config_json, nullptr, false);
    if (tc.is_discarded() || !tc.is_object()) {
      return absl::InvalidArgumentError(
          "tokenizer_config.json is not a JSON object");
    }
  }
  json tj = json::object();
  if (!tokenizer_json.empty()) {
    tj = json::parse(tokenizer_json, nullptr, false);
    if (tj.is_discarded()) tj = json::object();
  }
  // SentencePiece vocabularies take added tokens from the config's
  // added_tokens_decoder (convert_hf_to_gguf.py
  // _create_vocab_sentencepiece).
  if (vocab->model == "llama") {
    if (auto dec = tc.find("added_tokens_decoder");
        dec != tc.end() && dec->is_object()) {
      for (const auto& [key, data] : dec->items()) {
        int64_t id;
        if (!absl::SimpleAtoi(key, &id) || id < 0 ||
            id >= static_cast<int64_t>(vocab->tokens.size()) ||
            !data.is_object()) {
          continue;
        }
        std::optional<std::string> content = TokenContent(data);
        if (!content) continue;
        const bool special = data.contains("special") &&
                             data["special"].is_boolean() &&
                             data["special"].get<bool>();
        if (special || LooksSpecial(*content)) {
          vocab->types[id] = kTokenControl;
        } else {
          *content = absl::StrReplaceAll(*content, {{kSpmSpace, " "}});
          vocab->types[id] = kTokenUserDefined;
        }
        vocab->scores[id] = kPadScore;
        vocab->tokens[id] = *content;
      }
    }
  }
  // Special tokens by content: gguf-py looks them up among the added tokens.
  std::map<std::string, int64_t> added_ids;
  if (auto added = tj.find("added_tokens");
      added != tj.end() && added->is_array()) {
    for (const json& t : *added) {
      if (t.is_object() && t.contains("id") && t["id"].is_number_integer() &&
          t.contains("content") && t["content"].is_string()) {
        added_ids[t["content"].get<std::string>()] = t["id"].get<int64_t>();
      }
    }
  }
  if (vocab->model == "llama") {
    for (size_t i = 0; i < vocab->tokens.size(); ++i) {
      if (vocab->types[i] == kTokenControl ||
          vocab->types[i] == kTokenUnknown) {
        added_ids.emplace(vocab->tokens[i], i);
      }
    }
  }
  for (auto [key, out] : {std::pair{"bos_token", &vocab->bos_id},
                          std::pair{"eos_token", &vocab->eos_id},
                          std::pair{"unk_token", &vocab->unk_id},
                          std::pair{"pad_token", &vocab->pad_id}}) {
    auto it = tc.find(key);
    if (it == tc.end()) continue;
    std::optional<std::string> content = TokenContent(*it);
    if (!content) continue;
    auto id = added_ids.find(*content);
    if (id != added_ids.end()) *out = id->second;
  }
  for (auto [key, out] :
       {std::pair{"add_bos_token", &vocab->add_bos},
        std::pair{"add_eos_token", &vocab->add_eos},
        std::pair{"add_prefix_space", &vocab->add_space_prefix}}) {
    auto it = tc.find(key);
    if (it != tc.end() && it->is_boolean()) *out = it->get<bool>();
  }
  // Without add_bos_token / add_eos_token, the post-processor's single
  // template says whether BOS / EOS wrap a sequence (Llama-3 has
  // "<|begin_of_text|> $A").
  if (!vocab->add_bos || !vocab->add_eos) {
    const json* template_processing = nullptr;
    if (auto pp = tj.find("post_processor");
        pp != tj.end() && pp->is_object()) {
      if (StringField(*pp, "type") == "TemplateProcessing") {
        template_processing = &*pp;
      } else if (auto list = pp->find("processors");
                 list != pp->end() && list->is_array()) {
        for (const json& p : *list) {
          if (StringField(p, "type") == "TemplateProcessing") {
            template_processing = &p;
          }
        }
      }
    }
    if (template_processing != nullptr) {
      auto single = template_processing->find("single");
      if (single != template_processing->end() && single->is_array() &&
          !single->empty()) {
        if (!vocab->add_bos) {
          vocab->add_bos = single->front().contains("SpecialToken");
        }
        if (!vocab->add_eos) {
          vocab->add_eos = single->back().contains("SpecialToken");
        }
      }
    }
  }
  if (auto ct = tc.find("chat_template"); ct != tc.end()) {
    if (ct->is_string()) {
      vocab->chat_template = ct->get<std::string>();
    } else if (ct->is_array()) {
      // [{"name": "default", "template": ...}, ...]
      for (const json& t : *ct) {
        if (StringField(t, "name") == "default" && t.contains("template") &&
            t["template"].is_string()) {
          vocab->chat_template = t["template"].get<std::string>();
        }
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<HfVocab> LoadHfVocab(const std::string& dir,
                                    const HfConfig& config) {
  absl::StatusOr<std::string> tokenizer_json =
      ReadFileToString(dir + "/tokenizer.json");
  if (!tokenizer_json.ok() && !absl::IsNotFound(tokenizer_json.status())) {
    return tokenizer_json.status();
  }
  absl::StatusOr<std::string> spm = ReadFileToString(dir + "/tokenizer.model");
  if (!spm.ok() && !absl::IsNotFound(spm.status())) return spm.status();
  absl::StatusOr<HfVocab> vocab = absl::NotFoundError(
      absl::StrCat("no tokenizer.model or tokenizer.json in '", dir, "'"));
  if (spm.ok()) {
    vocab = ParseSentencePieceModel(*spm, config.vocab_size);
  } else if (tokenizer_json.ok()) {
    vocab = ParseTokenizerJson(*tokenizer_json, config);
  }
  if (!vocab.ok()) return vocab.status();
  absl::StatusOr<std::string> tokenizer_config =
      ReadFileToString(dir + "/tokenizer_config.json");
  if (!tokenizer_config.ok() && !absl::IsNotFound(tokenizer_config.status())) {
    return tokenizer_config.status();
  }
  if (absl::Status s = ApplyTokenizerConfig(
          tokenizer_config.ok() ? *tokenizer_config : "",
          tokenizer_json.ok() ? *tokenizer_json : "", &*vocab);
      !s.ok()) {
    return s;
  }
  // config.json's ids only fill gaps (gguf-py _try_load_from_config_json).
  if (!vocab->bos_id) vocab->bos_id = config.bos_token_id;
  if (!vocab->eos_id) vocab->eos_id = config.eos_token_id;
  if (!vocab->pad_id) vocab->pad_id = config.pad_token_id;
  for (auto [name, id] :
       {std::pair{"bos", &vocab->bos_id}, std::pair{"eos", &vocab->eos_id},
        std::pair{"unk", &vocab->unk_id}, std::pair{"pad", &vocab->pad_id}}) {
    if (*id &&
        (**id < 0 || **id >= static_cast<int64_t>(vocab->tokens.size()))) {
      vocab->warnings.push_back(absl::StrCat("ignoring ", name, " token id ",
                                             **id, ": outside the vocabulary"));
      id->reset();
    }
  }
  return vocab;
}

}  // namespace edgellm::quant
