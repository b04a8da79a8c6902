// Warehouse: the star schema the job loads (dim_products, dim_customers,
// fact_transactions, rejects) and the load ledger that makes loads exactly-once.
//
// The ledger is keyed by (bucket, key, etag), like Glue job bookmarks: an object version is
// loaded once. A load's facts, rejects and ledger row commit in one transaction, or none do.
// Backends: SQLite (warehouse/sqlite/), PostgreSQL and Redshift (warehouse/postgres/).
//
// Thread-safety: a Warehouse is used from one thread at a time; open one per thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "model/dimension_builder.h"
#include "model/records.h"
#include "storage/object_store.h"
#include "warehouse/reject_budget.h"

namespace ecompipe::warehouse {

// What happens when a key that was already loaded arrives with a new ETag.
enum class ReloadMode {
  kReplace,  // the new version's rows replace the earlier version's, in the same transaction
  kAppend,   // both versions' rows stay (repeated transaction ids are rejected as duplicates)
  kIgnore,   // the new version is recorded in the ledger as ignored and not loaded
};
// "replace" | "append" | "ignore"; anything else is kInvalidArgument listing the choices.
Result<ReloadMode> ParseReloadMode(const std::string& text);

// A fact row as a CSV record (RFC 4180 quoting): the reference job's 8 input fields in the
// reference file's column order, or a configured job's output values. The raw text a backend
// keeps for a fact it turns into a reject (e.g. a duplicate transaction id).
std::string FactAsCsv(const model::FactRow& fact);
// The inverse of ParseReloadMode: "replace", "append", "ignore".
std::string_view ReloadModeName(ReloadMode mode);

// A load ledger row's status (load_ledger.status).
enum class LedgerStatus {
  kLoaded,   // its facts and rejects committed with the row
  kFailed,   // it cannot be loaded (RecordSkipped); runs do not retry it
  kIgnored,  // on_reload: ignore, and an earlier version of its key was loaded (RecordSkipped)
  // A later version's load replaced its rows (on_reload: replace, or a reload of the key).
  kReplaced,
  // Asked to be loaded again (QueueReload): its rows stay until the next load of it commits,
  // which replaces every earlier row of its key in the same transaction.
  kQueued,
  // The object was deleted from the bucket and its job said on_delete: remove; its rows are
  // gone (RemoveObject).
  kDeleted,
};
// "loaded", "failed", "ignored", "replaced", "queued", "deleted"
std::string_view LedgerStatusName(LedgerStatus status);
std::optional<LedgerStatus> ParseLedgerStatus(std::string_view name);  // exact

struct LedgerEntry {
  std::string bucket, key, etag;
  LedgerStatus status = LedgerStatus::kLoaded;
  std::string load_id;
  std::string run_id;
  int64_t rows_read = 0, rows_loaded = 0, rows_rejected = 0;
  std::string message;  // why it failed, or empty
  int64_t finished_ms = 0;
  // The hash of the job definition that loaded it (LoadTransaction::SetJobHash); empty when it
  // was loaded before the ledger recorded one.
  std::string job_hash;
};

struct LoadCounts {
  int64_t rows_loaded = 0;
  int64_t rows_rejected = 0;  // includes rows the warehouse turned into duplicate rejects
  // Of rows_rejected, those beyond the load's RejectLimits: counted, not stored in `rejects`.
  int64_t rejects_not_stored = 0;
  std::map<std::string, int64_t, std::less<>> not_stored_reasons;  // reason code -> rows
  std::string rejects_note;  // RejectBudget::Summary(), also the ledger row's message
};

// One object's load in flight. Destroying it without Commit() rolls everything back.
class LoadTransaction {
 public:
  virtual ~LoadTransaction() = default;
  // Bounds what this load stores of its rejects (reject_budget.h): beyond the limits they are
  // counted by reason (LoadCounts), not stored. Call before the first row; without a call the
  // defaults of RejectLimits apply.
  virtual void LimitRejects(const RejectLimits& limits) { rejects_budget_ = RejectBudget(limits); }
  // The hash of the job definition doing this load, written to the ledger row by Commit().
  void SetJobHash(std::string hash) { job_hash_ = std::move(hash); }
  // A replay only (Warehouse::BeginReplay): deletes the rejects `ids` of this object version in
  // this transaction and returns how many there were (fewer when another replay took some
  // first: the caller rolls back and selects again). Commit() then expects
  // rows_read == ids removed. Others fail with kInvalidArgument.
  virtual Result<int64_t> RemoveRejects(std::span<const int64_t> ids);
  // Inserts facts. A transaction_id already in fact_transactions becomes a reject
  // (duplicate_transaction_id) instead; `facts` may be consumed.
  virtual Status AddFacts(std::vector<model::FactRow>& facts) = 0;
  virtual Status AddRejects(std::vector<model::RejectRow>& rejects) = 0;
  // Declares the columns of the facts that follow, for a job whose JobSpec is not the
  // reference's: such facts carry their values in FactRow::values, one per column, in this
  // order. Call once, before AddFacts; Warehouse::EnsureFactColumns must have accepted the
  // same columns. The default fails with kInvalidArgument: the backend stores the reference
  // fact row only.
  virtual Status UseFactColumns(std::span<const model::OutputColumn> columns);
  // Writes the ledger row and commits. Fails with kInternal, rolling back, when
  // rows_read != loaded + rejected (stored or not).
  virtual Result<LoadCounts> Commit(int64_t rows_read) = 0;

