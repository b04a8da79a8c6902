#include "warehouse/postgres/warehouse_sql.h"

#include <initializer_list>

#include "common/postgres_db.h"

namespace ecompipe::warehouse {
namespace {

struct Column {
  const char* name;
  const char* pg;        // PostgreSQL type and constraints
  const char* redshift;  // Redshift type and constraints (the original's widths)
};

// One CREATE TABLE; `keys` is the primary key, `redshift_tail` the distribution and sort keys.
std::string CreateTable(bool pg, std::string_view table, std::initializer_list<Column> columns,
                        std::string_view keys, std::string_view redshift_tail) {
  std::string sql = "CREATE TABLE IF NOT EXISTS " + std::string(table) + " (\n";
  for (const Column& c : columns)
    sql += "  " + std::string(c.name) + " " + (pg ? c.pg : c.redshift) + ",\n";
  sql += "  PRIMARY KEY (" + std::string(keys) + ")\n)";
  if (!pg && !redshift_tail.empty()) sql += " " + std::string(redshift_tail);
  return sql;
}

const char* DimensionTable(Dimension d) {
  return d == Dimension::kProducts ? "dim_products" : "dim_customers";
}
const char* DimensionStaging(Dimension d) {
  return d == Dimension::kProducts ? "ep_stage_products" : "ep_stage_customers";
}
const char* DimensionKey(Dimension d) {
  return d == Dimension::kProducts ? "product_id" : "customer_id";
}
std::vector<std::string> DimensionValueColumns(Dimension d) {
  if (d == Dimension::kProducts) return {"product_name", "category", "price", "supplier_id"};
  return {"first_name", "last_name", "email", "membership_level"};
}

std::string Join(const std::vector<std::string>& items, std::string_view prefix,
                 std::string_view sep = ", ") {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += sep;
    out += std::string(prefix) + items[i];
  }
  return out;
}

// fact_transactions' secondary indexes (PostgreSQL), which loads may drop and recreate.
constexpr const char* kFactSourceObjectIndex = "fact_transactions_source_object";
constexpr const char* kFactDateIndex = "fact_transactions_date";

std::vector<std::string> FactColumns(std::string_view prefix = "") {
  std::vector<std::string> cols;
  for (const char* c : kFactColumns) cols.push_back(std::string(prefix) + c);
  return cols;
}

// A text expression quoting `expr` as a CSV field when it holds a comma or a quote.
std::string CsvField(const std::string& expr) {
  return "CASE WHEN " + expr + " LIKE '%,%' OR " + expr + " LIKE '%\"%' THEN '\"' || REPLACE(" +
         expr + ", '\"', '\"\"') || '\"' ELSE " + expr + " END";
}

}  // namespace

std::string_view SqlDialectName(SqlDialect dialect) {
  return dialect == SqlDialect::kPostgres ? "postgres" : "redshift";
}

