#include "runtime/engine/time_share.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace edgellm {

NanoClock SteadyNanoClock() {
  return [] {
    return static_cast<int64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::chrono::steady_clock::now().time_since_epoch())
            .count());
  };
}

TimeShare::Id TimeShare::Add(double weight) {
  Flow f;
  f.weight = weight > 0 ? weight : 1.0;
  flows_.push_back(f);
  return static_cast<Id>(flows_.size() - 1);
}

void TimeShare::Remove(Id id) {
  flows_[id].present = false;
  flows_[id].busy = false;
  if (last_ == id) last_ = -1;
}

void TimeShare::SetBusy(Id id, bool busy) {
  Flow& f = flows_[id];
  if (busy && !f.busy) {
    // Level with the busy flow furthest behind: time left unused while
    // idle is not owed later.
    double behind = -1;
    for (const Flow& o : flows_) {
      if (&o != &f && o.busy && (behind < 0 || o.vtime < behind)) {
        behind = o.vtime;
      }
    }
    if (behind >= 0) f.vtime = std::max(f.vtime, behind);
  }
  f.busy = busy;
}

bool TimeShare::OthersBusy(Id id) const {
  for (size_t i = 0; i < flows_.size(); ++i) {
    if (static_cast<Id>(i) != id && flows_[i].busy) return true;
  }
  return false;
}

double TimeShare::Key(Id id) const {
  const Flow& f = flows_[id];
  return id == last_ ? f.vtime + static_cast<double>(f.last_ns) / f.weight
                     : f.vtime;
}

bool TimeShare::IsNext(Id id) const {
  if (!flows_[id].busy) return true;
  const double mine = Key(id);
  for (size_t i = 0; i < flows_.size(); ++i) {
    const Flow& o = flows_[i];
    if (static_cast<Id>(i) == id || !o.busy) continue;
    const double theirs = Key(static_cast<Id>(i));
    if (theirs < mine) return false;
    if (theirs == mine && o.last_end < flows_[id].last_end) return false;
  }
  return true;
}

int64_t TimeShare::Budget(Id id) const {
  const Flow& f = flows_[id];
  double behind = -1;
  for (const Flow& o : flows_) {
    if (&o != &f && o.busy && (behind < 0 || o.vtime < behind)) {
      behind = o.vtime;
    }
  }
  if (behind < 0) return kUnbounded;
  const double ns = (behind - f.vtime) * f.weight;
  if (ns <= 0) return 0;
  if (ns >= static_cast<double>(kUnbounded)) return kUnbounded;
  return static_cast<int64_t>(ns);
}

void TimeShare::Charge(Id id, int64_t ns) {
  Flow& f = flows_[id];
  ns = std::max<int64_t>(ns, 0);
  f.vtime += static_cast<double>(ns) / f.weight;
  f.charged += ns;
  f.last_ns = ns;
  ++f.turns;
  f.last_end = ++ended_;
  last_ = id;
}

void PassSizer::Observe(int64_t ns, int64_t tokens) {
  if (tokens <= 0 || ns < 0) return;
  const double per = static_cast<double>(ns) / static_cast<double>(tokens);
  // Half the last pass, half the history: a preempted pass shrinks the
  // next passes for a few turns only.
  ns_per_token_ = ns_per_token_ == 0 ? per : 0.5 * (ns_per_token_ + per);
}

int64_t PassSizer::Tokens(int64_t budget_ns, int64_t least,
                          int64_t most) const {
  most = std::max(most, least);
  if (budget_ns == TimeShare::kUnbounded) return most;
  if (ns_per_token_ <= 0) return least;
  const double fit = std::floor(static_cast<double>(budget_ns) / ns_per_token_);
  if (fit >= static_cast<double>(most)) return most;
  return std::max(least, static_cast<int64_t>(fit));
}

}  // namespace edgellm
