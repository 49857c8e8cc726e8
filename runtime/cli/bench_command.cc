// `edgellm bench`: prompt-processing and generation throughput, in the
// spirit of llama.cpp's llama-bench (pp128/pp512/tg128 tokens/s,
// llama-bench's flags, one result per test).
//
//   pp<N>  N random token ids prefilled through Transformer::Forward in
//          chunks of --batch tokens (only the last token wants logits), from
//          position 0. tokens/s = N / time.
//   tg<N>  N single-token Forward steps (each wants logits) after a short
//          untimed prompt of --tg-prompt random tokens. tokens/s = N / time.
//
// Each test runs once to warm up (page cache, pool threads, caches), then
// --repetitions times; we report mean, sample standard deviation and median
// of the per-repetition tokens/s. Generation also reports the weight bytes
// streamed per second (every weight tensor is read once per token) against
// the machine's memory-read bandwidth measured in-process, i.e. how close
// decoding is to its memory roofline.
//
// -p and -n take comma-separated lists as llama-bench does (-p 128,512
// -n 128): one test per value, all pp tests first, then all tg tests, on one
// engine whose context and batch fit the largest. Each test's peak RSS is set
// against the memory budget of docs/performance.md: model file + KV cache +
// 64 MB.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/memory_bandwidth.h"
#include "bench/system_info.h"
#include "nlohmann/json.hpp"
#include "ops/kernels/dispatch.h"
#include "runtime/cli/commands.h"
#include "runtime/cli/kv_flags.h"
#include "runtime/engine/loaded_model.h"
#include "runtime/model/prepared_linear.h"
#include "runtime/model/random_model.h"
#include "runtime/model/weight_stats.h"
#include "util/status_macros.h"

namespace edgellm::cli {
namespace {

constexpr char kName[] = "edgellm bench";

// The budget (docs/performance.md): peak RSS <= model file + KV cache +
// 64 MB (MB = 1e6 bytes, as in the table): the slack covers code, the pool's
// threads, activations, logits and the tokenizer.
constexpr int64_t kRssSlackBytes = 64'000'000;

// A llama-bench count list such as "128,512" for flag `flag`: integers >= 0
// separated by commas, in order; 0 means "no test" and is dropped (so "0"
// alone skips the kind). Anything else is INVALID_ARGUMENT naming the entry.
absl::StatusOr<std::vector<int32_t>> ParseCountList(const std::string& flag,
                                                    const std::string& text) {
  std::vector<int32_t> counts;
  for (absl::string_view entry : absl::StrSplit(text, ',')) {
    entry = absl::StripAsciiWhitespace(entry);
    int32_t n = 0;
    if (entry.empty() || !absl::ascii_isdigit(entry.front()) ||
        !absl::SimpleAtoi(entry, &n) || n < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          flag, " \"", text, "\": entry \"", entry,
          "\" is not a token count >= 0 (want e.g. 128 or 128,512)"));
    }
    if (n > 0) counts.push_back(n);
  }
  return counts;
}

struct Stats {
  double mean = 0, sd = 0, median = 0;
  std::vector<double> samples;
  // Process CPU time over wall time x threads in the timed regions: 1 means
  // every thread had a core all the time; well below 1 means other
  // processes took the cores (or our threads slept) and tokens/s understates
  // what this machine does when quiet.
  double cpu_share = 0;
};

// Wall and process CPU time of one timed region.
struct Timing {
  absl::Duration wall;
  double cpu_seconds = 0;
};

class Stopwatch {
 public:
  Stopwatch() : wall_(absl::Now()), cpu_(bench::ProcessCpuSeconds()) {}
  Timing Elapsed() const {
    return {absl::Now() - wall_, bench::ProcessCpuSeconds() - cpu_};
  }

 private:
  absl::Time wall_;
  double cpu_;
};

