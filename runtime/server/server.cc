#include "runtime/server/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/notification.h"
#include "runtime/server/container_limits.h"
#include "runtime/server/frontend.h"
#include "runtime/server/http/http_server.h"
#include "runtime/server/metrics/server_metrics.h"
#include "runtime/server/service.h"

namespace edgellm::server {
namespace {

constexpr char kServiceName[] = "edgellm.v1.EdgeLlm";
// After the scheduler has ended every generation, handlers only have to
// write their last message; this bounds that.
constexpr absl::Duration kHandlerExitGrace = absl::Seconds(5);
// Then gRPC gets this long to send trailers before it cancels what is left.
// Short, because an idle client connection would otherwise hold Shutdown
// for the whole deadline.
constexpr absl::Duration kRpcShutdownGrace = absl::Milliseconds(250);

void Log(const std::string& line) {
  std::fprintf(stderr, "edgellm serve: %s\n", line.c_str());
  std::fflush(stderr);
}

absl::StatusOr<std::string> ReadFile(const std::string& path,
                                     const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(what, ": cannot read ", path));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

absl::StatusOr<std::string> ReadToken(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path, "--auth-token-file");
  if (!text.ok()) return text.status();
  absl::string_view first = *text;
  first = first.substr(0, first.find('\n'));
  first = absl::StripAsciiWhitespace(first);
  if (first.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--auth-token-file: ", path, " has no token on its first line"));
  }
  return std::string(first);
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials(
    const ServerOptions& o) {
  if (o.tls_cert_file.empty() != o.tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        "--tls-cert and --tls-key must be given together");
  }
  if (o.tls_cert_file.empty()) return grpc::InsecureServerCredentials();
  absl::StatusOr<std::string> cert = ReadFile(o.tls_cert_file, "--tls-cert");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadFile(o.tls_key_file, "--tls-key");
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions ssl;
  ssl.pem_key_cert_pairs.push_back({*key, *cert});
  return grpc::SslServerCredentials(ssl);
}

bool IsLoopback(absl::string_view host) {
  return absl::StartsWith(host, "127.") || host == "localhost" ||
         host == "[::1]" || absl::StartsWith(host, "unix:");
}

// Blocks SIGINT/SIGTERM in the calling thread (and so in every thread it
// starts later) and waits for them on a thread of its own. The first starts
// the drain; a second ends the process at once. The state is shared, not
// borrowed, because the waiter may outlive RunServer.
struct SignalWaiter {
  absl::Notification received;
  std::atomic<int> signal{0};
};

std::shared_ptr<SignalWaiter> StartSignalWaiter() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  auto waiter = std::make_shared<SignalWaiter>();
  std::thread([waiter, set] {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) return;
    waiter->signal.store(sig);
    waiter->received.Notify();
    if (sigwait(&set, &sig) != 0) return;
    Log("second signal during the drain: stopping now");
    std::_Exit(1);
  }).detach();
  return waiter;
}

// The model file's name without its directory and ".gguf".
std::string DefaultModelName(const std::string& path) {
  std::string name = path.substr(path.rfind('/') + 1);
  if (absl::EndsWith(name, ".gguf")) name.resize(name.size() - 5);
  return name.empty() ? "model" : name;
}

// "; KV cache 12 MiB, paged in blocks of 16, prefix cache" for the start
// line.
std::string KvCacheDescription(const EngineOptions& o, const ModelInfo& info) {
  return absl::StrCat(
      "; KV cache ", info.kv_cache_bytes >> 20, " MiB, ",
      o.kv_block_size > 0 ? absl::StrCat("paged in blocks of ", o.kv_block_size,
                                         o.prefix_cache ? ", prefix cache"
                                                        : ", no prefix cache")
                          : std::string("a slab per slot"),
      o.context_shift >= 0
          ? absl::StrCat(", context shift keeping ", o.context_shift)
          : std::string());
}

// Checks the memory the engine will take against what the process may use;
// false (after saying why) if it does not fit. A model whose header cannot
// be read is left to the load, which reports it.
bool MemoryFits(const ServerOptions& o) {
  absl::StatusOr<MemoryEstimate> estimate = EstimateMemory(o.engine);
  if (!estimate.ok()) return true;
  std::optional<MemoryLimit> limit = AvailableMemory(o.system_root);
  if (!limit.has_value()) {
    Log("memory check skipped: neither cgroup memory.max nor /proc/meminfo "
        "could be read");
    return true;
  }
  const absl::Status fits =
      CheckMemory(*estimate, o.engine, limit->bytes, limit->source);
  if (!fits.ok()) Log(std::string(fits.message()));
  return fits.ok();
}

// An HTTP listener, its port announced like gRPC's.
std::unique_ptr<http::HttpServer> StartHttp(const std::string& what,
                                            const http::HttpOptions& options,
                                            Frontend* frontend,
                                            metrics::ServerMetrics* metrics) {
  absl::StatusOr<std::unique_ptr<http::HttpServer>> started =
      http::HttpServer::Start(options, frontend, metrics);
  if (!started.ok()) {
    Log(absl::StrCat(what, ": ", started.status().message()));
    return nullptr;
  }
  Log(absl::StrCat(what, " listening on ", (*started)->host(), ":",
                   (*started)->port(),
                   options.tls_cert_file.empty() ? "" : " (TLS)"));
  return std::move(*started);
}

}  // namespace

