#include "runtime/engine/cpu_share.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace edgellm {
namespace {

// Who ran each turn, in order.
class TurnLog {
 public:
  void Add(char who) {
    absl::MutexLock lock(&mu_);
    log_ += who;
  }
  std::string Get() const {
    absl::MutexLock lock(&mu_);
    return log_;
  }

 private:
  mutable absl::Mutex mu_;
  std::string log_;
};

// A clock that only the turns move: each turn of `cost` ns advances it by
// that much (the share reads it when a turn begins and ends, with the turn
// held), so the time charged is exact and the order never depends on the
// machine.
class TurnClock {
 public:
  NanoClock clock() {
    return [this] { return now_.load(); };
  }
  void Advance(int64_t ns) { now_.fetch_add(ns); }

 private:
  std::atomic<int64_t> now_{0};
};

// A share timed by `clock`: every turn of RunTurns lasts its `cost`.
std::shared_ptr<CpuShare> TimedShare(TurnClock* clock) {
  return CpuShare::Create(clock->clock());
}

// `n` turns of `member` of `cost` ns each, logged as `who`, busy
// throughout.
std::thread RunTurns(CpuShare::Member* member, char who, int n, TurnLog* log,
                     absl::Notification* start, TurnClock* clock,
                     int64_t cost = 1) {
  return std::thread([=] {
    start->WaitForNotification();
    for (int i = 0; i < n; ++i) {
      CpuTurn turn(member);
      log->Add(who);
      clock->Advance(cost);
    }
    member->SetBusy(false);
  });
}

// Turns of `member` on this thread, each `cost` ns.
void Turn(CpuShare::Member* member, TurnClock* clock, int64_t cost = 1) {
  CpuTurn turn(member);
  clock->Advance(cost);
}

TEST(CpuShareTest, AMemberAloneTakesTurnBackToBack) {
  TurnClock clock;
  std::shared_ptr<CpuShare> share = TimedShare(&clock);
  std::unique_ptr<CpuShare::Member> a = share->Join();
  std::unique_ptr<CpuShare::Member> idle = share->Join();  // never busy
  a->SetBusy(true);
  for (int i = 0; i < 5; ++i) Turn(a.get(), &clock, 3);
  EXPECT_EQ(a->turns(), 5);
  EXPECT_EQ(a->charged_ns(), 15);
  EXPECT_EQ(a->budget_ns(), TimeShare::kUnbounded);
  EXPECT_EQ(idle->turns(), 0);
  EXPECT_FALSE(a->others_busy());
  EXPECT_TRUE(idle->others_busy());  // a is
}

TEST(CpuShareTest, BusyMembersWithEqualTurnsAlternate) {
  TurnClock clock;
  std::shared_ptr<CpuShare> share = TimedShare(&clock);
  std::unique_ptr<CpuShare::Member> d = share->Join();
  std::unique_ptr<CpuShare::Member> e = share->Join();
  d->SetBusy(true);
  e->SetBusy(true);
  EXPECT_TRUE(d->others_busy());
  EXPECT_TRUE(e->others_busy());
  TurnLog log;
  absl::Notification start;
  std::thread td = RunTurns(d.get(), 'd', 200, &log, &start, &clock);
  std::thread te = RunTurns(e.get(), 'e', 50, &log, &start, &clock);
  start.Notify();
  td.join();
  te.join();
  const std::string order = log.Get();
  ASSERT_EQ(order.size(), 250u);
  // While both are busy no member runs two turns in a row: the first 100
  // turns alternate (whoever starts), then 'd' runs alone.
  for (size_t i = 1; i < 100; ++i) {
    EXPECT_NE(order[i], order[i - 1]) << "turn " << i << " of " << order;
  }
  EXPECT_EQ(order.substr(100), std::string(150, 'd'));
  EXPECT_EQ(d->turns(), 200);
  EXPECT_EQ(e->turns(), 50);
}

TEST(CpuShareTest, ThreeBusyMembersWithEqualTurnsGoRoundRobin) {
  TurnClock clock;
  std::shared_ptr<CpuShare> share = TimedShare(&clock);
  std::vector<std::unique_ptr<CpuShare::Member>> members;
  for (int i = 0; i < 3; ++i) {
    members.push_back(share->Join());
    members.back()->SetBusy(true);
  }
  TurnLog log;
  absl::Notification start;
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.push_back(RunTurns(members[i].get(), static_cast<char>('a' + i), 30,
                               &log, &start, &clock));
  }
  start.Notify();
  for (std::thread& t : threads) t.join();
  const std::string order = log.Get();
  ASSERT_EQ(order.size(), 90u);
  // Between two turns of one member every other busy member has one.
  for (size_t i = 0; i + 2 < order.size(); ++i) {
    const std::string w = order.substr(i, 3);
    EXPECT_TRUE(w[0] != w[1] && w[1] != w[2] && w[0] != w[2])
        << "turns " << i << "-" << i + 2 << " of " << order;
  }
}

