#include "warehouse/sqlite/sqlite_warehouse.h"

#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <utility>

#include "common/sqlite_db.h"
#include "common/time_util.h"
#include "model/money.h"

namespace ecompipe::warehouse {
namespace {

// Money is stored as integer cents (price_cents, total_amount_cents): exact, and cheaper to
// store and compare than text. What a user reads is numeric: fact_transactions (a view) shows
// price and total_amount as price_cents / 100.0 and total_amount_cents / 100.0, REAL values
// that compare, sort, MIN/MAX and add as numbers and print as 129.99 (the nearest double to
// a 2-decimal value below 10^13 prints back as that decimal); dim_products stores its price
// both ways, written together. REAL sums can drift in the last digits (binary floating
// point cannot hold 0.10), so the exact sum is the cents column's:
//   SELECT sum(total_amount_cents) / 100.0 FROM fact_transactions   -- exact below 2^53 cents
// ecompipe's own code never sums money as double: it uses Money (int64 cents). Quantity is
// INTEGER. Primary keys are NOT NULL because SQLite, for legacy reasons, otherwise accepts
// NULL in a non-INTEGER primary key. Times are ISO-8601 UTC text ("2026-11-30T08:15:02.123Z").
constexpr const char* kSchemaSql = R"sql(
CREATE TABLE IF NOT EXISTS dim_products(
  product_id   TEXT NOT NULL PRIMARY KEY,
  product_name TEXT,
  category     TEXT,
  price        REAL,
  price_cents  INTEGER,
  supplier_id  TEXT,
  updated_at   TEXT
);
CREATE TABLE IF NOT EXISTS dim_customers(
  customer_id      TEXT NOT NULL PRIMARY KEY,
  first_name       TEXT,
  last_name        TEXT,
  email            TEXT,
  membership_level TEXT,
  updated_at       TEXT
);
-- One row per load (object version), written in the load's transaction: the lineage that every
-- fact of the load shares, stored once instead of on each fact row. A replaced load's row stays.
CREATE TABLE IF NOT EXISTS loads(
  load_ref      INTEGER PRIMARY KEY,
  load_id       TEXT NOT NULL,
  source_object TEXT NOT NULL,
  source_etag   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS loads_source_object ON loads(source_object);
CREATE INDEX IF NOT EXISTS loads_load_id ON loads(load_id);
-- The facts as stored: fact_transactions (a view, made by CreateFactView) adds the lineage
-- columns source_object, source_etag and load_id from `loads`. A configured job's extra
-- columns are added here, after load_ref. WITHOUT ROWID: the rows live in the primary key's
-- B-tree, so a load writes one tree instead of a table plus its primary-key index (the
-- ON CONFLICT check and the insert are one seek); loads of ascending ids append.
CREATE TABLE IF NOT EXISTS fact_transactions_data(
  transaction_id   TEXT NOT NULL PRIMARY KEY,
  customer_id      TEXT,
  customer_email   TEXT,
  product_id       TEXT,
  product_name     TEXT,
  quantity         INTEGER,
  supplier_id      TEXT,
  price_cents      INTEGER,
  transaction_date TEXT,
  transaction_type TEXT,
  payment_type     TEXT,
  status           TEXT,
  total_amount_cents INTEGER,
  load_ref         INTEGER NOT NULL
) WITHOUT ROWID;
-- Only the index that loads need (replace deletes a load's facts). Each further index costs
-- about 1 us per loaded row (measured: 3 more indexes cut the load rate from ~280k to ~90k
-- rows/s); add them with `ecompipe query --write "CREATE INDEX ..."` when queries need them.
CREATE INDEX IF NOT EXISTS fact_transactions_data_load_ref ON fact_transactions_data(load_ref);
CREATE TABLE IF NOT EXISTS rejects(
  id             INTEGER PRIMARY KEY,
  source_object  TEXT,
  source_etag    TEXT,
  load_id        TEXT,
  line           INTEGER,
  reason         TEXT,
  detail         TEXT,
  transaction_id TEXT,
  raw            TEXT,
  rejected_at    TEXT
);
CREATE INDEX IF NOT EXISTS rejects_source_object ON rejects(source_object);
CREATE INDEX IF NOT EXISTS rejects_reason ON rejects(reason);
CREATE TABLE IF NOT EXISTS load_ledger(
  bucket        TEXT NOT NULL,
  key           TEXT NOT NULL,
  etag          TEXT NOT NULL,
  status        TEXT NOT NULL,
  load_id       TEXT,
  run_id        TEXT,
  rows_read     INTEGER,
  rows_loaded   INTEGER,
  rows_rejected INTEGER,
  message       TEXT,
  finished_at   TEXT,
  job_hash      TEXT,
  PRIMARY KEY(bucket, key, etag)
);
-- Running totals for `ecompipe status`, one row (id 1): each load adds what it inserted and
-- subtracts what it replaced, in its own transaction, so reading them costs the same at any
-- size. EnsureSchema() fills the row from the tables when it is missing (a migrated file, or
-- one whose row was deleted to have them counted again).
CREATE TABLE IF NOT EXISTS warehouse_totals(
  id                 INTEGER PRIMARY KEY CHECK (id = 1),
  fact_rows          INTEGER NOT NULL,
  reject_rows        INTEGER NOT NULL,
  total_amount_cents INTEGER NOT NULL
);
)sql";

// The columns of fact_transactions_data before load_ref, in order; the view puts the lineage
// columns after them, where the table had them before schema version 2.
constexpr const char* kFactColumns[] = {
    "transaction_id", "customer_id", "customer_email",    "product_id",       "product_name",
    "quantity",       "supplier_id", "price_cents",       "transaction_date", "transaction_type",
    "payment_type",   "status",      "total_amount_cents"};
// The money columns: the name the view shows (and a configured job outputs), and the stored
// cents column it is computed from.
struct MoneyColumn {
  const char* shown;
  const char* cents;
};
constexpr MoneyColumn kMoneyColumns[] = {{"price", "price_cents"},
                                         {"total_amount", "total_amount_cents"}};
const MoneyColumn* FindMoneyColumn(std::string_view name, bool by_cents_name) {
  const auto same = [](std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return std::tolower(static_cast<unsigned char>(x)) ==
                    std::tolower(static_cast<unsigned char>(y));
           });
  };
  for (const MoneyColumn& m : kMoneyColumns) {
    if (same(name, by_cents_name ? m.cents : m.shown)) return &m;
  }
  return nullptr;
}
constexpr const char* kLineageColumns[] = {"source_object", "source_etag", "load_id"};
constexpr std::string_view kInsertFactSql =
    "INSERT INTO fact_transactions_data(transaction_id, customer_id, customer_email, product_id, "
    "product_name, quantity, supplier_id, price_cents, transaction_date, transaction_type, "
    "payment_type, status, total_amount_cents, load_ref) "
    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) "
    "ON CONFLICT(transaction_id) DO NOTHING";
// Facts are inserted kFactBatchRows at a time with one multi-row INSERT: one statement run
// instead of one per row (the per-row statement set-up, halt and reset cost about as much as
// a row's record and B-tree insert). Its conflict action is ABORT: a batch that holds a
// transaction_id already in the warehouse fails as a whole, SQLite undoes just that
// statement (from its statement journal; the load's transaction stays open), and the batch is
// inserted again row by row with kInsertFactSql, whose duplicates become rejects.
constexpr int kFactBatchRows = 64;
constexpr int kFactBatchColumns = 13;  // the bound columns of kInsertFactSql, load_ref aside
std::string InsertFactBatchSql() {
  std::string sql =
      "INSERT INTO fact_transactions_data(transaction_id, customer_id, customer_email, "
      "product_id, product_name, quantity, supplier_id, price_cents, transaction_date, "
      "transaction_type, payment_type, status, total_amount_cents, load_ref) VALUES";
  // Row r binds ?(13r+1)..?(13r+13); every row shares the load_ref parameter.
  const std::string load_ref = "?" + std::to_string(kFactBatchRows * kFactBatchColumns + 1);
  for (int r = 0; r < kFactBatchRows; ++r) {
    sql += r == 0 ? "(" : ",(";
    for (int c = 0; c < kFactBatchColumns; ++c) {
      sql += "?" + std::to_string(r * kFactBatchColumns + c + 1) + ",";
    }
    sql += load_ref + ")";
  }
  return sql;
}
constexpr std::string_view kFindFactSourceSql =
    "SELECT l.source_object FROM fact_transactions_data f JOIN loads l ON l.load_ref = f.load_ref "
    "WHERE f.transaction_id = ?1";
constexpr std::string_view kInsertLoadSql =
    "INSERT INTO loads(load_id, source_object, source_etag) VALUES(?1, ?2, ?3)";
constexpr std::string_view kInsertRejectSql =
    "INSERT INTO rejects(source_object, source_etag, load_id, line, reason, detail, "
    "transaction_id, raw, rejected_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
constexpr std::string_view kLedgerStatusSql =
    "SELECT status FROM load_ledger WHERE bucket = ?1 AND key = ?2 AND etag = ?3";
// What kDeleteOtherFactsSql is about to delete, for the running totals.
constexpr std::string_view kSumOtherFactsSql =
    "SELECT count(*), coalesce(sum(total_amount_cents), 0) FROM fact_transactions_data "
    "WHERE load_ref IN (SELECT load_ref FROM loads WHERE source_object = ?1 AND "
    "source_etag IS NOT ?2)";
constexpr std::string_view kDeleteOtherFactsSql =
    "DELETE FROM fact_transactions_data WHERE load_ref IN "
    "(SELECT load_ref FROM loads WHERE source_object = ?1 AND source_etag IS NOT ?2)";
constexpr std::string_view kDeleteOtherRejectsSql =
    "DELETE FROM rejects WHERE source_object = ?1 AND source_etag IS NOT ?2";
constexpr std::string_view kMarkReplacedSql =
    "UPDATE load_ledger SET status = 'replaced', message = 'replaced by etag ' || ?3 || "
    "' (load ' || ?4 || ')' WHERE bucket = ?1 AND key = ?2 AND etag <> ?3 AND status = 'loaded'";