int RunServer(const ServerOptions& o, const EngineLoader& load) {
  std::shared_ptr<SignalWaiter> signals = StartSignalWaiter();

  FrontendOptions frontend_options;
  frontend_options.default_max_tokens = o.default_max_tokens;
  frontend_options.model_name = o.model_name.empty()
                                    ? DefaultModelName(o.engine.model_path)
                                    : o.model_name;
  if (!o.auth_token_file.empty()) {
    absl::StatusOr<std::string> token = ReadToken(o.auth_token_file);
    if (!token.ok()) {
      Log(std::string(token.status().message()));
      return 1;
    }
    frontend_options.auth_token = *token;
  }
  if (o.engine.parallel < 1 || o.engine.queue < 0) {
    Log("--parallel must be >= 1 and --queue >= 0");
    return 1;
  }
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      Credentials(o);
  if (!credentials.ok()) {
    Log(std::string(credentials.status().message()));
    return 1;
  }
  EngineOptions engine_options = o.engine;
  if (engine_options.threads == 0) {
    engine_options.threads = AvailableCpus(o.system_root, AffinityCpus());
  }
  if (o.memory_check && !MemoryFits(o)) return 1;

  metrics::ServerMetrics metrics;
  Frontend frontend(frontend_options, &metrics);
  EdgeLlmService service(&frontend);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(o.listen, *credentials, &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    Log(absl::StrCat("cannot listen on ", o.listen));
    return 1;
  }
  const std::string host = o.listen.substr(0, o.listen.rfind(':'));
  Log(absl::StrCat("listening on ", host, ":", port,
                   o.tls_cert_file.empty() ? "" : " (TLS)"));
  if (!IsLoopback(host) &&
      (o.tls_cert_file.empty() || frontend_options.auth_token.empty())) {
    Log("warning: listening beyond loopback without TLS and a bearer token");
  }
  // HTTP: the API (with /metrics unless it has a port of its own) and the
  // metrics port. Each streamed generation holds a connection's thread.
  std::unique_ptr<http::HttpServer> http_api, http_metrics;
  if (!o.http_listen.empty()) {
    http::HttpOptions h;
    h.listen = o.http_listen;
    h.metrics = o.metrics_listen.empty();
    h.threads = o.engine.parallel + o.engine.queue + 4;
    h.tls_cert_file = o.tls_cert_file;
    h.tls_key_file = o.tls_key_file;
    http_api = StartHttp("http", h, &frontend, &metrics);
    if (http_api == nullptr) {
      server->Shutdown();
      return 1;
    }
    if (!IsLoopback(http_api->host()) && frontend_options.auth_token.empty()) {
      Log("warning: HTTP beyond loopback without a bearer token");
    }
  }
  if (!o.metrics_listen.empty()) {
    http::HttpOptions m;
    m.listen = o.metrics_listen;
    m.api = false;
    m.threads = 2;
    http_metrics = StartHttp("metrics", m, &frontend, &metrics);
    if (http_metrics == nullptr) {
      server->Shutdown();
      return 1;
    }
  }
  grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService();
  health->SetServingStatus(false);
  health->SetServingStatus(kServiceName, false);

  absl::StatusOr<std::unique_ptr<Engine>> engine =
      load ? load(engine_options) : Engine::Load(engine_options);
  if (!engine.ok()) {
    Log(absl::StrCat("cannot load ", o.engine.model_path, ": ",
                     engine.status().message()));
    server->Shutdown();
    return 1;
  }
  frontend.SetEngine(engine->get());
  health->SetServingStatus(true);
  health->SetServingStatus(kServiceName, true);
  const ModelInfo& info = (*engine)->info();
  Log(absl::StrCat(
      "serving ", o.engine.model_path, " (", info.architecture, ", context ",
      info.context_length, ", parallel ", info.parallel, ", queue ", info.queue,
      ", threads ", engine_options.threads, ", loaded in ",
      absl::FormatDuration(info.load_time),
      info.generates ? KvCacheDescription(o.engine, info) : std::string(),
      ")"));

  signals->received.WaitForNotification();
  const int sig = signals->signal.load();
  // Health says NOT_SERVING before the log line announces the drain, so
  // whoever reads the log (a test, an operator) sees the new state.
  health->SetServingStatus(false);
  health->SetServingStatus(kServiceName, false);
  frontend.StartDraining();
  const Engine::Counters c = (*engine)->counters();
  Log(absl::StrCat("received ", sig == SIGINT ? "SIGINT" : "SIGTERM",
                   ": draining ", c.active, " active and ", c.queued,
                   " queued requests (grace ", absl::FormatDuration(o.grace),
                   "; a second signal stops at once)"));
  (*engine)->Shutdown(o.grace);
  if (!frontend.WaitIdle(kHandlerExitGrace)) {
    Log("some handlers did not return in time; cancelling them");
  }
  server->Shutdown(absl::ToChronoTime(absl::Now() + kRpcShutdownGrace));
  server->Wait();
  if (http_api != nullptr) http_api->Stop();
  if (http_metrics != nullptr) http_metrics->Stop();
  Log("stopped");
  return 0;
}

}  // namespace edgellm::server
