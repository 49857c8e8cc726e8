// The Engine of the public API: a LoadedModel driven by a Scheduler, with
// the request encoding, the chat template and the model description on
// top; or, for an encoder-only model, an EncoderEngine driven by an
// EncoderScheduler (Embed and Rerank only). See edgellm.h.
#include "runtime/engine/edgellm.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/chat/output/output_parser.h"
#include "runtime/engine/chat_prompt.h"
#include "runtime/engine/embedding.h"
#include "runtime/engine/encoder_engine.h"
#include "runtime/engine/encoder_requests.h"
#include "runtime/engine/encoder_scheduler.h"
#include "runtime/engine/engine_builder.h"
#include "runtime/engine/loaded_model.h"
#include "runtime/engine/scheduler.h"
#include "runtime/gguf/types.h"
#include "runtime/model/encoder_config.h"
#include "runtime/model/weight_stats.h"
#include "util/exception_status.h"
#include "util/status_macros.h"

namespace edgellm {

struct Engine::Impl {
  std::unique_ptr<engine::LoadedModel> model;
  std::unique_ptr<engine::BatchModel> transformer_model;
  std::unique_ptr<engine::BatchModel> wrapped_model;  // a test double
  ModelInfo info;
  std::optional<engine::ChatPrompt> chat_prompt;
  chat::output::OutputFormat output_format;
  std::atomic<uint64_t> chat_requests{0};  // numbers the tool-call ids
  // An encoder-only model instead of `model`, and its scheduler (stopped,
  // by its destructor, before the encoder goes).
  std::unique_ptr<engine::EncoderEngine> encoder;
  std::unique_ptr<engine::EncoderScheduler> encoder_scheduler;
  // Last: stopped (by its destructor) before the model goes.
  std::unique_ptr<engine::Scheduler> scheduler;

  bool is_encoder() const { return encoder != nullptr; }
  const tokenizer::Tokenizer& tokenizer() const {
    return is_encoder() ? encoder->tokenizer() : model->tokenizer();
  }
};

namespace {

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

// "Q8_0 x57, F32 x13": weight types by how many tensors have them, most
// common first.
absl::Status ValidateOptions(const EngineOptions& o) {
  if (o.model_path.empty()) {
    return absl::InvalidArgumentError("model_path: empty");
  }
  if (o.parallel < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("parallel: ", o.parallel, "; must be at least 1"));
  }
  if (o.queue < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("queue: ", o.queue, "; must not be negative"));
  }
  if (o.context_shift < -1) {
    return absl::InvalidArgumentError(
        absl::StrCat("context_shift: ", o.context_shift,
                     "; must be -1 (off) or the tokens to keep (>= 0)"));
  }
  if (o.shared_pass_tokens < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "shared_pass_tokens: ", o.shared_pass_tokens, "; must be at least 1"));
  }
  if (o.kv_block_size < 0 || o.kv_blocks < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("kv_block_size: ", o.kv_block_size,
                     ", kv_blocks: ", o.kv_blocks, "; must not be negative"));
  }
  if (!o.tool_call_format.empty()) {
    if (absl::Status s =
            chat::output::ToolCallSyntaxFromName(o.tool_call_format).status();
        !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("tool_call_format: ", s.message()));
    }
  }
  if (!o.reasoning_format.empty()) {
    if (absl::Status s =
            chat::output::ReasoningSyntaxFromName(o.reasoning_format).status();
        !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("reasoning_format: ", s.message()));
    }
  }
  return absl::OkStatus();
}

std::optional<std::string> MetadataString(const gguf::GgufFile& file,
                                          const std::string& key) {
  absl::StatusOr<std::string_view> value = file.GetString(key);
  if (!value.ok()) return std::nullopt;
  return std::string(*value);
}

std::optional<std::string> TokenTextOf(const tokenizer::Tokenizer& tok,
                                       tokenizer::TokenId id) {
  if (id == tokenizer::kNoToken) return std::nullopt;
  return std::string(tok.TokenText(id));
}

