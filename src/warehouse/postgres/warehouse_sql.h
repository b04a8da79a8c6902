// WarehouseSql: every SQL statement the PostgreSQL-protocol warehouse runs, for one dialect.
//
// Two dialects share one backend (warehouse/postgres/postgres_warehouse.h):
//   kPostgres  PostgreSQL 15: TEXT columns, primary keys enforced, INSERT ... ON CONFLICT,
//              facts loaded with COPY ... FROM STDIN.
//   kRedshift  Amazon Redshift: the original's VARCHAR widths, DISTKEY/SORTKEY, no ON CONFLICT
//              and no enforced keys (staging tables, INSERT ... WHERE NOT EXISTS and MERGE), no
//              COPY FROM STDIN (staging tables filled by multi-row INSERT, or for large loads
//              COPY ... FROM 's3://.../manifest' MANIFEST of parts staged to S3).
// Statements are plain strings so tests can compare them with golden text. Parameters are $n.
//
// Thread-safety: immutable after construction.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ecompipe::warehouse {

enum class SqlDialect { kPostgres, kRedshift };
std::string_view SqlDialectName(SqlDialect dialect);

// The columns of fact_transactions in COPY/INSERT order (the last four are lineage).
inline constexpr const char* kFactColumns[] = {
    "transaction_id", "customer_id", "customer_email", "product_id",       "product_name",
    "quantity",       "supplier_id", "price",          "transaction_date", "transaction_type",
    "payment_type",   "status",      "total_amount",   "source_object",    "source_line",
    "source_etag",    "load_id"};
inline constexpr int kFactColumnCount = 17;
// The columns of rejects that a load writes (id and rejected_at have defaults).
inline constexpr const char* kRejectColumns[] = {
    "source_object", "source_etag", "load_id", "line", "reason", "detail", "transaction_id", "raw"};
inline constexpr int kRejectColumnCount = 8;

enum class Dimension { kProducts, kCustomers };

// How Redshift's COPY authenticates to S3: the IAM role the cluster assumes (preferred), or
// an access key (and session token, for temporary credentials) when iam_role is empty.
struct S3CopyCredentials {
  std::string iam_role;  // arn:aws:iam::<account>:role/<name>
  std::string access_key_id, secret_access_key, session_token;
};

class WarehouseSql {
 public:
  // The schema version EnsureSchema() records in ecompipe_schema_version.
  // 2: warehouse_totals, the running totals `ecompipe status` reads (filled from the tables
  // once when a version 1 warehouse is opened).
  static constexpr int kSchemaVersion = 3;  // 3: load_ledger.job_hash

  explicit WarehouseSql(SqlDialect dialect) : dialect_(dialect) {}
  SqlDialect dialect() const { return dialect_; }

  // CREATE TABLE/INDEX IF NOT EXISTS statements for the star schema, rejects and ledger.
  std::vector<std::string> SchemaDdl() const;

  // "a, b, c" of the fact columns, and of the reject columns a load writes.
  static std::string FactColumnList();
  static std::string RejectColumnList();

  // The session's fact staging table (temporary, shaped like fact_transactions), and how it
  // is emptied after each use (TRUNCATE on PostgreSQL; DELETE on Redshift, where TRUNCATE
  // would commit the load's transaction).
  std::string CreateFactStaging() const;
  std::string ClearFactStaging() const;
  // COPY of fact rows from the client, in PostgreSQL's text or binary format (PostgreSQL only).
  std::string CopyFactsFromStdin(std::string_view table, bool binary = false) const;
  // Multi-row INSERT of `rows` fact rows into `table` with parameters $1..$(17*rows).
  std::string InsertFactValues(std::string_view table, int rows) const;
  // Redshift's bulk path: COPY of `columns` ("a, b, c") into `table` from the gzip'd CSV
  // parts that `manifest_url` (s3://bucket/key, Redshift's MANIFEST JSON) lists, as
  // warehouse/postgres/redshift_staging.h writes them: RFC 4180 quoting with '"', empty text
  // as "" (loaded as ''), NULL as an empty unquoted field (only line numbers may be NULL; an
  // empty non-character field loads as NULL), dates YYYY-MM-DD, money as plain decimals.
  // `region` is the bucket's. The statement holds the credentials: never log it.
  std::string CopyFromS3Manifest(std::string_view table, std::string_view columns,
                                 std::string_view manifest_url,
                                 const S3CopyCredentials& credentials,
                                 std::string_view region) const;

