#include "runtime/engine/cpu_share.h"

#include <utility>

namespace edgellm {

std::shared_ptr<CpuShare> CpuShare::Create(NanoClock clock) {
  return std::shared_ptr<CpuShare>(new CpuShare(std::move(clock)));
}

CpuShare::CpuShare(NanoClock clock) : clock_(std::move(clock)) {}

CpuShare::~CpuShare() = default;

std::unique_ptr<CpuShare::Member> CpuShare::Join(double weight) {
  TimeShare::Id id;
  {
    absl::MutexLock lock(&mu_);
    id = shares_.Add(weight);
  }
  return std::unique_ptr<Member>(new Member(shared_from_this(), id));
}

CpuShare::Member::Member(std::shared_ptr<CpuShare> share, TimeShare::Id id)
    : share_(std::move(share)), id_(id) {}

CpuShare::Member::~Member() {
  absl::MutexLock lock(&share_->mu_);
  share_->shares_.Remove(id_);
}

void CpuShare::Member::SetBusy(bool busy) {
  absl::MutexLock lock(&share_->mu_);
  share_->shares_.SetBusy(id_, busy);
}

void CpuShare::Member::BeginTurn() {
  CpuShare& s = *share_;
  const auto may_take = [&s, this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu_) {
    return !s.held_ && s.shares_.IsNext(id_);
  };
  absl::MutexLock lock(&s.mu_);
  s.mu_.Await(absl::Condition(&may_take));
  s.held_ = true;
  s.turn_start_ = s.clock_();
}

void CpuShare::Member::EndTurn() {
  CpuShare& s = *share_;
  absl::MutexLock lock(&s.mu_);
  s.held_ = false;
  s.shares_.Charge(id_, s.clock_() - s.turn_start_);
}

bool CpuShare::Member::others_busy() const {
  absl::MutexLock lock(&share_->mu_);
  return share_->shares_.OthersBusy(id_);
}

int64_t CpuShare::Member::budget_ns() const {
  absl::MutexLock lock(&share_->mu_);
  return share_->shares_.Budget(id_);
}

int64_t CpuShare::Member::turns() const {
  absl::MutexLock lock(&share_->mu_);
  return share_->shares_.turns(id_);
}

int64_t CpuShare::Member::charged_ns() const {
  absl::MutexLock lock(&share_->mu_);
  return share_->shares_.charged(id_);
}

int64_t CpuShare::Member::last_turn_ns() const {
  absl::MutexLock lock(&share_->mu_);
  return share_->shares_.last_ns(id_);
}

}  // namespace edgellm