// The output syntax: named in the options, else detected from the template
// the model is chatted with (its tool_use variant when it has one: that is
// where the tool-call markup is), the vocabulary's special tokens and the
// architecture.
chat::output::OutputFormat ChooseOutputFormat(
    const EngineOptions& options, const engine::ChatPromptInputs& inputs,
    const engine::ChatPrompt& prompt, const Engine::Impl& impl) {
  const tokenizer::Tokenizer& tok = impl.model->tokenizer();
  chat::output::FormatHints hints;
  std::string_view source = prompt.template_source();
  if (prompt.source() == engine::ChatPromptSource::kModel &&
      inputs.model_tool_use_template.has_value()) {
    source = *inputs.model_tool_use_template;
  } else if (source.empty() && inputs.model_template.has_value()) {
    source = *inputs.model_template;  // a family: its markers may still tell
  }
  hints.template_source = source;
  for (tokenizer::TokenId id = 0; id < tok.vocab_size(); ++id) {
    const tokenizer::TokenType type = tok.token_type(id);
    if (type == tokenizer::TokenType::kControl ||
        type == tokenizer::TokenType::kUserDefined) {
      hints.special_tokens.push_back(tok.TokenText(id));
    }
  }
  hints.architecture = impl.info.architecture;
  chat::output::OutputFormat format = chat::output::DetectOutputFormat(hints);
  if (!options.tool_call_format.empty()) {
    format.tool_calls =
        *chat::output::ToolCallSyntaxFromName(options.tool_call_format);
  }
  if (!options.reasoning_format.empty()) {
    format.reasoning =
        *chat::output::ReasoningSyntaxFromName(options.reasoning_format);
  }
  return format;
}

absl::Status DescribeChat(const EngineOptions& options, Engine::Impl& impl) {
  const gguf::GgufFile& file = impl.model->file();
  const tokenizer::Tokenizer& tok = impl.model->tokenizer();
  engine::ChatPromptInputs inputs;
  inputs.override_option = options.chat_template;
  inputs.model_template = MetadataString(file, "tokenizer.chat_template");
  inputs.model_tool_use_template =
      MetadataString(file, "tokenizer.chat_template.tool_use");
  inputs.tokens.bos = TokenTextOf(tok, tok.special().bos);
  inputs.tokens.eos = TokenTextOf(tok, tok.special().eos);
  inputs.architecture_family =
      std::string(impl.model->config().arch.default_chat_template);
  EDGELLM_ASSIGN_OR_RETURN(engine::ChatPrompt prompt,
                           engine::ChatPrompt::Create(inputs));
  impl.output_format = ChooseOutputFormat(options, inputs, prompt, impl);
  ModelInfo& info = impl.info;
  info.chat_template_source =
      std::string(engine::ChatPromptSourceName(prompt.source()));
  info.chat_template = prompt.name();
  info.chat_template_error = prompt.error();
  info.tool_call_format = std::string(
      chat::output::ToolCallSyntaxName(impl.output_format.tool_calls));
  info.reasoning_format = std::string(
      chat::output::ReasoningSyntaxName(impl.output_format.reasoning));
  impl.chat_prompt = std::move(prompt);
  return absl::OkStatus();
}

void DescribeModel(const EngineOptions& options, Engine::Impl& impl) {
  const engine::LoadedModel& m = *impl.model;
  const model::ModelConfig& c = m.config();
  ModelInfo& info = impl.info;
  info.architecture = c.architecture_name;
  info.name = c.name;
  info.context_length = m.context();
  info.trained_context_length = c.context_length;
  info.vocab_size = c.vocab_size;
  info.embedding_length = c.embedding_length;
  info.layers = c.block_count;
  info.heads = c.head_count;
  info.kv_heads = c.head_count_kv;
  info.quantization = model::WeightTypeMix(m.file());
  info.weight_bytes_per_token =
      static_cast<int64_t>(model::WeightBytesPerToken(m.file()));
  info.model_bytes = static_cast<int64_t>(m.file().file_size());
  info.kv_cache_bytes =
      static_cast<int64_t>(impl.model->transformer().kv_cache().bytes());
  info.kv_cache_bytes_per_slot = static_cast<int64_t>(
      impl.model->transformer().kv_cache().bytes_per_slot());
  info.tokenizer = std::string(TokenizerKindName(m.tokenizer().kind()));
  info.parallel = options.parallel;
  info.queue = options.queue;
  info.embeddings = impl.scheduler->embeddings_available();
  info.generates = true;
  info.reranks = false;
  info.pooling = std::string(PoolingName(m.default_pooling()));
  info.load_time = m.load_time();
}