std::vector<std::string> WarehouseSql::SchemaDdl() const {
  const bool pg = dialect_ == SqlDialect::kPostgres;
  std::vector<std::string> ddl;
  ddl.push_back(CreateTable(pg, "dim_products",
                            {{"product_id", "TEXT NOT NULL", "VARCHAR(50) NOT NULL"},
                             {"product_name", "TEXT", "VARCHAR(50)"},
                             {"category", "TEXT", "VARCHAR(50)"},
                             {"price", "DECIMAL(10,2)", "DECIMAL(10,2)"},
                             {"supplier_id", "TEXT", "VARCHAR(50)"},
                             {"updated_at", "TIMESTAMPTZ", "TIMESTAMP"}},
                            "product_id", "DISTSTYLE ALL SORTKEY (product_id)"));
  ddl.push_back(CreateTable(pg, "dim_customers",
                            {{"customer_id", "TEXT NOT NULL", "VARCHAR(50) NOT NULL"},
                             {"first_name", "TEXT", "VARCHAR(50)"},
                             {"last_name", "TEXT", "VARCHAR(50)"},
                             {"email", "TEXT", "VARCHAR(255)"},
                             {"membership_level", "TEXT", "VARCHAR(10)"},
                             {"updated_at", "TIMESTAMPTZ", "TIMESTAMP"}},
                            "customer_id", "DISTSTYLE ALL SORTKEY (customer_id)"));
  ddl.push_back(CreateTable(pg, "fact_transactions",
                            {{"transaction_id", "TEXT NOT NULL", "VARCHAR(50) NOT NULL"},
                             {"customer_id", "TEXT NOT NULL", "VARCHAR(50) NOT NULL"},
                             {"customer_email", "TEXT", "VARCHAR(255)"},
                             {"product_id", "TEXT NOT NULL", "VARCHAR(50) NOT NULL"},
                             {"product_name", "TEXT", "VARCHAR(50)"},
                             {"quantity", "INT NOT NULL", "INT NOT NULL"},
                             {"supplier_id", "TEXT", "VARCHAR(50)"},
                             {"price", "DECIMAL(10,2) NOT NULL", "DECIMAL(10,2) NOT NULL"},
                             {"transaction_date", "DATE NOT NULL", "DATE NOT NULL"},
                             {"transaction_type", "TEXT", "VARCHAR(20)"},
                             {"payment_type", "TEXT", "VARCHAR(50)"},
                             {"status", "TEXT", "VARCHAR(50)"},
                             {"total_amount", "DECIMAL(12,2) NOT NULL", "DECIMAL(12,2) NOT NULL"},
                             {"source_object", "TEXT NOT NULL", "VARCHAR(1024) NOT NULL"},
                             {"source_line", "BIGINT", "BIGINT"},
                             {"source_etag", "TEXT NOT NULL", "VARCHAR(128) NOT NULL"},
                             {"load_id", "TEXT NOT NULL", "VARCHAR(64) NOT NULL"}},
                            "transaction_id", "DISTKEY (payment_type) SORTKEY (transaction_id)"));
  ddl.push_back(CreateTable(
      pg, "rejects",
      {{"id", "BIGINT GENERATED BY DEFAULT AS IDENTITY", "BIGINT IDENTITY(1,1)"},
       {"source_object", "TEXT", "VARCHAR(1024)"},
       {"source_etag", "TEXT", "VARCHAR(128)"},
       {"load_id", "TEXT", "VARCHAR(64)"},
       {"line", "BIGINT", "BIGINT"},
       {"reason", "TEXT NOT NULL", "VARCHAR(64) NOT NULL"},
       {"detail", "TEXT", "VARCHAR(4096)"},
       {"transaction_id", "TEXT", "VARCHAR(256)"},
       {"raw", "TEXT", "VARCHAR(65535)"},
       {"rejected_at", "TIMESTAMPTZ NOT NULL DEFAULT now()", "TIMESTAMP DEFAULT GETDATE()"}},
      "id", "DISTSTYLE EVEN SORTKEY (id)"));
  ddl.push_back(CreateTable(pg, "load_ledger",
                            {{"bucket", "TEXT NOT NULL", "VARCHAR(255) NOT NULL"},
                             {"key", "TEXT NOT NULL", "VARCHAR(1024) NOT NULL"},
                             {"etag", "TEXT NOT NULL", "VARCHAR(128) NOT NULL"},
                             {"status", "TEXT NOT NULL", "VARCHAR(16) NOT NULL"},
                             {"load_id", "TEXT", "VARCHAR(64)"},
                             {"run_id", "TEXT", "VARCHAR(64)"},
                             {"rows_read", "BIGINT", "BIGINT"},
                             {"rows_loaded", "BIGINT", "BIGINT"},
                             {"rows_rejected", "BIGINT", "BIGINT"},
                             {"message", "TEXT", "VARCHAR(4096)"},
                             {"finished_at", "TIMESTAMPTZ", "TIMESTAMP"},
                             {"job_hash", "TEXT", "VARCHAR(64)"}},
                            "bucket, key, etag", "DISTSTYLE ALL SORTKEY (key)"));
  ddl.emplace_back("CREATE TABLE IF NOT EXISTS ecompipe_schema_version (version INT NOT NULL)");
  // Running totals for `ecompipe status`: each load adds its change in its own transaction.
  ddl.push_back(CreateTable(pg, "warehouse_totals",
                            {{"id", "INT NOT NULL CHECK (id = 1)", "INT NOT NULL"},
                             {"fact_rows", "BIGINT NOT NULL", "BIGINT NOT NULL"},
                             {"reject_rows", "BIGINT NOT NULL", "BIGINT NOT NULL"},
                             {"total_amount_cents", "BIGINT NOT NULL", "BIGINT NOT NULL"}},
                            "id", "DISTSTYLE ALL"));
  if (pg) {
    // Replace deletes by source_object; rejects are read by load and by reason. Dates get a
    // BRIN index: facts arrive roughly in date order, and BRIN costs next to nothing to keep.
    ddl.push_back(std::string("CREATE INDEX IF NOT EXISTS ") + kFactSourceObjectIndex +
                  " ON fact_transactions (source_object)");
    ddl.push_back(std::string("CREATE INDEX IF NOT EXISTS ") + kFactDateIndex +
                  " ON fact_transactions USING brin (transaction_date)");
    ddl.emplace_back("CREATE INDEX IF NOT EXISTS rejects_source_object ON rejects (source_object)");
    ddl.emplace_back("CREATE INDEX IF NOT EXISTS rejects_load_id ON rejects (load_id)");
    ddl.emplace_back("CREATE INDEX IF NOT EXISTS rejects_reason ON rejects (reason)");
  }
  return ddl;
}

