#include "runtime/state_gauges.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "common/sql_db.h"
#include "events/event.h"
#include "events/sql/sql_event_log.h"
#include "notify/notifier.h"
#include "testing/or_die.h"
#include "testing/temp_dir.h"

namespace ecompipe::runtime {
namespace {

using testing_util::OrDie;

Json Event(const std::string& id) {
  Json e = events::MakeEvent(events::Origin{}, events::kGlueSource, events::kJobStateChange,
                             Json::array(), Json{{"jobName", "etl"}, {"state", "FAILED"}});
  e["id"] = id;
  return e;
}

class StateGaugesTest : public ::testing::Test {
 protected:
  StateGaugesTest()
      : log_(OrDie(events::SqlEventLog::Open(dir_.File("state.db")))),
        notifier_(OrDie(notify::Notifier::Open(
            dir_.File("state.db"),
            {{"status", {{"log", "log", dir_.File("n.jsonl"), std::nullopt}}}}))),
        db_(OrDie(OpenSqlDb(dir_.File("state.db")))) {}

  testing_util::TempDir dir_;
  std::unique_ptr<events::SqlEventLog> log_;
  std::unique_ptr<notify::Notifier> notifier_;
  std::unique_ptr<SqlDb> db_;
};

TEST_F(StateGaugesTest, CountsPendingAndDeadDeliveriesAndNotifications) {
  const events::PlannedDelivery to_topic{"r", {events::TargetType::kPublish, "status"}};
  for (const char* id : {"e1", "e2", "e3", "e4"})
    ASSERT_TRUE(log_->Append(Event(id), {to_topic}).ok());
  std::vector<events::Delivery> due = OrDie(log_->Due(INT64_MAX, 2));
  ASSERT_EQ(due.size(), 2u);
  ASSERT_TRUE(log_->MarkDone(due[0].id).ok());
  ASSERT_TRUE(log_->MarkFailed(due[1].id, "boom", std::nullopt).ok());  // a dead letter
  for (const char* id : {"n1", "n2", "n3"})
    ASSERT_TRUE(notifier_->Publish("status", Event(id)).ok());
  ASSERT_EQ(OrDie(db_->Exec("UPDATE notifications SET status='dead' WHERE event_id='n1'")), 1);

  std::unique_ptr<StateGauges> gauges = OrDie(StateGauges::Open(dir_.File("state.db")));
  metrics::StateCounts c = OrDie(gauges->Read());
  EXPECT_EQ(c.event_backlog, 2);
  EXPECT_EQ(c.dead_deliveries, 1);
  EXPECT_EQ(c.outbox_depth, 2);
  EXPECT_EQ(c.dead_notifications, 1);
  metrics::Metrics m;
  const std::string text = gauges->Scrape(m);
  EXPECT_NE(text.find("ecompipe_event_backlog 2"), std::string::npos) << text;
  EXPECT_NE(text.find("ecompipe_state_store_up 1"), std::string::npos);
}

// The gauges are read at every scrape: they must cost an index range, not a table scan.
TEST_F(StateGaugesTest, TheCountsReadTheStatusIndexesNotTheTables) {
  for (const char* sql : {StateGauges::kDeliveryCountsSql, StateGauges::kNotificationCountsSql}) {
    SCOPED_TRACE(sql);
    SqlRows plan = OrDie(db_->Query(std::string("EXPLAIN QUERY PLAN ") + sql));
    std::string text;
    for (size_t r = 0; r < plan.size(); ++r) text += plan.Text(r, plan.columns.size() - 1) + "\n";
    EXPECT_NE(text.find("USING COVERING INDEX"), std::string::npos) << text;
    EXPECT_EQ(text.find("SCAN deliveries\n"), std::string::npos) << text;
    EXPECT_EQ(text.find("SCAN notifications\n"), std::string::npos) << text;
  }
}

TEST(StateGaugesScrapeTest, AStateStoreThatCannotBeReadLeavesTheGaugesOut) {
  testing_util::TempDir dir;
  // A database without the tables: the counts fail, the scrape still answers.
  StateGauges gauges(OrDie(OpenSqlDb(dir.File("empty.db"))));
  metrics::Metrics m;
  const std::string text = gauges.Scrape(m);
  EXPECT_NE(text.find("ecompipe_state_store_up 0"), std::string::npos) << text;
  EXPECT_EQ(text.find("ecompipe_event_backlog"), std::string::npos);
}

}  // namespace
}  // namespace ecompipe::runtime