 protected:
  // The counts for Commit(): the rows, and what the budget did not store.
  LoadCounts Counts(int64_t rows_loaded, int64_t rows_rejected) const;

  RejectBudget rejects_budget_;  // every backend asks it before storing a reject
  std::string job_hash_;         // SetJobHash
};

// What kind of value a query returned, so that output can print numbers as numbers.
enum class ValueKind : uint8_t {
  kNull,
  kInteger,  // text of an integer ("-12")
  kReal,     // binary floating point, in the shortest text that reads back as the same double
  kDecimal,  // an exact decimal as the database stored it ("129.90"); "NaN" is possible
  kBoolean,  // "t" or "f" (PostgreSQL's text form)
  kText,
  kBlob,  // "\x" and two hex digits per byte
};

// One statement's result.
struct QueryResult {
  std::vector<std::string> columns;  // empty for a statement that returns no rows (DELETE, SET)
  std::vector<std::vector<std::optional<std::string>>> rows;  // NULL = nullopt
  std::vector<std::vector<ValueKind>> kinds;                  // the same shape as `rows`
  int64_t rows_changed = 0;  // rows an INSERT/UPDATE/DELETE changed; 0 for others
};

// How Warehouse::Query runs SQL it did not write itself (`ecompipe query`).
struct QueryOptions {
  // false (the default): read-only. Nothing the SQL does changes the warehouse: SQLite runs it
  // on a read-only connection with an authorizer that refuses writes, ATTACH, VACUUM INTO and
  // pragmas that set values; PostgreSQL runs it in one READ ONLY transaction that is always
  // rolled back (query_statements.h says what else is refused). Refusals are kInvalidArgument
  // naming the statement.
  // true: the statements may change the warehouse; each commits on its own unless the SQL
  // opens its own transaction. ATTACH, VACUUM INTO, extension loading and server file access
  // stay refused.
  bool write = false;
};

// What `ecompipe status` shows of a warehouse.
struct WarehouseTotals {
  // Running totals (table warehouse_totals), kept by each load in its own transaction: what it
  // inserted, less what its replace deleted. Reading them costs the same at any size.
  int64_t fact_rows = 0;
  int64_t reject_rows = 0;
  int64_t total_amount_cents = 0;  // sum of fact_transactions.total_amount, exact
  // Counted when asked: a dimension is as large as its file, the ledger one row per object.
  int64_t products = 0, customers = 0;
  int64_t objects_loaded = 0, objects_failed = 0;
};
// The one SELECT both backends answer Totals() with, and its row turned into WarehouseTotals
// (kInternal when warehouse_totals has no row: EnsureSchema() fills it).
std::string_view TotalsSql();
Result<WarehouseTotals> ParseTotals(const QueryResult& result);

class Warehouse {
 public:
  virtual ~Warehouse() = default;