Stats Summarize(std::vector<double> v) {
  Stats s;
  s.samples = v;
  if (v.empty()) return s;
  for (double x : v) s.mean += x;
  s.mean /= v.size();
  if (v.size() > 1) {
    double ss = 0;
    for (double x : v) ss += (x - s.mean) * (x - s.mean);
    s.sd = std::sqrt(ss / (v.size() - 1));
  }
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  s.median = v.size() % 2 == 1 ? v[m] : 0.5 * (v[m - 1] + v[m]);
  return s;
}

struct TestResult {
  std::string name;  // "pp128", "tg64"
  int32_t n_prompt = 0;
  int32_t n_gen = 0;
  Stats tokens_per_second;
  int64_t peak_rss_bytes = 0;  // after this test
};

// "2 streams, 2048 B" (bytes prefetched ahead) or "1 stream, no prefetch":
// the read pattern of the best bandwidth pass.
std::string ReadPattern(const bench::MemoryBandwidth& bw) {
  return absl::StrCat(bw.streams_per_thread,
                      bw.streams_per_thread == 1 ? " stream, " : " streams, ",
                      bw.prefetch_bytes == 0
                          ? std::string("no prefetch")
                          : absl::StrCat(bw.prefetch_bytes, " B"));
}

class Bench {
 public:
  Bench(engine::LoadedModel& engine, uint64_t seed)
      : engine_(engine), rng_(seed), logits_(engine.config().vocab_size) {}

  // One pass of pp: n tokens from position 0 in chunks of max_batch.
  absl::StatusOr<Timing> Prefill(int32_t n) {
    model::Transformer& t = engine_.transformer();
    const Stopwatch watch;
    for (int32_t begin = 0; begin < n; begin += t.max_batch()) {
      const int32_t end = std::min(n, begin + t.max_batch());
      batch_.clear();
      for (int32_t p = begin; p < end; ++p) {
        batch_.push_back({.token = RandomToken(),
                          .pos = p,
                          .slot = 0,
                          .want_logits = p == n - 1});
      }
      EDGELLM_RETURN_IF_ERROR(t.Forward(batch_, logits_.data()));
    }
    return watch.Elapsed();
  }

  // One pass of tg: an untimed prompt of `prompt` tokens, then n timed
  // single-token steps.
  absl::StatusOr<Timing> Generate(int32_t prompt, int32_t n) {
    if (prompt > 0) EDGELLM_RETURN_IF_ERROR(Prefill(prompt).status());
    model::Transformer& t = engine_.transformer();
    const Stopwatch watch;
    for (int32_t i = 0; i < n; ++i) {
      const model::BatchToken token{.token = RandomToken(),
                                    .pos = prompt + i,
                                    .slot = 0,
                                    .want_logits = true};
      EDGELLM_RETURN_IF_ERROR(t.Forward({&token, 1}, logits_.data()));
    }
    return watch.Elapsed();
  }

 private:
  int32_t RandomToken() {
    return std::uniform_int_distribution<int32_t>(
        0, engine_.config().vocab_size - 1)(rng_);
  }

  engine::LoadedModel& engine_;
  std::mt19937_64 rng_;
  std::vector<model::BatchToken> batch_;
  std::vector<float> logits_;
};

// Runs `pass` once to warm up, then `reps` times; tokens/s per repetition.
template <typename Pass>
absl::StatusOr<Stats> Repeat(int reps, int32_t tokens, size_t threads,
                             const Pass& pass) {
  EDGELLM_RETURN_IF_ERROR(pass().status());
  std::vector<double> tps;
  double wall = 0, cpu = 0;
  for (int r = 0; r < reps; ++r) {
    EDGELLM_ASSIGN_OR_RETURN(Timing t, pass());
    const double sec = absl::ToDoubleSeconds(t.wall);
    tps.push_back(tokens / sec);
    wall += sec;
    cpu += t.cpu_seconds;
  }
  Stats s = Summarize(tps);
  if (wall > 0) s.cpu_share = cpu / (wall * threads);
  return s;
}

