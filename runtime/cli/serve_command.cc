// `edgellm serve`: the gRPC server (runtime/server/server.h).
#include <algorithm>
#include <iostream>
#include <string>

#include "runtime/cli/commands.h"
#include "runtime/cli/kv_flags.h"
#include "runtime/server/server.h"

namespace edgellm::cli {
namespace {

int RunServe(const ParsedArgs& args, const server::EngineLoader& load) {
  server::ServerOptions o;
  o.engine.model_path = args.GetString("model");
  if (o.engine.model_path.empty()) {
    std::cerr << "edgellm serve: --model is required\n";
    return 2;
  }
  o.engine.threads = static_cast<int32_t>(args.GetInt("threads"));
  o.engine.context = static_cast<int32_t>(args.GetInt("ctx"));
  o.engine.max_batch = static_cast<int32_t>(args.GetInt("batch"));
  const std::string kv_type = args.GetString("kv-type");
  if (kv_type == "f16") {
    o.engine.kv_type = KvCacheType::kF16;
  } else if (kv_type == "q8_0") {
    o.engine.kv_type = KvCacheType::kQ8_0;
  } else if (kv_type != "f32") {
    std::cerr << "edgellm serve: --kv-type must be f32, f16 or q8_0\n";
    return 2;
  }
  KvPagingFlags paging;
  if (absl::Status s = ReadKvPagingFlags(args, &paging); !s.ok()) {
    std::cerr << "edgellm serve: " << s.message() << "\n";
    return 2;
  }
  o.engine.kv_block_size = paging.block_size;
  o.engine.kv_blocks = paging.blocks;
  o.engine.prefix_cache = paging.prefix_cache;
  o.engine.context_shift = static_cast<int32_t>(args.GetInt("context-shift"));
  if (o.engine.context_shift < -1) {
    std::cerr << "edgellm serve: --context-shift must be -1 (off) or the "
                 "tokens to keep\n";
    return 2;
  }
  o.listen = args.GetString("listen");
  o.engine.parallel = static_cast<int32_t>(args.GetInt("parallel"));
  o.engine.queue = static_cast<int32_t>(args.GetInt("queue"));
  o.default_max_tokens = static_cast<int32_t>(args.GetInt("max-tokens"));
  o.tls_cert_file = args.GetString("tls-cert");
  o.tls_key_file = args.GetString("tls-key");
  o.auth_token_file = args.GetString("auth-token-file");
  const double grace = args.GetDouble("grace-seconds");
  if (grace < 0) {
    std::cerr << "edgellm serve: --grace-seconds must not be negative\n";
    return 2;
  }
  o.grace = absl::Seconds(grace);
  if (o.engine.parallel < 1 || o.engine.queue < 0 || o.default_max_tokens < 1) {
    std::cerr << "edgellm serve: --parallel and --max-tokens must be >= 1, "
                 "--queue >= 0\n";
    return 2;
  }
  o.engine.chat_template = args.GetString("chat-template");
  o.http_listen = args.GetString("http-listen");
  o.metrics_listen = args.GetString("metrics-listen");
  o.model_name = args.GetString("model-name");
  o.memory_check = !args.GetBool("no-memory-check");
  return server::RunServer(o, load);
}

}  // namespace

Command ServeCommand() { return ServeCommandWith(nullptr); }

Command ServeCommandWith(server::EngineLoader load) {
  return Command{
      .name = "serve",
      .summary =
          "serve the model over gRPC (edgellm.v1.EdgeLlm) and an "
          "OpenAI-compatible HTTP API",
      .usage =
          "edgellm serve --model MODEL.gguf [--listen 127.0.0.1:50051] "
          "[flags]",
      .details =
          "Serves Generate, Chat, Embed, Tokenize, Detokenize, GetModelInfo\n"
          "and Rerank (see proto/edgellm/v1/edgellm.proto),\n"
          "grpc.health.v1.Health and server reflection. Up to --parallel\n"
          "requests are decoded together in one batch; up to --queue more\n"
          "wait; beyond that RESOURCE_EXHAUSTED. An encoder model (bert,\n"
          "nomic-bert: bge-small, nomic-embed, a bge reranker) is served on\n"
          "its own: Embed, and Rerank when it has a classifier head; Generate\n"
          "and Chat answer UNIMPLEMENTED.\n"
          "Prints \"listening on HOST:PORT\" to stderr (port 0 = any free\n"
          "port) and one line per request. SIGTERM/SIGINT drain: running\n"
          "requests get --grace-seconds to finish, then are cancelled.\n"
          "\n"
          "--http-listen adds the OpenAI-compatible HTTP API over the same\n"
          "engine: POST /v1/chat/completions, /v1/completions (stream: true\n"
          "= server-sent events), /v1/embeddings, /v1/rerank (a reranker\n"
          "model), GET /v1/models, with the same bearer token; GET /health\n"
          "(200 serving, 503 loading or draining) and GET /metrics\n"
          "(Prometheus text format) need no token. --metrics-listen moves\n"
          "/metrics and /health to a port of their own.\n"
          "\n"
          "The KV cache is paged (--kv-block-size 16): one pool of blocks\n"
          "shared by all requests (--kv-blocks, default what --parallel + 1\n"
          "slabs of --ctx positions hold; sliding-window layers a pool of\n"
          "their window), a request admitted once its blocks can be\n"
          "promised, and prompts that start like an earlier one (a system\n"
          "prompt, a chat's earlier turns) reuse its blocks (usage\n"
          "cached_prompt_tokens; --no-prefix-cache, or cache_prompt: false\n"
          "per request, turns that off). --kv-block-size 0 gives each slot a\n"
          "slab of --ctx positions instead. --context-shift N lets a\n"
          "conversation outgrow the context: the first N tokens stay, the\n"
          "oldest half of the rest goes (as llama.cpp's server), and the\n"
          "usage counts the shifts; without it a prompt that does not fit\n"
          "is INVALID_ARGUMENT.\n"
          "\n"
          "--threads 0 uses the CPUs the process may use (its affinity mask\n"
          "and cgroup cpu.max). Before loading, the model file and the KV\n"
          "cache (the pools, or the slabs) are checked against the memory it\n"
          "may use (cgroup memory.max, else MemAvailable); the server\n"
          "refuses to start when they do not fit.",
      .flags = WithKvPagingFlags({
          {"model", FlagKind::kString, "", "GGUF model file", 'm'},
          {"listen", FlagKind::kString, "127.0.0.1:50051",
           "address to listen on (port 0 = chosen by the OS)"},
          {"threads", FlagKind::kInt, "0",
           "worker threads; 0 = the CPUs the process may use (affinity, "
           "cgroup cpu.max)",
           't'},
          {"parallel", FlagKind::kInt, "4",
           "requests decoded together (KV slots)"},
          {"queue", FlagKind::kInt, "16", "requests that may wait for a slot"},
          {"ctx", FlagKind::kInt, "0",
           "context per request; 0 = the model's, capped at 4096", 'c'},
          {"batch", FlagKind::kInt, "64", "tokens per forward pass"},
          {"kv-type", FlagKind::kString, "f32", kKvTypeFlagHelp},
          {"context-shift", FlagKind::kInt, "-1",
           "when a conversation outgrows the context, keep its first N "
           "tokens (after BOS), drop the oldest half of the rest and go "
           "on; -1 = off (a prompt that does not fit is refused, a "
           "generation ends at the context)"},
          {"max-tokens", FlagKind::kInt, "128",
           "generated tokens when a request does not say"},
          {"tls-cert", FlagKind::kString, "",
           "PEM certificate chain (enables TLS)"},
          {"tls-key", FlagKind::kString, "", "PEM private key for --tls-cert"},
          {"auth-token-file", FlagKind::kString, "",
           "require `authorization: Bearer <first line of this file>`"},
          {"grace-seconds", FlagKind::kDouble, "10",
           "on SIGTERM, how long running requests may finish"},
          {"chat-template", FlagKind::kString, "",
           "chat template overriding the model's own: a Jinja file "
           "(FILE.jinja) or a hand-written family (chatml, llama3, ...)"},
          {"http-listen", FlagKind::kString, "",
           "OpenAI-compatible HTTP API (and /metrics, /health) on this "
           "address; empty = none"},
          {"metrics-listen", FlagKind::kString, "",
           "GET /metrics and /health on this address instead of the HTTP "
           "port; empty = on the HTTP port"},
          {"model-name", FlagKind::kString, "",
           "the model's name in the HTTP API and metrics; empty = the "
           "file name without .gguf"},
          {"no-memory-check", FlagKind::kBool, "false",
           "start even when the model and KV cache exceed the memory the "
           "process may use"},
      }),
      .run = [load](const ParsedArgs& args) { return RunServe(args, load); },
  };
}

}  // namespace edgellm::cli