// ?1 facts, ?2 rejects, ?3 total_amount cents to add (negative: removed).
constexpr std::string_view kAddToTotalsSql =
    "UPDATE warehouse_totals SET fact_rows = fact_rows + ?1, reject_rows = reject_rows + ?2, "
    "total_amount_cents = total_amount_cents + ?3 WHERE id = 1";
// The totals counted from the tables: a migration's, or when the row went missing.
constexpr const char* kFillTotalsSql =
    "INSERT OR REPLACE INTO warehouse_totals(id, fact_rows, reject_rows, total_amount_cents) "
    "SELECT 1, (SELECT count(*) FROM fact_transactions_data), (SELECT count(*) FROM rejects), "
    "(SELECT coalesce(sum(total_amount_cents), 0) FROM fact_transactions_data)";
constexpr std::string_view kWriteLedgerSql =
    "INSERT INTO load_ledger(bucket, key, etag, status, load_id, run_id, rows_read, "
    "rows_loaded, rows_rejected, message, finished_at, job_hash) "
    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) "
    "ON CONFLICT(bucket, key, etag) DO UPDATE SET status = excluded.status, "
    "load_id = excluded.load_id, run_id = excluded.run_id, rows_read = excluded.rows_read, "
    "rows_loaded = excluded.rows_loaded, rows_rejected = excluded.rows_rejected, "
    "message = excluded.message, finished_at = excluded.finished_at, "
    "job_hash = excluded.job_hash";
// A replay's facts and rejects join the version's counts; rows_read stays.
constexpr std::string_view kReplayLedgerSql =
    "UPDATE load_ledger SET rows_loaded = rows_loaded + ?4, rows_rejected = rows_rejected + ?5 "
    "WHERE bucket = ?1 AND key = ?2 AND etag = ?3 AND status = 'loaded'";
constexpr std::string_view kRemoveRejectSql =
    "DELETE FROM rejects WHERE id = ?1 AND source_object = ?2 AND source_etag = ?3";
constexpr std::string_view kMarkDeletedSql =
    "UPDATE load_ledger SET status = 'deleted', run_id = ?3, message = ?4, finished_at = ?5 "
    "WHERE bucket = ?1 AND key = ?2 AND status <> 'deleted'";
// A skip never overwrites a completed load of the same version.
constexpr std::string_view kRecordSkippedSql =
    "INSERT INTO load_ledger(bucket, key, etag, status, load_id, run_id, rows_read, "
    "rows_loaded, rows_rejected, message, finished_at) "
    "VALUES(?1, ?2, ?3, ?4, '', ?5, 0, 0, 0, ?6, ?7) "
    "ON CONFLICT(bucket, key, etag) DO UPDATE SET status = excluded.status, "
    "run_id = excluded.run_id, message = excluded.message, finished_at = excluded.finished_at "
    "WHERE load_ledger.status <> 'loaded'";
constexpr std::string_view kFindLoadSql =
    "SELECT status, load_id, run_id, rows_read, rows_loaded, rows_rejected, message, "
    "finished_at, job_hash FROM load_ledger WHERE bucket = ?1 AND key = ?2 AND etag = ?3";
constexpr std::string_view kHasOtherVersionSql =
    "SELECT 1 FROM load_ledger WHERE bucket = ?1 AND key = ?2 AND etag <> ?3 "
    "AND status = 'loaded' LIMIT 1";
// updated_at moves only when a value changed, so it says when the row last changed.
constexpr std::string_view kUpsertProductSql =
    "INSERT INTO dim_products(product_id, product_name, category, price, price_cents, "
    "supplier_id, updated_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) "
    "ON CONFLICT(product_id) DO UPDATE SET product_name = excluded.product_name, "
    "category = excluded.category, price = excluded.price, price_cents = excluded.price_cents, "
    "supplier_id = excluded.supplier_id, updated_at = excluded.updated_at "
    "WHERE dim_products.product_name IS NOT excluded.product_name "
    "OR dim_products.category IS NOT excluded.category "
    "OR dim_products.price_cents IS NOT excluded.price_cents "
    "OR dim_products.supplier_id IS NOT excluded.supplier_id";
constexpr std::string_view kUpsertCustomerSql =
    "INSERT INTO dim_customers(customer_id, first_name, last_name, email, membership_level, "
    "updated_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6) "
    "ON CONFLICT(customer_id) DO UPDATE SET first_name = excluded.first_name, "
    "last_name = excluded.last_name, email = excluded.email, "
    "membership_level = excluded.membership_level, updated_at = excluded.updated_at "
    "WHERE dim_customers.first_name IS NOT excluded.first_name "
    "OR dim_customers.last_name IS NOT excluded.last_name "
    "OR dim_customers.email IS NOT excluded.email "
    "OR dim_customers.membership_level IS NOT excluded.membership_level";
constexpr std::string_view kSelectProductsSql =
    "SELECT product_id, product_name, category, price_cents, supplier_id FROM dim_products";
constexpr std::string_view kSelectCustomersSql =
    "SELECT customer_id, first_name, last_name, email, membership_level FROM dim_customers";

// Binds parameters ?1, ?2, ... in order and remembers the first failure. Text is bound
// SQLITE_STATIC: the caller keeps it alive until the statement is stepped and reset.
class Binder {
 public:
  explicit Binder(sqlite3_stmt* stmt, int first = 1) : stmt_(stmt), next_(first) {}
  Binder& Text(std::string_view value) {
    if (value.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
      return Check(SQLITE_TOOBIG);
    }
    // A null pointer would bind NULL; an empty value must stay an empty string.
    const char* data = value.data() != nullptr ? value.data() : "";
    return Check(
        sqlite3_bind_text(stmt_, next_++, data, static_cast<int>(value.size()), SQLITE_STATIC));
  }
  Binder& Int(int64_t value) { return Check(sqlite3_bind_int64(stmt_, next_++, value)); }
  Binder& Real(double value) { return Check(sqlite3_bind_double(stmt_, next_++, value)); }
  Binder& Null() { return Check(sqlite3_bind_null(stmt_, next_++)); }
  int rc() const { return rc_; }

 private:
  Binder& Check(int rc) {
    if (rc_ == SQLITE_OK) rc_ = rc;
    return *this;
  }
  sqlite3_stmt* stmt_;
  int next_;
  int rc_ = SQLITE_OK;
};

// Resets a reused statement and drops its bindings when a one-shot use ends, so that no
// statement keeps pointers into a caller's strings.
class StatementScope {
 public:
  explicit StatementScope(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~StatementScope() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  StatementScope(const StatementScope&) = delete;
  StatementScope& operator=(const StatementScope&) = delete;

 private:
  sqlite3_stmt* stmt_;
};

std::string ColumnText(sqlite3_stmt* stmt, int column) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
  if (text == nullptr) return {};
  return std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt, column)));
}

// The shortest text that reads back as `value` (std::to_chars), with ".0" on integral values
// as SQLite prints them: 129.99, 0.30000000000000004, 3.0, 1e+16, Inf.
std::string ShortestReal(double value) {
  if (std::isinf(value)) return value > 0 ? "Inf" : "-Inf";
  if (std::isnan(value)) return "NaN";
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  std::string text(buffer, ec == std::errc() ? end : buffer);
  if (text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}

// A BLOB as PostgreSQL prints bytea: \x and two lower-case hex digits per byte.
std::string BlobHex(sqlite3_stmt* stmt, int column) {
  const auto* data = static_cast<const unsigned char*>(sqlite3_column_blob(stmt, column));
  const int size = sqlite3_column_bytes(stmt, column);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\\x";
  out.reserve(2 + 2 * static_cast<size_t>(size));
  for (int i = 0; i < size; ++i) {
    out += kHex[data[i] >> 4];
    out += kHex[data[i] & 0xf];
  }
  return out;
}

// The authorizer of user queries (SqliteWarehouse::QueryAll). It runs while a statement is
// prepared, for each action the statement would take; SQLITE_DENY fails the prepare, and
// `refused` keeps the first reason for the error message.
struct QueryAuthorizer {
  bool write = false;
  std::string refused;
};

bool OneOf(const char* name, std::initializer_list<std::string_view> names) {
  if (name == nullptr) return false;
  return std::find(names.begin(), names.end(), std::string_view(name)) != names.end();
}

int AuthorizeQuery(void* data, int action, const char* arg1, const char* arg2,
                   const char* /*database*/, const char* /*trigger*/) {
  auto* auth = static_cast<QueryAuthorizer*>(data);
  auto deny = [&](std::string why) {
    if (auth->refused.empty()) auth->refused = std::move(why);
    return SQLITE_DENY;
  };
  const char* kReadOnly = "ecompipe query is read-only; add --write to change the warehouse";
  switch (action) {
    case SQLITE_ATTACH:
      // VACUUM INTO attaches its output file the same way, so this refuses it too; a plain
      // VACUUM attaches a temporary database with an empty name.
      if (arg1 != nullptr && *arg1 == '\0') {
        return auth->write ? SQLITE_OK : deny(std::string("VACUUM or ATTACH '': ") + kReadOnly);
      }
      return deny(std::string("ATTACH and VACUUM INTO ('") + (arg1 ? arg1 : "") +
                  "') are not run by ecompipe query, with or without --write: they open or "
                  "write database files at any path");
    case SQLITE_DETACH:
      return auth->write ? SQLITE_OK : deny(std::string("DETACH: ") + kReadOnly);
    case SQLITE_FUNCTION:
      if (OneOf(arg2, {"load_extension"})) {
        return deny("load_extension() is not run by ecompipe query, with or without --write");
      }
      return SQLITE_OK;
    case SQLITE_SELECT:
    case SQLITE_READ:
    case SQLITE_RECURSIVE:
    case SQLITE_TRANSACTION:
    case SQLITE_SAVEPOINT:
      return SQLITE_OK;
    case SQLITE_PRAGMA: {
      if (auth->write) return SQLITE_OK;
      // Pragmas that only report, with or without an argument (a table's name).
      if (OneOf(arg1, {"table_info", "table_xinfo", "table_list", "index_list", "index_info",
                       "index_xinfo", "foreign_key_list", "foreign_key_check", "integrity_check",
                       "quick_check", "database_list", "collation_list", "function_list",
                       "module_list", "pragma_list", "compile_options"})) {
        return SQLITE_OK;
      }
      // Pragmas that report without an argument and set a value with one.
      if (arg2 == nullptr &&
          OneOf(arg1,
                {"user_version", "application_id", "schema_version", "data_version", "journal_mode",
                 "page_count", "page_size", "freelist_count", "encoding", "auto_vacuum",
                 "max_page_count", "cache_size", "foreign_keys", "synchronous"})) {
        return SQLITE_OK;
      }
      return deny(std::string("PRAGMA ") + (arg1 ? arg1 : "") +
                  (arg2 ? std::string("=") + arg2 : "") + ": " + kReadOnly);
    }
    case SQLITE_UPDATE:
      // Preparing a first reference to an eponymous virtual table (pragma_table_info(...))
      // asks about sqlite_master's columns; the read-only connection could not write there
      // anyway.
      if (!auth->write && OneOf(arg1, {"sqlite_master", "sqlite_temp_master"})) return SQLITE_OK;
      [[fallthrough]];
    default:
      // Every other action changes something: INSERT, UPDATE, DELETE, CREATE/DROP/ALTER of
      // any kind, REINDEX, ANALYZE.
      if (auth->write) return SQLITE_OK;
      return deny(std::string(kReadOnly) +
                  (arg1 ? std::string(" (it would change ") + arg1 + ")" : ""));
  }
}

// Stored money: FormatMoney's output, which may carry a '-'.
std::optional<model::Money> ParseStoredMoney(std::string_view text) {
  bool negative = !text.empty() && text.front() == '-';
  if (negative) text.remove_prefix(1);
  std::optional<model::Money> money = model::ParseMoney(text);
  if (money && negative) money->cents = -money->cents;
  return money;
}

// The inverse of FormatIsoMillis ("2026-11-26T14:03:35.123Z"); 0 when `text` has another form.
int64_t ParseIsoMillis(std::string_view text) {
  if (text.size() != 24 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
      text[16] != ':' || text[19] != '.' || text[23] != 'Z') {
    return 0;
  }
  auto field = [&](size_t pos, size_t len, int& out) {
    auto [end, ec] = std::from_chars(text.data() + pos, text.data() + pos + len, out);
    return ec == std::errc() && end == text.data() + pos + len;
  };
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, millis = 0;
  if (!field(0, 4, year) || !field(5, 2, month) || !field(8, 2, day) || !field(11, 2, hour) ||
      !field(14, 2, minute) || !field(17, 2, second) || !field(20, 3, millis)) {
    return 0;
  }
  using namespace std::chrono;
  year_month_day date{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                      std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok()) return 0;
  auto time =
      sys_days{date} + hours{hour} + minutes{minute} + seconds{second} + milliseconds{millis};
  return duration_cast<milliseconds>(time.time_since_epoch()).count();
}

StatusCode CodeFor(int rc, StatusCode otherwise) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return StatusCode::kUnavailable;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
      return StatusCode::kIoError;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return StatusCode::kCorruptInput;
    default:
      return otherwise;
  }
}

}  // namespace

