#include "runtime/engine/encoder_scheduler.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "util/exception_status.h"

namespace edgellm::engine {

struct EncoderScheduler::Job {
  EncoderJob request;
  std::shared_ptr<EmbedCall> call;
  absl::Time arrival;
  std::optional<absl::Time> started;  // its first pass
  size_t next = 0;                    // texts handed to passes
  size_t done = 0;                    // texts with outputs
  absl::Status failed;                // a pass of it failed
  std::vector<std::vector<float>> vectors;
  std::vector<float> scores;
};

namespace {

bool SameOutput(const EncoderJob& a, const EncoderJob& b) {
  return a.pooling == b.pooling && a.normalize == b.normalize;
}

}  // namespace

EncoderScheduler::EncoderScheduler(EncoderEngine* encoder,
                                   const EncoderSchedulerOptions& options)
    : encoder_(encoder),
      options_(options),
      cpu_(options.cpu_share ? options.cpu_share->Join() : nullptr),
      clock_(SteadyNanoClock()) {}

absl::StatusOr<std::unique_ptr<EncoderScheduler>> EncoderScheduler::Create(
    EncoderEngine* encoder, const EncoderSchedulerOptions& options) {
  if (options.queue < 0 || options.pass_tokens < 1 ||
      options.pass_sequences < 1 || options.shared_pass_tokens < 1) {
    return absl::InvalidArgumentError(
        "queue must be >= 0, pass_tokens, pass_sequences and "
        "shared_pass_tokens >= 1");
  }
  std::unique_ptr<EncoderScheduler> s(new EncoderScheduler(encoder, options));
  s->thread_ = std::thread([p = s.get()] { p->Loop(); });
  return s;
}

EncoderScheduler::~EncoderScheduler() { Shutdown(absl::ZeroDuration()); }

absl::StatusOr<std::shared_ptr<EmbedCall>> EncoderScheduler::Submit(
    EncoderJob job) {
  auto entry = std::make_unique<Job>();
  entry->call = std::shared_ptr<EmbedCall>(new EmbedCall());
  entry->arrival = absl::Now();
  const bool rank = job.pooling == model::EncoderPooling::kRank;
  if (rank) {
    entry->scores.resize(job.ids.size());
  } else {
    entry->vectors.resize(job.ids.size());
  }
  entry->request = std::move(job);
  std::shared_ptr<EmbedCall> call = entry->call;
  absl::MutexLock lock(&mu_);
  if (!accepting_) return absl::UnavailableError("the engine is shutting down");
  // The running job (the front, once started) does not count against the
  // queue.
  const size_t running = !jobs_.empty() && jobs_.front()->started ? 1 : 0;
  if (jobs_.size() - running >= static_cast<size_t>(options_.queue)) {
    return absl::ResourceExhaustedError(
        absl::StrCat("the queue is full: ", jobs_.size() - running,
                     " embedding or rerank requests are waiting (queue ",
                     options_.queue, ")"));
  }
  jobs_.push_back(std::move(entry));
  return call;
}

void EncoderScheduler::FinishJob(Job& job, absl::Status status,
                                 absl::Time now) {
  EmbedResult result;
  result.status = std::move(status);
  result.pooling = job.request.reported_pooling;
  result.queue_time = job.started.value_or(now) - job.arrival;
  result.total_time = now - job.arrival;
  result.tokens.reserve(job.request.ids.size());
  for (const std::vector<int32_t>& ids : job.request.ids) {
    result.tokens.push_back(static_cast<int32_t>(ids.size()));
  }
  if (result.status.ok()) {
    result.vectors = std::move(job.vectors);
    result.scores = std::move(job.scores);
  }
  job.call->Finish(std::move(result));
}

void EncoderScheduler::ReapLocked(absl::Time now) {
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    Job& job = **it;
    absl::Status status;
    if (job.call->cancelled()) {
      status = absl::CancelledError("cancelled");
    } else if (now >= job.request.deadline) {
      status = absl::DeadlineExceededError(
          job.started ? "deadline passed while encoding"
                      : "deadline passed while queued");
    }
    if (status.ok()) {
      ++it;
      continue;
    }
    FinishJob(job, std::move(status), now);
    ++counters_.finished;
    it = jobs_.erase(it);
  }
}

std::vector<EncoderScheduler::Slice> EncoderScheduler::PlanPassLocked() {
  std::vector<Slice> pass;
  if (jobs_.empty()) return pass;
  const EncoderJob& first = jobs_.front()->request;
  // While another engine of the share has work, passes of about the time
  // until it is due (cpu_share.h), at most shared_pass_tokens: it gets its
  // turn after each.
  const int64_t budget =
      cpu_ != nullptr && cpu_->others_busy()
          ? sizer_.Tokens(
                cpu_->budget_ns(), 1,
                std::min(options_.pass_tokens, options_.shared_pass_tokens))
          : options_.pass_tokens;
  int64_t tokens = 0;
  size_t sequences = 0;
  for (const std::unique_ptr<Job>& entry : jobs_) {
    Job& job = *entry;
    if (!SameOutput(job.request, first)) continue;
    const size_t begin = job.next;
    while (job.next < job.request.ids.size() &&
           sequences < static_cast<size_t>(options_.pass_sequences)) {
      const int64_t n = static_cast<int64_t>(job.request.ids[job.next].size());
      // A text never exceeds pass_tokens (checked at submission); the
      // first one of a pass goes whole even beyond a shared budget (a
      // text's tokens attend to each other in one pass).
      if (sequences > 0 && tokens + n > budget) break;
      tokens += n;
      ++sequences;
      ++job.next;
    }
    if (job.next > begin) pass.push_back({&job, begin, job.next});
    if (job.next < job.request.ids.size()) break;  // the pass is full
  }
  return pass;
}

