#include "runtime/tokenizer/pretokenizer.h"

#include <pcre2.h>

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runtime/tokenizer/unicode.h"

namespace edgellm::tokenizer {
namespace {

// The regex lists below are llama.cpp's (src/llama-vocab.cpp,
// llm_tokenizer_bpe), taken from each model's tokenizer.json. Where llama.cpp
// had to rewrite a Hugging Face regex for std::regex, the original is used
// when PCRE2 can run it, except the case-insensitive contractions, which stay
// spelled out ('[sS]...) because PCRE2's caseless 's' would also match
// U+017F.

constexpr char kGpt2[] =
    R"re('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S))re";

constexpr char kLlama3[] =
    R"re((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)re";

constexpr char kQwen2[] =
    R"re((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)re";

// Unicode's cased letters (LC), as code point ranges so that no editor or
// normalisation can change them (several are NFC singletons: U+1F7D,
// U+1FBE, U+2126, U+212A, ...).
constexpr char kDeepseekLlmLetters[] =
    R"re(\s?[A-Za-z\x{B5}\x{C0}-\x{D6}\x{D8}-\x{F6}\x{F8}-\x{1BA}\x{1BC}-\x{1BF}\x{1C4}-\x{293}\x{295}-\x{2AF}\x{370}-\x{373}\x{376}-\x{377}\x{37B}-\x{37D}\x{37F}\x{386}\x{388}-\x{38A}\x{38C}\x{38E}-\x{3A1}\x{3A3}-\x{3F5}\x{3F7}-\x{481}\x{48A}-\x{52F}\x{531}-\x{556}\x{10A0}-\x{10C5}\x{13A0}-\x{13F5}\x{13F8}-\x{13FD}\x{1C90}-\x{1CBA}\x{1CBD}-\x{1CBF}\x{1D00}-\x{1D2B}\x{1D6B}-\x{1D77}\x{1D79}-\x{1D9A}\x{1E00}-\x{1F15}\x{1F18}-\x{1F1D}\x{1F20}-\x{1F45}\x{1F48}-\x{1F4D}\x{1F50}-\x{1F57}\x{1F59}\x{1F5B}\x{1F5D}\x{1F5F}-\x{1F7D}\x{1F80}-\x{1FB4}\x{1FB6}-\x{1FBC}\x{1FBE}\x{1FC2}-\x{1FC4}\x{1FC6}-\x{1FCC}\x{1FD0}-\x{1FD3}\x{1FD6}-\x{1FDB}\x{1FE0}-\x{1FEC}\x{1FF2}-\x{1FF4}\x{1FF6}-\x{1FFC}\x{2102}\x{2107}\x{210A}-\x{2113}\x{2115}\x{2119}-\x{211D}\x{2124}\x{2126}\x{2128}\x{212A}-\x{212D}\x{212F}-\x{2134}\x{2139}\x{213C}-\x{213F}\x{2145}-\x{2149}\x{214E}\x{2183}-\x{2184}\x{2C00}-\x{2C7B}\x{2C7E}-\x{2CE4}\x{2CEB}-\x{2CEE}\x{2CF2}-\x{2CF3}\x{A640}-\x{A66D}\x{A680}-\x{A69B}\x{A722}-\x{A76F}\x{A771}-\x{A787}\x{A78B}-\x{A78E}\x{AB70}-\x{ABBF}\x{FB00}-\x{FB06}\x{FB13}-\x{FB17}\x{FF21}-\x{FF3A}\x{FF41}-\x{FF5A}\x{10400}-\x{1044F}\x{104B0}-\x{104D3}\x{104D8}-\x{104FB}\x{10C80}-\x{10CB2}\x{10CC0}-\x{10CF2}\x{118A0}-\x{118DF}\x{1E900}-\x{1E943}]+)re";

constexpr char kCjk[] =
    R"re([\x{4E00}-\x{9FA5}\x{800}-\x{4E00}\x{AC00}-\x{D7FF}]+)re";

constexpr char kPoro[] =
    R"re( ?[^(\s|.,!?\x{2026}\x{3002}\x{FF0C}\x{3001}\x{964}\x{6D4}\x{60C})]+)re";

constexpr char kTekken[] =
    R"re([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)re";

constexpr char kGpt4o[] =
    R"re([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)re";

struct NamedSpec {
  std::vector<std::string_view> names;
  PreTokenizerSpec spec;
};

const std::vector<NamedSpec>& Specs() {
  static const auto* specs = new std::vector<NamedSpec>{
      {{"default"},
       {{R"re([\p{P}\$\+<=>\^~\|]+)re", kGpt2, R"re(\p{N}+)re",
         "[0-9][0-9][0-9]"}}},
      {{"llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral"},
       {{kLlama3}, /*ignore_merges=*/true, /*default_add_bos=*/true}},
      {{"dbrx", "smaug-bpe"}, {{kLlama3}}},
      {{"deepseek-llm"},
       {{R"re([\r\n])re", kDeepseekLlmLetters,
         R"re(\s?[!-/:-~\x{FF01}-\x{FF0F}\x{FF1A}-\x{FF5E}\x{2018}-\x{201F}\x{3000}-\x{3002}]+)re",
         R"re(\s+$)re", kCjk, R"re(\p{N}+)re"}}},
      {{"deepseek-coder"},
       {{R"re([\r\n])re", R"re(\s?\p{L}+)re", R"re(\s?\p{P}+)re", kCjk,
         R"re(\p{N})re"}}},
      {{"deepseek-v3"},
       {{R"re(\p{N}{1,3})re",
         R"re([\x{4E00}-\x{9FA5}\x{3040}-\x{309F}\x{30A0}-\x{30FF}]+)re",
         R"re([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)re"}}},
      {{"falcon"},
       {{R"re([\p{P}\$\+<=>\^~\|`]+)re", kGpt2, "[0-9][0-9][0-9]"}}},
      {{"starcoder", "refact", "command-r", "smollm", "codeshell", "exaone",
        "minerva-7b"},
       {{R"re(\p{N})re", kGpt2}}},
      {{"gpt-2", "mpt", "phi-2", "olmo", "jais", "trillion", "exaone4",
        "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de",
        "jina-v1-en", "jina-v2-code", "roberta-bpe"},
       {{kGpt2}}},
      {{"qwen2", "deepseek-r1-qwen", "stablelm2", "hunyuan", "megrez"},
       {{kQwen2}}},
      {{"poro-chat", "bloom", "gpt3-finnish"}, {{kPoro}}},
      {{"viking"}, {{kPoro, R"re(\p{N})re"}}},
      {{"chatglm-bpe", "glm4"}, {{kLlama3}, false, false, /*no_bos=*/true}},
      {{"tekken"},
       {{kTekken}, /*ignore_merges=*/true, /*default_add_bos=*/true}},
      {{"gpt-4o", "llama4"}, {{kGpt4o}}},
      {{"seed-coder"},
       {{R"re((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1}| ?[^\s\p{L}\p{N}\r\n]+|\s*[\r\n]+|\s+(?!\S)|\s+)re"}}},
      {{"bailingmoe"},
       {{R"re('(?:[sSdDmMtT]|[lL][lL]|[vV][eE]|[rR][eE])|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+)re"}}},
  };
  return *specs;
}

// Unicode White_Space, the set llama.cpp's \s means (unicode-data.cpp).
constexpr char kWhitespaceSet[] =
    R"(\x{9}-\x{D}\x{20}\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000})";

}  // namespace

absl::StatusOr<PreTokenizerSpec> PreTokenizerSpecFor(std::string_view pre) {
  if (pre.empty()) pre = "default";
  for (const NamedSpec& s : Specs()) {
    for (std::string_view name : s.names) {
      if (name == pre) return s.spec;
    }
  }
  return absl::NotFoundError(absl::StrCat(
      "unsupported pre-tokenizer (tokenizer.ggml.pre) '", std::string(pre),
      "'; supported: ", absl::StrJoin(SupportedPreTokenizers(), ", ")));
}

std::vector<std::string> SupportedPreTokenizers() {
  std::vector<std::string> names;
  for (const NamedSpec& s : Specs()) {
    for (std::string_view name : s.names) names.emplace_back(name);
  }
  return names;
}

std::string PreTokenizer::RewriteWhitespaceClasses(std::string_view p) {
  std::string out;
  out.reserve(p.size() + 64);
  bool in_class = false;
  for (size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      const char e = p[i + 1];
      ++i;
      if (e == 's') {
        if (in_class) {
          out += kWhitespaceSet;
        } else {
          out += "[";
          out += kWhitespaceSet;
          out += "]";
        }
      } else if (e == 'S' && !in_class) {
        out += "[^";
        out += kWhitespaceSet;
        out += "]";
      } else {
        out.push_back('\\');
        out.push_back(e);
      }
      continue;
    }
    if (!in_class && c == '[') {
      in_class = true;
      out.push_back(c);
      // A ']' right after '[' or '[^' is a literal.
      if (i + 1 < p.size() && p[i + 1] == '^') out.push_back(p[++i]);
      if (i + 1 < p.size() && p[i + 1] == ']') out.push_back(p[++i]);
      continue;
    }
    if (in_class && c == ']') in_class = false;
    out.push_back(c);
  }
  return out;
}

