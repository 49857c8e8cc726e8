#include "runtime/engine/scheduler.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/engine/context_shift.h"
#include "runtime/engine/sequence.h"
#include "util/exception_status.h"

namespace edgellm::engine {

// ---------------------------------------------------------------------------
// Scheduler

struct Scheduler::Pending {
  std::shared_ptr<GenerationStream> stream;
  GenerateRequest request;
  OutputOptions output;
  absl::Time arrival;
  int32_t slot = -1;          // assigned on admission
  int32_t cached_tokens = 0;  // prompt tokens found in the paged cache
  int32_t truncated = 0;      // prompt tokens a context shift dropped
};

struct Scheduler::PendingEmbed {
  std::shared_ptr<EmbedCall> call;
  EmbedRequest request;
  absl::Time arrival;
  absl::Time started;
  size_t next_text = 0;  // index of the text running (or next to run)
};

struct Scheduler::Active {
  std::shared_ptr<GenerationStream> stream;
  std::unique_ptr<engine::Sequence> sequence;
  absl::Time arrival, admitted, first_token, last_token;
  absl::Time deadline = absl::InfiniteFuture();
  // Why the sequence was stopped early (OK while it runs normally).
  absl::Status stop_status;
  int32_t cached_tokens = 0;
  int32_t truncated = 0;     // prompt tokens dropped at Submit
  int32_t max_tokens = 0;    // the request's
  bool prefix_cache = true;  // the request's
};

namespace {

StreamEvent FinalEvent(FinishReason reason, absl::Status status,
                       RequestStats stats) {
  StreamEvent event;
  event.final = true;
  event.finish_reason = reason;
  event.status = std::move(status);
  event.stats = stats;
  return event;
}

// Positions a request can write: its prompt and max_tokens, within the
// context (Sequence stops there).
int32_t SequencePositions(const GenerateRequest& request, int32_t context) {
  return static_cast<int32_t>(
      std::min<int64_t>(int64_t(request.prompt_ids.size()) +
                            std::max<int64_t>(request.options.max_tokens, 0),
                        context));
}

absl::Status ShutdownStatus() {
  return absl::UnavailableError(
      "server shutting down: the grace period ended before this request "
      "finished");
}

}  // namespace

Scheduler::Scheduler(BatchModel* model, const tokenizer::Tokenizer* tokenizer,
                     const SchedulerOptions& options)
    : model_(model),
      tokenizer_(tokenizer),
      options_(options),
      embed_slot_(model->slots() > options.parallel && model->hidden_size() > 0
                      ? options.parallel
                      : -1),
      kv_tables_(model->kv_tables()),
      kv_block_size_(kv_tables_ ? kv_tables_->block_size() : 0),
      kv_blocks_(kv_tables_ ? kv_tables_->pool().size() : 0),
      cpu_(options.cpu_share ? options.cpu_share->Join() : nullptr),
      clock_(options.clock ? options.clock : SteadyNanoClock()) {
  decode_flow_ = time_.Add(1.0);
  embed_flow_ = time_.Add(options.embed_weight);
  counters_.kv_blocks_total = counters_.kv_blocks_free = kv_blocks_;
  slots_.resize(options.parallel);
  entries_.reserve(options.parallel);
  prefilling_.reserve(options.parallel);
  batch_.reserve(model->max_batch());
  logits_.resize(static_cast<size_t>(options.parallel) * model->vocab_size());
  if (embed_slot_ >= 0) {
    embed_pass_ = std::make_unique<engine::EmbeddingPass>(model->hidden_size(),
                                                          model->max_batch());
    hidden_.resize(embed_pass_->hidden_floats());
  }
}

absl::StatusOr<std::unique_ptr<Scheduler>> Scheduler::Create(
    BatchModel* model, const tokenizer::Tokenizer* tokenizer,
    const SchedulerOptions& options) {
  if (model == nullptr || tokenizer == nullptr) {
    return absl::InvalidArgumentError("scheduler: model and tokenizer needed");
  }
  if (options.parallel < 1) {
    return absl::InvalidArgumentError("parallel: must be at least 1");
  }
  if (options.queue < 0) {
    return absl::InvalidArgumentError("queue: must not be negative");
  }
  if (options.parallel > model->slots()) {
    return absl::InvalidArgumentError(
        absl::StrCat("parallel: ", options.parallel, " exceeds the model's ",
                     model->slots(), " KV slots"));
  }
  if (options.parallel > model->max_batch()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "parallel: ", options.parallel, " exceeds the forward batch of ",
        model->max_batch(), " tokens (every active sequence needs one)"));
  }
  std::unique_ptr<Scheduler> s(new Scheduler(model, tokenizer, options));
  s->thread_ = std::thread([p = s.get()] { p->Loop(); });
  return s;
}

