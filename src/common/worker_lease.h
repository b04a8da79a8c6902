// Who this process is among the workers that share one state store, and how long its claims
// on work (deliveries, notifications, objects to load, runs) last without renewal.
//
// A worker renews every claim it holds well before the lease ends (runtime::LeaseKeeper); a
// worker that dies stops renewing, and its claims fall to the others when the lease runs out.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/sql_db.h"

namespace ecompipe {

struct WorkerLease {
  std::string worker_id = NewWorkerIdOnce();
  int64_t lease_ms = 30'000;

  // "<host>:<pid>:<random>", made once per process.
  static const std::string& NewWorkerIdOnce();
};

// A queue table whose rows a worker claims under a lease before working on them: it has the
// columns id, status ('pending' until done), next_attempt_ms, claimed_by and lease_until.
struct DueRowsClaim {
  std::string_view table;
  std::string_view order_by;  // the order rows are taken in, e.g. "id"
  int64_t due_ms;             // rows whose next_attempt_ms <= due_ms are due
  int64_t now_ms;             // leases that end at or before now_ms have run out
  int64_t limit;
};

// Claims, for `lease.worker_id` until claim.now_ms + lease.lease_ms, up to claim.limit due
// pending rows that nobody holds under a live lease (or that this worker holds already), in
// one statement, and returns their ids. Run it in SqlDb::ConcurrentTransaction: on PostgreSQL
// SKIP LOCKED makes concurrent claimers take disjoint rows instead of queueing behind each
// other; SQLite has one writer anyway.
Result<SqlRows> ClaimDueRows(SqlDb& db, const WorkerLease& lease, const DueRowsClaim& claim);

}  // namespace ecompipe
