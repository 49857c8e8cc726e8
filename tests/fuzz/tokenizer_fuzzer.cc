// libFuzzer target for the tokenizers: any vocabulary (the tokenizer.ggml.*
// metadata of a GGUF file, or a llama2.c tokenizer.bin) and any text. A
// vocabulary that loads must encode every text to ids inside the
// vocabulary, decode any ids (also out of range) without crashing, and its
// stream decoder must only ever emit valid UTF-8.
//
// Input layout (tokenizer_fuzzer_input.h): a flags byte, a 16-bit text
// length, the text, then the vocabulary file. Built with clang by
// tools/fuzz.sh; the seed corpus (make_tokenizer_seeds) is replayed by
// //tests/fuzz:tokenizer_fuzzer_replay_test.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/gguf/gguf.h"
#include "runtime/tokenizer/tokenizer.h"
#include "tests/fuzz/tokenizer_fuzzer_input.h"

namespace {

using edgellm::tokenizer::DecodeOptions;
using edgellm::tokenizer::EncodeOptions;
using edgellm::tokenizer::StreamDecoder;
using edgellm::tokenizer::TokenId;
using edgellm::tokenizer::Tokenizer;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

// Strict UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<uint8_t>(s[i]);
    int n = 0;
    uint32_t cp = 0;
    if (b < 0x80) {
      ++i;
      continue;
    } else if ((b & 0xE0) == 0xC0) {
      n = 1;
      cp = b & 0x1F;
    } else if ((b & 0xF0) == 0xE0) {
      n = 2;
      cp = b & 0x0F;
    } else if ((b & 0xF8) == 0xF0) {
      n = 3;
      cp = b & 0x07;
    } else {
      return false;
    }
    if (s.size() - i <= static_cast<size_t>(n)) return false;
    for (int k = 1; k <= n; ++k) {
      const auto c = static_cast<uint8_t>(s[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

std::unique_ptr<Tokenizer> LoadVocab(const edgellm::fuzz::TokenizerInput& in) {
  if (in.llama2c) {
    auto tok = Tokenizer::FromLlama2cBuffer(in.vocab);
    return tok.ok() ? *std::move(tok) : nullptr;
  }
  auto file =
      edgellm::gguf::GgufFile::FromBuffer(in.vocab.data(), in.vocab.size());
  if (!file.ok()) return nullptr;
  auto tok = Tokenizer::FromGguf(**file);
  return tok.ok() ? *std::move(tok) : nullptr;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const edgellm::fuzz::TokenizerInput in =
      edgellm::fuzz::SplitTokenizerInput(data, size);
  const std::unique_ptr<Tokenizer> tok = LoadVocab(in);
  if (tok == nullptr) return 0;
  const int32_t n = tok->vocab_size();
  Check(n > 0);

  EncodeOptions encode;
  encode.add_special = in.add_special;
  encode.parse_special = in.parse_special;
  const std::vector<TokenId> ids = tok->Encode(in.text, encode);
  for (TokenId id : ids) Check(id >= 0 && id < n);

  DecodeOptions decode;
  decode.render_special = in.render_special;
  decode.strip_leading_space = in.strip_leading_space;
  (void)tok->Decode(ids, decode);

  // Ids the model might sample, and ids it never could.
  std::vector<TokenId> any = ids;
  for (size_t i = 0; i + 1 < in.text.size() && any.size() < 512; i += 2) {
    const auto raw =
        static_cast<int32_t>(static_cast<uint8_t>(in.text[i]) |
                             static_cast<uint8_t>(in.text[i + 1]) << 8);
    any.push_back(raw % (n + 2) - 1);  // -1 .. n
  }
  (void)tok->Decode(any, decode);
  StreamDecoder stream(*tok, decode);
  for (TokenId id : any) {
    Check(IsValidUtf8(stream.Push(id)));
    Check(tok->TokenText(id).empty() || (id >= 0 && id < n));
    (void)tok->TokenPiece(id, in.render_special);
    (void)tok->token_type(id);
    (void)tok->IsEndOfGeneration(id);
  }
  Check(IsValidUtf8(stream.Flush()));
  Check(stream.pending_bytes() == 0);
  for (TokenId id : tok->end_of_generation_ids()) Check(id >= 0 && id < n);
  return 0;
}
