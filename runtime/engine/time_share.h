// Fair shares of one CPU's time among kinds of work that take turns on it
// (generation decode steps, embedding chunks, encoder passes), measured in
// the time each turn took, not in turns.
//
// Why time: a decode step of a small decoder takes a few milliseconds, an
// embedding chunk or an encoder pass of a hundred tokens several times
// that. Turn-for-turn alternation then gives the embeddings most of the CPU
// (a generation on smollm2-135m fell from 289 to 40.8 tokens/s beside an
// Embed flood on the same engine). Here every flow is charged the time of
// its turns, divided by its weight (its "virtual time"), and the busy flow
// that is furthest behind goes next (least attained service):
//
//   - Shares: while two or more flows stay busy, each one's charged time
//     over its weight stays within one turn of each (over its weight) of
//     every other's, so with equal weights each gets half the time (a third
//     of three, ...), whatever the lengths of their turns.
//   - No credit for idling: a flow that becomes busy starts level with the
//     busy flow furthest behind (it does not get the time it left unused),
//     and one not busy is not waited for.
//   - No second short turn: the flow that ran the last turn competes as if
//     it had run that turn once more, so one whose turn fell short of its
//     due by less than the turn's own length (a pass sized from an
//     estimate) does not go again before the others; the rest of its due
//     carries over to its next turn.
//   - Ties go to the flow whose last turn is the oldest (round robin).
//   - Sizing: a flow whose turns can be cut (an embedding, an encoder batch)
//     asks Budget() for how long its turn may last before it passes the
//     next busy flow; alone, its turns are unbounded.
//
// So while a generation and embeddings are both busy with equal weights,
// the embeddings' passes take about one decode step each (never less than
// their smallest unit, a token or one whole text), between every two decode
// steps there is at most one of them, and when one of them had to be longer
// the generation gets as many steps in a row as the time it is owed.
//
// Not thread-safe: CpuShare holds one under its mutex; a Scheduler holds one
// on its own thread for its decode steps and embedding chunks.
#ifndef EDGELLM_RUNTIME_ENGINE_TIME_SHARE_H_
#define EDGELLM_RUNTIME_ENGINE_TIME_SHARE_H_

#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

namespace edgellm {

// A monotonic clock in nanoseconds. Tests substitute one that the passes of
// a fake model advance, so a measured share is exact and never flaky.
using NanoClock = std::function<int64_t()>;
// The steady clock.
NanoClock SteadyNanoClock();

class TimeShare {
 public:
  using Id = int32_t;
  static constexpr int64_t kUnbounded = std::numeric_limits<int64_t>::max();

  // A new flow, not busy, with `weight` > 0 (its share is weight over the
  // sum of the busy flows' weights).
  Id Add(double weight = 1.0);
  // The flow leaves (its id is not reused).
  void Remove(Id id);

  // Whether the flow has work it will take turns for. A flow becoming busy
  // starts level with the busy flow furthest behind (if it was not further
  // ahead).
  void SetBusy(Id id, bool busy);
  bool busy(Id id) const { return flows_[id].busy; }
  // Whether a flow other than `id` is busy.
  bool OthersBusy(Id id) const;

  // Whether `id` should run the next turn: no other busy flow is further
  // behind (see the rules above). A flow not busy may always run.
  bool IsNext(Id id) const;
  // For the flow about to run its turn: the nanoseconds it may take before
  // the busy flow furthest behind is due (0 when that one is level with
  // it), or kUnbounded when no other flow is busy.
  int64_t Budget(Id id) const;
  // Charges a turn of `ns` nanoseconds to `id`.
  void Charge(Id id, int64_t ns);

  // Nanoseconds charged to `id` so far, its turns, and its last turn's.
  int64_t charged(Id id) const { return flows_[id].charged; }
  int64_t turns(Id id) const { return flows_[id].turns; }
  int64_t last_ns(Id id) const { return flows_[id].last_ns; }

 private:
  struct Flow {
    bool present = true;
    bool busy = false;
    double weight = 1.0;
    double vtime = 0;      // charged ns / weight while busy
    int64_t last_end = 0;  // turns ended in all when its last ended; 0 none
    int64_t last_ns = 0;   // its last turn's length
    int64_t charged = 0;
    int64_t turns = 0;
  };
  // The virtual time `id` competes with (its own plus, for the flow that
  // ran the last turn, that turn once more).
  double Key(Id id) const;

  std::vector<Flow> flows_;
  int64_t ended_ = 0;  // turns ended, all flows
  Id last_ = -1;       // the flow that ran the last turn
};

// How many tokens of a divisible job fit in a time budget, learned from the
// job's own passes (nanoseconds per token, a moving average, so a pass
// slowed by another process only shrinks the next few). Until the first
// pass is seen it answers the smallest size.
class PassSizer {
 public:
  void Observe(int64_t ns, int64_t tokens);
  // Tokens for a pass of at most `budget_ns`, within [least, most].
  int64_t Tokens(int64_t budget_ns, int64_t least, int64_t most) const;
  double ns_per_token() const { return ns_per_token_; }

 private:
  double ns_per_token_ = 0;  // 0: nothing observed yet
};

}  // namespace edgellm

#endif  // EDGELLM_RUNTIME_ENGINE_TIME_SHARE_H_