absl::Status EncoderScheduler::RunPass(const std::vector<Slice>& pass) {
  const EncoderJob& request = pass.front().job->request;
  std::vector<absl::Span<const int32_t>> spans;
  for (const Slice& s : pass) {
    for (size_t i = s.begin; i < s.end; ++i) {
      spans.push_back(s.job->request.ids[i]);
    }
  }
  const bool rank = request.pooling == model::EncoderPooling::kRank;
  const size_t dims = encoder_->dimensions(request.pooling);
  out_.resize(spans.size() * dims);
  absl::Status status = CatchExceptions("encoding", [&] {
    return encoder_->encoder().Encode(spans, request.pooling,
                                      request.normalize && !rank,
                                      absl::MakeSpan(out_));
  });
  if (!status.ok()) return status;
  size_t row = 0;
  for (const Slice& s : pass) {
    for (size_t i = s.begin; i < s.end; ++i, ++row) {
      const float* o = out_.data() + row * dims;
      if (rank) {
        s.job->scores[i] = o[0];
      } else {
        s.job->vectors[i].assign(o, o + dims);
      }
    }
    s.job->done = s.end;
  }
  return absl::OkStatus();
}

void EncoderScheduler::FinishDoneLocked(absl::Time now) {
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    Job& job = **it;
    if (!job.failed.ok()) {
      FinishJob(job, job.failed, now);
    } else if (job.done == job.request.ids.size()) {
      FinishJob(job, absl::OkStatus(), now);
    } else {
      ++it;
      continue;
    }
    ++counters_.finished;
    it = jobs_.erase(it);
  }
}

void EncoderScheduler::Loop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      const auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return !jobs_.empty() || !accepting_ || force_stop_;
      };
      // Busy for the share while jobs wait or run; idle while waiting.
      if (cpu_ != nullptr) cpu_->SetBusy(!jobs_.empty());
      mu_.Await(absl::Condition(&ready));
      if (cpu_ != nullptr) cpu_->SetBusy(!jobs_.empty());
    }
    // The turn is taken before the pass is planned, so the plan sees
    // whether the other members are busy now.
    CpuTurn turn(cpu_.get());
    std::vector<Slice> pass;
    {
      absl::MutexLock lock(&mu_);
      if (force_stop_) {
        const absl::Time now = absl::Now();
        for (const std::unique_ptr<Job>& job : jobs_) {
          FinishJob(*job, absl::UnavailableError("the engine shut down"), now);
          ++counters_.finished;
        }
        jobs_.clear();
        return;
      }
      ReapLocked(absl::Now());
      if (jobs_.empty()) {
        if (!accepting_) return;
        continue;
      }
      pass = PlanPassLocked();
      const absl::Time now = absl::Now();
      for (const Slice& s : pass) {
        if (!s.job->started) s.job->started = now;
      }
    }
    const int64_t start = clock_();
    const absl::Status status = RunPass(pass);
    const int64_t took = clock_() - start;
    absl::MutexLock lock(&mu_);
    ++counters_.steps;
    int64_t tokens = 0;
    for (const Slice& s : pass) {
      for (size_t i = s.begin; i < s.end; ++i) {
        tokens += static_cast<int64_t>(s.job->request.ids[i].size());
      }
      if (!status.ok()) s.job->failed = status;
    }
    counters_.batched_tokens += tokens;
    if (status.ok()) sizer_.Observe(took, tokens);
    FinishDoneLocked(absl::Now());
  }
}

void EncoderScheduler::Shutdown(absl::Duration grace) {
  absl::MutexLock serial(&shutdown_mu_);
  {
    absl::MutexLock lock(&mu_);
    if (joined_) return;
    accepting_ = false;
    const auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return jobs_.empty();
    };
    mu_.AwaitWithTimeout(absl::Condition(&idle), grace);
    force_stop_ = true;
  }
  thread_.join();
  absl::MutexLock lock(&mu_);
  joined_ = true;
}

Engine::Counters EncoderScheduler::counters() const {
  absl::MutexLock lock(&mu_);
  Engine::Counters c = counters_;
  for (const std::unique_ptr<Job>& job : jobs_) {
    (job->started ? c.active : c.queued) += 1;
  }
  c.embed_active = c.active;
  c.embed_queued = c.queued;
  return c;
}

}  // namespace edgellm::engine