Scheduler::~Scheduler() { Shutdown(absl::ZeroDuration()); }

absl::StatusOr<std::shared_ptr<GenerationStream>> Scheduler::Submit(
    GenerateRequest request, OutputOptions output) {
  // Validated now, on the caller's thread, so a bad request never queues;
  // the sequence itself is built on admission. With a context shift, a
  // prompt that does not fit is shortened first.
  int32_t truncated = 0;
  if (options_.context_shift >= 0 &&
      static_cast<int64_t>(request.prompt_ids.size()) >= model_->context()) {
    truncated = TruncatePromptForContext(
        request.prompt_ids,
        ContextShiftKeep(request.prompt_ids, options_.context_shift,
                         tokenizer_->special().bos, model_->context()),
        model_->context());
  }
  if (absl::Status s =
          ValidateGenerateRequest(request.prompt_ids, request.options,
                                  model_->vocab_size(), model_->context());
      !s.ok()) {
    return s;
  }
  if (kv_block_size_ > 0) {
    const int64_t positions = SequencePositions(request, model_->context());
    const int64_t blocks = (positions + kv_block_size_ - 1) / kv_block_size_;
    if (blocks > kv_blocks_) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "prompt: ", request.prompt_ids.size(), " tokens plus max_tokens ",
          request.options.max_tokens, " need ", blocks, " KV blocks of ",
          kv_block_size_, " positions; the pool has ", kv_blocks_,
          " (--kv-blocks)"));
    }
  }
  auto pending = std::make_unique<Pending>();
  pending->request = std::move(request);
  pending->output = std::move(output);
  pending->truncated = truncated;
  pending->arrival = absl::Now();
  absl::MutexLock lock(&mu_);
  if (!accepting_) {
    return absl::UnavailableError("server shutting down: not accepting");
  }
  if (absl::Status s = CheckCapacityLocked(/*embed=*/false); !s.ok()) return s;
  pending->stream =
      std::shared_ptr<GenerationStream>(new GenerationStream(next_id_++));
  std::shared_ptr<GenerationStream> stream = pending->stream;
  pending_.push_back(std::move(pending));
  return stream;
}

absl::Status Scheduler::CheckCapacityLocked(bool embed) const {
  // Requests that would wait: generations beyond the `parallel` slots and
  // embeddings behind the one on the embedding slot.
  const int64_t generations =
      static_cast<int64_t>(pending_.size()) + active_count_ + (embed ? 0 : 1);
  const int64_t embeddings = static_cast<int64_t>(embed_pending_.size()) +
                             (embed_running_ ? 1 : 0) + (embed ? 1 : 0);
  const int64_t waiting =
      std::max<int64_t>(0, generations - options_.parallel) +
      std::max<int64_t>(0, embeddings - 1);
  if (waiting <= options_.queue) return absl::OkStatus();
  return absl::ResourceExhaustedError(absl::StrCat(
      embed ? "the embedding slot is busy"
            : absl::StrCat("all ", options_.parallel, " slots are busy"),
      " and the wait queue of ", options_.queue, " is full; retry later"));
}

