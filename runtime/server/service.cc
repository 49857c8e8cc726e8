#include "runtime/server/service.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "runtime/server/generate_options.h"
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
    case FinishReason::kToolCalls:
      return v1::FINISH_REASON_TOOL_CALLS;
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

double Ms(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }

ToolCall FromProto(const v1::ToolCall& call) {
  return {.index = call.index(),
          .id = call.id(),
          .name = call.name(),
          .arguments = call.arguments()};
}

void ToProto(const ToolCall& call, v1::ToolCall* out) {
  out->set_index(call.index);
  out->set_id(call.id);
  out->set_name(call.name);
  out->set_arguments(call.arguments);
}

// The engine checks names, JSON and nesting (errors name
// `messages[i].tool_calls[k]`, `tools[i].parameters`, `template_kwargs`);
// the counts are checked here, before anything is copied.
absl::Status ToChatRequest(const v1::ChatRequest& request, ChatRequest* chat) {
  if (request.messages_size() > RequestLimits::kMaxChatMessages) {
    return absl::InvalidArgumentError(
        absl::StrCat("messages: ", request.messages_size(),
                     " messages; at most ", RequestLimits::kMaxChatMessages));
  }
  if (request.tools_size() > RequestLimits::kMaxChatTools) {
    return absl::InvalidArgumentError(
        absl::StrCat("tools: ", request.tools_size(), " tools; at most ",
                     RequestLimits::kMaxChatTools));
  }
  switch (request.tool_choice()) {
    case v1::TOOL_CHOICE_UNSPECIFIED:
    case v1::TOOL_CHOICE_AUTO:
    case v1::TOOL_CHOICE_NONE:
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("tool_choice: unknown value ",
                       static_cast<int>(request.tool_choice()),
                       " (TOOL_CHOICE_AUTO or TOOL_CHOICE_NONE)"));
  }
  for (const v1::ChatMessage& m : request.messages()) {
    ChatMessage message;
    message.role = m.role();
    message.content = m.content();
    message.tool_call_id = m.tool_call_id();
    message.name = m.name();
    message.reasoning_content = m.reasoning_content();
    for (const v1::ToolCall& call : m.tool_calls()) {
      message.tool_calls.push_back(FromProto(call));
    }
    chat->messages.push_back(std::move(message));
  }
  // TOOL_CHOICE_NONE: no tools in the prompt, so the reply is parsed as
  // text only (ChatRequest::tools).
  if (request.tool_choice() != v1::TOOL_CHOICE_NONE) {
    for (const v1::Tool& t : request.tools()) {
      chat->tools.push_back({t.name(), t.description(), t.parameters()});
    }
  }
  chat->template_kwargs = request.template_kwargs();
  return absl::OkStatus();
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

absl::StatusOr<GenerateOptions> ToGenerateOptions(
    const v1::SamplingParams& sampling, const v1::GenerationLimits& limits,
    int32_t default_max_tokens) {
  GenerationFields f;
  if (sampling.has_temperature()) f.temperature = sampling.temperature();
  if (sampling.has_top_k()) f.top_k = sampling.top_k();
  if (sampling.has_top_p()) f.top_p = sampling.top_p();
  if (sampling.has_min_p()) f.min_p = sampling.min_p();
  if (sampling.has_repetition_penalty()) {
    f.repetition_penalty = sampling.repetition_penalty();
  }
  if (sampling.has_presence_penalty()) {
    f.presence_penalty = sampling.presence_penalty();
  }
  if (sampling.has_frequency_penalty()) {
    f.frequency_penalty = sampling.frequency_penalty();
  }
  if (sampling.has_penalty_last_n()) {
    f.penalty_last_n = sampling.penalty_last_n();
  }
  if (sampling.has_seed()) f.seed = sampling.seed();
  // Counted before copying, so a huge map is refused without building a
  // second copy of it.
  if (sampling.logit_bias_size() > SamplingParams::kMaxLogitBias) {
    return absl::InvalidArgumentError(
        absl::StrCat("sampling.logit_bias: ", sampling.logit_bias_size(),
                     " entries; at most ", SamplingParams::kMaxLogitBias));
  }
  f.logit_bias.assign(sampling.logit_bias().begin(),
                      sampling.logit_bias().end());
  f.max_tokens = limits.max_tokens();
  if (limits.stop_size() > RequestLimits::kMaxStopStrings) {
    return absl::InvalidArgumentError(absl::StrCat(
        "limits.stop: ", limits.stop_size(), " stop strings; at most ",
        RequestLimits::kMaxStopStrings));
  }
  f.stop.assign(limits.stop().begin(), limits.stop().end());
  f.ignore_eos = limits.ignore_eos();
  return BuildGenerateOptions(f, default_max_tokens,
                              {.sampling = "sampling.", .limits = "limits."});
}

EdgeLlmService::EdgeLlmService(Frontend* frontend) : frontend_(frontend) {}

