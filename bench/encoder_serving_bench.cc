// Embeddings through the Engine's serving path (Engine::SubmitEmbed, the
// queue and scheduler `edgellm serve` runs), printed as JSON (benchmarks are
// programs that print JSON, never timed tests). Three parts:
//
//  1. "serving": an encoder model (default: random-weight bge-small files
//     at F32 and Q8_0, as bench/encoder_bench writes them) answering N
//     requests of one short text each, submitted one after another (each
//     waits for the last: a one-at-a-time client) and all at once (N
//     concurrent clients, which the encoder scheduler packs into shared
//     forward passes). texts/s of both, alternating run by run.
//  2. "flood": a decoder model (default: random smollm2-135m) whose Engine
//     generates and embeds (Embed on the embedding slot, chunks sharing the
//     scheduler's time with decode steps): one greedy generation's decode
//     tokens/s alone and, for `--window-seconds`, while `--flood-clients`
//     threads submit Embed requests of `--flood-texts` texts back to back,
//     and the texts/s those embeds get in such a window with and without
//     the generation (Contend says how the window is counted).
//  3. "pair": the same contention between two engines of one process, the
//     decoder generating and an encoder (default: random bge-small at Q8_0,
//     or --encoder) embedding, with one CpuShare and without.
//
//   bazel run -c opt //bench:encoder_serving_bench -- --threads=2 \
//       --requests=1,16,256 [--model=ENCODER.gguf ...] [--decoder=FILE.gguf]
//       [--encoder=ENCODER.gguf] [--parts=serving,flood,pair]
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/bench_model_file.h"
#include "bench/median.h"
#include "bench/system_info.h"
#include "nlohmann/json.hpp"
#include "runtime/engine/edgellm.h"

namespace {

using ::edgellm::bench::Median;
using nlohmann::json;

struct Flags {
  std::vector<std::string> models;  // encoders; empty: random bge-small
  std::string decoder;              // empty: random --decoder-shape
  std::string decoder_shape = "smollm2-135m";
  std::string encoder;  // for "pair"; empty: random bge-small at Q8_0
  std::vector<int> requests = {1, 16, 256};
  int words = 14;  // per text: with [CLS] and [SEP], 16 tokens on bge-small
  int threads = 2;
  int repeats = 3;
  int gen_tokens = 64;
  int flood_clients = 4;
  // Small requests, so that a window holds many of them (the rate counts
  // whole requests).
  int flood_texts = 4;
  int window_seconds = 8;
  bool serving = true;
  bool flood = true;
  bool pair = true;
};

bool ParseFlags(int argc, char** argv, Flags* f) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](const char* name) -> const char* {
      const std::string prefix = std::string("--") + name + "=";
      return a.rfind(prefix, 0) == 0 ? argv[i] + prefix.size() : nullptr;
    };
    auto positive = [](const char* v, int* out) {
      return absl::SimpleAtoi(v, out) && *out > 0;
    };
    const char* v = nullptr;
    bool ok = true;
    if ((v = value("model"))) {
      f->models.push_back(v);
    } else if ((v = value("decoder"))) {
      f->decoder = v;
    } else if ((v = value("encoder"))) {
      f->encoder = v;
    } else if ((v = value("decoder-shape"))) {
      f->decoder_shape = v;
    } else if ((v = value("requests"))) {
      f->requests.clear();
      for (absl::string_view s : absl::StrSplit(v, ',')) {
        int n = 0;
        ok = ok && absl::SimpleAtoi(s, &n) && n > 0;
        f->requests.push_back(n);
      }
    } else if ((v = value("words"))) {
      ok = positive(v, &f->words);
    } else if ((v = value("threads"))) {
      ok = positive(v, &f->threads);
    } else if ((v = value("repeats"))) {
      ok = positive(v, &f->repeats);
    } else if ((v = value("gen-tokens"))) {
      ok = positive(v, &f->gen_tokens) && f->gen_tokens > 1;
    } else if ((v = value("flood-clients"))) {
      ok = positive(v, &f->flood_clients);
    } else if ((v = value("flood-texts"))) {
      ok = positive(v, &f->flood_texts);
    } else if ((v = value("window-seconds"))) {
      ok = positive(v, &f->window_seconds);
    } else if ((v = value("parts"))) {
      f->serving = f->flood = f->pair = false;
      for (absl::string_view s : absl::StrSplit(v, ',')) {
        if (s == "serving") {
          f->serving = true;
        } else if (s == "flood") {
          f->flood = true;
        } else if (s == "pair") {
          f->pair = true;
        } else {
          ok = false;
        }
      }
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr,
                   "usage: encoder_serving_bench [--model=ENCODER.gguf ...] "
                   "[--decoder=F.gguf | --decoder-shape=NAME] "
                   "[--encoder=ENCODER.gguf] "
                   "[--requests=1,16,256] [--words=14] [--threads=2] "
                   "[--repeats=3] [--gen-tokens=64] [--flood-clients=4] "
                   "[--flood-texts=4] [--window-seconds=8] "
                   "[--parts=serving,flood,pair]\n");
      return false;
    }
  }
  return true;
}