// The cached random model for --shape NAME: written on first use to
// DIR/edgellm-random-NAME-q8_0.gguf (via a temporary name, so an interrupted
// write never leaves a truncated model behind).
absl::StatusOr<std::string> RandomModelPath(const std::string& shape,
                                            quant::FileType type,
                                            std::string dir) {
  EDGELLM_ASSIGN_OR_RETURN(model::RandomModelSpec spec,
                           model::NamedRandomModelSpec(shape));
  spec.file_type = type;
  if (dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    dir = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
  }
  const std::string path =
      absl::StrCat(dir, "/edgellm-random-", spec.name, "-",
                   quant::FileTypeName(spec.file_type), ".gguf");
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return path;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::InternalError(
        absl::StrCat("cannot create --model-dir ", dir, ": ", ec.message()));
  }
  std::cerr << kName << ": writing random-weight " << spec.name << " to "
            << path << "\n";
  const std::string partial = path + ".partial";
  EDGELLM_RETURN_IF_ERROR(
      model::WriteRandomModel(spec, partial, /*show_progress=*/true));
  std::filesystem::rename(partial, path, ec);
  if (ec) {
    return absl::InternalError(absl::StrCat("cannot rename ", partial, " to ",
                                            path, ": ", ec.message()));
  }
  return path;
}

std::string Gb(double bytes) { return absl::StrFormat("%.2f GB", bytes / 1e9); }

