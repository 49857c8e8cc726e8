/* The C API from C: load, generate with a callback, stop from the callback
 * and from another thread, embed, errors. Run with the tiny model's path. */
#define _POSIX_C_SOURCE 199309L /* nanosleep under -std=c11 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "runtime/engine/c/edgellm_c.h"

static int failures = 0;

#define CHECK(cond)                                              \
  do {                                                           \
    if (!(cond)) {                                               \
      fprintf(stderr, "%s:%d: CHECK failed: %s (last error: %s)\n", \
              __FILE__, __LINE__, #cond, edgellm_last_error());  \
      ++failures;                                                \
    }                                                            \
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
  CHECK(edgellm_embed(engine, "", 1, vector, 4096) ==
        EDGELLM_INVALID_ARGUMENT);

  edgellm_free(engine);
  edgellm_free(NULL);
  if (failures == 0) printf("c_api_test: all checks passed\n");
  return failures == 0 ? 0 : 1;
}
