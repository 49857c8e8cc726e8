#include "runtime/server/service.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "util/exception_status.h"

namespace edgellm::server {
namespace {

// gRPC cancels a call when its deadline passes, and its timer may fire a
// little before the deadline as absl::Now() sees it (seen: ~1 ms early). A
// cancel that close to the deadline is the deadline, and the log and status
// should say so.
constexpr absl::Duration kDeadlineSlack = absl::Milliseconds(50);

bool DeadlineReached(absl::Time deadline) {
  return deadline != absl::InfiniteFuture() &&
         absl::Now() + kDeadlineSlack >= deadline;
}

// How often a handler waiting for tokens checks whether its client left.
constexpr absl::Duration kCancelPoll = absl::Milliseconds(10);

absl::Time DeadlineOf(const grpc::ServerContext& context) {
  const auto deadline = context.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) {
    return absl::InfiniteFuture();
  }
  return absl::FromChrono(deadline);
}

v1::FinishReason ToProto(FinishReason reason) {
  switch (reason) {
    case FinishReason::kStop:
      return v1::FINISH_REASON_STOP;
    case FinishReason::kLength:
    case FinishReason::kContextFull:
      return v1::FINISH_REASON_LENGTH;
    case FinishReason::kEndOfGeneration:
      return v1::FINISH_REASON_END_OF_GENERATION;
    case FinishReason::kCancelled:
      return v1::FINISH_REASON_CANCELLED;
    case FinishReason::kNone:
      break;
  }
  return v1::FINISH_REASON_UNSPECIFIED;
}

absl::StatusOr<Pooling> FromProto(v1::Pooling pooling) {
  switch (pooling) {
    case v1::POOLING_UNSPECIFIED:
      return Pooling::kDefault;
    case v1::POOLING_MEAN:
      return Pooling::kMean;
    case v1::POOLING_LAST:
      return Pooling::kLastToken;
    case v1::POOLING_CLS:
      return Pooling::kCls;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("pooling: unknown value ", static_cast<int>(pooling),
                       " (POOLING_MEAN, POOLING_LAST or POOLING_CLS)"));
  }
}

// Compares without an early exit, so the time taken does not tell how much
// of a guessed token was right.
bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? a[i] : 0;
    const unsigned char y = i < b.size() ? b[i] : 0;
    diff |= x ^ y;
  }
  return diff == 0;
}

double Ms(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

absl::StatusOr<GenerateOptions> ToGenerateOptions(
    const v1::SamplingParams& sampling, const v1::GenerationLimits& limits,
    int32_t default_max_tokens) {
  GenerateOptions o;
  SamplingParams& s = o.sampling;
  if (sampling.has_temperature()) s.temperature = sampling.temperature();
  if (sampling.has_top_k()) {
    if (sampling.top_k() < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "sampling.top_k: ", sampling.top_k(), " is negative (0 disables)"));
    }
    s.top_k = sampling.top_k();
  }
  if (sampling.has_top_p()) s.top_p = sampling.top_p();
  if (sampling.has_min_p()) s.min_p = sampling.min_p();
  if (sampling.has_repetition_penalty()) {
    s.repetition_penalty = sampling.repetition_penalty();
  }
  if (sampling.has_presence_penalty()) {
    s.presence_penalty = sampling.presence_penalty();
  }
  if (sampling.has_frequency_penalty()) {
    s.frequency_penalty = sampling.frequency_penalty();
  }
  if (sampling.has_penalty_last_n()) {
    s.penalty_last_n = sampling.penalty_last_n();
  }
  if (sampling.has_seed()) s.seed = sampling.seed();
  // Counted before copying, so a huge map is refused without building a
  // second copy of it.
  if (sampling.logit_bias_size() > SamplingParams::kMaxLogitBias) {
    return absl::InvalidArgumentError(
        absl::StrCat("sampling.logit_bias: ", sampling.logit_bias_size(),
                     " entries; at most ", SamplingParams::kMaxLogitBias));
  }
  // Sorted by id so the sampler sees the same order on every call.
  std::map<int32_t, float> bias(sampling.logit_bias().begin(),
                                sampling.logit_bias().end());
  for (const auto& [id, value] : bias) s.logit_bias.emplace_back(id, value);

  if (limits.max_tokens() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("limits.max_tokens: ", limits.max_tokens(),
                     " is negative (0 means the server default)"));
  }
  o.max_tokens =
      limits.max_tokens() > 0 ? limits.max_tokens() : default_max_tokens;
  if (limits.stop_size() > RequestLimits::kMaxStopStrings) {
    return absl::InvalidArgumentError(absl::StrCat(
        "limits.stop: ", limits.stop_size(), " stop strings; at most ",
        RequestLimits::kMaxStopStrings));
  }
  o.stop.assign(limits.stop().begin(), limits.stop().end());
  o.ignore_eos = limits.ignore_eos();
  return o;
}

