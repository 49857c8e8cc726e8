// Writes the seed corpus for tokenizer_fuzzer into the directory given: the
// unit tests' small vocabularies (SentencePiece, byte-level BPE under every
// pre-tokenizer name, WordPiece) as GGUF metadata, and the llama2.c
// tokenizer.bin, each with texts that reach their special cases (byte
// fallback, invalid UTF-8, control-token text, digits, CJK, whitespace runs).
//
//   bazel run //tests/fuzz:make_tokenizer_seeds --
//   $PWD/tests/fuzz/corpus/tokenizer
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "runtime/gguf/gguf.h"
#include "runtime/gguf/writer.h"
#include "runtime/tokenizer/test_vocabs.h"
#include "runtime/tokenizer/tokenizer.h"
#include "tests/fuzz/tokenizer_fuzzer_input.h"

namespace {

using edgellm::gguf::GgufWriter;
using edgellm::tokenizer::TokenizerKind;
using edgellm::tokenizer::Vocab;
namespace fuzz = edgellm::fuzz;

std::string VocabAsGguf(const Vocab& v) {
  GgufWriter w;
  w.SetString("general.architecture", "llama");
  w.SetString("tokenizer.ggml.model", v.kind == TokenizerKind::kSpm   ? "llama"
                                      : v.kind == TokenizerKind::kBpe ? "gpt2"
                                                                      : "bert");
  if (!v.pre.empty()) w.SetString("tokenizer.ggml.pre", v.pre);
  w.SetStringArray("tokenizer.ggml.tokens", v.tokens);
  if (!v.scores.empty()) w.SetFloat32Array("tokenizer.ggml.scores", v.scores);
  if (!v.types.empty()) {
    std::vector<int32_t> types;
    for (auto t : v.types) types.push_back(static_cast<int32_t>(t));
    w.SetInt32Array("tokenizer.ggml.token_type", types);
  }
  if (!v.merges.empty()) w.SetStringArray("tokenizer.ggml.merges", v.merges);
  return *w.WriteToString();
}

bool Save(const std::string& dir, const std::string& name,
          const std::string& bytes) {
  std::ofstream out(dir + "/" + name, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  std::printf("%-32s %6zu bytes\n", name.c_str(), bytes.size());
  return static_cast<bool>(out);
}

// Texts for each vocabulary; the flags vary across them.
const std::vector<std::pair<std::string, uint8_t>>& Texts() {
  static const auto* texts = new std::vector<std::pair<std::string, uint8_t>>{
      {"hello world", fuzz::kAddSpecial | fuzz::kStripLeadingSpace},
      {" hello  <|im_end|><|endoftext|><user> aa\n\n\t 123456 caf\xC3\xA9",
       fuzz::kParseSpecial | fuzz::kRenderSpecial},
      {"\xE4\xBD\xA0\xE5\xA5\xBD, unaffable! \xF0\x9F\x98\x80 \x80\xFF\xC3 x",
       fuzz::kAddSpecial | fuzz::kParseSpecial},
  };
  return *texts;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_tokenizer_seeds OUT_DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  bool ok = true;
  auto add = [&](const std::string& name, uint8_t flags,
                 const std::string& text, const std::string& vocab) {
    const std::string input = fuzz::JoinTokenizerInput(flags, text, vocab);
    // Every seed must load, so the fuzzer starts from working vocabularies.
    const fuzz::TokenizerInput in = fuzz::SplitTokenizerInput(
        reinterpret_cast<const uint8_t*>(input.data()), input.size());
    bool loads;
    if (in.llama2c) {
      loads = edgellm::tokenizer::Tokenizer::FromLlama2cBuffer(in.vocab).ok();
    } else {
      auto file =
          edgellm::gguf::GgufFile::FromBuffer(in.vocab.data(), in.vocab.size());
      loads = file.ok() && edgellm::tokenizer::Tokenizer::FromGguf(**file).ok();
    }
    if (!loads) {
      std::fprintf(stderr, "%s: the vocabulary does not load\n", name.c_str());
      ok = false;
    }
    ok &= Save(dir, name, input);
  };
  namespace tv = edgellm::tokenizer::testing;
  const std::string spm = VocabAsGguf(tv::SmallSpmVocab());
  const std::string wordpiece = VocabAsGguf(tv::SmallWordPieceVocab());
  const std::string llama2c = tv::SmallLlama2cFile();
  for (size_t i = 0; i < Texts().size(); ++i) {
    const auto& [text, flags] = Texts()[i];
    const std::string n = std::to_string(i);
    add("spm_" + n, flags, text, spm);
    add("wordpiece_" + n, flags, text, wordpiece);
    add("llama2c_" + n, flags | fuzz::kLlama2c, text, llama2c);
  }
  // One seed per pre-tokenizer (their regexes differ), texts in turn.
  const char* pres[] = {"default",      "llama3",         "dbrx",
                        "deepseek-llm", "deepseek-coder", "deepseek-v3",
                        "falcon",       "starcoder",      "gpt-2",
                        "qwen2",        "poro-chat",      "viking",
                        "chatglm-bpe",  "tekken",         "gpt-4o",
                        "seed-coder",   "bailingmoe"};
  for (size_t i = 0; i < std::size(pres); ++i) {
    Vocab v = tv::SmallBpeVocab();
    v.pre = pres[i];
    const auto& [text, flags] = Texts()[i % Texts().size()];
    add(std::string("bpe_") + pres[i], flags, text, VocabAsGguf(v));
  }
  return ok ? 0 : 1;
}