struct PreTokenizer::Compiled {
  pcre2_code* code = nullptr;
  bool jit = false;
  ~Compiled() { pcre2_code_free(code); }
};

absl::StatusOr<std::unique_ptr<PreTokenizer>> PreTokenizer::Create(
    const std::vector<std::string>& regexes) {
  std::unique_ptr<PreTokenizer> pre(new PreTokenizer);
  for (const std::string& source : regexes) {
    const std::string pattern = RewriteWhitespaceClasses(source);
    int error = 0;
    PCRE2_SIZE offset = 0;
    // DOLLAR_ENDONLY: `$` means the end of the piece only, as in std::regex.
    pcre2_code* code = pcre2_compile(
        reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
        PCRE2_UTF | PCRE2_UCP | PCRE2_DOLLAR_ENDONLY, &error, &offset, nullptr);
    if (code == nullptr) {
      PCRE2_UCHAR message[256];
      pcre2_get_error_message(error, message, sizeof(message));
      return absl::InvalidArgumentError(absl::StrCat(
          "pre-tokenizer regex does not compile at offset ", offset, ": ",
          reinterpret_cast<const char*>(message), " (regex: ", source, ")"));
    }
    auto compiled = std::make_unique<Compiled>();
    compiled->code = code;
    compiled->jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
    pre->regexes_.push_back(std::move(compiled));
  }
  return pre;
}

