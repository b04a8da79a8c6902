// SqliteWarehouse: the embedded warehouse, one SQLite file holding the star schema
// (dim_products, dim_customers, fact_transactions), the rejects and the load ledger.
//
// Durability: the file runs in WAL mode with synchronous=NORMAL. A committed load survives a
// crash of the process; after a power loss or OS crash the most recent commits may be
// rolled back, but always whole (facts, rejects and ledger row together), so the next run
// simply loads those objects again. Several processes may open the same file: loads
// serialize on SQLite's write lock (waiting up to busy_timeout_ms, then kUnavailable).
//
// Ownership: a LoadTransaction from BeginLoad() borrows the warehouse's connection; the
// warehouse must outlive it. One load at a time per connection: while it is open, BeginLoad,
// EnsureSchema, RecordSkipped, the upserts and queries fail with kInternal, and the read calls
// see its uncommitted rows.
//
// Thread-safety: one thread at a time (see warehouse.h); open one per thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "warehouse/warehouse.h"

struct sqlite3;
struct sqlite3_stmt;

namespace ecompipe::warehouse {

struct SqliteWarehouseOptions {
  // How long a writer waits for another connection's write lock before kUnavailable.
  int busy_timeout_ms = 30'000;
};

class SqliteWarehouse final : public Warehouse {
 public:
  // The schema version EnsureSchema() writes to PRAGMA user_version.
  // 2: facts in fact_transactions_data with a load_ref into `loads`; fact_transactions is
  // a view that adds the lineage columns.
  // 3: money as integer cents (price_cents, total_amount_cents; dim_products.price_cents
  // beside a REAL price), shown by the view as numeric price and total_amount; running
  // totals in warehouse_totals.
  // Files of versions 1 and 2 are migrated by EnsureSchema().
  static constexpr int kSchemaVersion = 3;

  // Opens (creating if needed) the database file at `path`, in WAL mode. Does not create
  // tables: call EnsureSchema(). Errors: kIoError when the file cannot be opened or created,
  // kCorruptInput when it is not a SQLite database, kUnavailable when it is locked.
  static Result<std::unique_ptr<SqliteWarehouse>> Open(const std::string& path);
  static Result<std::unique_ptr<SqliteWarehouse>> Open(const std::string& path,
                                                       const SqliteWarehouseOptions& options);

  ~SqliteWarehouse() override;
  SqliteWarehouse(const SqliteWarehouse&) = delete;
  SqliteWarehouse& operator=(const SqliteWarehouse&) = delete;

  // Creates missing tables, indexes and the fact_transactions view in one transaction, and
  // migrates a version 1 or 2 file (the fact rows and dim_products are copied once, money
  // turned into cents, in the same transaction: a failure leaves the file as it was; on a big
  // warehouse this first open takes as long as copying the facts). Fills warehouse_totals from
  // the tables when it has no row. Fails with kInvalidArgument when the file was written by a
  // newer ecompipe (user_version > kSchemaVersion).
  Status EnsureSchema() override;
  // Adds the columns of `columns` that fact_transactions lacks to fact_transactions_data
  // (INTEGER for integer columns, TEXT otherwise, as the reference columns are) and to the
  // view, in one transaction. Existing columns are
  // kept whatever their declared type; a configured job leaves the columns it does not
  // output NULL. A column named price or total_amount goes to its cents column and must be
  // an integer or a decimal of scale <= 2 (else kInvalidArgument).
  Status EnsureFactColumns(std::span<const model::OutputColumn> columns) override;

  Result<std::optional<LedgerEntry>> FindLoad(const storage::ObjectRef& object) override;
  Result<bool> HasOtherVersion(const storage::ObjectRef& object) override;

  // Takes the write lock (BEGIN IMMEDIATE) and, with kReplace, deletes the facts and
  // rejects of other versions of the key; their ledger rows become status "replaced" when
  // the load commits. kIgnore loads like kAppend: deciding to skip a new version
  // (HasOtherVersion + RecordSkipped) is the caller's part. Returns kAlreadyExists when the
  // ledger, read under the lock, already holds this version as "loaded" (another worker
  // won the race); callers treat that as success. kUnavailable when the lock stays busy.
  Result<std::unique_ptr<LoadTransaction>> BeginLoad(const storage::ObjectRef& object,
                                                     const std::string& load_id,
                                                     const std::string& run_id,
                                                     ReloadMode mode) override;
  // `status` is "failed" or "ignored" (else kInvalidArgument). Never overwrites a "loaded"
  // ledger row: that is kAlreadyExists.
  Status RecordSkipped(const storage::ObjectRef& object, const std::string& run_id,
                       LedgerStatus status, const std::string& message) override;
  // Under the write lock, as BeginLoad.
  Result<std::unique_ptr<LoadTransaction>> BeginReplay(const storage::ObjectRef& object,
                                                       const std::string& load_id,
                                                       const std::string& run_id) override;
  Result<std::pair<int64_t, int64_t>> RemoveObject(const storage::ObjectRef& object,
                                                   const std::string& run_id,
                                                   const std::string& message) override;