absl::StatusOr<std::shared_ptr<EmbedCall>> Scheduler::SubmitEmbed(
    EmbedRequest request) {
  if (embed_slot_ < 0) {
    return absl::UnimplementedError(
        model_->hidden_size() > 0
            ? "embeddings need a spare KV slot beyond --parallel; this "
              "scheduler has none"
            : "the loaded model does not expose hidden states");
  }
  if (absl::Status s =
          ValidateEmbedRequest(request.token_ids, model_->vocab_size(),
                               model_->context(), "token_ids");
      !s.ok()) {
    return s;
  }
  if (request.options.pooling == Pooling::kDefault) {
    return absl::InvalidArgumentError(
        "pooling: the model's default must be resolved before scheduling");
  }
  auto pending = std::make_unique<PendingEmbed>();
  pending->request = std::move(request);
  pending->arrival = absl::Now();
  absl::MutexLock lock(&mu_);
  if (!accepting_) {
    return absl::UnavailableError("server shutting down: not accepting");
  }
  if (absl::Status s = CheckCapacityLocked(/*embed=*/true); !s.ok()) return s;
  pending->call = std::shared_ptr<EmbedCall>(new EmbedCall());
  std::shared_ptr<EmbedCall> call = pending->call;
  embed_pending_.push_back(std::move(pending));
  return call;
}

void Scheduler::Shutdown(absl::Duration grace) {
  absl::MutexLock serial(&shutdown_mu_);
  {
    absl::MutexLock lock(&mu_);
    if (joined_) return;
    accepting_ = false;
    const auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return pending_.empty() && active_count_ == 0 && embed_pending_.empty() &&
             !embed_running_;
    };
    mu_.AwaitWithTimeout(absl::Condition(&idle), grace);
    force_cancel_ = true;
    stop_ = true;
  }
  thread_.join();
  absl::MutexLock lock(&mu_);
  joined_ = true;
}

Scheduler::Counters Scheduler::counters() const {
  absl::MutexLock lock(&mu_);
  Counters c = counters_;
  c.active = active_count_;
  c.queued = static_cast<int32_t>(pending_.size());
  c.embed_active = embed_running_ ? 1 : 0;
  c.embed_queued = static_cast<int32_t>(embed_pending_.size());
  c.kv_positions_total = static_cast<int64_t>(options_.parallel) *
                         static_cast<int64_t>(model_->context());
  return c;
}

void Scheduler::CountKvPositions() {
  int64_t used = 0;
  for (const std::unique_ptr<Active>& a : slots_) {
    if (a != nullptr) used += a->sequence->pos();
  }
  absl::MutexLock lock(&mu_);
  counters_.kv_positions_used = used;
  if (kv_tables_ != nullptr) {
    counters_.kv_blocks_total = kv_tables_->pool().size();
    counters_.kv_blocks_free = kv_tables_->pool().free();
    counters_.kv_blocks_cached = kv_tables_->pool().cached();
  }
}

void Scheduler::Loop() {
  std::vector<std::unique_ptr<Pending>> admitted;
  while (true) {
    bool force = false;
    try {
      {
        absl::MutexLock lock(&mu_);
        const auto busy = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return !pending_.empty() || active_count_ > 0 ||
                 !embed_pending_.empty() || embed_running_;
        };
        const auto has_work = [this, &busy]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(
                                  mu_) { return stop_ || busy(); };
        // Busy for the share while requests run or wait (each iteration
        // then runs forward passes), so other engines' turns alternate
        // with ours; idle while waiting for work.
        if (cpu_ != nullptr) cpu_->SetBusy(busy());
        mu_.Await(absl::Condition(&has_work));
        if (cpu_ != nullptr) cpu_->SetBusy(busy());
        force = force_cancel_;
        TakeAdmittedLocked(absl::Now(), &admitted);
        AdmitEmbedLocked(absl::Now());
        if (stop_ && pending_.empty() && active_count_ == 0 &&
            embed_pending_.empty() && !embed_running_) {
          break;
        }
      }
      if (force) {
        FinishEverything(ShutdownStatus());
        CountKvPositions();
        continue;
      }
      StartAdmitted(std::move(admitted), absl::Now());
      admitted.clear();
      ReapCancelled(absl::Now());
      if (!NextPass(absl::Now()) && cpu_ != nullptr) {
        // Nothing could run (a queued request waits for KV blocks): other
        // engines of the share must not wait for this one meanwhile.
        cpu_->SetBusy(false);
      }
      CountKvPositions();
    } catch (...) {
      // Per-request failures are caught where they happen; this is the
      // scheduler's own bookkeeping failing (out of memory while queueing
      // or batching). Every request it holds ends, and it serves on.
      const absl::Status status = StatusFromCurrentException("scheduler step");
      admitted.clear();
      FinishEverything(status);
      CountKvPositions();
    }
  }
}