  // Creates tables and indexes that do not exist yet. Idempotent.
  virtual Status EnsureSchema() = 0;
  // Makes fact_transactions able to hold `columns` (a configured job's output; see
  // model/records.h), after EnsureSchema(). Idempotent. The reference job's columns
  // always succeed; for others the default fails with kInvalidArgument naming the backend's
  // limit, so that a pipeline refuses to start rather than fail its first load.
  virtual Status EnsureFactColumns(std::span<const model::OutputColumn> columns);

  // The ledger entry for this exact object version, if any; kCorruptInput when its row's status
  // is not one LedgerStatusName() writes.
  virtual Result<std::optional<LedgerEntry>> FindLoad(const storage::ObjectRef& object) = 0;
  // True when another version (another ETag) of this key was loaded.
  virtual Result<bool> HasOtherVersion(const storage::ObjectRef& object) = 0;

  // Starts loading `object`. With kReplace, rows of earlier versions of the key are deleted
  // inside this same transaction.
  virtual Result<std::unique_ptr<LoadTransaction>> BeginLoad(const storage::ObjectRef& object,
                                                             const std::string& load_id,
                                                             const std::string& run_id,
                                                             ReloadMode mode) = 0;
  // Records a version that will not be loaded (status kFailed or kIgnored; kLoaded is
  // kInvalidArgument) so that runs do not retry it; a new ETag of the key is loaded as usual.
  virtual Status RecordSkipped(const storage::ObjectRef& object, const std::string& run_id,
                               LedgerStatus status, const std::string& message) = 0;

  // Replays rejected rows of a loaded object version (runtime/reject_replay.h): the returned
  // transaction takes the rejects out (LoadTransaction::RemoveRejects) and the facts and
  // rejects they became in; Commit(rows_read = rejects removed) adds them to the version's
  // ledger row's counts (rows_read unchanged) instead of writing a new row. Facts and rejects
  // carry the object's key and ETag and `load_id`. kNotFound when the version's
  // ledger row is not loaded. The default: kInvalidArgument (the backend cannot replay).
  virtual Result<std::unique_ptr<LoadTransaction>> BeginReplay(const storage::ObjectRef& object,
                                                               const std::string& load_id,
                                                               const std::string& run_id);
  // Deletes every fact and reject of `object.key` (every version) and marks its ledger rows
  // kDeleted with `message`, in one transaction; returns {facts, rejects} removed. The ETag
  // is not consulted. The default: kInvalidArgument.
  virtual Result<std::pair<int64_t, int64_t>> RemoveObject(const storage::ObjectRef& object,
                                                           const std::string& run_id,
                                                           const std::string& message);

  virtual Status UpsertProducts(std::span<const model::Product> rows) = 0;
  virtual Status UpsertCustomers(std::span<const model::Customer> rows) = 0;
  // Reads every row of dim_products and dim_customers into `out`. On error `out` may hold
  // part of the rows; the caller drops it.
  virtual Status LoadDimensions(model::DimensionBuilder& out) = 0;
  // Reads only the ids and the attributes the reference job's CSV path joins in (email;
  // product name, supplier) into `out`, then seals it (its error gets this warehouse as its
  // place): without the full rows that LoadDimensions() reads (for 1M customers about 70 MiB
  // instead of about 300 in the job's index). The default reads them through LoadDimensions().
  virtual Status LoadDimensionIndex(model::DimensionIndexBuilder& out);

  // The figures of WarehouseTotals in one read of the running totals plus the dimension and
  // ledger counts (no scan of the facts or rejects).
  virtual Result<WarehouseTotals> Totals() = 0;

  // Runs the statements of `sql` in order and returns each one's result, in order (a
  // statement without result columns included, with no columns). Read-only unless
  // `options.write` (see QueryOptions). Stops at the first failing statement: the error names
  // it ("statement 2: ..."); in read-only mode nothing has changed, with `write` the
  // statements before it have committed. A transaction the SQL leaves open is rolled back.
  // On PostgreSQL, settings made with SET/RESET stay on the connection for later calls (as in
  // psql), even in read-only mode; SQLite has none.
  virtual Result<std::vector<QueryResult>> QueryAll(const std::string& sql,
                                                    const QueryOptions& options) = 0;
  // QueryAll's last result that has columns (or an empty one): for SQL with one SELECT.
  Result<QueryResult> Query(const std::string& sql, const QueryOptions& options = {});
};

}  // namespace ecompipe::warehouse
