// Helpers shared by the events unit tests: a temporary folder per test, envelopes and rules.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/ids.h"
#include "common/json.h"
#include "common/sql_db.h"
#include "events/event.h"
#include "events/rule.h"
#include "events/sql/sql_event_log.h"
#include "testing/state_db.h"

namespace ecompipe::events::testing_util {

using ::ecompipe::testing_util::StateBackendName;
using ::ecompipe::testing_util::StateBackends;
using ::ecompipe::testing_util::StateDb;

// A fresh folder under the test temporary directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::path(::testing::TempDir()) /
            ("ep-events-" + std::string(info->test_suite_name()) + "." + info->name() + "-" +
             NewHex(6));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline std::unique_ptr<SqlEventLog> OpenLogOrDie(const std::string& path, WorkerLease lease = {}) {
  Result<std::unique_ptr<SqlEventLog>> log = SqlEventLog::Open(path, std::move(lease));
  EXPECT_TRUE(log.ok()) << log.status().ToString();
  return log.ok() ? std::move(log).value() : nullptr;
}

inline std::unique_ptr<SqlDb> OpenDbOrDie(const std::string& path) {
  Result<std::unique_ptr<SqlDb>> db = OpenSqlDb(path);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return db.ok() ? std::move(db).value() : nullptr;
}

// A Glue-style event: source ecompipe.glue, `detail_type`, detail {name, state}.
inline Json GlueEvent(const std::string& detail_type, const std::string& name,
                      const std::string& state) {
  return MakeEvent(Origin{}, kGlueSource, detail_type, Json::array(),
                   Json{{"jobName", name}, {"crawlerName", name}, {"state", state}});
}

inline Rule MakeRule(const std::string& name, const std::string& pattern_json,
                     std::vector<Target> targets) {
  Result<EventPattern> pattern = EventPattern::Parse(std::string_view(pattern_json));
  EXPECT_TRUE(pattern.ok()) << pattern.status().ToString();
  return Rule{name, pattern.ok() ? *pattern : EventPattern(), std::move(targets)};
}

// One row of the deliveries table, read directly (the log's interface does not expose it).
struct DeliveryRow {
  int64_t id = 0;
  std::string rule;
  std::string target_type;
  std::string target_name;
  std::string status;
  int attempts = 0;
  int64_t next_attempt_ms = 0;
  std::string last_error;
};

inline std::vector<DeliveryRow> ReadDeliveries(const std::string& location) {
  std::vector<DeliveryRow> out;
  auto db = OpenDbOrDie(location);
  if (!db) return out;
  Result<SqlRows> q = db->Query(
      "SELECT id, rule, target_type, target_name, status, attempts, next_attempt_ms, "
      "COALESCE(last_error, '') FROM deliveries ORDER BY id");
  EXPECT_TRUE(q.ok()) << q.status().ToString();
  if (!q.ok()) return out;
  for (size_t r = 0; r < q->size(); ++r) {
    out.push_back({q->Int(r, 0), q->Text(r, 1), q->Text(r, 2), q->Text(r, 3), q->Text(r, 4),
                   static_cast<int>(q->Int(r, 5)), q->Int(r, 6), q->Text(r, 7)});
  }
  return out;
}

}  // namespace ecompipe::events::testing_util