void Scheduler::FinishEverything(const absl::Status& status) {
  for (size_t slot = 0; slot < slots_.size(); ++slot) {
    if (slots_[slot] == nullptr) continue;
    slots_[slot]->sequence->Cancel();
    FinishActive(static_cast<int32_t>(slot), status);
  }
  if (embed_ != nullptr) FinishEmbed(status);
  absl::MutexLock lock(&mu_);
  const absl::Time now = absl::Now();
  for (std::unique_ptr<Pending>& p : pending_) {
    RequestStats stats;
    stats.prompt_tokens = static_cast<int32_t>(p->request.prompt_ids.size());
    stats.queue_time = stats.total_time = now - p->arrival;
    p->stream->Push(FinalEvent(FinishReason::kCancelled, status, stats));
    ++counters_.finished;
  }
  pending_.clear();
}

void Scheduler::TakeAdmittedLocked(
    absl::Time now, std::vector<std::unique_ptr<Pending>>* admitted) {
  // End queued requests that nobody waits for any more.
  for (auto it = pending_.begin(); it != pending_.end();) {
    Pending& p = **it;
    absl::Status status;
    if (force_cancel_) {
      status = ShutdownStatus();
    } else if (now >= p.request.deadline) {
      // Checked before the cancel flag: gRPC cancels the call when its
      // deadline passes, and the client should hear which it was.
      status = absl::DeadlineExceededError(
          "deadline passed while waiting for a free slot");
    } else if (p.stream->cancelled()) {
      status = absl::CancelledError("cancelled by the client while queued");
    }
    if (status.ok()) {
      ++it;
      continue;
    }
    RequestStats stats;
    stats.prompt_tokens = static_cast<int32_t>(p.request.prompt_ids.size());
    stats.queue_time = stats.total_time = now - p.arrival;
    p.stream->Push(
        FinalEvent(FinishReason::kCancelled, std::move(status), stats));
    ++counters_.finished;
    it = pending_.erase(it);
  }
  // Free slots in order, to the oldest requests. slots_ belongs to this
  // (the scheduler) thread, which fills the slots right after.
  for (size_t slot = 0; slot < slots_.size() && !pending_.empty(); ++slot) {
    if (slots_[slot] != nullptr) continue;
    if (kv_tables_ != nullptr) {
      Pending& head = *pending_.front();
      absl::StatusOr<int32_t> cached = kv_tables_->StartSequence(
          static_cast<int32_t>(slot), head.request.prompt_ids,
          SequencePositions(head.request, model_->context()),
          head.request.options.prefix_cache);
      // Not enough free blocks now: the queue waits for sequences to end.
      if (absl::IsUnavailable(cached.status())) break;
      if (!cached.ok()) {
        RequestStats stats;
        stats.prompt_tokens =
            static_cast<int32_t>(head.request.prompt_ids.size());
        stats.queue_time = stats.total_time = now - head.arrival;
        head.stream->Push(
            FinalEvent(FinishReason::kCancelled, cached.status(), stats));
        ++counters_.finished;
        pending_.pop_front();
        --slot;  // the slot is still free
        continue;
      }
      head.cached_tokens = *cached;
    }
    std::unique_ptr<Pending> p = std::move(pending_.front());
    pending_.pop_front();
    p->slot = static_cast<int32_t>(slot);
    admitted->push_back(std::move(p));
    ++active_count_;
  }
}

