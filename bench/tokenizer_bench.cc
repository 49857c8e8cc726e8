// Tokenizer encode throughput on ~1 MB of generated mixed text (English
// prose, C++ code, CJK, emoji, numbers), one thread, no special parsing.
//
//   bazel run -c opt //bench:tokenizer_bench -- [SHARED_DIR] [--mb=N]
//
// SHARED_DIR defaults to $EDGELLM_SHARED, else ../shared beside the
// workspace. Prints one JSON object: per tokenizer the token count, the best
// of 3 runs in seconds and MB/s (1 MB = 10^6 bytes of input).
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "runtime/tokenizer/tokenizer.h"

namespace {

using edgellm::tokenizer::Tokenizer;

// Deterministic mixed text of at least `bytes` bytes.
std::string MakeText(size_t bytes) {
  static const char* const kEnglish[] = {
      "The quick brown fox jumps over the lazy dog. ",
      "Once upon a time, there was a little girl named Lily who loved to "
      "play outside in the sunshine. ",
      "It's 2024 and we're shipping v1.2.3 of the runtime, isn't it great? ",
      "\"Hello,\" she said; (really!) -- then left.\n",
      "   Indented text\twith tabs\tand  double  spaces.\n\n",
  };
  static const char* const kCode[] = {
      "for (int i = 0; i < n; ++i) { sum += a[i] * b[i]; }\n",
      "def tokenize(text: str) -> list[int]:\n    return [ord(c) for c in "
      "text]\n",
      "    if (status.ok()) return absl::OkStatus();\n",
      "{\"ids\": [1, 2, 3], \"name\": \"edgellm\"}\n",
  };
  static const char* const kCjk[] = {
      "我想在苹果工作。今天天气很好，我们去公园散步吧。",
      "日本語のテキストも少し含めます。東京は大きな都市です。",
      "한국어 문장도 포함합니다. 서울은 아름답습니다. ",
      "Кириллица тоже встречается: привет, мир! ",
  };
  static const char* const kEmoji[] = {"🚀 ", "😶‍🌫️ ", "🦙 ",
                                       "✅ ", "👍🏽 ",       "🇫🇷 "};
  std::mt19937 rng(12345);
  std::string text;
  text.reserve(bytes + 256);
  while (text.size() < bytes) {
    switch (rng() % 8) {
      case 0:
      case 1:
      case 2:
        text += kEnglish[rng() % std::size(kEnglish)];
        break;
      case 3:
      case 4:
        text += kCode[rng() % std::size(kCode)];
        break;
      case 5:
        text += kCjk[rng() % std::size(kCjk)];
        break;
      case 6:
        text += kEmoji[rng() % std::size(kEmoji)];
        break;
      default:
        text += std::to_string(rng() % 10000000) + " " +
                std::to_string((rng() % 100000) / 100.0) + ", ";
        break;
    }
  }
  return text;
}

std::string DefaultSharedDir() {
  if (const char* env = std::getenv("EDGELLM_SHARED"); env && *env) return env;
  // `bazel run` starts in the runfiles tree; BUILD_WORKSPACE_DIRECTORY is
  // the checkout.
  if (const char* ws = std::getenv("BUILD_WORKSPACE_DIRECTORY"); ws && *ws) {
    return std::string(ws) + "/../shared";
  }
  return "../shared";
}

}  // namespace

int main(int argc, char** argv) {
  std::string shared = DefaultSharedDir();
  double mb = 1.0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--mb=", 0) == 0) {
      mb = std::atof(arg.c_str() + 5);
    } else {
      shared = arg;
    }
  }
  const std::string text = MakeText(static_cast<size_t>(mb * 1e6));
  const std::vector<std::string> models = {
      "vocab/ggml-vocab-llama-spm.gguf",
      "vocab/ggml-vocab-phi-3.gguf",
      "vocab/ggml-vocab-gpt-2.gguf",
      "vocab/ggml-vocab-deepseek-coder.gguf",
      "vocab/ggml-vocab-deepseek-llm.gguf",
      "vocab/ggml-vocab-falcon.gguf",
      "vocab/ggml-vocab-mpt.gguf",
      "vocab/ggml-vocab-starcoder.gguf",
      "vocab/ggml-vocab-refact.gguf",
      "vocab/ggml-vocab-qwen2.gguf",
      "vocab/ggml-vocab-llama-bpe.gguf",
      "vocab/ggml-vocab-bert-bge.gguf",
      "models/stories260K/tok512.bin",
  };
  static const char* const kKinds[] = {"spm", "bpe", "wordpiece", "llama2c"};
  nlohmann::json out;
  out["benchmark"] = "tokenizer_encode";
  out["text_bytes"] = text.size();
  out["threads"] = 1;
  out["results"] = nlohmann::json::array();
  for (const std::string& model : models) {
    const std::string path = shared + "/" + model;
    nlohmann::json r;
    r["model"] = model;
    auto tok = Tokenizer::Load(path);
    if (!tok.ok()) {
      r["error"] = std::string(tok.status().message());
      out["results"].push_back(r);
      continue;
    }
    r["kind"] = kKinds[static_cast<int>((*tok)->kind())];
    const std::string_view input = text;
    double best = 1e30;
    size_t n_tokens = 0;
    for (int run = 0; run < 3; ++run) {
      const auto t0 = std::chrono::steady_clock::now();
      const auto ids = (*tok)->Encode(input);
      const auto t1 = std::chrono::steady_clock::now();
      best = std::min(best, std::chrono::duration<double>(t1 - t0).count());
      n_tokens = ids.size();
    }
    r["input_bytes"] = input.size();
    r["tokens"] = n_tokens;
    r["seconds"] = best;
    r["mb_per_s"] = input.size() / 1e6 / best;
    out["results"].push_back(r);
  }
  std::cout << out.dump(2) << std::endl;
  return 0;
}
