// edgellm: the public C++ API of the runtime. This is the one header an
// application that embeds edgellm includes; everything else in
// runtime/engine is internal.
//
//   auto engine = edgellm::Engine::Load({.model_path = "model.gguf",
//                                        .parallel = 4});
//   edgellm::GenerateRequest request;
//   request.prompt = "Once upon a time";
//   request.options.max_tokens = 64;
//   auto result = (*engine)->Generate(std::move(request),
//       [](const edgellm::TokenEvent& e) { std::cout << e.text; return true;
//       });
//
// An Engine owns a loaded model and a scheduler thread that runs every
// request submitted to it with continuous batching: each step is one forward
// pass over the next token of every running generation plus prompt chunks of
// those still prefilling, on a KV slot each (`parallel` of them); up to
// `queue` more requests wait; an embedding request runs on a slot of its own,
// one chunk per step, between decode steps. What a server gets, an app gets:
// Submit() from any number of threads, read each request's stream, cancel it,
// give it a deadline.
//
// Requests are checked before they queue, against the model and against
// RequestLimits below; a bad one fails at once with INVALID_ARGUMENT whose
// message starts with the field ("prompt", "sampling.temperature",
// "limits.stop[2]", "texts[3]"). Nothing a request asks for makes the engine
// reserve more memory than the request can use (max_tokens is capped by the
// context left after the prompt before anything is sized by it).
//
// Threading: every method is thread-safe. Callbacks passed to Generate() run
// on the caller's thread.
#ifndef EDGELLM_RUNTIME_ENGINE_EDGELLM_H_
#define EDGELLM_RUNTIME_ENGINE_EDGELLM_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "runtime/engine/cpu_share.h"

