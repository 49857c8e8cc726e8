#include "runtime/tokenizer/wordpiece.h"

#include <utf8proc.h>

#include <algorithm>

#include "runtime/tokenizer/unicode.h"

namespace edgellm::tokenizer {
namespace {

// Unicode White_Space (PropList.txt), as llama.cpp's unicode_ranges_whitespace.
bool IsWhiteSpace(uint32_t cp) {
  return (cp >= 0x9 && cp <= 0xD) || cp == 0x20 || cp == 0x85 || cp == 0xA0 ||
         cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
         cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

// The CJK ranges of Hugging Face's BertNormalizer::is_chinese_char (with its
// 0x2B920 lower bound, which llama.cpp keeps).
bool IsChineseChar(uint32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
         (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

bool IsCategory(utf8proc_category_t c, std::initializer_list<int> set) {
  return std::find(set.begin(), set.end(), static_cast<int>(c)) != set.end();
}

}  // namespace

std::vector<std::string> WordPiecePreprocess(std::string_view text) {
  std::vector<std::string> words(1);
  auto finish_word = [&] {
    if (!words.back().empty()) words.emplace_back();
  };
  size_t pos = 0;
  utf8proc_int32_t decomposed[32];
  while (pos < text.size()) {
    size_t len;
    uint32_t cp;
    if (CheckUtf8(text.substr(pos), &len, &cp) != Utf8Status::kValid) {
      cp = kReplacementChar;
      len = 1;
    }
    pos += len;
    // Canonical decomposition (NFD) of this code point.
    int last_boundclass = 0;
    utf8proc_ssize_t n =
        utf8proc_decompose_char(static_cast<utf8proc_int32_t>(cp), decomposed,
                                32, UTF8PROC_DECOMPOSE, &last_boundclass);
    if (n < 0 || n > 32) {
      decomposed[0] = static_cast<utf8proc_int32_t>(cp);
      n = 1;
    }
    for (utf8proc_ssize_t k = 0; k < n; ++k) {
      const uint32_t c = static_cast<uint32_t>(decomposed[k]);
      if (IsWhiteSpace(c)) {
        finish_word();
        continue;
      }
      const utf8proc_category_t cat =
          utf8proc_category(static_cast<utf8proc_int32_t>(c));
      if (c == 0 || c == kReplacementChar ||
          IsCategory(cat, {UTF8PROC_CATEGORY_CC, UTF8PROC_CATEGORY_CF,
                           UTF8PROC_CATEGORY_CS, UTF8PROC_CATEGORY_CO,
                           UTF8PROC_CATEGORY_CN})) {
        continue;
      }
      if (cat == UTF8PROC_CATEGORY_MN) continue;  // strip accents
      std::string s;
      AppendUtf8(static_cast<uint32_t>(
                     utf8proc_tolower(static_cast<utf8proc_int32_t>(c))),
                 &s);
      const bool punct =
          IsCategory(cat, {UTF8PROC_CATEGORY_PC, UTF8PROC_CATEGORY_PD,
                           UTF8PROC_CATEGORY_PS, UTF8PROC_CATEGORY_PE,
                           UTF8PROC_CATEGORY_PI, UTF8PROC_CATEGORY_PF,
                           UTF8PROC_CATEGORY_PO});
      const bool ascii_symbol =
          c < 0x7F &&
          IsCategory(cat, {UTF8PROC_CATEGORY_SM, UTF8PROC_CATEGORY_SC,
                           UTF8PROC_CATEGORY_SK, UTF8PROC_CATEGORY_SO});
      if (punct || ascii_symbol || IsChineseChar(c)) {
        finish_word();
        words.back() = std::move(s);
        words.emplace_back();
      } else {
        words.back() += s;
      }
    }
  }
  if (words.back().empty()) words.pop_back();
  return words;
}

void WordPieceTokenize(const TokenIndex& index, TokenId unk,
                       std::string_view text, std::vector<TokenId>* out) {
  const size_t max_len = index.max_token_length();
  for (const std::string& word : WordPiecePreprocess(text)) {
    const std::string marked = "\xE2\x96\x81" + word;  // U+2581 word start
    const size_t n = marked.size();
    const size_t before = out->size();
    for (size_t i = 0; i < n;) {
      bool matched = false;
      for (size_t j = std::min(n, i + max_len + 1); j > i; --j) {
        const TokenId id =
            index.Find(std::string_view(marked).substr(i, j - i));
        if (id != kNoToken) {
          out->push_back(id);
          matched = true;
          i = j;
          break;
        }
      }
      if (!matched) {
        out->resize(before);  // the word cannot be covered: all of it is UNK
        break;
      }
    }
    if (out->size() == before && unk != kNoToken) out->push_back(unk);
  }
}

}  // namespace edgellm::tokenizer