  // Insert-or-update by id, all rows in one transaction. updated_at changes only on rows
  // whose values changed.
  Status UpsertProducts(std::span<const model::Product> rows) override;
  Status UpsertCustomers(std::span<const model::Customer> rows) override;
  // Both dimension tables; prices are parsed back exactly. kCorruptInput names a row whose
  // stored price is not a decimal with 2 decimals.
  Status LoadDimensions(model::DimensionBuilder& out) override;
  // Built straight from the two tables' columns, without the full rows (kCorruptInput never:
  // the primary keys are unique).
  Status LoadDimensionIndex(model::DimensionIndexBuilder& out) override;

  // Reads warehouse_totals and counts the dimensions and the ledger (no fact or reject scan).
  Result<WarehouseTotals> Totals() override;

  // Read-only (the default): the statements run on a second connection opened read-only
  // (SQLITE_OPEN_READONLY, defensive) with an authorizer that refuses every write, ATTACH (and
  // with it VACUUM INTO), load_extension() and any pragma but the reading ones; for an
  // in-memory database, on the warehouse's connection with query_only set. With `write`, on
  // the warehouse's connection; ATTACH of a file, VACUUM INTO and load_extension() stay
  // refused. Values: INTEGER as SQLite prints it, REAL in the shortest text that reads back as
  // the same double (129.99, never 129.990000000000002), BLOB as \x and hex. SQL errors are
  // kInvalidArgument with SQLite's message and the statement's number; refusals say "refused".
  using Warehouse::Query;
  Result<std::vector<QueryResult>> QueryAll(const std::string& sql,
                                            const QueryOptions& options) override;
  // As Query(); `params` bind to ?1..?N of every statement that has parameters
  // (kInvalidArgument when a statement has more parameters than `params`).
  Result<std::vector<QueryResult>> QueryAllWithParams(const std::string& sql,
                                                      const std::vector<std::string>& params,
                                                      const QueryOptions& options = {});
  Result<QueryResult> QueryWithParams(const std::string& sql,
                                      const std::vector<std::string>& params,
                                      const QueryOptions& options = {});

  const std::string& path() const { return path_; }

 private:
  struct PassKey {
    explicit PassKey() = default;
  };

 public:
  SqliteWarehouse(PassKey, std::string path, sqlite3* db);  // use Open()

 private:
  friend class SqliteLoadTransaction;
  struct StatementDeleter {
    void operator()(sqlite3_stmt* stmt) const;
  };
  struct ConnectionDeleter {
    void operator()(sqlite3* db) const;
  };
  using StatementPtr = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

  // A prepared statement for `sql`, prepared once and reused; reset and unbound by the
  // caller (StatementScope) after use.
  Result<sqlite3_stmt*> Prepared(std::string_view sql);
  // Runs SQL without results (pragmas, BEGIN/COMMIT, DDL).
  Status Exec(const char* sql, std::string_view operation);
  // A Status for SQLite result code `rc`, naming `operation` and SQLite's message.
  Status Error(int rc, std::string_view operation) const;
  void RollbackQuietly();
  // Runs the statements of `sql` on `db` (the warehouse's or the read-only connection),
  // appending each one's result to `results`. With `own_transaction`, a transaction the SQL
  // leaves open is rolled back; without, the caller's open transaction is left alone.
  // `refused` (filled by the query authorizer) explains an SQLITE_AUTH failure.
  Status Execute(sqlite3* db, const std::string& sql, const std::vector<std::string>& params,
                 bool own_transaction, const std::string* refused,
                 std::vector<QueryResult>& results);
  // Execute() on the warehouse's connection without an authorizer, for ecompipe's own SQL:
  // the last result that has columns.
  Result<QueryResult> RunSql(const std::string& sql, const std::vector<std::string>& params,
                             bool own_transaction);
  // The read-only connection for queries, opened on first use; null for an in-memory database.
  Result<sqlite3*> ReadOnlyConnection();
  // (name, declared type) of `table`'s columns in order; empty when it does not exist.
  Result<std::vector<std::pair<std::string, std::string>>> TableColumns(const char* table);
  // (Re)creates the view fact_transactions over fact_transactions_data and loads.
  Status CreateFactView(bool replace);
  // Moves a version 1 fact_transactions table's rows to fact_transactions_data and loads,
  // inside the caller's transaction.
  Status MigrateFactsFromVersion1();
  // Rebuilds a version 2 fact_transactions_data with money in cents, in the caller's
  // transaction.
  Status MigrateMoneyFromVersion2();
  // Rebuilds a dim_products whose price is text with price and price_cents.
  Status MigrateProductPrices();
  // For copying `old_table`'s facts into fact_transactions_data: the target column list
  // ("a, b, ") and, appended to `selected`, the matching expressions over `f`, text money
  // turned into cents; lineage columns and load_ref are left to the caller. Adds the
  // columns a configured job had added.
  Result<std::string> CopyFactColumns(const char* old_table, std::string& selected);
  template <typename Row, typename BindRow>
  Status Upsert(std::span<const Row> rows, std::string_view sql, std::string_view operation,
                BindRow bind_row);

  std::string path_;
  std::unique_ptr<sqlite3, ConnectionDeleter> db_;
  // Declared after db_ so that statements are finalized before the connection closes.
  std::unordered_map<std::string, StatementPtr> statements_;
  std::unique_ptr<sqlite3, ConnectionDeleter> read_db_;  // see ReadOnlyConnection()
  int busy_timeout_ms_ = 30'000;
  bool load_open_ = false;
};

}  // namespace ecompipe::warehouse
