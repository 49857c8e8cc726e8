// `edgellm generate`: stream a completion of a prompt to stdout.
#include <cstdio>
#include <iostream>
#include <string>

#include "nlohmann/json.hpp"
#include "runtime/cli/commands.h"
#include "runtime/cli/kv_flags.h"
#include "runtime/engine/edgellm.h"

namespace edgellm::cli {
namespace {

int RunGenerate(const ParsedArgs& args) {
  const bool json = args.GetBool("json");
  EngineOptions eopts;
  eopts.model_path = args.GetString("model");
  if (eopts.model_path.empty()) {
    std::cerr << "edgellm generate: --model is required\n";
    return 2;
  }
  eopts.threads = static_cast<int32_t>(args.GetInt("threads"));
  eopts.context = static_cast<int32_t>(args.GetInt("ctx"));
  eopts.max_batch = static_cast<int32_t>(args.GetInt("batch"));
  const std::string kv_type = args.GetString("kv-type");
  // One stream: no embedding slot, nothing waiting.
  eopts.embedding_slot = false;
  eopts.queue = 0;
  if (kv_type == "f16") {
    eopts.kv_type = KvCacheType::kF16;
  } else if (kv_type == "q8_0") {
    eopts.kv_type = KvCacheType::kQ8_0;
  } else if (kv_type != "f32") {
    std::cerr << "edgellm generate: --kv-type must be f32, f16 or q8_0\n";
    return 2;
  }
  KvPagingFlags paging;
  if (absl::Status st = ReadKvPagingFlags(args, &paging); !st.ok()) {
    std::cerr << "edgellm generate: " << st.message() << "\n";
    return 2;
  }
  eopts.kv_block_size = paging.block_size;
  eopts.kv_blocks = paging.blocks;
  eopts.prefix_cache = paging.prefix_cache;
  eopts.context_shift = static_cast<int32_t>(args.GetInt("context-shift"));
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Load(eopts);
  if (!engine.ok()) {
    std::cerr << "edgellm generate: " << engine.status().message() << "\n";
    return 1;
  }
  GenerateRequest request;
  GenerateOptions& options = request.options;
  options.max_tokens = static_cast<int32_t>(args.GetInt("max-tokens"));
  options.ignore_eos = args.GetBool("ignore-eos");
  if (!args.GetString("stop").empty()) options.stop = {args.GetString("stop")};
  SamplingParams& s = options.sampling;
  s.temperature = static_cast<float>(args.GetDouble("temperature"));
  s.top_k = static_cast<int>(args.GetInt("top-k"));
  s.top_p = static_cast<float>(args.GetDouble("top-p"));
  s.min_p = static_cast<float>(args.GetDouble("min-p"));
  s.repetition_penalty = static_cast<float>(args.GetDouble("repeat-penalty"));
  s.presence_penalty = static_cast<float>(args.GetDouble("presence-penalty"));
  s.frequency_penalty = static_cast<float>(args.GetDouble("frequency-penalty"));
  s.seed = static_cast<uint64_t>(args.GetInt("seed"));

  request.prompt = args.GetString("prompt");
  request.parse_special = args.GetBool("parse-special");
  if (request.prompt.empty()) {
    // An empty prompt is the model's BOS alone, as the tokenizer gives it.
    request.prompt_ids =
        (*engine)->Tokenize("", /*add_special=*/true, request.parse_special);
  }
  absl::StatusOr<GenerateResult> result =
      (*engine)->Generate(std::move(request), [json](const TokenEvent& e) {
        if (!json) {
          std::fwrite(e.text.data(), 1, e.text.size(), stdout);
          std::fflush(stdout);
        }
        return true;
      });
  if (!result.ok()) {
    std::cerr << "\nedgellm generate: " << result.status().message() << "\n";
    return 1;
  }
  const ModelInfo& info = (*engine)->info();
  const double ttft_ms =
      absl::ToDoubleMilliseconds(result->stats.time_to_first_token);
  const double load_ms = absl::ToDoubleMilliseconds(info.load_time);
  if (json) {
    nlohmann::json out;
    out["prompt_ids"] = result->prompt_ids;
    out["output_ids"] = result->output_ids;
    out["text"] = result->text;
    out["finish_reason"] = std::string(FinishReasonName(result->finish_reason));
    out["kv_cache"] = {
        {"bytes", info.kv_cache_bytes},
        {"context", info.context_length},
        {"type", kv_type},
        {"block_size", eopts.kv_block_size},
    };
    out["timings"] = {
        {"load_ms", load_ms},
        {"time_to_first_token_ms", ttft_ms},
        {"prompt_tokens", result->stats.prompt_tokens},
        {"prompt_tokens_per_second", result->stats.prompt_tokens_per_second()},
        {"generated_tokens", result->stats.generated_tokens},
        {"generated_tokens_per_second", result->stats.tokens_per_second()},
        {"context_shifts", result->stats.context_shifts},
        {"context_shift_dropped_tokens",
         result->stats.context_shift_dropped_tokens},
    };
    // Invalid UTF-8 never reaches here (the detokenizer emits complete
    // characters), but replace rather than throw if it does.
    std::cout << out.dump(-1, ' ', false,
                          nlohmann::json::error_handler_t::replace)
              << "\n";
  } else {
    std::fputs("\n", stdout);
    std::fflush(stdout);
    std::fprintf(stderr,
                 "[%s] load %.1f ms, KV cache %.1f MiB (%d positions, %s), "
                 "prompt %d tokens (%.1f tok/s), "
                 "generated %d tokens (%.1f tok/s), first token %.1f ms\n",
                 std::string(FinishReasonName(result->finish_reason)).c_str(),
                 load_ms, info.kv_cache_bytes / 1048576.0, info.context_length,
                 kv_type.c_str(), result->stats.prompt_tokens,
                 result->stats.prompt_tokens_per_second(),
                 result->stats.generated_tokens,
                 result->stats.tokens_per_second(), ttft_ms);
  }
  return 0;
}

}  // namespace

Command GenerateCommand() {
  return Command{
      .name = "generate",
      .summary = "generate text from a prompt, streamed to stdout",
      .usage = "edgellm generate --model MODEL.gguf --prompt TEXT [flags]",
      .details =
          "The prompt is encoded as the model's tokenizer does by default "
          "(BOS\n"
          "per the file's metadata). Text streams to stdout as it is "
          "generated;\n"
          "a timing line goes to stderr. --temperature 0 is greedy decoding.",
      .flags = WithKvPagingFlags({
          {"model", FlagKind::kString, "", "GGUF model file", 'm'},
          {"prompt", FlagKind::kString, "", "prompt text", 'p'},
          {"max-tokens", FlagKind::kInt, "128", "tokens to generate at most",
           'n'},
          {"temperature", FlagKind::kDouble, "0.8",
           "sampling temperature; 0 = greedy"},
          {"top-k", FlagKind::kInt, "40",
           "keep the k most likely tokens; 0 = off"},
          {"top-p", FlagKind::kDouble, "0.95",
           "nucleus sampling mass; 1 = off"},
          {"min-p", FlagKind::kDouble, "0.05",
           "drop tokens below min-p x p(max); 0 = off"},
          {"repeat-penalty", FlagKind::kDouble, "1.0",
           "repetition penalty; 1 = off"},
          {"presence-penalty", FlagKind::kDouble, "0.0", "presence penalty"},
          {"frequency-penalty", FlagKind::kDouble, "0.0", "frequency penalty"},
          {"seed", FlagKind::kInt, "0",
           "random seed (same seed and inputs, same output)"},
          {"stop", FlagKind::kString, "", "stop when this text is generated"},
          {"ignore-eos", FlagKind::kBool, "false",
           "keep going past end-of-generation tokens"},
          {"parse-special", FlagKind::kBool, "false",
           "recognise special-token text in the prompt"},
          {"threads", FlagKind::kInt, "0", "worker threads; 0 = one per core",
           't'},
          {"ctx", FlagKind::kInt, "0",
           "context length; 0 = the model's, capped at 4096", 'c'},
          {"batch", FlagKind::kInt, "64", "prompt tokens per forward pass"},
          {"kv-type", FlagKind::kString, "f32", kKvTypeFlagHelp},
          {"context-shift", FlagKind::kInt, "-1",
           "when prompt and output outgrow --ctx, keep the first N "
           "tokens (after BOS), drop the oldest half of the rest and go "
           "on (as llama.cpp); -1 = off"},
          {"json", FlagKind::kBool, "false",
           "print one JSON object with ids, text and timings"},
      }),
      .run = RunGenerate,
  };
}

}  // namespace edgellm::cli
