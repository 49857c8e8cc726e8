// Total tokens/s of many concurrent short streams, the slab KV cache against
// the paged one ON THE SAME KV MEMORY (JSON on stdout).
//
// The fair comparison: both caches get the memory of `--slab-slots` slabs
// of `--ctx` positions. The slab can then run only that many streams at
// once (one slab each, whatever a stream uses; the rest wait in the
// queue); the paged cache gets the same bytes as one pool of blocks
// (--kv-blocks = slab-slots x ctx / block size) and `--streams` slots, so
// every stream whose tokens fit runs in the same batch. Each stream is a
// distinct `--prompt`-token prompt (no shared prefix) and `--gen` greedy
// tokens; all are submitted at once. Figures: generated tokens over the
// wall time from the first submission to the last final event, and the
// KV bytes each cache allocated (ModelInfo::kv_cache_bytes: equal by
// construction for a model without sliding-window layers; with them the
// paged cache adds its small window pools). A second pair of rows,
// "same_streams", gives the slab
// `--streams` slabs too: the same concurrency, and the memory the slab
// needs for it.
//
// Runs alternate slab / paged so machine noise hits both alike; medians
// are reported.
//
//   bazel run -c opt //bench:concurrent_streams_bench -- --shape smollm2-135m
#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
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
  int streams = 16;
  int slab_slots = 4;
  int ctx = 1024;
  int prompt = 32;
  int gen = 64;
  int runs = 3;
  int block_size = 16;
};

bool ParseFlags(int argc, char** argv, Flags* f) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    int* n = k == "--threads"         ? &f->threads
             : k == "--streams"       ? &f->streams
             : k == "--slab-slots"    ? &f->slab_slots
             : k == "--ctx"           ? &f->ctx
             : k == "--prompt"        ? &f->prompt
             : k == "--gen"           ? &f->gen
             : k == "--runs"          ? &f->runs
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
  return argc % 2 == 1 && f->prompt + f->gen < f->ctx;
}

struct Config {
  const char* name;
  int parallel;
  int block_size;  // 0: slab
  int blocks;
};

struct Run {
  double seconds = 0;
  int64_t generated = 0;
  int64_t kv_bytes = 0;
};

absl::StatusOr<Run> RunStreams(const std::string& path, const Flags& f,
                               const Config& c, int run) {
  edgellm::EngineOptions options;
  options.model_path = path;
  options.threads = f.threads;
  options.parallel = c.parallel;
  options.queue = f.streams;
  options.context = f.ctx;
  options.kv_block_size = c.block_size;
  options.kv_blocks = c.blocks;
  options.embedding_slot = false;
  absl::StatusOr<std::unique_ptr<edgellm::Engine>> engine =
      edgellm::Engine::Load(options);
  if (!engine.ok()) return engine.status();
  const int vocab = (*engine)->info().vocab_size;
  Run r;
  r.kv_bytes = (*engine)->info().kv_cache_bytes;
  std::vector<std::shared_ptr<edgellm::GenerationStream>> streams;
  const absl::Time start = absl::Now();
  for (int s = 0; s < f.streams; ++s) {
    edgellm::GenerateRequest q;
    q.prompt_ids = Tokens(f.prompt, 1 + s + run * f.streams, vocab);
    q.options.max_tokens = f.gen;
    q.options.ignore_eos = true;
    q.options.sampling.temperature = 0.0f;
    absl::StatusOr<std::shared_ptr<edgellm::GenerationStream>> stream =
        (*engine)->Submit(std::move(q));
    if (!stream.ok()) return stream.status();
    streams.push_back(*stream);
  }
  for (auto& stream : streams) {
    while (true) {
      std::optional<edgellm::StreamEvent> e = stream->Next(absl::Seconds(600));
      if (!e.has_value()) return absl::DeadlineExceededError("stream stalled");
      if (!e->final) continue;
      if (!e->status.ok()) return e->status;
      r.generated += e->stats.generated_tokens;
      break;
    }
  }
  r.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  if (!ParseFlags(argc, argv, &f)) {
    std::fprintf(stderr,
                 "usage: concurrent_streams_bench [--shape NAME | --model "
                 "FILE] [--threads N] [--streams N] [--slab-slots N] "
                 "[--ctx N] [--prompt N] [--gen N] [--runs N] "
                 "[--kv-block-size N] (prompt + gen < ctx)\n");
    return 2;
  }
  const absl::StatusOr<std::string> path = edgellm::bench::ModelFileFor(
      f.model, "concurrent_streams_bench", f.shape);
  if (!path.ok()) {
    std::fprintf(stderr, "%s\n", path.status().ToString().c_str());
    return 1;
  }
  // The slab's memory, as blocks of the paged pool.
  const int blocks = f.slab_slots * f.ctx / f.block_size;
  const Config configs[] = {
      {"slab", f.slab_slots, 0, 0},
      {"paged", f.streams, f.block_size, blocks},
      {"slab_same_streams", f.streams, 0, 0},
  };
  json rows = json::object();
  std::vector<std::vector<double>> tps(3);
  std::vector<Run> last(3);
  for (int run = 0; run < f.runs; ++run) {
    for (int i = 0; i < 3; ++i) {
      absl::StatusOr<Run> r = RunStreams(*path, f, configs[i], run);
      if (!r.ok()) {
        std::fprintf(stderr, "%s: %s\n", configs[i].name,
                     r.status().ToString().c_str());
        return 1;
      }
      tps[i].push_back(r->generated / r->seconds);
      last[i] = *r;
    }
  }
  for (int i = 0; i < 3; ++i) {
    rows[configs[i].name] = {{"parallel", configs[i].parallel},
                             {"kv_block_size", configs[i].block_size},
                             {"kv_blocks", configs[i].blocks},
                             {"kv_cache_bytes", last[i].kv_bytes},
                             {"generated_tokens", last[i].generated},
                             {"tokens_per_second", tps[i]},
                             {"tokens_per_second_median", Median(tps[i])}};
  }
  const json out = {
      {"model", f.model.empty() ? f.shape : f.model},
      {"threads", f.threads},
      {"streams", f.streams},
      {"ctx", f.ctx},
      {"prompt_tokens", f.prompt},
      {"generated_tokens_per_stream", f.gen},
      {"runs", f.runs},
      {"configs", rows},
      {"paged_over_slab_same_memory",
       Median(tps[1]) / std::max(Median(tps[0]), 1e-9)},
      {"paged_over_slab_same_streams",
       Median(tps[1]) / std::max(Median(tps[2]), 1e-9)},
  };
  std::printf("%s\n", out.dump(2).c_str());
  return 0;
}
