// The C API (edgellm_c.h) over the C++ Engine. Every entry point catches
// what the C++ side can throw: nothing but a status crosses into C.
#include "runtime/engine/c/edgellm_c.h"

#include <atomic>
#include <cstring>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "runtime/engine/edgellm.h"
#include "util/exception_status.h"
#include "util/status_macros.h"
#include "util/version.h"

struct edgellm_engine {
  std::unique_ptr<edgellm::Engine> engine;
};

struct edgellm_request {
  std::atomic<bool> cancelled{false};
};

namespace {

thread_local std::string last_error;

// Records `status` as this thread's last error and returns its code.
edgellm_status Report(const absl::Status& status) {
  last_error = status.ok() ? "" : std::string(status.message());
  return static_cast<edgellm_status>(status.code());
}

template <typename F>
edgellm_status Guarded(const char* what, F&& f) {
  return Report(edgellm::CatchExceptions(what, std::forward<F>(f)));
}

// How often a generation waiting for its next token looks at its cancel
// handle.
constexpr absl::Duration kCancelPoll = absl::Milliseconds(5);

edgellm_finish_reason ToC(edgellm::FinishReason reason) {
  switch (reason) {
    case edgellm::FinishReason::kNone:
      return EDGELLM_FINISH_NONE;
    case edgellm::FinishReason::kStop:
      return EDGELLM_FINISH_STOP;
    case edgellm::FinishReason::kLength:
      return EDGELLM_FINISH_LENGTH;
    case edgellm::FinishReason::kContextFull:
      return EDGELLM_FINISH_CONTEXT_FULL;
    case edgellm::FinishReason::kEndOfGeneration:
    case edgellm::FinishReason::kToolCalls:  // Chat only; the C ABI has none
      return EDGELLM_FINISH_END_OF_GENERATION;
    case edgellm::FinishReason::kCancelled:
      return EDGELLM_FINISH_CANCELLED;
  }
  return EDGELLM_FINISH_NONE;
}

edgellm::GenerateOptions FromC(const edgellm_generate_options& c) {
  edgellm::GenerateOptions o;
  o.sampling.temperature = c.temperature;
  o.sampling.top_k = c.top_k;
  o.sampling.top_p = c.top_p;
  o.sampling.min_p = c.min_p;
  o.sampling.repetition_penalty = c.repetition_penalty;
  o.sampling.seed = c.seed;
  o.max_tokens = c.max_tokens;
  o.ignore_eos = c.ignore_eos != 0;
  for (size_t i = 0; i < c.stop_count; ++i) {
    o.stop.push_back(c.stop[i] != nullptr ? c.stop[i] : "");
  }
  return o;
}

// Reads `stream` to its end, calling `callback` per token; a non-zero
// return or a cancel of `request` stops the generation.
absl::Status Drain(edgellm::GenerationStream& stream,
                   edgellm_token_callback callback, void* user_data,
                   edgellm_request* request, edgellm_generate_result* out) {
  bool stopped = false;
  int32_t delivered = 0;
  while (true) {
    std::optional<edgellm::StreamEvent> event = stream.Next(kCancelPoll);
    if (!stopped && request != nullptr && request->cancelled.load()) {
      stopped = true;
      stream.Cancel();
    }
    if (!event.has_value()) continue;
    if (event->final) {
      if (out != nullptr) {
        out->prompt_tokens = event->stats.prompt_tokens;
        out->generated_tokens =
            stopped ? delivered : event->stats.generated_tokens;
        out->finish_reason =
            stopped ? EDGELLM_FINISH_CANCELLED : ToC(event->finish_reason);
        out->time_to_first_token_ms =
            absl::ToDoubleMilliseconds(event->stats.time_to_first_token);
        out->tokens_per_second = event->stats.tokens_per_second();
      }
      // A stop asked for by the caller is a normal end.
      return stopped ? absl::OkStatus() : event->status;
    }
    if (stopped) continue;
    ++delivered;
    if (callback != nullptr &&
        callback(user_data, event->token, event->text.data(),
                 event->text.size()) != 0) {
      stopped = true;
      stream.Cancel();
    }
  }
}

// The engine's KV type for edgellm_kv_options_v2.type and the older
// options.kv_f16, which must not contradict each other.
absl::StatusOr<edgellm::KvCacheType> KvTypeFromC(int32_t type, int32_t kv_f16) {
  switch (type) {
    case EDGELLM_KV_TYPE_DEFAULT:
      return kv_f16 != 0 ? edgellm::KvCacheType::kF16
                         : edgellm::KvCacheType::kF32;
    case EDGELLM_KV_TYPE_F16:
      return edgellm::KvCacheType::kF16;
    case EDGELLM_KV_TYPE_F32:
    case EDGELLM_KV_TYPE_Q8_0:
      if (kv_f16 != 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "kv.type ", type == EDGELLM_KV_TYPE_F32 ? "F32" : "Q8_0",
            " contradicts options.kv_f16 (leave kv_f16 0 when setting a "
            "type)"));
      }
      return type == EDGELLM_KV_TYPE_F32 ? edgellm::KvCacheType::kF32
                                         : edgellm::KvCacheType::kQ8_0;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("kv.type ", type,
                   ": not an edgellm_kv_type (-1 default, 0 f32, 1 f16, 2 "
                   "q8_0)"));
}

}  // namespace