namespace edgellm {

namespace engine {
class EncoderScheduler;
class EngineBuilder;
class Scheduler;
}  // namespace engine

// ---------------------------------------------------------------------------
// Loading

// The KV cache's element type (--kv-type): f32, f16, or q8_0 (ggml's Q8_0
// blocks of 32 values with an fp16 scale, 53% of f16's bytes; needs
// n_kv_heads x head_dim to be a multiple of 32).
enum class KvCacheType { kF32, kF16, kQ8_0 };

struct EngineOptions {
  std::string model_path;  // a GGUF file
  int32_t threads = 0;     // 0 = one per core
  int32_t context = 0;     // KV positions per sequence; 0 = model's, capped
  int32_t parallel = 1;    // generations decoded together (KV slots)
  int32_t queue = 16;      // requests that may wait beyond `parallel`
  int32_t max_batch = 64;  // tokens per forward pass (prompt chunk size)
  KvCacheType kv_type = KvCacheType::kF32;
  // The KV cache: paged by default, positions per block (capped at the
  // context; 0 = one slab of `context` per slot), the pool of the
  // full-context layers in blocks (0 = as many as the slabs would hold;
  // sliding-window layers get a pool of their window per slot), and
  // automatic prefix caching (reuse of the KV blocks of equal prompt
  // prefixes across requests).
  int32_t kv_block_size = 16;
  int32_t kv_blocks = 0;
  bool prefix_cache = true;
  // A conversation that outgrows the context: -1 (off) refuses a prompt
  // that does not fit with INVALID_ARGUMENT naming its length and the
  // context, and ends a generation that fills it (kContextFull). N >= 0
  // keeps the first N tokens (after a BOS), drops the oldest half of the
  // rest and continues, as llama.cpp's server does (the rest is computed
  // again, so the output equals a cold run on the shifted tokens);
  // RequestStats::context_shifts says so.
  int32_t context_shift = -1;
  // Keep one more KV slot for Embed so embeddings never wait for a
  // generation's slot (costs one context of KV memory). Without it, Embed
  // answers UNIMPLEMENTED.
  bool embedding_slot = true;
  // Engines of one process that share the CPU, e.g. a decoder for Chat
  // beside an encoder for Embed and Rerank: loaded with one
  // CpuShare::Create() (cpu_share.h), their schedulers take
  // turns, one forward pass each, so the engines' thread pools never run on
  // the same cores at once, and share the time half and half while both
  // have work: a flood of embeddings never stalls a generation (nor the
  // other way round). Null: no turns.
  std::shared_ptr<CpuShare> cpu_share;
  // The most tokens of an encoder's forward pass while another engine of
  // its cpu_share is busy; within it a pass holds what fits in the time
  // until the other is due (about one of its decode steps; always one whole
  // text), the rest of a batch in later passes. Alone, a pass holds up to
  // max(context, 1024) tokens.
  int32_t shared_pass_tokens = 128;
  // What Chat renders prompts with, overriding the model file's
  // `tokenizer.chat_template`: a hand-written template family ("chatml",
  // "llama3", ...) or the path of a Jinja template file (e.g.
  // "template.jinja"); empty = the file's own template (see
  // ModelInfo::chat_template_source).
  std::string chat_template;
  // The syntax Chat replies are parsed with, overriding the one detected
  // from the template, the vocabulary's special tokens and the
  // architecture: a tool-call syntax ("hermes", "llama3", "mistral", ...;
  // "none" never parses calls) and a reasoning syntax ("think", "none",
  // ...). Empty = detect. Names: runtime/chat/output/output_parser.h.
  std::string tool_call_format;
  std::string reasoning_format;
};

// ---------------------------------------------------------------------------
// Sampling and stopping

// How the next token is chosen. The chain runs in llama.cpp's default order:
//   logit bias -> penalties (repetition, frequency, presence)
//     -> top-k -> top-p -> min-p -> temperature -> softmax -> seeded draw
// so top-p and min-p see the untempered distribution; temperature 0 is
// greedy (the highest biased/penalized logit, ties to the lowest id).
// Defaults are llama.cpp's except `seed`, fixed so that an unconfigured
// request is reproducible.
struct SamplingParams {
  // Divides logits after truncation. 0 = greedy argmax. Finite, >= 0.
  float temperature = 0.8f;
  // Keep the k highest logits; 0 disables. k >= vocab keeps all.
  int top_k = 40;
  // Keep the smallest prefix (by probability) whose mass reaches top_p.
  // In (0, 1]; 1 disables.
  float top_p = 0.95f;
  // Drop tokens with p < min_p * p_max. In [0, 1]; 0 disables.
  float min_p = 0.05f;
  // CTRL-style (Keskar et al. 2019, arXiv:1909.05858) with llama.cpp's sign
  // fix: positive logits of recent tokens are divided by it, non-positive
  // ones multiplied. In (0, kMaxRepetitionPenalty]; 1 disables.
  float repetition_penalty = 1.0f;
  // OpenAI-style additive penalties (subtracted from logits): presence once
  // per distinct recent token, frequency times its count. Each in
  // [-kMaxAdditivePenalty, kMaxAdditivePenalty]; 0 disables.
  float presence_penalty = 0.0f;
  float frequency_penalty = 0.0f;
  // How many most recent tokens (prompt included) the penalties look at.
  // In [0, kMaxPenaltyLastN]; 0 disables all penalties.
  int penalty_last_n = 64;
  // Added to the logit of the given token id before anything else. -inf bans
  // the token; +inf forces it (among other +inf tokens, uniformly). Repeated
  // ids add up. Ids in [0, vocab_size); biases not NaN; at most
  // kMaxLogitBias entries.
  std::vector<std::pair<int32_t, float>> logit_bias;
  // Seeds std::mt19937_64 (whose sequence the C++ standard fixes): the same
  // seed, model and request give the same tokens on every run of a build.
  uint64_t seed = 0;

  // Range limits; generous, but they keep a typo from silently doing harm.
  static constexpr float kMaxRepetitionPenalty = 10.0f;
  static constexpr float kMaxAdditivePenalty = 2.0f;  // OpenAI's API range.
  static constexpr int kMaxPenaltyLastN = 1 << 16;
  static constexpr int kMaxLogitBias = 1024;