template <typename Body>
grpc::Status EdgeLlmService::Handle(const char* method,
                                    grpc::ServerContext* context, Body&& body) {
  CallRecord record = frontend_->Begin("grpc", method, context->peer());
  std::optional<absl::string_view> authorization;
  const auto& metadata = context->client_metadata();
  if (auto it = metadata.find("authorization"); it != metadata.end()) {
    authorization = absl::string_view(it->second.data(), it->second.size());
  }
  absl::Status status = frontend_->Admit(authorization);
  if (status.ok()) {
    status = CatchExceptions(absl::StrCat(method, " handler"),
                             [&] { return body(record); });
  }
  frontend_->Finish(record, status, absl::StatusCodeToString(status.code()));
  return ToGrpcStatus(status);
}

absl::Status EdgeLlmService::StreamGeneration(
    grpc::ServerContext* context,
    absl::StatusOr<std::shared_ptr<GenerationStream>> submitted,
    grpc::ServerWriter<v1::GenerateResponse>* writer, CallRecord& record) {
  if (!submitted.ok()) return submitted.status();
  const absl::Time deadline = DeadlineOf(*context);
  bool client_gone = false;
  StreamEvent final = Frontend::ReadGeneration(
      **submitted,
      [&](StreamEvent& token) {
        v1::GenerateResponse response;
        response.set_text(std::move(token.text));
        response.add_token_ids(token.token);
        response.set_reasoning(std::move(token.reasoning));
        for (const ToolCall& call : token.tool_calls) {
          ToProto(call, response.add_tool_calls());
        }
        client_gone = !writer->Write(response);
        return !client_gone;
      },
      [&] { return client_gone = context->IsCancelled(); }, record);
  v1::GenerateResponse response;
  response.set_finish_reason(ToProto(final.finish_reason));
  v1::Usage* usage = response.mutable_usage();
  usage->set_prompt_tokens(final.stats.prompt_tokens);
  usage->set_generated_tokens(final.stats.generated_tokens);
  usage->set_time_to_first_token_ms(Ms(final.stats.time_to_first_token));
  usage->set_tokens_per_second(final.stats.tokens_per_second());
  usage->set_queue_ms(Ms(final.stats.queue_time));
  usage->set_total_ms(Ms(final.stats.total_time));
  usage->set_cached_prompt_tokens(final.stats.cached_prompt_tokens);
  usage->set_context_shifts(final.stats.context_shifts);
  usage->set_context_shift_dropped_tokens(
      final.stats.context_shift_dropped_tokens);
  // The last response goes out on errors too (finish reason CANCELLED),
  // so a client sees the usage before the status.
  if (!client_gone) writer->Write(response);
  // gRPC cancels a call whose deadline passed; report the cause.
  if (absl::IsCancelled(final.status) && DeadlineReached(deadline)) {
    return absl::DeadlineExceededError(
        absl::StrCat("deadline passed after ", final.stats.generated_tokens,
                     " generated tokens"));
  }
  return final.status;
}

absl::Status EdgeLlmService::RunGenerate(
    grpc::ServerContext* context, const v1::GenerateRequest& request,
    grpc::ServerWriter<v1::GenerateResponse>* writer, CallRecord& record) {
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
  absl::StatusOr<GenerateOptions> options = ToGenerateOptions(
      sampling, limits, frontend_->options().default_max_tokens);
  if (!options.ok()) return options.status();
  generate.options = std::move(*options);
  if (request.has_cache_prompt()) {
    generate.options.prefix_cache = request.cache_prompt();
  }
  generate.prompt_ids.assign(request.prompt_token_ids().begin(),
                             request.prompt_token_ids().end());
  generate.prompt = request.prompt();
  generate.parse_special = request.parse_special();
  generate.deadline = DeadlineOf(*context);
  return StreamGeneration(context,
                          frontend_->engine()->Submit(std::move(generate)),
                          writer, record);
}

absl::Status EdgeLlmService::RunChat(
    grpc::ServerContext* context, const v1::ChatRequest& request,
    grpc::ServerWriter<v1::GenerateResponse>* writer, CallRecord& record) {
  ChatRequest chat;
  absl::StatusOr<GenerateOptions> options =
      ToGenerateOptions(request.sampling(), request.limits(),
                        frontend_->options().default_max_tokens);
  if (!options.ok()) return options.status();
  chat.options = std::move(*options);
  if (request.has_cache_prompt()) {
    chat.options.prefix_cache = request.cache_prompt();
  }
  if (absl::Status s = ToChatRequest(request, &chat); !s.ok()) return s;
  chat.deadline = DeadlineOf(*context);
  return StreamGeneration(context,
                          frontend_->engine()->SubmitChat(std::move(chat)),
                          writer, record);
}

grpc::Status EdgeLlmService::Generate(
    grpc::ServerContext* context, const v1::GenerateRequest* request,
    grpc::ServerWriter<v1::GenerateResponse>* writer) {
  return Handle("Generate", context, [&](CallRecord& record) {
    return RunGenerate(context, *request, writer, record);
  });
}

grpc::Status EdgeLlmService::Chat(
    grpc::ServerContext* context, const v1::ChatRequest* request,
    grpc::ServerWriter<v1::GenerateResponse>* writer) {
  return Handle("Chat", context, [&](CallRecord& record) {
    return RunChat(context, *request, writer, record);
  });
}

