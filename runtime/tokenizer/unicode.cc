#include "runtime/tokenizer/unicode.h"

#include <array>

namespace edgellm::tokenizer {

Utf8Status CheckUtf8(std::string_view s, size_t* len, uint32_t* cp) {
  const uint8_t b0 = static_cast<uint8_t>(s[0]);
  *len = 1;
  if (b0 < 0x80) {
    *cp = b0;
    return Utf8Status::kValid;
  }
  size_t need;
  uint32_t value;
  // Allowed range of the second byte (RFC 3629 section 4 table) rules out
  // overlongs, surrogates and values above U+10FFFF.
  uint8_t lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 2;
    value = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 3;
    value = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 4;
    value = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return Utf8Status::kInvalid;
  }
  for (size_t i = 1; i < need; ++i) {
    if (i >= s.size()) return Utf8Status::kIncomplete;
    const uint8_t b = static_cast<uint8_t>(s[i]);
    const uint8_t l = i == 1 ? lo : 0x80;
    const uint8_t h = i == 1 ? hi : 0xBF;
    if (b < l || b > h) return Utf8Status::kInvalid;
    value = (value << 6) | (b & 0x3F);
  }
  *len = need;
  *cp = value;
  return Utf8Status::kValid;
}

bool IsValidUtf8(std::string_view s) {
  size_t pos = 0;
  while (pos < s.size()) {
    size_t len;
    uint32_t cp;
    if (CheckUtf8(s.substr(pos), &len, &cp) != Utf8Status::kValid) {
      return false;
    }
    pos += len;
  }
  return true;
}

std::string SanitizeUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t pos = 0;
  while (pos < s.size()) {
    const uint8_t b = static_cast<uint8_t>(s[pos]);
    if (b < 0x80) {
      out.push_back(static_cast<char>(b));
      ++pos;
      continue;
    }
    size_t len;
    uint32_t cp;
    if (CheckUtf8(s.substr(pos), &len, &cp) == Utf8Status::kValid) {
      out.append(s.substr(pos, len));
      pos += len;
    } else {
      AppendUtf8(kReplacementChar, &out);
      ++pos;
    }
  }
  return out;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp <= 0x10FFFF) {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    AppendUtf8(kReplacementChar, out);
  }
}

std::string ReplaceAll(std::string_view s, std::string_view from,
                       std::string_view to) {
  std::string out;
  out.reserve(s.size() + s.size() / 4);
  size_t pos = 0;
  while (true) {
    const size_t hit = s.find(from, pos);
    if (hit == std::string_view::npos) break;
    out.append(s.substr(pos, hit - pos));
    out.append(to);
    pos = hit + from.size();
  }
  out.append(s.substr(pos));
  return out;
}

namespace {

struct ByteTables {
  std::array<std::string, 256> byte_to_utf8;
  std::array<int16_t, 512> cp_to_byte;  // code points used are < 0x144
};

const ByteTables& Tables() {
  static const ByteTables* tables = [] {
    auto* t = new ByteTables;
    t->cp_to_byte.fill(-1);
    std::array<uint32_t, 256> cp{};
    std::array<bool, 256> direct{};
    // bytes_to_unicode(): '!'..'~', '¡'..'¬', '®'..'ÿ' map to themselves.
    for (int b = 0x21; b <= 0x7E; ++b) direct[b] = true;
    for (int b = 0xA1; b <= 0xAC; ++b) direct[b] = true;
    for (int b = 0xAE; b <= 0xFF; ++b) direct[b] = true;
    uint32_t n = 0;
    for (int b = 0; b < 256; ++b) cp[b] = direct[b] ? b : 256 + n++;
    for (int b = 0; b < 256; ++b) {
      AppendUtf8(cp[b], &t->byte_to_utf8[b]);
      t->cp_to_byte[cp[b]] = static_cast<int16_t>(b);
    }
    return t;
  }();
  return *tables;
}

}  // namespace

std::string_view ByteToUnicode(uint8_t byte) {
  return Tables().byte_to_utf8[byte];
}

int UnicodeToByte(uint32_t cp) {
  if (cp >= Tables().cp_to_byte.size()) return -1;
  return Tables().cp_to_byte[cp];
}

}  // namespace edgellm::tokenizer
