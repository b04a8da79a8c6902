#include "runtime/state_gauges.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "common/sql_db.h"
#include "events/event.h"
#include "events/sql/sql_event_log.h"
#include "notify/notifier.h"
#include "runtime/metrics_routes.h"
#include "testing/or_die.h"
#include "testing/state_db.h"
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

// On both state backends (testing/state_db.h): the counts are the same SQL on each.
class StateGaugesTest : public ::testing::TestWithParam<std::string> {
 protected:
  StateGaugesTest()
      : db_(GetParam()),
        log_(OrDie(events::SqlEventLog::Open(db_.location()))),
        notifier_(OrDie(notify::Notifier::Open(
            db_.location(), {{"status", {{"log", "log", db_.File("n.jsonl"), std::nullopt}}}}))),
        sql_(OrDie(OpenSqlDb(db_.location()))) {}

  testing_util::StateDb db_;
  std::unique_ptr<events::SqlEventLog> log_;
  std::unique_ptr<notify::Notifier> notifier_;
  std::unique_ptr<SqlDb> sql_;
};
INSTANTIATE_TEST_SUITE_P(Backends, StateGaugesTest, testing_util::StateBackends(),
                         testing_util::StateBackendName);

TEST_P(StateGaugesTest, CountsPendingAndDeadDeliveriesAndNotifications) {
  const events::PlannedDelivery to_topic{"r", {events::TargetType::kPublish, "status"}};
  for (const char* id : {"e1", "e2", "e3", "e4"})
    ASSERT_TRUE(log_->Append(Event(id), {to_topic}).ok());
  std::vector<events::Delivery> due = OrDie(log_->Due(INT64_MAX, 2));
  ASSERT_EQ(due.size(), 2u);
  ASSERT_TRUE(log_->MarkDone(due[0].id).ok());
  ASSERT_TRUE(log_->MarkFailed(due[1].id, "boom", std::nullopt).ok());  // a dead letter
  for (const char* id : {"n1", "n2", "n3"})
    ASSERT_TRUE(notifier_->Publish("status", Event(id)).ok());
  ASSERT_EQ(OrDie(sql_->Exec("UPDATE notifications SET status='dead' WHERE event_id='n1'")), 1);

  std::unique_ptr<StateGauges> gauges = OrDie(StateGauges::Open(db_.location()));
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
TEST_P(StateGaugesTest, TheCountsReadTheStatusIndexesNotTheTables) {
  // PostgreSQL chooses by the tables' statistics (a scan of a tiny table beats its index): with
  // scans priced out, the plan shows that the index serves the count.
  if (db_.postgres()) {
    ASSERT_TRUE(sql_->Exec("SET enable_seqscan = off").ok());
  }
  for (const char* sql : {StateGauges::kDeliveryCountsSql, StateGauges::kNotificationCountsSql}) {
    SCOPED_TRACE(sql);
    SqlRows plan =
        OrDie(sql_->Query(std::string(db_.postgres() ? "EXPLAIN " : "EXPLAIN QUERY PLAN ") + sql));
    std::string text;
    for (size_t r = 0; r < plan.size(); ++r) text += plan.Text(r, plan.columns.size() - 1) + "\n";
    const char* index = std::string_view(sql).find("deliveries") != std::string_view::npos
                            ? "deliveries_due"
                            : "notifications_due";
    EXPECT_NE(text.find(index), std::string::npos) << text;
    EXPECT_EQ(text.find("Seq Scan"), std::string::npos) << text;
    EXPECT_EQ(text.find("SCAN deliveries\n"), std::string::npos) << text;
    EXPECT_EQ(text.find("SCAN notifications\n"), std::string::npos) << text;
  }
}

TEST_P(StateGaugesTest, TheMetricsRouteServesTheGivenCountersWithTheConfiguredAccess) {
  PipelineConfig config;
  if (db_.postgres()) {
    config.state.type = StateType::kPostgres;
    config.state.url = db_.location();
  } else {
    config.state.path = db_.location();
  }
  config.api.metrics_access = api::http::Access::kPublic;
  metrics::Metrics served;
  served.ObjectLanded(7);
  api::http::Router router;
  ASSERT_TRUE(AddMetricsRoutes(router, config, served).ok());
  api::http::Router::Match m = router.Find("GET", "/metrics");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->access, api::http::Access::kPublic);
  api::http::Response r = m.route->handler(api::http::Request{});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(r.body.find("ecompipe_objects_landed_total 1\n"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("ecompipe_state_store_up 1\n"), std::string::npos);
}

}  // namespace
}  // namespace ecompipe::runtime
