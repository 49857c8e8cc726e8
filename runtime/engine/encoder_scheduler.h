// The scheduler of an encoder-only model (bert, nomic-bert): Embed and
// Rerank requests of many callers, batched across requests.
//
// One thread owns the EncoderEngine. Requests wait in one FIFO queue; each
// loop iteration runs ONE forward pass (model::Encoder::Encode) over
// the next texts of the queue in order, taken from the oldest request
// first and then from the requests behind it that ask for the same output
// (pooling and normalization), up to `pass_tokens` tokens and
// `pass_sequences` texts. So many small requests share one pass (and every
// weight read), while a large one runs in bounded passes: one pass is the
// longest anything else waits for the thread. Cancellation and deadlines
// are checked before every pass.
//
//   - Sharing the CPU with a decoder's engine in the same process
//     (`cpu_share`, cpu_share.h): each pass is a turn of the share, taken
//     before the pass is planned, and while another member is busy (a
//     generation running) a pass holds the tokens that fit in the turn's
//     time budget (the time until the other member is due, at the tokens
//     per second of the passes so far), at most `shared_pass_tokens`, and
//     always one whole text: the rest of a batch goes in the next turns,
//     so a generation gets a decode step between every two passes and
//     each side about half the time.
//
//   - Admission: up to `queue` requests wait beyond the one running;
//     beyond that Submit fails with RESOURCE_EXHAUSTED.
//   - Failures stay with their requests: a pass that fails (or throws)
//     ends the requests that had texts in it, and the others go on.
//
// Internal to the engine: Engine (edgellm.h) validates requests, tokenizes
// them and submits the token ids here.
//
// Threading: Submit, Shutdown and counters() are thread-safe.
#ifndef EDGELLM_RUNTIME_ENGINE_ENCODER_SCHEDULER_H_
#define EDGELLM_RUNTIME_ENGINE_ENCODER_SCHEDULER_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "runtime/engine/cpu_share.h"
#include "runtime/engine/edgellm.h"
#include "runtime/engine/encoder_engine.h"
#include "runtime/engine/time_share.h"
#include "runtime/model/encoder_config.h"

namespace edgellm::engine {

// One request: its sequences' token ids and what to compute for them.
struct EncoderJob {
  std::vector<std::vector<int32_t>> ids;
  // kRank: one score per sequence (EmbedResult::scores); else one vector
  // per sequence (EmbedResult::vectors).
  model::EncoderPooling pooling = model::EncoderPooling::kMean;
  bool normalize = false;
  Pooling reported_pooling = Pooling::kDefault;  // EmbedResult::pooling
  absl::Time deadline = absl::InfiniteFuture();
};

struct EncoderSchedulerOptions {
  int32_t queue = 16;            // waiting requests beyond the running one
  int32_t pass_tokens = 1024;    // tokens per forward pass, all texts
  int32_t pass_sequences = 256;  // texts per forward pass
  // Turns with the other engines of the process (null: none), and the
  // tokens per pass while another member of the share is busy.
  std::shared_ptr<CpuShare> cpu_share;
  int32_t shared_pass_tokens = 128;
};

class EncoderScheduler {
 public:
  // Starts the thread. `encoder` (not owned) must outlive the scheduler;
  // pass_tokens must not exceed its max_tokens. INVALID_ARGUMENT for sizes
  // out of range.
  static absl::StatusOr<std::unique_ptr<EncoderScheduler>> Create(
      EncoderEngine* encoder, const EncoderSchedulerOptions& options);
  // Shutdown(absl::ZeroDuration()) if not done yet.
  ~EncoderScheduler();

  // Queues a job whose sequences are valid for the encoder (checked by the
  // caller: non-empty, within max_sequence_tokens and pass_tokens, ids in
  // the vocabulary). RESOURCE_EXHAUSTED (queue full) or UNAVAILABLE
  // (shutting down).
  absl::StatusOr<std::shared_ptr<EmbedCall>> Submit(EncoderJob job);

  // Stops accepting jobs, lets queued ones run for up to `grace`, then
  // ends the rest with UNAVAILABLE and stops the thread. Idempotent.
  void Shutdown(absl::Duration grace);

  // active: jobs with texts encoded so far; queued: jobs not started;
  // steps / batched_tokens: forward passes and their tokens. The same
  // numbers appear as embed_active / embed_queued.
  Engine::Counters counters() const;

 private:
  struct Job;
  // A slice of one job in a pass: texts [begin, end).
  struct Slice {
    Job* job;
    size_t begin, end;
  };

  EncoderScheduler(EncoderEngine* encoder,
                   const EncoderSchedulerOptions& options);
  void Loop();
  // Ends jobs that were cancelled or timed out. Called with mu_ held.
  void ReapLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The next pass's slices. Called with mu_ held.
  std::vector<Slice> PlanPassLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Runs one pass and stores its outputs in the jobs.
  absl::Status RunPass(const std::vector<Slice>& pass);
  // Removes finished jobs (complete, or failed with `failed` set) from the
  // queue and hands out their results. Called with mu_ held.
  void FinishDoneLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static void FinishJob(Job& job, absl::Status status, absl::Time now);

  EncoderEngine* const encoder_;
  const EncoderSchedulerOptions options_;

  mutable absl::Mutex mu_;
  std::deque<std::unique_ptr<Job>> jobs_ ABSL_GUARDED_BY(mu_);
  bool accepting_ ABSL_GUARDED_BY(mu_) = true;
  bool force_stop_ ABSL_GUARDED_BY(mu_) = false;
  bool joined_ ABSL_GUARDED_BY(mu_) = false;
  Engine::Counters counters_ ABSL_GUARDED_BY(mu_);

  std::vector<float> out_;  // one pass's outputs (scheduler thread)
  // Its place in options_.cpu_share (null without one), and how many
  // tokens fit in a turn's time (learned from the passes, under mu_).
  const std::unique_ptr<CpuShare::Member> cpu_;
  const NanoClock clock_;
  PassSizer sizer_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
  absl::Mutex shutdown_mu_;  // serializes Shutdown calls
};

}  // namespace edgellm::engine

#endif  // EDGELLM_RUNTIME_ENGINE_ENCODER_SCHEDULER_H_
