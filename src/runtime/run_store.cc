#include "runtime/run_store.h"

#include <fmt/format.h>

#include <charconv>
#include <limits>

#include "common/enum_names.h"
#include "common/time_util.h"

namespace ecompipe::runtime {
namespace {

// {rowid}: PostgreSQL has no implicit rowid; this column gives it one, so that "ORDER BY
// rowid" (insertion order) reads the same on both. worker/lease_until: the worker running a
// run, and until when its lease holds (a run whose lease ran out was left by a dead worker).
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS runs (
  {rowid}
  run_id TEXT PRIMARY KEY,
  job TEXT NOT NULL,
  state TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  duration_ms BIGINT NOT NULL DEFAULT 0,
  triggers BIGINT NOT NULL DEFAULT 0,
  rows_read BIGINT NOT NULL DEFAULT 0,
  rows_loaded BIGINT NOT NULL DEFAULT 0,
  rows_rejected BIGINT NOT NULL DEFAULT 0,
  message TEXT NOT NULL DEFAULT '',
  worker TEXT,
  lease_until BIGINT,
  kind TEXT NOT NULL DEFAULT 'job'
);
CREATE INDEX IF NOT EXISTS runs_started ON runs(started_at);
CREATE TABLE IF NOT EXISTS run_objects (
  run_id TEXT NOT NULL REFERENCES runs(run_id),
  seq BIGINT NOT NULL,
  key TEXT NOT NULL,
  etag TEXT NOT NULL,
  status TEXT NOT NULL,
  rows_read BIGINT NOT NULL,
  rows_loaded BIGINT NOT NULL,
  rows_rejected BIGINT NOT NULL,
  duration_ms BIGINT NOT NULL,
  message TEXT NOT NULL,
  PRIMARY KEY(run_id, seq)
);
)sql";

constexpr const char* kRunColumns =
    "run_id, job, state, started_at, COALESCE(finished_at,''), duration_ms, triggers, rows_read, "
    "rows_loaded, rows_rejected, message, kind";
// How many columns kRunColumns names: a query that selects more after them reads those from here.
constexpr int kRunColumnCount = 12;

constexpr EnumNames<RunKind, 4> kRunKindNames{{{
    {RunKind::kJob, "job"},
    {RunKind::kReload, "reload"},
    {RunKind::kReplay, "replay"},
    {RunKind::kDelete, "delete"},
}}};

constexpr EnumNames<ObjectStatus, 4> kObjectStatusNames{{{
    {ObjectStatus::kLoaded, "loaded"},
    {ObjectStatus::kFailed, "failed"},
    {ObjectStatus::kSkipped, "skipped"},
    {ObjectStatus::kIgnored, "ignored"},
}}};

Result<RunRecord> ReadRun(const SqlRows& q, size_t row) {
  RunRecord r;
  r.run_id = q.Text(row, 0);
  r.job = q.Text(row, 1);
  const std::string state = q.Text(row, 2);
  std::optional<RunState> parsed = ParseRunState(state);
  if (!parsed)
    return Status::CorruptInput("run " + r.run_id + " has an unknown state '" + state + "'");
  r.state = *parsed;
  r.started_at = q.Text(row, 3);
  r.finished_at = q.Text(row, 4);
  r.duration_ms = q.Int(row, 5);
  r.triggers = static_cast<int>(q.Int(row, 6));
  r.rows_read = q.Int(row, 7);
  r.rows_loaded = q.Int(row, 8);
  r.rows_rejected = q.Int(row, 9);
  r.message = q.Text(row, 10);
  const std::string kind = q.Text(row, 11);
  std::optional<RunKind> parsed_kind = ParseRunKind(kind);
  if (!parsed_kind)
    return Status::CorruptInput("run " + r.run_id + " has an unknown kind '" + kind + "'");
  r.kind = *parsed_kind;
  return r;
}

}  // namespace

std::string_view RunKindName(RunKind kind) { return kRunKindNames.Name(kind); }
std::optional<RunKind> ParseRunKind(std::string_view name) { return kRunKindNames.Parse(name); }

std::string_view ObjectStatusName(ObjectStatus status) { return kObjectStatusNames.Name(status); }
std::optional<ObjectStatus> ParseObjectStatus(std::string_view name) {
  return kObjectStatusNames.Parse(name);
}

Result<std::unique_ptr<RunStore>> RunStore::Open(const std::string& location, WorkerLease lease) {
  EP_ASSIGN_OR_RETURN(auto db, OpenSqlDb(location));
  EP_RETURN_IF_ERROR(db->Transaction([&]() -> Status {
    EP_RETURN_IF_ERROR(db->ExecScript(fmt::format(
        fmt::runtime(kSchema),
        fmt::arg("rowid", db->postgres() ? "rowid BIGINT GENERATED ALWAYS AS IDENTITY," : ""))));
    // A state database from before several workers gains the lease columns.
    EP_ASSIGN_OR_RETURN(bool has_lease, db->HasColumn("runs", "lease_until"));
    if (!has_lease) {
      EP_RETURN_IF_ERROR(db->ExecScript("ALTER TABLE runs ADD COLUMN worker TEXT"));
      EP_RETURN_IF_ERROR(db->ExecScript("ALTER TABLE runs ADD COLUMN lease_until BIGINT"));
    }
    // Reloads, replays and removals are runs of their own kinds.
    EP_ASSIGN_OR_RETURN(bool has_kind, db->HasColumn("runs", "kind"));
    if (!has_kind)
      EP_RETURN_IF_ERROR(
          db->ExecScript("ALTER TABLE runs ADD COLUMN kind TEXT NOT NULL DEFAULT 'job'"));
    return Status::Ok();
  }));
  return std::unique_ptr<RunStore>(new RunStore(std::move(db), std::move(lease)));
}