extern "C" {

const char* edgellm_version(void) { return EDGELLM_VERSION; }

const char* edgellm_last_error(void) { return last_error.c_str(); }

void edgellm_options_init(edgellm_options* options) {
  if (options == nullptr) return;
  *options = {};
  options->parallel = 1;
  options->queue = 16;
  options->max_batch = 64;
  options->embeddings = 1;
}

void edgellm_kv_options_init(edgellm_kv_options* kv) {
  if (kv == nullptr) return;
  const edgellm::EngineOptions d;
  *kv = {};
  kv->block_size = d.kv_block_size;
  kv->blocks = d.kv_blocks;
  kv->prefix_cache = d.prefix_cache ? 1 : 0;
  kv->context_shift = d.context_shift;
}

edgellm_status edgellm_load(const char* model_path,
                            const edgellm_options* options,
                            edgellm_engine** engine) {
  return edgellm_load_kv_v2(model_path, options, nullptr, engine);
}

edgellm_status edgellm_load_kv(const char* model_path,
                               const edgellm_options* options,
                               const edgellm_kv_options* kv,
                               edgellm_engine** engine) {
  edgellm_kv_options_v2 v2;
  edgellm_kv_options_v2_init(&v2);
  if (kv != nullptr) v2.kv = *kv;
  return edgellm_load_kv_v2(model_path, options, &v2, engine);
}

void edgellm_kv_options_v2_init(edgellm_kv_options_v2* kv) {
  if (kv == nullptr) return;
  *kv = {};
  edgellm_kv_options_init(&kv->kv);
  kv->type = EDGELLM_KV_TYPE_DEFAULT;
}

edgellm_status edgellm_load_kv_v2(const char* model_path,
                                  const edgellm_options* options,
                                  const edgellm_kv_options_v2* kv,
                                  edgellm_engine** engine) {
  return Guarded("edgellm_load", [&]() -> absl::Status {
    if (engine == nullptr) {
      return absl::InvalidArgumentError("engine: NULL");
    }
    *engine = nullptr;
    if (model_path == nullptr) {
      return absl::InvalidArgumentError("model_path: NULL");
    }
    edgellm_options c;
    edgellm_options_init(&c);
    if (options != nullptr) c = *options;
    edgellm_kv_options_v2 k;
    edgellm_kv_options_v2_init(&k);
    if (kv != nullptr) k = *kv;
    edgellm::EngineOptions o;
    o.model_path = model_path;
    o.threads = c.threads;
    o.context = c.context;
    o.parallel = c.parallel;
    o.queue = c.queue;
    o.max_batch = c.max_batch;
    EDGELLM_ASSIGN_OR_RETURN(o.kv_type, KvTypeFromC(k.type, c.kv_f16));
    o.embedding_slot = c.embeddings != 0;
    o.kv_block_size = k.kv.block_size;
    o.kv_blocks = k.kv.blocks;
    o.prefix_cache = k.kv.prefix_cache != 0;
    o.context_shift = k.kv.context_shift;
    absl::StatusOr<std::unique_ptr<edgellm::Engine>> loaded =
        edgellm::Engine::Load(o);
    if (!loaded.ok()) return loaded.status();
    *engine = new edgellm_engine{std::move(*loaded)};
    return absl::OkStatus();
  });
}

void edgellm_free(edgellm_engine* engine) {
  if (engine == nullptr) return;
  Guarded("edgellm_free", [&] {
    engine->engine->Shutdown(absl::ZeroDuration());
    delete engine;
    return absl::OkStatus();
  });
}

void edgellm_generate_options_init(edgellm_generate_options* options) {
  if (options == nullptr) return;
  const edgellm::GenerateOptions d;
  *options = {};
  options->temperature = d.sampling.temperature;
  options->top_k = d.sampling.top_k;
  options->top_p = d.sampling.top_p;
  options->min_p = d.sampling.min_p;
  options->repetition_penalty = d.sampling.repetition_penalty;
  options->seed = d.sampling.seed;
  options->max_tokens = d.max_tokens;
}

edgellm_request* edgellm_request_new(void) {
  return new (std::nothrow) edgellm_request();
}

void edgellm_request_cancel(edgellm_request* request) {
  if (request != nullptr) request->cancelled.store(true);
}

void edgellm_request_free(edgellm_request* request) { delete request; }

edgellm_status edgellm_generate(edgellm_engine* engine, const char* prompt,
                                const edgellm_generate_options* options,
                                edgellm_token_callback callback,
                                void* user_data, edgellm_request* request,
                                edgellm_generate_result* result) {
  return Guarded("edgellm_generate", [&]() -> absl::Status {
    if (engine == nullptr) return absl::InvalidArgumentError("engine: NULL");
    if (prompt == nullptr) return absl::InvalidArgumentError("prompt: NULL");
    if (options != nullptr && options->stop_count > 0 &&
        options->stop == nullptr) {
      return absl::InvalidArgumentError("stop: NULL with a stop_count");
    }
    if (result != nullptr) *result = {};
    edgellm_generate_options defaults;
    edgellm_generate_options_init(&defaults);
    edgellm::GenerateRequest r;
    r.prompt = prompt;
    if (r.prompt.empty()) {
      r.prompt_ids = engine->engine->Tokenize("", /*add_special=*/true,
                                              /*parse_special=*/false);
    }
    r.options = FromC(options != nullptr ? *options : defaults);
    absl::StatusOr<std::shared_ptr<edgellm::GenerationStream>> stream =
        engine->engine->Submit(std::move(r));
    if (!stream.ok()) return stream.status();
    return Drain(**stream, callback, user_data, request, result);
  });
}

edgellm_status edgellm_get_kv_blocks(const edgellm_engine* engine,
                                     edgellm_kv_blocks* out) {
  return Guarded("edgellm_get_kv_blocks", [&]() -> absl::Status {
    if (engine == nullptr) return absl::InvalidArgumentError("engine: NULL");
    if (out == nullptr) return absl::InvalidArgumentError("out: NULL");
    const edgellm::Engine::Counters c = engine->engine->counters();
    out->total = c.kv_blocks_total;
    out->free = c.kv_blocks_free;
    out->cached = c.kv_blocks_cached;
    return absl::OkStatus();
  });
}

int32_t edgellm_embedding_size(const edgellm_engine* engine) {
  return engine == nullptr ? 0 : engine->engine->info().embedding_length;
}

edgellm_status edgellm_embed(edgellm_engine* engine, const char* text,
                             int normalize, float* out, size_t out_len) {
  return Guarded("edgellm_embed", [&]() -> absl::Status {
    if (engine == nullptr) return absl::InvalidArgumentError("engine: NULL");
    if (text == nullptr) return absl::InvalidArgumentError("text: NULL");
    const size_t dims =
        static_cast<size_t>(engine->engine->info().embedding_length);
    if (out == nullptr || out_len < dims) {
      return absl::InvalidArgumentError(absl::StrCat(
          "out: room for ", out_len, " floats; the model needs ", dims));
    }
    edgellm::EmbedRequest r;
    r.texts = {text};
    r.options.normalize = normalize != 0;
    absl::StatusOr<edgellm::EmbedResult> embedded =
        engine->engine->Embed(std::move(r));
    if (!embedded.ok()) return embedded.status();
    std::memcpy(out, embedded->vectors[0].data(), dims * sizeof(float));
    return absl::OkStatus();
  });
}

}  // extern "C"
