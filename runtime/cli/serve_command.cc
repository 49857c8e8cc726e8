// `edgellm serve`: the gRPC server (runtime/server/server.h).
#include <algorithm>
#include <iostream>
#include <string>

#include "runtime/cli/commands.h"
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
  } else if (kv_type != "f32") {
    std::cerr << "edgellm serve: --kv-type must be f32 or f16\n";
    return 2;
  }
  o.engine.kv_block_size = static_cast<int32_t>(args.GetInt("kv-block-size"));
  o.engine.kv_blocks = static_cast<int32_t>(args.GetInt("kv-blocks"));
  o.engine.prefix_cache = !args.GetBool("no-prefix-cache");
  if (o.engine.kv_block_size < 0 || o.engine.kv_blocks < 0) {
    std::cerr << "edgellm serve: --kv-block-size and --kv-blocks must not "
                 "be negative\n";
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
          "= server-sent events), /v1/embeddings, GET /v1/models, with the\n"
          "same bearer token; GET /health (200 serving, 503 loading or\n"
          "draining) and GET /metrics (Prometheus text format) need no\n"
          "token. --metrics-listen moves /metrics and /health to a port of\n"
          "their own.\n"
          "\n"
          "--threads 0 uses the CPUs the process may use (its affinity mask\n"
          "and cgroup cpu.max). Before loading, the model file and the KV\n"
          "cache (--parallel + 1 slots of --ctx positions) are checked\n"
          "against the memory it may use (cgroup memory.max, else\n"
          "MemAvailable); the server refuses to start when they do not fit.",
      .flags =
          {
              {"model", FlagKind::kString, "", "GGUF model file", 'm'},
              {"listen", FlagKind::kString, "127.0.0.1:50051",
               "address to listen on (port 0 = chosen by the OS)"},
              {"threads", FlagKind::kInt, "0",
               "worker threads; 0 = the CPUs the process may use (affinity, "
               "cgroup cpu.max)",
               't'},
              {"parallel", FlagKind::kInt, "4",
               "requests decoded together (KV slots)"},
              {"queue", FlagKind::kInt, "16",
               "requests that may wait for a slot"},
              {"ctx", FlagKind::kInt, "0",
               "context per request; 0 = the model's, capped at 4096", 'c'},
              {"batch", FlagKind::kInt, "64", "tokens per forward pass"},
              {"kv-type", FlagKind::kString, "f32",
               "KV cache type: f32 or f16"},
              {"kv-block-size", FlagKind::kInt, "0",
               "paged KV cache: positions per block (e.g. 16; 0 = one "
               "full-context slab per slot)"},
              {"kv-blocks", FlagKind::kInt, "0",
               "paged KV cache: blocks in the pool shared by all requests "
               "(0 = what the slabs would hold)"},
              {"no-prefix-cache", FlagKind::kBool, "false",
               "paged KV cache: never reuse the KV blocks of a cached "
               "prompt prefix"},
              {"max-tokens", FlagKind::kInt, "128",
               "generated tokens when a request does not say"},
              {"tls-cert", FlagKind::kString, "",
               "PEM certificate chain (enables TLS)"},
              {"tls-key", FlagKind::kString, "",
               "PEM private key for --tls-cert"},
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
          },
      .run = [load](const ParsedArgs& args) { return RunServe(args, load); },
  };
}

}  // namespace edgellm::cli
