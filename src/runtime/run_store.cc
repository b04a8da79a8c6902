#include "runtime/run_store.h"

#include "common/time_util.h"

namespace ecompipe::runtime {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS runs (
  run_id TEXT PRIMARY KEY,
  job TEXT NOT NULL,
  state TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  duration_ms INTEGER NOT NULL DEFAULT 0,
  triggers INTEGER NOT NULL DEFAULT 0,
  rows_read INTEGER NOT NULL DEFAULT 0,
  rows_loaded INTEGER NOT NULL DEFAULT 0,
  rows_rejected INTEGER NOT NULL DEFAULT 0,
  message TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS runs_started ON runs(started_at);
CREATE TABLE IF NOT EXISTS run_objects (
  run_id TEXT NOT NULL REFERENCES runs(run_id),
  seq INTEGER NOT NULL,
  key TEXT NOT NULL,
  etag TEXT NOT NULL,
  status TEXT NOT NULL,
  rows_read INTEGER NOT NULL,
  rows_loaded INTEGER NOT NULL,
  rows_rejected INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  message TEXT NOT NULL,
  PRIMARY KEY(run_id, seq)
);
)sql";

constexpr const char* kRunColumns =
    "run_id, job, state, started_at, COALESCE(finished_at,''), duration_ms, triggers, rows_read, "
    "rows_loaded, rows_rejected, message";

RunRecord ReadRun(const SqliteStmt& q) {
  RunRecord r;
  r.run_id = q.Text(0);
  r.job = q.Text(1);
  r.state = q.Text(2);
  r.started_at = q.Text(3);
  r.finished_at = q.Text(4);
  r.duration_ms = q.Int(5);
  r.triggers = static_cast<int>(q.Int(6));
  r.rows_read = q.Int(7);
  r.rows_loaded = q.Int(8);
  r.rows_rejected = q.Int(9);
  r.message = q.Text(10);
  return r;
}

}  // namespace

Result<std::unique_ptr<RunStore>> RunStore::Open(const std::string& path) {
  EP_ASSIGN_OR_RETURN(auto db, SqliteDb::Open(path));
  EP_RETURN_IF_ERROR(db->Exec(kSchema));
  return std::unique_ptr<RunStore>(new RunStore(std::move(db)));
}

Status RunStore::Start(const RunRecord& run) {
  EP_ASSIGN_OR_RETURN(SqliteStmt q, db_->Prepare(
      "INSERT INTO runs(run_id, job, state, started_at, triggers) VALUES(?,?,?,?,?) "
      "ON CONFLICT(run_id) DO NOTHING"));
  EP_RETURN_IF_ERROR(q.Bind(1, run.run_id)
                         .Bind(2, run.job)
                         .Bind(3, run.state)
                         .Bind(4, run.started_at)
                         .Bind(5, static_cast<int64_t>(run.triggers))
                         .Run());
  if (db_->Changes() == 0) return Status::AlreadyExists("run " + run.run_id + " already exists");
  return Status::Ok();
}

Status RunStore::SetState(const std::string& run_id, const std::string& state) {
  EP_ASSIGN_OR_RETURN(SqliteStmt q, db_->Prepare("UPDATE runs SET state=? WHERE run_id=?"));
  EP_RETURN_IF_ERROR(q.Bind(1, state).Bind(2, run_id).Run());
  if (db_->Changes() == 0) return Status::NotFound("no run " + run_id);
  return Status::Ok();
}

Status RunStore::AddObject(const std::string& run_id, const ObjectResult& o) {
  EP_ASSIGN_OR_RETURN(SqliteStmt q, db_->Prepare(
      "INSERT INTO run_objects(run_id, seq, key, etag, status, rows_read, rows_loaded, "
      "rows_rejected, duration_ms, message) SELECT ?1, (SELECT COALESCE(max(seq),0)+1 FROM "
      "run_objects WHERE run_id=?1), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 "
      "WHERE EXISTS(SELECT 1 FROM runs WHERE run_id=?1)"));
  EP_RETURN_IF_ERROR(q.Bind(1, run_id).Bind(2, o.key).Bind(3, o.etag).Bind(4, o.status)
                         .Bind(5, o.rows_read).Bind(6, o.rows_loaded).Bind(7, o.rows_rejected)
                         .Bind(8, o.duration_ms).Bind(9, o.message).Run());
  if (db_->Changes() == 0) return Status::NotFound("no run " + run_id);
  return Status::Ok();
}

