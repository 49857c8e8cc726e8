#include "runtime/server/service.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "runtime/gguf/types.h"

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
constexpr int kMaxStopStrings = 16;

v1::FinishReason ToProto(engine::FinishReason reason) {
  switch (reason) {
    case engine::FinishReason::kStop:
      return v1::FINISH_REASON_STOP;
    case engine::FinishReason::kLength:
    case engine::FinishReason::kContextFull:
      return v1::FINISH_REASON_LENGTH;
    case engine::FinishReason::kEndOfGeneration:
      return v1::FINISH_REASON_END_OF_GENERATION;
    case engine::FinishReason::kCancelled:
      return v1::FINISH_REASON_CANCELLED;
    case engine::FinishReason::kNone:
      break;
  }
  return v1::FINISH_REASON_UNSPECIFIED;
}

std::string_view TokenizerKindName(tokenizer::TokenizerKind kind) {
  switch (kind) {
    case tokenizer::TokenizerKind::kSpm:
      return "spm";
    case tokenizer::TokenizerKind::kBpe:
      return "bpe";
    case tokenizer::TokenizerKind::kWordPiece:
      return "wordpiece";
    case tokenizer::TokenizerKind::kLlama2c:
      return "llama2c";
  }
  return "unknown";
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

absl::StatusOr<engine::GenerateOptions> ToGenerateOptions(
    const v1::SamplingParams& sampling, const v1::GenerationLimits& limits,
    int32_t default_max_tokens) {
  engine::GenerateOptions o;
  engine::SamplingParams& s = o.sampling;
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
  if (sampling.has_penalty_last_n())
    s.penalty_last_n = sampling.penalty_last_n();
  if (sampling.has_seed()) s.seed = sampling.seed();
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
  if (limits.stop_size() > kMaxStopStrings) {
    return absl::InvalidArgumentError(
        absl::StrCat("limits.stop: ", limits.stop_size(),
                     " stop strings; at most ", kMaxStopStrings));
  }
  for (int i = 0; i < limits.stop_size(); ++i) {
    if (limits.stop(i).empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("limits.stop[", i, "]: empty"));
    }
    o.stop.push_back(limits.stop(i));
  }
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
  engine::FinishReason finish = engine::FinishReason::kNone;
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

void EdgeLlmService::SetBackend(engine::Engine* engine, Scheduler* scheduler) {
  engine_ = engine;
  scheduler_ = scheduler;
  const gguf::GgufFile& file = engine->file();
  absl::StatusOr<std::string_view> jinja =
      file.GetString("tokenizer.chat_template");
  if (options_.chat_template.has_value()) {
    chat_family_ = *options_.chat_template;
  } else if (jinja.ok()) {
    chat_family_ = DetectChatTemplate(*jinja);
  } else {
    chat_family_ = absl::FailedPreconditionError(
        "the model has no tokenizer.chat_template; start the server with "
        "--chat-template NAME (one of " +
        SupportedChatTemplateNames() + ")");
  }
  if (jinja.ok()) default_system_prompt_ = DefaultSystemPrompt(*jinja);
  const tokenizer::Tokenizer& tok = engine->tokenizer();
  if (tok.special().bos != tokenizer::kNoToken) {
    bos_text_ = std::string(tok.TokenText(tok.special().bos));
  }
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

grpc::Status EdgeLlmService::Finish(CallLog& log, const absl::Status& status) {
  if (options_.log_requests) {
    std::string line =
        absl::StrFormat("request %d %s peer=%s status=%s", log.id, log.method,
                        log.peer, absl::StatusCodeToString(status.code()));
    if (log.has_stats) {
      absl::StrAppendFormat(
          &line,
          " finish=%s prompt_tokens=%d generated_tokens=%d queue_ms=%.1f "
          "ttft_ms=%.1f tokens_per_s=%.1f",
          engine::FinishReasonName(log.finish), log.stats.prompt_tokens,
          log.stats.generated_tokens, Ms(log.stats.queue_time),
          Ms(log.stats.time_to_first_token), log.stats.tokens_per_second());
    }
    absl::StrAppend(&line, log.detail);
    absl::StrAppendFormat(&line, " total_ms=%.1f", Ms(absl::Now() - log.start));
    if (!status.ok())
      absl::StrAppend(&line, " error=\"", status.message(), "\"");
    std::fprintf(stderr, "%s\n", line.c_str());
    std::fflush(stderr);
  }
  return ToGrpcStatus(status);
}

absl::Status EdgeLlmService::RunGeneration(
    grpc::ServerContext* context, std::vector<int32_t> prompt_ids,
    const engine::GenerateOptions& options,
    grpc::ServerWriter<v1::GenerateResponse>* writer, CallLog& log) {
  Request request;
  request.prompt_ids = std::move(prompt_ids);
  request.options = options;
  const auto deadline = context->deadline();
  absl::Time deadline_time = absl::InfiniteFuture();
  if (deadline != std::chrono::system_clock::time_point::max()) {
    deadline_time = absl::FromChrono(deadline);
    request.deadline = deadline_time;
  }
  absl::StatusOr<std::shared_ptr<RequestStream>> stream =
      scheduler_->Submit(std::move(request));
  if (!stream.ok()) return stream.status();
  bool client_gone = false;
  while (true) {
    std::optional<StreamEvent> event = (*stream)->Next(kCancelPoll);
    if (!event.has_value()) {
      if (!client_gone && context->IsCancelled()) {
        client_gone = true;
        (*stream)->Cancel();
      }
      continue;
    }
    v1::GenerateResponse response;
    if (!event->final) {
      response.set_text(std::move(event->text));
      response.add_token_ids(event->token);
      if (!client_gone && !writer->Write(response)) {
        client_gone = true;
        (*stream)->Cancel();
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
    if (absl::IsCancelled(event->status) && DeadlineReached(deadline_time)) {
      return absl::DeadlineExceededError(
          absl::StrCat("deadline passed after ", event->stats.generated_tokens,
                       " generated tokens"));
    }
    return event->status;
  }
}

grpc::Status EdgeLlmService::Generate(
    grpc::ServerContext* context, const v1::GenerateRequest* request,
    grpc::ServerWriter<v1::GenerateResponse>* writer) {
  InFlight in_flight(in_flight_);
  CallLog log;
  if (absl::Status admitted = BeginCall("Generate", context, &log);
      !admitted.ok()) {
    return Finish(log, admitted);
  }

  v1::SamplingParams sampling = request->sampling();
  if (!sampling.has_temperature() && request->temperature() != 0.0f) {
    sampling.set_temperature(request->temperature());
  }
  if (!sampling.has_seed() && request->seed() != 0) {
    sampling.set_seed(request->seed());
  }
  v1::GenerationLimits limits = request->limits();
  if (limits.max_tokens() == 0) limits.set_max_tokens(request->max_tokens());
  absl::StatusOr<engine::GenerateOptions> options =
      ToGenerateOptions(sampling, limits, options_.default_max_tokens);
  if (!options.ok()) return Finish(log, options.status());

  std::vector<int32_t> prompt_ids;
  if (request->prompt_token_ids_size() > 0) {
    prompt_ids.assign(request->prompt_token_ids().begin(),
                      request->prompt_token_ids().end());
  } else if (request->prompt().empty()) {
    return Finish(
        log, absl::InvalidArgumentError("prompt: empty; give prompt text or "
                                        "prompt_token_ids"));
  } else {
    prompt_ids = engine_->Encode(request->prompt(), request->parse_special());
  }
  return Finish(log, RunGeneration(context, std::move(prompt_ids), *options,
                                   writer, log));
}

grpc::Status EdgeLlmService::Chat(
    grpc::ServerContext* context, const v1::ChatRequest* request,
    grpc::ServerWriter<v1::GenerateResponse>* writer) {
  InFlight in_flight(in_flight_);
  CallLog log;
  if (absl::Status admitted = BeginCall("Chat", context, &log);
      !admitted.ok()) {
    return Finish(log, admitted);
  }
  if (!chat_family_.ok()) return Finish(log, chat_family_.status());
  if (request->messages_size() == 0) {
    return Finish(log, absl::InvalidArgumentError("messages: empty"));
  }
  absl::StatusOr<engine::GenerateOptions> options = ToGenerateOptions(
      request->sampling(), request->limits(), options_.default_max_tokens);
  if (!options.ok()) return Finish(log, options.status());

  std::vector<ChatMessage> messages;
  const bool has_system = request->messages(0).role() == "system";
  if (!has_system && default_system_prompt_.has_value()) {
    messages.push_back({"system", *default_system_prompt_});
  }
  for (const v1::ChatMessage& m : request->messages()) {
    messages.push_back({m.role(), m.content()});
  }
  absl::StatusOr<std::string> prompt = RenderChat(
      *chat_family_, messages, /*add_generation_prompt=*/true, bos_text_);
  if (!prompt.ok()) {
    return Finish(log, absl::InvalidArgumentError(absl::StrCat(
                           "messages: ", prompt.status().message())));
  }
  // The template places BOS itself; special-token text is real tokens here.
  tokenizer::EncodeOptions encode;
  encode.add_special = false;
  encode.parse_special = true;
  std::vector<int32_t> ids = engine_->tokenizer().Encode(*prompt, encode);
  return Finish(log,
                RunGeneration(context, std::move(ids), *options, writer, log));
}

grpc::Status EdgeLlmService::Embed(grpc::ServerContext* context,
                                   const v1::EmbedRequest* request,
                                   v1::EmbedResponse* response) {
  InFlight in_flight(in_flight_);
  CallLog log;
  if (absl::Status admitted = BeginCall("Embed", context, &log);
      !admitted.ok()) {
    return Finish(log, admitted);
  }
  return Finish(log, RunEmbed(context, *request, response, log));
}

absl::Status EdgeLlmService::RunEmbed(grpc::ServerContext* context,
                                      const v1::EmbedRequest& request,
                                      v1::EmbedResponse* response,
                                      CallLog& log) {
  if (!scheduler_->embeddings_available()) {
    return absl::UnimplementedError(
        "Embed: the server has no KV slot reserved for embeddings");
  }
  EmbedRequest embed;
  switch (request.pooling()) {
    case v1::POOLING_UNSPECIFIED:
      embed.options.pooling = engine_->default_pooling();
      break;
    case v1::POOLING_MEAN:
      embed.options.pooling = engine::Pooling::kMean;
      break;
    case v1::POOLING_LAST:
      embed.options.pooling = engine::Pooling::kLastToken;
      break;
    case v1::POOLING_CLS:
      embed.options.pooling = engine::Pooling::kCls;
      break;
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "pooling: unknown value ", static_cast<int>(request.pooling()),
          " (POOLING_MEAN, POOLING_LAST or POOLING_CLS)"));
  }
  embed.options.normalize = request.normalize();
  const engine::Pooling embed_pooling = embed.options.pooling;
  if (request.texts_size() == 0) {
    return absl::InvalidArgumentError("texts: empty; give at least one text");
  }
  // Checked before encoding: BOS alone would otherwise embed "".
  for (int i = 0; i < request.texts_size(); ++i) {
    if (request.texts(i).empty()) {
      return absl::InvalidArgumentError(absl::StrCat("texts[", i, "]: empty"));
    }
  }
  std::vector<int32_t> tokens;
  for (const std::string& text : request.texts()) {
    embed.texts.push_back(engine_->Encode(text));
    tokens.push_back(static_cast<int32_t>(embed.texts.back().size()));
  }
  const auto deadline = context->deadline();
  absl::Time deadline_time = absl::InfiniteFuture();
  if (deadline != std::chrono::system_clock::time_point::max()) {
    deadline_time = absl::FromChrono(deadline);
    embed.deadline = deadline_time;
  }
  absl::StatusOr<std::shared_ptr<EmbedCall>> call =
      scheduler_->SubmitEmbed(std::move(embed));
  if (!call.ok()) return call.status();
  std::optional<EmbedResult> result;
  bool client_gone = false;
  while (!(result = (*call)->Wait(kCancelPoll)).has_value()) {
    if (!client_gone && context->IsCancelled()) {
      client_gone = true;
      (*call)->Cancel();
    }
  }
  log.detail = absl::StrFormat(" texts=%d tokens=%d pooling=%s queue_ms=%.1f",
                               request.texts_size(), result->tokens,
                               std::string(engine::PoolingName(embed_pooling)),
                               Ms(result->queue_time));
  if (absl::IsCancelled(result->status) && DeadlineReached(deadline_time)) {
    return absl::DeadlineExceededError("deadline passed while embedding");
  }
  if (!result->status.ok()) return result->status;
  response->set_dimensions(engine_->config().embedding_length);
  for (size_t i = 0; i < result->vectors.size(); ++i) {
    v1::Embedding* e = response->add_embeddings();
    e->mutable_values()->Add(result->vectors[i].begin(),
                             result->vectors[i].end());
    e->set_tokens(tokens[i]);
  }
  return absl::OkStatus();
}

grpc::Status EdgeLlmService::Tokenize(grpc::ServerContext* context,
                                      const v1::TokenizeRequest* request,
                                      v1::TokenizeResponse* response) {
  InFlight in_flight(in_flight_);
  CallLog log;
  if (absl::Status admitted = BeginCall("Tokenize", context, &log);
      !admitted.ok()) {
    return Finish(log, admitted);
  }
  const tokenizer::Tokenizer& tok = engine_->tokenizer();
  tokenizer::EncodeOptions encode;
  encode.add_special = request->add_special();
  encode.parse_special = request->parse_special();
  for (int32_t id : tok.Encode(request->text(), encode)) {
    response->add_token_ids(id);
    if (request->with_pieces()) response->add_pieces(tok.TokenPiece(id, true));
  }
  return Finish(log, absl::OkStatus());
}

grpc::Status EdgeLlmService::Detokenize(grpc::ServerContext* context,
                                        const v1::DetokenizeRequest* request,
                                        v1::DetokenizeResponse* response) {
  InFlight in_flight(in_flight_);
  CallLog log;
  if (absl::Status admitted = BeginCall("Detokenize", context, &log);
      !admitted.ok()) {
    return Finish(log, admitted);
  }
  const tokenizer::Tokenizer& tok = engine_->tokenizer();
  const int32_t vocab = tok.vocab_size();
  for (int i = 0; i < request->token_ids_size(); ++i) {
    const int32_t id = request->token_ids(i);
    if (id < 0 || id >= vocab) {
      return Finish(log, absl::InvalidArgumentError(
                             absl::StrCat("token_ids[", i, "]: ", id,
                                          " is outside [0, ", vocab, ")")));
    }
  }
  // The streaming decoder, not Decode(): it always yields valid UTF-8
  // (proto3 strings must be), replacing broken bytes with U+FFFD.
  tokenizer::DecodeOptions decode;
  decode.render_special = request->render_special();
  tokenizer::StreamDecoder decoder(tok, decode);
  std::string text;
  for (int32_t id : request->token_ids()) text += decoder.Push(id);
  text += decoder.Flush();
  response->set_text(std::move(text));
  return Finish(log, absl::OkStatus());
}

grpc::Status EdgeLlmService::GetModelInfo(grpc::ServerContext* context,
                                          const v1::GetModelInfoRequest*,
                                          v1::ModelInfo* info) {
  InFlight in_flight(in_flight_);
  CallLog log;
  if (absl::Status admitted = BeginCall("GetModelInfo", context, &log);
      !admitted.ok()) {
    return Finish(log, admitted);
  }
  const model::ModelConfig& c = engine_->config();
  info->set_architecture(c.architecture_name);
  info->set_name(c.name);
  info->set_context_length(engine_->context());
  info->set_vocab_size(c.vocab_size);
  info->set_trained_context_length(c.context_length);
  info->set_embedding_length(c.embedding_length);
  info->set_layers(c.block_count);
  info->set_heads(c.head_count);
  info->set_kv_heads(c.head_count_kv);
  std::map<std::string, int> types;
  for (const gguf::TensorInfo& t : engine_->file().tensors()) {
    absl::StatusOr<gguf::TensorTypeTraits> traits =
        gguf::GetTensorTypeTraits(static_cast<uint32_t>(t.type));
    std::string name =
        traits.ok() ? std::string(traits->name)
                    : absl::StrCat("type", static_cast<uint32_t>(t.type));
    for (char& ch : name) ch = static_cast<char>(std::toupper(ch));
    ++types[name];
  }
  std::vector<std::pair<std::string, int>> sorted(types.begin(), types.end());
  std::stable_sort(
      sorted.begin(), sorted.end(),
      [](const auto& a, const auto& b) { return a.second > b.second; });
  info->set_quantization(
      absl::StrJoin(sorted, ", ", [](std::string* out, const auto& p) {
        absl::StrAppend(out, p.first, " x", p.second);
      }));
  info->set_model_bytes(static_cast<int64_t>(engine_->file().file_size()));
  info->set_kv_cache_bytes(
      static_cast<int64_t>(engine_->transformer().kv_cache().bytes()));
  if (chat_family_.ok()) {
    info->set_chat_template(std::string(ChatTemplateFamilyName(*chat_family_)));
  }
  info->set_tokenizer(
      std::string(TokenizerKindName(engine_->tokenizer().kind())));
  info->set_parallel(options_.parallel);
  info->set_queue(options_.queue);
  return Finish(log, absl::OkStatus());
}

}  // namespace edgellm::server
