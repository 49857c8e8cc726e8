#include "runtime/tokenizer/test_vocabs.h"

#include <cstdio>
#include <cstring>

#include "runtime/tokenizer/unicode.h"

namespace edgellm::tokenizer::testing {
namespace {

std::string ByteName(int b) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "<0x%02X>", b);
  return buf;
}

}  // namespace

Vocab SmallSpmVocab() {
  Vocab v;
  v.kind = TokenizerKind::kSpm;
  auto add = [&](std::string text, float score, TokenType type) {
    v.tokens.push_back(std::move(text));
    v.scores.push_back(score);
    v.types.push_back(type);
  };
  add("<unk>", 0, TokenType::kUnknown);
  add("<s>", 0, TokenType::kControl);
  add("</s>", 0, TokenType::kControl);
  for (int b = 0; b < 256; ++b) add(ByteName(b), 0, TokenType::kByte);
  const std::string sp = "\xE2\x96\x81";
  const std::pair<std::string, float> normal[] = {{sp, -1},
                                                  {"h", -2},
                                                  {"e", -3},
                                                  {"l", -4},
                                                  {"o", -5},
                                                  {"w", -6},
                                                  {"r", -7},
                                                  {"d", -8},
                                                  {"ll", -0.5},
                                                  {"he", -0.6},
                                                  {"hell", -0.7},
                                                  {"hello", -0.8},
                                                  {sp + "hello", -0.9},
                                                  {sp + "w", -1.5},
                                                  {"or", -1.2},
                                                  {sp + "wor", -1.6},
                                                  {"a", -9},
                                                  {"aa", -0.1}};
  for (const auto& [text, score] : normal) add(text, score, TokenType::kNormal);
  add("<|im_end|>", 0, TokenType::kControl);
  return v;
}

Vocab SmallBpeVocab() {
  Vocab v;
  v.kind = TokenizerKind::kBpe;
  v.pre = "gpt-2";
  for (int b = 0; b < 256; ++b) {
    v.tokens.emplace_back(ByteToUnicode(static_cast<uint8_t>(b)));
  }
  for (const char* t : {"he", "ll", "hell", "hello", "\xC4\xA0w", "or",
                        "\xC4\xA0wor", "ld", "\xC4\xA0world"}) {
    v.tokens.emplace_back(t);
  }
  v.tokens.emplace_back("<|endoftext|>");
  v.tokens.emplace_back("<user>");
  v.tokens.emplace_back("hx");
  v.types.assign(v.tokens.size(), TokenType::kNormal);
  v.types[265] = TokenType::kControl;
  v.types[266] = TokenType::kUserDefined;
  v.merges = {"l l",        "h e",          "he ll", "hell o",        "o r",
              "\xC4\xA0 w", "\xC4\xA0w or", "l d",   "\xC4\xA0wor ld"};
  return v;
}

Vocab SmallWordPieceVocab() {
  Vocab v;
  v.kind = TokenizerKind::kWordPiece;
  v.tokens.push_back("[PAD]");
  for (int i = 1; i < 100; ++i)
    v.tokens.push_back("[unused" + std::to_string(i) + "]");
  for (const char* t : {"[UNK]", "[CLS]", "[SEP]", "[MASK]"})
    v.tokens.push_back(t);
  const std::string sp = "\xE2\x96\x81";
  for (std::string t :
       {sp + "hello", sp + "world", sp + ",", sp + "!", sp + "cafe", sp + "un",
        std::string("aff"), std::string("able"), sp + "\xE4\xBD\xA0",
        sp + "\xE5\xA5\xBD"}) {
    v.tokens.push_back(t);
  }
  v.types.assign(v.tokens.size(), TokenType::kNormal);
  for (int id : {0, 100, 101, 102, 103}) v.types[id] = TokenType::kControl;
  return v;
}

std::string SmallLlama2cFile() {
  std::string out;
  auto put_i32 = [&](int32_t x) {
    char b[4];
    std::memcpy(b, &x, 4);
    out.append(b, 4);
  };
  auto put_f32 = [&](float x) {
    char b[4];
    std::memcpy(b, &x, 4);
    out.append(b, 4);
  };
  auto entry = [&](const std::string& s, float score) {
    put_f32(score);
    put_i32(static_cast<int32_t>(s.size()));
    out += s;
  };
  put_i32(7);
  entry("<unk>", 0);
  entry("\n<s>\n", 0);
  entry("\n</s>\n", 0);
  for (int b = 0; b < 256; ++b) entry(ByteName(b), 0);
  int id = 259;
  for (const char* s : {" ", "a", "b", " a", "ab", "\xC3\xA9", " ab"}) {
    entry(s, -static_cast<float>(id - 259));
    ++id;
  }
  return out;
}

}  // namespace edgellm::tokenizer::testing