// Retrieval-style words that are whole tokens of make-model's WordPiece
// vocabulary (and of real English vocabularies).
constexpr const char* kWords[] = {
    "the",   "of",       "and",      "to",       "in",    "is",     "for",
    "on",    "with",     "what",     "how",      "which", "model",  "document",
    "query", "search",   "text",     "language", "data",  "answer", "city",
    "red",   "blue",     "ball",     "car",      "book",  "river",  "music",
    "phone", "computer", "mountain", "vector",   "rank"};

std::vector<std::string> MakeTexts(int count, int words, std::mt19937& rng) {
  std::uniform_int_distribution<size_t> pick(0, std::size(kWords) - 1);
  std::vector<std::string> texts;
  for (int i = 0; i < count; ++i) {
    std::vector<std::string> t;
    for (int w = 0; w < words; ++w) t.push_back(kWords[pick(rng)]);
    texts.push_back(absl::StrJoin(t, " "));
  }
  return texts;
}

// Writes make-model's `shape` at `type` ("" = the shape's own) for this
// run (removed at the end); the path.
absl::StatusOr<std::string> WriteShape(const std::string& shape,
                                       const std::string& type) {
  return edgellm::bench::WriteShapeModel({.bench = "encoder_serving_bench",
                                          .shape = shape,
                                          .type = type,
                                          .per_process = true});
}

// Embeds `texts` as one request per text; `concurrent`: all submitted
// before any is waited for. Seconds from the first submit to the last
// result, or a negative value on failure. Adds each request's queue time
// (ms) to `queue_ms`.
double EmbedRequests(edgellm::Engine& engine,
                     const std::vector<std::string>& texts, bool concurrent,
                     std::vector<double>* queue_ms) {
  const absl::Time start = absl::Now();
  std::vector<std::shared_ptr<edgellm::EmbedCall>> calls;
  auto wait = [&](edgellm::EmbedCall& call) {
    std::optional<edgellm::EmbedResult> r = call.Wait(absl::InfiniteDuration());
    if (!r || !r->status.ok()) return false;
    queue_ms->push_back(absl::ToDoubleMilliseconds(r->queue_time));
    return true;
  };
  for (const std::string& t : texts) {
    edgellm::EmbedRequest request;
    request.texts = {t};
    request.options.normalize = true;
    absl::StatusOr<std::shared_ptr<edgellm::EmbedCall>> call =
        engine.SubmitEmbed(std::move(request));
    if (!call.ok()) {
      std::fprintf(stderr, "encoder_serving_bench: %s\n",
                   call.status().ToString().c_str());
      return -1;
    }
    if (!concurrent && !wait(**call)) return -1;
    if (concurrent) calls.push_back(std::move(*call));
  }
  for (auto& call : calls) {
    if (!wait(*call)) return -1;
  }
  return absl::ToDoubleSeconds(absl::Now() - start);
}