  // INVALID_ARGUMENT naming the field ("sampling.top_p",
  // "sampling.logit_bias[3]") for any value outside the ranges above, NaN
  // anywhere, or vocab_size < 1.
  absl::Status Validate(int vocab_size) const;
};

// Bounds on what one request may make the engine hold, beyond what the model
// itself bounds (a prompt or text must fit the context). Requests past them
// fail with INVALID_ARGUMENT naming the field.
struct RequestLimits {
  static constexpr int kMaxStopStrings = 16;
  static constexpr int kMaxStopStringBytes = 1024;
  static constexpr int kMaxEmbedTexts = 512;
  // Tokens over all texts of one Embed request (and over all query and
  // document pairs of one Rerank request).
  static constexpr int64_t kMaxEmbedTokens = 1 << 17;
  static constexpr int kMaxRerankDocuments = 512;
  static constexpr int kMaxChatMessages = 1024;
  static constexpr int kMaxChatTools = 128;
  // JSON given as text (tool parameters and arguments, template_kwargs):
  // nesting depth.
  static constexpr int kMaxJsonDepth = 64;
};

enum class FinishReason {
  kNone,             // still running
  kStop,             // a stop string was produced
  kLength,           // max_tokens reached
  kContextFull,      // the KV cache of the slot is full
  kEndOfGeneration,  // the model produced an end-of-generation token
  kCancelled,        // the callback or the caller stopped it
  // Chat: the model ended its turn (an end-of-generation token or a stop
  // string) after calling tools; the calls are in the stream's events.
  kToolCalls,
};

// "stop", "length", "context_full", "end_of_generation", "cancelled",
// "tool_calls", "none".
std::string_view FinishReasonName(FinishReason reason);

struct GenerateOptions {
  SamplingParams sampling;
  // Generated tokens at most (>= 0; 0 generates nothing). The context left
  // after the prompt caps it too (finish reason kContextFull).
  int32_t max_tokens = 128;
  // Stop strings (not included in the text); at most
  // RequestLimits::kMaxStopStrings, each non-empty and at most
  // kMaxStopStringBytes.
  std::vector<std::string> stop;
  bool ignore_eos = false;  // keep going past end-of-generation tokens
  // Paged KV cache: reuse cached blocks of this prompt's prefix and offer
  // this request's blocks to later ones. false: computed cold (benchmarks).
  bool prefix_cache = true;
};

// A call of a tool (a function) by the assistant, in OpenAI's terms: what
// a Chat reply asks for (StreamEvent::tool_calls), and what an assistant
// message of the conversation made (ChatMessage::tool_calls).
struct ToolCall {
  // Position among the calls of one reply: 0, 1, ... (ignored in a
  // ChatMessage).
  int32_t index = 0;
  // Unique within the engine ("call_7_0"), or the id the model wrote
  // itself (Mistral, Kimi, Command R). In a ChatMessage, the id the tool
  // result's ChatMessage::tool_call_id names; "" = none.
  std::string id;
  std::string name;  // the function
  // The arguments: JSON text of an object ({"location":"Paris"}). Replies
  // carry compact JSON; in a ChatMessage the template gets the object (as
  // Hugging Face's apply_chat_template expects a dict), or the text itself
  // when it is not a JSON object.
  std::string arguments;
};

// What a generation produces for each token.
struct TokenEvent {
  int32_t token = 0;
  // Complete UTF-8 text released by this token; for Chat, the reply's
  // content (see StreamEvent).
  std::string_view text;
  int32_t index = 0;  // 0 for the first generated token
  // Chat only: reasoning text released, and tool calls completed, by this
  // token.
  std::string_view reasoning;
  absl::Span<const ToolCall> tool_calls;
};

// Return false to stop the generation (FinishReason::kCancelled).
using TokenCallback = std::function<bool(const TokenEvent&)>;

// ---------------------------------------------------------------------------
// Requests

struct GenerateRequest {
  // The prompt: token ids fed as given, or else `prompt` text encoded with
  // the model's tokenizer (BOS as its metadata says; special-token text
  // recognised only with `parse_special`).
  std::vector<int32_t> prompt_ids;
  std::string prompt;
  bool parse_special = false;
  GenerateOptions options;
  // The request ends with DEADLINE_EXCEEDED once this passes, queued or
  // running.
  absl::Time deadline = absl::InfiniteFuture();
};

// One part of a message's content in OpenAI's list form
// ({"type": "text", "text": "..."}).
struct ContentPart {
  std::string type = "text";
  std::string text;
};

// One turn of a conversation, shaped as OpenAI's chat messages and passed
// to the chat template as Hugging Face's apply_chat_template passes them:
// {"role", "tool_call_id", "name", "content", "reasoning_content",
// "tool_calls": [{"id", "type": "function", "function": {"name",
// "arguments"}}]}, where empty optional fields are left out.
struct ChatMessage {
  // "system", "user", "assistant" or "tool" (a template may know others,
  // such as "developer"); not empty.
  std::string role;
  // The text of the turn. An assistant turn that only calls tools has "";
  // templates get "" there, not null (several fail on null, and OpenAI
  // clients send null).
  std::string content;
  // The content as a list of parts instead of text (then `content` must be
  // ""); templates get the list as given.
  std::vector<ContentPart> content_parts;
  // assistant: the tools it called, each with a non-empty name.
  std::vector<ToolCall> tool_calls;
  // tool: the ToolCall::id this result answers.
  std::string tool_call_id;
  // tool: the function's name (some templates print it); other roles: the
  // participant's name.
  std::string name;
  // assistant: its reasoning before the content (Qwen3, DeepSeek-R1, ...
  // templates lay it out or drop it from earlier turns).
  std::string reasoning_content;
};

// A tool (one function) the model may call, in OpenAI's terms; the template
// gets {"type": "function", "function": {"name", "description",
// "parameters"}} for each.
struct ChatTool {
  std::string name;         // not empty
  std::string description;  // "" = left out
  // JSON Schema of the arguments, as JSON text of an object
  // ({"type": "object", "properties": {...}, "required": [...]});
  // "" = left out.
  std::string parameters;
};

struct ChatRequest {
  // The conversation, rendered with the model's chat template (see
  // ModelInfo::chat_template_source). At least one, at most
  // RequestLimits::kMaxChatMessages.
  std::vector<ChatMessage> messages;
  // The tools the model may call (the template's `tools`, left undefined
  // when empty). At most RequestLimits::kMaxChatTools. With tools, the
  // reply's tool calls are parsed out of its text.
  std::vector<ChatTool> tools;
  // A JSON object of further template variables, e.g.
  // {"enable_thinking": false}; "" = none. May not set `messages`, `tools`
  // or `add_generation_prompt`; may override `bos_token`/`eos_token`.
  std::string template_kwargs;
  // End the prompt with the header of an assistant turn (false: the model
  // continues the last message).
  bool add_generation_prompt = true;
  // Stream the model's text as is (control tokens as text, reasoning and
  // tool-call markup included) instead of parsing it into content,
  // reasoning and tool calls.
  bool raw_output = false;
  GenerateOptions options;
  absl::Time deadline = absl::InfiniteFuture();
};

// Timings of one request, measured from its arrival (Submit).
struct RequestStats {
  int32_t prompt_tokens = 0;
  int32_t generated_tokens = 0;
  // Prompt tokens whose KV came from the prefix cache (not computed).
  int32_t cached_prompt_tokens = 0;
  // Context shifts (EngineOptions::context_shift): how many (a shortened
  // prompt counts one) and the tokens they dropped in all.
  int32_t context_shifts = 0;
  int32_t context_shift_dropped_tokens = 0;
  absl::Duration queue_time;           // arrival -> slot assigned
  absl::Duration time_to_first_token;  // arrival -> first token sampled
  absl::Duration decode_time;          // first token -> last token
  absl::Duration total_time;           // arrival -> final event
  // Generated tokens per second after the first; 0 with fewer than 2.
  double tokens_per_second() const;
  // Prompt tokens per second from slot assignment to the first token.
  double prompt_tokens_per_second() const;
};

// What a generation's stream delivers: token events, then exactly one final.
//
// Chat streams (unless ChatRequest::raw_output) carry the reply parsed by
// the syntax of ModelInfo::tool_call_format / reasoning_format: `text` is
// content only, `reasoning` the reasoning ("thinking") text, and
// `tool_calls` each call once it is complete, its markup removed from the
// text. A call that does not parse (invalid JSON arguments, say) or never
// ends is content, never dropped. Text that may be the start of markup is
// held back until it is known, so a token event may carry nothing.
struct StreamEvent {
  bool final = false;
  // Token events.
  int32_t token = 0;
  std::string text;       // complete UTF-8 released by this token (maybe "")
  std::string reasoning;  // Chat: reasoning released
  std::vector<ToolCall> tool_calls;  // Chat: calls completed
  // The final event.
  FinishReason finish_reason = FinishReason::kNone;
  // OK for a normal finish (stop, length, end of generation, context full);
  // CANCELLED (caller), DEADLINE_EXCEEDED, UNAVAILABLE (shutdown),
  // RESOURCE_EXHAUSTED (out of memory) or INTERNAL (model failure)
  // otherwise.
  absl::Status status;
  RequestStats stats;
};

// One generation's events, between the engine's scheduler thread (the
// producer) and one reader. Thread-safe.
class GenerationStream {
 public:
  // Waits up to `timeout` for the next event; nullopt on timeout. After the
  // final event, returns nullopt at once.
  std::optional<StreamEvent> Next(absl::Duration timeout);
  // Asks the engine to stop this request; its final event then carries
  // CANCELLED (or DEADLINE_EXCEEDED once the deadline passed). The slot is
  // free within one decode step.
  void Cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }
  // A number unique within the engine, for logs.
  uint64_t id() const { return id_; }

