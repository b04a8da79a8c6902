// JobRunner: runs a job over the new object versions of its catalog table (the start_job
// target), the way a Glue job run with job bookmarks does.
//
// A run lists the table's current object versions (catalog), skips those the warehouse's load
// ledger already holds, claims each other one (WorkClaims: a version held by another live
// worker is left to it), and loads it: the object is read from the store, transformed, and its
// facts, rejects and ledger row commit in one warehouse transaction, or none do. That
// transaction is what makes a load exactly-once; the claim only spreads the work. The run and
// its per-object results are recorded in the run store, and each state (STARTING, RUNNING, then
// SUCCEEDED, FAILED or STOPPED) is a Glue Job State Change event on the bus.
//
// Outcomes of one object: loaded; failed for good (the version cannot be read or transformed:
// recorded in the ledger as failed, so later runs do not retry it; the run fails); ignored
// (`on_reload: ignore` and an earlier version was loaded); skipped (another worker's load
// committed first). A retryable error (the store or the warehouse unreachable) rolls the
// object's load back, ends the run FAILED and is returned, so the job's start is retried and
// the next run loads the object. A stop request rolls the object in flight back and ends the
// run STOPPED. A loaded object that breaks the job's quality gate stays loaded; the run fails.
//
// The collaborators are passed in (Env) and owned by the caller, so tests drive the runner with
// in-memory and fault-injecting stores and no process around it.
//
// Thread-safety: one thread at a time (the dispatcher).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "catalog/catalog_store.h"
#include "common/status.h"
#include "events/event.h"
#include "events/event_bus.h"
#include "metrics/metrics.h"
#include "runtime/config.h"
#include "runtime/run_store.h"
#include "runtime/work_claims.h"
#include "storage/object_store.h"
#include "transform/dimensions.h"
#include "warehouse/warehouse.h"

namespace ecompipe::runtime {

// Fault injection for the crash tests: ECOMPIPE_TEST_BATCH_DELAY_MS (milliseconds) slows every
// fact batch of a load, and every batch of a reject replay, down, so that a test can kill the
// process while one is certainly in flight. 0 when unset; no other effect.
int TestBatchDelayMs();

class JobRunner {
 public:
  // The collaborators, owned by the caller and outliving the runner.
  struct Env {
    storage::ObjectStore& store;      // the bucket objects are read from
    warehouse::Warehouse& warehouse;  // facts, rejects, the load ledger, the dimensions
    catalog::CatalogStore& catalog;   // which object versions a table has, and their schemas
    RunStore& runs;                   // runs and their object results
    WorkClaims& claims;               // which worker loads which version
    events::EventBus& bus;            // where the job's state changes go
    events::Origin origin;
    metrics::Metrics* metrics = nullptr;  // counts loads and runs; null: not counted
  };
  explicit JobRunner(Env env) : env_(std::move(env)) {}

  // Runs `job` over the new object versions of its table; `triggers` is how many job starts
  // the run stands for. Returns the run in its final state, or nullopt when there was nothing
  // to load: then no run was recorded and no event emitted. kCancelled when `stop` came before
  // any object was claimed. When a retryable error ended the run FAILED, that error is returned
  // (the run and its events are recorded). Other errors are the run store's or the bus's.
  // Object versions the ledger holds are loaded again when LoadsAgain() says so
  // (runtime/object_ledger.h): a queued one replaces every earlier row of its key in its load's
  // transaction, whatever on_reload says. `kind` is the run's (kReload for `ecompipe reload`).
  Result<std::optional<RunRecord>> Run(const JobConfig& job, int triggers,
                                       const std::atomic<bool>& stop, RunKind kind = RunKind::kJob);

  // Marks the runs left unfinished FAILED with `message` (RunStore::FailInterrupted, which
  // `only_expired` is passed to) and emits their FAILED events; logs `log_line` with each.
  Status FailInterrupted(const std::string& message, bool only_expired, std::string_view log_line);
  // For each job with an object whose claim ran out (a worker died loading it) and that
  // `is_job` knows, appends a durable start of the job to the event log, then drops those
  // claims. Stops early when `stop` is set.
  Status StartAbandoned(const std::function<bool(const std::string&)>& is_job,
                        const std::atomic<bool>& stop);

  // Records the end of runs whose end could not be recorded when they ended (the state store
  // unwritable: a full disk): their final state in the run store, then their event, which is
  // what notifies. Called every dispatch round; the first error is returned and the rest wait.
  Status CloseLeftOver();

  // The dimensions a job reads, cached until a dimension changes. Without `need_rows` only
  // Dimensions::index is filled (the reference job's CSV path reads nothing else), which
  // holds a fraction of the memory of the full rows.
  Result<const transform::Dimensions*> Dimensions(bool need_rows);
  // Forgets the cached dimensions (a dimension changed); the next load reads them again.
  void InvalidateDimensions() { dims_.reset(); }

  int failed_runs() const { return failed_runs_; }
  int runs_finished() const { return runs_finished_; }

 private:
  // `queued`: the ledger row asks for a reload (replace, never ignore). `job_hash` goes to the
  // ledger with the load.
  Result<ObjectResult> LoadObject(const JobConfig& job, const catalog::CatalogObject& object,
                                  const std::string& run_id, const std::atomic<bool>& stop,
                                  const std::string& job_hash, bool queued);
  Status EmitJobState(const RunRecord& run, RunState state, const std::string& message);
  // Tells env_.metrics what became of one object (loaded or failed; the rest are not counted).
  void CountObject(const std::string& job, const storage::ObjectRef& object, const ObjectResult& r);
  // Stores the run's end (unless `stored`) and emits its final event; what fails is kept in
  // left_over_ for CloseLeftOver (`retry`: it was there already, and was logged).
  Status Close(const RunRecord& run, bool stored, bool retry);

  Env env_;
  std::optional<transform::Dimensions> dims_;  // cached until a dimension changes
  bool dims_have_rows_ = false;                // dims_ holds the rows, not only the index
  int failed_runs_ = 0;
  int runs_finished_ = 0;
  struct LeftOver {
    RunRecord run;
    bool stored = false;  // its end is in the run store; the event is what is missing
  };
  std::vector<LeftOver> left_over_;
};

}  // namespace ecompipe::runtime
