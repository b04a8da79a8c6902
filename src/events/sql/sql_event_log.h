// EventLog over the state database (tables `events` and `deliveries`), SQLite or PostgreSQL.
#pragma once

#include <memory>
#include <string>

#include "common/sql_db.h"
#include "common/worker_lease.h"
#include "events/event_log.h"

namespace ecompipe::events {

class SqlEventLog : public EventLog {
 public:
  // `location`: an SQLite file path or a PostgreSQL URL (see OpenSqlDb). Creates the tables
  // when missing.
  static Result<std::unique_ptr<SqlEventLog>> Open(const std::string& location,
                                                   WorkerLease lease = {});

  Result<int64_t> Append(const Json& event,
                         const std::vector<PlannedDelivery>& deliveries) override;
  Result<std::vector<Delivery>> Due(int64_t now_ms, int limit) override;
  Status Release(int64_t delivery_id) override;
  Status MarkDone(int64_t delivery_id) override;
  Status MarkFailed(int64_t delivery_id, const std::string& error,
                    std::optional<int64_t> retry_at_ms) override;
  Result<int64_t> PendingCount() override;
  Result<std::optional<int64_t>> NextDue() override;
  Result<std::vector<StoredEvent>> List(const EventFilter& filter) override;
  Result<int64_t> LastSeq() override;

 private:
  SqlEventLog(std::unique_ptr<SqlDb> db, WorkerLease lease)
      : db_(std::move(db)), lease_(std::move(lease)) {}
  std::unique_ptr<SqlDb> db_;
  WorkerLease lease_;
};

}  // namespace ecompipe::events
