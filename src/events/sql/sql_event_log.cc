#include "events/sql/sql_event_log.h"

#include <limits>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <optional>

#include "common/time_util.h"

namespace ecompipe::events {
namespace {

// {id}: the dialect's auto-assigned key. claimed_by/lease_until: the worker that runs a
// delivery, and until when its claim holds without renewal.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS events (
  seq {id},
  id TEXT NOT NULL UNIQUE,
  time TEXT NOT NULL,
  source TEXT NOT NULL,
  detail_type TEXT NOT NULL,
  body TEXT NOT NULL,
  received_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
  id {id},
  event_seq BIGINT NOT NULL REFERENCES events(seq),
  rule TEXT NOT NULL,
  target_type TEXT NOT NULL,
  target_name TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending',   -- pending | done | dead
  attempts BIGINT NOT NULL DEFAULT 0,
  next_attempt_ms BIGINT NOT NULL,
  last_error TEXT,
  updated_at TEXT NOT NULL,
  claimed_by TEXT,
  lease_until BIGINT
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries(status, next_attempt_ms, id);
CREATE INDEX IF NOT EXISTS deliveries_event ON deliveries(event_seq);
CREATE INDEX IF NOT EXISTS events_detail_type ON events(detail_type, seq);
)sql";

// The envelope's string field `key`, or "" when it is absent; kInvalidArgument when it holds
// something else (Json::value would throw).
Result<std::string> EnvelopeString(const Json& event, const char* key) {
  auto it = event.find(key);
  if (it == event.end() || it->is_null()) return std::string();
  if (!it->is_string())
    return Status::InvalidArgument(std::string("event field '") + key + "' must be a string");
  return it->get<std::string>();
}

}  // namespace

Result<std::unique_ptr<SqlEventLog>> SqlEventLog::Open(const std::string& location,
                                                       WorkerLease lease) {
  EP_ASSIGN_OR_RETURN(auto db, OpenSqlDb(location));
  EP_RETURN_IF_ERROR(db->Transaction([&]() -> Status {
    EP_RETURN_IF_ERROR(
        db->ExecScript(fmt::format(fmt::runtime(kSchema), fmt::arg("id", db->AutoIdPrimaryKey()))));
    // A state database from before claims gains their columns.
    EP_ASSIGN_OR_RETURN(bool has_claims, db->HasColumn("deliveries", "claimed_by"));
    if (!has_claims) {
      EP_RETURN_IF_ERROR(db->ExecScript("ALTER TABLE deliveries ADD COLUMN claimed_by TEXT"));
      EP_RETURN_IF_ERROR(db->ExecScript("ALTER TABLE deliveries ADD COLUMN lease_until BIGINT"));
    }
    return Status::Ok();
  }));
  return std::unique_ptr<SqlEventLog>(new SqlEventLog(std::move(db), std::move(lease)));
}

