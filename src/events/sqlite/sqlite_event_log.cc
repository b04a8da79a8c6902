#include "events/sqlite/sqlite_event_log.h"

#include "common/time_util.h"

namespace ecompipe::events {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  time TEXT NOT NULL,
  source TEXT NOT NULL,
  detail_type TEXT NOT NULL,
  body TEXT NOT NULL,
  received_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  event_seq INTEGER NOT NULL REFERENCES events(seq),
  rule TEXT NOT NULL,
  target_type TEXT NOT NULL,
  target_name TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending',   -- pending | done | dead
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms INTEGER NOT NULL,
  last_error TEXT,
  updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries(status, next_attempt_ms, id);
CREATE INDEX IF NOT EXISTS deliveries_event ON deliveries(event_seq);
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

Result<std::unique_ptr<SqliteEventLog>> SqliteEventLog::Open(const std::string& path) {
  EP_ASSIGN_OR_RETURN(auto db, SqliteDb::Open(path));
  EP_RETURN_IF_ERROR(db->Exec(kSchema));
  return std::unique_ptr<SqliteEventLog>(new SqliteEventLog(std::move(db)));
}

Result<int64_t> SqliteEventLog::Append(const Json& event,
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
    EP_ASSIGN_OR_RETURN(SqliteStmt ins, db_->Prepare(
        "INSERT INTO events(id, time, source, detail_type, body, received_at) "
        "VALUES(?,?,?,?,?,?) ON CONFLICT(id) DO NOTHING"));
    ins.Bind(1, id).Bind(2, time).Bind(3, source).Bind(4, detail_type).Bind(5, body)
        .Bind(6, now_iso);
    EP_RETURN_IF_ERROR(ins.Run());
    if (db_->Changes() == 0) {
      return Status::AlreadyExists("event " + id + " is already in the log");
    }
    seq = db_->LastInsertId();
    EP_ASSIGN_OR_RETURN(SqliteStmt del, db_->Prepare(
        "INSERT INTO deliveries(event_seq, rule, target_type, target_name, next_attempt_ms, "
        "updated_at) VALUES(?,?,?,?,?,?)"));
    for (const PlannedDelivery& d : deliveries) {
      del.Bind(1, seq).Bind(2, d.rule).Bind(3, d.target.type).Bind(4, d.target.name)
          .Bind(5, now).Bind(6, now_iso);
      EP_RETURN_IF_ERROR(del.Run());
      EP_RETURN_IF_ERROR(del.Reset());
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return seq;
}

Result<std::vector<Delivery>> SqliteEventLog::Due(int64_t now_ms, int limit) {
  EP_ASSIGN_OR_RETURN(SqliteStmt q, db_->Prepare(
      "SELECT d.id, d.event_seq, d.rule, d.target_type, d.target_name, d.attempts, e.body "
      "FROM deliveries d JOIN events e ON e.seq = d.event_seq "
      "WHERE d.status = 'pending' AND d.next_attempt_ms <= ? ORDER BY d.id LIMIT ?"));
  q.Bind(1, now_ms).Bind(2, static_cast<int64_t>(limit));
  std::vector<Delivery> out;
  while (true) {
    EP_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    Delivery d;
    d.id = q.Int(0);
    d.event_seq = q.Int(1);
    d.rule = q.Text(2);
    d.target = Target{q.Text(3), q.Text(4)};
    d.attempts = static_cast<int>(q.Int(5));
    EP_ASSIGN_OR_RETURN(d.event, ParseJson(q.Text(6)));
    out.push_back(std::move(d));
  }
  return out;
}

Status SqliteEventLog::MarkDone(int64_t delivery_id) {
  EP_ASSIGN_OR_RETURN(SqliteStmt q, db_->Prepare(
      "UPDATE deliveries SET status='done', attempts=attempts+1, last_error=NULL, updated_at=? "
      "WHERE id=?"));
  EP_RETURN_IF_ERROR(q.Bind(1, FormatIsoMillis(NowMillis())).Bind(2, delivery_id).Run());
  if (db_->Changes() == 0) return Status::NotFound("no delivery " + std::to_string(delivery_id));
  return Status::Ok();
}

Status SqliteEventLog::MarkFailed(int64_t delivery_id, const std::string& error,
                                  std::optional<int64_t> retry_at_ms) {
  EP_ASSIGN_OR_RETURN(SqliteStmt q, db_->Prepare(
      "UPDATE deliveries SET status=?, attempts=attempts+1, last_error=?, "
      "next_attempt_ms=COALESCE(?, next_attempt_ms), updated_at=? WHERE id=?"));
  q.Bind(1, retry_at_ms ? "pending" : "dead").Bind(2, error);
  if (retry_at_ms) q.Bind(3, *retry_at_ms); else q.BindNull(3);
  EP_RETURN_IF_ERROR(q.Bind(4, FormatIsoMillis(NowMillis())).Bind(5, delivery_id).Run());
  if (db_->Changes() == 0) return Status::NotFound("no delivery " + std::to_string(delivery_id));
  return Status::Ok();
}

Result<int64_t> SqliteEventLog::PendingCount() {
  EP_ASSIGN_OR_RETURN(SqliteStmt q,
                      db_->Prepare("SELECT count(*) FROM deliveries WHERE status='pending'"));
  EP_ASSIGN_OR_RETURN(bool row, q.Step());
  return row ? q.Int(0) : 0;
}

Result<std::optional<int64_t>> SqliteEventLog::NextDue() {
  EP_ASSIGN_OR_RETURN(SqliteStmt q, db_->Prepare(
      "SELECT min(next_attempt_ms) FROM deliveries WHERE status='pending'"));
  EP_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row || q.IsNull(0)) return std::optional<int64_t>();
  return std::optional<int64_t>(q.Int(0));
}

Result<std::vector<StoredEvent>> SqliteEventLog::List(const EventFilter& filter) {
  EP_ASSIGN_OR_RETURN(SqliteStmt q, db_->Prepare(
      "SELECT e.seq, e.body, e.received_at, "
      " (SELECT count(*) FROM deliveries d WHERE d.event_seq=e.seq AND d.status='pending'), "
      " (SELECT count(*) FROM deliveries d WHERE d.event_seq=e.seq AND d.status='done'), "
      " (SELECT count(*) FROM deliveries d WHERE d.event_seq=e.seq AND d.status='dead') "
      "FROM events e WHERE (?1 IS NULL OR e.detail_type = ?1) AND (?2 IS NULL OR e.source = ?2) "
      "ORDER BY e.seq DESC LIMIT ?3"));
  q.BindOptional(1, filter.detail_type).BindOptional(2, filter.source)
      .Bind(3, static_cast<int64_t>(filter.limit));
  std::vector<StoredEvent> out;
  while (true) {
    EP_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    StoredEvent e;
    e.seq = q.Int(0);
    EP_ASSIGN_OR_RETURN(e.event, ParseJson(q.Text(1)));
    e.received_at = q.Text(2);
    e.deliveries_pending = static_cast<int>(q.Int(3));
    e.deliveries_done = static_cast<int>(q.Int(4));
    e.deliveries_dead = static_cast<int>(q.Int(5));
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace ecompipe::events
