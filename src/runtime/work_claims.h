// Object claims: which worker loads which object version, when several `ecompipe serve`
// workers share one state store (table `object_claims`).
//
// A job run claims each object version before loading it. A claim is a row keyed by (bucket,
// key, etag) holding the worker and a lease; claiming is one INSERT … ON CONFLICT DO UPDATE
// that takes the row only when it is free, its lease ran out, or this worker holds it already,
// so two workers never hold one object at once (PostgreSQL's row lock on the conflicting key
// orders racing claimers; SQLite has one writer). The holder renews the lease while it loads
// (LeaseKeeper) and deletes the claim once the object's ledger row committed (or the load
// gave up). A claim whose lease ran out is work a dead worker left behind: AbandonedJobs()
// names the jobs that have such objects; the pipeline queues a start of each such job, and
// whichever worker runs it takes them.
//
// The claim only spreads the work; exactly-once comes from the warehouse's load ledger, which
// commits with the facts. Two workers that both believe they hold an object (a lease that ran
// out under a stalled worker) both load it, and the second commit finds the ledger row.
//
// Thread-safety: one WorkClaims per thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/sql_db.h"
#include "common/worker_lease.h"
#include "storage/object_store.h"

namespace ecompipe::runtime {

class WorkClaims {
 public:
  // `location`: an SQLite file path or a PostgreSQL URL (see OpenSqlDb).
  static Result<std::unique_ptr<WorkClaims>> Open(const std::string& location, WorkerLease lease);

  // True when this worker now holds `object` (for `job`) until now + lease; false when another
  // worker holds it under a live lease.
  Result<bool> TryClaim(const std::string& job, const storage::ObjectRef& object);
  // Deletes this worker's claim on `object` (no-op when it holds none).
  Status Release(const storage::ObjectRef& object);
  // Jobs that have an object whose claim's lease ran out, by name.
  Result<std::vector<std::string>> AbandonedJobs();
  // Deletes the claims of `job` whose lease ran out (once a start of the job is queued).
  Status DropAbandoned(const std::string& job);
  // Frees every claim of every worker, on deliveries, notifications and objects. Only for a
  // process that holds the pipeline lock (SQLite): no other worker can be alive then.
  Status ReleaseAll();
  // The worker holding `object`, or "" when nobody does.
  Result<std::string> Holder(const storage::ObjectRef& object);

  const WorkerLease& lease() const { return lease_; }

 private:
  WorkClaims(std::unique_ptr<SqlDb> db, WorkerLease lease)
      : db_(std::move(db)), lease_(std::move(lease)) {}
  std::unique_ptr<SqlDb> db_;
  WorkerLease lease_;
};

}  // namespace ecompipe::runtime