int RunBench(const ParsedArgs& args) {
  const std::string shape = args.GetString("shape");
  std::string model_path = args.GetString("model");
  if (model_path.empty() == shape.empty()) {
    std::cerr << kName << ": give exactly one of --model FILE or --shape NAME"
              << " (shapes:";
    for (const std::string& n : model::RandomModelNames())
      std::cerr << " " << n;
    std::cerr << ")\n";
    return 2;
  }
  absl::StatusOr<std::vector<int32_t>> pp_counts =
      ParseCountList("-p/--n-prompt", args.GetString("n-prompt"));
  absl::StatusOr<std::vector<int32_t>> tg_counts =
      ParseCountList("-n/--n-gen", args.GetString("n-gen"));
  for (const auto* counts : {&pp_counts, &tg_counts}) {
    if (!counts->ok()) {
      std::cerr << kName << ": " << counts->status().message() << "\n";
      return 2;
    }
  }
  const int32_t tg_prompt = static_cast<int32_t>(args.GetInt("tg-prompt"));
  const int reps = static_cast<int>(args.GetInt("repetitions"));
  const int32_t batch = static_cast<int32_t>(args.GetInt("batch"));
  const int64_t bandwidth_mb = args.GetInt("bandwidth-mb");
  const double bandwidth_seconds = args.GetDouble("bandwidth-seconds");
  if (tg_prompt < 0 || reps < 1 || batch < 1 || bandwidth_mb < 0 ||
      !(std::isfinite(bandwidth_seconds) && bandwidth_seconds >= 0)) {
    std::cerr << kName
              << ": --tg-prompt, --bandwidth-mb and --bandwidth-seconds must "
                 "be finite and >= 0, -r and --batch >= 1\n";
    return 2;
  }
  // The engine is sized for the largest test of each kind.
  int32_t max_prompt = 0, max_gen = 0;
  for (int32_t n : *pp_counts) max_prompt = std::max(max_prompt, n);
  for (int32_t n : *tg_counts) max_gen = std::max(max_gen, n);
  const int64_t context =
      std::max<int64_t>({max_prompt, int64_t{tg_prompt} + max_gen, 1});
  if (context > std::numeric_limits<int32_t>::max()) {
    std::cerr << kName << ": --tg-prompt " << tg_prompt << " + -n " << max_gen
              << " positions do not fit a context\n";
    return 2;
  }
  if (!shape.empty()) {
    absl::StatusOr<quant::FileType> type =
        quant::ParseFileType(args.GetString("type"));
    if (!type.ok()) {
      std::cerr << kName << ": --type: " << type.status().message() << "\n";
      return 2;
    }
    absl::StatusOr<std::string> path =
        RandomModelPath(shape, *type, args.GetString("model-dir"));
    if (!path.ok()) {
      std::cerr << kName << ": " << path.status().message() << "\n";
      return 1;
    }
    model_path = *path;
  }

  engine::LoadOptions eopts;
  eopts.model_path = model_path;
  eopts.threads = static_cast<int32_t>(args.GetInt("threads"));
  eopts.max_batch =
      std::max(1, std::min(batch, std::max(max_prompt, tg_prompt)));
  // Only as many KV positions as the largest test uses: a small cache keeps
  // the footprint that of the weights.
  eopts.context = static_cast<int32_t>(context);
  const std::string kv_type = args.GetString("kv-type");
  if (const std::optional<model::KvCacheType> type =
          model::ParseKvType(kv_type)) {
    eopts.kv_type = *type;
  } else {
    std::cerr << kName << ": --kv-type must be f32, f16 or q8_0\n";
    return 2;
  }
  KvPagingFlags paging;
  if (absl::Status st = ReadKvPagingFlags(args, &paging); !st.ok()) {
    std::cerr << kName << ": " << st.message() << "\n";
    return 2;
  }
  // The positions of one test are written from 0 on one slot: the paged
  // cache's table grows as they are written (no prefix reuse: a bench slot
  // is never started), so pp and tg read through the block table.
  eopts.paging.block_size = std::min<int32_t>(paging.block_size, eopts.context);
  eopts.paging.blocks = paging.blocks;
  eopts.paging.prefix_cache = paging.prefix_cache;
  absl::StatusOr<std::unique_ptr<engine::LoadedModel>> loaded =
      engine::LoadedModel::Load(eopts);
  if (!loaded.ok()) {
    std::cerr << kName << ": " << loaded.status().message() << "\n";
    return 1;
  }
  engine::LoadedModel& engine = **loaded;
  const model::ModelConfig& config = engine.config();
  // At the file's actual mix of weight types (model/weight_stats.h).
  const uint64_t bytes_per_token = model::WeightBytesPerToken(engine.file());
  const std::string weight_mix = model::WeightTypeMix(engine.file());
  const std::string kernels =
      model::LinearKernelSummary(model::WeightTypes(engine.file()));
  std::error_code ec;
  const uintmax_t file_bytes = std::filesystem::file_size(model_path, ec);
  // The cache as allocated: layers x slots x 2 (keys, values) x context x
  // kv_dim x element bytes (runtime/model/kv_cache.cc).
  const int64_t kv_bytes =
      static_cast<int64_t>(engine.transformer().kv_cache().bytes());
  // One sequence's keys and values at the bench's context in --kv-type.
  const int64_t kv_slot_bytes =
      static_cast<int64_t>(engine.transformer().kv_cache().bytes_per_slot());
  const int64_t rss_budget =
      static_cast<int64_t>(file_bytes) + kv_bytes + kRssSlackBytes;

  // The memory probe runs before and after the tests and the better one
  // counts, for the peak pass and for the sustained read alike: this
  // machine's memory speed drifts, and the roofline is what the machine can
  // do. The roofline is the peak pass (strict: a generation test streams
  // for seconds and cannot ride one fast 40 ms moment); the sustained read
  // is shown beside it, so a reader sees how much of the gap is the host
  // (bench/memory_bandwidth.h). The probe before the tests is only taken
  // where the peak RSS can be reset after it (its buffer must not count in
  // the tests' peak).
  bench::MemoryBandwidth bandwidth;
  // Runs the probe; keeps the better peak pass (and its pattern) and the
  // better sustained read.
  auto probe = [&]() -> bool {
    absl::StatusOr<bench::MemoryBandwidth> bw =
        bench::MeasureMemoryReadBandwidth(
            &engine.pool(), static_cast<size_t>(bandwidth_mb) << 20, 3,
            bandwidth_seconds);
    if (!bw.ok()) {
      std::cerr << kName << ": " << bw.status().message() << "\n";
      return false;
    }
    const bench::MemoryBandwidth kept = bandwidth;
    if (bw->best_gb_per_s > kept.best_gb_per_s) bandwidth = *bw;
    const bench::MemoryBandwidth& sustained =
        bw->sustained_gb_per_s >= kept.sustained_gb_per_s ? *bw : kept;
    bandwidth.sustained_gb_per_s = sustained.sustained_gb_per_s;
    bandwidth.sustained_seconds = sustained.sustained_seconds;
    bandwidth.sustained_passes = sustained.sustained_passes;
    return true;
  };
  if (bandwidth_mb > 0 && bench::ResetPeakRss()) {
    if (!probe()) return 1;
    bench::ResetPeakRss();
  }

  Bench bench(engine, static_cast<uint64_t>(args.GetInt("seed")));
  std::vector<TestResult> results;
  for (const int32_t n_prompt : *pp_counts) {
    const std::string name = absl::StrCat("pp", n_prompt);
    absl::StatusOr<Stats> s =
        Repeat(reps, n_prompt, engine.pool().num_threads(),
               [&] { return bench.Prefill(n_prompt); });
    if (!s.ok()) {
      std::cerr << kName << ": " << name << ": " << s.status().message()
                << "\n";
      return 1;
    }
    results.push_back({name, n_prompt, 0, *s, bench::PeakRssBytes()});
  }
  for (const int32_t n_gen : *tg_counts) {
    const std::string name = absl::StrCat("tg", n_gen);
    absl::StatusOr<Stats> s =
        Repeat(reps, n_gen, engine.pool().num_threads(),
               [&] { return bench.Generate(tg_prompt, n_gen); });
    if (!s.ok()) {
      std::cerr << kName << ": " << name << ": " << s.status().message()
                << "\n";
      return 1;
    }
    results.push_back({name, 0, n_gen, *s, bench::PeakRssBytes()});
  }
  // After the tests, so its buffer does not count in their peak RSS; the
  // best of this and the probe before the tests counts.
  if (bandwidth_mb > 0 && !probe()) return 1;
  const double bandwidth_gbs = bandwidth.best_gb_per_s;  // the roofline
  const double sustained_gbs = bandwidth.sustained_gb_per_s;

  const std::string cpu = bench::CpuModelName();
  const size_t threads = engine.pool().num_threads();
  const std::string kernel = ops::kernels::BestQ8_0GemmKernel().name;
  const double load = bench::LoadAverage1m();
  const std::string model_name =
      !shape.empty() ? absl::StrCat("random ", shape)
                     : (config.name.empty() ? model_path : config.name);

  const int64_t llc_bytes = bench::LastLevelCacheBytes();
  if (args.GetBool("json")) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const TestResult& r : results) {
      const Stats& s = r.tokens_per_second;
      nlohmann::ordered_json j = {
          {"name", r.name},
          {"n_prompt", r.n_prompt},
          {"n_gen", r.n_gen},
          {"repetitions", reps},
          {"tokens_per_second",
           {{"mean", s.mean},
            {"sd", s.sd},
            {"median", s.median},
            {"samples", s.samples}}},
          {"cpu_share", s.cpu_share},
          {"peak_rss_bytes", r.peak_rss_bytes},
          {"kv_cache_bytes", kv_bytes},
          {"kv_bytes_per_slot", kv_slot_bytes},
          {"rss_budget_bytes", rss_budget},
          {"rss_within_budget", r.peak_rss_bytes <= rss_budget},
          {"model",
           {{"path", model_path},
            {"name", model_name},
            {"architecture", config.architecture_name},
            {"file_bytes", file_bytes},
            {"weight_types", weight_mix},
            {"weight_bytes_per_token", bytes_per_token}}},
          {"machine",
           {{"cpu", cpu},
            {"threads", threads},
            {"kernel", kernel},
            {"kernels", kernels},
            {"memory_read_gb_per_s", bandwidth_gbs},
            {"memory_read_sustained_gb_per_s", sustained_gbs},
            {"memory_read_sustained_seconds", bandwidth.sustained_seconds},
            {"memory_read_streams_per_thread", bandwidth.streams_per_thread},
            {"memory_read_prefetch_bytes", bandwidth.prefetch_bytes},
            {"last_level_cache_bytes", llc_bytes},
            {"load_average_1m", load}}},
          {"settings",
           {{"batch", eopts.max_batch},
            {"tg_prompt", tg_prompt},
            {"context", engine.context()},
            {"kv_type", kv_type},
            {"kv_block_size", eopts.paging.block_size}}},
      };
      if (r.n_gen > 0) {
        const double gbs = bytes_per_token * s.mean / 1e9;
        j["weight_gb_per_s"] = gbs;
        if (bandwidth_gbs > 0) {
          j["roofline_tokens_per_second"] =
              bandwidth_gbs * 1e9 / bytes_per_token;
          j["roofline_fraction"] = gbs / bandwidth_gbs;
          if (sustained_gbs > 0) {
            j["sustained_read_fraction"] = gbs / sustained_gbs;
          }
        }
      }
      out.push_back(std::move(j));
    }
    std::cout << out.dump(2) << "\n";
    return 0;
  }

  std::string memory_read = "memory read not measured (--bandwidth-mb 0)";
  if (bandwidth_gbs > 0) {
    memory_read = absl::StrFormat(
        "memory read %.1f GB/s (best pass of 1/2/4 streams, prefetch; %s)",
        bandwidth_gbs, ReadPattern(bandwidth));
    if (sustained_gbs > 0) {
      absl::StrAppendFormat(&memory_read, ", %.1f GB/s sustained over %.1f s",
                            sustained_gbs, bandwidth.sustained_seconds);
    }
  }
  std::cout << absl::StrFormat(
      "model:   %s (%s file, %s of weights read per token; %s)\n"
      "machine: %s, %d threads, %s, %s, load average %.2f\n\n",
      model_name, Gb(file_bytes), Gb(bytes_per_token), weight_mix, cpu, threads,
      kernels.empty() ? absl::StrCat("q8_0 kernel ", kernel) : kernels,
      memory_read, load);
  std::cout << absl::StrFormat(
      "| %-7s | %17s | %8s | %5s | %9s | %10s | %11s |\n", "test", "tokens/s",
      "median", "cpu", "peak RSS", "weight", "roofline");
  std::cout << "|---------|-------------------|----------|-------|-----------|"
               "------------|-------------|\n";
  for (const TestResult& r : results) {
    const Stats& s = r.tokens_per_second;
    std::string weight = "", roof = "";
    if (r.n_gen > 0) {
      const double gbs = bytes_per_token * s.mean / 1e9;
      weight = absl::StrFormat("%.1f GB/s", gbs);
      if (bandwidth_gbs > 0) {
        roof = absl::StrFormat("%.0f%% of %.0f", 100 * gbs / bandwidth_gbs,
                               bandwidth_gbs * 1e9 / bytes_per_token);
      }
    }
    std::cout << absl::StrFormat(
        "| %-7s | %8.2f ± %6.2f | %8.2f | %4.0f%% | %6.0f MB | %10s | %11s |\n",
        r.name, s.mean, s.sd, s.median, 100 * s.cpu_share,
        r.peak_rss_bytes / 1e6, weight, roof);
  }
  if (llc_bytes > 0 && bytes_per_token <= static_cast<uint64_t>(llc_bytes)) {
    std::cout << absl::StrFormat(
        "\nnote: the %.0f MB of weights read per token fit in the %.0f MB "
        "last-level cache,\nso generation can beat the DRAM roofline above "
        "(weights stay cached between tokens).\n",
        bytes_per_token / 1e6, llc_bytes / 1e6);
  }
  if (!results.empty()) {
    // VmHWM only grows, so the last test's peak is the run's.
    const int64_t peak = results.back().peak_rss_bytes;
    std::cout << absl::StrFormat(
        "\nKV cache %s: %.2f MB per sequence at %d positions\n"
        "peak RSS %.0f MB %s budget %.0f MB (file %.0f + KV %.0f + %.0f)%s\n",
        kv_type, kv_slot_bytes / 1e6, engine.context(), peak / 1e6,
        peak <= rss_budget ? "<=" : ">", rss_budget / 1e6, file_bytes / 1e6,
        kv_bytes / 1e6, kRssSlackBytes / 1e6,
        peak <= rss_budget ? "" : ": OVER BUDGET");
  }
  return 0;
}

}  // namespace