void Scheduler::StartAdmitted(std::vector<std::unique_ptr<Pending>> admitted,
                              absl::Time now) {
  for (std::unique_ptr<Pending>& p : admitted) {
    auto active = std::make_unique<Active>();
    Active* a = active.get();
    a->stream = p->stream;
    a->arrival = p->arrival;
    a->admitted = now;
    a->deadline = p->request.deadline;
    a->truncated = p->truncated;
    a->max_tokens = p->request.options.max_tokens;
    a->prefix_cache = p->request.options.prefix_cache;
    TokenCallback callback = [a](const TokenEvent& e) {
      const absl::Time t = absl::Now();
      if (e.index == 0) a->first_token = t;
      a->last_token = t;
      StreamEvent event;
      event.token = e.token;
      event.text = std::string(e.text);
      event.reasoning = std::string(e.reasoning);
      event.tool_calls.assign(e.tool_calls.begin(), e.tool_calls.end());
      a->stream->Push(std::move(event));
      if (a->stream->cancelled()) {
        a->stop_status = t >= a->deadline
                             ? absl::DeadlineExceededError(absl::StrCat(
                                   "deadline passed after ", e.index + 1,
                                   " generated tokens"))
                             : absl::CancelledError("cancelled by the client");
        return false;
      }
      return true;
    };
    const int32_t prompt_tokens =
        static_cast<int32_t>(p->request.prompt_ids.size());
    absl::StatusOr<std::unique_ptr<Sequence>> seq =
        CatchExceptions("starting the generation", [&] {
          return Sequence::Create(
              *tokenizer_, model_->vocab_size(), model_->context(), p->slot,
              std::move(p->request.prompt_ids), p->request.options,
              std::move(callback), std::move(p->output));
        });
    if (seq.ok()) {
      a->sequence = std::move(*seq);
      a->sequence->EnableContextShift(options_.context_shift);
      a->sequence->SkipCachedPrompt(p->cached_tokens);
      a->cached_tokens = p->cached_tokens;
    }
    if (!seq.ok() || a->sequence->finished()) {
      if (kv_tables_ != nullptr) kv_tables_->EndSequence(p->slot);
      // A sequence that cannot be built (validated in Submit, so out of
      // memory), or one with max_tokens 0 that has nothing to run.
      StreamEvent final;
      if (seq.ok()) {
        final = MakeFinal(*a, absl::OkStatus());
      } else {
        RequestStats stats;
        stats.prompt_tokens = prompt_tokens;
        stats.queue_time = stats.total_time = now - p->arrival;
        final = FinalEvent(FinishReason::kCancelled, seq.status(), stats);
      }
      {
        absl::MutexLock lock(&mu_);
        --active_count_;
        ++counters_.finished;
      }
      a->stream->Push(std::move(final));
      continue;
    }
    slots_[p->slot] = std::move(active);
  }
}

void Scheduler::AdmitEmbedLocked(absl::Time now) {
  for (auto it = embed_pending_.begin(); it != embed_pending_.end();) {
    PendingEmbed& p = **it;
    absl::Status status;
    if (force_cancel_) {
      status = ShutdownStatus();
    } else if (now >= p.request.deadline) {
      status = absl::DeadlineExceededError(
          "deadline passed while waiting for the embedding slot");
    } else if (p.call->cancelled()) {
      status = absl::CancelledError("cancelled by the client while queued");
    }
    if (status.ok()) {
      ++it;
      continue;
    }
    EmbedResult result;
    result.status = std::move(status);
    result.queue_time = result.total_time = now - p.arrival;
    p.call->Finish(std::move(result));
    ++counters_.finished;
    it = embed_pending_.erase(it);
  }
  if (embed_running_ || embed_pending_.empty()) return;
  if (kv_tables_ != nullptr) {
    // Blocks for the longest text (each text restarts at position 0 and
    // overwrites its own blocks); none free now: wait for generations.
    int32_t longest = 0;
    for (const std::vector<int32_t>& text :
         embed_pending_.front()->request.token_ids) {
      longest = std::max(longest, static_cast<int32_t>(text.size()));
    }
    absl::StatusOr<int32_t> started =
        kv_tables_->StartSequence(embed_slot_, {}, longest, false);
    if (!started.ok()) {
      if (absl::IsUnavailable(started.status())) return;
      std::unique_ptr<PendingEmbed> e = std::move(embed_pending_.front());
      embed_pending_.pop_front();
      EmbedResult result;
      result.status = started.status();
      result.queue_time = result.total_time = now - e->arrival;
      e->call->Finish(std::move(result));
      ++counters_.finished;
      return;
    }
  }
  embed_ = std::move(embed_pending_.front());
  embed_pending_.pop_front();
  embed_running_ = true;
  embed_->started = now;
  embed_->next_text = 0;
  embed_result_ = EmbedResult();
  embed_result_.vectors.reserve(embed_->request.token_ids.size());
  embed_result_.pooling = embed_->request.options.pooling;
  embed_text_started_ = false;  // EmbedStep starts each text
}