void SqliteWarehouse::StatementDeleter::operator()(sqlite3_stmt* stmt) const {
  sqlite3_finalize(stmt);
}

void SqliteWarehouse::ConnectionDeleter::operator()(sqlite3* db) const { sqlite3_close_v2(db); }

// One object's load: a write transaction on the warehouse's connection, from BeginLoad()
// until Commit() or destruction. The three hot statements are bound to the object's lineage
// once and reused for every row.
// What a transaction does besides adding rows: a load of a new version (kLoad), a replay of
// rejects of a loaded one (kReplay), or the removal of a deleted object's rows (kRemove).
enum class LoadKind { kLoad, kReplay, kRemove };

class SqliteLoadTransaction final : public LoadTransaction {
 public:
  SqliteLoadTransaction(SqliteWarehouse& warehouse, const storage::ObjectRef& object,
                        std::string load_id, std::string run_id, ReloadMode mode,
                        LoadKind kind = LoadKind::kLoad, std::string message = "")
      : warehouse_(warehouse),
        object_(object),
        load_id_(std::move(load_id)),
        run_id_(std::move(run_id)),
        mode_(mode),
        kind_(kind),
        message_(std::move(message)) {}

  ~SqliteLoadTransaction() override {
    if (!finished_) Finish(/*committed=*/false);
  }

  // Runs once, right after BEGIN IMMEDIATE.
  Status Start() {
    EP_ASSIGN_OR_RETURN(sqlite3_stmt * status_stmt, warehouse_.Prepared(kLedgerStatusSql));
    {
      StatementScope scope(status_stmt);
      Binder b(status_stmt);
      b.Text(object_.bucket).Text(object_.key).Text(object_.etag);
      if (b.rc() != SQLITE_OK) return warehouse_.Error(b.rc(), "bind ledger lookup");
      int rc = sqlite3_step(status_stmt);
      std::optional<LedgerStatus> status;
      if (rc == SQLITE_ROW) {
        status = ParseLedgerStatus(ColumnText(status_stmt, 0));
      } else if (rc != SQLITE_DONE) {
        return warehouse_.Error(rc, "read load ledger");
      }
      if (kind_ == LoadKind::kLoad && status == LedgerStatus::kLoaded)
        return Status::AlreadyExists("etag " + object_.etag + " is already loaded").At(object_.key);
      if (kind_ == LoadKind::kReplay && status != LedgerStatus::kLoaded)
        return Status::NotFound("etag " + object_.etag + " is not loaded").At(object_.key);
      // A queued reload replaces every earlier row of the key, this version's included.
      every_version_ = kind_ == LoadKind::kRemove || status == LedgerStatus::kQueued;
    }
    if (kind_ == LoadKind::kRemove || (kind_ == LoadKind::kLoad && mode_ == ReloadMode::kReplace) ||
        every_version_) {
      // ETags are never empty, so "" selects every version of the key.
      const std::string& keep_etag = every_version_ ? kNoEtag : object_.etag;
      // The running totals lose what the earlier versions held.
      EP_ASSIGN_OR_RETURN(sqlite3_stmt * sum, warehouse_.Prepared(kSumOtherFactsSql));
      {
        StatementScope scope(sum);
        Binder b(sum);
        b.Text(object_.key).Text(keep_etag);
        if (b.rc() != SQLITE_OK) return warehouse_.Error(b.rc(), "bind replace");
        int rc = sqlite3_step(sum);
        if (rc != SQLITE_ROW) return warehouse_.Error(rc, "sum earlier version's facts");
        facts_removed_ = sqlite3_column_int64(sum, 0);
        cents_removed_ = sqlite3_column_int64(sum, 1);
      }
      for (std::string_view sql : {kDeleteOtherFactsSql, kDeleteOtherRejectsSql}) {
        EP_ASSIGN_OR_RETURN(sqlite3_stmt * del, warehouse_.Prepared(sql));
        StatementScope scope(del);
        Binder b(del);
        b.Text(object_.key).Text(keep_etag);
        if (b.rc() != SQLITE_OK) return warehouse_.Error(b.rc(), "bind replace");
        int rc = sqlite3_step(del);
        if (rc != SQLITE_DONE) return warehouse_.Error(rc, "delete earlier version's rows");
        if (sql == kDeleteOtherRejectsSql)
          rejects_removed_ = sqlite3_changes64(warehouse_.db_.get());
      }
    }
    if (kind_ == LoadKind::kRemove) return Status::Ok();  // it adds no rows
    {
      EP_ASSIGN_OR_RETURN(sqlite3_stmt * insert_load, warehouse_.Prepared(kInsertLoadSql));
      StatementScope scope(insert_load);
      Binder b(insert_load);
      b.Text(load_id_).Text(object_.key).Text(object_.etag);
      if (b.rc() != SQLITE_OK) return warehouse_.Error(b.rc(), "bind load row");
      int rc = sqlite3_step(insert_load);
      if (rc != SQLITE_DONE) return warehouse_.Error(rc, "insert load row");
      load_ref_ = sqlite3_last_insert_rowid(warehouse_.db_.get());
    }
    EP_ASSIGN_OR_RETURN(insert_fact_, warehouse_.Prepared(kInsertFactSql));
    EP_ASSIGN_OR_RETURN(insert_fact_batch_, warehouse_.Prepared(InsertFactBatchSql()));
    Binder batch_lineage(insert_fact_batch_, kFactBatchRows * kFactBatchColumns + 1);
    batch_lineage.Int(load_ref_);
    if (batch_lineage.rc() != SQLITE_OK)
      return warehouse_.Error(batch_lineage.rc(), "bind lineage");
    EP_ASSIGN_OR_RETURN(find_fact_source_, warehouse_.Prepared(kFindFactSourceSql));
    EP_ASSIGN_OR_RETURN(insert_reject_, warehouse_.Prepared(kInsertRejectSql));
    Binder fact_lineage(insert_fact_, 14);
    fact_lineage.Int(load_ref_);
    Binder reject_lineage(insert_reject_, 1);
    reject_lineage.Text(object_.key).Text(object_.etag).Text(load_id_);
    if (int rc = fact_lineage.rc() ? fact_lineage.rc() : reject_lineage.rc(); rc != SQLITE_OK) {
      return warehouse_.Error(rc, "bind lineage");
    }
    return Status::Ok();
  }

  Status UseFactColumns(std::span<const model::OutputColumn> columns) override {
    EP_RETURN_IF_ERROR(CheckUsable());
    std::string sql = "INSERT INTO fact_transactions_data(";
    std::string values;
    integer_columns_.clear();
    money_columns_.clear();
    total_column_ = -1;
    for (size_t i = 0; i < columns.size(); ++i) {
      // price and total_amount are stored as their cents columns (EnsureFactColumns checked
      // that they are numbers with at most 2 decimals).
      const MoneyColumn* money = FindMoneyColumn(columns[i].name, /*by_cents_name=*/false);
      sql += "\"" + (money ? std::string(money->cents) : columns[i].name) + "\", ";
      values += "?" + std::to_string(i + 1) + ", ";
      integer_columns_.push_back(columns[i].type == model::ColumnType::kInteger);
      money_columns_.push_back(money != nullptr);
      if (money && std::string_view(money->cents) == "total_amount_cents") {
        total_column_ = static_cast<int>(i);
      }
    }
    const size_t n = columns.size();
    sql += "load_ref) VALUES(" + values + "?" + std::to_string(n + 1) +
           ") ON CONFLICT(transaction_id) DO NOTHING";
    EP_ASSIGN_OR_RETURN(insert_values_, warehouse_.Prepared(sql));
    Binder lineage(insert_values_, static_cast<int>(n) + 1);
    lineage.Int(load_ref_);
    if (lineage.rc() != SQLITE_OK) return warehouse_.Error(lineage.rc(), "bind lineage");
    return Status::Ok();
  }

