// Encoder throughput (texts/s) for batches of short texts, printed as JSON
// (benchmarks are programs that print JSON, never timed tests): how fast an
// embedding model turns N texts of T tokens into N vectors, one packed
// forward pass at a time (engine::EncoderEngine::EmbedIds: forward pass and
// pooling; tokenization excluded).
//
// By default it writes random-weight bge-small-shaped models (bert, 384
// wide, 12 layers; `edgellm make-model --shape bge-small`) at F32 and Q8_0.
// With --llama-embedding PATH it also runs llama.cpp's llama-embedding on the
// same file and the same texts, alternating with ours run by run, and reads
// llama.cpp's own "prompt eval time" (its decode time, load and
// tokenization excluded), so the two are measured side by side under the
// same load (docs/performance.md).
//
//   bazel run -c opt //bench:encoder_bench -- --threads=2 --batches=1,16,256
//       [--llama-embedding=/path/to/llama-embedding] [--model=FILE.gguf]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "bench/bench_model_file.h"
#include "bench/median.h"
#include "bench/system_info.h"
#include "nlohmann/json.hpp"
#include "runtime/engine/encoder_engine.h"
#include "runtime/model/random_model.h"

namespace {

using Clock = std::chrono::steady_clock;
using ::edgellm::bench::Median;
using edgellm::engine::EncoderEngine;

struct Flags {
  std::vector<std::string> models;  // empty: random bge-small F32 and Q8_0
  std::vector<int> batches = {1, 16, 256};
  int tokens = 16;  // per text, [CLS] and [SEP] included
  int threads = 2;
  int repeats = 5;
  std::string llama_embedding;  // path; empty: ours only
};

bool ParseFlags(int argc, char** argv, Flags* f) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](const char* name) -> const char* {
      const std::string prefix = std::string("--") + name + "=";
      return a.rfind(prefix, 0) == 0 ? argv[i] + prefix.size() : nullptr;
    };
    if (const char* v = value("model")) {
      f->models.push_back(v);
    } else if (const char* v = value("batches")) {
      f->batches.clear();
      for (absl::string_view s : absl::StrSplit(v, ',')) {
        int n;
        if (!absl::SimpleAtoi(s, &n) || n <= 0) return false;
        f->batches.push_back(n);
      }
    } else if (const char* v = value("tokens")) {
      if (!absl::SimpleAtoi(v, &f->tokens) || f->tokens < 3) return false;
    } else if (const char* v = value("threads")) {
      if (!absl::SimpleAtoi(v, &f->threads) || f->threads < 1) return false;
    } else if (const char* v = value("repeats")) {
      if (!absl::SimpleAtoi(v, &f->repeats) || f->repeats < 1) return false;
    } else if (const char* v = value("llama-embedding")) {
      f->llama_embedding = v;
    } else {
      std::fprintf(stderr,
                   "usage: encoder_bench [--model=F.gguf ...] "
                   "[--batches=1,16,256] [--tokens=16] [--threads=2] "
                   "[--repeats=5] [--llama-embedding=PATH]\n");
      return false;
    }
  }
  return true;
}

// Texts of exactly `tokens` tokens: tokens - 2 whole words of the
// vocabulary (word-initial pieces of lowercase letters, so each word is one
// token for any WordPiece tokenizer), [CLS] and [SEP] around them.
std::vector<std::string> MakeTexts(const EncoderEngine& e, int count,
                                   int tokens, std::mt19937& rng) {
  const edgellm::tokenizer::Tokenizer& tok = e.tokenizer();
  std::vector<std::string> words;
  const std::string marker = "\xE2\x96\x81";
  for (int32_t id = 0; id < tok.vocab_size(); ++id) {
    const std::string_view t = tok.TokenText(id);
    if (t.size() <= marker.size() || t.substr(0, marker.size()) != marker) {
      continue;
    }
    const std::string_view w = t.substr(marker.size());
    if (std::all_of(w.begin(), w.end(),
                    [](char c) { return c >= 'a' && c <= 'z'; })) {
      words.emplace_back(w);
    }
  }
  std::vector<std::string> texts;
  std::uniform_int_distribution<size_t> pick(0, words.size() - 1);
  while (static_cast<int>(texts.size()) < count) {
    std::vector<std::string> t;
    for (int i = 0; i < tokens - 2; ++i) t.push_back(words[pick(rng)]);
    std::string text = absl::StrJoin(t, " ");
    if (static_cast<int>(e.TokenizeForEmbedding(text).size()) == tokens) {
      texts.push_back(std::move(text));
    }
  }
  return texts;
}

