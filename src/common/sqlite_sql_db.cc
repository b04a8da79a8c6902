// SqlDb over SQLite, through SqliteDb (WAL, busy timeout, errors as Status).
#include <sqlite3.h>

#include "common/internal/sql_backends.h"
#include "common/sqlite_db.h"

namespace ecompipe::internal {
namespace {

class SqliteSqlDb : public SqlDb {
 public:
  explicit SqliteSqlDb(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}

  Dialect dialect() const override { return Dialect::kSqlite; }

  Status ExecScript(std::string_view sql) override { return db_->Exec(sql); }

  Result<SqlRows> Query(std::string_view sql, const SqlParams& params) override {
    EP_ASSIGN_OR_RETURN(SqliteStmt stmt, Prepared(sql, params));
    SqlRows out;
    for (int c = 0; c < stmt.ColumnCount(); ++c) out.columns.push_back(stmt.ColumnName(c));
    while (true) {
      EP_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      std::vector<std::optional<std::string>> values(out.columns.size());
      for (int c = 0; c < stmt.ColumnCount(); ++c)
        if (!stmt.IsNull(c)) values[c] = stmt.Text(c);
      out.rows.push_back(std::move(values));
    }
    return out;
  }

  Result<int64_t> Exec(std::string_view sql, const SqlParams& params) override {
    EP_ASSIGN_OR_RETURN(SqliteStmt stmt, Prepared(sql, params));
    EP_RETURN_IF_ERROR(stmt.Run());
    return int64_t{db_->Changes()};
  }

 protected:
  // Every transaction takes the write lock at once (BEGIN IMMEDIATE): a read-then-write body
  // can then never fail half-way with SQLITE_BUSY on the upgrade.
  Status Begin(bool) override { return db_->Exec("BEGIN IMMEDIATE"); }
  Status Commit() override { return db_->Exec("COMMIT"); }
  void Rollback() override { (void)db_->Exec("ROLLBACK"); }

 private:
  Result<SqliteStmt> Prepared(std::string_view sql, const SqlParams& params) {
    EP_ASSIGN_OR_RETURN(SqliteStmt stmt, db_->Prepare(sql));
    for (size_t i = 0; i < params.size(); ++i) {
      const int index = static_cast<int>(i + 1);
      switch (params[i].kind()) {
        case SqlValue::Kind::kNull:
          stmt.BindNull(index);
          break;
        case SqlValue::Kind::kInt:
          stmt.Bind(index, params[i].int_value());
          break;
        case SqlValue::Kind::kText:
          stmt.Bind(index, params[i].text());
          break;
      }
    }
    return stmt;
  }

  std::unique_ptr<SqliteDb> db_;
};

}  // namespace

Result<std::unique_ptr<SqlDb>> OpenSqliteSqlDb(const std::string& path, int busy_timeout_ms) {
  EP_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db, SqliteDb::Open(path, busy_timeout_ms));
  return std::unique_ptr<SqlDb>(new SqliteSqlDb(std::move(db)));
}

}  // namespace ecompipe::internal
