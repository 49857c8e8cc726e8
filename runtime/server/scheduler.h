// The scheduler: many concurrent generation requests over one model.
//
// One scheduler thread owns the model. Each step it runs ONE forward pass
// over the next token of every active sequence (continuous batching), each
// on its own KV slot, and fills the rest of the batch with prompt chunks of
// sequences still prefilling. Total tokens/s therefore grows with the number
// of active sequences, until the forward pass becomes compute bound.
//
//   - Admission: up to `parallel` sequences are active (one KV slot each);
//     more wait in a FIFO queue of `queue` entries; beyond that Submit fails
//     at once with RESOURCE_EXHAUSTED.
//   - Cancellation: RequestStream::Cancel() (client gone) or a passed
//     deadline ends the sequence before the next step's forward pass, so
//     its slot is free within one decode step.
//   - Validation: Submit checks the request against the model (empty prompt,
//     prompt longer than the context, token ids, sampling ranges) and fails
//     with INVALID_ARGUMENT naming the field, before queueing.
//
// Knows nothing of gRPC: the server's handler threads Submit() and read
// events from the returned RequestStream; tests drive it with a fake model.
//
// Threading: Submit, Shutdown and counters() are thread-safe. The model is
// used only by the scheduler thread between construction and Shutdown().
#ifndef EDGELLM_RUNTIME_SERVER_SCHEDULER_H_
#define EDGELLM_RUNTIME_SERVER_SCHEDULER_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "runtime/engine/sequence.h"
#include "runtime/model/transformer.h"
#include "runtime/tokenizer/tokenizer.h"

namespace edgellm::server {

// What the scheduler needs from a model: a batched forward pass over KV
// slots. Called only from the scheduler thread.
class BatchModel {
 public:
  virtual ~BatchModel() = default;
  // Same contract as model::Transformer::Forward: one logits row of
  // vocab_size() floats per token with want_logits, in batch order.
  virtual absl::Status Forward(absl::Span<const model::BatchToken> batch,
                               float* logits) = 0;
  virtual int32_t vocab_size() const = 0;
  virtual int32_t context() const = 0;    // KV positions per slot
  virtual int32_t slots() const = 0;      // KV slots
  virtual int32_t max_batch() const = 0;  // tokens per Forward
};

// Adapts a model::Transformer (not owned; must outlive the adapter).
class TransformerBatchModel : public BatchModel {
 public:
  TransformerBatchModel(model::Transformer* transformer, int32_t slots)
      : transformer_(transformer), slots_(slots) {}
  absl::Status Forward(absl::Span<const model::BatchToken> batch,
                       float* logits) override {
    return transformer_->Forward(batch, logits);
  }
  int32_t vocab_size() const override {
    return transformer_->config().vocab_size;
  }
  int32_t context() const override { return transformer_->context(); }
  int32_t slots() const override { return slots_; }
  int32_t max_batch() const override { return transformer_->max_batch(); }

 private:
  model::Transformer* const transformer_;
  const int32_t slots_;
};

struct SchedulerOptions {
  int32_t parallel = 1;  // active sequences (<= model slots and max_batch)
  int32_t queue = 16;    // waiting requests beyond `parallel`
};

// One generation request.
struct Request {
  std::vector<int32_t> prompt_ids;
  engine::GenerateOptions options;
  // The scheduler ends the request with DEADLINE_EXCEEDED once this passes,
  // queued or running.
  absl::Time deadline = absl::InfiniteFuture();
};

// Timings of one request, measured from its arrival (Submit).
struct RequestStats {
  int32_t prompt_tokens = 0;
  int32_t generated_tokens = 0;
  absl::Duration queue_time;           // arrival -> slot assigned
  absl::Duration time_to_first_token;  // arrival -> first token sampled
  absl::Duration decode_time;          // first token -> last token
  absl::Duration total_time;           // arrival -> final event
  // Generated tokens per second after the first; 0 with fewer than 2.
  double tokens_per_second() const;
};

// What a request's stream delivers: token events, then exactly one final.
struct StreamEvent {
  bool final = false;
  // Token events.
  int32_t token = 0;
  std::string text;  // complete UTF-8 released by this token (maybe "")
  // The final event.
  engine::FinishReason finish_reason = engine::FinishReason::kNone;
  // OK for a normal finish (stop, length, end of generation, context full);
  // CANCELLED (client), DEADLINE_EXCEEDED, UNAVAILABLE (shutdown) or
  // INTERNAL (model failure) otherwise.
  absl::Status status;
  RequestStats stats;
};

// The per-request event queue between the scheduler thread (producer) and
// one reader (the RPC handler). Thread-safe.
class RequestStream {
 public:
  // Waits up to `timeout` for the next event; nullopt on timeout. After the
  // final event, returns nullopt at once.
  std::optional<StreamEvent> Next(absl::Duration timeout);
  // Asks the scheduler to stop this request (the client went away). The
  // final event then carries CANCELLED.
  void Cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }
  // A number unique within the scheduler, for logs.
  uint64_t id() const { return id_; }