// llama-embedding's decode time in seconds for the texts in `prompts`
// (its "prompt eval time"), or a negative value when the run failed.
double RunLlamaEmbedding(const Flags& f, const std::string& model,
                         const std::string& prompts, int texts,
                         const std::string& pooling) {
  const int ctx = std::max(512, texts * f.tokens);
  const std::string cmd = absl::StrCat(
      f.llama_embedding, " -m ", model, " -f ", prompts, " -t ", f.threads,
      " -tb ", f.threads, " -c ", ctx, " -b ", ctx, " -ub ", ctx, " -np ",
      texts, " --pooling ", pooling, " --embd-normalize 2 2>&1");
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return -1;
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof(buf), p)) out.append(buf, n);
  if (pclose(p) != 0) return -1;
  const size_t at = out.find("prompt eval time =");
  if (at == std::string::npos) return -1;
  double ms = -1;
  if (std::sscanf(out.c_str() + at, "prompt eval time = %lf ms", &ms) != 1) {
    return -1;
  }
  return ms / 1e3;
}

std::vector<std::string> DefaultModels() {
  std::vector<std::string> paths;
  for (const char* type : {"f32", "q8_0"}) {
    absl::StatusOr<std::string> path =
        edgellm::bench::WriteShapeModel({.bench = "encoder_bench",
                                         .shape = "bge-small",
                                         .type = type,
                                         .per_process = true});
    if (!path.ok()) return {};
    paths.push_back(*path);
  }
  return paths;
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  if (!ParseFlags(argc, argv, &f)) return 2;
  const bool own_models = f.models.empty();
  if (own_models) f.models = DefaultModels();
  if (f.models.empty()) {
    std::fprintf(stderr, "encoder_bench: cannot write the bge-small models\n");
    return 1;
  }
  nlohmann::json report;
  report["cpu"] = edgellm::bench::CpuModelName();
  report["threads"] = f.threads;
  report["tokens_per_text"] = f.tokens;
  report["repeats"] = f.repeats;
  report["load_average_1m_before"] = edgellm::bench::LoadAverage1m();
  report["llama_embedding"] = f.llama_embedding;
  nlohmann::json results = nlohmann::json::array();
  std::mt19937 rng(1);
  const int max_batch = *std::max_element(f.batches.begin(), f.batches.end());
  for (const std::string& model : f.models) {
    auto e = EncoderEngine::Load({.model_path = model,
                                  .threads = f.threads,
                                  .max_tokens = max_batch * f.tokens});
    if (!e.ok()) {
      std::fprintf(stderr, "encoder_bench: %s: %s\n", model.c_str(),
                   std::string(e.status().message()).c_str());
      return 1;
    }
    const std::string pooling(
        edgellm::model::EncoderPoolingName((*e)->default_pooling()));
    for (int n : f.batches) {
      const std::vector<std::string> texts = MakeTexts(**e, n, f.tokens, rng);
      std::vector<std::vector<int32_t>> ids;
      for (const std::string& t : texts) {
        ids.push_back((*e)->TokenizeForEmbedding(t));
      }
      const std::string prompts = absl::StrCat(model, ".prompts-", n, ".txt");
      std::ofstream(prompts) << absl::StrJoin(texts, "\n");
      // Warm up (packs, page faults, the pool), then alternate.
      if (!(*e)->EmbedIds(ids, {.normalize = true}).ok()) return 1;
      std::vector<double> ours, theirs;
      for (int r = 0; r < f.repeats; ++r) {
        const auto start = Clock::now();
        if (!(*e)->EmbedIds(ids, {.normalize = true}).ok()) return 1;
        ours.push_back(
            std::chrono::duration<double>(Clock::now() - start).count());
        if (!f.llama_embedding.empty()) {
          const double t = RunLlamaEmbedding(f, model, prompts, n, pooling);
          if (t > 0) theirs.push_back(t);
        }
      }
      std::remove(prompts.c_str());
      nlohmann::json row;
      row["model"] = model;
      row["file_type"] = (*e)->file().GetInt("general.file_type").value_or(-1);
      row["texts"] = n;
      row["tokens"] = n * f.tokens;
      const double t = Median(ours);
      row["edgellm_seconds"] = t;
      row["edgellm_texts_per_s"] = n / t;
      row["edgellm_all_seconds"] = ours;
      if (!theirs.empty()) {
        const double l = Median(theirs);
        row["llama_cpp_seconds"] = l;
        row["llama_cpp_texts_per_s"] = n / l;
        row["llama_cpp_all_seconds"] = theirs;
        row["speedup"] = l / t;
      }
      results.push_back(row);
      std::fprintf(
          stderr, "%s, %d texts: %.1f texts/s%s\n", model.c_str(), n, n / t,
          theirs.empty()
              ? ""
              : absl::StrCat(" (llama.cpp ", n / Median(theirs), ")").c_str());
    }
  }
  report["results"] = results;
  report["load_average_1m_after"] = edgellm::bench::LoadAverage1m();
  if (own_models) {
    for (const std::string& m : f.models) std::remove(m.c_str());
  }
  std::printf("%s\n", report.dump(2).c_str());
  return 0;
}
