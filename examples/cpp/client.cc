// Streams a generation from an edgellm server and prints tokens as they
// arrive.
//
//   bazel run //examples/cpp:client -- --server 127.0.0.1:50051 \
//       --prompt "Once upon a time" --max-tokens 64 --temperature 0
//
// Flags: --server HOST:PORT, --prompt TEXT, --max-tokens N, --temperature T,
// --seed S, --stop TEXT (repeatable), --token TOKEN (bearer), --tls-ca PEM,
// --timeout SECONDS. Exit status 0 on success, 1 with the gRPC status on
// stderr otherwise, 2 for a bad flag.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "edgellm/v1/edgellm.grpc.pb.h"

namespace {

struct Args {
  std::string server = "127.0.0.1:50051";
  std::string prompt = "Once upon a time";
  int max_tokens = 64;
  bool has_temperature = false;
  float temperature = 0.0f;
  bool has_seed = false;
  unsigned long long seed = 0;
  std::vector<std::string> stop;
  std::string token;
  std::string tls_ca;
  double timeout_seconds = 60;
};

bool ParseArgs(int argc, char** argv, Args& args) {
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) {
      std::cerr << "client: " << flag << " needs a value\n";
      return false;
    }
    const std::string value = argv[++i];
    if (flag == "--server") {
      args.server = value;
    } else if (flag == "--prompt") {
      args.prompt = value;
    } else if (flag == "--max-tokens") {
      args.max_tokens = std::atoi(value.c_str());
    } else if (flag == "--temperature") {
      args.has_temperature = true;
      args.temperature = std::strtof(value.c_str(), nullptr);
    } else if (flag == "--seed") {
      args.has_seed = true;
      args.seed = std::strtoull(value.c_str(), nullptr, 10);
    } else if (flag == "--stop") {
      args.stop.push_back(value);
    } else if (flag == "--token") {
      args.token = value;
    } else if (flag == "--tls-ca") {
      args.tls_ca = value;
    } else if (flag == "--timeout") {
      args.timeout_seconds = std::strtod(value.c_str(), nullptr);
    } else {
      std::cerr << "client: unknown flag " << flag << "\n";
      return false;
    }
  }
  return true;
}

std::shared_ptr<grpc::ChannelCredentials> Credentials(const Args& args) {
  if (args.tls_ca.empty()) return grpc::InsecureChannelCredentials();
  std::ifstream in(args.tls_ca);
  std::stringstream pem;
  pem << in.rdbuf();
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = pem.str();
  return grpc::SslCredentials(ssl);
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!ParseArgs(argc, argv, args)) return 2;
  auto stub = edgellm::v1::EdgeLlm::NewStub(
      grpc::CreateChannel(args.server, Credentials(args)));

  edgellm::v1::GenerateRequest request;
  request.set_prompt(args.prompt);
  request.mutable_limits()->set_max_tokens(args.max_tokens);
  for (const std::string& s : args.stop) request.mutable_limits()->add_stop(s);
  if (args.has_temperature) {
    request.mutable_sampling()->set_temperature(args.temperature);
  }
  if (args.has_seed) request.mutable_sampling()->set_seed(args.seed);

  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(static_cast<long long>(
                           args.timeout_seconds * 1000)));
  if (!args.token.empty()) {
    context.AddMetadata("authorization", "Bearer " + args.token);
  }
  auto reader = stub->Generate(&context, request);
  edgellm::v1::GenerateResponse response, final;
  while (reader->Read(&response)) {
    std::fwrite(response.text().data(), 1, response.text().size(), stdout);
    std::fflush(stdout);
    if (response.finish_reason() != edgellm::v1::FINISH_REASON_UNSPECIFIED) {
      final = response;
    }
  }
  std::fputc('\n', stdout);
  const grpc::Status status = reader->Finish();
  if (!status.ok()) {
    std::fprintf(stderr, "error: %d: %s\n", status.error_code(),
                 status.error_message().c_str());
    return 1;
  }
  const edgellm::v1::Usage& u = final.usage();
  std::fprintf(stderr,
               "# finish=%s prompt_tokens=%d generated_tokens=%d "
               "ttft_ms=%.1f tokens_per_s=%.1f\n",
               edgellm::v1::FinishReason_Name(final.finish_reason()).c_str(),
               u.prompt_tokens(), u.generated_tokens(),
               u.time_to_first_token_ms(), u.tokens_per_second());
  return 0;
}
