// The outbox contract on both state-store backends, and what several workers sharing one
// outbox rely on: each due notification is claimed by one of them and goes out once.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/time_util.h"
#include "events/event.h"
#include "notify/notifier.h"
#include "testing/state_db.h"

namespace ecompipe::notify {
namespace {

using ::ecompipe::testing_util::StateDb;

class NotifierSharedTest : public ::testing::TestWithParam<std::string> {};
INSTANTIATE_TEST_SUITE_P(Backends, NotifierSharedTest, testing_util::StateBackends(),
                         testing_util::StateBackendName);

Json JobEvent(const std::string& state) {
  return events::MakeEvent(events::Origin{}, events::kGlueSource, events::kJobStateChange,
                           Json::array(), Json{{"jobName", "etl"}, {"state", state}});
}

std::unique_ptr<Notifier> OpenOrDie(const StateDb& db, const std::string& log_path,
                                    const std::string& worker = "") {
  WorkerLease lease;
  if (!worker.empty()) lease.worker_id = worker;
  Subscription sub{"log", "log", log_path, std::nullopt};
  Result<std::unique_ptr<Notifier>> n =
      Notifier::Open(db.location(), {{"status", {sub}}}, 10, lease);
  EXPECT_TRUE(n.ok()) << n.status().ToString();
  return n.ok() ? std::move(n).value() : nullptr;
}

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST_P(NotifierSharedTest, PublishingTwiceStoresOnceAndDeliversOnce) {
  StateDb db(GetParam());
  auto n = OpenOrDie(db, db.File("n.jsonl"));
  ASSERT_NE(n, nullptr);
  Json e = JobEvent("FAILED");
  ASSERT_TRUE(n->Publish("status", e).ok());
  ASSERT_TRUE(n->Publish("status", e).ok());
  EXPECT_EQ(*n->PendingCount(), 1);
  EXPECT_EQ(*n->DeliverDue(), 1);
  EXPECT_EQ(*n->PendingCount(), 0);
  EXPECT_EQ(*n->DeliverDue(), 0);
  EXPECT_EQ(ReadLines(db.File("n.jsonl")).size(), 1u);
  std::vector<NotificationRecord> list = *n->List(10);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].status, NotificationStatus::kDelivered);
  EXPECT_EQ(list[0].summary, "Glue Job State Change FAILED");
}

TEST_P(NotifierSharedTest, ListIsMostRecentFirst) {
  StateDb db(GetParam());
  auto n = OpenOrDie(db, db.File("n.jsonl"));
  ASSERT_NE(n, nullptr);
  for (const char* state : {"STARTING", "RUNNING", "SUCCEEDED"})
    ASSERT_TRUE(n->Publish("status", JobEvent(state)).ok());
  std::vector<NotificationRecord> list = *n->List(2);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].summary, "Glue Job State Change SUCCEEDED");
  EXPECT_EQ(list[1].summary, "Glue Job State Change RUNNING");
}

TEST_P(NotifierSharedTest, DeadLetterIsRedriven) {
  StateDb db(GetParam());
  // A log file under a path that is a folder cannot be written: kIoError, retried; with
  // max_attempts 1 it is dead at once.
  std::filesystem::create_directories(db.File("blocked"));
  Subscription sub{"log", "log", db.File("blocked"), std::nullopt};
  auto n = Notifier::Open(db.location(), {{"status", {sub}}}, 1);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  ASSERT_TRUE((*n)->Publish("status", JobEvent("FAILED")).ok());
  EXPECT_EQ(*(*n)->DeliverDue(), 0);
  EXPECT_EQ((*(*n)->List(1))[0].status, NotificationStatus::kDead);
  EXPECT_EQ(*(*n)->Redrive(""), 1);
  EXPECT_EQ(*(*n)->PendingCount(), 1);
}

TEST_P(NotifierSharedTest, WorkersSharingTheOutboxSendEachNotificationOnce) {
  StateDb db(GetParam());
  const std::string log = db.File("n.jsonl");
  {
    auto n = OpenOrDie(db, log);
    ASSERT_NE(n, nullptr);
    for (int i = 0; i < 120; ++i)
      ASSERT_TRUE(n->Publish("status", JobEvent("S" + std::to_string(i))).ok());
  }
  std::vector<int> delivered(3, 0);
  std::vector<std::thread> workers;
  for (int w = 0; w < 3; ++w) {
    workers.emplace_back([&, w] {
      auto n = OpenOrDie(db, log, "w" + std::to_string(w));
      if (!n) return;
      for (int round = 0; round < 50; ++round) {
        Result<int> d = n->DeliverDue();
        if (!d.ok()) {
          ADD_FAILURE() << d.status().ToString();
          return;
        }
        delivered[w] += *d;
        if (*n->PendingCount() == 0) return;
      }
    });
  }
  for (auto& t : workers) t.join();
  EXPECT_EQ(delivered[0] + delivered[1] + delivered[2], 120);
  std::vector<std::string> lines = ReadLines(log);
  EXPECT_EQ(lines.size(), 120u);
  std::set<std::string> ids;
  for (const std::string& line : lines) ids.insert(ParseJson(line)->value("notification_id", ""));
  EXPECT_EQ(ids.size(), 120u);
}

}  // namespace
}  // namespace ecompipe::notify
