// Turn-taking between the engines of one process that share the CPU.
//
// A process that serves a decoder (generation) and an encoder (Embed,
// Rerank) holds two Engines, each with its own scheduler thread and thread
// pool. Left alone, both pools run on the same cores at once: a forward
// pass is split into pieces that every worker must finish, so a worker the
// operating system preempts for the other pool stalls its whole pass, and
// an encoder pass (up to a thousand tokens or more) competes with every
// decode step for as long as it lasts. Engines given one CpuShare
// (EngineOptions::cpu_share) take turns instead:
//
//   - A turn is one forward pass: a decode step (with the prompt chunks
//     batched beside it), an embedding chunk, or an encoder pass. Only one
//     member of the share runs a pass at a time.
//   - Turns are shared by time (time_share.h): each member is charged the
//     time its turns took, over its weight (Join), and of the members with
//     work (SetBusy) the one furthest behind goes next. While two members
//     stay busy each gets its weight's share of the CPU time (half and half
//     by default), within one turn.
//   - A member that can cut its work (an encoder's batch) sizes its turn
//     with budget_ns(): the time until the other busy member is due, about
//     that member's last turn, so while a generation runs, one encoder pass
//     of about one decode step comes between two of its steps. A pass that
//     cannot be that short (one whole text is the least) is paid back with
//     as many decode steps in a row. Alone, an encoder runs its full passes
//     and a decoder never waits.
//
// Thread-safety: everything is thread-safe. Each scheduler thread holds one
// Member and begins and ends its own turns.
#ifndef EDGELLM_RUNTIME_ENGINE_CPU_SHARE_H_
#define EDGELLM_RUNTIME_ENGINE_CPU_SHARE_H_

#include <cstdint>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "runtime/engine/time_share.h"

namespace edgellm {

class CpuShare : public std::enable_shared_from_this<CpuShare> {
 public:
  class Member;

  // `clock` times the turns (tests pass a fake one).
  static std::shared_ptr<CpuShare> Create(NanoClock clock = SteadyNanoClock());
  ~CpuShare();

  // A new member, not busy, whose share of the time is `weight` over the
  // busy members' weights. It leaves the share when destroyed (and must
  // not hold a turn then).
  std::unique_ptr<Member> Join(double weight = 1.0);

 private:
  explicit CpuShare(NanoClock clock);

  const NanoClock clock_;
  mutable absl::Mutex mu_;
  bool held_ ABSL_GUARDED_BY(mu_) = false;
  int64_t turn_start_ ABSL_GUARDED_BY(mu_) = 0;  // the held turn's
  TimeShare shares_ ABSL_GUARDED_BY(mu_);
};

class CpuShare::Member {
 public:
  ~Member();
  Member(const Member&) = delete;
  Member& operator=(const Member&) = delete;

  // Whether this member has work it will run turns for. While it is busy,
  // the others wait for it when it is further behind; not busy, it is owed
  // nothing. A member must not stay busy without taking its turns.
  void SetBusy(bool busy);
  // Waits until no turn is held and this member is the one to go
  // (TimeShare::IsNext), then holds it.
  void BeginTurn();
  // Ends the held turn, charging its time to this member.
  void EndTurn();

  // Whether another member is busy (so a long job should take short turns).
  bool others_busy() const;
  // How long the held turn may last before another busy member is due
  // (TimeShare::Budget; TimeShare::kUnbounded with no other busy).
  int64_t budget_ns() const;
  // Turns ended so far, the time charged for them, and the last one's.
  int64_t turns() const;
  int64_t charged_ns() const;
  int64_t last_turn_ns() const;

 private:
  friend class CpuShare;
  Member(std::shared_ptr<CpuShare> share, TimeShare::Id id);

  const std::shared_ptr<CpuShare> share_;
  const TimeShare::Id id_;
};

// Holds a turn of `member` for its scope; a null member holds nothing (an
// engine not in any share).
class CpuTurn {
 public:
  explicit CpuTurn(CpuShare::Member* member) : member_(member) {
    if (member_ != nullptr) member_->BeginTurn();
  }
  ~CpuTurn() {
    if (member_ != nullptr) member_->EndTurn();
  }
  CpuTurn(const CpuTurn&) = delete;
  CpuTurn& operator=(const CpuTurn&) = delete;

 private:
  CpuShare::Member* const member_;
};

}  // namespace edgellm

#endif  // EDGELLM_RUNTIME_ENGINE_CPU_SHARE_H_