Command BenchCommand() {
  return Command{
      .name = "bench",
      .summary = "measure prompt-processing and generation speed",
      .usage = "edgellm bench (--model MODEL.gguf | --shape NAME) [flags]",
      .details =
          "pp<N>: N random tokens prefilled in chunks of --batch. tg<N>: N\n"
          "single-token steps after a --tg-prompt token prompt. -p and -n "
          "take\n"
          "comma-separated lists as llama-bench does (-p 128,512 -n 128): one\n"
          "test per value, all pp tests then all tg tests, each its own row "
          "or\n"
          "JSON object; 0 skips. Each test runs once to warm up, then -r "
          "times:\n"
          "tokens/s mean ± sd and median, and cpu = process CPU time / (wall\n"
          "time x threads) while timed (well below 100% means other processes\n"
          "had the cores).\n"
          "Peak RSS (VmHWM after each test) is set against the budget model\n"
          "file + KV cache + 64 MB (MB = 1e6 bytes); the KV cache holds the\n"
          "largest test's positions.\n"
          "Generation is set against the memory roofline: weight bytes read\n"
          "per token x tokens/s, over the read bandwidth measured in-process\n"
          "before and after the tests (a parallel sum over a --bandwidth-mb\n"
          "buffer: the best pass of 1/2/4 streams per thread with and without\n"
          "prefetch is the roofline; that pattern read for\n"
          "--bandwidth-seconds gives the sustained rate shown beside it; the\n"
          "better probe counts; the machine line names the winning pattern;\n"
          "the peak RSS is reset after the first probe). --shape benches a\n"
          "random-weight model of a published shape, written once to\n"
          "--model-dir (default $TMPDIR or /tmp).",
      .flags = WithKvPagingFlags({
          {"model", FlagKind::kString, "", "GGUF model file", 'm'},
          {"shape", FlagKind::kString, "",
           "random-weight model shape instead of --model"},
          {"type", FlagKind::kString, "q8_0",
           "file type of the --shape model: q4_k_m, q4_0, q6_k, q8_0, "
           "..."},
          {"model-dir", FlagKind::kString, "",
           "where --shape models are cached"},
          {"threads", FlagKind::kInt, "0", "worker threads; 0 = one per core",
           't'},
          {"n-prompt", FlagKind::kString, "128",
           "prompt tokens of the pp tests, comma-separated (128,512); "
           "0 = skip",
           'p'},
          {"n-gen", FlagKind::kString, "64",
           "generated tokens of the tg tests, comma-separated; 0 = skip", 'n'},
          {"repetitions", FlagKind::kInt, "3", "timed runs of each test", 'r'},
          {"batch", FlagKind::kInt, "512", "prompt tokens per forward pass",
           'b'},
          {"tg-prompt", FlagKind::kInt, "16",
           "untimed prompt tokens before tg: the depth of the KV cache the "
           "generation runs at (-d, as llama-bench's -d)",
           'd'},
          {"kv-type", FlagKind::kString, "f32", kKvTypeFlagHelp},
          {"bandwidth-mb", FlagKind::kInt, "1024",
           "MiB read to measure memory bandwidth; 0 = skip"},
          {"bandwidth-seconds", FlagKind::kDouble, "1",
           "seconds of sustained reading per bandwidth probe, shown "
           "beside the peak pass; 0 = skip"},
          {"seed", FlagKind::kInt, "1", "seed of the random token ids"},
          {"json", FlagKind::kBool, "false",
           "print a JSON array, one object per test"},
      }),
      .run = RunBench,
  };
}

}  // namespace edgellm::cli
