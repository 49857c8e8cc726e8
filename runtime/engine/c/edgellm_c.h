/* edgellm's C API: load a model, generate with a token callback, cancel,
 * embed, free. A thin layer over the C++ Engine (runtime/engine/edgellm.h)
 * for hosts written in other languages (Python through ctypes, Go, Rust,
 * C#...). Built as the shared library libedgellm.so, which exports these
 * functions only.
 *
 *   edgellm_options o;  edgellm_options_init(&o);  o.threads = 2;
 *   edgellm_engine* e = NULL;
 *   if (edgellm_load("model.gguf", &o, &e) != EDGELLM_OK) {
 *     fprintf(stderr, "%s\n", edgellm_last_error());
 *   }
 *   edgellm_generate(e, "Once upon a time", NULL, print_token, NULL, NULL,
 *                    NULL);
 *   edgellm_free(e);
 *
 * Errors: every function that can fail returns an edgellm_status (gRPC's
 * and absl's status codes: 0 is OK); the message of the last failure on the
 * calling thread is edgellm_last_error(). No function aborts on bad input.
 *
 * Threading: an engine may be used from many threads at once; up to
 * `parallel` generations run together in one batch, more wait (up to
 * `queue`, then EDGELLM_RESOURCE_EXHAUSTED). Callbacks run on the thread
 * that called edgellm_generate. edgellm_request_cancel may be called from
 * any thread.
 *
 * ABI: what this header declares keeps its layout and meaning: no struct
 * gains, loses or reorders a field and no function changes its parameters.
 * New settings come as new structs with new functions (edgellm_kv_options
 * and edgellm_load_kv, say), so a host built against an older header never
 * hands the library a struct shorter than the library reads.
 */
#ifndef EDGELLM_RUNTIME_ENGINE_C_EDGELLM_C_H_
#define EDGELLM_RUNTIME_ENGINE_C_EDGELLM_C_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes (the values of absl::StatusCode and gRPC's). */
typedef enum {
  EDGELLM_OK = 0,
  EDGELLM_CANCELLED = 1,
  EDGELLM_UNKNOWN = 2,
  EDGELLM_INVALID_ARGUMENT = 3,
  EDGELLM_DEADLINE_EXCEEDED = 4,
  EDGELLM_NOT_FOUND = 5,
  EDGELLM_RESOURCE_EXHAUSTED = 8,
  EDGELLM_FAILED_PRECONDITION = 9,
  EDGELLM_OUT_OF_RANGE = 11,
  EDGELLM_UNIMPLEMENTED = 12,
  EDGELLM_INTERNAL = 13,
  EDGELLM_UNAVAILABLE = 14
} edgellm_status;

/* Why a generation ended. */
typedef enum {
  EDGELLM_FINISH_NONE = 0,
  EDGELLM_FINISH_STOP = 1,   /* a stop string was produced */
  EDGELLM_FINISH_LENGTH = 2, /* max_tokens reached */
  EDGELLM_FINISH_CONTEXT_FULL = 3,
  EDGELLM_FINISH_END_OF_GENERATION = 4,
  EDGELLM_FINISH_CANCELLED = 5 /* the callback or a cancel stopped it */
} edgellm_finish_reason;

typedef struct edgellm_engine edgellm_engine;
typedef struct edgellm_request edgellm_request;

/* The version of the runtime, e.g. "0.1.0". */
const char* edgellm_version(void);

/* The message of the last failed call on this thread ("" if none). Valid
 * until the next call on this thread. */
const char* edgellm_last_error(void);

typedef struct {
  int32_t threads;    /* worker threads; 0 = one per core */
  int32_t context;    /* KV positions per sequence; 0 = model's, capped */
  int32_t parallel;   /* generations decoded together */
  int32_t queue;      /* generations that may wait beyond `parallel` */
  int32_t max_batch;  /* tokens per forward pass */
  int32_t kv_f16;     /* non-zero: f16 KV cache (else f32) */
  int32_t embeddings; /* non-zero: keep a KV slot for edgellm_embed */
} edgellm_options;

/* Fills `options` with the defaults (parallel 1, queue 16, max_batch 64,
 * embeddings on, the rest 0). */
void edgellm_options_init(edgellm_options* options);

/* Loads a GGUF model. On success *engine is set (free it with
 * edgellm_free); on failure it is NULL. `options` may be NULL (defaults). */
edgellm_status edgellm_load(const char* model_path,
                            const edgellm_options* options,
                            edgellm_engine** engine);

/* The KV cache, as `edgellm serve` sets it (--kv-block-size, --kv-blocks,
 * --no-prefix-cache, --context-shift). */
typedef struct {
  /* Positions per block of the paged cache (capped at the context); 0 =
   * one slab of `context` positions per generation. */
  int32_t block_size;
  /* The pool of the full-context layers, in blocks; 0 = as many as the
   * slabs would hold. */
  int32_t blocks;
  /* Non-zero: reuse the KV blocks of equal prompt prefixes across
   * generations (paged only). */
  int32_t prefix_cache;
  /* A prompt or generation that outgrows the context: -1 = a prompt that
   * does not fit is EDGELLM_INVALID_ARGUMENT and a generation that fills
   * the context ends (EDGELLM_FINISH_CONTEXT_FULL); N >= 0 = keep the first
   * N tokens, drop the oldest half of the rest and go on. */
  int32_t context_shift;
} edgellm_kv_options;

/* Fills `kv` with the defaults (block_size 16, blocks 0, prefix_cache on,
 * context_shift -1). */
