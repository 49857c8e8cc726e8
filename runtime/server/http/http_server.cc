#include "runtime/server/http/http_server.h"

#include <httplib.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "runtime/server/http/openai_request.h"
#include "runtime/server/http/openai_response.h"
#include "runtime/server/http/peer_connection.h"
#include "runtime/server/http/rerank_api.h"
#include "util/exception_status.h"

namespace edgellm::server::http {
namespace {

using nlohmann::json;

constexpr char kJson[] = "application/json";

// A request's record, finished exactly once: by the handler, or for a
// stream by its content provider (or, if that never ran, its releaser).
struct HttpCall {
  HttpCall(Frontend* f, CallRecord r) : frontend(f), record(std::move(r)) {}
  ~HttpCall() {
    if (!finished) Finish(absl::InternalError("no answer was sent"), 500);
  }
  void Finish(const absl::Status& status, int http_status) {
    if (finished) return;
    finished = true;
    frontend->Finish(record, status, absl::StrCat(http_status));
  }
  Frontend* const frontend;
  CallRecord record;
  bool finished = false;
  bool streaming = false;  // a content provider finishes it
};

void SendJson(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(Dump(body), kJson);
}

void SendError(httplib::Response& res, const absl::Status& status) {
  const int http = HttpStatusOf(status.code());
  if (http == 503) res.set_header("Retry-After", "1");
  SendJson(res, http, ErrorJson(status));
}

std::optional<std::string> AuthorizationOf(const httplib::Request& req) {
  if (!req.has_header("Authorization")) return std::nullopt;
  return req.get_header_value("Authorization");
}

std::string PeerOf(const httplib::Request& req) {
  return absl::StrCat(req.remote_addr, ":", req.remote_port);
}

PeerConnection ConnectionOf(const httplib::Request& req) {
  return PeerConnection::Find(req.local_addr, req.local_port, req.remote_addr,
                              req.remote_port);
}

absl::Status CheckModel(const std::string& asked, const std::string& served) {
  if (asked.empty() || asked == served) return absl::OkStatus();
  return absl::NotFoundError(absl::StrCat(
      "model: `", asked, "` is not served here; this server serves `", served,
      "` (GET /v1/models)"));
}

// What a streamed completion's content provider works with.
struct StreamState {
  std::shared_ptr<HttpCall> call;
  std::shared_ptr<GenerationStream> stream;
  CompletionFormatter format;
  bool include_usage = false;
  PeerConnection connection;
};

// Writes the whole event stream of one completion into `sink`, then ends
// it. Returns false when the connection should be dropped.
bool WriteEventStream(StreamState& s, httplib::DataSink& sink) {
  bool open = true;
  const auto write = [&](absl::string_view text) {
    if (open) open = sink.write(text.data(), text.size());
    return open;
  };
  // OpenAI's first chat chunk names the role, before any token (which may
  // carry no text).
  if (s.format.chat()) write(SseEvent(s.format.TextChunk("")));
  const StreamEvent final = Frontend::ReadGeneration(
      *s.stream,
      [&](StreamEvent& token) {
        // A token that ends inside a UTF-8 character (or maybe inside
        // tool-call markup) releases nothing yet.
        if (token.text.empty() && token.reasoning.empty() &&
            token.tool_calls.empty()) {
          return true;
        }
        if (!s.format.chat())
          return write(SseEvent(s.format.TextChunk(token.text)));
        return write(SseEvent(s.format.DeltaChunk(
            {std::move(token.text), std::move(token.reasoning),
             std::move(token.tool_calls)})));
      },
      [&] { return s.connection.Closed(); }, s.call->record);
  if (final.status.ok()) {
    write(SseEvent(s.format.FinishChunk(final.finish_reason)));
    if (s.include_usage) write(SseEvent(s.format.UsageChunk(final.stats)));
  } else {
    // The status line went out with the first byte; OpenAI's clients read
    // an error event instead.
    write(SseEvent(ErrorJson(final.status)));
  }
  write(kSseDone);
  if (open) sink.done();
  s.call->Finish(final.status, 200);
  return open;
}

// Ends a stream whose provider never finished it (the client left before
// the first byte, or the provider failed).
void ReleaseStream(StreamState& s, absl::Status status) {
  if (s.call->finished) return;
  const StreamEvent final = Frontend::ReadGeneration(
      *s.stream, [](StreamEvent&) { return false; }, [] { return true; },
      s.call->record);
  if (status.ok()) status = final.status;
  if (status.ok()) status = absl::CancelledError("the client left");
  s.call->Finish(status, HttpStatusOf(status.code()));
}

class Handlers {
 public:
  Handlers(Frontend* frontend, metrics::ServerMetrics* metrics)
      : frontend_(frontend), metrics_(metrics) {}