// Part 1: one-at-a-time against concurrent requests on an encoder.
absl::StatusOr<json> ServingRows(const Flags& f, const std::string& model,
                                 std::mt19937& rng) {
  const int most = *std::max_element(f.requests.begin(), f.requests.end());
  absl::StatusOr<std::unique_ptr<edgellm::Engine>> engine =
      edgellm::Engine::Load(
          {.model_path = model, .threads = f.threads, .queue = most});
  if (!engine.ok()) return engine.status();
  json rows = json::array();
  for (int n : f.requests) {
    const std::vector<std::string> texts = MakeTexts(n, f.words, rng);
    std::vector<double> warm;
    if (EmbedRequests(**engine, texts, true, &warm) < 0) {
      return absl::InternalError("an embedding request failed");
    }
    std::vector<double> sequential, concurrent, queue_ms;
    for (int r = 0; r < f.repeats; ++r) {
      std::vector<double> unused;
      const double s = EmbedRequests(**engine, texts, false, &unused);
      const double c = EmbedRequests(**engine, texts, true, &queue_ms);
      if (s < 0 || c < 0) {
        return absl::InternalError("an embedding request failed");
      }
      sequential.push_back(s);
      concurrent.push_back(c);
    }
    const double s = Median(sequential), c = Median(concurrent);
    rows.push_back({{"model", model},
                    {"quantization", (*engine)->info().quantization},
                    {"requests", n},
                    {"one_at_a_time_seconds", s},
                    {"one_at_a_time_texts_per_s", n / s},
                    {"concurrent_seconds", c},
                    {"concurrent_texts_per_s", n / c},
                    {"concurrent_median_queue_ms", Median(queue_ms)},
                    {"one_at_a_time_all_seconds", sequential},
                    {"concurrent_all_seconds", concurrent}});
    std::fprintf(stderr,
                 "%s, %d requests: %.1f texts/s one at a time, %.1f "
                 "concurrent\n",
                 model.c_str(), n, n / s, n / c);
  }
  return rows;
}

// Embeds back to back on `clients` threads until `stop`; counts texts.
class Flood {
 public:
  Flood(edgellm::Engine* engine, const Flags& f, std::mt19937& rng)
      : texts_(MakeTexts(f.flood_texts, f.words, rng)) {
    for (int c = 0; c < f.flood_clients; ++c) {
      threads_.emplace_back([this, engine] {
        while (!stop_.load()) {
          edgellm::EmbedRequest request;
          request.texts = texts_;
          absl::StatusOr<edgellm::EmbedResult> r =
              engine->Embed(std::move(request));
          absl::MutexLock lock(&mu_);
          if (!r.ok()) {
            failed_ = true;
            return;
          }
          finished_.push_back({absl::Now(), r->vectors.size()});
        }
      });
    }
  }
  // Waits (up to `limit`) until `requests` requests have finished: from
  // then on every client is in its steady cycle of requests.
  void AwaitFinished(size_t requests, absl::Duration limit) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return failed_ || finished_.size() >= requests;
    };
    mu_.AwaitWithTimeout(absl::Condition(&enough), limit);
  }
  // The texts of the requests that finished within [from, to].
  int64_t TextsBetween(absl::Time from, absl::Time to) {
    absl::MutexLock lock(&mu_);
    int64_t texts = 0;
    for (const Finished& d : finished_) {
      if (d.at >= from && d.at <= to) texts += static_cast<int64_t>(d.texts);
    }
    return texts;
  }
  void Stop() {
    stop_.store(true);
    for (std::thread& t : threads_) t.join();
    threads_.clear();
  }
  bool failed() {
    absl::MutexLock lock(&mu_);
    return failed_;
  }
  ~Flood() { Stop(); }

 private:
  struct Finished {
    absl::Time at;
    size_t texts;
  };
  const std::vector<std::string> texts_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
  absl::Mutex mu_;
  bool failed_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<Finished> finished_ ABSL_GUARDED_BY(mu_);
};

// The embed rate of a flood in its steady state: its requests run in
// cycles (a client's next starts when its last ends; an encoder packs the
// clients' texts into one pass), so counting from the flood's start, or
// until every request in flight has ended, would count whole cycles that
// fall partly outside the window. The window opens once every client has
// finished a request (at most 60 s) and the rate is the texts of the
// requests that finished inside it, over its length.
constexpr absl::Duration kFloodWarmupLimit = absl::Seconds(60);

