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
//   - Cancellation: GenerationStream::Cancel() (client gone) or a passed
//     deadline ends the sequence before the next step's forward pass, so
//     its slot is free within one decode step.
//   - Validation: Submit checks the request against the model (empty prompt,
//     prompt longer than the context, token ids, sampling ranges) and fails
//     with INVALID_ARGUMENT naming the field, before queueing.
//   - Paged KV cache (BatchModel::kv_tables): a queued request is admitted
//     when a slot is free AND the block pool can promise every block it
//     can need (prompt plus max_tokens, less the blocks of its longest
//     cached prefix, which it shares); until then it waits, in order. One
//     that could never fit is refused at Submit with RESOURCE_EXHAUSTED
//     naming the pool. The cached prompt tokens need no forward pass
//     (RequestStats::cached_prompt_tokens); GenerateOptions::prefix_cache
//     false opts a request out. Ending a sequence gives its blocks back.
//   - Context shift (SchedulerOptions::context_shift >= 0): a prompt that
//     does not fit the context is shortened at Submit, and a generation
//     that fills it keeps its start and the later half of the rest,
//     prefilled again (context_shift.h); RequestStats::context_shifts and
//     context_shift_dropped_tokens say so. Off, the prompt is refused with
//     INVALID_ARGUMENT naming its length and the context, and the
//     generation ends with FinishReason::kContextFull.
//   - Embeddings: SubmitEmbed queues an embedding request. One runs at a
//     time on a KV slot reserved for it (slot `parallel`; the model needs
//     parallel + 1 slots, else SubmitEmbed is UNIMPLEMENTED), so it never
//     takes a generation's slot. It runs in chunks (BatchModel::
//     ForwardHidden), each loop iteration running one forward pass: a
//     decode step or an embedding chunk. Cancellation and deadlines are
//     checked between chunks. Embeddings share the wait queue: a request
//     is refused with RESOURCE_EXHAUSTED when the generations waiting for a
//     slot plus the embeddings waiting behind the running one would exceed
//     `queue`.
//   - Fairness between them (time_share.h): decode steps and embedding
//     chunks are two flows charged the time of their passes. While both
//     have work, the one further behind runs next, so each gets its share
//     of the time (`embed_weight` to the generations' 1: half each by
//     default) within one pass. An embedding chunk holds the tokens that
//     fit, at the chunks' measured speed, in the time until the
//     generations are due but no less than `embed_turn_steps` (4) times the
//     last decode step: a pass reads every weight once, about what a decode
//     step costs, so chunks cut to one step's time would spend most of it
//     on that; at four steps they spend at most a quarter. So between two
//     decode steps there is at most one chunk, of about four steps' time,
//     after which come about four steps in a row (a generation's tokens
//     arrive in bursts at half its speed alone, the longest gap one step
//     plus one chunk). With no generation running a chunk is max_batch
//     tokens.
//
//   - Sharing the CPU (SchedulerOptions::cpu_share): every forward pass
//     is a turn of the share, so the passes of other engines in the same
//     process (an encoder's Embed batches) alternate with this one's decode
//     steps rather than running on the same cores at once.
//
//   - Failures stay with their request: an exception from the standard
//     library while building or running one sequence (std::bad_alloc,
//     std::length_error) ends that request with RESOURCE_EXHAUSTED (INTERNAL
//     for anything else) and the scheduler keeps serving the others.
//     Sequences are built on the scheduler thread outside the lock, so a
//     large allocation never holds up Submit() on other threads.
//
// Internal to the engine: the Engine (edgellm.h) Submit()s encoded
// requests and hands out the returned streams; tests drive the scheduler
// with a fake model.
//
// Threading: Submit, Shutdown and counters() are thread-safe. The model is
// used only by the scheduler thread between construction and Shutdown().
#ifndef EDGELLM_RUNTIME_ENGINE_SCHEDULER_H_
#define EDGELLM_RUNTIME_ENGINE_SCHEDULER_H_

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
#include "runtime/engine/cpu_share.h"
#include "runtime/engine/edgellm.h"
#include "runtime/engine/embedding.h"
#include "runtime/engine/sequence.h"
#include "runtime/engine/time_share.h"
#include "runtime/model/transformer.h"
#include "runtime/tokenizer/tokenizer.h"