  // A configured job's facts (FactRow::values), through the statement UseFactColumns made.
  Status AddValueFacts(std::vector<model::FactRow>& facts) {
    if (insert_values_ == nullptr) {
      return Fail(
          Status::Internal("facts with configured columns before UseFactColumns").At(object_.key));
    }
    sqlite3* db = warehouse_.db_.get();
    for (const model::FactRow& fact : facts) {
      if (fact.values.size() != integer_columns_.size()) {
        return Fail(Status::Internal("a fact has " + std::to_string(fact.values.size()) +
                                     " values for " + std::to_string(integer_columns_.size()) +
                                     " columns")
                        .At(object_.key));
      }
      Binder b(insert_values_);
      int64_t total_cents = 0;
      for (size_t i = 0; i < fact.values.size(); ++i) {
        const std::string& v = fact.values[i];
        if (money_columns_[i]) {
          if (v.empty()) {
            b.Null();
            continue;
          }
          std::optional<model::Money> money = ParseStoredMoney(v);
          if (!money) {
            return Fail(Status::InvalidArgument("line " + std::to_string(fact.line) + ": '" + v +
                                                "' is not an amount with at most 2 decimals; the "
                                                "sqlite warehouse stores money as cents")
                            .At(object_.key));
          }
          b.Int(money->cents);
          if (static_cast<int>(i) == total_column_) total_cents = money->cents;
          continue;
        }
        int64_t number = 0;
        const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), number);
        if (integer_columns_[i] && ec == std::errc() && end == v.data() + v.size()) {
          b.Int(number);
        } else {
          b.Text(v);
        }
      }
      if (b.rc() != SQLITE_OK) return Fail(warehouse_.Error(b.rc(), "bind fact"));
      int rc = sqlite3_step(insert_values_);
      sqlite3_reset(insert_values_);
      if (rc != SQLITE_DONE)
        return Fail(warehouse_.Error(rc, "insert fact " + fact.transaction_id));
      if (sqlite3_changes(db) == 1) {
        ++rows_loaded_;
        cents_loaded_ += total_cents;
      } else {
        EP_RETURN_IF_ERROR(RejectDuplicate(fact));
      }
    }
    return Status::Ok();
  }

  Status AddFacts(std::vector<model::FactRow>& facts) override {
    EP_RETURN_IF_ERROR(CheckUsable());
    if (!facts.empty() && !facts.front().values.empty()) return AddValueFacts(facts);
    std::span<const model::FactRow> rest(facts);
    while (rest.size() >= static_cast<size_t>(kFactBatchRows)) {
      EP_RETURN_IF_ERROR(InsertFactBatch(rest.first(kFactBatchRows)));
      rest = rest.subspan(kFactBatchRows);
    }
    return InsertFactsOneByOne(rest);
  }
  Status AddRejects(std::vector<model::RejectRow>& rejects) override {
    EP_RETURN_IF_ERROR(CheckUsable());
    std::string now = FormatIsoMillis(NowMillis());
    for (const model::RejectRow& reject : rejects) {
      EP_RETURN_IF_ERROR(InsertReject(reject.line, reject.reason, reject.detail,
                                      reject.transaction_id, reject.raw, now));
    }
    return Status::Ok();
  }

  Result<int64_t> RemoveRejects(std::span<const int64_t> ids) override {
    EP_RETURN_IF_ERROR(CheckUsable());
    if (kind_ != LoadKind::kReplay) return LoadTransaction::RemoveRejects(ids);
    EP_ASSIGN_OR_RETURN(sqlite3_stmt * del, warehouse_.Prepared(kRemoveRejectSql));
    int64_t removed = 0;
    for (int64_t id : ids) {
      StatementScope scope(del);
      Binder b(del);
      b.Int(id).Text(object_.key).Text(object_.etag);
      if (b.rc() != SQLITE_OK) return Fail(warehouse_.Error(b.rc(), "bind remove reject"));
      int rc = sqlite3_step(del);
      if (rc != SQLITE_DONE) return Fail(warehouse_.Error(rc, "remove reject"));
      removed += sqlite3_changes(warehouse_.db_.get());
    }
    rejects_removed_ += removed;
    return removed;
  }

  // kRemove: what the removal deleted, committed.
  Result<std::pair<int64_t, int64_t>> CommitRemoval() {
    EP_RETURN_IF_ERROR(Commit(0).status());
    return std::pair<int64_t, int64_t>{facts_removed_, rejects_removed_};
  }

  Result<LoadCounts> Commit(int64_t rows_read) override {
    EP_RETURN_IF_ERROR(CheckUsable());
    if (rows_read != rows_loaded_ + rows_rejected_ ||
        (kind_ == LoadKind::kReplay && rows_read != rejects_removed_)) {
      Finish(/*committed=*/false);
      return Status::Internal("rows read (" + std::to_string(rows_read) + ") != rows loaded (" +
                              std::to_string(rows_loaded_) + ") + rows rejected (" +
                              std::to_string(rows_rejected_) + "); the load was rolled back")
          .At(object_.key);
    }
    if (Status s = WriteLedger(rows_read); !s.ok()) {
      Finish(/*committed=*/false);
      return s;
    }
    if (Status s = warehouse_.Exec("COMMIT", "commit load"); !s.ok()) {
      Finish(/*committed=*/false);
      return s;
    }
    Finish(/*committed=*/true);
    return Counts(rows_loaded_, rows_rejected_);
  }

 private:
  Status CheckUsable() const {
    if (finished_) return Status::Internal("load transaction already finished").At(object_.key);
    if (!failed_.ok()) {
      // Keeps the original code: a retryable failure stays retryable.
      return Status(failed_.code(), "load transaction failed earlier: " + failed_.message())
          .At(object_.key);
    }
    return Status::Ok();
  }

  // Remembers the first error: SQLite may already have rolled the transaction back (disk
  // full, I/O error), so nothing more may be added to it and Commit() must fail.
  Status Fail(Status status) {
    if (failed_.ok()) failed_ = status;
    return status;
  }

  static Binder& BindFact(Binder& b, const model::FactRow& fact) {
    return b.Text(fact.transaction_id)
        .Text(fact.customer_id)
        .Text(fact.customer_email)
        .Text(fact.product_id)
        .Text(fact.product_name)
        .Int(fact.quantity)
        .Text(fact.supplier_id)
        .Int(fact.price.cents)
        .Text(fact.transaction_date)
        .Text(fact.transaction_type)
        .Text(fact.payment_type)
        .Text(fact.status)
        .Int(fact.total_amount.cents);
  }

  // kFactBatchRows facts with one statement; when one of them is a duplicate (the statement
  // fails with a constraint error and SQLite undoes it), row by row instead.
  Status InsertFactBatch(std::span<const model::FactRow> batch) {
    Binder b(insert_fact_batch_);
    int64_t batch_cents = 0;
    for (const model::FactRow& fact : batch) {
      BindFact(b, fact);
      batch_cents += fact.total_amount.cents;
    }
    if (b.rc() != SQLITE_OK) return Fail(warehouse_.Error(b.rc(), "bind facts"));
    int rc = sqlite3_step(insert_fact_batch_);
    // Reset even on failure: the statement is reused by the next batch.
    sqlite3_reset(insert_fact_batch_);
    if (rc == SQLITE_DONE) {
      rows_loaded_ += static_cast<int64_t>(batch.size());
      cents_loaded_ += batch_cents;
      return Status::Ok();
    }
    // A constraint failure undid only this statement; any other error (I/O, disk full) may
    // have rolled the whole transaction back (autocommit on again).
    if ((rc & 0xff) == SQLITE_CONSTRAINT && !sqlite3_get_autocommit(warehouse_.db_.get())) {
      return InsertFactsOneByOne(batch);
    }
    return Fail(warehouse_.Error(
        rc, "insert facts " + batch.front().transaction_id + ".." + batch.back().transaction_id));
  }

  Status InsertFactsOneByOne(std::span<const model::FactRow> facts) {
    sqlite3* db = warehouse_.db_.get();
    for (const model::FactRow& fact : facts) {
      Binder b(insert_fact_);
      BindFact(b, fact);
      if (b.rc() != SQLITE_OK) return Fail(warehouse_.Error(b.rc(), "bind fact"));
      int rc = sqlite3_step(insert_fact_);
      // Reset even on failure: the statement is reused by the next row.
      sqlite3_reset(insert_fact_);
      if (rc != SQLITE_DONE) {
        return Fail(warehouse_.Error(rc, "insert fact " + fact.transaction_id));
      }
      if (sqlite3_changes(db) == 1) {
        ++rows_loaded_;
        cents_loaded_ += fact.total_amount.cents;
      } else {
        EP_RETURN_IF_ERROR(RejectDuplicate(fact));
      }
    }
    return Status::Ok();
  }

  Status RejectDuplicate(const model::FactRow& fact) {
    std::string loaded_from = "an earlier load";
    {
      StatementScope scope(find_fact_source_);
      Binder b(find_fact_source_);
      b.Text(fact.transaction_id);
      if (b.rc() != SQLITE_OK) return Fail(warehouse_.Error(b.rc(), "bind duplicate lookup"));
      int rc = sqlite3_step(find_fact_source_);
      if (rc == SQLITE_ROW) {
        loaded_from = ColumnText(find_fact_source_, 0);
      } else if (rc != SQLITE_DONE) {
        return Fail(warehouse_.Error(rc, "look up duplicate " + fact.transaction_id));
      }
    }
    return InsertReject(
        fact.line, model::reason::kDuplicateTransactionId,
        "transaction_id " + fact.transaction_id + " already loaded from " + loaded_from,
        fact.transaction_id, FactAsCsv(fact), FormatIsoMillis(NowMillis()));
  }

  // `line` 0 (unknown) is stored as NULL.
  Status InsertReject(int64_t line, std::string_view reason, std::string_view detail,
                      std::string_view transaction_id, std::string_view raw,
                      std::string_view rejected_at) {
    ++rows_rejected_;
    if (!rejects_budget_.Admit(reason, raw.size())) return Status::Ok();  // counted only
    Binder b(insert_reject_, 4);
    if (line > 0) {
      b.Int(line);
    } else {
      b.Null();
    }
    b.Text(reason).Text(detail).Text(transaction_id).Text(raw).Text(rejected_at);
    if (b.rc() != SQLITE_OK) return Fail(warehouse_.Error(b.rc(), "bind reject"));
    int rc = sqlite3_step(insert_reject_);
    sqlite3_reset(insert_reject_);
    if (rc != SQLITE_DONE) return Fail(warehouse_.Error(rc, "insert reject"));
    return Status::Ok();
  }

  Status WriteLedger(int64_t rows_read) {
    std::string now = FormatIsoMillis(NowMillis());
    const std::string note = rejects_budget_.Summary();  // bound SQLITE_STATIC: must outlive it
    if (kind_ != LoadKind::kLoad) {
      const bool replay = kind_ == LoadKind::kReplay;
      EP_ASSIGN_OR_RETURN(sqlite3_stmt * update,
                          warehouse_.Prepared(replay ? kReplayLedgerSql : kMarkDeletedSql));
      StatementScope scope(update);
      Binder b(update);
      b.Text(object_.bucket).Text(object_.key);
      if (replay) {
        b.Text(object_.etag).Int(rows_loaded_).Int(rows_rejected_ - rejects_removed_);
      } else {
        b.Text(run_id_).Text(message_).Text(now);
      }
      if (b.rc() != SQLITE_OK) return warehouse_.Error(b.rc(), "bind ledger update");
      int rc = sqlite3_step(update);
      if (rc != SQLITE_DONE) return warehouse_.Error(rc, "update ledger");
      return AddToTotals();
    }
    if (mode_ == ReloadMode::kReplace || every_version_) {
      EP_ASSIGN_OR_RETURN(sqlite3_stmt * mark, warehouse_.Prepared(kMarkReplacedSql));
      StatementScope scope(mark);
      Binder b(mark);
      b.Text(object_.bucket).Text(object_.key).Text(object_.etag).Text(load_id_);
      if (b.rc() != SQLITE_OK) return warehouse_.Error(b.rc(), "bind mark replaced");
      int rc = sqlite3_step(mark);
      if (rc != SQLITE_DONE) return warehouse_.Error(rc, "mark earlier versions replaced");
    }
    EP_ASSIGN_OR_RETURN(sqlite3_stmt * write, warehouse_.Prepared(kWriteLedgerSql));
    StatementScope scope(write);
    Binder b(write);
    b.Text(object_.bucket)
        .Text(object_.key)
        .Text(object_.etag)
        .Text("loaded")
        .Text(load_id_)
        .Text(run_id_)
        .Int(rows_read)
        .Int(rows_loaded_)
        .Int(rows_rejected_)
        .Text(note)
        .Text(now)
        .Text(job_hash_);
    if (b.rc() != SQLITE_OK) return warehouse_.Error(b.rc(), "bind ledger row");
    int rc = sqlite3_step(write);
    if (rc != SQLITE_DONE) return warehouse_.Error(rc, "write ledger row");
    return AddToTotals();
  }

  // The load's change to the running totals, in its transaction. A missing row (deleted by
  // hand) is counted again from the tables, which by now hold this load's rows.
  Status AddToTotals() {
    EP_ASSIGN_OR_RETURN(sqlite3_stmt * add, warehouse_.Prepared(kAddToTotalsSql));
    StatementScope scope(add);
    Binder b(add);
    b.Int(rows_loaded_ - facts_removed_)
        .Int(rows_rejected_ - rejects_budget_.not_stored() - rejects_removed_)
        .Int(cents_loaded_ - cents_removed_);
    if (b.rc() != SQLITE_OK) return warehouse_.Error(b.rc(), "bind totals");
    int rc = sqlite3_step(add);
    if (rc != SQLITE_DONE) return warehouse_.Error(rc, "add to warehouse_totals");
    if (sqlite3_changes(warehouse_.db_.get()) == 0) {
      return warehouse_.Exec(kFillTotalsSql, "count warehouse_totals");
    }
    return Status::Ok();
  }

  void Finish(bool committed) {
    if (!committed) warehouse_.RollbackQuietly();
    // The hot statements hold pointers into this object's strings.
    for (sqlite3_stmt* stmt :
         {insert_fact_, insert_fact_batch_, find_fact_source_, insert_reject_, insert_values_}) {
      if (stmt == nullptr) continue;
      sqlite3_reset(stmt);
      sqlite3_clear_bindings(stmt);
    }
    warehouse_.load_open_ = false;
    finished_ = true;
  }

  SqliteWarehouse& warehouse_;
  const storage::ObjectRef object_;
  const std::string load_id_;
  const std::string run_id_;
  const ReloadMode mode_;
  const LoadKind kind_;
  const std::string message_;  // kRemove: the ledger rows' message
  static inline const std::string kNoEtag;
  bool every_version_ = false;  // the rows of every version of the key go, this one's too
  int64_t load_ref_ = 0;        // this load's row in `loads`
  sqlite3_stmt* insert_fact_ = nullptr;
  sqlite3_stmt* insert_fact_batch_ = nullptr;  // kFactBatchRows rows of kInsertFactSql's columns
  sqlite3_stmt* find_fact_source_ = nullptr;
  sqlite3_stmt* insert_reject_ = nullptr;
  sqlite3_stmt* insert_values_ = nullptr;  // set by UseFactColumns
  std::vector<bool> integer_columns_;      // of insert_values_, in order
  std::vector<bool> money_columns_;        // likewise: stored as cents
  int total_column_ = -1;                  // of insert_values_: total_amount, if output
  int64_t rows_loaded_ = 0;
  int64_t rows_rejected_ = 0;
  // For warehouse_totals: the total_amount cents this load inserted, and what its replace
  // deleted.
  int64_t cents_loaded_ = 0;
  int64_t facts_removed_ = 0, rejects_removed_ = 0, cents_removed_ = 0;
  Status failed_;
  bool finished_ = false;
};

