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

}  // namespace

int RunServer(const ServerOptions& o, const EngineLoader& load) {
  std::shared_ptr<SignalWaiter> signals = StartSignalWaiter();

  ServiceOptions service_options;
  service_options.default_max_tokens = o.default_max_tokens;
  if (!o.auth_token_file.empty()) {
    absl::StatusOr<std::string> token = ReadToken(o.auth_token_file);
    if (!token.ok()) {
      Log(std::string(token.status().message()));
      return 1;
    }
    service_options.auth_token = *token;
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

  EdgeLlmService service(service_options);
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
      (o.tls_cert_file.empty() || service_options.auth_token.empty())) {
    Log("warning: listening beyond loopback without TLS and a bearer token");
  }
  grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService();
  health->SetServingStatus(false);
  health->SetServingStatus(kServiceName, false);

  absl::StatusOr<std::unique_ptr<Engine>> engine =
      load ? load(o.engine) : Engine::Load(o.engine);
  if (!engine.ok()) {
    Log(absl::StrCat("cannot load ", o.engine.model_path, ": ",
                     engine.status().message()));
    server->Shutdown();
    return 1;
  }
  service.SetEngine(engine->get());
  health->SetServingStatus(true);
  health->SetServingStatus(kServiceName, true);
  const ModelInfo& info = (*engine)->info();
  Log(absl::StrCat("serving ", o.engine.model_path, " (", info.architecture,
                   ", context ", info.context_length, ", parallel ",
                   info.parallel, ", queue ", info.queue, ", loaded in ",
                   absl::FormatDuration(info.load_time), ")"));

  signals->received.WaitForNotification();
  const int sig = signals->signal.load();
  const Engine::Counters c = (*engine)->counters();
  Log(absl::StrCat("received ", sig == SIGINT ? "SIGINT" : "SIGTERM",
                   ": draining ", c.active, " active and ", c.queued,
                   " queued requests (grace ", absl::FormatDuration(o.grace),
                   "; a second signal stops at once)"));
  health->SetServingStatus(false);
  health->SetServingStatus(kServiceName, false);
  service.StartDraining();
  (*engine)->Shutdown(o.grace);
  if (!service.WaitIdle(kHandlerExitGrace)) {
    Log("some handlers did not return in time; cancelling them");
  }
  server->Shutdown(absl::ToChronoTime(absl::Now() + kRpcShutdownGrace));
  server->Wait();
  Log("stopped");
  return 0;
}

}  // namespace edgellm::server
