#include "warehouse/sqlite/sqlite_warehouse.h"

#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <limits>
#include <utility>

#include "common/sqlite_db.h"
#include "common/time_util.h"
#include "transform/dimension_index.h"
#include "transform/money.h"

namespace ecompipe::warehouse {
namespace {

// Money columns (price, total_amount) are TEXT holding the exact decimal with 2 decimals
// ("129.99"): SQLite has no exact decimal type, and REAL is binary floating point, which
// cannot hold 0.10 exactly and drifts when summed. In SQL, exact sums are
//   SUM(CAST(ROUND(total_amount * 100) AS INTEGER))   -- cents, exact below 2^53 cents
// (each value converts to the nearest double, *100 is within half a cent of the integer, and
// ROUND recovers it). ecompipe's own code never sums money as double: it uses Money (int64
// cents). Primary keys are NOT NULL because SQLite, for legacy reasons, otherwise accepts
// NULL in a non-INTEGER primary key. Times are ISO-8601 UTC text ("2026-11-30T08:15:02.123Z").
constexpr const char* kSchemaSql = R"sql(
CREATE TABLE IF NOT EXISTS dim_products(
  product_id   TEXT NOT NULL PRIMARY KEY,
  product_name TEXT,
  category     TEXT,
  price        TEXT,
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
  price            TEXT,
  transaction_date TEXT,
  transaction_type TEXT,
  payment_type     TEXT,
  status           TEXT,
  total_amount     TEXT,
  load_ref         INTEGER NOT NULL
) WITHOUT ROWID;
-- Only the index that loads need (replace deletes a load's facts). Each further index costs
-- about 1 us per loaded row (measured: 3 more indexes cut the load rate from ~280k to ~90k
-- rows/s); add them with `ecompipe query "CREATE INDEX ..."` when queries need them.
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
  PRIMARY KEY(bucket, key, etag)
);
)sql";

// The columns of fact_transactions_data before load_ref, in order; the view puts the lineage
// columns after them, where the table had them before schema version 2.
constexpr const char* kFactColumns[] = {
    "transaction_id", "customer_id",      "customer_email",   "product_id", "product_name",
    "quantity",       "supplier_id",      "price",            "transaction_date",
    "transaction_type", "payment_type",   "status",           "total_amount"};
constexpr const char* kLineageColumns[] = {"source_object", "source_etag", "load_id"};
constexpr std::string_view kInsertFactSql =
    "INSERT INTO fact_transactions_data(transaction_id, customer_id, customer_email, product_id, "
    "product_name, quantity, supplier_id, price, transaction_date, transaction_type, "
    "payment_type, status, total_amount, load_ref) "
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
      "product_id, product_name, quantity, supplier_id, price, transaction_date, "
      "transaction_type, payment_type, status, total_amount, load_ref) VALUES";
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
constexpr std::string_view kDeleteOtherFactsSql =
    "DELETE FROM fact_transactions_data WHERE load_ref IN "
    "(SELECT load_ref FROM loads WHERE source_object = ?1 AND source_etag IS NOT ?2)";
constexpr std::string_view kDeleteOtherRejectsSql =
    "DELETE FROM rejects WHERE source_object = ?1 AND source_etag IS NOT ?2";
constexpr std::string_view kMarkReplacedSql =
    "UPDATE load_ledger SET status = 'replaced', message = 'replaced by etag ' || ?3 || "
    "' (load ' || ?4 || ')' WHERE bucket = ?1 AND key = ?2 AND etag <> ?3 AND status = 'loaded'";
constexpr std::string_view kWriteLedgerSql =
    "INSERT INTO load_ledger(bucket, key, etag, status, load_id, run_id, rows_read, "
    "rows_loaded, rows_rejected, message, finished_at) "
    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
    "ON CONFLICT(bucket, key, etag) DO UPDATE SET status = excluded.status, "
    "load_id = excluded.load_id, run_id = excluded.run_id, rows_read = excluded.rows_read, "
    "rows_loaded = excluded.rows_loaded, rows_rejected = excluded.rows_rejected, "
    "message = excluded.message, finished_at = excluded.finished_at";
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
    "finished_at FROM load_ledger WHERE bucket = ?1 AND key = ?2 AND etag = ?3";
constexpr std::string_view kHasOtherVersionSql =
    "SELECT 1 FROM load_ledger WHERE bucket = ?1 AND key = ?2 AND etag <> ?3 "
    "AND status = 'loaded' LIMIT 1";
// updated_at moves only when a value changed, so it says when the row last changed.
constexpr std::string_view kUpsertProductSql =
    "INSERT INTO dim_products(product_id, product_name, category, price, supplier_id, "
    "updated_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6) "
    "ON CONFLICT(product_id) DO UPDATE SET product_name = excluded.product_name, "
    "category = excluded.category, price = excluded.price, "
    "supplier_id = excluded.supplier_id, updated_at = excluded.updated_at "
    "WHERE dim_products.product_name IS NOT excluded.product_name "
    "OR dim_products.category IS NOT excluded.category "
    "OR dim_products.price IS NOT excluded.price "
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
    "SELECT product_id, product_name, category, price, supplier_id FROM dim_products";
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

// Stored money: FormatMoney's output, which may carry a '-'.
std::optional<transform::Money> ParseStoredMoney(std::string_view text) {
  bool negative = !text.empty() && text.front() == '-';
  if (negative) text.remove_prefix(1);
  std::optional<transform::Money> money = transform::ParseMoney(text);
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
class SqliteLoadTransaction final : public LoadTransaction {
 public:
  SqliteLoadTransaction(SqliteWarehouse& warehouse, const storage::ObjectRef& object,
                        std::string load_id, std::string run_id, ReloadMode mode)
      : warehouse_(warehouse),
        object_(object),
        load_id_(std::move(load_id)),
        run_id_(std::move(run_id)),
        mode_(mode) {}

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
      if (rc == SQLITE_ROW) {
        if (ColumnText(status_stmt, 0) == "loaded") {
          return Status::AlreadyExists("etag " + object_.etag + " is already loaded")
              .At(object_.key);
        }
      } else if (rc != SQLITE_DONE) {
        return warehouse_.Error(rc, "read load ledger");
      }
    }
    if (mode_ == ReloadMode::kReplace) {
      for (std::string_view sql : {kDeleteOtherFactsSql, kDeleteOtherRejectsSql}) {
        EP_ASSIGN_OR_RETURN(sqlite3_stmt * del, warehouse_.Prepared(sql));
        StatementScope scope(del);
        Binder b(del);
        b.Text(object_.key).Text(object_.etag);
        if (b.rc() != SQLITE_OK) return warehouse_.Error(b.rc(), "bind replace");
        int rc = sqlite3_step(del);
        if (rc != SQLITE_DONE) return warehouse_.Error(rc, "delete earlier version's rows");
      }
    }
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
    if (batch_lineage.rc() != SQLITE_OK) return warehouse_.Error(batch_lineage.rc(), "bind lineage");
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

  Status UseFactColumns(std::span<const transform::OutputColumn> columns) override {
    EP_RETURN_IF_ERROR(CheckUsable());
    std::string sql = "INSERT INTO fact_transactions_data(";
    std::string values;
    integer_columns_.clear();
    for (size_t i = 0; i < columns.size(); ++i) {
      sql += "\"" + columns[i].name + "\", ";
      values += "?" + std::to_string(i + 1) + ", ";
      integer_columns_.push_back(columns[i].type == transform::ColumnType::kInteger);
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
  Status AddValueFacts(std::vector<transform::FactRow>& facts) {
    if (insert_values_ == nullptr) {
      return Fail(Status::Internal("facts with configured columns before UseFactColumns")
                      .At(object_.key));
    }
    sqlite3* db = warehouse_.db_.get();
    for (const transform::FactRow& fact : facts) {
      if (fact.values.size() != integer_columns_.size()) {
        return Fail(Status::Internal("a fact has " + std::to_string(fact.values.size()) +
                                     " values for " + std::to_string(integer_columns_.size()) +
                                     " columns")
                        .At(object_.key));
      }
      Binder b(insert_values_);
      for (size_t i = 0; i < fact.values.size(); ++i) {
        const std::string& v = fact.values[i];
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
      if (rc != SQLITE_DONE) return Fail(warehouse_.Error(rc, "insert fact " + fact.transaction_id));
      if (sqlite3_changes(db) == 1) {
        ++rows_loaded_;
      } else {
        EP_RETURN_IF_ERROR(RejectDuplicate(fact));
      }
    }
    return Status::Ok();
  }

  Status AddFacts(std::vector<transform::FactRow>& facts) override {
    EP_RETURN_IF_ERROR(CheckUsable());
    if (!facts.empty() && !facts.front().values.empty()) return AddValueFacts(facts);
    std::span<const transform::FactRow> rest(facts);
    while (rest.size() >= static_cast<size_t>(kFactBatchRows)) {
      EP_RETURN_IF_ERROR(InsertFactBatch(rest.first(kFactBatchRows)));
      rest = rest.subspan(kFactBatchRows);
    }
    return InsertFactsOneByOne(rest);
  }
  Status AddRejects(std::vector<transform::RejectRow>& rejects) override {
    EP_RETURN_IF_ERROR(CheckUsable());
    std::string now = FormatIsoMillis(NowMillis());
    for (const transform::RejectRow& reject : rejects) {
      EP_RETURN_IF_ERROR(InsertReject(reject.line, reject.reason, reject.detail,
                                      reject.transaction_id, reject.raw, now));
    }
    return Status::Ok();
  }

  Result<LoadCounts> Commit(int64_t rows_read) override {
    EP_RETURN_IF_ERROR(CheckUsable());
    if (rows_read != rows_loaded_ + rows_rejected_) {
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
    return LoadCounts{rows_loaded_, rows_rejected_};
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

  // The text of a fact's money columns, in `price` and `total` (bound SQLITE_STATIC).
  static void MoneyTexts(const transform::FactRow& fact, std::string& price, std::string& total) {
    price.clear();
    transform::AppendMoney(price, fact.price);
    total.clear();
    transform::AppendMoney(total, fact.total_amount);
  }

  static Binder& BindFact(Binder& b, const transform::FactRow& fact, const std::string& price,
                          const std::string& total) {
    return b.Text(fact.transaction_id)
        .Text(fact.customer_id)
        .Text(fact.customer_email)
        .Text(fact.product_id)
        .Text(fact.product_name)
        .Int(fact.quantity)
        .Text(fact.supplier_id)
        .Text(price)
        .Text(fact.transaction_date)
        .Text(fact.transaction_type)
        .Text(fact.payment_type)
        .Text(fact.status)
        .Text(total);
  }

  // kFactBatchRows facts with one statement; when one of them is a duplicate (the statement
  // fails with a constraint error and SQLite undoes it), row by row instead.
  Status InsertFactBatch(std::span<const transform::FactRow> batch) {
    batch_price_text_.resize(batch.size());
    batch_total_text_.resize(batch.size());
    Binder b(insert_fact_batch_);
    for (size_t i = 0; i < batch.size(); ++i) {
      MoneyTexts(batch[i], batch_price_text_[i], batch_total_text_[i]);
      BindFact(b, batch[i], batch_price_text_[i], batch_total_text_[i]);
    }
    if (b.rc() != SQLITE_OK) return Fail(warehouse_.Error(b.rc(), "bind facts"));
    int rc = sqlite3_step(insert_fact_batch_);
    // Reset even on failure: the statement is reused by the next batch.
    sqlite3_reset(insert_fact_batch_);
    if (rc == SQLITE_DONE) {
      rows_loaded_ += static_cast<int64_t>(batch.size());
      return Status::Ok();
    }
    // A constraint failure undid only this statement; any other error (I/O, disk full) may
    // have rolled the whole transaction back (autocommit on again).
    if ((rc & 0xff) == SQLITE_CONSTRAINT && !sqlite3_get_autocommit(warehouse_.db_.get())) {
      return InsertFactsOneByOne(batch);
    }
    return Fail(warehouse_.Error(rc, "insert facts " + batch.front().transaction_id + ".." +
                                         batch.back().transaction_id));
  }

  Status InsertFactsOneByOne(std::span<const transform::FactRow> facts) {
    sqlite3* db = warehouse_.db_.get();
    for (const transform::FactRow& fact : facts) {
      MoneyTexts(fact, price_text_, total_text_);
      Binder b(insert_fact_);
      BindFact(b, fact, price_text_, total_text_);
      if (b.rc() != SQLITE_OK) return Fail(warehouse_.Error(b.rc(), "bind fact"));
      int rc = sqlite3_step(insert_fact_);
      // Reset even on failure: the statement is reused by the next row.
      sqlite3_reset(insert_fact_);
      if (rc != SQLITE_DONE) {
        return Fail(warehouse_.Error(rc, "insert fact " + fact.transaction_id));
      }
      if (sqlite3_changes(db) == 1) {
        ++rows_loaded_;
      } else {
        EP_RETURN_IF_ERROR(RejectDuplicate(fact));
      }
    }
    return Status::Ok();
  }

  Status RejectDuplicate(const transform::FactRow& fact) {
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
        fact.line, transform::reason::kDuplicateTransactionId,
        "transaction_id " + fact.transaction_id + " already loaded from " + loaded_from,
        fact.transaction_id, FactAsCsv(fact), FormatIsoMillis(NowMillis()));
  }

  // `line` 0 (unknown) is stored as NULL.
  Status InsertReject(int64_t line, std::string_view reason, std::string_view detail,
                      std::string_view transaction_id, std::string_view raw,
                      std::string_view rejected_at) {
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
    ++rows_rejected_;
    return Status::Ok();
  }

  Status WriteLedger(int64_t rows_read) {
    std::string now = FormatIsoMillis(NowMillis());
    if (mode_ == ReloadMode::kReplace) {
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
        .Text("")
        .Text(now);
    if (b.rc() != SQLITE_OK) return warehouse_.Error(b.rc(), "bind ledger row");
    int rc = sqlite3_step(write);
    if (rc != SQLITE_DONE) return warehouse_.Error(rc, "write ledger row");
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
  int64_t load_ref_ = 0;  // this load's row in `loads`
  sqlite3_stmt* insert_fact_ = nullptr;
  sqlite3_stmt* insert_fact_batch_ = nullptr;  // kFactBatchRows rows of kInsertFactSql's columns
  sqlite3_stmt* find_fact_source_ = nullptr;
  sqlite3_stmt* insert_reject_ = nullptr;
  sqlite3_stmt* insert_values_ = nullptr;  // set by UseFactColumns
  std::vector<bool> integer_columns_;      // of insert_values_, in order
  std::string price_text_, total_text_;  // reused per row, bound SQLITE_STATIC
  std::vector<std::string> batch_price_text_, batch_total_text_;  // per row of a batch, likewise
  int64_t rows_loaded_ = 0;
  int64_t rows_rejected_ = 0;
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
  Result<QueryResult> mode = warehouse->Query("PRAGMA journal_mode=WAL");
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
  if (!old_facts->rows.empty()) {
    if (Status s = MigrateFactsFromVersion1(); !s.ok()) return fail(s);
  }
  if (Status s = Exec(kSchemaSql, "create schema"); !s.ok()) return fail(s);
  if (Status s = CreateFactView(/*replace=*/false); !s.ok()) return fail(s);
  std::string set_version = "PRAGMA user_version=" + std::to_string(kSchemaVersion);
  if (Status s = Exec(set_version.c_str(), "set schema version"); !s.ok()) return fail(s);
  if (Status s = Exec("COMMIT", "commit schema"); !s.ok()) return fail(s);
  return Status::Ok();
}

Result<std::vector<std::pair<std::string, std::string>>> SqliteWarehouse::TableColumns(
    const char* table) {
  EP_ASSIGN_OR_RETURN(QueryResult info,
                      RunSql(std::string("SELECT name, type FROM pragma_table_info('") + table +
                                 "') ORDER BY cid",
                             {}, /*own_transaction=*/false));
  std::vector<std::pair<std::string, std::string>> columns;
  for (const auto& row : info.rows) columns.emplace_back(row[0].value_or(""), row[1].value_or(""));
  return columns;
}

Status SqliteWarehouse::CreateFactView(bool replace) {
  EP_ASSIGN_OR_RETURN(auto columns, TableColumns("fact_transactions_data"));
  std::string select;
  for (const auto& [name, type] : columns) {
    if (!select.empty()) select += ", ";
    if (name == "load_ref") {
      select += "l.source_object, l.source_etag, l.load_id";
    } else {
      select += "f.\"" + name + "\"";
    }
  }
  // LEFT JOIN on loads' primary key: a query that reads no lineage column does not touch
  // `loads` at all (SQLite drops such a join), and one that filters on source_object turns
  // it into an inner join that starts from loads_source_object.
  std::string sql = replace ? "DROP VIEW IF EXISTS fact_transactions; CREATE VIEW "
                            : "CREATE VIEW IF NOT EXISTS ";
  sql += "fact_transactions AS SELECT " + select +
         " FROM fact_transactions_data f LEFT JOIN loads l ON l.load_ref = f.load_ref";
  return Exec(sql.c_str(), "create view fact_transactions");
}

Status SqliteWarehouse::MigrateFactsFromVersion1() {
  // Version 1 kept source_object, source_etag and load_id on every fact row (and indexed
  // source_object). The rows move to fact_transactions_data with a load_ref into `loads`;
  // the columns a configured job added come along with their declared types.
  EP_RETURN_IF_ERROR(Exec("ALTER TABLE fact_transactions RENAME TO fact_transactions_v1",
                          "migrate facts (rename)"));
  EP_RETURN_IF_ERROR(Exec(kSchemaSql, "migrate facts (create schema)"));
  EP_ASSIGN_OR_RETURN(auto old_columns, TableColumns("fact_transactions_v1"));
  std::string copied;
  for (const auto& [name, type] : old_columns) {
    const auto is = [&name](const char* c) { return name == c; };
    if (std::any_of(std::begin(kLineageColumns), std::end(kLineageColumns), is)) continue;
    if (!std::any_of(std::begin(kFactColumns), std::end(kFactColumns), is)) {
      const std::string add = "ALTER TABLE fact_transactions_data ADD COLUMN \"" + name + "\" " + type;
      EP_RETURN_IF_ERROR(Exec(add.c_str(), "migrate facts (add column " + name + ")"));
    }
    copied += "\"" + name + "\", ";
  }
  const std::string sql =
      "INSERT INTO loads(load_id, source_object, source_etag) "
      "SELECT DISTINCT coalesce(load_id, ''), coalesce(source_object, ''), "
      "coalesce(source_etag, '') FROM fact_transactions_v1; "
      "INSERT INTO fact_transactions_data(" + copied + "load_ref) SELECT " + copied +
      "(SELECT load_ref FROM loads l WHERE l.load_id = coalesce(f.load_id, '') AND "
      "l.source_object = coalesce(f.source_object, '') AND "
      "l.source_etag = coalesce(f.source_etag, '')) "
      "FROM fact_transactions_v1 f; "
      "DROP TABLE fact_transactions_v1;";
  return Exec(sql.c_str(), "migrate facts (copy rows)");
}

Status SqliteWarehouse::EnsureFactColumns(std::span<const transform::OutputColumn> columns) {
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
    return fail(Status::Internal("fact_transactions does not exist (EnsureSchema first)").At(path_));
  }
  for (const transform::OutputColumn& c : columns) {
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
                            (c.type == transform::ColumnType::kInteger ? "INTEGER" : "TEXT");
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
  entry.status = ColumnText(stmt, 0);
  entry.load_id = ColumnText(stmt, 1);
  entry.run_id = ColumnText(stmt, 2);
  entry.rows_read = sqlite3_column_int64(stmt, 3);
  entry.rows_loaded = sqlite3_column_int64(stmt, 4);
  entry.rows_rejected = sqlite3_column_int64(stmt, 5);
  entry.message = ColumnText(stmt, 6);
  entry.finished_ms = ParseIsoMillis(ColumnText(stmt, 7));
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

Status SqliteWarehouse::RecordSkipped(const storage::ObjectRef& object, const std::string& run_id,
                                      const std::string& status, const std::string& message) {
  if (status != "failed" && status != "ignored") {
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

Status SqliteWarehouse::UpsertProducts(std::span<const transform::Product> rows) {
  return Upsert(
      rows, kUpsertProductSql, "upsert products",
      [](Binder& b, const transform::Product& p, std::string& price) {
        price.clear();
        transform::AppendMoney(price, p.price);
        b.Text(p.product_id).Text(p.product_name).Text(p.category).Text(price).Text(p.supplier_id);
      });
}

Status SqliteWarehouse::UpsertCustomers(std::span<const transform::Customer> rows) {
  return Upsert(rows, kUpsertCustomerSql, "upsert customers",
                [](Binder& b, const transform::Customer& c, std::string&) {
                  b.Text(c.customer_id)
                      .Text(c.first_name)
                      .Text(c.last_name)
                      .Text(c.email)
                      .Text(c.membership_level);
                });
}

Result<transform::Dimensions> SqliteWarehouse::LoadDimensions() {
  transform::Dimensions dims;
  {
    EP_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepared(kSelectProductsSql));
    StatementScope scope(stmt);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      transform::Product p;
      p.product_id = ColumnText(stmt, 0);
      p.product_name = ColumnText(stmt, 1);
      p.category = ColumnText(stmt, 2);
      std::string price = ColumnText(stmt, 3);
      std::optional<transform::Money> money = ParseStoredMoney(price);
      if (!money || sqlite3_column_type(stmt, 3) == SQLITE_NULL) {
        return Status::CorruptInput("dim_products row " + p.product_id + ": price '" + price +
                                    "' is not a decimal with at most 2 decimals")
            .At(path_);
      }
      p.price = *money;
      p.supplier_id = ColumnText(stmt, 4);
      std::string id = p.product_id;
      dims.products.insert_or_assign(std::move(id), std::move(p));
    }
    if (rc != SQLITE_DONE) return Error(rc, "read dim_products");
  }
  {
    EP_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepared(kSelectCustomersSql));
    StatementScope scope(stmt);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      transform::Customer c;
      c.customer_id = ColumnText(stmt, 0);
      c.first_name = ColumnText(stmt, 1);
      c.last_name = ColumnText(stmt, 2);
      c.email = ColumnText(stmt, 3);
      c.membership_level = ColumnText(stmt, 4);
      std::string id = c.customer_id;
      dims.customers.insert_or_assign(std::move(id), std::move(c));
    }
    if (rc != SQLITE_DONE) return Error(rc, "read dim_customers");
  }
  // Built once here so that every job over these dimensions shares it.
  dims.index = std::make_shared<const transform::DimensionIndex>(transform::DimensionIndex::Build(dims));
  return dims;
}

Result<std::shared_ptr<const transform::DimensionIndex>> SqliteWarehouse::LoadDimensionIndex() {
  auto index = std::make_shared<transform::DimensionIndex>();
  const auto text = [](sqlite3_stmt* stmt, int column) {
    const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
    return data == nullptr ? std::string_view()
                           : std::string_view(data, static_cast<size_t>(
                                                        sqlite3_column_bytes(stmt, column)));
  };
  {
    EP_ASSIGN_OR_RETURN(sqlite3_stmt * stmt,
                        Prepared("SELECT customer_id, email FROM dim_customers"));
    StatementScope scope(stmt);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) index->AddCustomer(text(stmt, 0), text(stmt, 1));
    if (rc != SQLITE_DONE) return Error(rc, "read dim_customers");
  }
  {
    EP_ASSIGN_OR_RETURN(sqlite3_stmt * stmt,
                        Prepared("SELECT product_id, product_name, supplier_id FROM dim_products"));
    StatementScope scope(stmt);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      index->AddProduct(text(stmt, 0), text(stmt, 1), text(stmt, 2));
    }
    if (rc != SQLITE_DONE) return Error(rc, "read dim_products");
  }
  if (Status s = index->Seal(); !s.ok()) return std::move(s).At(path_);
  return std::shared_ptr<const transform::DimensionIndex>(std::move(index));
}

Result<QueryResult> SqliteWarehouse::Query(const std::string& sql) { return Query(sql, {}); }

Result<QueryResult> SqliteWarehouse::Query(const std::string& sql,
                                           const std::vector<std::string>& params) {
  if (load_open_) return Status::Internal("Query while a load is open").At(path_);
  return RunSql(sql, params, /*own_transaction=*/true);
}

Result<QueryResult> SqliteWarehouse::RunSql(const std::string& sql,
                                            const std::vector<std::string>& params,
                                            bool own_transaction) {
  // Query-level errors: bad SQL is the caller's; busy and I/O keep their own codes.
  auto sql_error = [this](int rc, int index) {
    std::string message =
        "sqlite query, statement " + std::to_string(index) + ": " + sqlite3_errmsg(db_.get());
#if SQLITE_VERSION_NUMBER >= 3038000
    if (int offset = sqlite3_error_offset(db_.get()); offset >= 0) {
      message += " (at offset " + std::to_string(offset) + ")";
    }
#endif
    return Status(CodeFor(rc, StatusCode::kInvalidArgument), std::move(message)).At(path_);
  };
  auto finish = [&](Status status) {
    // Transactions do not span Query() calls.
    if (own_transaction) RollbackQuietly();
    return status;
  };

  QueryResult result;
  const char* tail = sql.data();
  const char* end = sql.data() + sql.size();
  int index = 0;
  while (tail < end) {
    sqlite3_stmt* raw = nullptr;
    const char* next = nullptr;
    int rc = sqlite3_prepare_v2(db_.get(), tail, static_cast<int>(end - tail), &raw, &next);
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
    QueryResult current;
    for (int c = 0; c < columns; ++c) current.columns.emplace_back(sqlite3_column_name(raw, c));
    while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
      auto& row = current.rows.emplace_back();
      row.reserve(static_cast<size_t>(columns));
      for (int c = 0; c < columns; ++c) {
        if (sqlite3_column_type(raw, c) == SQLITE_NULL) {
          row.emplace_back(std::nullopt);
        } else {
          row.emplace_back(ColumnText(raw, c));
        }
      }
    }
    if (rc != SQLITE_DONE) return finish(sql_error(rc, index));
    if (columns > 0) result = std::move(current);
  }
  // The SQL may have opened a transaction and left it open.
  if (own_transaction) RollbackQuietly();
  return result;
}

}  // namespace ecompipe::warehouse