SqliteWarehouse::SqliteWarehouse(PassKey, std::string path, sqlite3* db)
    : path_(std::move(path)), db_(db) {}

SqliteWarehouse::~SqliteWarehouse() = default;

Result<std::unique_ptr<SqliteWarehouse>> SqliteWarehouse::Open(const std::string& path) {
  return Open(path, SqliteWarehouseOptions{});
}

Result<std::unique_ptr<SqliteWarehouse>> SqliteWarehouse::Open(
    const std::string& path, const SqliteWarehouseOptions& options) {
  ConfigureSqliteOnce();
  sqlite3* db = nullptr;
  // NOMUTEX: a connection is used by one thread at a time (the Warehouse contract).
  int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return Status(CodeFor(rc, StatusCode::kIoError), "sqlite open warehouse: " + message).At(path);
  }
  auto warehouse = std::make_unique<SqliteWarehouse>(PassKey{}, path, db);
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, options.busy_timeout_ms);

  // WAL: readers (queries, the dashboard) never block the loader, and a commit is one
  // append to the log. synchronous=NORMAL with WAL syncs at checkpoints, not at each commit:
  // a committed transaction is in the WAL file (the OS page cache) before COMMIT returns,
  // so it survives a crash of the process; only a power loss or OS crash can lose the last
  // commits, and then whole transactions only (facts, rejects and ledger row together; the
  // database is never corrupted), so those objects are simply loaded again by the next run.
  warehouse->busy_timeout_ms_ = options.busy_timeout_ms;
  Result<QueryResult> mode =
      warehouse->RunSql("PRAGMA journal_mode=WAL", {}, /*own_transaction=*/true);
  if (!mode.ok()) {
    // The first statement to read the file: "file is not a database" surfaces here.
    return Status(mode.status().code(), "sqlite open warehouse: " + mode.status().message())
        .At(path);
  }
  std::string journal_mode =
      !mode->rows.empty() && mode->rows[0][0] ? *mode->rows[0][0] : std::string();
  bool in_memory =
      sqlite3_db_filename(db, "main") == nullptr || *sqlite3_db_filename(db, "main") == '\0';
  if (journal_mode != "wal" && !in_memory) {
    return Status::IoError("sqlite open warehouse: cannot switch to WAL mode (journal_mode is '" +
                           journal_mode + "')")
        .At(path);
  }
  EP_RETURN_IF_ERROR(warehouse->Exec("PRAGMA synchronous=NORMAL", "set synchronous"));
  // A load is one transaction; a larger page cache keeps the indexes' hot pages (random
  // transaction ids) in memory. The WAL grows with the largest transaction; once
  // checkpointed, truncate it back to 64 MiB.
  EP_RETURN_IF_ERROR(warehouse->Exec("PRAGMA cache_size=-65536", "set cache size"));
  EP_RETURN_IF_ERROR(warehouse->Exec("PRAGMA journal_size_limit=67108864", "set WAL limit"));
  return warehouse;
}

Result<sqlite3_stmt*> SqliteWarehouse::Prepared(std::string_view sql) {
  std::string key(sql);
  auto it = statements_.find(key);
  if (it != statements_.end()) return it->second.get();
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return Error(rc, "prepare '" + key.substr(0, 40) + "...'");
  }
  statements_.emplace(std::move(key), StatementPtr(stmt));
  return stmt;
}

Status SqliteWarehouse::Exec(const char* sql, std::string_view operation) {
  int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return Error(rc, operation);
  return Status::Ok();
}

Status SqliteWarehouse::Error(int rc, std::string_view operation) const {
  std::string message = "sqlite " + std::string(operation) + ": " + sqlite3_errmsg(db_.get());
  StatusCode code = CodeFor(rc, StatusCode::kInternal);
  if (code == StatusCode::kUnavailable) message += " (another connection holds the lock; retry)";
  return Status(code, std::move(message)).At(path_);
}

