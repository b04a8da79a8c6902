// EventLog over SQLite (tables `events` and `deliveries` in the state database).
#pragma once

#include <memory>
#include <string>

#include "common/sqlite_db.h"
#include "events/event_log.h"

namespace ecompipe::events {

class SqliteEventLog : public EventLog {
 public:
  static Result<std::unique_ptr<SqliteEventLog>> Open(const std::string& path);

  Result<int64_t> Append(const Json& event, const std::vector<PlannedDelivery>& deliveries) override;
  Result<std::vector<Delivery>> Due(int64_t now_ms, int limit) override;
  Status MarkDone(int64_t delivery_id) override;
  Status MarkFailed(int64_t delivery_id, const std::string& error,
                    std::optional<int64_t> retry_at_ms) override;
  Result<int64_t> PendingCount() override;
  Result<std::optional<int64_t>> NextDue() override;
  Result<std::vector<StoredEvent>> List(const EventFilter& filter) override;

 private:
  explicit SqliteEventLog(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}
  std::unique_ptr<SqliteDb> db_;
};

}  // namespace ecompipe::events