PreTokenizer::~PreTokenizer() = default;

namespace {

struct MatchData {
  MatchData() : data(pcre2_match_data_create(1, nullptr)) {}
  ~MatchData() { pcre2_match_data_free(data); }
  pcre2_match_data* data;
};

size_t CharLen(std::string_view s, size_t pos) {
  return std::min(Utf8LenFromLead(static_cast<uint8_t>(s[pos])),
                  s.size() - pos);
}

}  // namespace

void PreTokenizer::SplitOne(const Compiled& re, std::string_view piece,
                            std::vector<std::string_view>* out) const {
  // One match slot is enough: only the whole match is used.
  thread_local MatchData match;
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(piece.data());
  size_t gap_start = 0;
  size_t search = 0;
  while (search < piece.size()) {
    int rc = pcre2_match(re.code, subject, piece.size(), search,
                         PCRE2_NO_UTF_CHECK, match.data, nullptr);
    if (rc < 0 && rc != PCRE2_ERROR_NOMATCH && re.jit) {
      // JIT stack exhausted (or similar): the interpreter uses the heap.
      rc = pcre2_match(re.code, subject, piece.size(), search,
                       PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, match.data, nullptr);
    }
    if (rc < 0) break;  // no match, or a resource limit: rest is one piece
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(match.data);
    const size_t begin = ov[0];
    const size_t end = ov[1];
    if (begin > gap_start) {
      out->push_back(piece.substr(gap_start, begin - gap_start));
    }
    if (end > begin) {
      out->push_back(piece.substr(begin, end - begin));
      gap_start = search = end;
    } else {
      // An empty match splits here without a piece; move on one character.
      gap_start = begin;
      search = begin + (begin < piece.size() ? CharLen(piece, begin) : 1);
    }
  }
  if (gap_start < piece.size()) out->push_back(piece.substr(gap_start));
}

void PreTokenizer::Split(std::string_view text,
                         std::vector<std::string_view>* out) const {
  if (text.empty()) return;
  if (regexes_.empty()) {
    out->push_back(text);
    return;
  }
  std::vector<std::string_view> current{text};
  std::vector<std::string_view> next;
  for (size_t r = 0; r < regexes_.size(); ++r) {
    std::vector<std::string_view>* target =
        r + 1 == regexes_.size() ? out : &next;
    if (target == &next) next.clear();
    for (std::string_view piece : current)
      SplitOne(*regexes_[r], piece, target);
    if (target == &next) std::swap(current, next);
  }
}

}  // namespace edgellm::tokenizer
