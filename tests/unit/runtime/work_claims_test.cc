#include "runtime/work_claims.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "events/sql/sql_event_log.h"
#include "notify/notifier.h"
#include "runtime/lease_keeper.h"
#include "runtime/run_store.h"
#include "testing/state_db.h"

namespace ecompipe::runtime {
namespace {

using ::ecompipe::testing_util::StateDb;

class WorkClaimsTest : public ::testing::TestWithParam<std::string> {};
INSTANTIATE_TEST_SUITE_P(Backends, WorkClaimsTest, testing_util::StateBackends(),
                         testing_util::StateBackendName);

WorkerLease Worker(const std::string& id, int64_t lease_ms = 60'000) {
  WorkerLease lease;
  lease.worker_id = id;
  lease.lease_ms = lease_ms;
  return lease;
}

// The claims table sits beside the event log and the outbox (ReleaseAll touches all three).
std::unique_ptr<WorkClaims> OpenOrDie(const StateDb& db, WorkerLease lease) {
  EXPECT_TRUE(events::SqlEventLog::Open(db.location()).ok());
  EXPECT_TRUE(notify::Notifier::Open(db.location(), {}).ok());
  EXPECT_TRUE(RunStore::Open(db.location()).ok());
  Result<std::unique_ptr<WorkClaims>> claims = WorkClaims::Open(db.location(), std::move(lease));
  EXPECT_TRUE(claims.ok()) << claims.status().ToString();
  return claims.ok() ? std::move(*claims) : nullptr;
}

storage::ObjectRef Object(const std::string& key) {
  storage::ObjectRef o;
  o.bucket = "b";
  o.key = key;
  o.etag = "e-" + key;
  return o;
}

TEST_P(WorkClaimsTest, TwoWorkersNeverHoldTheSameObject) {
  StateDb db(GetParam());
  auto a = OpenOrDie(db, Worker("a"));
  auto b = OpenOrDie(db, Worker("b"));
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_TRUE(*a->TryClaim("job", Object("x")));
  EXPECT_FALSE(*b->TryClaim("job", Object("x")));
  EXPECT_TRUE(*a->TryClaim("job", Object("x")));  // its own claim, renewed
  EXPECT_EQ(*b->Holder(Object("x")), "a");
  // Another version of the key is another unit of work.
  storage::ObjectRef newer = Object("x");
  newer.etag = "e-x-2";
  EXPECT_TRUE(*b->TryClaim("job", newer));
}

TEST_P(WorkClaimsTest, ReleasedObjectIsFreeAtOnce) {
  StateDb db(GetParam());
  auto a = OpenOrDie(db, Worker("a"));
  auto b = OpenOrDie(db, Worker("b"));
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(*a->TryClaim("job", Object("x")));
  ASSERT_TRUE(b->Release(Object("x")).ok());  // not b's to release: nothing happens
  EXPECT_FALSE(*b->TryClaim("job", Object("x")));
  ASSERT_TRUE(a->Release(Object("x")).ok());
  EXPECT_EQ(*a->Holder(Object("x")), "");
  EXPECT_TRUE(*b->TryClaim("job", Object("x")));
}

TEST_P(WorkClaimsTest, AnExpiredClaimIsTakenOverAndNamesItsJobAsAbandoned) {
  StateDb db(GetParam());
  auto dead = OpenOrDie(db, Worker("dead", 100));
  auto alive = OpenOrDie(db, Worker("alive"));
  ASSERT_NE(dead, nullptr);
  ASSERT_NE(alive, nullptr);
  ASSERT_TRUE(*dead->TryClaim("etl", Object("x")));
  EXPECT_TRUE(alive->AbandonedJobs()->empty());
  EXPECT_FALSE(*alive->TryClaim("etl", Object("x")));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(*alive->AbandonedJobs(), std::vector<std::string>{"etl"});
  EXPECT_TRUE(*alive->TryClaim("etl", Object("x")));
  EXPECT_TRUE(alive->AbandonedJobs()->empty());
  EXPECT_EQ(*dead->Holder(Object("x")), "alive");
}

TEST_P(WorkClaimsTest, DropAbandonedDeletesOnlyExpiredClaimsOfTheJob) {
  StateDb db(GetParam());
  auto dead = OpenOrDie(db, Worker("dead", 50));
  auto alive = OpenOrDie(db, Worker("alive"));
  ASSERT_NE(dead, nullptr);
  ASSERT_NE(alive, nullptr);
  ASSERT_TRUE(*dead->TryClaim("etl", Object("x")));
  ASSERT_TRUE(*dead->TryClaim("other", Object("y")));
  ASSERT_TRUE(*alive->TryClaim("etl", Object("z")));
  std::this_thread::sleep_for(std::chrono::milliseconds(120));
  ASSERT_TRUE(alive->DropAbandoned("etl").ok());
  EXPECT_EQ(*alive->Holder(Object("z")), "alive");
  EXPECT_EQ(*alive->AbandonedJobs(), std::vector<std::string>{"other"});
}

TEST_P(WorkClaimsTest, ConcurrentClaimersEachGetDisjointObjects) {
  StateDb db(GetParam());
  constexpr int kObjects = 60;
  std::vector<std::vector<std::string>> won(3);
  std::vector<std::thread> threads;
  std::vector<std::unique_ptr<WorkClaims>> claims;
  for (int w = 0; w < 3; ++w) claims.push_back(OpenOrDie(db, Worker("w" + std::to_string(w))));
  for (int w = 0; w < 3; ++w) {
    ASSERT_NE(claims[w], nullptr);
    threads.emplace_back([&, w] {
      for (int i = 0; i < kObjects; ++i) {
        Result<bool> got = claims[w]->TryClaim("etl", Object(std::to_string(i)));
        if (!got.ok()) {
          ADD_FAILURE() << got.status().ToString();
          return;
        }
        if (*got) won[w].push_back(std::to_string(i));
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> all;
  size_t total = 0;
  for (const auto& keys : won) {
    total += keys.size();
    all.insert(keys.begin(), keys.end());
  }
  EXPECT_EQ(total, static_cast<size_t>(kObjects));  // nobody won an object twice
  EXPECT_EQ(all.size(), static_cast<size_t>(kObjects));
}

TEST_P(WorkClaimsTest, LeaseKeeperKeepsAWorkersClaimsAlive) {
  StateDb db(GetParam());
  WorkerLease lease = Worker("busy", 300);
  auto busy = OpenOrDie(db, lease);
  auto other = OpenOrDie(db, Worker("other"));
  ASSERT_NE(busy, nullptr);
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(*busy->TryClaim("etl", Object("x")));
  {
    Result<std::unique_ptr<LeaseKeeper>> keeper = LeaseKeeper::Start(db.location(), lease);
    ASSERT_TRUE(keeper.ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(900));  // three leases long
    EXPECT_FALSE(*other->TryClaim("etl", Object("x")));
    EXPECT_TRUE(other->AbandonedJobs()->empty());
  }  // the worker "dies": nothing renews its lease any more
  std::this_thread::sleep_for(std::chrono::milliseconds(450));
  EXPECT_TRUE(*other->TryClaim("etl", Object("x")));
}

TEST_P(WorkClaimsTest, ReleaseAllFreesEveryClaim) {
  StateDb db(GetParam());
  auto a = OpenOrDie(db, Worker("a"));
  auto b = OpenOrDie(db, Worker("b"));
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  auto log = events::SqlEventLog::Open(db.location(), Worker("a"));
  ASSERT_TRUE(log.ok());
  ASSERT_TRUE((*log)
                  ->Append(Json{{"id", "e1"}, {"source", "s"}, {"detail-type", "d"}},
                           {{"r", events::Target{events::TargetType::kStartJob, "etl"}}})
                  .ok());
  ASSERT_EQ((*log)->Due(int64_t{1} << 60, 10)->size(), 1u);
  ASSERT_TRUE(*a->TryClaim("etl", Object("x")));
  ASSERT_TRUE(b->ReleaseAll().ok());
  EXPECT_TRUE(*b->TryClaim("etl", Object("x")));
  auto log_b = events::SqlEventLog::Open(db.location(), Worker("b"));
  ASSERT_TRUE(log_b.ok());
  EXPECT_EQ((*log_b)->Due(int64_t{1} << 60, 10)->size(), 1u);
}

}  // namespace
}  // namespace ecompipe::runtime