 private:
  friend class Scheduler;
  explicit RequestStream(uint64_t id) : id_(id) {}
  void Push(StreamEvent event);

  const uint64_t id_;
  std::atomic<bool> cancelled_{false};
  absl::Mutex mu_;
  std::deque<StreamEvent> events_ ABSL_GUARDED_BY(mu_);
  bool final_taken_ ABSL_GUARDED_BY(mu_) = false;
};

class Scheduler {
 public:
  // Starts the scheduler thread. `model` and `tokenizer` are not owned and
  // must outlive the scheduler. INVALID_ARGUMENT if parallel exceeds the
  // model's slots or max_batch, or a size is out of range.
  static absl::StatusOr<std::unique_ptr<Scheduler>> Create(
      BatchModel* model, const tokenizer::Tokenizer* tokenizer,
      const SchedulerOptions& options);
  // Shutdown(absl::ZeroDuration()) if not done yet.
  ~Scheduler();

  // Validates and queues a request. INVALID_ARGUMENT (naming the field),
  // RESOURCE_EXHAUSTED (queue full) or UNAVAILABLE (shutting down).
  absl::StatusOr<std::shared_ptr<RequestStream>> Submit(Request request);

  // Stops accepting requests, lets active and queued ones run for up to
  // `grace`, then ends the rest with UNAVAILABLE and stops the thread.
  // Idempotent; returns once the thread has stopped.
  void Shutdown(absl::Duration grace);

  struct Counters {
    int32_t active = 0;
    int32_t queued = 0;
    int64_t finished = 0;
    int64_t steps = 0;           // forward passes run
    int64_t batched_tokens = 0;  // tokens over all forward passes
  };
  Counters counters() const;

 private:
  struct Pending;
  struct Active;

  Scheduler(BatchModel* model, const tokenizer::Tokenizer* tokenizer,
            const SchedulerOptions& options);
  void Loop();
  // Moves queued requests into free slots; ends those cancelled or past
  // their deadline while waiting. Called with mu_ held.
  void AdmitLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Ends active sequences that were cancelled or timed out.
  void ReapCancelled(absl::Time now);
  // One forward pass over all active sequences. False if nothing ran.
  bool Step();
  // Ends the sequence on `slot`: pushes its final event, frees the slot.
  void FinishActive(int32_t slot, absl::Status status);
  static StreamEvent MakeFinal(const Active& active, absl::Status status);

  BatchModel* const model_;
  const tokenizer::Tokenizer* const tokenizer_;
  const SchedulerOptions options_;

  mutable absl::Mutex mu_;
  std::deque<std::unique_ptr<Pending>> pending_ ABSL_GUARDED_BY(mu_);
  int32_t active_count_ ABSL_GUARDED_BY(mu_) = 0;
  bool accepting_ ABSL_GUARDED_BY(mu_) = true;
  bool force_cancel_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool joined_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  Counters counters_ ABSL_GUARDED_BY(mu_);

  // Owned by the scheduler thread.
  std::vector<std::unique_ptr<Active>> slots_;  // index = KV slot
  std::vector<model::BatchToken> batch_;
  std::vector<float> logits_;
  std::thread thread_;
  absl::Mutex shutdown_mu_;  // serializes Shutdown calls
};

}  // namespace edgellm::server

#endif  // EDGELLM_RUNTIME_SERVER_SCHEDULER_H_