Result<int64_t> SqlEventLog::Append(const Json& event,
                                    const std::vector<PlannedDelivery>& deliveries) {
  if (!event.is_object()) return Status::InvalidArgument("an event must be a JSON object");
  EP_ASSIGN_OR_RETURN(std::string id, EnvelopeString(event, "id"));
  if (id.empty()) return Status::InvalidArgument("an event needs a non-empty string 'id'");
  EP_ASSIGN_OR_RETURN(std::string time, EnvelopeString(event, "time"));
  EP_ASSIGN_OR_RETURN(std::string source, EnvelopeString(event, "source"));
  EP_ASSIGN_OR_RETURN(std::string detail_type, EnvelopeString(event, "detail-type"));
  std::string body;
  try {
    body = event.dump();
  } catch (const Json::exception& e) {
    return Status::InvalidArgument("event " + id + " cannot be stored: " + e.what());
  }
  int64_t seq = 0;
  const int64_t now = NowMillis();
  const std::string now_iso = FormatIsoMillis(now);
  Status s = db_->Transaction([&]() -> Status {
    EP_ASSIGN_OR_RETURN(
        SqlRows ins,
        db_->Query("INSERT INTO events(id, time, source, detail_type, body, received_at) "
                   "VALUES(?,?,?,?,?,?) ON CONFLICT(id) DO NOTHING RETURNING seq",
                   {id, time, source, detail_type, body, now_iso}));
    if (ins.empty()) return Status::AlreadyExists("event " + id + " is already in the log");
    seq = ins.Int(0, 0);
    for (const PlannedDelivery& d : deliveries) {
      EP_RETURN_IF_ERROR(db_->Exec("INSERT INTO deliveries(event_seq, rule, target_type, "
                                   "target_name, next_attempt_ms, "
                                   "updated_at) VALUES(?,?,?,?,?,?)",
                                   {seq, d.rule, std::string(TargetTypeName(d.target.type)),
                                    d.target.name, now, now_iso})
                             .status());
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return seq;
}

Result<std::vector<Delivery>> SqlEventLog::Due(int64_t now_ms, int limit) {
  const int64_t clock = NowMillis();
  std::vector<Delivery> out;
  // Due by the caller's clock (`now_ms`); leases compare with the wall clock, as every
  // worker's do.
  EP_RETURN_IF_ERROR(db_->ConcurrentTransaction([&]() -> Status {
    out.clear();
    EP_ASSIGN_OR_RETURN(SqlRows claimed, ClaimDueRows(*db_, lease_,
                                                      {.table = "deliveries",
                                                       .order_by = "id",
                                                       .due_ms = now_ms,
                                                       .now_ms = clock,
                                                       .limit = limit}));
    if (claimed.empty()) return Status::Ok();
    std::string ids;
    for (size_t i = 0; i < claimed.size(); ++i) ids += (i ? "," : "") + claimed.Text(i, 0);
    // The ids are integers the database returned, so they are safe inside the SQL text.
    EP_ASSIGN_OR_RETURN(
        SqlRows rows,
        db_->Query(
            "SELECT d.id, d.event_seq, d.rule, d.target_type, d.target_name, d.attempts, e.body "
            "FROM deliveries d JOIN events e ON e.seq = d.event_seq WHERE d.id IN (" +
            ids + ") ORDER BY d.id"));
    for (size_t r = 0; r < rows.size(); ++r) {
      Delivery d;
      d.id = rows.Int(r, 0);
      d.event_seq = rows.Int(r, 1);
      d.rule = rows.Text(r, 2);
      const std::optional<TargetType> type = ParseTargetType(rows.Text(r, 3));
      if (!type) {
        // A type no handler exists for (a row this version never writes): a dead letter at
        // once, with the error a delivery to a type without a handler gets.
        const std::string error =
            Status::InvalidArgument("no handler for target type '" + rows.Text(r, 3) + "'")
                .ToString();
        spdlog::warn("Delivery failed. rule={} target={}:{} attempt={} retry=false error={}",
                     d.rule, rows.Text(r, 3), rows.Text(r, 4), rows.Int(r, 5) + 1, error);
        EP_RETURN_IF_ERROR(db_->Exec("UPDATE deliveries SET status='dead', attempts=attempts+1, "
                                     "last_error=?, updated_at=?, claimed_by=NULL, "
                                     "lease_until=NULL WHERE id=?",
                                     {error, FormatIsoMillis(clock), d.id})
                               .status());
        continue;
      }
      d.target = Target{*type, rows.Text(r, 4)};
      d.attempts = static_cast<int>(rows.Int(r, 5));
      EP_ASSIGN_OR_RETURN(d.event, ParseJson(rows.Text(r, 6)));
      out.push_back(std::move(d));
    }
    return Status::Ok();
  }));
  return out;
}

Status SqlEventLog::Release(int64_t delivery_id) {
  EP_RETURN_IF_ERROR(db_->Exec("UPDATE deliveries SET claimed_by = NULL, lease_until = NULL WHERE "
                               "id = ? AND claimed_by = ?",
                               {delivery_id, lease_.worker_id})
                         .status());
  return Status::Ok();
}

Status SqlEventLog::MarkDone(int64_t delivery_id) {
  EP_ASSIGN_OR_RETURN(int64_t changed,
                      db_->Exec("UPDATE deliveries SET status='done', attempts=attempts+1, "
                                "last_error=NULL, updated_at=?, "
                                "claimed_by=NULL, lease_until=NULL WHERE id=?",
                                {FormatIsoMillis(NowMillis()), delivery_id}));
  if (changed == 0) return Status::NotFound("no delivery " + std::to_string(delivery_id));
  return Status::Ok();
}

Status SqlEventLog::MarkFailed(int64_t delivery_id, const std::string& error,
                               std::optional<int64_t> retry_at_ms) {
  EP_ASSIGN_OR_RETURN(
      int64_t changed,
      db_->Exec("UPDATE deliveries SET status=?, attempts=attempts+1, last_error=?, "
                "next_attempt_ms=COALESCE(?, next_attempt_ms), updated_at=?, claimed_by=NULL, "
                "lease_until=NULL WHERE id=?",
                {retry_at_ms ? "pending" : "dead", error, retry_at_ms, FormatIsoMillis(NowMillis()),
                 delivery_id}));
  if (changed == 0) return Status::NotFound("no delivery " + std::to_string(delivery_id));
  return Status::Ok();
}

Result<int64_t> SqlEventLog::PendingCount() {
  EP_ASSIGN_OR_RETURN(SqlRows rows,
                      db_->Query("SELECT count(*) FROM deliveries WHERE status='pending'"));
  return rows.empty() ? 0 : rows.Int(0, 0);
}

Result<std::optional<int64_t>> SqlEventLog::NextDue() {
  // A delivery another worker holds becomes due for this one when that lease runs out (it
  // is renewed meanwhile, so a waiting worker polls about once a lease, not in a busy loop).
  EP_ASSIGN_OR_RETURN(
      SqlRows rows,
      db_->Query(
          "SELECT min(CASE WHEN claimed_by IS NOT NULL AND claimed_by <> ?1 AND lease_until > "
          "next_attempt_ms THEN lease_until ELSE next_attempt_ms END) FROM deliveries "
          "WHERE status='pending'",
          {lease_.worker_id}));
  if (rows.empty() || rows.IsNull(0, 0)) return std::optional<int64_t>();
  return std::optional<int64_t>(rows.Int(0, 0));
}

Result<std::vector<StoredEvent>> SqlEventLog::List(const EventFilter& filter) {
  // `containing` as a LIKE pattern: its own wildcards escaped (run ids hold '_'). LIKE ignores
  // ASCII case on SQLite; the ids searched for are lower-case hex.
  std::optional<std::string> containing;
  if (filter.containing) {
    containing = "%";
    for (char c : *filter.containing) {
      if (c == '%' || c == '_' || c == '\\') *containing += '\\';
      *containing += c;
    }
    *containing += "%";
  }
  EP_ASSIGN_OR_RETURN(
      SqlRows rows,
      db_->Query(
          "SELECT e.seq, e.body, e.received_at, "
          " (SELECT count(*) FROM deliveries d WHERE d.event_seq=e.seq AND d.status='pending'), "
          " (SELECT count(*) FROM deliveries d WHERE d.event_seq=e.seq AND d.status='done'), "
          " (SELECT count(*) FROM deliveries d WHERE d.event_seq=e.seq AND d.status='dead') "
          "FROM events e WHERE (CAST(?1 AS TEXT) IS NULL OR e.detail_type = ?1) "
          "AND (CAST(?2 AS TEXT) IS NULL OR e.source = ?2) "
          "AND (CAST(?4 AS TEXT) IS NULL OR e.time >= ?4) "
          "AND e.seq < ?5 "
          "AND (CAST(?6 AS TEXT) IS NULL OR e.body LIKE ?6 ESCAPE '\\') "
          "ORDER BY e.seq DESC LIMIT ?3",
          {filter.detail_type, filter.source, int64_t{filter.limit}, filter.since,
           filter.before_seq.value_or(std::numeric_limits<int64_t>::max()), containing}));
  std::vector<StoredEvent> out;
  for (size_t r = 0; r < rows.size(); ++r) {
    StoredEvent e;
    e.seq = rows.Int(r, 0);
    EP_ASSIGN_OR_RETURN(e.event, ParseJson(rows.Text(r, 1)));
    e.received_at = rows.Text(r, 2);
    e.deliveries_pending = static_cast<int>(rows.Int(r, 3));
    e.deliveries_done = static_cast<int>(rows.Int(r, 4));
    e.deliveries_dead = static_cast<int>(rows.Int(r, 5));
    out.push_back(std::move(e));
  }
  return out;
}

Result<int64_t> SqlEventLog::LastSeq() {
  EP_ASSIGN_OR_RETURN(SqlRows rows, db_->Query("SELECT COALESCE(MAX(seq), 0) FROM events"));
  return rows.empty() ? int64_t{0} : rows.Int(0, 0);
}

}  // namespace ecompipe::events
