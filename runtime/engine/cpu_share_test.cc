#include "runtime/engine/cpu_share.h"

#include <atomic>
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

// `n` turns of `member`, logged as `who`, busy throughout.
std::thread RunTurns(CpuShare::Member* member, char who, int n, TurnLog* log,
                     absl::Notification* start) {
  return std::thread([=] {
    start->WaitForNotification();
    for (int i = 0; i < n; ++i) {
      CpuTurn turn(member);
      log->Add(who);
    }
    member->SetBusy(false);
  });
}

TEST(CpuShareTest, AMemberAloneTakesTurnBackToBack) {
  std::shared_ptr<CpuShare> share = CpuShare::Create();
  std::unique_ptr<CpuShare::Member> a = share->Join();
  std::unique_ptr<CpuShare::Member> idle = share->Join();  // never busy
  a->SetBusy(true);
  for (int i = 0; i < 5; ++i) {
    CpuTurn turn(a.get());
  }
  EXPECT_EQ(a->turns(), 5);
  EXPECT_EQ(idle->turns(), 0);
  EXPECT_FALSE(a->others_busy());
  EXPECT_TRUE(idle->others_busy());  // a is
}

TEST(CpuShareTest, BusyMembersAlternate) {
  std::shared_ptr<CpuShare> share = CpuShare::Create();
  std::unique_ptr<CpuShare::Member> d = share->Join();
  std::unique_ptr<CpuShare::Member> e = share->Join();
  d->SetBusy(true);
  e->SetBusy(true);
  EXPECT_TRUE(d->others_busy());
  EXPECT_TRUE(e->others_busy());
  TurnLog log;
  absl::Notification start;
  std::thread td = RunTurns(d.get(), 'd', 200, &log, &start);
  std::thread te = RunTurns(e.get(), 'e', 50, &log, &start);
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

TEST(CpuShareTest, ThreeBusyMembersTakeTurnsRoundRobin) {
  std::shared_ptr<CpuShare> share = CpuShare::Create();
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
                               &log, &start));
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

TEST(CpuShareTest, AMemberThatIsNoLongerBusyOwesNothing) {
  std::shared_ptr<CpuShare> share = CpuShare::Create();
  std::unique_ptr<CpuShare::Member> a = share->Join();
  std::unique_ptr<CpuShare::Member> b = share->Join();
  a->SetBusy(true);
  b->SetBusy(true);
  { CpuTurn turn(a.get()); }  // now b is owed a turn
  // Without this, a's next turn would wait for b's: b stopped working.
  b->SetBusy(false);
  { CpuTurn turn(a.get()); }
  EXPECT_EQ(a->turns(), 2);
  // A member that leaves gives up its debt as well.
  b->SetBusy(true);
  { CpuTurn turn(a.get()); }  // b is owed again
  b.reset();
  { CpuTurn turn(a.get()); }
  EXPECT_EQ(a->turns(), 4);
}

TEST(CpuShareTest, AnOwedMemberRunsBeforeTheOtherAgain) {
  std::shared_ptr<CpuShare> share = CpuShare::Create();
  std::unique_ptr<CpuShare::Member> a = share->Join();
  std::unique_ptr<CpuShare::Member> b = share->Join();
  a->SetBusy(true);
  b->SetBusy(true);
  { CpuTurn turn(a.get()); }  // b is owed a turn
  std::atomic<bool> second_done{false};
  std::thread t([&] {
    CpuTurn turn(a.get());  // waits for b's turn
    second_done.store(true);
  });
  // Checked by order, not by time: b's turn ends before a's second begins.
  {
    CpuTurn turn(b.get());
    EXPECT_FALSE(second_done.load());
  }
  t.join();
  EXPECT_TRUE(second_done.load());
  EXPECT_EQ(a->turns(), 2);
  EXPECT_EQ(b->turns(), 1);
}

}  // namespace
}  // namespace edgellm