// Greedy generations of f.gen_tokens on `gen`, one alone and then back to
// back for at least --window-seconds while an embedding flood runs on
// `embed` (the same engine or another), and the flood alone for as long;
// `repeats` times, alternating. The figures' medians and samples.
absl::StatusOr<json> Contend(edgellm::Engine& gen, edgellm::Engine& embed,
                             const Flags& f, std::mt19937& rng) {
  edgellm::GenerateRequest request;
  request.prompt = MakeTexts(1, 32, rng)[0];
  request.options.max_tokens = f.gen_tokens;
  request.options.ignore_eos = true;
  request.options.sampling.temperature = 0.0f;
  auto generate = [&]() -> absl::StatusOr<edgellm::RequestStats> {
    absl::StatusOr<edgellm::GenerateResult> r = gen.Generate(request);
    if (!r.ok()) return r.status();
    return r->stats;
  };
  if (absl::StatusOr<edgellm::RequestStats> warm = generate(); !warm.ok()) {
    return warm.status();
  }
  const absl::Duration window = absl::Seconds(f.window_seconds);
  const size_t warm_requests = static_cast<size_t>(f.flood_clients);
  std::vector<double> alone, flooded, flood_with_gen, flood_alone;
  for (int r = 0; r < f.repeats; ++r) {
    absl::StatusOr<edgellm::RequestStats> a = generate();
    if (!a.ok()) return a.status();
    alone.push_back(a->tokens_per_second());

    absl::Duration took;
    {
      Flood flood(&embed, f, rng);
      flood.AwaitFinished(warm_requests, kFloodWarmupLimit);
      const absl::Time start = absl::Now();
      std::vector<double> rates;  // of the generations in the window
      while (rates.empty() || absl::Now() - start < window) {
        absl::StatusOr<edgellm::RequestStats> b = generate();
        if (!b.ok()) return b.status();
        rates.push_back(b->tokens_per_second());
      }
      const absl::Time end = absl::Now();
      took = end - start;
      flooded.push_back(Median(rates));
      flood_with_gen.push_back(flood.TextsBetween(start, end) /
                               absl::ToDoubleSeconds(took));
      flood.Stop();
      if (flood.failed()) return absl::InternalError("an Embed failed");
    }
    Flood flood(&embed, f, rng);
    flood.AwaitFinished(warm_requests, kFloodWarmupLimit);
    const absl::Time start = absl::Now();
    absl::SleepFor(took);
    flood_alone.push_back(flood.TextsBetween(start, absl::Now()) /
                          absl::ToDoubleSeconds(took));
    flood.Stop();
    if (flood.failed()) return absl::InternalError("an Embed failed");
  }
  const double ga = Median(alone), gf = Median(flooded);
  const double ea = Median(flood_alone), ef = Median(flood_with_gen);
  return json{{"generated_tokens", f.gen_tokens},
              {"window_seconds", f.window_seconds},
              {"flood_clients", f.flood_clients},
              {"flood_texts_per_request", f.flood_texts},
              {"generation_tokens_per_s_alone", ga},
              {"generation_tokens_per_s_with_flood", gf},
              {"embed_texts_per_s_with_generation", ef},
              {"embed_texts_per_s_alone", ea},
              // Each side's fraction of its speed alone: about 0.5 each is
              // a fair half of the CPU each; their sum above 1 is what
              // running both at once gains.
              {"generation_fraction_of_alone", ga > 0 ? gf / ga : 0.0},
              {"embed_fraction_of_alone", ea > 0 ? ef / ea : 0.0},
              {"all_generation_tokens_per_s_alone", alone},
              {"all_generation_tokens_per_s_with_flood", flooded},
              {"all_embed_texts_per_s_with_generation", flood_with_gen},
              {"all_embed_texts_per_s_alone", flood_alone}};
}

void PrintContention(const std::string& what, const json& row) {
  std::fprintf(stderr,
               "%s: generation %.1f tok/s alone, %.1f with the flood; "
               "embeds %.1f texts/s beside it, %.1f alone\n",
               what.c_str(), row["generation_tokens_per_s_alone"].get<double>(),
               row["generation_tokens_per_s_with_flood"].get<double>(),
               row["embed_texts_per_s_with_generation"].get<double>(),
               row["embed_texts_per_s_alone"].get<double>());
}

// Part 2: one decoder engine that generates and embeds (its pooled hidden
// states, on the embedding slot, between decode steps).
absl::StatusOr<json> FloodRows(const Flags& f, const std::string& model,
                               std::mt19937& rng) {
  absl::StatusOr<std::unique_ptr<edgellm::Engine>> engine =
      edgellm::Engine::Load({.model_path = model,
                             .threads = f.threads,
                             .context = 512,
                             .parallel = 1,
                             .queue = f.flood_clients + 4});
  if (!engine.ok()) return engine.status();
  absl::StatusOr<json> row = Contend(**engine, **engine, f, rng);
  if (!row.ok()) return row.status();
  (*row)["model"] = model;
  (*row)["quantization"] = (*engine)->info().quantization;
  PrintContention(model, *row);
  return row;
}