void SqliteWarehouse::RollbackQuietly() {
  // SQLite may already have rolled back on its own (I/O error, disk full): then there is no
  // transaction left and nothing to do.
  if (!sqlite3_get_autocommit(db_.get())) {
    sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

Status SqliteWarehouse::EnsureSchema() {
  if (load_open_) return Status::Internal("EnsureSchema while a load is open").At(path_);
  EP_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE", "begin schema"));
  auto fail = [this](Status s) {
    RollbackQuietly();
    return s;
  };
  Result<QueryResult> version = RunSql("PRAGMA user_version", {}, /*own_transaction=*/false);
  if (!version.ok()) return fail(version.status());
  int64_t found = 0;
  if (!version->rows.empty() && version->rows[0][0]) {
    std::from_chars(version->rows[0][0]->data(),
                    version->rows[0][0]->data() + version->rows[0][0]->size(), found);
  }
  if (found > kSchemaVersion) {
    return fail(Status::InvalidArgument("warehouse schema version " + std::to_string(found) +
                                        " is newer than this ecompipe supports (" +
                                        std::to_string(kSchemaVersion) + "); upgrade ecompipe")
                    .At(path_));
  }
  Result<QueryResult> old_facts = RunSql(
      "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'fact_transactions'", {}, false);
  if (!old_facts.ok()) return fail(old_facts.status());
  // Each migration is decided by the columns it changes, so a file that stopped half-way
  // through an upgrade of an earlier ecompipe (none can: each runs in this transaction) or was
  // edited by hand is still brought to the current shape.
  const auto has_column = [this](const char* table, const char* column) -> Result<bool> {
    EP_ASSIGN_OR_RETURN(auto columns, TableColumns(table));
    return std::any_of(columns.begin(), columns.end(),
                       [column](const auto& c) { return c.first == column; });
  };
  if (!old_facts->rows.empty()) {
    if (Status s = MigrateFactsFromVersion1(); !s.ok()) return fail(s);
  } else {
    Result<bool> text_money = has_column("fact_transactions_data", "price");
    if (!text_money.ok()) return fail(text_money.status());
    if (*text_money) {
      if (Status s = MigrateMoneyFromVersion2(); !s.ok()) return fail(s);
    }
  }
  Result<bool> text_price = has_column("dim_products", "price");
  Result<bool> cents_price = has_column("dim_products", "price_cents");
  if (!text_price.ok()) return fail(text_price.status());
  if (!cents_price.ok()) return fail(cents_price.status());
  if (*text_price && !*cents_price) {
    if (Status s = MigrateProductPrices(); !s.ok()) return fail(s);
  }
  if (Status s = Exec(kSchemaSql, "create schema"); !s.ok()) return fail(s);
  // The job definition's hash of each load came with reloads; older rows have none.
  Result<bool> job_hash = has_column("load_ledger", "job_hash");
  if (!job_hash.ok()) return fail(job_hash.status());
  if (!*job_hash) {
    if (Status s = Exec("ALTER TABLE load_ledger ADD COLUMN job_hash TEXT", "add job_hash");
        !s.ok())
      return fail(s);
  }
  if (Status s = CreateFactView(/*replace=*/false); !s.ok()) return fail(s);
  Result<QueryResult> totals = RunSql("SELECT 1 FROM warehouse_totals", {}, false);
  if (!totals.ok()) return fail(totals.status());
  if (totals->rows.empty()) {
    if (Status s = Exec(kFillTotalsSql, "fill warehouse_totals"); !s.ok()) return fail(s);
  }
  std::string set_version = "PRAGMA user_version=" + std::to_string(kSchemaVersion);
  if (Status s = Exec(set_version.c_str(), "set schema version"); !s.ok()) return fail(s);
  if (Status s = Exec("COMMIT", "commit schema"); !s.ok()) return fail(s);
  return Status::Ok();
}

Result<std::vector<std::pair<std::string, std::string>>> SqliteWarehouse::TableColumns(
    const char* table) {
  EP_ASSIGN_OR_RETURN(
      QueryResult info,
      RunSql(std::string("SELECT name, type FROM pragma_table_info('") + table + "') ORDER BY cid",
             {}, /*own_transaction=*/false));
  std::vector<std::pair<std::string, std::string>> columns;
  for (const auto& row : info.rows) columns.emplace_back(row[0].value_or(""), row[1].value_or(""));
  return columns;
}

Status SqliteWarehouse::CreateFactView(bool replace) {
  EP_ASSIGN_OR_RETURN(auto columns, TableColumns("fact_transactions_data"));
  std::string select;
  std::string cents;  // the exact columns, after all others
  for (const auto& [name, type] : columns) {
    if (!select.empty()) select += ", ";
    if (name == "load_ref") {
      select += "l.source_object, l.source_etag, l.load_id";
    } else if (const MoneyColumn* money = FindMoneyColumn(name, /*by_cents_name=*/true)) {
      select += "f." + name + " / 100.0 AS " + money->shown;
      cents += ", f." + name;
    } else {
      select += "f.\"" + name + "\"";
    }
  }
  select += cents;
  // LEFT JOIN on loads' primary key: a query that reads no lineage column does not touch
  // `loads` at all (SQLite drops such a join), and one that filters on source_object turns
  // it into an inner join that starts from loads_source_object.
  std::string sql = replace ? "DROP VIEW IF EXISTS fact_transactions; CREATE VIEW "
                            : "CREATE VIEW IF NOT EXISTS ";
  sql += "fact_transactions AS SELECT " + select +
         " FROM fact_transactions_data f LEFT JOIN loads l ON l.load_ref = f.load_ref";
  return Exec(sql.c_str(), "create view fact_transactions");
}

namespace {

// The cents of a money value stored as text by schema versions 1 and 2 ("129.99"): the
// nearest double to such a value times 100 is within a hair of the integer, and ROUND
// recovers it (exact below 2^53 cents). An empty text, as a configured job wrote for no
// value, becomes NULL, as NULL stays NULL.
std::string TextMoneyToCents(const std::string& column) {
  return "CASE WHEN trim(" + column + ") = '' THEN NULL ELSE CAST(ROUND(" + column +
         " * 100) AS INTEGER) END";
}

}  // namespace

Result<std::string> SqliteWarehouse::CopyFactColumns(const char* old_table, std::string& selected) {
  EP_ASSIGN_OR_RETURN(auto old_columns, TableColumns(old_table));
  std::string copied;
  for (const auto& [name, type] : old_columns) {
    // An init-capture: clang 14 (clang-tidy) cannot capture a structured binding itself.
    const auto is = [&name = name](const char* c) { return name == c; };
    if (std::any_of(std::begin(kLineageColumns), std::end(kLineageColumns), is)) continue;
    if (name == "load_ref") continue;  // the caller's
    if (const MoneyColumn* money = FindMoneyColumn(name, /*by_cents_name=*/false)) {
      copied += std::string(money->cents) + ", ";
      selected += TextMoneyToCents("f.\"" + name + "\"") + ", ";
      continue;
    }
    if (!std::any_of(std::begin(kFactColumns), std::end(kFactColumns), is)) {
      const std::string add =
          "ALTER TABLE fact_transactions_data ADD COLUMN \"" + name + "\" " + type;
      EP_RETURN_IF_ERROR(Exec(add.c_str(), "migrate facts (add column " + name + ")"));
    }
    copied += "\"" + name + "\", ";
    selected += "f.\"" + name + "\", ";
  }
  return copied;
}

Status SqliteWarehouse::MigrateFactsFromVersion1() {
  // Version 1 kept source_object, source_etag and load_id on every fact row (and indexed
  // source_object), and money as text. The rows move to fact_transactions_data with a load_ref
  // into `loads` and money in cents; the columns a configured job added come along with their
  // declared types.
  EP_RETURN_IF_ERROR(Exec("ALTER TABLE fact_transactions RENAME TO fact_transactions_v1",
                          "migrate facts (rename)"));
  EP_RETURN_IF_ERROR(Exec(kSchemaSql, "migrate facts (create schema)"));
  std::string selected;
  EP_ASSIGN_OR_RETURN(std::string copied, CopyFactColumns("fact_transactions_v1", selected));
  const std::string sql =
      "INSERT INTO loads(load_id, source_object, source_etag) "
      "SELECT DISTINCT coalesce(load_id, ''), coalesce(source_object, ''), "
      "coalesce(source_etag, '') FROM fact_transactions_v1; "
      "INSERT INTO fact_transactions_data(" +
      copied + "load_ref) SELECT " + selected +
      "(SELECT load_ref FROM loads l WHERE l.load_id = coalesce(f.load_id, '') AND "
      "l.source_object = coalesce(f.source_object, '') AND "
      "l.source_etag = coalesce(f.source_etag, '')) "
      "FROM fact_transactions_v1 f; "
      "DROP TABLE fact_transactions_v1;";
  return Exec(sql.c_str(), "migrate facts (copy rows)");
}

Status SqliteWarehouse::MigrateMoneyFromVersion2() {
  // Version 2 stored price and total_amount as text. The table is rebuilt with the cents
  // columns in their places (SQLite cannot change a column's type); the view goes first, as it
  // reads the old table, and the load_ref index, whose name the new table's takes.
  EP_RETURN_IF_ERROR(
      Exec("DROP VIEW IF EXISTS fact_transactions; "
           "DROP INDEX IF EXISTS fact_transactions_data_load_ref; "
           "ALTER TABLE fact_transactions_data RENAME TO fact_transactions_data_v2",
           "migrate money (rename)"));
  EP_RETURN_IF_ERROR(Exec(kSchemaSql, "migrate money (create schema)"));
  std::string selected;
  EP_ASSIGN_OR_RETURN(std::string copied, CopyFactColumns("fact_transactions_data_v2", selected));
  // Both tables are WITHOUT ROWID on transaction_id: the copy reads and appends in key order.
  const std::string sql = "INSERT INTO fact_transactions_data(" + copied + "load_ref) SELECT " +
                          selected + "f.load_ref FROM fact_transactions_data_v2 f; " +
                          "DROP TABLE fact_transactions_data_v2;";
  return Exec(sql.c_str(), "migrate money (copy rows)");
}

Status SqliteWarehouse::MigrateProductPrices() {
  EP_RETURN_IF_ERROR(
      Exec("ALTER TABLE dim_products RENAME TO dim_products_v2", "migrate dim_products (rename)"));
  EP_RETURN_IF_ERROR(Exec(kSchemaSql, "migrate dim_products (create schema)"));
  const std::string sql =
      "INSERT INTO dim_products(product_id, product_name, category, price, price_cents, "
      "supplier_id, updated_at) SELECT product_id, product_name, category, cents / 100.0, cents, "
      "supplier_id, updated_at FROM (SELECT *, " +
      TextMoneyToCents("price") + " AS cents FROM dim_products_v2); DROP TABLE dim_products_v2;";
  return Exec(sql.c_str(), "migrate dim_products (copy rows)");
}

Status SqliteWarehouse::EnsureFactColumns(std::span<const model::OutputColumn> columns) {
  if (load_open_) return Status::Internal("EnsureFactColumns while a load is open").At(path_);
  EP_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE", "begin fact columns"));
  auto fail = [this](Status s) {
    RollbackQuietly();
    return s;
  };
  Result<std::vector<std::pair<std::string, std::string>>> info =
      TableColumns("fact_transactions_data");
  if (!info.ok()) return fail(info.status());
  std::vector<std::string> existing(std::begin(kLineageColumns), std::end(kLineageColumns));
  for (const auto& column : *info) existing.push_back(column.first);
  const size_t known = existing.size();
  if (info->empty()) {
    return fail(
        Status::Internal("fact_transactions does not exist (EnsureSchema first)").At(path_));
  }
  for (const model::OutputColumn& c : columns) {
    if (FindMoneyColumn(c.name, /*by_cents_name=*/false) != nullptr) {
      // Stored as cents: only numbers with at most 2 decimals fit.
      const bool fits = c.type == model::ColumnType::kInteger ||
                        (c.type == model::ColumnType::kDecimal && c.scale <= 2);
      if (!fits) {
        return fail(Status::InvalidArgument(
                        "fact column '" + c.name +
                        "' must be an integer or a decimal with at most 2 decimals: the sqlite "
                        "warehouse stores it as cents (" +
                        c.name + "_cents)")
                        .At(path_));
      }
      continue;
    }
    // Names are checked identifiers (CheckJobSpec); SQLite compares them case-insensitively.
    const bool present = std::any_of(existing.begin(), existing.end(), [&](const std::string& e) {
      return e.size() == c.name.size() &&
             std::equal(e.begin(), e.end(), c.name.begin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) ==
                      std::tolower(static_cast<unsigned char>(b));
             });
    });
    if (present) continue;
    const std::string sql = "ALTER TABLE fact_transactions_data ADD COLUMN \"" + c.name + "\" " +
                            (c.type == model::ColumnType::kInteger ? "INTEGER" : "TEXT");
    if (Status s = Exec(sql.c_str(), "add fact column " + c.name); !s.ok()) return fail(s);
    existing.push_back(c.name);
  }
  if (existing.size() != known) {
    if (Status s = CreateFactView(/*replace=*/true); !s.ok()) return fail(s);
  }
  if (Status s = Exec("COMMIT", "commit fact columns"); !s.ok()) return fail(s);
  return Status::Ok();
}

