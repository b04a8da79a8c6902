#include "warehouse/loaded_copy.h"

#include <charconv>

namespace ecompipe::warehouse {
namespace {

// A SQL string literal: quotes doubled, so a key or an ETag never becomes SQL.
std::string Literal(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

int64_t Count(const std::optional<std::string>& cell) {
  int64_t n = 0;
  if (cell) std::from_chars(cell->data(), cell->data() + cell->size(), n);
  return n;
}

}  // namespace

Result<std::optional<LedgerEntry>> FindLoadedCopy(Warehouse& warehouse,
                                                  const storage::ObjectRef& object) {
  // Query() is the one ledger read both backends share; the values are literals, quoted.
  EP_ASSIGN_OR_RETURN(
      QueryResult q,
      warehouse.Query("SELECT key, run_id, rows_read, rows_loaded, rows_rejected FROM load_ledger "
                      "WHERE bucket = " +
                      Literal(object.bucket) + " AND etag = " + Literal(object.etag) +
                      " AND key <> " + Literal(object.key) +
                      " AND status = 'loaded' ORDER BY finished_at DESC, key LIMIT 1"));
  if (q.rows.empty()) return std::optional<LedgerEntry>();
  const auto& row = q.rows[0];
  LedgerEntry e;
  e.bucket = object.bucket;
  e.key = row[0].value_or("");
  e.etag = object.etag;
  e.status = LedgerStatus::kLoaded;
  e.run_id = row[1].value_or("");
  e.rows_read = Count(row[2]);
  e.rows_loaded = Count(row[3]);
  e.rows_rejected = Count(row[4]);
  return std::optional<LedgerEntry>(std::move(e));
}

}  // namespace ecompipe::warehouse
