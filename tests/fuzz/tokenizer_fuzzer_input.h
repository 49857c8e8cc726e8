// The tokenizer fuzzer's input layout, shared by the fuzzer and its seed
// generator: byte 0 flags, bytes 1-2 the text length (little-endian, cut to
// what is there), the text, then the vocabulary file. The text comes first
// with an explicit length so that mutating the vocabulary does not shift it.
#ifndef EDGELLM_TESTS_FUZZ_TOKENIZER_FUZZER_INPUT_H_
#define EDGELLM_TESTS_FUZZ_TOKENIZER_FUZZER_INPUT_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace edgellm::fuzz {

enum TokenizerFlags : uint8_t {
  kLlama2c = 1,  // the vocabulary is a llama2.c tokenizer.bin, else GGUF
  kAddSpecial = 2,
  kParseSpecial = 4,
  kRenderSpecial = 8,
  kStripLeadingSpace = 16,
};

struct TokenizerInput {
  bool llama2c = false;
  bool add_special = false;
  bool parse_special = false;
  bool render_special = false;
  bool strip_leading_space = false;
  std::string_view text;
  std::string_view vocab;
};

inline TokenizerInput SplitTokenizerInput(const uint8_t* data, size_t size) {
  TokenizerInput in;
  if (size < 3) return in;
  const uint8_t flags = data[0];
  in.llama2c = flags & kLlama2c;
  in.add_special = flags & kAddSpecial;
  in.parse_special = flags & kParseSpecial;
  in.render_special = flags & kRenderSpecial;
  in.strip_leading_space = flags & kStripLeadingSpace;
  const size_t len = std::min<size_t>(data[1] | (data[2] << 8), size - 3);
  const char* p = reinterpret_cast<const char*>(data) + 3;
  in.text = std::string_view(p, len);
  in.vocab = std::string_view(p + len, size - 3 - len);
  return in;
}

inline std::string JoinTokenizerInput(uint8_t flags, std::string_view text,
                                      std::string_view vocab) {
  std::string out(3, '\0');
  out[0] = static_cast<char>(flags);
  out[1] = static_cast<char>(text.size() & 0xff);
  out[2] = static_cast<char>((text.size() >> 8) & 0xff);
  out.append(text);
  out.append(vocab);
  return out;
}

}  // namespace edgellm::fuzz

#endif  // EDGELLM_TESTS_FUZZ_TOKENIZER_FUZZER_INPUT_H_