Result<std::optional<LedgerEntry>> SqliteWarehouse::FindLoad(const storage::ObjectRef& object) {
  EP_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepared(kFindLoadSql));
  StatementScope scope(stmt);
  Binder b(stmt);
  b.Text(object.bucket).Text(object.key).Text(object.etag);
  if (b.rc() != SQLITE_OK) return Error(b.rc(), "bind find load");
  int rc = sqlite3_step(stmt);
  if (rc == SQLITE_DONE) return std::optional<LedgerEntry>();
  if (rc != SQLITE_ROW) return Error(rc, "find load");
  LedgerEntry entry;
  entry.bucket = object.bucket;
  entry.key = object.key;
  entry.etag = object.etag;
  const std::string status = ColumnText(stmt, 0);
  std::optional<LedgerStatus> parsed = ParseLedgerStatus(status);
  if (!parsed)
    return Status::CorruptInput("load_ledger has an unknown status '" + status + "'")
        .At(object.key);
  entry.status = *parsed;
  entry.load_id = ColumnText(stmt, 1);
  entry.run_id = ColumnText(stmt, 2);
  entry.rows_read = sqlite3_column_int64(stmt, 3);
  entry.rows_loaded = sqlite3_column_int64(stmt, 4);
  entry.rows_rejected = sqlite3_column_int64(stmt, 5);
  entry.message = ColumnText(stmt, 6);
  entry.finished_ms = ParseIsoMillis(ColumnText(stmt, 7));
  entry.job_hash = ColumnText(stmt, 8);
  return std::optional<LedgerEntry>(std::move(entry));
}

Result<bool> SqliteWarehouse::HasOtherVersion(const storage::ObjectRef& object) {
  EP_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepared(kHasOtherVersionSql));
  StatementScope scope(stmt);
  Binder b(stmt);
  b.Text(object.bucket).Text(object.key).Text(object.etag);
  if (b.rc() != SQLITE_OK) return Error(b.rc(), "bind other version");
  int rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return Error(rc, "look up other versions");
}

Result<std::unique_ptr<LoadTransaction>> SqliteWarehouse::BeginLoad(
    const storage::ObjectRef& object, const std::string& load_id, const std::string& run_id,
    ReloadMode mode) {
  if (load_open_) {
    return Status::Internal("BeginLoad while another load is open on this connection")
        .At(object.key);
  }
  EP_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE", "begin load of " + object.key));
  load_open_ = true;
  // From here on the transaction object owns the SQLite transaction: returning an error
  // destroys it, which rolls back.
  auto load = std::make_unique<SqliteLoadTransaction>(*this, object, load_id, run_id, mode);
  EP_RETURN_IF_ERROR(load->Start());
  return std::unique_ptr<LoadTransaction>(std::move(load));
}

Result<std::unique_ptr<LoadTransaction>> SqliteWarehouse::BeginReplay(
    const storage::ObjectRef& object, const std::string& load_id, const std::string& run_id) {
  if (load_open_) return Status::Internal("BeginReplay while a load is open").At(object.key);
  EP_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE", "begin replay of " + object.key));
  load_open_ = true;
  auto load = std::make_unique<SqliteLoadTransaction>(*this, object, load_id, run_id,
                                                      ReloadMode::kAppend, LoadKind::kReplay);
  EP_RETURN_IF_ERROR(load->Start());
  return std::unique_ptr<LoadTransaction>(std::move(load));
}

Result<std::pair<int64_t, int64_t>> SqliteWarehouse::RemoveObject(const storage::ObjectRef& object,
                                                                  const std::string& run_id,
                                                                  const std::string& message) {
  if (load_open_) return Status::Internal("RemoveObject while a load is open").At(object.key);
  EP_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE", "begin removal of " + object.key));
  load_open_ = true;
  SqliteLoadTransaction removal(*this, object, "", run_id, ReloadMode::kReplace, LoadKind::kRemove,
                                message);
  EP_RETURN_IF_ERROR(removal.Start());
  return removal.CommitRemoval();
}

Status SqliteWarehouse::RecordSkipped(const storage::ObjectRef& object, const std::string& run_id,
                                      LedgerStatus skip, const std::string& message) {
  const std::string status(LedgerStatusName(skip));
  if (skip == LedgerStatus::kLoaded) {
    return Status::InvalidArgument("skip status must be 'failed' or 'ignored', not '" + status +
                                   "'")
        .At(object.key);
  }
  if (load_open_) return Status::Internal("RecordSkipped while a load is open").At(object.key);
  EP_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepared(kRecordSkippedSql));
  StatementScope scope(stmt);
  std::string now = FormatIsoMillis(NowMillis());
  Binder b(stmt);
  b.Text(object.bucket)
      .Text(object.key)
      .Text(object.etag)
      .Text(status)
      .Text(run_id)
      .Text(message)
      .Text(now);
  if (b.rc() != SQLITE_OK) return Error(b.rc(), "bind record skipped");
  int rc = sqlite3_step(stmt);
  if (rc != SQLITE_DONE) return Error(rc, "record skipped load");
  if (sqlite3_changes(db_.get()) == 0) {
    return Status::AlreadyExists("etag " + object.etag + " is already loaded; not marking it " +
                                 status)
        .At(object.key);
  }
  return Status::Ok();
}

template <typename Row, typename BindRow>
Status SqliteWarehouse::Upsert(std::span<const Row> rows, std::string_view sql,
                               std::string_view operation, BindRow bind_row) {
  if (load_open_) {
    return Status::Internal(std::string(operation) + " while a load is open").At(path_);
  }
  EP_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepared(sql));
  EP_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE", operation));
  std::string now = FormatIsoMillis(NowMillis());
  std::string scratch;
  Status status;
  for (const Row& row : rows) {
    Binder b(stmt);
    bind_row(b, row, scratch);
    b.Text(now);
    if (b.rc() != SQLITE_OK) {
      status = Error(b.rc(), operation);
      break;
    }
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE) {
      status = Error(rc, operation);
      break;
    }
  }
  sqlite3_clear_bindings(stmt);
  if (status.ok()) status = Exec("COMMIT", operation);
  if (!status.ok()) RollbackQuietly();
  return status;
}

Status SqliteWarehouse::UpsertProducts(std::span<const model::Product> rows) {
  return Upsert(rows, kUpsertProductSql, "upsert products",
                [](Binder& b, const model::Product& p, std::string&) {
                  // The same double SQLite's price_cents / 100.0 gives (one correctly rounded
                  // division).
                  b.Text(p.product_id)
                      .Text(p.product_name)
                      .Text(p.category)
                      .Real(static_cast<double>(p.price.cents) / 100.0)
                      .Int(p.price.cents)
                      .Text(p.supplier_id);
                });
}

Status SqliteWarehouse::UpsertCustomers(std::span<const model::Customer> rows) {
  return Upsert(rows, kUpsertCustomerSql, "upsert customers",
                [](Binder& b, const model::Customer& c, std::string&) {
                  b.Text(c.customer_id)
                      .Text(c.first_name)
                      .Text(c.last_name)
                      .Text(c.email)
                      .Text(c.membership_level);
                });
}

