#include "runtime/object_ledger.h"

#include <charconv>

namespace ecompipe::runtime {
namespace {

using warehouse::LedgerStatus;

std::string VersionIs(const storage::ObjectRef& o) {
  return "(bucket = " + SqlText(o.bucket) + " AND key = " + SqlText(o.key) +
         " AND etag = " + SqlText(o.etag) + ")";
}

// One statement per this many versions: the SQL stays small on every backend.
constexpr size_t kVersionsPerStatement = 200;

Result<int64_t> ForEachBatch(warehouse::Warehouse& warehouse,
                             const std::vector<storage::ObjectRef>& objects,
                             const std::string& head, const std::string& tail) {
  int64_t changed = 0;
  for (size_t i = 0; i < objects.size(); i += kVersionsPerStatement) {
    std::string any;
    for (size_t k = i; k < std::min(objects.size(), i + kVersionsPerStatement); ++k)
      any += (any.empty() ? "" : " OR ") + VersionIs(objects[k]);
    EP_ASSIGN_OR_RETURN(warehouse::QueryResult r,
                        warehouse.Query(head + " WHERE (" + any + ")" + tail, {.write = true}));
    changed += r.rows_changed;
  }
  return changed;
}

int64_t Int(const std::optional<std::string>& v) {
  int64_t n = 0;
  if (v) std::from_chars(v->data(), v->data() + v->size(), n);
  return n;
}

}  // namespace

std::string SqlText(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

bool LoadsAgain(const warehouse::LedgerEntry& entry, const std::string& job_hash) {
  switch (entry.status) {
    case LedgerStatus::kQueued:
    case LedgerStatus::kReplaced:
    case LedgerStatus::kDeleted:
      return true;
    case LedgerStatus::kFailed:
      return entry.job_hash != job_hash;
    case LedgerStatus::kLoaded:
    case LedgerStatus::kIgnored:
      return false;
  }
  return false;
}

Result<std::vector<LedgerRow>> ListLedger(warehouse::Warehouse& warehouse,
                                          const std::string& bucket, const LedgerFilter& filter) {
  std::string sql =
      "SELECT key, etag, status, COALESCE(job_hash, ''), COALESCE(run_id, ''), rows_read, "
      "rows_loaded, rows_rejected, COALESCE(message, ''), CAST(finished_at AS TEXT) "
      "FROM load_ledger WHERE bucket = " +
      SqlText(bucket);
  if (!filter.prefix.empty())
    sql +=
        " AND substr(key, 1, length(" + SqlText(filter.prefix) + ")) = " + SqlText(filter.prefix);
  if (filter.status)
    sql += " AND status = " + SqlText(std::string(warehouse::LedgerStatusName(*filter.status)));
  if (!filter.stale_for.empty())
    sql += " AND status = 'loaded' AND COALESCE(job_hash, '') <> " + SqlText(filter.stale_for);
  sql += " ORDER BY key, etag";
  EP_ASSIGN_OR_RETURN(warehouse::QueryResult q, warehouse.Query(sql));
  std::vector<LedgerRow> out;
  for (const auto& row : q.rows) {
    if (row.size() < 10) return Status::Internal("load_ledger listing has too few columns");
    LedgerRow r;
    r.key = row[0].value_or("");
    r.etag = row[1].value_or("");
    std::optional<LedgerStatus> status = warehouse::ParseLedgerStatus(row[2].value_or(""));
    if (!status)
      return Status::CorruptInput("load_ledger has an unknown status '" + row[2].value_or("") + "'")
          .At(r.key);
    r.status = *status;
    r.job_hash = row[3].value_or("");
    r.run_id = row[4].value_or("");
    r.rows_read = Int(row[5]);
    r.rows_loaded = Int(row[6]);
    r.rows_rejected = Int(row[7]);
    r.message = row[8].value_or("");
    r.finished_at = row[9].value_or("");
    out.push_back(std::move(r));
  }
  return out;
}

Result<int64_t> QueueReload(warehouse::Warehouse& warehouse,
                            const std::vector<storage::ObjectRef>& objects) {
  return ForEachBatch(warehouse, objects,
                      "UPDATE load_ledger SET status = 'queued', message = 'queued for a reload'",
                      " AND status IN ('loaded', 'failed', 'ignored', 'replaced')");
}

Result<int64_t> ForgetFailures(warehouse::Warehouse& warehouse, const std::string& bucket,
                               const std::vector<storage::ObjectRef>& objects) {
  if (objects.empty()) {
    EP_ASSIGN_OR_RETURN(std::vector<warehouse::QueryResult> r,
                        warehouse.QueryAll("DELETE FROM load_ledger WHERE bucket = " +
                                               SqlText(bucket) + " AND status = 'failed'",
                                           {.write = true}));
    return r.empty() ? 0 : r.back().rows_changed;
  }
  return ForEachBatch(warehouse, objects, "DELETE FROM load_ledger", " AND status = 'failed'");
}

Status RecordFailedJobHash(warehouse::Warehouse& warehouse, const storage::ObjectRef& object,
                           const std::string& job_hash) {
  return ForEachBatch(warehouse, {object}, "UPDATE load_ledger SET job_hash = " + SqlText(job_hash),
                      " AND status = 'failed'")
      .status();
}

}  // namespace ecompipe::runtime