 private:
  friend class engine::Scheduler;
  explicit GenerationStream(uint64_t id) : id_(id) {}
  // Queues a token event (may allocate) or stores the final event (in a
  // place of its own: delivering it never needs memory).
  void Push(StreamEvent event);

  const uint64_t id_;
  std::atomic<bool> cancelled_{false};
  absl::Mutex mu_;
  std::deque<StreamEvent> events_ ABSL_GUARDED_BY(mu_);
  std::optional<StreamEvent> final_ ABSL_GUARDED_BY(mu_);
  bool final_taken_ ABSL_GUARDED_BY(mu_) = false;
};

// The result of Engine::Generate.
struct GenerateResult {
  std::vector<int32_t> prompt_ids;
  std::vector<int32_t> output_ids;
  std::string text;  // generated text (prompt excluded)
  FinishReason finish_reason = FinishReason::kNone;
  RequestStats stats;
};

// How token hidden states become one vector per text.
enum class Pooling {
  kDefault,    // the model's (`<arch>.pooling_type`), else kMean
  kMean,       // average over every token of the text
  kLastToken,  // the last token's state
  kCls,        // the first token's state (BERT's [CLS] position)
};

// "default", "mean", "last", "cls".
std::string_view PoolingName(Pooling pooling);

struct EmbedOptions {
  Pooling pooling = Pooling::kDefault;
  bool normalize = false;  // scale to unit L2 norm (a zero vector stays 0)
  // A decoder with the paged KV cache and kLastToken pooling: reuse the
  // cached blocks of a text's prefix (only the last token's state is
  // pooled, so the cached tokens need no pass) and cache this text's.
  // false: computed cold.
  bool prefix_cache = true;
};