grpc::Status EdgeLlmService::Embed(grpc::ServerContext* context,
                                   const v1::EmbedRequest* request,
                                   v1::EmbedResponse* response) {
  return Handle("Embed", context, [&](CallRecord& record) {
    return RunEmbed(context, *request, response, record);
  });
}

absl::Status EdgeLlmService::RunEmbed(grpc::ServerContext* context,
                                      const v1::EmbedRequest& request,
                                      v1::EmbedResponse* response,
                                      CallRecord& record) {
  EmbedRequest embed;
  absl::StatusOr<Pooling> pooling = FromProto(request.pooling());
  if (!pooling.ok()) return pooling.status();
  embed.options.pooling = *pooling;
  embed.options.normalize = request.normalize();
  if (request.has_cache_prompt()) {
    embed.options.prefix_cache = request.cache_prompt();
  }
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
      frontend_->engine()->SubmitEmbed(std::move(embed));
  if (!call.ok()) return call.status();
  std::optional<EmbedResult> result = Frontend::WaitEmbedding(
      **call, request.texts_size(), [&] { return context->IsCancelled(); },
      record);
  if (absl::IsCancelled(result->status) && DeadlineReached(deadline)) {
    return absl::DeadlineExceededError("deadline passed while embedding");
  }
  if (!result->status.ok()) return result->status;
  response->set_dimensions(frontend_->engine()->info().embedding_length);
  for (size_t i = 0; i < result->vectors.size(); ++i) {
    v1::Embedding* e = response->add_embeddings();
    e->mutable_values()->Add(result->vectors[i].begin(),
                             result->vectors[i].end());
    e->set_tokens(result->tokens[i]);
  }
  return absl::OkStatus();
}

grpc::Status EdgeLlmService::Rerank(grpc::ServerContext* context,
                                    const v1::RerankRequest* request,
                                    v1::RerankResponse* response) {
  return Handle("Rerank", context, [&](CallRecord& record) {
    return RunRerank(context, *request, response, record);
  });
}

absl::Status EdgeLlmService::RunRerank(grpc::ServerContext* context,
                                       const v1::RerankRequest& request,
                                       v1::RerankResponse* response,
                                       CallRecord& record) {
  // Counted before copying, so a huge list is refused without a second
  // copy of it.
  if (request.documents_size() > RequestLimits::kMaxRerankDocuments) {
    return absl::InvalidArgumentError(absl::StrCat(
        "documents: ", request.documents_size(), " documents; at most ",
        RequestLimits::kMaxRerankDocuments, " per request"));
  }
  RerankRequest rerank;
  rerank.query = request.query();
  rerank.documents.assign(request.documents().begin(),
                          request.documents().end());
  const absl::Time deadline = DeadlineOf(*context);
  rerank.deadline = deadline;
  absl::StatusOr<std::shared_ptr<EmbedCall>> call =
      frontend_->engine()->SubmitRerank(std::move(rerank));
  if (!call.ok()) return call.status();
  EmbedResult result = Frontend::WaitEmbedding(
      **call, request.documents_size(), [&] { return context->IsCancelled(); },
      record);
  if (absl::IsCancelled(result.status) && DeadlineReached(deadline)) {
    return absl::DeadlineExceededError("deadline passed while reranking");
  }
  if (!result.status.ok()) return result.status;
  response->mutable_scores()->Add(result.scores.begin(), result.scores.end());
  response->mutable_tokens()->Add(result.tokens.begin(), result.tokens.end());
  return absl::OkStatus();
}

grpc::Status EdgeLlmService::Tokenize(grpc::ServerContext* context,
                                      const v1::TokenizeRequest* request,
                                      v1::TokenizeResponse* response) {
  return Handle("Tokenize", context, [&](CallRecord&) {
    for (int32_t id :
         frontend_->engine()->Tokenize(request->text(), request->add_special(),
                                       request->parse_special())) {
      response->add_token_ids(id);
      if (request->with_pieces())
        response->add_pieces(frontend_->engine()->TokenPiece(id));
    }
    return absl::OkStatus();
  });
}

grpc::Status EdgeLlmService::Detokenize(grpc::ServerContext* context,
                                        const v1::DetokenizeRequest* request,
                                        v1::DetokenizeResponse* response) {
  return Handle("Detokenize", context, [&](CallRecord&) -> absl::Status {
    absl::StatusOr<std::string> text = frontend_->engine()->Detokenize(
        absl::MakeConstSpan(request->token_ids().data(),
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
  return Handle("GetModelInfo", context, [&](CallRecord&) {
    const ModelInfo& m = frontend_->engine()->info();
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
    info->set_kv_cache_bytes_per_slot(m.kv_cache_bytes_per_slot);
    info->set_generates(m.generates);
    info->set_reranks(m.reranks);
    info->set_pooling(m.pooling);
    info->set_chat_template(m.chat_template);
    info->set_tokenizer(m.tokenizer);
    info->set_parallel(m.parallel);
    info->set_queue(m.queue);
    return absl::OkStatus();
  });
}

}  // namespace edgellm::server
