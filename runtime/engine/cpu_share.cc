#include "runtime/engine/cpu_share.h"

#include <algorithm>
#include <limits>
#include <utility>

namespace edgellm {

std::shared_ptr<CpuShare> CpuShare::Create() {
  return std::shared_ptr<CpuShare>(new CpuShare());
}

CpuShare::~CpuShare() = default;

std::unique_ptr<CpuShare::Member> CpuShare::Join() {
  auto state = std::make_unique<State>();
  {
    absl::MutexLock lock(&mu_);
    members_.push_back(state.get());
  }
  return std::unique_ptr<Member>(
      new Member(shared_from_this(), state.release()));
}

bool CpuShare::MayTakeLocked(const State* self) const {
  if (held_) return false;
  const int64_t mine = self->owed_since != 0
                           ? self->owed_since
                           : std::numeric_limits<int64_t>::max();
  return std::none_of(members_.begin(), members_.end(), [&](const State* m) {
    return m != self && m->owed_since != 0 && m->owed_since < mine;
  });
}

CpuShare::Member::Member(std::shared_ptr<CpuShare> share, State* state)
    : share_(std::move(share)), state_(state) {}

CpuShare::Member::~Member() {
  absl::MutexLock lock(&share_->mu_);
  auto& members = share_->members_;
  members.erase(std::find(members.begin(), members.end(), state_));
  delete state_;
}

void CpuShare::Member::SetBusy(bool busy) {
  absl::MutexLock lock(&share_->mu_);
  state_->busy = busy;
  if (!busy) state_->owed_since = 0;
}

void CpuShare::Member::BeginTurn() {
  CpuShare& s = *share_;
  const auto may_take = [&s, this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu_) {
    return s.MayTakeLocked(state_);
  };
  absl::MutexLock lock(&s.mu_);
  s.mu_.Await(absl::Condition(&may_take));
  s.held_ = true;
  state_->owed_since = 0;
}

void CpuShare::Member::EndTurn() {
  CpuShare& s = *share_;
  absl::MutexLock lock(&s.mu_);
  s.held_ = false;
  ++state_->turns;
  ++s.ended_;
  for (State* m : s.members_) {
    if (m != state_ && m->busy && m->owed_since == 0) m->owed_since = s.ended_;
  }
}

bool CpuShare::Member::others_busy() const {
  absl::MutexLock lock(&share_->mu_);
  const auto& members = share_->members_;
  return std::any_of(members.begin(), members.end(),
                     [this](const State* m) { return m != state_ && m->busy; });
}

int64_t CpuShare::Member::turns() const {
  absl::MutexLock lock(&share_->mu_);
  return state_->turns;
}

}  // namespace edgellm