struct EmbedRequest {
  // Texts encoded like a Generate prompt, or token ids fed as given (used
  // when non-empty; then `texts` must be empty). At least one, at most
  // RequestLimits::kMaxEmbedTexts, each non-empty and within the context,
  // at most RequestLimits::kMaxEmbedTokens tokens in all.
  std::vector<std::string> texts;
  std::vector<std::vector<int32_t>> token_ids;
  EmbedOptions options;
  absl::Time deadline = absl::InfiniteFuture();
};

struct EmbedResult {
  // OK, CANCELLED, DEADLINE_EXCEEDED, UNAVAILABLE (shutdown),
  // RESOURCE_EXHAUSTED or INTERNAL.
  absl::Status status;
  // On OK: one vector of ModelInfo::embedding_length floats per text.
  std::vector<std::vector<float>> vectors;
  std::vector<int32_t> tokens;  // tokens of each text
  // Tokens over all texts whose KV came from the prefix cache
  // (EmbedOptions::prefix_cache).
  int32_t cached_tokens = 0;
  // Rerank: on OK, one relevance score per document, in input order
  // (`vectors` is then empty; `tokens` counts each query and document
  // pair).
  std::vector<float> scores;
  Pooling pooling = Pooling::kMean;  // the pooling applied
  absl::Duration queue_time;         // arrival -> start on the embedding slot
  absl::Duration total_time;         // arrival -> result
};

