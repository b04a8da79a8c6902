// PostgresWarehouse: the star schema in PostgreSQL (or Redshift, through the same protocol).
//
// Tables as the SQLite backend has them (dim_products, dim_customers, fact_transactions,
// rejects, load_ledger) with proper types: DECIMAL(10,2) price, DECIMAL(12,2) total_amount,
// DATE transaction_date, INT quantity, primary keys, and the indexes loads and queries need.
// Dialects and their statements: warehouse/postgres/warehouse_sql.h.
//
// Loads (PostgreSQL): facts stream into fact_transactions with COPY in binary format (the server
// parses no text, numeric or date; warehouse/postgres/copy_binary.h), in chunks
// of `copy_chunk_bytes`, each under a savepoint. A chunk whose COPY hits a transaction_id that
// is already in the table (unique violation) is rolled back to its savepoint and goes the slow
// way instead: COPY into a temporary staging table, INSERT ... ON CONFLICT DO NOTHING, and every
// staged row that did not become a fact becomes a duplicate_transaction_id reject. So a
// duplicate never becomes a second row and never fails the load, and a load without
// duplicates pays nothing for the check. Rejects go in with COPY too. A load that is big next
// to the table drops the table's secondary indexes once it holds the table's lock and creates
// them again before it commits (IndexRebuild). Facts, rejects and the
// ledger row commit in one transaction; loads of the same object serialize on an advisory lock,
// and the ledger is re-read under it.
// Loads (Redshift): facts go into a temporary staging table, then INSERT ... WHERE NOT EXISTS,
// then the same duplicate rejects. The staging table is filled with multi-row INSERTs, or,
// when `staging` is configured and the load has at least staging.min_rows facts, with one
// COPY ... FROM 's3://...' MANIFEST of gzip'd CSV parts staged to S3 (redshift_staging.h);
// facts wait in memory until the load reaches min_rows (or commits below it), then stream to
// S3. A load with min_rows rejects or more stages them to S3 as well (COPY rejects FROM ...).
// The staged objects are deleted after the load commits or rolls back. Dimension upserts
// use MERGE.
//
// Failures: a dropped connection or an unreachable server is kUnavailable (the pipeline retries
// with backoff); the next call reconnects. A server restarted while the connection sat idle is
// noticed before the next call, which reconnects first and does not fail. Messages name host, port,
// database and user, never the password.
//
// Ownership: a LoadTransaction borrows the warehouse's connection; one load at a time.
// Thread-safety: one thread at a time (see warehouse.h); open one per thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/postgres_db.h"
#include "warehouse/postgres/redshift_staging.h"
#include "warehouse/postgres/warehouse_sql.h"
#include "warehouse/warehouse.h"

namespace ecompipe::warehouse {

// Whether a PostgreSQL load drops fact_transactions' secondary indexes (the B-tree on
// source_object and the BRIN on transaction_date, the ones ecompipe creates) once it has
// locked the table, and creates them again, sorted in bulk, before it commits. The primary
// key stays: it finds the duplicates. While the load runs on, its ACCESS EXCLUSIVE lock keeps
// readers and other loads of fact_transactions waiting until it commits.
enum class IndexRebuild {
  kAuto,    // once the load has sent more fact data than the table held when it began, and at
            // least index_rebuild_min_bytes; only when the lock is free at that moment
  kAlways,  // before the first fact, when the lock is free
  kNever,   // the indexes are kept up to date row by row
};

struct PostgresWarehouseOptions {
  std::string url;     // postgresql://... or key=value; "" = PG* environment variables
  std::string schema;  // created if missing and put first on search_path; "" = the default
  SqlDialect dialect = SqlDialect::kPostgres;
  int connect_timeout_s = 10;
  size_t copy_chunk_bytes = 64 << 20;  // COPY data between savepoints (PostgreSQL)
  RedshiftStagingOptions staging;      // Redshift: large loads through S3 (when enabled())
  std::shared_ptr<StagedCopyRunner>
      copy_runner;  // runs the staged COPY; null: RedshiftCopyRunner()
  // Facts in COPY's binary format (PostgreSQL); false sends text format, which the tests use
  // as the reference the binary encoding must match.
  bool binary_copy = true;
  IndexRebuild index_rebuild = IndexRebuild::kAuto;  // PostgreSQL only
  size_t index_rebuild_min_bytes = 16 << 20;         // kAuto: fact COPY data at least this much
};

class PostgresWarehouse final : public Warehouse {
 public:
  // Connects (kUnavailable when the server cannot be reached, kInvalidArgument for a bad URL,
  // bad credentials or an unknown database). Does not create tables: call EnsureSchema().
  static Result<std::unique_ptr<PostgresWarehouse>> Open(const PostgresWarehouseOptions& options);
  ~PostgresWarehouse() override;

