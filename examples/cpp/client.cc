// Streams a generation from an edgellm server and prints tokens as they
// arrive.
//
//   bazel run //examples/cpp:client -- --server 127.0.0.1:50051 \
//       --prompt "Once upon a time" --max-tokens 64 --temperature 0
//
// Flags: --server HOST:PORT, --prompt TEXT, --max-tokens N, --temperature T,
// --seed S, --stop TEXT (repeatable), --token TOKEN (bearer), --tls-ca PEM,
// --timeout SECONDS, --weather-tool, --embed, --rerank (and their --text,
// --normalize, --pooling, --query, --document). Exit status 0 on success, 1
// with the gRPC status on stderr otherwise, 2 for a bad flag.
//
// With --embed it calls Embed on each --text (repeatable; default the
// --prompt) and prints one line per text, the vector's values separated by
// spaces (--normalize: unit length; --pooling mean|cls|last, default the
// model's), and "# embeddings: N x DIMENSIONS" on stderr. With --rerank it
// calls Rerank on a reranker model and prints "score<TAB>document" per
// --document, in input order, for the --query:
//
//   client --embed --normalize --text "a red ball" --text "a car"
//   client --rerank --query "what is red" --document "a red ball" \
//       --document "a car"
//
// With --weather-tool it runs a tool-calling round trip through Chat: the
// --prompt as the user's question with a `get_weather` tool; each call the
// model makes is answered by the local GetWeather() below and sent back as a
// "tool" message, and the model's answer is streamed to stdout (reasoning
// and calls are logged to stderr):
//
//   client --weather-tool --prompt "What is the weather in Paris?"
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
#include "nlohmann/json.hpp"

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
  bool weather_tool = false;
  bool embed = false;
  bool rerank = false;
  bool normalize = false;
  std::string pooling;  // "" = the model's
  std::vector<std::string> texts;
  std::string query;
  std::vector<std::string> documents;
};

bool ParseArgs(int argc, char** argv, Args& args) {
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    bool* const on = flag == "--weather-tool" ? &args.weather_tool
                     : flag == "--embed"      ? &args.embed
                     : flag == "--rerank"     ? &args.rerank
                     : flag == "--normalize"  ? &args.normalize
                                              : nullptr;
    if (on != nullptr) {
      *on = true;
      continue;
    }
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
    } else if (flag == "--text") {
      args.texts.push_back(value);
    } else if (flag == "--pooling") {
      if (value != "mean" && value != "cls" && value != "last") {
        std::cerr << "client: --pooling is mean, cls or last\n";
        return false;
      }
      args.pooling = value;
    } else if (flag == "--query") {
      args.query = value;
    } else if (flag == "--document") {
      args.documents.push_back(value);
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

void SetDeadline(const Args& args, grpc::ClientContext& context) {
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(static_cast<long long>(
                           args.timeout_seconds * 1000)));
  if (!args.token.empty()) {
    context.AddMetadata("authorization", "Bearer " + args.token);
  }
}

std::string StringOr(const nlohmann::json& object, const char* key,
                     const char* otherwise) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>()
                                               : otherwise;
}

// The tool: a stand-in for a weather service.
nlohmann::json GetWeather(const nlohmann::json& arguments) {
  const std::string unit = StringOr(arguments, "unit", "celsius");
  return {{"location", StringOr(arguments, "location", "")},
          {"temperature", unit == "celsius" ? 18 : 64},
          {"unit", unit},
          {"sky", "rain"}};
}

struct ChatReply {
  std::string reasoning;
  std::vector<edgellm::v1::ToolCall> calls;
  edgellm::v1::FinishReason finish = edgellm::v1::FINISH_REASON_UNSPECIFIED;
  grpc::Status status;
};

// One Chat call: content to stdout.
ChatReply StreamChat(edgellm::v1::EdgeLlm::Stub& stub, const Args& args,
                     const edgellm::v1::ChatRequest& request) {
  grpc::ClientContext context;
  SetDeadline(args, context);
  auto reader = stub.Chat(&context, request);
  ChatReply reply;
  edgellm::v1::GenerateResponse response;
  while (reader->Read(&response)) {
    std::fwrite(response.text().data(), 1, response.text().size(), stdout);
    std::fflush(stdout);
    reply.reasoning += response.reasoning();
    for (const auto& call : response.tool_calls()) reply.calls.push_back(call);
    if (response.finish_reason() != edgellm::v1::FINISH_REASON_UNSPECIFIED) {
      reply.finish = response.finish_reason();
    }
  }
  reply.status = reader->Finish();
  if (reply.status.ok()) {
    std::fprintf(stderr, "# finish=%s\n",
                 edgellm::v1::FinishReason_Name(reply.finish).c_str());
  }
  return reply;
}

int Fail(const grpc::Status& status) {
  std::fprintf(stderr, "\nerror: %d: %s\n", status.error_code(),
               status.error_message().c_str());
  return 1;
}