TEST(CpuShareTest, TurnsShareTimeNotCount) {
  // d's turns (decode steps) take 1 ns, e's (encoder passes that cannot be
  // cut) 5 ns: e gets one turn per five of d, so half the time each.
  TurnClock clock;
  std::shared_ptr<CpuShare> share = TimedShare(&clock);
  std::unique_ptr<CpuShare::Member> d = share->Join();
  std::unique_ptr<CpuShare::Member> e = share->Join();
  d->SetBusy(true);
  e->SetBusy(true);
  TurnLog log;
  absl::Notification start;
  std::thread td = RunTurns(d.get(), 'd', 500, &log, &start, &clock, 1);
  std::thread te = RunTurns(e.get(), 'e', 60, &log, &start, &clock, 5);
  start.Notify();
  te.join();
  td.join();
  EXPECT_EQ(e->charged_ns(), 300);
  EXPECT_EQ(d->charged_ns(), 500);
  // By e's last turn, d had had as much time, within one turn of each.
  const std::string order = log.Get();
  const size_t last_e = order.rfind('e');
  const int64_t d_before = static_cast<int64_t>(
      std::count(order.begin(), order.begin() + last_e, 'd'));
  EXPECT_LE(std::abs(d_before - 295), 6) << order;
  // Never two of e's turns in a row, never more than six of d's while e
  // was busy (five pay for e's turn; one more when e's came first).
  EXPECT_EQ(order.find("ee"), std::string::npos) << order;
  EXPECT_EQ(order.substr(0, last_e).find("ddddddd"), std::string::npos)
      << order;
}

TEST(CpuShareTest, TheBudgetIsTheTimeUntilTheOtherIsDue) {
  TurnClock clock;
  std::shared_ptr<CpuShare> share = TimedShare(&clock);
  std::unique_ptr<CpuShare::Member> d = share->Join();
  std::unique_ptr<CpuShare::Member> e = share->Join();
  d->SetBusy(true);
  e->SetBusy(true);
  Turn(d.get(), &clock, 7);  // a decode step of 7 ns
  {
    CpuTurn turn(e.get());
    EXPECT_EQ(e->budget_ns(), 7);  // e may take as long
    clock.Advance(4);              // and falls 3 short
  }
  EXPECT_EQ(e->last_turn_ns(), 4);
  Turn(d.get(), &clock, 7);
  CpuTurn turn(e.get());
  EXPECT_EQ(e->budget_ns(), 10);  // the 3 carry over
}

TEST(CpuShareTest, AMemberThatIsNoLongerBusyOwesNothing) {
  TurnClock clock;
  std::shared_ptr<CpuShare> share = TimedShare(&clock);
  std::unique_ptr<CpuShare::Member> a = share->Join();
  std::unique_ptr<CpuShare::Member> b = share->Join();
  a->SetBusy(true);
  b->SetBusy(true);
  Turn(a.get(), &clock);  // now b is behind
  // Without this, a's next turn would wait for b's: b stopped working.
  b->SetBusy(false);
  Turn(a.get(), &clock);
  Turn(a.get(), &clock);
  EXPECT_EQ(a->turns(), 3);
  // Back at work, b starts level with a, not three turns behind: one turn
  // of its own (a ran the last), then a's.
  b->SetBusy(true);
  Turn(b.get(), &clock);
  Turn(a.get(), &clock);
  EXPECT_EQ(b->turns(), 1);
  // A member that leaves is not waited for either.
  b.reset();
  Turn(a.get(), &clock);
  Turn(a.get(), &clock);
  EXPECT_EQ(a->turns(), 6);
}

TEST(CpuShareTest, AMemberBehindRunsBeforeTheOtherAgain) {
  TurnClock clock;
  std::shared_ptr<CpuShare> share = TimedShare(&clock);
  std::unique_ptr<CpuShare::Member> a = share->Join();
  std::unique_ptr<CpuShare::Member> b = share->Join();
  a->SetBusy(true);
  b->SetBusy(true);
  Turn(a.get(), &clock);  // b is behind
  std::atomic<bool> second_done{false};
  std::thread t([&] {
    CpuTurn turn(a.get());  // waits for b's turn
    second_done.store(true);
  });
  // Checked by order, not by time: b's turn ends before a's second begins.
  {
    CpuTurn turn(b.get());
    EXPECT_FALSE(second_done.load());
    clock.Advance(1);
  }
  t.join();
  EXPECT_TRUE(second_done.load());
  EXPECT_EQ(a->turns(), 2);
  EXPECT_EQ(b->turns(), 1);
}

}  // namespace
}  // namespace edgellm