namespace edgellm::engine {

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
  // Same contract as model::Transformer::ForwardHidden: one row of
  // hidden_size() floats (the final-normed hidden state) per token with
  // want_logits. Models without it answer UNIMPLEMENTED.
  virtual absl::Status ForwardHidden(absl::Span<const model::BatchToken>,
                                     float*) {
    return absl::UnimplementedError("this model has no hidden-state output");
  }
  virtual int32_t hidden_size() const { return 0; }
  // The paged KV cache's block tables, or null (a slab per slot). With
  // them the scheduler starts each sequence on its slot (prefix reuse,
  // block reservation) and ends it when the slot is freed.
  virtual model::KvBlockTables* kv_tables() { return nullptr; }
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
  absl::Status ForwardHidden(absl::Span<const model::BatchToken> batch,
                             float* hidden) override {
    return transformer_->ForwardHidden(batch, hidden);
  }
  int32_t hidden_size() const override {
    return transformer_->config().embedding_length;
  }
  model::KvBlockTables* kv_tables() override {
    return transformer_->kv_cache().tables();
  }

 private:
  model::Transformer* const transformer_;
  const int32_t slots_;
};

struct SchedulerOptions {
  int32_t parallel = 1;  // active sequences (<= model slots and max_batch)
  int32_t queue = 16;    // waiting requests beyond `parallel`
  // Context shift (context_shift.h): the tokens kept at the start of a
  // prompt or generation that outgrows the context; kNoContextShift (-1):
  // off.
  int32_t context_shift = -1;
  // Engines of one process that share the CPU (cpu_share.h): this
  // scheduler's forward passes take turns with theirs, and it is busy while
  // it has requests running or waiting. Null: no turns.
  std::shared_ptr<CpuShare> cpu_share;
  // The embeddings' share of the time against the generations' 1 while
  // both have work, and the least time an embedding chunk is planned for
  // then, in decode steps (see the fairness paragraph above).
  double embed_weight = 1.0;
  int32_t embed_turn_steps = 4;
  // Times the passes for that; null: the steady clock (tests pass one that
  // a fake model advances).
  NanoClock clock;
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

  // Validates and queues a request whose prompt is `request.prompt_ids`
  // (the text fields are ignored). INVALID_ARGUMENT (naming the field),
  // RESOURCE_EXHAUSTED (queue full) or UNAVAILABLE (shutting down).
  // `output` says how tokens become the stream's text (Chat requests parse
  // it; see OutputOptions).
  absl::StatusOr<std::shared_ptr<GenerationStream>> Submit(
      GenerateRequest request, OutputOptions output = {});

  // Validates and queues an embedding request of `request.token_ids` (the
  // texts are ignored; the pooling must not be kDefault). INVALID_ARGUMENT
  // naming the field ("token_ids", "token_ids[3]": none, too many, an
  // empty or too long one, a bad token id, too many tokens in all),
  // UNIMPLEMENTED (no embedding slot or hidden-state output),
  // RESOURCE_EXHAUSTED (queue full) or UNAVAILABLE (shutting down).
  absl::StatusOr<std::shared_ptr<EmbedCall>> SubmitEmbed(EmbedRequest request);
  // Whether SubmitEmbed can succeed with this model.
  bool embeddings_available() const { return embed_slot_ >= 0; }

  // Stops accepting requests, lets active and queued ones run for up to
  // `grace`, then ends the rest with UNAVAILABLE and stops the thread.
  // Idempotent; returns once the thread has stopped.
  void Shutdown(absl::Duration grace);

  using Counters = Engine::Counters;
  Counters counters() const;

 private:
  struct Pending;
  struct Active;
  struct PendingEmbed;

