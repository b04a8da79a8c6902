#include "metrics/metrics.h"

#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>

namespace ecompipe::metrics {
namespace {

// The "# TYPE name type" lines of a scrape.
std::map<std::string, std::string> Types(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# TYPE ", 0) != 0) continue;
    std::istringstream words(line.substr(7));
    std::string name, type;
    words >> name >> type;
    out[name] = type;
  }
  return out;
}

TEST(MetricsTest, ALoadCountsRowsByJobAndRejectsByReason) {
  Metrics m;
  m.ObjectLoaded("orders", {.rows_loaded = 7,
                            .rows_rejected = 3,
                            .rejects_by_reason = {{"unknown_product_id", 2}, {"bad_date", 1}},
                            .landed_to_loaded_seconds = 1.5});
  m.ObjectLoaded("orders", {.rows_loaded = 5});
  EXPECT_EQ(m.ValueForTest("ecompipe_objects_loaded_total", {{"job", "orders"}}), 2);
  EXPECT_EQ(m.ValueForTest("ecompipe_rows_loaded_total", {{"job", "orders"}}), 12);
  EXPECT_EQ(m.ValueForTest("ecompipe_rows_rejected_total",
                           {{"job", "orders"}, {"reason", "unknown_product_id"}}),
            2);
  EXPECT_EQ(
      m.ValueForTest("ecompipe_rows_rejected_total", {{"job", "orders"}, {"reason", "bad_date"}}),
      1);
  // Only the first load knew when its object landed.
  EXPECT_EQ(m.ValueForTest("ecompipe_landed_to_loaded_seconds_count", {{"job", "orders"}}), 1);
  EXPECT_EQ(m.ValueForTest("ecompipe_landed_to_loaded_seconds_sum", {{"job", "orders"}}), 1.5);
}

TEST(MetricsTest, RejectsWithoutAKnownReasonAreCountedAsUnknown) {
  Metrics m;
  m.ObjectLoaded("j", {.rows_loaded = 0, .rows_rejected = 5, .rejects_by_reason = {{"bad", 2}}});
  EXPECT_EQ(m.ValueForTest("ecompipe_rows_rejected_total", {{"job", "j"}, {"reason", "bad"}}), 2);
  EXPECT_EQ(m.ValueForTest("ecompipe_rows_rejected_total", {{"job", "j"}, {"reason", "unknown"}}),
            3);
}

TEST(MetricsTest, LandingRunsNotificationsAndS3RequestsAreCounted) {
  Metrics m;
  m.ObjectLanded(100);
  m.ObjectLanded(20);
  m.ObjectFailed("j");
  m.RunFinished("j", "SUCCEEDED", 2.0);
  m.RunFinished("j", "SUCCEEDED", 4.0);
  m.Notification("pipeline-status", "ops", "delivered");
  m.Notification("pipeline-status", "ops", "failed");
  m.Notification("pipeline-status", "ops", "failed");
  m.S3Request("PutObject", 200);
  m.S3Request("PutObject", 403);
  m.S3BytesReceived(4096);
  EXPECT_EQ(m.ValueForTest("ecompipe_objects_landed_total", {}), 2);
  EXPECT_EQ(m.ValueForTest("ecompipe_landed_bytes_total", {}), 120);
  EXPECT_EQ(m.ValueForTest("ecompipe_objects_failed_total", {{"job", "j"}}), 1);
  EXPECT_EQ(
      m.ValueForTest("ecompipe_run_duration_seconds_count", {{"job", "j"}, {"state", "SUCCEEDED"}}),
      2);
  EXPECT_EQ(
      m.ValueForTest("ecompipe_run_duration_seconds_sum", {{"job", "j"}, {"state", "SUCCEEDED"}}),
      6);
  EXPECT_EQ(
      m.ValueForTest("ecompipe_notifications_total",
                     {{"topic", "pipeline-status"}, {"subscription", "ops"}, {"state", "failed"}}),
      2);
  EXPECT_EQ(
      m.ValueForTest("ecompipe_s3_requests_total", {{"operation", "PutObject"}, {"status", "403"}}),
      1);
  EXPECT_EQ(m.ValueForTest("ecompipe_s3_received_bytes_total", {}), 4096);
}

TEST(MetricsTest, StateGaugesAreShownOnlyWhenRead) {
  Metrics m;
  std::string without = m.Scrape(nullptr);
  EXPECT_EQ(without.find("ecompipe_event_backlog"), std::string::npos);
  EXPECT_NE(without.find("ecompipe_state_store_up 0"), std::string::npos) << without;

  StateCounts state{
      .event_backlog = 4, .dead_deliveries = 1, .outbox_depth = 2, .dead_notifications = 3};
  std::string with = m.Scrape(&state);
  EXPECT_NE(with.find("ecompipe_event_backlog 4"), std::string::npos) << with;
  EXPECT_NE(with.find("ecompipe_outbox_depth 2"), std::string::npos);
  EXPECT_NE(with.find("ecompipe_dead_letters{kind=\"delivery\"} 1"), std::string::npos);
  EXPECT_NE(with.find("ecompipe_dead_letters{kind=\"notification\"} 3"), std::string::npos);
  EXPECT_NE(with.find("ecompipe_state_store_up 1"), std::string::npos);
  // A later scrape that cannot read the state shows no stale values.
  EXPECT_EQ(m.Scrape(nullptr).find("ecompipe_outbox_depth"), std::string::npos);
}

// Prometheus's naming conventions: the ecompipe_ prefix, counters end in _total, histograms
// in a base unit (_seconds), gauges never in _total.
TEST(MetricsTest, EveryFamilyIsNamedByPrometheusConventions) {
  Metrics m;
  m.ObjectLoaded("j", {.rows_loaded = 1, .rows_rejected = 1, .landed_to_loaded_seconds = 1});
  m.ObjectFailed("j");
  m.RunFinished("j", "FAILED", 1);
  m.Notification("t", "s", "dead");
  m.S3Request("GetObject", 200);
  StateCounts state;
  const std::map<std::string, std::string> types = Types(m.Scrape(&state));
  // docs/operations.md lists each of these; a new family is added there too.
  const std::map<std::string, std::string> documented{
      {"ecompipe_build_info", "gauge"},
      {"ecompipe_dead_letters", "gauge"},
      {"ecompipe_event_backlog", "gauge"},
      {"ecompipe_landed_bytes_total", "counter"},
      {"ecompipe_landed_to_loaded_seconds", "histogram"},
      {"ecompipe_notifications_total", "counter"},
      {"ecompipe_objects_failed_total", "counter"},
      {"ecompipe_objects_landed_total", "counter"},
      {"ecompipe_objects_loaded_total", "counter"},
      {"ecompipe_outbox_depth", "gauge"},
      {"ecompipe_rows_loaded_total", "counter"},
      {"ecompipe_rows_rejected_total", "counter"},
      {"ecompipe_run_duration_seconds", "histogram"},
      {"ecompipe_s3_received_bytes_total", "counter"},
      {"ecompipe_s3_requests_total", "counter"},
      {"ecompipe_start_time_seconds", "gauge"},
      {"ecompipe_state_store_up", "gauge"},
  };
  EXPECT_EQ(types, documented);
  for (const auto& [name, type] : types) {
    SCOPED_TRACE(name);
    EXPECT_EQ(name.rfind("ecompipe_", 0), 0u);
    const bool total = name.ends_with("_total");
    if (type == "counter") {
      EXPECT_TRUE(total);
    } else if (type == "gauge") {
      EXPECT_FALSE(total);
    } else {
      EXPECT_EQ(type, "histogram");
      EXPECT_TRUE(name.ends_with("_seconds"));
    }
  }
}

// A label value from the configuration (a subscription name) cannot break the format.
TEST(MetricsTest, LabelValuesAreEscaped) {
  Metrics m;
  m.Notification("t", "a\"b\\c\nd", "delivered");
  const std::string text = m.Scrape(nullptr);
  EXPECT_NE(text.find(R"(subscription="a\"b\\c\nd")"), std::string::npos) << text;
}

}  // namespace
}  // namespace ecompipe::metrics