Status RunStore::Start(const RunRecord& run) {
  EP_ASSIGN_OR_RETURN(
      int64_t changed,
      db_->Exec("INSERT INTO runs(run_id, job, state, started_at, triggers, worker, lease_until, "
                "kind) VALUES(?,?,?,?,?,?,?,?) ON CONFLICT(run_id) DO NOTHING",
                {run.run_id, run.job, std::string(RunStateName(run.state)), run.started_at,
                 int64_t{run.triggers}, lease_.worker_id, NowMillis() + lease_.lease_ms,
                 std::string(RunKindName(run.kind))}));
  if (changed == 0) return Status::AlreadyExists("run " + run.run_id + " already exists");
  return Status::Ok();
}

Status RunStore::SetState(const std::string& run_id, RunState state) {
  EP_ASSIGN_OR_RETURN(int64_t changed, db_->Exec("UPDATE runs SET state=? WHERE run_id=?",
                                                 {std::string(RunStateName(state)), run_id}));
  if (changed == 0) return Status::NotFound("no run " + run_id);
  return Status::Ok();
}

Status RunStore::AddObject(const std::string& run_id, const ObjectResult& o) {
  EP_ASSIGN_OR_RETURN(
      int64_t changed,
      db_->Exec(
          "INSERT INTO run_objects(run_id, seq, key, etag, status, rows_read, rows_loaded, "
          "rows_rejected, duration_ms, message) SELECT ?1, (SELECT COALESCE(max(seq),0)+1 FROM "
          "run_objects WHERE run_id=?1), ?2, ?3, ?4, CAST(?5 AS BIGINT), CAST(?6 AS BIGINT), "
          "CAST(?7 AS BIGINT), CAST(?8 AS BIGINT), ?9 "
          "WHERE EXISTS(SELECT 1 FROM runs WHERE run_id=?1)",
          {run_id, o.key, o.etag, std::string(ObjectStatusName(o.status)), o.rows_read,
           o.rows_loaded, o.rows_rejected, o.duration_ms, o.message}));
  if (changed == 0) return Status::NotFound("no run " + run_id);
  return Status::Ok();
}

Status RunStore::Finish(const RunRecord& r) {
  EP_ASSIGN_OR_RETURN(
      int64_t changed,
      db_->Exec(
          "UPDATE runs SET state=?, finished_at=?, duration_ms=?, rows_read=?, rows_loaded=?, "
          "rows_rejected=?, message=?, lease_until=NULL WHERE run_id=?",
          {std::string(RunStateName(r.state)), r.finished_at, r.duration_ms, r.rows_read,
           r.rows_loaded, r.rows_rejected, r.message, r.run_id}));
  if (changed == 0) return Status::NotFound("no run " + r.run_id);
  return Status::Ok();
}