bool Scheduler::StartEmbedText() {
  const std::vector<std::vector<int32_t>>& texts = embed_->request.token_ids;
  const std::vector<int32_t>& text = texts[embed_->next_text];
  const EmbedOptions& options = embed_->request.options;
  int32_t cached = 0;
  if (kv_tables_ != nullptr) {
    // Only the last token's state is pooled by kLastToken, so a cached
    // prefix of the text needs no pass (mean and CLS pooling need the
    // states of the tokens themselves). Each text restarts the slot's
    // sequence: its own blocks go back first.
    const bool cache =
        options.prefix_cache && options.pooling == Pooling::kLastToken;
    int32_t longest = 0;
    for (const std::vector<int32_t>& t : texts) {
      longest = std::max(longest, static_cast<int32_t>(t.size()));
    }
    absl::StatusOr<int32_t> started =
        kv_tables_->StartSequence(embed_slot_, text, longest, cache);
    if (absl::IsUnavailable(started.status())) {
      // A copy on write more than the slot held: start it cold.
      started = kv_tables_->StartSequence(embed_slot_, {}, longest, false);
    }
    // Still no room (blocks it held are shared by generations): wait for
    // them, as a queued request does.
    if (absl::IsUnavailable(started.status())) return false;
    if (!started.ok()) {
      FinishEmbed(started.status());
      return false;
    }
    cached = *started;
  }
  embed_pass_->Start(text, embed_slot_, options, cached);
  embed_result_.cached_tokens += embed_pass_->skipped();
  embed_text_started_ = true;
  return true;
}

bool Scheduler::NextPass(absl::Time now) {
  const bool decoding = std::any_of(
      slots_.begin(), slots_.end(),
      [](const std::unique_ptr<Active>& a) { return a != nullptr; });
  time_.SetBusy(decode_flow_, decoding);
  time_.SetBusy(embed_flow_, embed_ != nullptr);
  if (embed_ != nullptr && time_.IsNext(embed_flow_)) {
    return EmbedStep(now) || Step();
  }
  return Step() || EmbedStep(now);
}

bool Scheduler::EmbedStep(absl::Time now) {
  if (embed_ == nullptr) return false;
  if (now >= embed_->request.deadline) {
    FinishEmbed(absl::DeadlineExceededError(
        absl::StrCat("deadline passed after embedding ", embed_->next_text,
                     " of ", embed_->request.token_ids.size(), " texts")));
    return false;
  }
  if (embed_->call->cancelled()) {
    FinishEmbed(absl::CancelledError("cancelled by the client"));
    return false;
  }
  if (!embed_text_started_ && !StartEmbedText()) return false;
  // Beside a generation, a chunk of about the time until it is due, no
  // less than embed_turn_steps decode steps; alone, max_batch tokens.
  int64_t most = model_->max_batch();
  if (time_.OthersBusy(embed_flow_)) {
    const int64_t budget =
        std::max(time_.Budget(embed_flow_),
                 options_.embed_turn_steps * time_.last_ns(decode_flow_));
    most = embed_sizer_.Tokens(budget, 1, most);
  }
  const absl::Span<const model::BatchToken> batch =
      embed_pass_->NextBatch(static_cast<int32_t>(most));
  const absl::Status status = CatchExceptions("embedding forward pass", [&] {
    CpuTurn turn(cpu_.get());
    const int64_t start = clock_();
    absl::Status s = model_->ForwardHidden(batch, hidden_.data());
    const int64_t took = clock_() - start;
    time_.Charge(embed_flow_, took);
    embed_sizer_.Observe(took, static_cast<int64_t>(batch.size()));
    return s;
  });
  {
    absl::MutexLock lock(&mu_);
    ++counters_.steps;
    counters_.batched_tokens += static_cast<int64_t>(batch.size());
  }
  if (!status.ok()) {
    FinishEmbed(absl::InternalError(
        absl::StrCat("embedding forward pass failed: ", status.ToString())));
    return true;
  }
  embed_pass_->Consume(hidden_.data());
  if (!embed_pass_->done()) return true;
  const std::vector<std::vector<int32_t>>& texts = embed_->request.token_ids;
  if (absl::Status kept = CatchExceptions(
          "keeping an embedding",
          [&] {
            embed_result_.vectors.push_back(embed_pass_->Result());
            embed_result_.tokens.push_back(
                static_cast<int32_t>(texts[embed_->next_text].size()));
            return absl::OkStatus();
          });
      !kept.ok()) {
    FinishEmbed(std::move(kept));
    return true;
  }
  if (++embed_->next_text == texts.size()) {
    FinishEmbed(absl::OkStatus());
  } else {
    embed_text_started_ = false;
  }
  return true;
}