std::string WarehouseSql::FactColumnList() { return Join(FactColumns(), ""); }

std::string WarehouseSql::RejectColumnList() {
  return Join(std::vector<std::string>(std::begin(kRejectColumns), std::end(kRejectColumns)), "");
}

std::string WarehouseSql::CreateFactStaging() const {
  return "CREATE TEMP TABLE IF NOT EXISTS ep_fact_stage (LIKE fact_transactions)";
}

std::string WarehouseSql::ClearFactStaging() const {
  return dialect_ == SqlDialect::kPostgres ? "TRUNCATE ep_fact_stage" : "DELETE FROM ep_fact_stage";
}

std::string WarehouseSql::CopyFactsFromStdin(std::string_view table, bool binary) const {
  return "COPY " + std::string(table) + " (" + FactColumnList() + ") FROM STDIN" +
         (binary ? " (FORMAT binary)" : "");
}

std::string WarehouseSql::ValuesList(int rows, int columns) const {
  std::string sql;
  int n = 1;
  for (int r = 0; r < rows; ++r) {
    sql += r ? ", (" : "(";
    for (int c = 0; c < columns; ++c) {
      if (c) sql += ", ";
      sql += "$" + std::to_string(n++);
    }
    sql += ")";
  }
  return sql;
}

std::string WarehouseSql::InsertFactValues(std::string_view table, int rows) const {
  return "INSERT INTO " + std::string(table) + " (" + FactColumnList() + ") VALUES " +
         ValuesList(rows, kFactColumnCount);
}

std::string WarehouseSql::CopyFromS3Manifest(std::string_view table, std::string_view columns,
                                             std::string_view manifest_url,
                                             const S3CopyCredentials& credentials,
                                             std::string_view region) const {
  std::string sql = "COPY " + std::string(table) + " (" + std::string(columns) + ") FROM " +
                    PgQuoteLiteral(manifest_url);
  if (!credentials.iam_role.empty()) {
    sql += " IAM_ROLE " + PgQuoteLiteral(credentials.iam_role);
  } else {
    sql += " ACCESS_KEY_ID " + PgQuoteLiteral(credentials.access_key_id) + " SECRET_ACCESS_KEY " +
           PgQuoteLiteral(credentials.secret_access_key);
    if (!credentials.session_token.empty())
      sql += " SESSION_TOKEN " + PgQuoteLiteral(credentials.session_token);
  }
  // No EMPTYASNULL: an empty text field stays '' as the INSERT path stores it. COMPUPDATE and
  // STATUPDATE OFF: the staging table is temporary, analysing it is wasted work.
  sql += " MANIFEST FORMAT AS CSV QUOTE AS '\"' GZIP DATEFORMAT 'YYYY-MM-DD'";
  if (!region.empty()) sql += " REGION " + PgQuoteLiteral(region);
  return sql + " COMPUPDATE OFF STATUPDATE OFF";
}

std::string WarehouseSql::InsertFactsFromStaging() const {
  std::string sql = "INSERT INTO fact_transactions (" + FactColumnList() + ") SELECT " +
                    Join(FactColumns(), "s.") + " FROM ep_fact_stage s";
  if (dialect_ == SqlDialect::kPostgres) return sql + " ON CONFLICT (transaction_id) DO NOTHING";
  return sql +
         " WHERE NOT EXISTS (SELECT 1 FROM fact_transactions f WHERE f.transaction_id = "
         "s.transaction_id)";
}

std::string WarehouseSql::RejectDuplicatesFromStaging(int64_t limit) const {
  std::string raw =
      "s.transaction_id || ',' || s.customer_id || ',' || s.product_id || ',' || "
      "CAST(s.quantity AS VARCHAR) || ',' || CAST(s.price AS VARCHAR) || ',' || "
      "CAST(s.transaction_date AS VARCHAR) || ',' || " +
      CsvField("s.payment_type") + " || ',' || " + CsvField("s.status");
  return "INSERT INTO rejects (source_object, source_etag, load_id, line, reason, detail, "
         "transaction_id, raw) "
         "SELECT s.source_object, s.source_etag, s.load_id, s.source_line, "
         "'duplicate_transaction_id', "
         "'transaction_id ' || s.transaction_id || ' already loaded from ' || "
         "COALESCE(f.source_object, 'an earlier load'), "
         "s.transaction_id, " +
         raw +
         " FROM ep_fact_stage s LEFT JOIN fact_transactions f ON f.transaction_id = "
         "s.transaction_id"
         " WHERE f.transaction_id IS NULL OR f.load_id <> s.load_id OR f.source_line <> "
         "s.source_line" +
         (limit >= 0 ? " ORDER BY s.source_line LIMIT " + std::to_string(limit) : "");
}