bool IsEncoderFile(const std::string& path) {
  absl::StatusOr<std::unique_ptr<gguf::GgufFile>> file =
      gguf::GgufFile::Open(path);
  if (!file.ok()) return false;  // the decoder's load reports it
  absl::StatusOr<std::string_view> arch =
      (*file)->GetString("general.architecture");
  return arch.ok() && model::IsEncoderArchitecture(*arch);
}

// An encoder-only model: the EncoderEngine and its scheduler. Texts are
// limited to the context asked for (else the model's, capped), and every
// forward pass to EncoderPassTokens.
absl::Status LoadEncoder(const EngineOptions& options, Engine::Impl& impl) {
  const absl::Time start = absl::Now();
  EDGELLM_ASSIGN_OR_RETURN(std::unique_ptr<gguf::GgufFile> header,
                           gguf::GgufFile::Open(options.model_path));
  EDGELLM_ASSIGN_OR_RETURN(model::EncoderConfig config,
                           model::ReadEncoderConfig(*header));
  header.reset();
  engine::EncoderEngineOptions eopts;
  eopts.model_path = options.model_path;
  eopts.threads = options.threads;
  eopts.max_tokens = engine::EncoderPassTokens(options, config.context_length);
  EDGELLM_ASSIGN_OR_RETURN(impl.encoder, engine::EncoderEngine::Load(eopts));
  const int32_t context =
      std::min(options.context > 0
                   ? options.context
                   : std::min(config.context_length, model::kDefaultContextCap),
               impl.encoder->max_sequence_tokens());
  engine::EncoderSchedulerOptions scheduling;
  scheduling.queue = options.queue;
  scheduling.pass_tokens = eopts.max_tokens;
  scheduling.cpu_share = options.cpu_share;
  scheduling.shared_pass_tokens = options.shared_pass_tokens;
  EDGELLM_ASSIGN_OR_RETURN(
      impl.encoder_scheduler,
      engine::EncoderScheduler::Create(impl.encoder.get(), scheduling));
  impl.info = engine::DescribeEncoder(*impl.encoder, options, context);
  impl.info.load_time = absl::Now() - start;
  return absl::OkStatus();
}

}  // namespace