Result<std::vector<RunRecord>> RunStore::FailInterrupted(const std::string& message,
                                                         bool only_expired) {
  std::vector<RunRecord> out;
  const int64_t expired_before = only_expired ? NowMillis() : std::numeric_limits<int64_t>::max();
  // One transaction: a run that another process finishes meanwhile is not overwritten, and
  // the runs are either all marked or none.
  EP_RETURN_IF_ERROR(db_->Transaction([&]() -> Status {
    out.clear();
    EP_ASSIGN_OR_RETURN(
        SqlRows q,
        db_->Query(std::string("SELECT ") + kRunColumns +
                       " FROM runs WHERE state IN ('STARTING','RUNNING') "
                       "AND (lease_until IS NULL OR lease_until <= ?) ORDER BY started_at, rowid",
                   {expired_before}));
    for (size_t i = 0; i < q.size(); ++i) {
      EP_ASSIGN_OR_RETURN(RunRecord r, ReadRun(q, i));
      out.push_back(std::move(r));
    }
    for (RunRecord& r : out) {
      r.state = RunState::kFailed;
      r.message = message;
      r.finished_at = FormatIsoMillis(NowMillis());
      EP_RETURN_IF_ERROR(Finish(r));
    }
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<ObjectResult>> RunStore::Objects(const std::string& run_id) {
  EP_ASSIGN_OR_RETURN(
      SqlRows q,
      db_->Query(
          "SELECT key, etag, status, rows_read, rows_loaded, rows_rejected, duration_ms, message "
          "FROM run_objects WHERE run_id=? ORDER BY seq",
          {run_id}));
  std::vector<ObjectResult> out;
  for (size_t i = 0; i < q.size(); ++i) {
    const std::string status = q.Text(i, 2);
    std::optional<ObjectStatus> parsed = ParseObjectStatus(status);
    if (!parsed)
      return Status::CorruptInput("run " + run_id + " has an object with an unknown status '" +
                                  status + "'");
    out.push_back({q.Text(i, 0), q.Text(i, 1), *parsed, q.Int(i, 3), q.Int(i, 4), q.Int(i, 5),
                   q.Int(i, 6), q.Text(i, 7)});
  }
  return out;
}

Result<std::vector<RunRecord>> RunStore::List(int limit, bool with_objects) {
  EP_ASSIGN_OR_RETURN(RunPage page, List(RunFilter{.limit = limit, .with_objects = with_objects}));
  return std::move(page.runs);
}

Result<RunPage> RunStore::List(const RunFilter& filter) {
  // The cursor is "<started_at>~<rowid>" of the last run of the previous page: runs are ordered
  // by (started_at, rowid) descending, so the next page is what sorts after it.
  std::string cursor_time;
  int64_t cursor_row = std::numeric_limits<int64_t>::max();
  if (!filter.cursor.empty()) {
    const size_t tilde = filter.cursor.rfind('~');
    const char* b = filter.cursor.data() + (tilde == std::string::npos ? 0 : tilde + 1);
    const char* e = filter.cursor.data() + filter.cursor.size();
    auto [p, ec] = std::from_chars(b, e, cursor_row);
    if (tilde == std::string::npos || ec != std::errc() || p != e || b == e)
      return Status::InvalidArgument("not a cursor of this list: '" + filter.cursor + "'");
    cursor_time = filter.cursor.substr(0, tilde);
  }
  const std::string state = filter.state ? std::string(RunStateName(*filter.state)) : "";
  RunPage page;
  EP_ASSIGN_OR_RETURN(
      SqlRows q,
      db_->Query(
          std::string("SELECT ") + kRunColumns +
              ", rowid FROM runs WHERE (?1 = '' OR job = ?1) AND (?2 = '' OR state = ?2) "
              "AND (?3 = '' OR started_at >= ?3) AND (?4 = '' OR started_at < ?4 OR "
              "(started_at = ?4 AND rowid < ?5)) ORDER BY started_at DESC, rowid DESC "
              "LIMIT ?6",
          {filter.job, state, filter.since, cursor_time, cursor_row, int64_t{filter.limit} + 1}));
  for (size_t i = 0; i < q.size() && i < static_cast<size_t>(filter.limit); ++i) {
    EP_ASSIGN_OR_RETURN(RunRecord r, ReadRun(q, i));
    page.runs.push_back(std::move(r));
    if (i + 1 < q.size())
      page.next_cursor =
          page.runs.back().started_at + "~" + std::to_string(q.Int(i, kRunColumnCount));
  }
  if (q.size() <= static_cast<size_t>(filter.limit)) page.next_cursor.clear();
  if (filter.with_objects) {
    for (RunRecord& r : page.runs) {
      EP_ASSIGN_OR_RETURN(r.objects, Objects(r.run_id));
    }
  }
  return page;
}

Result<std::optional<RunRecord>> RunStore::Get(const std::string& run_id) {
  std::optional<RunRecord> out;
  EP_ASSIGN_OR_RETURN(
      SqlRows q,
      db_->Query(std::string("SELECT ") + kRunColumns + " FROM runs WHERE run_id=?", {run_id}));
  if (!q.empty()) {
    EP_ASSIGN_OR_RETURN(out, ReadRun(q, 0));
  }
  if (out) {
    EP_ASSIGN_OR_RETURN(out->objects, Objects(run_id));
  }
  return out;
}

Result<std::string> RunStore::ResolveId(const std::string& id_or_prefix) {
  if (id_or_prefix.empty()) return Status::InvalidArgument("a run id is empty");
  constexpr int64_t kShown = 5;
  // substr, not LIKE: run ids hold '_', which LIKE reads as a wildcard.
  EP_ASSIGN_OR_RETURN(
      SqlRows q,
      db_->Query(
          "SELECT run_id FROM runs WHERE substr(run_id, 1, ?) = ? ORDER BY run_id = ? DESC, "
          "started_at DESC, run_id LIMIT ?",
          {static_cast<int64_t>(id_or_prefix.size()), id_or_prefix, id_or_prefix, kShown + 1}));
  if (q.empty()) return Status::NotFound("no run " + id_or_prefix + " (see `ecompipe runs`)");
  if (q.size() == 1 || q.Text(0, 0) == id_or_prefix) return q.Text(0, 0);
  std::string candidates;
  for (size_t i = 0; i < q.size() && i < static_cast<size_t>(kShown); ++i)
    candidates += (i ? ", " : "") + q.Text(i, 0);
  if (q.size() > static_cast<size_t>(kShown)) candidates += ", …";
  return Status::InvalidArgument("run id prefix " + id_or_prefix + " is ambiguous: it matches " +
                                 candidates + "; give more characters");
}

}  // namespace ecompipe::runtime
