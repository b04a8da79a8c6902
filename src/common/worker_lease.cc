#include "common/worker_lease.h"

#include <unistd.h>

#include "common/ids.h"

namespace ecompipe {

const std::string& WorkerLease::NewWorkerIdOnce() {
  static const std::string id = [] {
    char host[256] = {};
    if (::gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
    return std::string(host[0] ? host : "localhost") + ":" + std::to_string(::getpid()) + ":" +
           NewHex(4);
  }();
  return id;
}

Result<SqlRows> ClaimDueRows(SqlDb& db, const WorkerLease& lease, const DueRowsClaim& claim) {
  // The table and order come from code, never from input, so they are safe in the SQL text.
  const std::string table(claim.table);
  return db.Query(
      "UPDATE " + table +
          " SET claimed_by = ?1, lease_until = ?2 WHERE id IN ("
          " SELECT id FROM " +
          table +
          " WHERE status = 'pending' AND next_attempt_ms <= ?3"
          " AND (lease_until IS NULL OR lease_until <= ?4 OR claimed_by = ?1)"
          " ORDER BY " +
          std::string(claim.order_by) + " LIMIT ?5" + std::string(db.ForUpdateSkipLocked()) +
          ") RETURNING id",
      {lease.worker_id, claim.now_ms + lease.lease_ms, claim.due_ms, claim.now_ms, claim.limit});
}

}  // namespace ecompipe