// A cross-encoder reranking request: how relevant each document is to the
// query. The query and every document non-empty; at least one document, at
// most RequestLimits::kMaxRerankDocuments; each query and document pair
// within the context (ModelInfo::context_length tokens), at most
// RequestLimits::kMaxEmbedTokens tokens over all pairs.
struct RerankRequest {
  std::string query;
  std::vector<std::string> documents;
  absl::Time deadline = absl::InfiniteFuture();
};

// The completion of one embedding (or rerank) request. Thread-safe.
class EmbedCall {
 public:
  // Waits up to `timeout` for the result; nullopt on timeout. The result is
  // handed out once; later calls return nullopt at once.
  std::optional<EmbedResult> Wait(absl::Duration timeout);
  // Asks the engine to stop this request; the result is then CANCELLED.
  void Cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }

 private:
  friend class engine::Scheduler;
  friend class engine::EncoderScheduler;
  EmbedCall() = default;
  void Finish(EmbedResult result);

  std::atomic<bool> cancelled_{false};
  absl::Mutex mu_;
  std::optional<EmbedResult> result_ ABSL_GUARDED_BY(mu_);
  bool taken_ ABSL_GUARDED_BY(mu_) = false;
};

// ---------------------------------------------------------------------------
// The model

struct ModelInfo {
  std::string architecture;            // `general.architecture`, e.g. "llama"
  std::string name;                    // `general.name`, may be empty
  int32_t context_length = 0;          // KV positions per sequence served
  int32_t trained_context_length = 0;  // `<arch>.context_length`
  int32_t vocab_size = 0;
  int32_t embedding_length = 0;  // hidden size: the Embed dimension
  int32_t layers = 0;
  int32_t heads = 0;
  int32_t kv_heads = 0;
  // Weight types with how many tensors have each, most common first
  // ("Q8_0 x57, F32 x13").
  std::string quantization;
  // Bytes of weights one decode step reads at that mix (the memory-bound
  // cost of a token).
  int64_t weight_bytes_per_token = 0;
  int64_t model_bytes = 0;     // the model file (memory-mapped)
  int64_t kv_cache_bytes = 0;  // KV cache of all slots
  // KV cache of one sequence: context_length positions for layers that
  // attend to everything, the window for sliding-window layers.
  int64_t kv_cache_bytes_per_slot = 0;
  std::string tokenizer;  // "spm", "bpe", "wordpiece" or "llama2c"
  // What Chat renders prompts with:
  //   "model"   the file's own tokenizer.chat_template, run as Jinja;
  //   "file"    the Jinja file EngineOptions::chat_template names;
  //   "family"  a hand-written family: the file has no template (or one
  //             that does not parse) and the family was recognised from it
  //             or named by EngineOptions::chat_template;
  //   ""        none: Chat fails with `chat_template_error`.
  std::string chat_template_source;
  // "jinja", or the family's name ("chatml", ...); "" when none.
  std::string chat_template;
  // Why Chat fails, or (source "family") why the file's own template is
  // not used (its parse error); "" otherwise.
  std::string chat_template_error;
  // The syntaxes Chat replies are parsed with (output_parser.h names:
  // "hermes", "llama3", "mistral", ...; "think", "none", ...).
  std::string tool_call_format;
  std::string reasoning_format;
  int32_t parallel = 0;     // generations decoded together
  int32_t queue = 0;        // wait-queue size
  bool embeddings = false;  // Embed is available (a slot is reserved)
  // What the model does. A decoder generates (Generate, Chat) and embeds
  // its pooled hidden states; an encoder-only model (bert, nomic-bert)
  // only embeds, or, with a classifier head (a cross-encoder), reranks:
  // then Generate and Chat answer UNIMPLEMENTED saying so.
  bool generates = false;
  bool reranks = false;
  // Embed's default pooling: "mean", "cls" or "last"; "rank" for a
  // reranker (whose Embed needs a pooling named in the request).
  std::string pooling;
  absl::Duration load_time;
};

