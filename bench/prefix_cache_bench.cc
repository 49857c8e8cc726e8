// The prefix cache's two figures (JSON on stdout):
//
//  1. Time to first token of a request whose first `--prefix` tokens are
//     cached (plus `--suffix` new ones) against the same request cold
//     (GenerateOptions::prefix_cache false), alternating cold / warm run by
//     run so machine noise hits both alike; each warm run has a fresh
//     suffix, so only the prefix is found in the cache.
//  2. A `--turns`-turn chat through the engine: each turn's prompt is the
//     conversation so far (earlier prompts and replies) plus a new user
//     message; the prefill tokens computed over all turns, with and without
//     the prefix cache, against the conversation's length.
//
//   bazel run -c opt //bench:prefix_cache_bench -- --shape smollm2-135m
//
// The model is a random-weight file of the named shape (make-model's), so
// the speed is that shape's; --model uses a real file instead.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "bench/bench_model_file.h"
#include "bench/median.h"
#include "nlohmann/json.hpp"
#include "runtime/engine/edgellm.h"

namespace {

using ::edgellm::bench::Median;
using ::edgellm::bench::Tokens;
using nlohmann::json;

struct Flags {
  std::string shape = "smollm2-135m";
  std::string model;
  int threads = 2;
  int prefix = 1000;
  int suffix = 10;
  int runs = 3;
  int turns = 10;
  int turn_tokens = 40;  // user message and reply per turn
  int block_size = 16;
};

bool ParseFlags(int argc, char** argv, Flags* f) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    int* n = k == "--threads"         ? &f->threads
             : k == "--prefix"        ? &f->prefix
             : k == "--suffix"        ? &f->suffix
             : k == "--runs"          ? &f->runs
             : k == "--turns"         ? &f->turns
             : k == "--turn-tokens"   ? &f->turn_tokens
             : k == "--kv-block-size" ? &f->block_size
                                      : nullptr;
    if (n != nullptr) {
      if (!absl::SimpleAtoi(v, n) || *n < 1) return false;
    } else if (k == "--shape") {
      f->shape = v;
    } else if (k == "--model") {
      f->model = v;
    } else {
      return false;
    }
  }
  return argc % 2 == 1;
}

edgellm::GenerateRequest Request(std::vector<int32_t> ids, int max_tokens,
                                 bool cache) {
  edgellm::GenerateRequest r;
  r.prompt_ids = std::move(ids);
  r.options.max_tokens = max_tokens;
  r.options.ignore_eos = true;
  r.options.sampling.temperature = 0.0f;
  r.options.prefix_cache = cache;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  if (!ParseFlags(argc, argv, &f)) {
    std::fprintf(stderr,
                 "usage: prefix_cache_bench [--shape NAME | --model FILE] "
                 "[--threads N] [--prefix N] [--suffix N] [--runs N] "
                 "[--turns N] [--turn-tokens N] [--kv-block-size N]\n");
    return 2;
  }
  const absl::StatusOr<std::string> path =
      edgellm::bench::ModelFileFor(f.model, "prefix_cache_bench", f.shape);
  if (!path.ok()) {
    std::fprintf(stderr, "%s\n", path.status().ToString().c_str());
    return 1;
  }
  edgellm::EngineOptions options;
  options.model_path = *path;
  options.threads = f.threads;
  options.parallel = 1;
  options.context = std::max(2048, f.prefix + f.suffix + 64);
  options.max_batch = 256;
  options.kv_block_size = f.block_size;
  options.embedding_slot = false;
  absl::StatusOr<std::unique_ptr<edgellm::Engine>> engine =
      edgellm::Engine::Load(options);
  if (!engine.ok()) {
    std::fprintf(stderr, "%s\n", engine.status().ToString().c_str());
    return 1;
  }
  const int vocab = (*engine)->info().vocab_size;
  const std::vector<int32_t> prefix = Tokens(f.prefix, 1, vocab);
  // Publish the prefix once.
  if (auto r = (*engine)->Generate(Request(prefix, 1, true)); !r.ok()) {
    std::fprintf(stderr, "%s\n", r.status().ToString().c_str());
    return 1;
  }
  std::vector<double> cold_ms, warm_ms;
  int cached = 0;
  for (int run = 0; run < f.runs; ++run) {
    for (bool warm : {false, true}) {
      std::vector<int32_t> ids = prefix;
      const std::vector<int32_t> suffix =
          Tokens(f.suffix, 1000 + run * 2 + warm, vocab);
      ids.insert(ids.end(), suffix.begin(), suffix.end());
      absl::StatusOr<edgellm::GenerateResult> r =
          (*engine)->Generate(Request(ids, 1, warm));
      if (!r.ok()) {
        std::fprintf(stderr, "%s\n", r.status().ToString().c_str());
        return 1;
      }
      const double ms =
          absl::ToDoubleMilliseconds(r->stats.time_to_first_token);
      (warm ? warm_ms : cold_ms).push_back(ms);
      if (warm) cached = r->stats.cached_prompt_tokens;
    }
  }
  // The chat: prompts grow by the reply and a new user message per turn.
  json chat = json::object();
  for (bool cache : {false, true}) {
    std::vector<int32_t> conversation;
    int64_t computed = 0, prompt_sum = 0;
    for (int turn = 0; turn < f.turns; ++turn) {
      const std::vector<int32_t> user =
          Tokens(f.turn_tokens, 5000 + turn, vocab);
      conversation.insert(conversation.end(), user.begin(), user.end());
      absl::StatusOr<edgellm::GenerateResult> r =
          (*engine)->Generate(Request(conversation, f.turn_tokens, cache));
      if (!r.ok()) {
        std::fprintf(stderr, "%s\n", r.status().ToString().c_str());
        return 1;
      }
      prompt_sum += r->stats.prompt_tokens;
      computed += r->stats.prompt_tokens - r->stats.cached_prompt_tokens;
      conversation.insert(conversation.end(), r->output_ids.begin(),
                          r->output_ids.end());
    }
    chat[cache ? "prefix_cache" : "no_prefix_cache"] = {
        {"prefill_tokens_computed", computed},
        {"prompt_tokens_sum", prompt_sum},
        {"conversation_tokens", conversation.size()}};
  }
  const json out = {
      {"model", f.model.empty() ? f.shape : f.model},
      {"threads", f.threads},
      {"kv_block_size", f.block_size},
      {"ttft",
       {{"prefix_tokens", f.prefix},
        {"suffix_tokens", f.suffix},
        {"runs", f.runs},
        {"cached_prompt_tokens", cached},
        {"cold_ms", cold_ms},
        {"warm_ms", warm_ms},
        {"cold_ms_median", Median(cold_ms)},
        {"warm_ms_median", Median(warm_ms)},
        {"warm_over_cold", Median(warm_ms) / Median(cold_ms)}}},
      {"chat",
       {{"turns", f.turns}, {"turn_tokens", f.turn_tokens}, {"runs", chat}}}};
  std::printf("%s\n", out.dump(2).c_str());
  return 0;
}