Status SqliteWarehouse::LoadDimensions(model::DimensionBuilder& out) {
  {
    EP_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepared(kSelectProductsSql));
    StatementScope scope(stmt);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      model::Product p;
      p.product_id = ColumnText(stmt, 0);
      p.product_name = ColumnText(stmt, 1);
      p.category = ColumnText(stmt, 2);
      if (sqlite3_column_type(stmt, 3) != SQLITE_INTEGER) {
        return Status::CorruptInput("dim_products row " + p.product_id + ": price_cents '" +
                                    ColumnText(stmt, 3) + "' is not a whole number of cents")
            .At(path_);
      }
      p.price = model::Money{sqlite3_column_int64(stmt, 3)};
      p.supplier_id = ColumnText(stmt, 4);
      out.AddProduct(std::move(p));
    }
    if (rc != SQLITE_DONE) return Error(rc, "read dim_products");
  }
  {
    EP_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepared(kSelectCustomersSql));
    StatementScope scope(stmt);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      model::Customer c;
      c.customer_id = ColumnText(stmt, 0);
      c.first_name = ColumnText(stmt, 1);
      c.last_name = ColumnText(stmt, 2);
      c.email = ColumnText(stmt, 3);
      c.membership_level = ColumnText(stmt, 4);
      out.AddCustomer(std::move(c));
    }
    if (rc != SQLITE_DONE) return Error(rc, "read dim_customers");
  }
  return Status::Ok();
}

Status SqliteWarehouse::LoadDimensionIndex(model::DimensionIndexBuilder& out) {
  const auto text = [](sqlite3_stmt* stmt, int column) {
    const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
    return data == nullptr
               ? std::string_view()
               : std::string_view(data, static_cast<size_t>(sqlite3_column_bytes(stmt, column)));
  };
  {
    EP_ASSIGN_OR_RETURN(sqlite3_stmt * stmt,
                        Prepared("SELECT customer_id, email FROM dim_customers"));
    StatementScope scope(stmt);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) out.AddCustomer(text(stmt, 0), text(stmt, 1));
    if (rc != SQLITE_DONE) return Error(rc, "read dim_customers");
  }
  {
    EP_ASSIGN_OR_RETURN(sqlite3_stmt * stmt,
                        Prepared("SELECT product_id, product_name, supplier_id FROM dim_products"));
    StatementScope scope(stmt);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      out.AddProduct(text(stmt, 0), text(stmt, 1), text(stmt, 2));
    }
    if (rc != SQLITE_DONE) return Error(rc, "read dim_products");
  }
  if (Status s = out.Seal(); !s.ok()) return std::move(s).At(path_);
  return Status::Ok();
}

Result<std::vector<QueryResult>> SqliteWarehouse::QueryAll(const std::string& sql,
                                                           const QueryOptions& options) {
  return QueryAllWithParams(sql, {}, options);
}

Result<WarehouseTotals> SqliteWarehouse::Totals() {
  if (load_open_) return Status::Internal("Totals while a load is open").At(path_);
  EP_ASSIGN_OR_RETURN(QueryResult r, RunSql(std::string(TotalsSql()), {}, true));
  Result<WarehouseTotals> totals = ParseTotals(r);
  if (!totals.ok()) return Status(totals.status()).At(path_);
  return totals;
}

Result<QueryResult> SqliteWarehouse::QueryWithParams(const std::string& sql,
                                                     const std::vector<std::string>& params,
                                                     const QueryOptions& options) {
  EP_ASSIGN_OR_RETURN(std::vector<QueryResult> results, QueryAllWithParams(sql, params, options));
  for (auto it = results.rbegin(); it != results.rend(); ++it) {
    if (!it->columns.empty()) return std::move(*it);
  }
  return QueryResult{};
}

Result<std::vector<QueryResult>> SqliteWarehouse::QueryAllWithParams(
    const std::string& sql, const std::vector<std::string>& params, const QueryOptions& options) {
  if (load_open_) return Status::Internal("Query while a load is open").At(path_);
  sqlite3* db = db_.get();
  bool query_only = false;
  if (!options.write) {
    EP_ASSIGN_OR_RETURN(sqlite3 * read_db, ReadOnlyConnection());
    if (read_db != nullptr) {
      db = read_db;
    } else {
      query_only = true;  // in memory: no second connection can see the data
      EP_RETURN_IF_ERROR(Exec("PRAGMA query_only=1", "set query_only"));
    }
  }
  // The authorizer and defensive mode hold for these statements only: the warehouse's own
  // statements, prepared later on the same connection, must not meet them.
  QueryAuthorizer auth{options.write, {}};
  sqlite3_set_authorizer(db, &AuthorizeQuery, &auth);
  int defensive_before = 0;
  sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, -1, &defensive_before);
  sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  std::vector<QueryResult> results;
  Status status = Execute(db, sql, params, /*own_transaction=*/true, &auth.refused, results);
  sqlite3_set_authorizer(db, nullptr, nullptr);
  sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, defensive_before, nullptr);
  if (query_only) {
    Status reset = Exec("PRAGMA query_only=0", "reset query_only");
    if (status.ok()) status = std::move(reset);
  }
  if (!status.ok()) return status;
  return results;
}

Result<sqlite3*> SqliteWarehouse::ReadOnlyConnection() {
  if (read_db_) return read_db_.get();
  const char* file = sqlite3_db_filename(db_.get(), "main");
  if (file == nullptr || *file == '\0') return nullptr;
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(file, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  read_db_.reset(db);
  if (rc != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    read_db_.reset();
    return Status(CodeFor(rc, StatusCode::kIoError),
                  "sqlite open warehouse read-only for a query: " + message)
        .At(path_);
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, busy_timeout_ms_);
  // No load_extension(), ever (also refused by the authorizer), and no writable_schema tricks.
  sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
  sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  return db;
}

Result<QueryResult> SqliteWarehouse::RunSql(const std::string& sql,
                                            const std::vector<std::string>& params,
                                            bool own_transaction) {
  std::vector<QueryResult> results;
  EP_RETURN_IF_ERROR(Execute(db_.get(), sql, params, own_transaction, nullptr, results));
  for (auto it = results.rbegin(); it != results.rend(); ++it) {
    if (!it->columns.empty()) return std::move(*it);
  }
  return QueryResult{};
}

Status SqliteWarehouse::Execute(sqlite3* db, const std::string& sql,
                                const std::vector<std::string>& params, bool own_transaction,
                                const std::string* refused, std::vector<QueryResult>& results) {
  // Query-level errors: bad SQL is the caller's; busy and I/O keep their own codes.
  auto sql_error = [&](int rc, int index) {
    std::string message = "sqlite query, statement " + std::to_string(index) + ": ";
    // A denial fails the prepare (SQLITE_AUTH, or SQLITE_ERROR for a function); the
    // authorizer's reason says more than SQLite's "not authorized".
    if (refused != nullptr && !refused->empty()) {
      return Status::InvalidArgument(message + "refused: " + *refused).At(path_);
    }
    message += sqlite3_errmsg(db);
#if SQLITE_VERSION_NUMBER >= 3038000
    if (int offset = sqlite3_error_offset(db); offset >= 0) {
      message += " (at offset " + std::to_string(offset) + ")";
    }
#endif
    return Status(CodeFor(rc, StatusCode::kInvalidArgument), std::move(message)).At(path_);
  };
  auto rollback = [&] {
    // Transactions do not span calls. SQLite may already have rolled back on its own.
    if (own_transaction && !sqlite3_get_autocommit(db)) {
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    }
  };
  auto finish = [&](Status status) {
    rollback();
    return status;
  };

  const char* tail = sql.data();
  const char* end = sql.data() + sql.size();
  int index = 0;
  while (tail < end) {
    sqlite3_stmt* raw = nullptr;
    const char* next = nullptr;
    int rc = sqlite3_prepare_v2(db, tail, static_cast<int>(end - tail), &raw, &next);
    StatementPtr stmt(raw);
    if (rc != SQLITE_OK) return finish(sql_error(rc, index + 1));
    tail = next;
    if (raw == nullptr) continue;  // only whitespace or a comment
    ++index;
    int param_count = sqlite3_bind_parameter_count(raw);
    if (static_cast<size_t>(param_count) > params.size()) {
      return finish(Status::InvalidArgument("sqlite query, statement " + std::to_string(index) +
                                            ": has " + std::to_string(param_count) +
                                            " parameters, " + std::to_string(params.size()) +
                                            " given")
                        .At(path_));
    }
    for (int i = 0; i < param_count; ++i) {
      const std::string& p = params[static_cast<size_t>(i)];
      rc = sqlite3_bind_text(raw, i + 1, p.data(), static_cast<int>(p.size()), SQLITE_STATIC);
      if (rc != SQLITE_OK) return finish(sql_error(rc, index));
    }
    int columns = sqlite3_column_count(raw);
    QueryResult& current = results.emplace_back();
    for (int c = 0; c < columns; ++c) current.columns.emplace_back(sqlite3_column_name(raw, c));
    const int64_t changes_before = sqlite3_total_changes64(db);
    while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
      auto& row = current.rows.emplace_back();
      auto& kinds = current.kinds.emplace_back();
      row.reserve(static_cast<size_t>(columns));
      kinds.reserve(static_cast<size_t>(columns));
      for (int c = 0; c < columns; ++c) {
        switch (sqlite3_column_type(raw, c)) {
          case SQLITE_NULL:
            row.emplace_back(std::nullopt);
            kinds.push_back(ValueKind::kNull);
            break;
          case SQLITE_INTEGER:
            row.emplace_back(ColumnText(raw, c));
            kinds.push_back(ValueKind::kInteger);
            break;
          case SQLITE_FLOAT:
            row.emplace_back(ShortestReal(sqlite3_column_double(raw, c)));
            kinds.push_back(ValueKind::kReal);
            break;
          case SQLITE_BLOB:
            row.emplace_back(BlobHex(raw, c));
            kinds.push_back(ValueKind::kBlob);
            break;
          default:
            row.emplace_back(ColumnText(raw, c));
            kinds.push_back(ValueKind::kText);
            break;
        }
      }
    }
    if (rc != SQLITE_DONE) return finish(sql_error(rc, index));
    if (columns == 0 && !sqlite3_stmt_readonly(raw)) {
      current.rows_changed = sqlite3_total_changes64(db) - changes_before;
    }
  }
  rollback();  // the SQL may have opened a transaction and left it open
  return Status::Ok();
}

}  // namespace ecompipe::warehouse