// tools -> the model's calls -> their results -> the model's answer.
int WeatherRoundTrip(edgellm::v1::EdgeLlm::Stub& stub, const Args& args) {
  edgellm::v1::ChatRequest request;
  edgellm::v1::ChatMessage* question = request.add_messages();
  question->set_role("user");
  question->set_content(args.prompt);
  edgellm::v1::Tool* tool = request.add_tools();
  tool->set_name("get_weather");
  tool->set_description("The current weather at a place.");
  tool->set_parameters(nlohmann::json{
      {"type", "object"},
      {"properties",
       {{"location", {{"type", "string"}, {"description", "a city"}}},
        {"unit", {{"type", "string"}, {"enum", {"celsius", "fahrenheit"}}}}}},
      {"required",
       {"location"}}}.dump());
  request.mutable_limits()->set_max_tokens(args.max_tokens);
  if (args.has_temperature) {
    request.mutable_sampling()->set_temperature(args.temperature);
  }
  const ChatReply first = StreamChat(stub, args, request);
  if (!first.status.ok()) return Fail(first.status);
  const size_t begin = first.reasoning.find_first_not_of(" \n");
  if (begin != std::string::npos) {
    const size_t end = first.reasoning.find_last_not_of(" \n");
    std::fprintf(stderr, "# reasoning: %s\n",
                 first.reasoning.substr(begin, end - begin + 1).c_str());
  }
  if (first.finish == edgellm::v1::FINISH_REASON_TOOL_CALLS) {
    // The assistant's turn goes back as it was, then one result per call.
    edgellm::v1::ChatMessage* assistant = request.add_messages();
    assistant->set_role("assistant");
    assistant->set_reasoning_content(first.reasoning);
    for (const auto& call : first.calls) *assistant->add_tool_calls() = call;
    for (const auto& call : first.calls) {
      std::fprintf(stderr, "# tool call: %s %s\n", call.name().c_str(),
                   call.arguments().c_str());
      const nlohmann::json arguments = nlohmann::json::parse(
          call.arguments(), nullptr, /*allow_exceptions=*/false);
      const std::string result =
          call.name() == "get_weather" && arguments.is_object()
              ? GetWeather(arguments).dump()
              : nlohmann::json{{"error", "cannot call " + call.name()}}.dump();
      std::fprintf(stderr, "# tool result: %s\n", result.c_str());
      edgellm::v1::ChatMessage* answer = request.add_messages();
      answer->set_role("tool");
      answer->set_tool_call_id(call.id());
      answer->set_name(call.name());
      answer->set_content(result);
    }
    const ChatReply second = StreamChat(stub, args, request);
    if (!second.status.ok()) return Fail(second.status);
  }
  std::fputc('\n', stdout);
  return 0;
}

// Embed: one line of space-separated floats per text.
int Embed(edgellm::v1::EdgeLlm::Stub& stub, const Args& args) {
  edgellm::v1::EmbedRequest request;
  if (args.texts.empty()) {
    request.add_texts(args.prompt);
  } else {
    for (const std::string& t : args.texts) request.add_texts(t);
  }
  request.set_normalize(args.normalize);
  if (args.pooling == "mean") request.set_pooling(edgellm::v1::POOLING_MEAN);
  if (args.pooling == "cls") request.set_pooling(edgellm::v1::POOLING_CLS);
  if (args.pooling == "last") request.set_pooling(edgellm::v1::POOLING_LAST);
  grpc::ClientContext context;
  SetDeadline(args, context);
  edgellm::v1::EmbedResponse response;
  const grpc::Status status = stub.Embed(&context, request, &response);
  if (!status.ok()) return Fail(status);
  for (const edgellm::v1::Embedding& e : response.embeddings()) {
    for (int i = 0; i < e.values_size(); ++i) {
      std::printf("%s%.9g", i == 0 ? "" : " ", e.values(i));
    }
    std::printf("\n");
  }
  std::fprintf(stderr, "# embeddings: %d x %d\n", response.embeddings_size(),
               response.dimensions());
  return 0;
}

// Rerank: "score<TAB>document" per document, in input order.
int Rerank(edgellm::v1::EdgeLlm::Stub& stub, const Args& args) {
  edgellm::v1::RerankRequest request;
  request.set_query(args.query);
  for (const std::string& d : args.documents) request.add_documents(d);
  grpc::ClientContext context;
  SetDeadline(args, context);
  edgellm::v1::RerankResponse response;
  const grpc::Status status = stub.Rerank(&context, request, &response);
  if (!status.ok()) return Fail(status);
  for (int i = 0; i < response.scores_size() && i < request.documents_size();
       ++i) {
    std::printf("%.9g\t%s\n", response.scores(i), request.documents(i).c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!ParseArgs(argc, argv, args)) return 2;
  auto stub = edgellm::v1::EdgeLlm::NewStub(
      grpc::CreateChannel(args.server, Credentials(args)));
  if (args.embed) return Embed(*stub, args);
  if (args.rerank) return Rerank(*stub, args);
  if (args.weather_tool) return WeatherRoundTrip(*stub, args);

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