Status RunStore::Finish(const RunRecord& r) {
  EP_ASSIGN_OR_RETURN(SqliteStmt q, db_->Prepare(
      "UPDATE runs SET state=?, finished_at=?, duration_ms=?, rows_read=?, rows_loaded=?, "
      "rows_rejected=?, message=? WHERE run_id=?"));
  EP_RETURN_IF_ERROR(q.Bind(1, r.state).Bind(2, r.finished_at).Bind(3, r.duration_ms)
                         .Bind(4, r.rows_read).Bind(5, r.rows_loaded).Bind(6, r.rows_rejected)
                         .Bind(7, r.message).Bind(8, r.run_id).Run());
  if (db_->Changes() == 0) return Status::NotFound("no run " + r.run_id);
  return Status::Ok();
}

Result<std::vector<RunRecord>> RunStore::FailInterrupted(const std::string& message) {
  std::vector<RunRecord> out;
  // One transaction: a run that another process finishes meanwhile is not overwritten, and
  // the runs are either all marked or none.
  EP_RETURN_IF_ERROR(db_->Transaction([&]() -> Status {
    out.clear();
    {
      EP_ASSIGN_OR_RETURN(SqliteStmt q,
                          db_->Prepare(std::string("SELECT ") + kRunColumns +
                                       " FROM runs WHERE state IN ('STARTING','RUNNING') "
                                       "ORDER BY started_at, rowid"));
      while (true) {
        EP_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        out.push_back(ReadRun(q));
      }
    }
    for (RunRecord& r : out) {
      r.state = "FAILED";
      r.message = message;
      r.finished_at = FormatIsoMillis(NowMillis());
      EP_RETURN_IF_ERROR(Finish(r));
    }
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<ObjectResult>> RunStore::Objects(const std::string& run_id) {
  EP_ASSIGN_OR_RETURN(SqliteStmt q, db_->Prepare(
      "SELECT key, etag, status, rows_read, rows_loaded, rows_rejected, duration_ms, message "
      "FROM run_objects WHERE run_id=? ORDER BY seq"));
  q.Bind(1, run_id);
  std::vector<ObjectResult> out;
  while (true) {
    EP_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out.push_back({q.Text(0), q.Text(1), q.Text(2), q.Int(3), q.Int(4), q.Int(5), q.Int(6), q.Text(7)});
  }
  return out;
}

Result<std::vector<RunRecord>> RunStore::List(int limit, bool with_objects) {
  std::vector<RunRecord> out;
  {
    EP_ASSIGN_OR_RETURN(SqliteStmt q, db_->Prepare(std::string("SELECT ") + kRunColumns +
                                                   " FROM runs ORDER BY started_at DESC, rowid DESC LIMIT ?"));
    q.Bind(1, static_cast<int64_t>(limit));
    while (true) {
      EP_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      out.push_back(ReadRun(q));
    }
  }
  if (with_objects) {
    for (RunRecord& r : out) {
      EP_ASSIGN_OR_RETURN(r.objects, Objects(r.run_id));
    }
  }
  return out;
}

Result<std::optional<RunRecord>> RunStore::Get(const std::string& run_id) {
  std::optional<RunRecord> out;
  {
    EP_ASSIGN_OR_RETURN(SqliteStmt q, db_->Prepare(std::string("SELECT ") + kRunColumns +
                                                   " FROM runs WHERE run_id=?"));
    q.Bind(1, run_id);
    EP_ASSIGN_OR_RETURN(bool row, q.Step());
    if (row) out = ReadRun(q);
  }
  if (out) {
    EP_ASSIGN_OR_RETURN(out->objects, Objects(run_id));
  }
  return out;
}

}  // namespace ecompipe::runtime