void Scheduler::FinishEmbed(absl::Status status) {
  std::unique_ptr<PendingEmbed> e = std::move(embed_);
  if (kv_tables_ != nullptr) kv_tables_->EndSequence(embed_slot_);
  EmbedResult result = std::move(embed_result_);
  embed_result_ = EmbedResult();
  if (!status.ok()) result.vectors.clear();
  result.status = std::move(status);
  result.queue_time = e->started - e->arrival;
  result.total_time = absl::Now() - e->arrival;
  {
    // Counted before the reader can see the result.
    absl::MutexLock lock(&mu_);
    embed_running_ = false;
    ++counters_.finished;
  }
  e->call->Finish(std::move(result));
}

void Scheduler::ReapCancelled(absl::Time now) {
  for (size_t slot = 0; slot < slots_.size(); ++slot) {
    Active* a = slots_[slot].get();
    if (a == nullptr) continue;
    absl::Status status;
    if (now >= a->deadline) {
      status = absl::DeadlineExceededError(
          absl::StrCat("deadline passed after ",
                       a->sequence->output_ids().size(), " generated tokens"));
    } else if (a->stream->cancelled()) {
      status = absl::CancelledError("cancelled by the client");
    }
    if (status.ok()) continue;
    a->sequence->Cancel();
    FinishActive(static_cast<int32_t>(slot), std::move(status));
  }
}

bool Scheduler::Step() {
  std::vector<StepEntry>& entries = entries_;
  entries.clear();
  batch_.clear();
  int32_t budget = model_->max_batch();
  // Decode tokens first: every generating sequence advances every step.
  for (size_t slot = 0; slot < slots_.size(); ++slot) {
    Active* a = slots_[slot].get();
    if (a == nullptr || a->sequence->prefilling() || a->sequence->finished()) {
      continue;
    }
    const absl::Span<const int32_t> tokens = a->sequence->NextTokens(1);
    if (tokens.empty()) continue;
    model::BatchToken t;
    t.token = tokens[0];
    t.pos = a->sequence->pos();
    t.slot = static_cast<int32_t>(slot);
    t.want_logits = true;
    batch_.push_back(t);
    entries.push_back({t.slot, 1, true});
    --budget;
  }
  // Then prompt chunks, oldest request first, in what is left of the batch.
  std::vector<int32_t>& prefilling = prefilling_;
  prefilling.clear();
  for (size_t slot = 0; slot < slots_.size(); ++slot) {
    Active* a = slots_[slot].get();
    if (a != nullptr && a->sequence->prefilling()) {
      prefilling.push_back(static_cast<int32_t>(slot));
    }
  }
  std::sort(prefilling.begin(), prefilling.end(), [this](int32_t x, int32_t y) {
    return slots_[x]->arrival < slots_[y]->arrival;
  });
  for (int32_t slot : prefilling) {
    if (budget <= 0) break;
    Sequence& seq = *slots_[slot]->sequence;
    const absl::Span<const int32_t> tokens = seq.NextTokens(budget);
    const int32_t n = static_cast<int32_t>(tokens.size());
    const int32_t remaining =
        static_cast<int32_t>(seq.feed().size()) - seq.pos();
    const bool completes = n == remaining;
    for (int32_t i = 0; i < n; ++i) {
      model::BatchToken t;
      t.token = tokens[i];
      t.pos = seq.pos() + i;
      t.slot = slot;
      t.want_logits = completes && i + 1 == n;
      batch_.push_back(t);
    }
    entries.push_back({slot, n, completes});
    budget -= n;
  }
  if (batch_.empty()) return false;

  const absl::Status status = CatchExceptions("forward pass", [&] {
    CpuTurn turn(cpu_.get());
    const int64_t start = clock_();
    absl::Status s = model_->Forward(batch_, logits_.data());
    time_.Charge(decode_flow_, clock_() - start);
    return s;
  });
  if (!status.ok()) {
    for (const StepEntry& e : entries) {
      slots_[e.slot]->sequence->Cancel();
      FinishActive(e.slot, absl::InternalError(absl::StrCat(
                               "forward pass failed: ", status.ToString())));
    }
  } else {
    const size_t vocab = model_->vocab_size();
    size_t row = 0;
    for (const StepEntry& e : entries) {
      Sequence& seq = *slots_[e.slot]->sequence;
      seq.MarkFed(e.count);
      absl::Status sampled;
      if (e.want_logits) {
        // Sampling emits the token's text to the stream, which allocates:
        // out of memory there ends this request only.
        float* logits = logits_.data() + row * vocab;
        ++row;
        sampled = CatchExceptions("emitting a token", [&] {
          seq.OnLogits(logits);
          return absl::OkStatus();
        });
      }
      if (!sampled.ok()) {
        seq.Cancel();
        FinishActive(e.slot, sampled);
      } else if (seq.finished()) {
        FinishActive(e.slot, slots_[e.slot]->stop_status);
      } else if (seq.TakeShift()) {
        RestartShifted(e.slot);
      }
    }
  }
  absl::MutexLock lock(&mu_);
  ++counters_.steps;
  counters_.batched_tokens += static_cast<int64_t>(batch_.size());
  return true;
}

