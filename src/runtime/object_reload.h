// Reload and retry: object versions loaded again with the job's current definition
// (`ecompipe reload`, `ecompipe retry`, and failed objects retried after a dimension lands).
//
// A reload queues the selected versions in the load ledger (status queued: runtime/
// object_ledger.h), then runs each job concerned (a run of kind "reload"). The job run loads
// every queued version of its table again; each load deletes every earlier fact and reject of
// the key and writes the new ones and the ledger row (with the current job hash) in one
// warehouse transaction, whatever on_reload says. So a reload is exactly-once per object: an
// object committed before an interruption (SIGINT, SIGKILL, a lost connection) is loaded and no
// longer queued; one in flight rolled back and stays queued. `ecompipe reload` with no
// selection resumes: it runs the jobs over what is still queued (any job run does too). Several
// workers share the queued objects through the job run's claims (runtime/work_claims.h).
//
// A reload whose load fails (the object is gone, or no longer passes the job's checks) leaves
// the key's earlier rows in place and marks the version failed, with the reason.
//
// Thread-safety: one thread at a time (the dispatcher, or a command).
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "catalog/catalog_store.h"
#include "runtime/config.h"
#include "runtime/job_runner.h"
#include "runtime/run_store.h"
#include "warehouse/warehouse.h"

namespace ecompipe::runtime {

struct ReloadSelection {
  std::vector<std::string> keys;  // exact keys
  std::string prefix;             // keys starting with this
  // Hive partition values, in key order: "year=2026/month=11" selects every object of those
  // partitions (and deeper ones: day=...).
  std::string partition;
  bool stale = false;    // loaded by another job definition than the current one
  bool dry_run = false;  // list what would be reloaded; queue and load nothing
  bool Empty() const { return keys.empty() && prefix.empty() && partition.empty() && !stale; }
};

struct ReloadTarget {
  std::string job;
  storage::ObjectRef object;
  std::string loaded_hash;  // the ledger's job hash ("" unknown or not loaded)
  std::string status;       // the ledger status, or "new" when it has no row
};

struct ReloadOutcome {
  std::vector<ReloadTarget> selected;  // what the selection named, in job then key order
  std::vector<std::string> unknown;    // keys given that no job's table holds
  int64_t queued = 0;                  // ledger rows queued by this call
  std::vector<RunRecord> runs;         // the job runs that loaded them
  bool stopped = false;
};

class ObjectReloader {
 public:
  struct Env {
    const PipelineConfig& config;
    warehouse::Warehouse& warehouse;
    catalog::CatalogStore& catalog;
    JobRunner& jobs;
  };
  explicit ObjectReloader(Env env) : env_(std::move(env)) {}

  // Queues the selected versions and runs their jobs (kind reload). An empty selection queues
  // nothing and runs every job (resuming an interrupted reload). Errors: the catalog's, the
  // warehouse's, or a job run's retryable error.
  Result<ReloadOutcome> Reload(const ReloadSelection& selection, const std::atomic<bool>& stop);

  // Forgets the failures of these keys' current versions (every failed object when `keys` is
  // empty) and runs the jobs, which load them again (kind reload).
  Result<ReloadOutcome> Retry(const std::vector<std::string>& keys, const std::atomic<bool>& stop);

 private:
  Result<ReloadOutcome> RunJobs(ReloadOutcome out, const std::atomic<bool>& stop);
  Env env_;
};

}  // namespace ecompipe::runtime