namespace engine {

absl::StatusOr<std::unique_ptr<Engine>> EngineBuilder::Load(
    const EngineOptions& options, const WrapModel& wrap) {
  EDGELLM_RETURN_IF_ERROR(ValidateOptions(options));
  auto impl = std::make_unique<Engine::Impl>();
  if (IsEncoderFile(options.model_path)) {
    EDGELLM_RETURN_IF_ERROR(LoadEncoder(options, *impl));
    return std::unique_ptr<Engine>(new Engine(std::move(impl)));
  }
  LoadOptions load;
  load.model_path = options.model_path;
  load.threads = options.threads;
  load.context = options.context;
  // One KV slot per generation, plus the embedding slot.
  load.slots = options.parallel + (options.embedding_slot ? 1 : 0);
  // Every running generation feeds one token per step.
  load.max_batch = std::max(options.max_batch, options.parallel);
  load.kv_type = options.kv_type == KvCacheType::kF16 ? model::KvCacheType::kF16
                 : options.kv_type == KvCacheType::kQ8_0
                     ? model::KvCacheType::kQ8_0
                     : model::KvCacheType::kF32;
  load.paging.block_size = options.kv_block_size;
  load.paging.blocks = options.kv_blocks;
  load.paging.prefix_cache = options.prefix_cache;
  EDGELLM_ASSIGN_OR_RETURN(impl->model, LoadedModel::Load(load));
  impl->transformer_model = std::make_unique<TransformerBatchModel>(
      &impl->model->transformer(), load.slots);
  BatchModel* driven = impl->transformer_model.get();
  if (wrap) {
    impl->wrapped_model = wrap(driven);
    if (impl->wrapped_model != nullptr) driven = impl->wrapped_model.get();
  }
  SchedulerOptions scheduling;
  scheduling.parallel = options.parallel;
  scheduling.queue = options.queue;
  scheduling.context_shift = options.context_shift;
  scheduling.cpu_share = options.cpu_share;
  EDGELLM_ASSIGN_OR_RETURN(
      impl->scheduler,
      Scheduler::Create(driven, &impl->model->tokenizer(), scheduling));
  DescribeModel(options, *impl);
  EDGELLM_RETURN_IF_ERROR(DescribeChat(options, *impl));
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

}  // namespace engine

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Engine::~Engine() { Shutdown(absl::ZeroDuration()); }

absl::StatusOr<std::unique_ptr<Engine>> Engine::Load(
    const EngineOptions& options) {
  return CatchExceptions("loading the model", [&] {
    return engine::EngineBuilder::Load(options, nullptr);
  });
}

absl::StatusOr<std::shared_ptr<GenerationStream>> Engine::Submit(
    GenerateRequest request) {
  return CatchExceptions(
      "queueing the request",
      [&]() -> absl::StatusOr<std::shared_ptr<GenerationStream>> {
        if (impl_->is_encoder()) {
          return engine::EncoderCannotGenerate(impl_->info);
        }
        if (request.prompt_ids.empty()) {
          if (request.prompt.empty()) {
            return absl::InvalidArgumentError(
                "prompt: empty; give prompt text or prompt token ids");
          }
          request.prompt_ids = Tokenize(request.prompt, /*add_special=*/true,
                                        request.parse_special);
        }
        return impl_->scheduler->Submit(std::move(request));
      });
}

absl::StatusOr<std::string> Engine::RenderChat(
    const ChatRequest& request) const {
  if (impl_->is_encoder()) return engine::EncoderCannotGenerate(impl_->info);
  return CatchExceptions("rendering the chat template",
                         [&] { return impl_->chat_prompt->Render(request); });
}

absl::StatusOr<std::string> Engine::RenderChat(
    const std::vector<ChatMessage>& messages) const {
  ChatRequest request;
  request.messages = messages;
  return RenderChat(request);
}

absl::StatusOr<std::shared_ptr<GenerationStream>> Engine::SubmitChat(
    ChatRequest request) {
  return CatchExceptions(
      "queueing the chat request",
      [&]() -> absl::StatusOr<std::shared_ptr<GenerationStream>> {
        EDGELLM_ASSIGN_OR_RETURN(std::string prompt, RenderChat(request));
        GenerateRequest generate;
        // The template places BOS itself; special-token text is real
        // tokens here.
        generate.prompt_ids = Tokenize(prompt, /*add_special=*/false,
                                       /*parse_special=*/true);
        generate.options = std::move(request.options);
        generate.deadline = request.deadline;
        // Markers of tool calls and reasoning are control tokens in many
        // vocabularies ([TOOL_CALLS], <|python_tag|>): the text must show
        // them, to the parser or to a client that asked for raw output.
        engine::OutputOptions output;
        output.render_special = true;
        if (!request.raw_output) {
          const chat::output::OutputFormat& format = impl_->output_format;
          chat::output::ParseOptions parse;
          parse.parse_tool_calls = !request.tools.empty();
          parse.tools_json = engine::ToolsJson(request);
          parse.starts_in_reasoning =
              chat::output::PromptOpensReasoning(prompt, format.reasoning);
          // Ids unique within the engine, so a conversation's calls from
          // different turns never share one.
          parse.id_prefix =
              absl::StrCat("call_", impl_->chat_requests.fetch_add(1) + 1, "_");
          EDGELLM_ASSIGN_OR_RETURN(
              chat::output::OutputParser parser,
              chat::output::OutputParser::Create(format, parse));
          output.parser = std::move(parser);
        }
        return impl_->scheduler->Submit(std::move(generate), std::move(output));
      });
}

absl::StatusOr<GenerateResult> Engine::Generate(GenerateRequest request,
                                                TokenCallback callback) {
  return CatchExceptions("generating", [&]() -> absl::StatusOr<GenerateResult> {
    if (impl_->is_encoder()) return engine::EncoderCannotGenerate(impl_->info);
    GenerateResult result;
    if (request.prompt_ids.empty() && !request.prompt.empty()) {
      request.prompt_ids =
          Tokenize(request.prompt, /*add_special=*/true, request.parse_special);
    }
    result.prompt_ids = request.prompt_ids;
    EDGELLM_ASSIGN_OR_RETURN(std::shared_ptr<GenerationStream> stream,
                             Submit(std::move(request)));
    // Once the callback says stop, the result ends at that token, however
    // far the scheduler got before it saw the cancel.
    bool stopped_by_callback = false;
    while (true) {
      std::optional<StreamEvent> event = stream->Next(absl::InfiniteDuration());
      if (!event.has_value()) continue;
      if (event->final) {
        result.stats = event->stats;
        if (stopped_by_callback) {
          result.finish_reason = FinishReason::kCancelled;
          result.stats.generated_tokens =
              static_cast<int32_t>(result.output_ids.size());
          return result;
        }
        if (!event->status.ok()) return event->status;
        result.finish_reason = event->finish_reason;
        return result;
      }
      if (stopped_by_callback) continue;
      result.output_ids.push_back(event->token);
      result.text += event->text;
      if (callback) {
        TokenEvent e;
        e.token = event->token;
        e.text = event->text;
        e.index = static_cast<int32_t>(result.output_ids.size()) - 1;
        if (!callback(e)) {
          stopped_by_callback = true;
          stream->Cancel();
        }
      }
    }
  });
}

absl::StatusOr<std::shared_ptr<EmbedCall>> Engine::SubmitEmbed(
    EmbedRequest request) {
  return CatchExceptions(
      "queueing the embedding request",
      [&]() -> absl::StatusOr<std::shared_ptr<EmbedCall>> {
        if (impl_->is_encoder()) {
          EDGELLM_ASSIGN_OR_RETURN(
              engine::EncoderJob job,
              engine::PrepareEncoderEmbed(*impl_->encoder, std::move(request),
                                          impl_->info.context_length));
          return impl_->encoder_scheduler->Submit(std::move(job));
        }
        if (!impl_->info.embeddings) {
          return absl::UnimplementedError(
              "embeddings need a KV slot of their own, and this engine "
              "keeps none (EngineOptions::embedding_slot)");
        }
        const int32_t vocab = impl_->info.vocab_size;
        const int32_t context = impl_->info.context_length;
        if (!request.texts.empty()) {
          if (!request.token_ids.empty()) {
            return absl::InvalidArgumentError(
                "texts: give texts or token_ids, not both");
          }
          // Counted and checked before encoding: BOS alone would
          // otherwise embed "".
          if (request.texts.size() > size_t{RequestLimits::kMaxEmbedTexts}) {
            return absl::InvalidArgumentError(absl::StrCat(
                "texts: ", request.texts.size(), " texts; at most ",
                RequestLimits::kMaxEmbedTexts, " per request"));
          }
          for (size_t i = 0; i < request.texts.size(); ++i) {
            if (request.texts[i].empty()) {
              return absl::InvalidArgumentError(
                  absl::StrCat("texts[", i, "]: empty"));
            }
          }
          for (const std::string& text : request.texts) {
            request.token_ids.push_back(
                Tokenize(text, /*add_special=*/true, /*parse_special=*/false));
          }
          EDGELLM_RETURN_IF_ERROR(engine::ValidateEmbedRequest(
              request.token_ids, vocab, context, "texts"));
        } else {
          EDGELLM_RETURN_IF_ERROR(engine::ValidateEmbedRequest(
              request.token_ids, vocab, context, "token_ids"));
        }
        if (request.options.pooling == Pooling::kDefault) {
          request.options.pooling = impl_->model->default_pooling();
        }
        return impl_->scheduler->SubmitEmbed(std::move(request));
      });
}

absl::StatusOr<EmbedResult> Engine::Embed(EmbedRequest request) {
  EDGELLM_ASSIGN_OR_RETURN(std::shared_ptr<EmbedCall> call,
                           SubmitEmbed(std::move(request)));
  while (true) {
    std::optional<EmbedResult> result = call->Wait(absl::InfiniteDuration());
    if (!result.has_value()) continue;
    if (!result->status.ok()) return result->status;
    return std::move(*result);
  }
}

absl::StatusOr<std::shared_ptr<EmbedCall>> Engine::SubmitRerank(
    RerankRequest request) {
  return CatchExceptions(
      "queueing the rerank request",
      [&]() -> absl::StatusOr<std::shared_ptr<EmbedCall>> {
        if (!impl_->is_encoder()) {
          return absl::UnimplementedError(absl::StrCat(
              "this ", impl_->info.architecture,
              " model generates text and cannot rerank: reranking needs a "
              "cross-encoder (an encoder model with a classifier head, such "
              "as a bge reranker)"));
        }
        EDGELLM_ASSIGN_OR_RETURN(
            engine::EncoderJob job,
            engine::PrepareRerank(*impl_->encoder, request,
                                  impl_->info.context_length));
        return impl_->encoder_scheduler->Submit(std::move(job));
      });
}

absl::StatusOr<std::vector<float>> Engine::Rerank(RerankRequest request) {
  EDGELLM_ASSIGN_OR_RETURN(std::shared_ptr<EmbedCall> call,
                           SubmitRerank(std::move(request)));
  while (true) {
    std::optional<EmbedResult> result = call->Wait(absl::InfiniteDuration());
    if (!result.has_value()) continue;
    if (!result->status.ok()) return result->status;
    return std::move(result->scores);
  }
}

std::vector<int32_t> Engine::Tokenize(std::string_view text, bool add_special,
                                      bool parse_special) const {
  tokenizer::EncodeOptions options;
  options.add_special = add_special;
  options.parse_special = parse_special;
  return impl_->tokenizer().Encode(text, options);
}

std::string Engine::TokenPiece(int32_t id) const {
  const tokenizer::Tokenizer& tok = impl_->tokenizer();
  if (id < 0 || id >= tok.vocab_size()) return "";
  return tok.TokenPiece(id, true);
}

absl::StatusOr<std::string> Engine::Detokenize(absl::Span<const int32_t> ids,
                                               bool render_special) const {
  const tokenizer::Tokenizer& tok = impl_->tokenizer();
  const int32_t vocab = tok.vocab_size();
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] < 0 || ids[i] >= vocab) {
      return absl::InvalidArgumentError(absl::StrCat(
          "token_ids[", i, "]: ", ids[i], " is outside [0, ", vocab, ")"));
    }
  }
  return CatchExceptions("decoding", [&]() -> absl::StatusOr<std::string> {
    // The streaming decoder, not Decode(): it always yields valid UTF-8,
    // replacing broken bytes with U+FFFD.
    tokenizer::DecodeOptions decode;
    decode.render_special = render_special;
    tokenizer::StreamDecoder decoder(tok, decode);
    std::string text;
    for (int32_t id : ids) text += decoder.Push(id);
    text += decoder.Flush();
    return text;
  });
}

const ModelInfo& Engine::info() const { return impl_->info; }

Engine::Counters Engine::counters() const {
  if (impl_->is_encoder()) return impl_->encoder_scheduler->counters();
  return impl_->scheduler->counters();
}

void Engine::Shutdown(absl::Duration grace) {
  if (impl_->is_encoder()) {
    impl_->encoder_scheduler->Shutdown(grace);
    return;
  }
  impl_->scheduler->Shutdown(grace);
}

}  // namespace edgellm
