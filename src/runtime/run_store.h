// Job runs and their per-object results, in the state database (tables `runs` and
// `run_objects`), SQLite or PostgreSQL. What `ecompipe runs` and `status` show. Each run
// carries the worker running it and a lease that worker renews (runtime::LeaseKeeper); a run
// whose lease ran out was left by a worker that died.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/sql_db.h"
#include "common/worker_lease.h"
#include "events/event.h"

namespace ecompipe::runtime {

// A job run's state (events/event.h: the Glue Job State Change event's vocabulary, which the
// notifier reads too).
using events::ParseRunState;
using events::RunState;
using events::RunStateName;

// What became of one object version in a run (run_objects.status, `ecompipe runs`).
enum class ObjectStatus {
  kLoaded,   // its rows committed
  kFailed,   // it cannot be loaded; recorded in the ledger so runs do not retry it
  kSkipped,  // another worker's load of it committed first
  kIgnored,  // on_reload: ignore, and an earlier version of its key was loaded
};
std::string_view ObjectStatusName(ObjectStatus status);                // "loaded", "failed", ...
std::optional<ObjectStatus> ParseObjectStatus(std::string_view name);  // exact

struct ObjectResult {
  std::string key;
  std::string etag;
  ObjectStatus status = ObjectStatus::kLoaded;
  int64_t rows_read = 0, rows_loaded = 0, rows_rejected = 0;
  int64_t duration_ms = 0;
  std::string message;
  std::map<std::string, int64_t> reject_reasons;  // reason code -> rows (not stored)
  // Rejects beyond the job's reject limits: counted in rows_rejected and reject_reasons, not
  // kept in the warehouse's rejects table; `message` says so (not stored itself).
  int64_t rejects_not_stored = 0;
};

// What a run did (runs.kind): a job run over new objects, a reload of objects queued by
// `ecompipe reload` or `retry`, a replay of rejects, or the removal of deleted objects' rows.
enum class RunKind { kJob, kReload, kReplay, kDelete };
std::string_view RunKindName(RunKind kind);                  // "job", "reload", "replay", "delete"
std::optional<RunKind> ParseRunKind(std::string_view name);  // exact

struct RunRecord {
  std::string run_id;
  std::string job;
  RunKind kind = RunKind::kJob;
  RunState state = RunState::kStarting;
  std::string started_at;
  std::string finished_at;
  int64_t duration_ms = 0;
  int triggers = 0;  // job-start deliveries coalesced into this run
  int64_t rows_read = 0, rows_loaded = 0, rows_rejected = 0;
  std::string message;
  std::string error;  // FAILED: the cause alone, for the event's errorMessage (not stored)
  std::vector<ObjectResult> objects;
};

// Which runs List() returns, most recent first.
struct RunFilter {
  int limit = 50;
  std::string job;                // "" any
  std::optional<RunState> state;  // nullopt any
  std::string since;              // runs started at or after this RFC 3339 time; "" any
  std::string cursor;             // a page's next_cursor: the runs after it; "" from the newest
  bool with_objects = false;
};
struct RunPage {
  std::vector<RunRecord> runs;
  std::string next_cursor;  // "" when no run follows
};

class RunStore {
 public:
  // `location`: an SQLite file path or a PostgreSQL URL (see OpenSqlDb).
  static Result<std::unique_ptr<RunStore>> Open(const std::string& location,
                                                WorkerLease lease = {});

  // Records a new run (its id, job, state, started_at and triggers); kAlreadyExists when a
  // run with that id is recorded.
  Status Start(const RunRecord& run);
  // SetState, AddObject and Finish return kNotFound when no run `run_id` was started.
  Status SetState(const std::string& run_id, RunState state);
  // Appends one object result; results keep the order they were added in.
  Status AddObject(const std::string& run_id, const ObjectResult& object);
  // Stores the final state, finished_at, duration, row counts and message.
  Status Finish(const RunRecord& run);
  // Runs left STARTING/RUNNING by a process that died; they are marked FAILED and returned.
  // With `only_expired`, only runs whose worker's lease ran out (several workers share the
  // store); without it, every unfinished run (one process holds the pipeline lock).
  Result<std::vector<RunRecord>> FailInterrupted(const std::string& message,
                                                 bool only_expired = false);
  // Reading a row whose state or status is not one of the names above is kCorruptInput.
  // Most recent first; with `with_objects`, each run's object results too.
  Result<std::vector<RunRecord>> List(int limit, bool with_objects);
  // The runs `filter` selects, a page at a time (cursor pagination: stable while runs are
  // added). Reads the started_at index, never the whole table. kInvalidArgument for a cursor
  // this store did not give.
  Result<RunPage> List(const RunFilter& filter);
  Result<std::optional<RunRecord>> Get(const std::string& run_id);
  // The full id of the run `id_or_prefix` names: the id itself or a unique prefix of one (as
  // `ecompipe runs` prints it, "jr_dec2227b6087"). kNotFound when no run matches;
  // kInvalidArgument naming the candidates when several do.
  Result<std::string> ResolveId(const std::string& id_or_prefix);

 private:
  RunStore(std::unique_ptr<SqlDb> db, WorkerLease lease)
      : db_(std::move(db)), lease_(std::move(lease)) {}
  Result<std::vector<ObjectResult>> Objects(const std::string& run_id);
  std::unique_ptr<SqlDb> db_;
  WorkerLease lease_;
};

}  // namespace ecompipe::runtime