  // Moves staged facts whose transaction_id is not in fact_transactions yet into it.
  std::string InsertFactsFromStaging() const;
  // After InsertFactsFromStaging: every staged row that did not become a fact row of this
  // load (same load_id and line) becomes a duplicate_transaction_id reject; with `limit` >= 0,
  // only the first `limit` of them by line (the load's reject budget, reject_budget.h).
  std::string RejectDuplicatesFromStaging(int64_t limit = -1) const;

  // COPY of rejects from the client (PostgreSQL only) and the multi-row INSERT (Redshift).
  std::string CopyRejectsFromStdin() const;
  std::string InsertRejectValues(int rows) const;

  // Dimension staging (seq, then the dimension's columns) and the upsert from it: the last
  // staged row per id wins; rows whose values did not change keep their updated_at.
  std::string CreateDimensionStaging(Dimension d) const;
  std::string ClearDimensionStaging(Dimension d) const;
  std::string CopyDimensionFromStdin(Dimension d) const;
  std::string InsertDimensionValues(Dimension d, int rows) const;
  std::string UpsertDimensionFromStaging(Dimension d) const;

  // Serializes loads of one object across connections: an advisory lock on PostgreSQL
  // ($1 = "bucket/key"), LOCK load_ledger on Redshift (no parameter).
  std::string LockObject() const;
  // Ledger statements, same on both dialects: $1 bucket, $2 key, $3 etag.
  static std::string LedgerStatus();
  static std::string DeleteLedgerRow();
  // $1..$11: bucket, key, etag, status, load_id, run_id, rows_read, rows_loaded, rows_rejected,
  // message, job_hash.
  static std::string InsertLedgerRow();
  // $1 bucket, $2 key, $3 etag, $4 facts, $5 rejects to add to a loaded row (a replay).
  static std::string AddReplayToLedger();
  // $1 bucket, $2 key, $3 run_id, $4 message: every ledger row of the key becomes deleted.
  static std::string MarkDeleted();
  // Whether load_ledger has job_hash yet (schema version 3), in the current schema.
  static std::string HasJobHash();
  // $1 bucket, $2 key, $3 etag (the new one), $4 load_id.
  static std::string MarkReplaced();
  // $1 key, $2 etag: rows of other versions of the key.
  static std::string DeleteOtherVersionFacts();
  static std::string DeleteOtherVersionRejects();
  // $1 load_id: how many rejects the load wrote (checked after a COPY of rejects from S3).
  static std::string CountLoadRejects();

  // Running totals (warehouse_totals, one row with id 1).
  // $1 key, $2 etag: count and total_amount cents of the facts DeleteOtherVersionFacts deletes.
  static std::string SumOtherVersionFacts();
  // Count and total_amount cents of the staged rows that InsertFactsFromStaging made facts of
  // their load (the complement of RejectDuplicatesFromStaging's rows).
  static std::string SumFactsMovedFromStaging();
  // $1 facts, $2 rejects, $3 total_amount cents to add (negative: removed).
  static std::string AddToTotals();
  // Takes the lock that keeps loads out until the transaction ends (PostgreSQL: SHARE on the
  // two tables, which waits for loads in flight; Redshift: the loads' LOCK load_ledger).
  std::string LockForCountingTotals() const;
  // The row counted from the tables.
  static std::string FillTotals();

  // PostgreSQL: the size of fact_transactions' heap in bytes (one row, one column).
  static std::string FactTableBytes();
  // PostgreSQL: the secondary indexes of fact_transactions that a load may drop and create
  // again (IndexRebuild): ecompipe's own, non-unique and valid. Rows: the index's
  // schema-qualified, quoted name; its CREATE INDEX statement as the server reports it.
  static std::string RebuildableFactIndexes();

 private:
  std::string Type(std::string_view pg, std::string_view redshift) const {
    return std::string(dialect_ == SqlDialect::kPostgres ? pg : redshift);
  }
  std::string ValuesList(int rows, int columns) const;

  SqlDialect dialect_;
};

}  // namespace ecompipe::warehouse
