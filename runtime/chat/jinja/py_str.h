// Python's str semantics over UTF-8 bytes: code-point indexing, whitespace,
// case mapping, strip/split/find/replace, and repr() of strings and floats.
// Every function here takes valid UTF-8 (the interpreter checks template
// sources; nlohmann::json checks contexts) and indexes by code point, as
// Python does.
#ifndef EDGELLM_RUNTIME_CHAT_JINJA_PY_STR_H_
#define EDGELLM_RUNTIME_CHAT_JINJA_PY_STR_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace edgellm::chat::jinja::py {

// Byte offset of the first invalid UTF-8 sequence, or npos if valid.
size_t FindInvalidUtf8(std::string_view s);

std::u32string Decode(std::string_view s);
std::string Encode(std::u32string_view s);
void AppendUtf8(std::string& out, char32_t c);
bool IsAscii(std::string_view s);
// len(s).
size_t Length(std::string_view s);

// str.isspace() of one character.
bool IsSpace(char32_t c);
// str.isprintable() of one character.
bool IsPrintable(char32_t c);

std::string Upper(std::string_view s);
std::string Lower(std::string_view s);
// str.title() and str.capitalize() (simple case mappings).
std::string Title(std::string_view s);
std::string Capitalize(std::string_view s);
std::string SwapCase(std::string_view s);
// str.islower() / str.isupper(): at least one cased character and no
// cased character of the other case.
bool IsLower(std::string_view s);
bool IsUpper(std::string_view s);
// str.isdigit / isalpha / isalnum / isspace / isdecimal / isnumeric over the
// whole string (false for "").
bool AllOf(std::string_view s, bool (*pred)(char32_t));
bool IsDigitChar(char32_t c);
bool IsAlphaChar(char32_t c);
bool IsAlnumChar(char32_t c);
bool IsCased(char32_t c);

// str.strip(chars) / lstrip / rstrip; nullopt chars = whitespace.
std::string Strip(std::string_view s, const std::optional<std::string>& chars,
                  bool left, bool right);
// str.split(sep, maxsplit) and str.rsplit; nullopt sep = runs of
// whitespace. maxsplit < 0 = no limit. An empty sep is the caller's error.
std::vector<std::string> Split(std::string_view s,
                               const std::optional<std::string>& sep,
                               int64_t maxsplit);
std::vector<std::string> RSplit(std::string_view s,
                                const std::optional<std::string>& sep,
                                int64_t maxsplit);
std::vector<std::string> SplitLines(std::string_view s, bool keepends);
// str.replace(old, new, count); count < 0 = all.
std::string Replace(std::string_view s, std::string_view old_sub,
                    std::string_view new_sub, int64_t count);
// Python slice bounds (already clamped by the caller) over code points.
// str.find / rfind / count within [start, end) code points; -1 if absent.
int64_t Find(std::string_view s, std::string_view sub, int64_t start,
             int64_t end, bool reverse);
int64_t Count(std::string_view s, std::string_view sub, int64_t start,
              int64_t end);

// repr(str): Python's quoting and escapes.
std::string StringRepr(std::string_view s);
// repr(float): shortest round trip, "1e-07", "1e+16", "0.5", "2.0", "inf".
std::string FloatRepr(double d);

}  // namespace edgellm::chat::jinja::py

#endif  // EDGELLM_RUNTIME_CHAT_JINJA_PY_STR_H_
