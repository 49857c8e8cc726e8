#include "runtime/server/frontend.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "util/exception_status.h"

namespace edgellm::server {
namespace {

// Compares without an early exit, so the time taken does not tell how much
// of a guessed token was right.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? a[i] : 0;
    const unsigned char y = i < b.size() ? b[i] : 0;
    diff |= x ^ y;
  }
  return diff == 0;
}

double Ms(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }

std::string LogLine(const CallRecord& r, const absl::Status& status,
                    absl::string_view code) {
  std::string line = absl::StrFormat("request %d %s peer=%s status=%s", r.id,
                                     r.method, r.peer, code);
  if (r.has_stats) {
    absl::StrAppendFormat(
        &line,
        " finish=%s prompt_tokens=%d generated_tokens=%d queue_ms=%.1f "
        "ttft_ms=%.1f tokens_per_s=%.1f",
        FinishReasonName(r.finish), r.stats.prompt_tokens,
        r.stats.generated_tokens, Ms(r.stats.queue_time),
        Ms(r.stats.time_to_first_token), r.stats.tokens_per_second());
  }
  absl::StrAppend(&line, r.detail);
  absl::StrAppendFormat(&line, " total_ms=%.1f", Ms(absl::Now() - r.start));
  if (!status.ok()) {
    absl::StrAppend(&line, " error=\"", status.message(), "\"");
  }
  return line;
}

}  // namespace

Frontend::Frontend(FrontendOptions options, metrics::ServerMetrics* metrics)
    : options_(std::move(options)), metrics_(metrics) {}

void Frontend::SetEngine(Engine* engine) {
  serving_since_.store(absl::ToUnixSeconds(absl::Now()));
  engine_.store(engine, std::memory_order_release);
}

Engine* Frontend::engine() const {
  return engine_.load(std::memory_order_acquire);
}

absl::Status Frontend::CheckToken(
    std::optional<absl::string_view> authorization) const {
  if (options_.auth_token.empty()) return absl::OkStatus();
  if (!authorization.has_value()) {
    return absl::UnauthenticatedError(
        "missing `authorization: Bearer <token>`");
  }
  const std::string expected = "Bearer " + options_.auth_token;
  if (!ConstantTimeEquals(*authorization, expected)) {
    return absl::UnauthenticatedError("invalid bearer token");
  }
  return absl::OkStatus();
}

absl::Status Frontend::Admit(
    std::optional<absl::string_view> authorization) const {
  if (absl::Status s = CheckToken(authorization); !s.ok()) return s;
  if (draining_.load()) {
    return absl::UnavailableError("server shutting down: not accepting");
  }
  if (engine() == nullptr) {
    return absl::UnavailableError("model loading; retry shortly");
  }
  return absl::OkStatus();
}

CallRecord Frontend::Begin(absl::string_view protocol, absl::string_view method,
                           std::string peer) {
  ++in_flight_;
  CallRecord r;
  r.id = next_id_.fetch_add(1);
  r.protocol = std::string(protocol);
  r.method = std::string(method);
  r.peer = std::move(peer);
  return r;
}

void Frontend::Finish(const CallRecord& r, const absl::Status& status,
                      absl::string_view code) {
  if (metrics_ != nullptr) {
    // Recording allocates; out of memory loses the sample, not the reply.
    (void)CatchExceptions("recording metrics", [&] {
      metrics_->RecordRequest(r.protocol, r.method, code);
      if (r.has_stats) metrics_->RecordGeneration(r.stats);
      return absl::OkStatus();
    });
  }
  if (options_.log_requests) {
    // The line is written even when building it runs out of memory: then
    // without its details.
    const absl::Status logged = CatchExceptions("log line", [&] {
      std::fprintf(stderr, "%s\n", LogLine(r, status, code).c_str());
      return absl::OkStatus();
    });
    if (!logged.ok()) {
      std::fprintf(stderr, "request %llu status=%d (log line lost: %s)\n",
                   static_cast<unsigned long long>(r.id),
                   static_cast<int>(status.code()),
                   std::string(logged.message()).c_str());
    }
    std::fflush(stderr);
  }
  --in_flight_;
}

bool Frontend::WaitIdle(absl::Duration timeout) const {
  const absl::Time end = absl::Now() + timeout;
  while (in_flight_.load() > 0) {
    if (absl::Now() >= end) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

StreamEvent Frontend::ReadGeneration(
    GenerationStream& stream,
    const std::function<bool(StreamEvent& token)>& on_token,
    const ClientGone& client_gone, CallRecord& record) {
  bool gone = false;
  // Asked every kClientPoll, between events and also while tokens flow
  // (a non-streamed reply writes nothing that could fail until the end).
  absl::Time next_check = absl::Now() + kClientPoll;
  while (true) {
    std::optional<StreamEvent> event = stream.Next(kClientPoll);
    if (!gone && client_gone && absl::Now() >= next_check) {
      next_check = absl::Now() + kClientPoll;
      if (client_gone()) {
        gone = true;
        stream.Cancel();
      }
    }
    if (!event.has_value()) continue;
    if (!event->final) {
      if (!gone && !on_token(*event)) {
        gone = true;
        stream.Cancel();
      }
      continue;
    }
    record.has_stats = true;
    record.finish = event->finish_reason;
    record.stats = event->stats;
    return std::move(*event);
  }
}

EmbedResult Frontend::WaitEmbedding(EmbedCall& call, int texts,
                                    const ClientGone& client_gone,
                                    CallRecord& record) {
  std::optional<EmbedResult> result;
  bool gone = false;
  while (!(result = call.Wait(kClientPoll)).has_value()) {
    if (!gone && client_gone && client_gone()) {
      gone = true;
      call.Cancel();
    }
  }
  int64_t tokens = 0;
  for (int32_t n : result->tokens) tokens += n;
  record.detail = absl::StrFormat(
      " texts=%d tokens=%d pooling=%s queue_ms=%.1f", texts, tokens,
      std::string(PoolingName(result->pooling)), Ms(result->queue_time));
  return std::move(*result);
}

}  // namespace edgellm::server