std::string WarehouseSql::CopyRejectsFromStdin() const {
  return "COPY rejects (" + RejectColumnList() + ") FROM STDIN";
}

std::string WarehouseSql::InsertRejectValues(int rows) const {
  return "INSERT INTO rejects (" + RejectColumnList() + ") VALUES " +
         ValuesList(rows, kRejectColumnCount);
}

std::string WarehouseSql::CreateDimensionStaging(Dimension d) const {
  std::string sql = "CREATE TEMP TABLE IF NOT EXISTS " + std::string(DimensionStaging(d)) +
                    " (seq BIGINT, " + DimensionKey(d) + " " + Type("TEXT", "VARCHAR(50)");
  for (const std::string& c : DimensionValueColumns(d)) {
    std::string type = c == "price" ? "DECIMAL(10,2)"
                                    : Type("TEXT", c == "email"              ? "VARCHAR(255)"
                                                   : c == "membership_level" ? "VARCHAR(10)"
                                                                             : "VARCHAR(50)");
    sql += ", " + c + " " + type;
  }
  return sql + ")";
}

std::string WarehouseSql::ClearDimensionStaging(Dimension d) const {
  return (dialect_ == SqlDialect::kPostgres ? "TRUNCATE " : "DELETE FROM ") +
         std::string(DimensionStaging(d));
}

std::string WarehouseSql::CopyDimensionFromStdin(Dimension d) const {
  return "COPY " + std::string(DimensionStaging(d)) + " (seq, " + DimensionKey(d) + ", " +
         Join(DimensionValueColumns(d), "") + ") FROM STDIN";
}

std::string WarehouseSql::InsertDimensionValues(Dimension d, int rows) const {
  return "INSERT INTO " + std::string(DimensionStaging(d)) + " (seq, " + DimensionKey(d) + ", " +
         Join(DimensionValueColumns(d), "") + ") VALUES " + ValuesList(rows, 6);
}

std::string WarehouseSql::UpsertDimensionFromStaging(Dimension d) const {
  const std::string table = DimensionTable(d), key = DimensionKey(d), stage = DimensionStaging(d);
  const std::vector<std::string> values = DimensionValueColumns(d);
  // The last staged row of each id (a file may list an id twice; the later line wins).
  const std::string latest = "(SELECT s.*, ROW_NUMBER() OVER (PARTITION BY " + key +
                             " ORDER BY seq DESC) AS ep_rank FROM " + stage + " s) latest";
  if (dialect_ == SqlDialect::kPostgres) {
    std::string set;
    for (const std::string& c : values) set += c + " = EXCLUDED." + c + ", ";
    return "INSERT INTO " + table + " (" + key + ", " + Join(values, "") + ", updated_at) SELECT " +
           key + ", " + Join(values, "") + ", CURRENT_TIMESTAMP FROM " + latest +
           " WHERE ep_rank = 1" + " ON CONFLICT (" + key + ") DO UPDATE SET " + set +
           "updated_at = EXCLUDED.updated_at WHERE (" + Join(values, table + ".") +
           ") IS DISTINCT FROM (" + Join(values, "EXCLUDED.") + ")";
  }
  // Redshift: MERGE over the new and changed rows only, so unchanged rows keep updated_at.
  std::string changed;
  for (const std::string& c : values) changed += " OR t." + c + " <> latest." + c;
  std::string set;
  for (const std::string& c : values) set += c + " = u." + c + ", ";
  return "MERGE INTO " + table + " USING (SELECT latest." + key + ", " + Join(values, "latest.") +
         " FROM " + latest + " LEFT JOIN " + table + " t ON t." + key + " = latest." + key +
         " WHERE latest.ep_rank = 1 AND (t." + key + " IS NULL" + changed + ")) u ON " + table +
         "." + key + " = u." + key + " WHEN MATCHED THEN UPDATE SET " + set +
         "updated_at = CURRENT_TIMESTAMP WHEN NOT MATCHED THEN INSERT (" + key + ", " +
         Join(values, "") + ", updated_at) VALUES (u." + key + ", " + Join(values, "u.") +
         ", CURRENT_TIMESTAMP)";
}

