// StateGauges: the /metrics values read from the shared state store when scraped: the event
// log's backlog and dead letters, the outbox's depth and dead letters (metrics::StateCounts).
//
// Each is one count over an index whose first column is `status` (deliveries_due,
// notifications_due), never a scan of a table: its cost grows with the rows counted (pending
// deliveries and notifications, dead letters), not with the log's or the outbox's history.
// The connection is its own, so a scrape on an HTTP thread never uses the dispatcher's.
//
// Thread-safety: Read() and Scrape() may be called from any thread; calls are serialised.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "common/sql_db.h"
#include "common/status.h"
#include "metrics/metrics.h"

namespace ecompipe::runtime {

class StateGauges {
 public:
  // The statements Read() runs (tests check that their plans use the status indexes).
  static const char* const kDeliveryCountsSql;
  static const char* const kNotificationCountsSql;

  // Connects to the state store at `state_location` (an SQLite file or a PostgreSQL URL), whose
  // tables the pipeline has made.
  static Result<std::unique_ptr<StateGauges>> Open(const std::string& state_location);
  explicit StateGauges(std::unique_ptr<SqlDb> db) : db_(std::move(db)) {}

  Result<metrics::StateCounts> Read();
  // `metrics` in the text exposition format with the gauges read now; when they cannot be read
  // (the state store unreachable), without them (ecompipe_state_store_up 0) and a warning logged.
  std::string Scrape(metrics::Metrics& metrics);

 private:
  std::mutex mutex_;
  std::unique_ptr<SqlDb> db_;
};

}  // namespace ecompipe::runtime
