// SqlDb over PostgreSQL, through PostgresDb (connection settings, SQLSTATE -> Status codes,
// passwords scrubbed). Outside a transaction, the connection is re-established before the next
// statement when it was lost or its server went away while it sat idle, so a server restart
// costs the statements in flight only. Inside a transaction it never is: the rest of the
// transaction would run on the new connection outside any transaction, committing part of it.
// There, a lost connection fails each remaining statement and the commit; the transaction ends
// (nothing of it is committed) and the next statement after it reconnects.
#include "common/internal/sql_backends.h"
#include "common/postgres_db.h"

namespace ecompipe::internal {
namespace {

// The advisory lock that serialises Transaction() bodies across every connection to the state
// store, as SQLite's single writer does (the number is "ecompipe" in ASCII).
constexpr const char* kWriterLock = "SELECT pg_advisory_xact_lock(7306916064548941157)";

class PostgresSqlDb : public SqlDb {
 public:
  explicit PostgresSqlDb(std::unique_ptr<PostgresDb> db) : db_(std::move(db)) {}

  Dialect dialect() const override { return Dialect::kPostgres; }

  Status ExecScript(std::string_view sql) override {
    EP_RETURN_IF_ERROR(EnsureConnected());
    return db_->Exec(sql);
  }

  Result<SqlRows> Query(std::string_view sql, const SqlParams& params) override {
    EP_ASSIGN_OR_RETURN(PgResult res, Run(sql, params));
    SqlRows out;
    for (int c = 0; c < res.Columns(); ++c) out.columns.push_back(res.ColumnName(c));
    out.rows.resize(static_cast<size_t>(res.Rows()));
    for (int r = 0; r < res.Rows(); ++r) {
      out.rows[r].reserve(out.columns.size());
      for (int c = 0; c < res.Columns(); ++c) out.rows[r].push_back(res.Optional(r, c));
    }
    return out;
  }

  Result<int64_t> Exec(std::string_view sql, const SqlParams& params) override {
    EP_ASSIGN_OR_RETURN(PgResult res, Run(sql, params));
    return res.Affected();
  }

 protected:
  Status Begin(bool exclusive) override {
    EP_RETURN_IF_ERROR(EnsureConnected());
    EP_RETURN_IF_ERROR(db_->Exec("BEGIN"));
    in_transaction_ = true;
    if (!exclusive) return Status::Ok();
    Status s = db_->Exec(kWriterLock);
    if (!s.ok()) Rollback();
    return s;
  }
  Status Commit() override {
    in_transaction_ = false;
    return db_->Exec("COMMIT");
  }
  void Rollback() override {
    in_transaction_ = false;
    if (db_->Healthy()) (void)db_->Exec("ROLLBACK");
  }

 private:
  Status EnsureConnected() {
    if (in_transaction_) return Status::Ok();
    return db_->ReconnectIfLost().status();
  }

  Result<PgResult> Run(std::string_view sql, const SqlParams& params) {
    EP_RETURN_IF_ERROR(EnsureConnected());
    std::vector<PgParam> values;
    values.reserve(params.size());
    for (const SqlValue& v : params) {
      switch (v.kind()) {
        case SqlValue::Kind::kNull:
          values.emplace_back(std::nullopt);
          break;
        case SqlValue::Kind::kInt:
          values.emplace_back(v.int_value());
          break;
        case SqlValue::Kind::kText:
          values.emplace_back(v.text());
          break;
      }
    }
    return db_->Query(ToDollarParams(sql), values);
  }

  std::unique_ptr<PostgresDb> db_;
  bool in_transaction_ = false;  // between Begin() and Commit()/Rollback()
};

}  // namespace

Result<std::unique_ptr<SqlDb>> OpenPostgresSqlDb(const std::string& url) {
  EP_ASSIGN_OR_RETURN(std::unique_ptr<PostgresDb> db, PostgresDb::Connect(url));
  return std::unique_ptr<SqlDb>(new PostgresSqlDb(std::move(db)));
}

}  // namespace ecompipe::internal