// What Engine::Load(options) will hold in memory, read from the model
// file's header without loading it: the weights (the file's size; mapped,
// and repacked where the weight type needs it) and the KV cache of every
// slot (parallel, plus the embedding slot) at the context it will have.
struct MemoryEstimate {
  int64_t model_bytes = 0;
  int64_t kv_cache_bytes = 0;
  int32_t context = 0;  // KV positions per slot
  int32_t slots = 0;
  int64_t total() const { return model_bytes + kv_cache_bytes; }
};
// Errors name the file or key at fault, as Load's would.
absl::StatusOr<MemoryEstimate> EstimateMemory(const EngineOptions& options);

class Engine {
 public:
  // Maps the model file, reads its config and tokenizer, prepares the
  // weights, allocates the KV cache once and starts the scheduler thread.
  // Errors name the file, key or tensor at fault.
  //
  // An encoder-only model (bert, nomic-bert: ModelInfo::generates false)
  // loads too, for Embed and (with a classifier head) Rerank: its requests
  // wait in one queue of `queue` entries and run packed, the texts of many
  // requests in one forward pass of at most max(context, 1024) tokens;
  // texts may have `context` tokens (0 = the model's, capped). Generate
  // and Chat then answer UNIMPLEMENTED saying why; parallel, max_batch,
  // kv_type and the chat options do not apply.
  static absl::StatusOr<std::unique_ptr<Engine>> Load(
      const EngineOptions& options);
  // Shutdown(absl::ZeroDuration()) if not done yet.
  ~Engine();

  // --- Generation -------------------------------------------------------
  // Validates and queues a generation. INVALID_ARGUMENT (naming the field),
  // RESOURCE_EXHAUSTED (queue full or out of memory) or UNAVAILABLE
  // (shutting down).
  absl::StatusOr<std::shared_ptr<GenerationStream>> Submit(
      GenerateRequest request);
  // Renders the conversation with the chat template, then as Submit, the
  // stream carrying the parsed reply (see StreamEvent). Errors name the
  // field (`messages`, `messages[2].tool_calls[0].name`, `tools[1]`,
  // `template_kwargs`); a template that raises an error fails with
  // INVALID_ARGUMENT "messages: the chat template ...: TemplateError: ..."
  // (its line and column, and Jinja2's message). FAILED_PRECONDITION when
  // the engine has no chat template (ModelInfo::chat_template_error).
  absl::StatusOr<std::shared_ptr<GenerationStream>> SubmitChat(
      ChatRequest request);
  // The prompt text Chat would feed for `request` (special tokens as
  // text): exactly what the chat template renders. Errors as SubmitChat.
  absl::StatusOr<std::string> RenderChat(const ChatRequest& request) const;
  // RenderChat of a request with these messages and nothing else.
  absl::StatusOr<std::string> RenderChat(
      const std::vector<ChatMessage>& messages) const;
  // Submit, then read the stream to its end on this thread, calling
  // `callback` for every token. When the callback returns false the
  // request is cancelled and the result ends with that token (finish
  // reason kCancelled, status OK). Otherwise the status is the final
  // event's.
  absl::StatusOr<GenerateResult> Generate(GenerateRequest request,
                                          TokenCallback callback = nullptr);