void edgellm_kv_options_init(edgellm_kv_options* kv);

/* edgellm_load with the KV cache's settings; `kv` may be NULL (defaults). */
edgellm_status edgellm_load_kv(const char* model_path,
                               const edgellm_options* options,
                               const edgellm_kv_options* kv,
                               edgellm_engine** engine);

/* The KV cache's element type (`edgellm serve --kv-type`). */
typedef enum {
  EDGELLM_KV_TYPE_DEFAULT = -1, /* as edgellm_options.kv_f16 says */
  EDGELLM_KV_TYPE_F32 = 0,
  EDGELLM_KV_TYPE_F16 = 1,
  /* ggml's Q8_0 (blocks of 32 int8 values and an fp16 scale, 53% of f16's
   * bytes); needs n_kv_heads x head_dim to be a multiple of 32. */
  EDGELLM_KV_TYPE_Q8_0 = 2
} edgellm_kv_type;

/* edgellm_kv_options with the cache's element type: a new struct for the
 * new setting, as the ABI rule above says (edgellm_kv_options stays as it
 * was released). */
typedef struct {
  edgellm_kv_options kv;
  /* An edgellm_kv_type. Anything but EDGELLM_KV_TYPE_DEFAULT needs
   * edgellm_options.kv_f16 to be 0 or to agree (EDGELLM_KV_TYPE_F16). */
  int32_t type;
} edgellm_kv_options_v2;

/* Fills `kv` with the defaults (kv as edgellm_kv_options_init, type
 * EDGELLM_KV_TYPE_DEFAULT). */
void edgellm_kv_options_v2_init(edgellm_kv_options_v2* kv);

/* edgellm_load_kv with the KV cache's type too; `kv` may be NULL
 * (defaults). A type the model cannot cache its keys and values in, an
 * unknown type or one that contradicts options.kv_f16 is
 * EDGELLM_INVALID_ARGUMENT. */
edgellm_status edgellm_load_kv_v2(const char* model_path,
                                  const edgellm_options* options,
                                  const edgellm_kv_options_v2* kv,
                                  edgellm_engine** engine);

/* The paged KV cache's blocks now (all 0 for the slab). */
typedef struct {
  int32_t total;  /* the pool of the full-context layers */
  int32_t free;   /* held by no generation (cached ones included) */
  int32_t cached; /* holding a prefix a later prompt may reuse */
} edgellm_kv_blocks;

edgellm_status edgellm_get_kv_blocks(const edgellm_engine* engine,
                                     edgellm_kv_blocks* out);

/* Ends what still runs and frees everything. NULL is ignored. The caller
 * makes sure no other call on the engine is running or starts. */
void edgellm_free(edgellm_engine* engine);

typedef struct {
  float temperature;        /* 0 = greedy */
  int32_t top_k;            /* 0 = off */
  float top_p;              /* 1 = off */
  float min_p;              /* 0 = off */
  float repetition_penalty; /* 1 = off */
  uint64_t seed;
  int32_t max_tokens;      /* >= 0 */
  int32_t ignore_eos;      /* non-zero: go on past end-of-generation */
  const char* const* stop; /* stop strings, `stop_count` of them */
  size_t stop_count;
} edgellm_generate_options;

/* Fills `options` with the defaults (llama.cpp's sampling: temperature
 * 0.8, top_k 40, top_p 0.95, min_p 0.05, no penalty; max_tokens 128). */
void edgellm_generate_options_init(edgellm_generate_options* options);

typedef struct {
  int32_t prompt_tokens;
  int32_t generated_tokens;
  edgellm_finish_reason finish_reason;
  double time_to_first_token_ms;
  double tokens_per_second; /* after the first token */
} edgellm_generate_result;

/* Called for every generated token with the complete UTF-8 text it
 * released (`text` is not NUL-terminated; it may be empty). Return 0 to go
 * on, non-zero to stop (finish reason EDGELLM_FINISH_CANCELLED). */
typedef int (*edgellm_token_callback)(void* user_data, int32_t token,
                                      const char* text, size_t text_len);

/* A handle to cancel a generation from another thread. */
edgellm_request* edgellm_request_new(void);
/* Stops the generation using `request` (now, or as soon as it starts). */
void edgellm_request_cancel(edgellm_request* request);
void edgellm_request_free(edgellm_request* request);

/* Generates a continuation of `prompt` (encoded with the model's
 * tokenizer, BOS as its metadata says), calling `callback` (may be NULL)
 * per token on this thread; returns when the generation ends. `options`,
 * `request` and `result` may be NULL. A stop by the callback or by
 * edgellm_request_cancel returns EDGELLM_OK with finish reason
 * EDGELLM_FINISH_CANCELLED. */
edgellm_status edgellm_generate(edgellm_engine* engine, const char* prompt,
                                const edgellm_generate_options* options,
                                edgellm_token_callback callback,
                                void* user_data, edgellm_request* request,
                                edgellm_generate_result* result);

/* Floats per embedding (the model's hidden size). */
int32_t edgellm_embedding_size(const edgellm_engine* engine);

/* Embeds `text` (the model's default pooling; unit L2 norm when
 * `normalize` is non-zero) into `out`, which holds `out_len` floats, at
 * least edgellm_embedding_size(engine). */
edgellm_status edgellm_embed(edgellm_engine* engine, const char* text,
                             int normalize, float* out, size_t out_len);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* EDGELLM_RUNTIME_ENGINE_C_EDGELLM_C_H_ */
