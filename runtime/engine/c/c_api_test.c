/* The C API from C: load, generate with a callback, stop from the callback
 * and from another thread, embed, the KV cache's settings and type, errors.
 * Run with the tiny model's path. */
#define _POSIX_C_SOURCE 199309L /* nanosleep under -std=c11 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "runtime/engine/c/edgellm_c.h"

static int failures = 0;

#define CHECK(cond)                                                           \
  do {                                                                        \
    if (!(cond)) {                                                            \
      fprintf(stderr, "%s:%d: CHECK failed: %s (last error: %s)\n", __FILE__, \
              __LINE__, #cond, edgellm_last_error());                         \
      ++failures;                                                             \
    }                                                                         \
  } while (0)

typedef struct {
  int tokens;
  int stop_after; /* 0 = never */
  size_t bytes;
  atomic_int* first_token_seen;
  int sleep_ms;
} Collector;

static int Collect(void* user_data, int32_t token, const char* text,
                   size_t len) {
  Collector* c = (Collector*)user_data;
  (void)token;
  (void)text;
  c->bytes += len;
  ++c->tokens;
  if (c->first_token_seen != NULL) atomic_store(c->first_token_seen, 1);
  if (c->sleep_ms > 0) {
    struct timespec t = {0, c->sleep_ms * 1000000L};
    nanosleep(&t, NULL);
  }
  return c->stop_after > 0 && c->tokens >= c->stop_after;
}

typedef struct {
  atomic_int* first_token_seen;
  edgellm_request* request;
} Canceller;

static void* CancelOnFirstToken(void* arg) {
  Canceller* c = (Canceller*)arg;
  while (!atomic_load(c->first_token_seen)) {
    struct timespec t = {0, 1000000L};
    nanosleep(&t, NULL);
  }
  edgellm_request_cancel(c->request);
  return NULL;
}

static void SleepMs(long ms) {
  struct timespec t = {0, ms * 1000000L};
  nanosleep(&t, NULL);
}

/* The blocks once no generation holds any (the engine counts them after
 * each step, so a moment after the last one ended; the cached ones are
 * counted with the free ones). */
static edgellm_kv_blocks IdleBlocks(edgellm_engine* engine) {
  edgellm_kv_blocks b = {0};
  for (int i = 0; i < 200; ++i) {
    CHECK(edgellm_get_kv_blocks(engine, &b) == EDGELLM_OK);
    if (b.free == b.total) break;
    SleepMs(5);
  }
  return b;
}

typedef struct {
  int32_t ids[64];
  int count;
} Ids;

static int CollectIds(void* user_data, int32_t token, const char* text,
                      size_t len) {
  Ids* ids = (Ids*)user_data;
  (void)text;
  (void)len;
  if (ids->count < 64) ids->ids[ids->count++] = token;
  return 0;
}

/* Greedy ids of `prompt` on `engine` (NULL: none), which it frees; fills
 * `blocks` with the pool once the generation is over. */
static Ids GreedyOn(edgellm_engine* engine, const char* prompt,
                    edgellm_kv_blocks* blocks) {
  Ids ids = {{0}, 0};
  if (engine == NULL) return ids;
  edgellm_generate_options gen;
  edgellm_generate_options_init(&gen);
  gen.temperature = 0;
  gen.max_tokens = 24;
  gen.ignore_eos = 1;
  edgellm_generate_result result;
  CHECK(edgellm_generate(engine, prompt, &gen, CollectIds, &ids, NULL,
                         &result) == EDGELLM_OK);
  CHECK(ids.count == 24);
  *blocks = IdleBlocks(engine);
  edgellm_free(engine);
  return ids;
}

static edgellm_options GreedyOptions(void) {
  edgellm_options options;
  edgellm_options_init(&options);
  options.threads = 1;
  options.context = 128;
  return options;
}

/* Greedy ids of `prompt` on an engine loaded with `kv`. */
static Ids GreedyWith(const char* model, const edgellm_kv_options* kv,
                      const char* prompt, edgellm_kv_blocks* blocks) {
  const edgellm_options options = GreedyOptions();
  edgellm_engine* engine = NULL;
  CHECK(edgellm_load_kv(model, &options, kv, &engine) == EDGELLM_OK);
  return GreedyOn(engine, prompt, blocks);
}

/* The same loaded by edgellm_load_kv_v2 with KV type `type` and
 * options.kv_f16 = `kv_f16`. */
static Ids GreedyWithType(const char* model, int32_t kv_f16, int32_t type,
                          const char* prompt) {
  edgellm_options options = GreedyOptions();
  options.kv_f16 = kv_f16;
  edgellm_kv_options_v2 kv;
  edgellm_kv_options_v2_init(&kv);
  kv.type = type;
  edgellm_engine* engine = NULL;
  CHECK(edgellm_load_kv_v2(model, &options, &kv, &engine) == EDGELLM_OK);
  edgellm_kv_blocks blocks;
  return GreedyOn(engine, prompt, &blocks);
}

static int SameIds(const Ids* a, const Ids* b) {
  return a->count == b->count &&
         memcmp(a->ids, b->ids, sizeof(int32_t) * a->count) == 0;
}

/* The KV cache's type through edgellm_kv_options_v2: the default follows
 * options.kv_f16, F16 is what kv_f16 gives, F32 and Q8_0 load and generate
 * (the tiny model's head_dim 32 is whole Q8_0 blocks); an unknown type or
 * one that contradicts kv_f16 is refused naming the field. */
static void KvType(const char* model) {
  edgellm_kv_options_v2 kv;
  edgellm_kv_options_v2_init(&kv);
  edgellm_kv_options v1;
  edgellm_kv_options_init(&v1);
  CHECK(kv.type == EDGELLM_KV_TYPE_DEFAULT);
  CHECK(memcmp(&kv.kv, &v1, sizeof(v1)) == 0);
  const char* prompt = "once upon a time there was a little cat";

  const Ids f32 = GreedyWithType(model, 0, EDGELLM_KV_TYPE_DEFAULT, prompt);
  const Ids f32_named = GreedyWithType(model, 0, EDGELLM_KV_TYPE_F32, prompt);
  const Ids f16_v1 = GreedyWithType(model, 1, EDGELLM_KV_TYPE_DEFAULT, prompt);
  const Ids f16 = GreedyWithType(model, 0, EDGELLM_KV_TYPE_F16, prompt);
  const Ids f16_both = GreedyWithType(model, 1, EDGELLM_KV_TYPE_F16, prompt);
  const Ids q8_0 = GreedyWithType(model, 0, EDGELLM_KV_TYPE_Q8_0, prompt);
  CHECK(f32.count == 24 && SameIds(&f32, &f32_named));
  CHECK(f16.count == 24 && SameIds(&f16, &f16_v1) && SameIds(&f16, &f16_both));
  CHECK(q8_0.count == 24);

  edgellm_options options = GreedyOptions();
  edgellm_engine* engine = (edgellm_engine*)1;
  options.kv_f16 = 1;
  kv.type = EDGELLM_KV_TYPE_Q8_0;
  CHECK(edgellm_load_kv_v2(model, &options, &kv, &engine) ==
        EDGELLM_INVALID_ARGUMENT);
  CHECK(engine == NULL);
  CHECK(strstr(edgellm_last_error(), "kv_f16") != NULL);
  options.kv_f16 = 0;
  kv.type = 7;
  CHECK(edgellm_load_kv_v2(model, &options, &kv, &engine) ==
        EDGELLM_INVALID_ARGUMENT);
  CHECK(strstr(edgellm_last_error(), "kv.type 7") != NULL);
  /* The v1 fields inside are read as edgellm_load_kv reads them. */
  edgellm_kv_options_v2_init(&kv);
  kv.kv.context_shift = -2;
  CHECK(edgellm_load_kv_v2(model, &options, &kv, &engine) ==
        EDGELLM_INVALID_ARGUMENT);
  CHECK(strstr(edgellm_last_error(), "context_shift") != NULL);
  CHECK(edgellm_load_kv_v2(model, &options, NULL, &engine) == EDGELLM_OK);
  edgellm_free(engine);
}

/* The KV cache's settings: slab or paged (block size, pool, prefix cache)
 * give the same greedy ids; the pool is what was asked for; context shift
 * lets a prompt longer than the context run. */
static void KvOptions(const char* model) {
  edgellm_kv_options kv;
  edgellm_kv_options_init(&kv);
  CHECK(kv.block_size == 16 && kv.blocks == 0 && kv.prefix_cache != 0 &&
        kv.context_shift == -1);
  const char* prompt = "once upon a time there was a little cat";
  edgellm_kv_blocks blocks;

  kv.block_size = 0;
  const Ids slab = GreedyWith(model, &kv, prompt, &blocks);
  CHECK(blocks.total == 0 && blocks.cached == 0);

  kv.block_size = 8;
  kv.blocks = 40;
  const Ids paged = GreedyWith(model, &kv, prompt, &blocks);
  CHECK(paged.count == slab.count &&
        memcmp(paged.ids, slab.ids, sizeof(int32_t) * slab.count) == 0);
  CHECK(blocks.total == 40);
  CHECK(blocks.free == 40);
  CHECK(blocks.cached > 0); /* the prompt's and reply's full blocks */

  kv.prefix_cache = 0;
  const Ids uncached = GreedyWith(model, &kv, prompt, &blocks);
  CHECK(memcmp(uncached.ids, slab.ids, sizeof(int32_t) * slab.count) == 0);
  CHECK(blocks.total == 40 && blocks.cached == 0);

  /* A prompt longer than a context of 32: refused, or shifted. */
  char long_prompt[2048] = "";
  for (int i = 0; i < 40; ++i) strcat(long_prompt, "the cat sat on a mat ");
  edgellm_options options;
  edgellm_options_init(&options);
  options.threads = 1;
  options.context = 32;
  edgellm_kv_options_init(&kv);
  edgellm_engine* engine = NULL;
  CHECK(edgellm_load_kv(model, &options, &kv, &engine) == EDGELLM_OK);
  edgellm_generate_options gen;
  edgellm_generate_options_init(&gen);
  gen.temperature = 0;
  gen.max_tokens = 8;
  gen.ignore_eos = 1;
  if (engine != NULL) {
    CHECK(edgellm_generate(engine, long_prompt, &gen, NULL, NULL, NULL, NULL) ==
          EDGELLM_INVALID_ARGUMENT);
    CHECK(strstr(edgellm_last_error(), "context") != NULL);
    edgellm_free(engine);
  }
  kv.context_shift = 4;
  engine = NULL;
  CHECK(edgellm_load_kv(model, &options, &kv, &engine) == EDGELLM_OK);
  if (engine != NULL) {
    edgellm_generate_result result;
    CHECK(edgellm_generate(engine, long_prompt, &gen, NULL, NULL, NULL,
                           &result) == EDGELLM_OK);
    CHECK(result.generated_tokens == 8);
    CHECK(result.finish_reason == EDGELLM_FINISH_LENGTH);
    edgellm_free(engine);
  }

  /* Bad settings name the field; NULL kv is the defaults. */
  kv.context_shift = -2;
  engine = (edgellm_engine*)1;
  CHECK(edgellm_load_kv(model, &options, &kv, &engine) ==
        EDGELLM_INVALID_ARGUMENT);
  CHECK(engine == NULL);
  CHECK(strstr(edgellm_last_error(), "context_shift") != NULL);
  edgellm_kv_options_init(&kv);
  kv.block_size = -1;
  CHECK(edgellm_load_kv(model, &options, &kv, &engine) ==
        EDGELLM_INVALID_ARGUMENT);
  CHECK(strstr(edgellm_last_error(), "kv_block_size") != NULL);
  CHECK(edgellm_load_kv(model, &options, NULL, &engine) == EDGELLM_OK);
  CHECK(edgellm_get_kv_blocks(engine, &blocks) == EDGELLM_OK);
  CHECK(blocks.total > 0); /* paged by default */
  CHECK(edgellm_get_kv_blocks(engine, NULL) == EDGELLM_INVALID_ARGUMENT);
  CHECK(edgellm_get_kv_blocks(NULL, &blocks) == EDGELLM_INVALID_ARGUMENT);
  edgellm_free(engine);
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: c_api_test MODEL.gguf\n");
    return 2;
  }
  CHECK(strlen(edgellm_version()) > 0);

  edgellm_engine* engine = (edgellm_engine*)1;
  CHECK(edgellm_load("/nonexistent/model.gguf", NULL, &engine) != EDGELLM_OK);
  CHECK(engine == NULL);
  CHECK(strlen(edgellm_last_error()) > 0);

  edgellm_options options;
  edgellm_options_init(&options);
  options.threads = 1;
  options.parallel = 2;
  options.context = 256;
  CHECK(edgellm_load(argv[1], &options, &engine) == EDGELLM_OK);
  if (engine == NULL) return 1;

  edgellm_generate_options gen;
  edgellm_generate_options_init(&gen);
  gen.temperature = 0;
  gen.max_tokens = 16;
  gen.ignore_eos = 1;

  /* A full greedy run. */
  Collector all = {0};
  edgellm_generate_result result;
  CHECK(edgellm_generate(engine, "once upon a time", &gen, Collect, &all, NULL,
                         &result) == EDGELLM_OK);
  CHECK(all.tokens == 16);
  CHECK(result.generated_tokens == 16);
  CHECK(result.finish_reason == EDGELLM_FINISH_LENGTH);
  CHECK(result.prompt_tokens > 0);

  /* The callback stops it. */
  Collector three = {0};
  three.stop_after = 3;
  gen.max_tokens = 200;
  CHECK(edgellm_generate(engine, "once upon a time", &gen, Collect, &three,
                         NULL, &result) == EDGELLM_OK);
  CHECK(three.tokens == 3);
  CHECK(result.generated_tokens == 3);
  CHECK(result.finish_reason == EDGELLM_FINISH_CANCELLED);

  /* Another thread cancels it after the first token. */
  atomic_int seen = 0;
  Collector slow = {0};
  slow.first_token_seen = &seen;
  slow.sleep_ms = 2;
  edgellm_request* request = edgellm_request_new();
  Canceller canceller = {&seen, request};
  pthread_t thread;
  pthread_create(&thread, NULL, CancelOnFirstToken, &canceller);
  gen.max_tokens = 200;
  CHECK(edgellm_generate(engine, "the cat", &gen, Collect, &slow, request,
                         &result) == EDGELLM_OK);
  pthread_join(thread, NULL);
  CHECK(result.finish_reason == EDGELLM_FINISH_CANCELLED);
  CHECK(slow.tokens >= 1 && slow.tokens < 200);
  edgellm_request_free(request);

  /* A request cancelled before it starts ends at once. */
  request = edgellm_request_new();
  edgellm_request_cancel(request);
  Collector none = {0};
  CHECK(edgellm_generate(engine, "the cat", &gen, Collect, &none, request,
                         &result) == EDGELLM_OK);
  CHECK(result.finish_reason == EDGELLM_FINISH_CANCELLED);
  edgellm_request_free(request);

  /* Bad requests name the field. */
  gen.temperature = -1;
  CHECK(edgellm_generate(engine, "x", &gen, NULL, NULL, NULL, NULL) ==
        EDGELLM_INVALID_ARGUMENT);
  CHECK(strstr(edgellm_last_error(), "sampling.temperature") != NULL);
  gen.temperature = 0;
  gen.stop_count = 1;
  gen.stop = NULL;
  CHECK(edgellm_generate(engine, "x", &gen, NULL, NULL, NULL, NULL) ==
        EDGELLM_INVALID_ARGUMENT);
  CHECK(edgellm_generate(NULL, "x", NULL, NULL, NULL, NULL, NULL) ==
        EDGELLM_INVALID_ARGUMENT);

  /* Embeddings. */
  const int32_t dims = edgellm_embedding_size(engine);
  CHECK(dims > 0);
  float vector[4096];
  CHECK(dims <= 4096);
  CHECK(edgellm_embed(engine, "a red ball", 1, vector, 4096) == EDGELLM_OK);
  double norm = 0;
  for (int32_t i = 0; i < dims; ++i) norm += (double)vector[i] * vector[i];
  CHECK(fabs(sqrt(norm) - 1.0) < 1e-4);
  CHECK(edgellm_embed(engine, "a red ball", 1, vector, 1) ==
        EDGELLM_INVALID_ARGUMENT);
  CHECK(edgellm_embed(engine, "", 1, vector, 4096) == EDGELLM_INVALID_ARGUMENT);

  edgellm_free(engine);
  edgellm_free(NULL);

  KvOptions(argv[1]);
  KvType(argv[1]);
  if (failures == 0) printf("c_api_test: all checks passed\n");
  return failures == 0 ? 0 : 1;
}