StreamEvent Scheduler::MakeFinal(const Active& a, absl::Status status) {
  const Sequence& seq = *a.sequence;
  FinishReason reason = seq.finish_reason();
  if (reason == FinishReason::kNone) reason = FinishReason::kCancelled;
  if (reason == FinishReason::kCancelled && status.ok()) {
    // Cancelled without a cause from us: the sampler found no usable logit.
    status = absl::InternalError(
        "no token could be sampled (every logit NaN, -inf or banned)");
  }
  RequestStats stats;
  stats.prompt_tokens =
      static_cast<int32_t>(seq.prompt_ids().size()) + a.truncated;
  stats.cached_prompt_tokens = a.cached_tokens;
  stats.context_shifts = seq.context_shifts() + (a.truncated > 0 ? 1 : 0);
  stats.context_shift_dropped_tokens = seq.shifted_out_tokens() + a.truncated;
  stats.generated_tokens = static_cast<int32_t>(seq.output_ids().size());
  stats.queue_time = a.admitted - a.arrival;
  if (stats.generated_tokens > 0) {
    stats.time_to_first_token = a.first_token - a.arrival;
    stats.decode_time = a.last_token - a.first_token;
  }
  stats.total_time = absl::Now() - a.arrival;
  return FinalEvent(reason, std::move(status), stats);
}

void Scheduler::RestartShifted(int32_t slot) {
  // The slab is simply written again from position 0.
  if (kv_tables_ == nullptr) return;
  Active& a = *slots_[slot];
  Sequence& seq = *a.sequence;
  const int64_t left = std::max<int64_t>(
      0, int64_t{a.max_tokens} - int64_t(seq.output_ids().size()));
  const int32_t positions = static_cast<int32_t>(
      std::min<int64_t>(int64_t(seq.feed().size()) + left, model_->context()));
  // The slot's own blocks go back first (EndSequence), so the pool can
  // always promise what they held.
  absl::StatusOr<int32_t> cached =
      kv_tables_->StartSequence(slot, seq.feed(), positions, a.prefix_cache);
  if (!cached.ok()) {
    seq.Cancel();
    FinishActive(slot, absl::ResourceExhaustedError(absl::StrCat(
                           "context shift: ", cached.status().message())));
    return;
  }
  seq.SkipCachedPrompt(*cached);
}

void Scheduler::FinishActive(int32_t slot, absl::Status status) {
  std::unique_ptr<Active> a = std::move(slots_[slot]);
  if (kv_tables_ != nullptr) kv_tables_->EndSequence(slot);
  StreamEvent final = MakeFinal(*a, std::move(status));
  {
    // Counted before the reader can see the final event.
    absl::MutexLock lock(&mu_);
    --active_count_;
    ++counters_.finished;
  }
  a->stream->Push(std::move(final));
}

}  // namespace edgellm::engine
