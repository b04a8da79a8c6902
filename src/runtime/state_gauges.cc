#include "runtime/state_gauges.h"

#include <spdlog/spdlog.h>

#include <utility>

namespace ecompipe::runtime {

const char* const StateGauges::kDeliveryCountsSql =
    "SELECT status, count(*) FROM deliveries WHERE status IN ('pending', 'dead') GROUP BY status";
const char* const StateGauges::kNotificationCountsSql =
    "SELECT status, count(*) FROM notifications WHERE status IN ('pending', 'dead') "
    "GROUP BY status";

Result<std::unique_ptr<StateGauges>> StateGauges::Open(const std::string& state_location) {
  EP_ASSIGN_OR_RETURN(std::unique_ptr<SqlDb> db, OpenSqlDb(state_location));
  return std::make_unique<StateGauges>(std::move(db));
}

Result<metrics::StateCounts> StateGauges::Read() {
  std::lock_guard lock(mutex_);
  metrics::StateCounts out;
  EP_ASSIGN_OR_RETURN(SqlRows deliveries, db_->Query(kDeliveryCountsSql));
  for (size_t r = 0; r < deliveries.size(); ++r)
    (deliveries.Text(r, 0) == "pending" ? out.event_backlog : out.dead_deliveries) =
        deliveries.Int(r, 1);
  EP_ASSIGN_OR_RETURN(SqlRows notifications, db_->Query(kNotificationCountsSql));
  for (size_t r = 0; r < notifications.size(); ++r)
    (notifications.Text(r, 0) == "pending" ? out.outbox_depth : out.dead_notifications) =
        notifications.Int(r, 1);
  return out;
}

std::string StateGauges::Scrape(metrics::Metrics& metrics) {
  Result<metrics::StateCounts> state = Read();
  if (!state.ok()) {
    spdlog::warn("Cannot read the state gauges for /metrics; left out of this scrape. error={}",
                 state.status().ToString());
    return metrics.Scrape(nullptr);
  }
  return metrics.Scrape(&*state);
}

}  // namespace ecompipe::runtime