  // Runs one /v1 request: record, admit, `body`, answer its errors.
  template <typename Body>
  void Serve(const char* method, const httplib::Request& req,
             httplib::Response& res, Body&& body) {
    auto call = std::make_shared<HttpCall>(
        frontend_, frontend_->Begin("http", method, PeerOf(req)));
    std::optional<std::string> authorization = AuthorizationOf(req);
    absl::Status status = frontend_->Admit(
        authorization ? std::optional<absl::string_view>(*authorization)
                      : std::nullopt);
    if (status.ok()) {
      status = CatchExceptions(absl::StrCat(method, " handler"),
                               [&] { return body(call); });
    }
    if (!status.ok()) {
      SendError(res, status);
      call->streaming = false;
    }
    if (!call->streaming) call->Finish(status, res.status);
  }

  absl::Status Completion(const httplib::Request& req, httplib::Response& res,
                          bool chat, const std::shared_ptr<HttpCall>& call) {
    Engine& engine = *frontend_->engine();
    absl::StatusOr<CompletionCall> parsed = ParseCompletionRequest(
        req.body, chat, frontend_->options().default_max_tokens);
    if (!parsed.ok()) return parsed.status();
    const std::string& model = frontend_->options().model_name;
    if (absl::Status s = CheckModel(parsed->model, model); !s.ok()) return s;
    absl::StatusOr<std::shared_ptr<GenerationStream>> stream;
    if (chat) {
      ChatRequest request;
      request.messages = std::move(parsed->messages);
      request.tools = std::move(parsed->tools);
      request.template_kwargs = std::move(parsed->template_kwargs);
      request.options = std::move(parsed->options);
      stream = engine.SubmitChat(std::move(request));
    } else {
      GenerateRequest request;
      request.prompt = std::move(parsed->prompt);
      request.prompt_ids = std::move(parsed->prompt_ids);
      request.options = std::move(parsed->options);
      stream = engine.Submit(std::move(request));
    }
    if (!stream.ok()) return stream.status();
    CompletionFormatter format(chat, call->record.id, model, absl::Now());
    if (parsed->stream) {
      format.set_include_usage(parsed->include_usage);
      auto state = std::make_shared<StreamState>(
          StreamState{call, *stream, std::move(format), parsed->include_usage,
                      ConnectionOf(req)});
      call->streaming = true;
      res.status = 200;
      res.set_header("Cache-Control", "no-cache");
      res.set_header("X-Accel-Buffering", "no");
      res.set_chunked_content_provider(
          "text/event-stream",
          [state](size_t, httplib::DataSink& sink) {
            try {
              return WriteEventStream(*state, sink);
            } catch (...) {
              ReleaseStream(*state,
                            StatusFromCurrentException("streaming a reply"));
              return false;
            }
          },
          [state](bool) {
            try {
              ReleaseStream(*state, absl::OkStatus());
            } catch (...) {
              state->call->Finish(absl::InternalError("releasing a stream"),
                                  500);
            }
          });
      return absl::OkStatus();
    }
    const PeerConnection connection = ConnectionOf(req);
    ChatReplyParts reply;
    const StreamEvent final = Frontend::ReadGeneration(
        **stream,
        [&](StreamEvent& token) {
          reply.content += token.text;
          reply.reasoning += token.reasoning;
          for (ToolCall& c : token.tool_calls) {
            reply.tool_calls.push_back(std::move(c));
          }
          return true;
        },
        [&] { return connection.Closed(); }, call->record);
    if (!final.status.ok()) return final.status;
    SendJson(res, 200,
             chat ? format.CompleteChat(reply, final.finish_reason, final.stats)
                  : format.Complete(reply.content, final.finish_reason,
                                    final.stats));
    return absl::OkStatus();
  }

