// The load ledger as the after-the-fact actions see it: listing it (`ecompipe objects`),
// queueing object versions for a reload, forgetting failures so that they are tried again,
// and which ledger rows a job run loads again.
//
// These are plain statements on load_ledger, the same on every warehouse backend (SQLite,
// PostgreSQL, Redshift), run through Warehouse::Query; each is one statement, so each commits
// whole. What must commit with rows (a load, a replay, a removal) is the warehouse's own
// transaction, not this file's.
//
// Thread-safety: as the Warehouse passed in (one thread at a time).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "storage/object_store.h"
#include "warehouse/warehouse.h"

namespace ecompipe::runtime {

// True when a job run must load this ledger row's object version (again): it was queued for a
// reload, failed under another job definition than `job_hash` (or before hashes were
// recorded), was replaced by another version that has since gone, or was removed after a
// deletion and has landed again.
bool LoadsAgain(const warehouse::LedgerEntry& entry, const std::string& job_hash);

// One row of load_ledger, as `ecompipe objects` prints it.
struct LedgerRow {
  std::string key, etag;
  warehouse::LedgerStatus status = warehouse::LedgerStatus::kLoaded;
  std::string job_hash;  // "" when none was recorded
  std::string run_id;
  int64_t rows_read = 0, rows_loaded = 0, rows_rejected = 0;
  std::string message;
  std::string finished_at;
};

struct LedgerFilter {
  std::string prefix;                             // keys starting with this
  std::optional<warehouse::LedgerStatus> status;  // only this status
  std::string stale_for;                          // only loaded rows whose job_hash differs
};

// The ledger rows of `bucket` that `filter` selects, by key then ETag.
Result<std::vector<LedgerRow>> ListLedger(warehouse::Warehouse& warehouse,
                                          const std::string& bucket, const LedgerFilter& filter);

// Marks these loaded (or failed, ignored, replaced) object versions queued for a reload; returns
// how many rows changed. The rows stay until the reload's load of each commits.
Result<int64_t> QueueReload(warehouse::Warehouse& warehouse,
                            const std::vector<storage::ObjectRef>& objects);

// Deletes the failed ledger rows of these versions (all failed rows of `bucket` when `objects`
// is empty), so that the next job run tries them again; returns how many.
Result<int64_t> ForgetFailures(warehouse::Warehouse& warehouse, const std::string& bucket,
                               const std::vector<storage::ObjectRef>& objects);

// Records `job_hash` on the ledger row of a failed version (RecordSkipped writes none), so that
// a new job definition tries it again (LoadsAgain).
Status RecordFailedJobHash(warehouse::Warehouse& warehouse, const storage::ObjectRef& object,
                           const std::string& job_hash);

// `text` as an SQL string literal, quotes doubled (no user text ever becomes SQL).
std::string SqlText(const std::string& text);

}  // namespace ecompipe::runtime