  Scheduler(BatchModel* model, const tokenizer::Tokenizer* tokenizer,
            const SchedulerOptions& options);
  void Loop();
  // Ends queued requests that were cancelled or timed out, and takes
  // queued requests for the free slots (in arrival order) into
  // `admitted`, each with its slot. Called with mu_ held.
  void TakeAdmittedLocked(absl::Time now,
                          std::vector<std::unique_ptr<Pending>>* admitted)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Builds the sequences of `admitted` (outside the lock) and puts them on
  // their slots; a request whose sequence cannot be built is ended.
  void StartAdmitted(std::vector<std::unique_ptr<Pending>> admitted,
                     absl::Time now);
  // Ends active sequences that were cancelled or timed out.
  void ReapCancelled(absl::Time now);
  // One forward pass: a decode step or an embedding chunk, whichever is
  // due (the other when the due one has nothing to run). False if nothing
  // ran.
  bool NextPass(absl::Time now);
  // One forward pass over all active sequences. False if nothing ran.
  bool Step();
  // Counts the KV positions the active sequences hold (for counters()).
  void CountKvPositions();
  // After a context shift of the sequence on `slot`: restarts its paged
  // KV sequence on the shifted tokens (their cached start reused).
  void RestartShifted(int32_t slot);
  // Ends the sequence on `slot`: pushes its final event, frees the slot.
  void FinishActive(int32_t slot, absl::Status status);
  // Ends every running and queued request with `status` (shutdown, or a
  // failure of the loop itself).
  void FinishEverything(const absl::Status& status);
  static StreamEvent MakeFinal(const Active& active, absl::Status status);
  // Whether one more generation (or embedding) fits in slots plus queue.
  // Called with mu_ held.
  absl::Status CheckCapacityLocked(bool embed) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Ends queued embeddings that were cancelled or timed out and starts the
  // next one when the embedding slot is idle. Called with mu_ held.
  void AdmitEmbedLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Runs one chunk of the running embedding (after checking cancellation
  // and the deadline). False if none runs.
  bool EmbedStep(absl::Time now);
  // Starts the running embedding's next text on the embedding slot (its
  // cached prefix reused under kLastToken pooling). False when it did not
  // start: the pool has no room yet (retried next step) or it failed (the
  // embedding is finished).
  bool StartEmbedText();
  // Ends the running embedding with `status`.
  void FinishEmbed(absl::Status status);

  BatchModel* const model_;
  const tokenizer::Tokenizer* const tokenizer_;
  const SchedulerOptions options_;

  mutable absl::Mutex mu_;
  std::deque<std::unique_ptr<Pending>> pending_ ABSL_GUARDED_BY(mu_);
  // Sequences on slots, plus those admitted and being built.
  int32_t active_count_ ABSL_GUARDED_BY(mu_) = 0;
  bool accepting_ ABSL_GUARDED_BY(mu_) = true;
  bool force_cancel_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool joined_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  Counters counters_ ABSL_GUARDED_BY(mu_);
  std::deque<std::unique_ptr<PendingEmbed>> embed_pending_ ABSL_GUARDED_BY(mu_);
  bool embed_running_ ABSL_GUARDED_BY(mu_) = false;

  // Owned by the scheduler thread.
  std::vector<std::unique_ptr<Active>> slots_;  // index = KV slot
  // One step's batch, and per slot in it how many tokens it fed and whether
  // it gets a logits row (reused across steps).
  struct StepEntry {
    int32_t slot;
    int32_t count;
    bool want_logits;
  };
  std::vector<StepEntry> entries_;
  std::vector<int32_t> prefilling_;
  std::vector<model::BatchToken> batch_;
  std::vector<float> logits_;
  // The KV slot for embeddings, or -1 when the model has none to spare.
  const int32_t embed_slot_;
  // The paged cache's tables (null: slab), used on this thread only, and
  // its constant sizes for Submit.
  model::KvBlockTables* const kv_tables_;
  const int32_t kv_block_size_, kv_blocks_;
  std::unique_ptr<PendingEmbed> embed_;  // the running embedding
  bool embed_text_started_ = false;      // its current text's pass began
  EmbedResult embed_result_;             // being filled for embed_
  std::unique_ptr<engine::EmbeddingPass> embed_pass_;
  std::vector<float> hidden_;  // max_batch rows of hidden_size()
  // Its place in options_.cpu_share (null without one).
  std::unique_ptr<CpuShare::Member> cpu_;
  // The time of decode steps against embedding chunks, and the embedding
  // tokens that fit in a chunk's time.
  const NanoClock clock_;
  TimeShare time_;
  TimeShare::Id decode_flow_ = 0, embed_flow_ = 0;
  PassSizer embed_sizer_;
  std::thread thread_;
  absl::Mutex shutdown_mu_;  // serializes Shutdown calls
};

}  // namespace edgellm::engine

#endif  // EDGELLM_RUNTIME_ENGINE_SCHEDULER_H_