  // Creates the schema (when configured), tables and indexes in one transaction, serialized
  // across processes. kInvalidArgument when a newer ecompipe wrote the schema.
  Status EnsureSchema() override;
  Result<std::optional<LedgerEntry>> FindLoad(const storage::ObjectRef& object) override;
  Result<bool> HasOtherVersion(const storage::ObjectRef& object) override;
  // As SqliteWarehouse::BeginLoad: kAlreadyExists when the ledger, read under the object's
  // lock, holds this version as loaded; with kReplace, other versions' rows are deleted.
  Result<std::unique_ptr<LoadTransaction>> BeginLoad(const storage::ObjectRef& object,
                                                     const std::string& load_id,
                                                     const std::string& run_id,
                                                     ReloadMode mode) override;
  Status RecordSkipped(const storage::ObjectRef& object, const std::string& run_id,
                       LedgerStatus status, const std::string& message) override;
  // Under the object's lock, as BeginLoad.
  Result<std::unique_ptr<LoadTransaction>> BeginReplay(const storage::ObjectRef& object,
                                                       const std::string& load_id,
                                                       const std::string& run_id) override;
  Result<std::pair<int64_t, int64_t>> RemoveObject(const storage::ObjectRef& object,
                                                   const std::string& run_id,
                                                   const std::string& message) override;
  // Staged (COPY or INSERT), then one upsert statement; all rows in one transaction. The last
  // row of an id wins; updated_at changes only on rows whose values changed.
  Status UpsertProducts(std::span<const model::Product> rows) override;
  Status UpsertCustomers(std::span<const model::Customer> rows) override;
  Status LoadDimensions(model::DimensionBuilder& out) override;
  // PostgreSQL: ids and the attributes the job joins, straight from COPY ... TO STDOUT into the
  // index (no row maps: for 1M customers several times faster than LoadDimensions()).
  // Redshift: the default, built from LoadDimensions().
  Status LoadDimensionIndex(model::DimensionIndexBuilder& out) override;
  // Reads warehouse_totals and counts the dimensions and the ledger: no scan of the facts,
  // and no wait for a load that holds fact_transactions (IndexRebuild).
  Result<WarehouseTotals> Totals() override;
  // Splits and checks the statements first (query_statements.h: a refused statement runs
  // nothing), then sends them one at a time (the extended protocol: one statement per message).
  // Read-only: inside `BEGIN READ ONLY`, which is rolled back at the end whatever happened; a
  // statement that ended the transaction stops the call. SET/RESET statements are then run
  // again outside it, so that settings last for the session as in psql. With `write`: each
  // statement commits on its own unless the SQL opens a transaction. Values come back as
  // PostgreSQL prints them; kinds from the column types (int2/4/8 and oid, float4/8, numeric,
  // bool, bytea; the rest text).
  Result<std::vector<QueryResult>> QueryAll(const std::string& sql,
                                            const QueryOptions& options) override;

  // "postgres host=... port=... dbname=... user=..." — for status output; no password.
  std::string Describe() const;
  const WarehouseSql& sql() const { return sql_; }

 private:
  friend class PostgresLoadTransaction;
  PostgresWarehouse(PostgresWarehouseOptions options, std::unique_ptr<PostgresDb> db)
      : options_(std::move(options)),
        sql_(options_.dialect),
        db_(std::move(db)),
        copy_runner_(options_.copy_runner) {}
  // Reconnects when the connection dropped or the server went away while it was idle (a
  // restart between loads costs nothing), and re-applies the session settings.
  Status Connected();
  Status ApplySession();
  template <typename Row, typename Format>
  Status Upsert(Dimension d, std::span<const Row> rows, Format format);

  PostgresWarehouseOptions options_;
  WarehouseSql sql_;
  std::unique_ptr<PostgresDb> db_;
  std::unique_ptr<storage::s3::S3ObjectStore> staging_store_;  // Redshift S3 staging, when enabled
  std::shared_ptr<StagedCopyRunner> copy_runner_;
  bool load_open_ = false;
};

// PostgreSQL COPY text format: appends `field` with backslash, tab, newline and CR escaped.
void AppendCopyField(std::string& out, std::string_view field);
// Splits one row of COPY text output (with or without its newline) into unescaped fields;
// \N becomes nullopt.
void SplitCopyRow(std::string_view line, std::vector<std::optional<std::string>>& fields);
// `text` as valid UTF-8 without NUL bytes (PostgreSQL text cannot hold either): each invalid
// byte and each NUL becomes U+FFFD. At most `max_bytes` long, cut at a character boundary.
std::string ToStorableText(std::string_view text, size_t max_bytes = 1 << 20);

}  // namespace ecompipe::warehouse