// Part 3: a decoder engine generating beside an encoder engine embedding,
// in one process, with one CpuShare (`shared`) or none (both thread pools
// on the same cores at once).
absl::StatusOr<json> PairRow(const Flags& f, const std::string& decoder,
                             const std::string& encoder, bool shared,
                             std::mt19937& rng) {
  std::shared_ptr<edgellm::CpuShare> share =
      shared ? edgellm::CpuShare::Create() : nullptr;
  edgellm::EngineOptions d{.model_path = decoder,
                           .threads = f.threads,
                           .context = 512,
                           .parallel = 1};
  d.embedding_slot = false;
  d.cpu_share = share;
  edgellm::EngineOptions e{.model_path = encoder,
                           .threads = f.threads,
                           .queue = f.flood_clients + 4};
  e.cpu_share = share;
  absl::StatusOr<std::unique_ptr<edgellm::Engine>> gen =
      edgellm::Engine::Load(d);
  if (!gen.ok()) return gen.status();
  absl::StatusOr<std::unique_ptr<edgellm::Engine>> embed =
      edgellm::Engine::Load(e);
  if (!embed.ok()) return embed.status();
  absl::StatusOr<json> row = Contend(**gen, **embed, f, rng);
  if (!row.ok()) return row.status();
  (*row)["decoder"] = decoder;
  (*row)["decoder_quantization"] = (*gen)->info().quantization;
  (*row)["encoder"] = encoder;
  (*row)["encoder_quantization"] = (*embed)->info().quantization;
  (*row)["cpu_share"] = shared;
  PrintContention(shared ? "pair, one CpuShare" : "pair, no CpuShare", *row);
  return row;
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "encoder_serving_bench: %s\n",
               status.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  if (!ParseFlags(argc, argv, &f)) return 2;
  std::vector<std::string> written;
  if (f.serving && f.models.empty()) {
    for (const char* type : {"f32", "q8_0"}) {
      absl::StatusOr<std::string> path = WriteShape("bge-small", type);
      if (!path.ok()) return Fail(path.status());
      f.models.push_back(*path);
      written.push_back(*path);
    }
  }
  if (f.pair && f.encoder.empty()) {
    absl::StatusOr<std::string> path = WriteShape("bge-small", "q8_0");
    if (!path.ok()) return Fail(path.status());
    f.encoder = *path;
    written.push_back(*path);
  }
  if ((f.flood || f.pair) && f.decoder.empty()) {
    absl::StatusOr<std::string> path = WriteShape(f.decoder_shape, "");
    if (!path.ok()) return Fail(path.status());
    f.decoder = *path;
    written.push_back(*path);
  }
  json report = {{"cpu", edgellm::bench::CpuModelName()},
                 {"threads", f.threads},
                 {"words_per_text", f.words},
                 {"repeats", f.repeats},
                 {"load_average_1m_before", edgellm::bench::LoadAverage1m()}};
  std::mt19937 rng(1);
  int code = 0;
  if (f.serving) {
    json rows = json::array();
    for (const std::string& model : f.models) {
      absl::StatusOr<json> r = ServingRows(f, model, rng);
      if (!r.ok()) {
        code = Fail(r.status());
        break;
      }
      for (json& row : *r) rows.push_back(std::move(row));
    }
    report["serving"] = rows;
  }
  if (f.flood && code == 0) {
    absl::StatusOr<json> r = FloodRows(f, f.decoder, rng);
    if (r.ok()) {
      report["flood"] = *r;
    } else {
      code = Fail(r.status());
    }
  }
  if (f.pair && code == 0) {
    json rows = json::array();
    for (bool shared : {true, false}) {
      absl::StatusOr<json> r = PairRow(f, f.decoder, f.encoder, shared, rng);
      if (!r.ok()) {
        code = Fail(r.status());
        break;
      }
      rows.push_back(std::move(*r));
    }
    report["pair"] = rows;
  }
  report["load_average_1m_after"] = edgellm::bench::LoadAverage1m();
  for (const std::string& p : written) std::remove(p.c_str());
  if (code == 0) std::printf("%s\n", report.dump(2).c_str());
  return code;
}
