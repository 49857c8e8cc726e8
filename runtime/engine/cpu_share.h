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
//   - Round robin among the busy members: a member with work says so
//     (SetBusy); when a turn ends, every other busy member is owed one (if
//     it was not already), and a member waits while another has been owed
//     a turn for longer (or, owed nothing itself, while any other is owed).
//     So while a generation runs, one encoder pass at most comes between
//     two of its decode steps, and one decode step at most between two
//     encoder passes.
//   - An encoder keeps its passes short while another member is busy
//     (EngineOptions::shared_pass_tokens), so a running generation gets a
//     step at least once per pass of that many tokens; alone, an encoder
//     runs its full passes and a decoder never waits.
//
// Thread-safety: everything is thread-safe. Each scheduler thread holds one
// Member and begins and ends its own turns.
#ifndef EDGELLM_RUNTIME_ENGINE_CPU_SHARE_H_
#define EDGELLM_RUNTIME_ENGINE_CPU_SHARE_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace edgellm {

class CpuShare : public std::enable_shared_from_this<CpuShare> {
 public:
  class Member;

  static std::shared_ptr<CpuShare> Create();
  ~CpuShare();

  // A new member, neither busy nor owed a turn. It leaves the share when
  // destroyed (and must not hold a turn then).
  std::unique_ptr<Member> Join();

 private:
  struct State {
    bool busy = false;
    // The share's `ended_` when this member was first owed a turn since its
    // last; 0 = owed none.
    int64_t owed_since = 0;
    int64_t turns = 0;
  };

  CpuShare() = default;
  // Whether `self` may begin a turn now.
  bool MayTakeLocked(const State* self) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  bool held_ ABSL_GUARDED_BY(mu_) = false;
  int64_t ended_ ABSL_GUARDED_BY(mu_) = 0;  // turns ended, all members
  std::vector<State*> members_ ABSL_GUARDED_BY(mu_);
};

class CpuShare::Member {
 public:
  ~Member();
  Member(const Member&) = delete;
  Member& operator=(const Member&) = delete;

  // Whether this member has work it will run turns for. While it is busy,
  // the other members' turns alternate with its own; not busy, it is owed
  // nothing. A member must not stay busy without taking its turns.
  void SetBusy(bool busy);
  // Waits until no turn is held and no other member has been owed one for
  // longer than this member (owed none itself: no other is owed), then
  // holds it.
  void BeginTurn();
  // Ends the held turn: every other busy member is owed one.
  void EndTurn();

  // Whether another member is busy (so a long job should take short turns).
  bool others_busy() const;
  // Turns ended so far.
  int64_t turns() const;

 private:
  friend class CpuShare;
  Member(std::shared_ptr<CpuShare> share, State* state);

  const std::shared_ptr<CpuShare> share_;
  State* const state_;  // owned, guarded by share_->mu_
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