  absl::Status Embeddings(const httplib::Request& req, httplib::Response& res,
                          const std::shared_ptr<HttpCall>& call) {
    Engine& engine = *frontend_->engine();
    absl::StatusOr<EmbeddingCall> parsed = ParseEmbeddingRequest(req.body);
    if (!parsed.ok()) return parsed.status();
    const std::string& model = frontend_->options().model_name;
    if (absl::Status s = CheckModel(parsed->model, model); !s.ok()) return s;
    const int32_t width = engine.info().embedding_length;
    if (parsed->dimensions != 0 && parsed->dimensions != width) {
      return absl::InvalidArgumentError(
          absl::StrCat("dimensions: ", parsed->dimensions,
                       "; this model's embeddings have ", width));
    }
    absl::StatusOr<std::shared_ptr<EmbedCall>> submitted =
        engine.SubmitEmbed(std::move(parsed->request));
    if (!submitted.ok()) return submitted.status();
    const PeerConnection connection = ConnectionOf(req);
    EmbedResult result = Frontend::WaitEmbedding(
        **submitted, parsed->inputs, [&] { return connection.Closed(); },
        call->record);
    if (!result.status.ok()) return result.status;
    int64_t tokens = 0;
    for (int32_t n : result.tokens) tokens += n;
    SendJson(res, 200,
             EmbeddingsJson(result.vectors, parsed->base64, model, tokens));
    return absl::OkStatus();
  }

  absl::Status Rerank(const httplib::Request& req, httplib::Response& res,
                      const std::shared_ptr<HttpCall>& call) {
    absl::StatusOr<RerankCall> parsed = ParseRerankRequest(req.body);
    if (!parsed.ok()) return parsed.status();
    const std::string& model = frontend_->options().model_name;
    if (absl::Status s = CheckModel(parsed->model, model); !s.ok()) return s;
    const int documents = static_cast<int>(parsed->request.documents.size());
    // The texts are kept for the response only when it returns them.
    std::optional<std::vector<std::string>> texts;
    if (parsed->return_documents) texts = parsed->request.documents;
    absl::StatusOr<std::shared_ptr<EmbedCall>> submitted =
        frontend_->engine()->SubmitRerank(std::move(parsed->request));
    if (!submitted.ok()) return submitted.status();
    const PeerConnection connection = ConnectionOf(req);
    EmbedResult result = Frontend::WaitEmbedding(
        **submitted, documents, [&] { return connection.Closed(); },
        call->record);
    if (!result.status.ok()) return result.status;
    int64_t tokens = 0;
    for (int32_t n : result.tokens) tokens += n;
    SendJson(res, 200,
             RerankJson(result.scores, parsed->top_n, texts ? &*texts : nullptr,
                        model, tokens));
    return absl::OkStatus();
  }

  absl::Status Models(const httplib::Request& req, httplib::Response& res) {
    const std::string& model = frontend_->options().model_name;
    // The model's "created": when this server finished loading it.
    const absl::Time created = frontend_->serving_since();
    if (req.matches.size() > 1) {
      const std::string id = req.matches[1].str();
      if (id != model) {
        return absl::NotFoundError(absl::StrCat(
            "model: `", id, "` is not served here; this server serves `", model,
            "`"));
      }
      SendJson(res, 200, ModelJson(model, created));
      return absl::OkStatus();
    }
    SendJson(res, 200,
             {{"object", "list"},
              {"data", json::array({ModelJson(model, created)})}});
    return absl::OkStatus();
  }

  void Health(httplib::Response& res) const {
    const char* state = frontend_->serving()    ? "ok"
                        : frontend_->draining() ? "draining"
                                                : "loading";
    SendJson(res, frontend_->serving() ? 200 : 503, {{"status", state}});
  }

  void Metrics(httplib::Response& res) const {
    res.status = 200;
    res.set_content(metrics_->Render(metrics::GaugesOf(
                        frontend_->engine(), frontend_->serving(),
                        frontend_->options().model_name)),
                    "text/plain; version=0.0.4; charset=utf-8");
  }