std::string WarehouseSql::LockObject() const {
  if (dialect_ == SqlDialect::kPostgres)
    return "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))";
  return "LOCK load_ledger";
}

std::string WarehouseSql::LedgerStatus() {
  return "SELECT status FROM load_ledger WHERE bucket = $1 AND key = $2 AND etag = $3";
}
std::string WarehouseSql::DeleteLedgerRow() {
  return "DELETE FROM load_ledger WHERE bucket = $1 AND key = $2 AND etag = $3";
}
std::string WarehouseSql::InsertLedgerRow() {
  return "INSERT INTO load_ledger (bucket, key, etag, status, load_id, run_id, rows_read, "
         "rows_loaded, "
         "rows_rejected, message, finished_at, job_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
         "$9, $10, CURRENT_TIMESTAMP, $11)";
}
std::string WarehouseSql::AddReplayToLedger() {
  return "UPDATE load_ledger SET rows_loaded = rows_loaded + $4, rows_rejected = rows_rejected + "
         "$5 WHERE bucket = $1 AND key = $2 AND etag = $3 AND status = 'loaded'";
}
std::string WarehouseSql::MarkDeleted() {
  return "UPDATE load_ledger SET status = 'deleted', run_id = $3, message = $4, finished_at = "
         "CURRENT_TIMESTAMP WHERE bucket = $1 AND key = $2 AND status <> 'deleted'";
}
std::string WarehouseSql::HasJobHash() {
  return "SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema() "
         "AND table_name = 'load_ledger' AND column_name = 'job_hash'";
}
std::string WarehouseSql::MarkReplaced() {
  return "UPDATE load_ledger SET status = 'replaced', message = 'replaced by etag ' || $3 || ' "
         "(load ' || $4 || ')' "
         "WHERE bucket = $1 AND key = $2 AND etag <> $3 AND status = 'loaded'";
}
std::string WarehouseSql::DeleteOtherVersionFacts() {
  return "DELETE FROM fact_transactions WHERE source_object = $1 AND source_etag <> $2";
}
std::string WarehouseSql::DeleteOtherVersionRejects() {
  return "DELETE FROM rejects WHERE source_object = $1 AND (source_etag IS NULL OR source_etag <> "
         "$2)";
}

std::string WarehouseSql::CountLoadRejects() {
  return "SELECT count(*) FROM rejects WHERE load_id = $1";
}

std::string WarehouseSql::SumOtherVersionFacts() {
  return "SELECT count(*), CAST(COALESCE(SUM(total_amount), 0) * 100 AS BIGINT) FROM "
         "fact_transactions "
         "WHERE source_object = $1 AND source_etag <> $2";
}

std::string WarehouseSql::SumFactsMovedFromStaging() {
  return "SELECT count(*), CAST(COALESCE(SUM(f.total_amount), 0) * 100 AS BIGINT) FROM "
         "ep_fact_stage s "
         "JOIN fact_transactions f ON f.transaction_id = s.transaction_id AND f.load_id = "
         "s.load_id "
         "AND COALESCE(f.source_line, -1) = COALESCE(s.source_line, -1)";
}

std::string WarehouseSql::AddToTotals() {
  return "UPDATE warehouse_totals SET fact_rows = fact_rows + $1, reject_rows = reject_rows + $2, "
         "total_amount_cents = total_amount_cents + $3 WHERE id = 1";
}

std::string WarehouseSql::LockForCountingTotals() const {
  if (dialect_ == SqlDialect::kPostgres)
    return "LOCK TABLE fact_transactions, rejects IN SHARE MODE";
  return "LOCK load_ledger";
}

std::string WarehouseSql::FillTotals() {
  return "INSERT INTO warehouse_totals (id, fact_rows, reject_rows, total_amount_cents) SELECT 1, "
         "(SELECT count(*) FROM fact_transactions), (SELECT count(*) FROM rejects), "
         "(SELECT CAST(COALESCE(SUM(total_amount), 0) * 100 AS BIGINT) FROM fact_transactions)";
}

std::string WarehouseSql::FactTableBytes() {
  return "SELECT pg_relation_size('fact_transactions')";
}

std::string WarehouseSql::RebuildableFactIndexes() {
  return std::string(
             "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), "
             "pg_get_indexdef(i.indexrelid) "
             "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid "
             "= c.relnamespace "
             "WHERE i.indrelid = 'fact_transactions'::regclass AND NOT i.indisunique AND "
             "i.indisvalid "
             "AND c.relname IN ('") +
         kFactSourceObjectIndex + "', '" + kFactDateIndex + "') ORDER BY c.relname";
}

}  // namespace ecompipe::warehouse