// What the log line of one call says.
struct EdgeLlmService::CallLog {
  uint64_t id = 0;
  std::string method;
  std::string peer;
  absl::Time start = absl::Now();
  bool has_stats = false;
  FinishReason finish = FinishReason::kNone;
  RequestStats stats;
  std::string detail;  // appended to the line (non-generation calls)
};

// Counts a running handler for WaitIdle.
class EdgeLlmService::InFlight {
 public:
  explicit InFlight(std::atomic<int>& count) : count_(count) { ++count_; }
  ~InFlight() { --count_; }

 private:
  std::atomic<int>& count_;
};

EdgeLlmService::EdgeLlmService(ServiceOptions options)
    : options_(std::move(options)) {}

bool EdgeLlmService::WaitIdle(absl::Duration timeout) const {
  const absl::Time end = absl::Now() + timeout;
  while (in_flight_.load() > 0) {
    if (absl::Now() >= end) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

void EdgeLlmService::SetEngine(Engine* engine) {
  engine_ = engine;
  ready_.store(true, std::memory_order_release);
}

absl::Status EdgeLlmService::BeginCall(const char* method,
                                       grpc::ServerContext* context,
                                       CallLog* log) {
  log->id = next_call_id_.fetch_add(1);
  log->method = method;
  log->peer = context->peer();
  return Admit(context);
}

absl::Status EdgeLlmService::Admit(grpc::ServerContext* context) const {
  if (!options_.auth_token.empty()) {
    const auto& metadata = context->client_metadata();
    auto it = metadata.find("authorization");
    if (it == metadata.end()) {
      return absl::UnauthenticatedError(
          "missing `authorization: Bearer <token>` metadata");
    }
    const std::string_view value(it->second.data(), it->second.size());
    const std::string expected = "Bearer " + options_.auth_token;
    if (!ConstantTimeEquals(value, expected)) {
      return absl::UnauthenticatedError("invalid bearer token");
    }
  }
  if (draining_.load()) {
    return absl::UnavailableError("server shutting down: not accepting");
  }
  if (!ready_.load(std::memory_order_acquire)) {
    return absl::UnavailableError("model loading; retry shortly");
  }
  return absl::OkStatus();
}

template <typename Body>
grpc::Status EdgeLlmService::Handle(const char* method,
                                    grpc::ServerContext* context, Body&& body) {
  InFlight in_flight(in_flight_);
  CallLog log;
  absl::Status status = BeginCall(method, context, &log);
  if (status.ok()) {
    status = CatchExceptions(absl::StrCat(method, " handler"),
                             [&] { return body(log); });
  }
  return Finish(log, status);
}

grpc::Status EdgeLlmService::Finish(CallLog& log, const absl::Status& status) {
  if (options_.log_requests) {
    // The line is written even when building it runs out of memory: then
    // without its details.
    const absl::Status logged = CatchExceptions("log line", [&] {
      std::string line =
          absl::StrFormat("request %d %s peer=%s status=%s", log.id, log.method,
                          log.peer, absl::StatusCodeToString(status.code()));
      if (log.has_stats) {
        absl::StrAppendFormat(
            &line,
            " finish=%s prompt_tokens=%d generated_tokens=%d queue_ms=%.1f "
            "ttft_ms=%.1f tokens_per_s=%.1f",
            FinishReasonName(log.finish), log.stats.prompt_tokens,
            log.stats.generated_tokens, Ms(log.stats.queue_time),
            Ms(log.stats.time_to_first_token), log.stats.tokens_per_second());
      }
      absl::StrAppend(&line, log.detail);
      absl::StrAppendFormat(&line, " total_ms=%.1f",
                            Ms(absl::Now() - log.start));
      if (!status.ok()) {
        absl::StrAppend(&line, " error=\"", status.message(), "\"");
      }
      std::fprintf(stderr, "%s\n", line.c_str());
      return absl::OkStatus();
    });
    if (!logged.ok()) {
      std::fprintf(stderr, "request %llu status=%d (log line lost: %s)\n",
                   static_cast<unsigned long long>(log.id),
                   static_cast<int>(status.code()),
                   std::string(logged.message()).c_str());
    }
    std::fflush(stderr);
  }
  return ToGrpcStatus(status);
}

absl::Status EdgeLlmService::StreamGeneration(
    grpc::ServerContext* context,
    absl::StatusOr<std::shared_ptr<GenerationStream>> submitted,
    grpc::ServerWriter<v1::GenerateResponse>* writer, CallLog& log) {
  if (!submitted.ok()) return submitted.status();
  GenerationStream& stream = **submitted;
  const absl::Time deadline = DeadlineOf(*context);
  bool client_gone = false;
  while (true) {
    std::optional<StreamEvent> event = stream.Next(kCancelPoll);
    if (!event.has_value()) {
      if (!client_gone && context->IsCancelled()) {
        client_gone = true;
        stream.Cancel();
      }
      continue;
    }
    v1::GenerateResponse response;
    if (!event->final) {
      response.set_text(std::move(event->text));
      response.add_token_ids(event->token);
      if (!client_gone && !writer->Write(response)) {
        client_gone = true;
        stream.Cancel();
      }
      continue;
    }
    log.has_stats = true;
    log.finish = event->finish_reason;
    log.stats = event->stats;
    response.set_finish_reason(ToProto(event->finish_reason));
    v1::Usage* usage = response.mutable_usage();
    usage->set_prompt_tokens(event->stats.prompt_tokens);
    usage->set_generated_tokens(event->stats.generated_tokens);
    usage->set_time_to_first_token_ms(Ms(event->stats.time_to_first_token));
    usage->set_tokens_per_second(event->stats.tokens_per_second());
    usage->set_queue_ms(Ms(event->stats.queue_time));
    usage->set_total_ms(Ms(event->stats.total_time));
    // The last response goes out on errors too (finish reason CANCELLED),
    // so a client sees the usage before the status.
    if (!client_gone) writer->Write(response);
    // gRPC cancels a call whose deadline passed; report the cause.
    if (absl::IsCancelled(event->status) && DeadlineReached(deadline)) {
      return absl::DeadlineExceededError(
          absl::StrCat("deadline passed after ", event->stats.generated_tokens,
                       " generated tokens"));
    }
    return event->status;
  }
}

absl::Status EdgeLlmService::RunGenerate(
    grpc::ServerContext* context, const v1::GenerateRequest& request,
    grpc::ServerWriter<v1::GenerateResponse>* writer, CallLog& log) {
  v1::SamplingParams sampling = request.sampling();
  if (!sampling.has_temperature() && request.temperature() != 0.0f) {
    sampling.set_temperature(request.temperature());
  }
  if (!sampling.has_seed() && request.seed() != 0) {
    sampling.set_seed(request.seed());
  }
  v1::GenerationLimits limits = request.limits();
  if (limits.max_tokens() == 0) limits.set_max_tokens(request.max_tokens());
  GenerateRequest generate;
  absl::StatusOr<GenerateOptions> options =
      ToGenerateOptions(sampling, limits, options_.default_max_tokens);
  if (!options.ok()) return options.status();
  generate.options = std::move(*options);
  generate.prompt_ids.assign(request.prompt_token_ids().begin(),
                             request.prompt_token_ids().end());
  generate.prompt = request.prompt();
  generate.parse_special = request.parse_special();
  generate.deadline = DeadlineOf(*context);
  return StreamGeneration(context, engine_->Submit(std::move(generate)), writer,
                          log);
}

absl::Status EdgeLlmService::RunChat(
    grpc::ServerContext* context, const v1::ChatRequest& request,
    grpc::ServerWriter<v1::GenerateResponse>* writer, CallLog& log) {
  ChatRequest chat;
  absl::StatusOr<GenerateOptions> options = ToGenerateOptions(
      request.sampling(), request.limits(), options_.default_max_tokens);
  if (!options.ok()) return options.status();
  chat.options = std::move(*options);
  if (request.messages_size() > RequestLimits::kMaxChatMessages) {
    return absl::InvalidArgumentError(
        absl::StrCat("messages: ", request.messages_size(),
                     " messages; at most ", RequestLimits::kMaxChatMessages));
  }
  for (const v1::ChatMessage& m : request.messages()) {
    chat.messages.push_back({m.role(), m.content()});
  }
  chat.deadline = DeadlineOf(*context);
  return StreamGeneration(context, engine_->SubmitChat(std::move(chat)), writer,
                          log);
}

grpc::Status EdgeLlmService::Generate(
    grpc::ServerContext* context, const v1::GenerateRequest* request,
    grpc::ServerWriter<v1::GenerateResponse>* writer) {
  return Handle("Generate", context, [&](CallLog& log) {
    return RunGenerate(context, *request, writer, log);
  });
}

grpc::Status EdgeLlmService::Chat(
    grpc::ServerContext* context, const v1::ChatRequest* request,
    grpc::ServerWriter<v1::GenerateResponse>* writer) {
  return Handle("Chat", context, [&](CallLog& log) {
    return RunChat(context, *request, writer, log);
  });
}

grpc::Status EdgeLlmService::Embed(grpc::ServerContext* context,
                                   const v1::EmbedRequest* request,
                                   v1::EmbedResponse* response) {
  return Handle("Embed", context, [&](CallLog& log) {
    return RunEmbed(context, *request, response, log);
  });
}

absl::Status EdgeLlmService::RunEmbed(grpc::ServerContext* context,
                                      const v1::EmbedRequest& request,
                                      v1::EmbedResponse* response,
                                      CallLog& log) {
  EmbedRequest embed;
  absl::StatusOr<Pooling> pooling = FromProto(request.pooling());
  if (!pooling.ok()) return pooling.status();
  embed.options.pooling = *pooling;
  embed.options.normalize = request.normalize();
  if (request.texts_size() == 0) {
    return absl::InvalidArgumentError("texts: empty; give at least one text");
  }
  if (request.texts_size() > RequestLimits::kMaxEmbedTexts) {
    return absl::InvalidArgumentError(
        absl::StrCat("texts: ", request.texts_size(), " texts; at most ",
                     RequestLimits::kMaxEmbedTexts, " per request"));
  }
  embed.texts.assign(request.texts().begin(), request.texts().end());
  const absl::Time deadline = DeadlineOf(*context);
  embed.deadline = deadline;
  absl::StatusOr<std::shared_ptr<EmbedCall>> call =
      engine_->SubmitEmbed(std::move(embed));
  if (!call.ok()) return call.status();
  std::optional<EmbedResult> result;
  bool client_gone = false;
  while (!(result = (*call)->Wait(kCancelPoll)).has_value()) {
    if (!client_gone && context->IsCancelled()) {
      client_gone = true;
      (*call)->Cancel();
    }
  }
  int64_t tokens = 0;
  for (int32_t n : result->tokens) tokens += n;
  log.detail = absl::StrFormat(" texts=%d tokens=%d pooling=%s queue_ms=%.1f",
                               request.texts_size(), tokens,
                               std::string(PoolingName(result->pooling)),
                               Ms(result->queue_time));
  if (absl::IsCancelled(result->status) && DeadlineReached(deadline)) {
    return absl::DeadlineExceededError("deadline passed while embedding");
  }
  if (!result->status.ok()) return result->status;
  response->set_dimensions(engine_->info().embedding_length);
  for (size_t i = 0; i < result->vectors.size(); ++i) {
    v1::Embedding* e = response->add_embeddings();
    e->mutable_values()->Add(result->vectors[i].begin(),
                             result->vectors[i].end());
    e->set_tokens(result->tokens[i]);
  }
  return absl::OkStatus();
}

grpc::Status EdgeLlmService::Tokenize(grpc::ServerContext* context,
                                      const v1::TokenizeRequest* request,
                                      v1::TokenizeResponse* response) {
  return Handle("Tokenize", context, [&](CallLog&) {
    for (int32_t id : engine_->Tokenize(request->text(), request->add_special(),
                                        request->parse_special())) {
      response->add_token_ids(id);
      if (request->with_pieces()) response->add_pieces(engine_->TokenPiece(id));
    }
    return absl::OkStatus();
  });
}

grpc::Status EdgeLlmService::Detokenize(grpc::ServerContext* context,
                                        const v1::DetokenizeRequest* request,
                                        v1::DetokenizeResponse* response) {
  return Handle("Detokenize", context, [&](CallLog&) -> absl::Status {
    absl::StatusOr<std::string> text =
        engine_->Detokenize(absl::MakeConstSpan(request->token_ids().data(),
                                                request->token_ids_size()),
                            request->render_special());
    if (!text.ok()) return text.status();
    response->set_text(std::move(*text));
    return absl::OkStatus();
  });
}

grpc::Status EdgeLlmService::GetModelInfo(grpc::ServerContext* context,
                                          const v1::GetModelInfoRequest*,
                                          v1::ModelInfo* info) {
  return Handle("GetModelInfo", context, [&](CallLog&) {
    const ModelInfo& m = engine_->info();
    info->set_architecture(m.architecture);
    info->set_name(m.name);
    info->set_context_length(m.context_length);
    info->set_vocab_size(m.vocab_size);
    info->set_trained_context_length(m.trained_context_length);
    info->set_embedding_length(m.embedding_length);
    info->set_layers(m.layers);
    info->set_heads(m.heads);
    info->set_kv_heads(m.kv_heads);
    info->set_quantization(m.quantization);
    info->set_model_bytes(m.model_bytes);
    info->set_weight_bytes_per_token(m.weight_bytes_per_token);
    info->set_kv_cache_bytes(m.kv_cache_bytes);
    info->set_chat_template(m.chat_template);
    info->set_tokenizer(m.tokenizer);
    info->set_parallel(m.parallel);
    info->set_queue(m.queue);
    return absl::OkStatus();
  });
}

}  // namespace edgellm::server