 private:
  Frontend* const frontend_;
  metrics::ServerMetrics* const metrics_;
};

// Bodies for the errors cpp-httplib answers itself (no route, a body too
// large, a malformed request), in OpenAI's form.
httplib::Server::HandlerResponse ErrorBody(const httplib::Request& req,
                                           httplib::Response& res) {
  if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
  absl::Status status;
  if (res.status == 404) {
    status = absl::NotFoundError(
        absl::StrCat("no route ", req.method, " ", req.path));
  } else if (res.status == 413) {
    status = absl::InvalidArgumentError(
        absl::StrCat("body: larger than ", kMaxBodyBytes, " bytes"));
  } else {
    status = absl::InvalidArgumentError(
        absl::StrCat("the request could not be read (HTTP ", res.status, ")"));
  }
  json body = ErrorJson(status);
  res.set_content(Dump(body), kJson);
  return httplib::Server::HandlerResponse::Handled;
}

absl::StatusOr<std::pair<std::string, int>> SplitAddress(
    const std::string& listen) {
  const size_t colon = listen.rfind(':');
  int port = -1;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(listen.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("`", listen, "` is not HOST:PORT"));
  }
  std::string host = listen.substr(0, colon);
  // [::1] -> ::1 for getaddrinfo.
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return std::make_pair(host, port);
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    const HttpOptions& options, Frontend* frontend,
    metrics::ServerMetrics* metrics) {
  absl::StatusOr<std::pair<std::string, int>> address =
      SplitAddress(options.listen);
  if (!address.ok()) return address.status();
  std::unique_ptr<HttpServer> s(new HttpServer());
  s->frontend_ = frontend;
  s->metrics_ = metrics;
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        "--tls-cert and --tls-key must be given together");
  }
  if (options.tls_cert_file.empty()) {
    s->server_ = std::make_unique<httplib::Server>();
  } else {
    s->server_ = std::make_unique<httplib::SSLServer>(
        options.tls_cert_file.c_str(), options.tls_key_file.c_str());
  }
  if (!s->server_->is_valid()) {
    return absl::InvalidArgumentError(
        "the HTTP server cannot use --tls-cert / --tls-key");
  }
  const int threads = std::max(2, options.threads);
  s->server_->new_task_queue = [threads] {
    return new httplib::ThreadPool(static_cast<size_t>(threads));
  };
  s->server_->set_payload_max_length(kMaxBodyBytes);
  s->Route(options);
  const auto& [host, port] = *address;
  if (port == 0) {
    s->port_ = s->server_->bind_to_any_port(host);
  } else if (s->server_->bind_to_port(host, port)) {
    s->port_ = port;
  }
  if (s->port_ <= 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen));
  }
  s->host_ = options.listen.substr(0, options.listen.rfind(':'));
  httplib::Server* server = s->server_.get();
  s->thread_ = std::thread([server] { server->listen_after_bind(); });
  return s;
}

void HttpServer::Route(const HttpOptions& options) {
  auto handlers = std::make_shared<Handlers>(frontend_, metrics_);
  httplib::Server& s = *server_;
  if (options.api) {
    for (bool chat : {true, false}) {
      const char* method =
          chat ? "POST /v1/chat/completions" : "POST /v1/completions";
      s.Post(chat ? "/v1/chat/completions" : "/v1/completions",
             [handlers, chat, method](const httplib::Request& req,
                                      httplib::Response& res) {
               handlers->Serve(method, req, res, [&](const auto& call) {
                 return handlers->Completion(req, res, chat, call);
               });
             });
    }
    s.Post("/v1/embeddings", [handlers](const httplib::Request& req,
                                        httplib::Response& res) {
      handlers->Serve("POST /v1/embeddings", req, res, [&](const auto& call) {
        return handlers->Embeddings(req, res, call);
      });
    });
    s.Post("/v1/rerank", [handlers](const httplib::Request& req,
                                    httplib::Response& res) {
      handlers->Serve("POST /v1/rerank", req, res, [&](const auto& call) {
        return handlers->Rerank(req, res, call);
      });
    });
    const auto models = [handlers](const httplib::Request& req,
                                   httplib::Response& res) {
      handlers->Serve("GET /v1/models", req, res,
                      [&](const auto&) { return handlers->Models(req, res); });
    };
    s.Get("/v1/models", models);
    s.Get(R"(/v1/models/(.+))", models);
  }
  s.Get("/health", [handlers](const httplib::Request&, httplib::Response& res) {
    handlers->Health(res);
  });
  if (options.metrics) {
    s.Get("/metrics",
          [handlers](const httplib::Request&, httplib::Response& res) {
            handlers->Metrics(res);
          });
  }
  s.set_error_handler(httplib::Server::HandlerWithResponse(ErrorBody));
  s.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        SendError(res, absl::InternalError("the handler failed"));
      });
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Stop() {
  if (server_ == nullptr) return;
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace edgellm::server::http