  // --- Embeddings -------------------------------------------------------
  // Validates and queues an embedding request. INVALID_ARGUMENT naming the
  // field ("texts", "texts[3]", "token_ids[0]"), UNIMPLEMENTED (no
  // embedding slot), RESOURCE_EXHAUSTED or UNAVAILABLE.
  absl::StatusOr<std::shared_ptr<EmbedCall>> SubmitEmbed(EmbedRequest request);
  // SubmitEmbed, then wait for the result (its status on failure).
  absl::StatusOr<EmbedResult> Embed(EmbedRequest request);

  // --- Reranking --------------------------------------------------------
  // Validates and queues a rerank request (see RerankRequest); the call's
  // result carries EmbedResult::scores. UNIMPLEMENTED when the model cannot
  // rerank (ModelInfo::reranks: not a cross-encoder), INVALID_ARGUMENT
  // naming the field ("query", "documents", "documents[3]"),
  // RESOURCE_EXHAUSTED or UNAVAILABLE.
  absl::StatusOr<std::shared_ptr<EmbedCall>> SubmitRerank(
      RerankRequest request);
  // SubmitRerank, then wait: one score per document, in input order (the
  // classifier's raw output, higher = more relevant).
  absl::StatusOr<std::vector<float>> Rerank(RerankRequest request);

  // --- Text -------------------------------------------------------------
  std::vector<int32_t> Tokenize(std::string_view text, bool add_special,
                                bool parse_special) const;
  // The bytes token `id` stands for (may be an incomplete UTF-8 sequence);
  // "" for ids outside the vocabulary.
  std::string TokenPiece(int32_t id) const;
  // Token ids to valid UTF-8 text (broken bytes become U+FFFD).
  // INVALID_ARGUMENT naming `token_ids[i]` for an id outside the vocabulary.
  absl::StatusOr<std::string> Detokenize(absl::Span<const int32_t> ids,
                                         bool render_special) const;

  // --- State ------------------------------------------------------------
  const ModelInfo& info() const;
  struct Counters {
    int32_t active = 0;
    int32_t queued = 0;
    int64_t finished = 0;
    int64_t steps = 0;           // forward passes run
    int64_t batched_tokens = 0;  // tokens over all forward passes
    int32_t embed_active = 0;    // 0 or 1
    int32_t embed_queued = 0;
    // KV positions held by running generations (their prompt and generated
    // tokens so far), and all positions of the generation slots (parallel x
    // context): their ratio is the KV-cache use, 0 to 1.
    int64_t kv_positions_used = 0;
    int64_t kv_positions_total = 0;
    // Paged KV cache (EngineOptions::kv_block_size > 0), else 0: the pool's
    // blocks, those no sequence holds (cached ones included) and those
    // holding a cached prefix block.
    int32_t kv_blocks_total = 0;
    int32_t kv_blocks_free = 0;
    int32_t kv_blocks_cached = 0;
  };
  Counters counters() const;

  // Stops accepting requests, lets running and queued ones go on for up to
  // `grace`, then ends the rest with UNAVAILABLE and stops the scheduler
  // thread. Idempotent; returns once the thread has stopped.
  void Shutdown(absl::Duration grace);

  struct Impl;

 private:
  friend class engine::EngineBuilder;
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgellm

#endif  // EDGELLM_RUNTIME_ENGINE_EDGELLM_H_
