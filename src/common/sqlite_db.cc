#include "common/sqlite_db.h"

#include <mutex>
#include <string>

namespace ecompipe {

Status SqliteError(sqlite3* db, int rc, std::string_view what) {
  std::string msg = std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  int primary = rc & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) return Status::Unavailable(msg);
  if (primary == SQLITE_CANTOPEN || primary == SQLITE_IOERR || primary == SQLITE_FULL ||
      primary == SQLITE_READONLY)
    return Status::IoError(msg);
  return Status::InvalidArgument(msg);
}

void ConfigureSqliteOnce() {
  static std::once_flag once;
  // SQLITE_MISUSE when SQLite is already in use (another library opened a database first):
  // the statistics then stay on, which is only slower.
  std::call_once(once, [] { (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

SqliteStmt& SqliteStmt::Bind(int index, std::string_view text) {
  NoteBind(
      sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  return *this;
}
SqliteStmt& SqliteStmt::Bind(int index, int64_t value) {
  NoteBind(sqlite3_bind_int64(stmt_, index, value));
  return *this;
}
SqliteStmt& SqliteStmt::BindNull(int index) {
  NoteBind(sqlite3_bind_null(stmt_, index));
  return *this;
}
SqliteStmt& SqliteStmt::BindOptional(int index, const std::optional<std::string>& text) {
  return text ? Bind(index, *text) : BindNull(index);
}

Result<bool> SqliteStmt::Step() {
  const char* sql = stmt_ ? sqlite3_sql(stmt_) : nullptr;
  if (!sql) sql = "(no statement)";
  if (bind_rc_ != SQLITE_OK)
    return SqliteError(nullptr, bind_rc_, std::string("binding parameters of ") + sql);
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteError(db_, rc, std::string("executing ") + sql);
}

Status SqliteStmt::Run() {
  while (true) {
    EP_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return Status::Ok();
  }
}

Status SqliteStmt::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_rc_ = SQLITE_OK;
  return Status::Ok();
}

std::string SqliteStmt::Text(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  if (!p) return {};
  return std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(stmt_, col));
}

Result<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::string& path, int busy_timeout_ms) {
  ConfigureSqliteOnce();
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Status s = SqliteError(db, rc, "opening SQLite database " + path);
    sqlite3_close(db);
    return s;
  }
  std::unique_ptr<SqliteDb> out(new SqliteDb(db));
  sqlite3_busy_timeout(db, busy_timeout_ms);
  // WAL: readers (the CLI's status commands) never block the pipeline's writer, and a
  // committed transaction survives a process crash; NORMAL sync is durable against process
  // crashes, which is what exactly-once needs here (an OS crash may lose the last commits,
  // which the ledger then redoes).
  EP_RETURN_IF_ERROR(out->Exec("PRAGMA journal_mode=WAL"));
  EP_RETURN_IF_ERROR(out->Exec("PRAGMA synchronous=NORMAL"));
  EP_RETURN_IF_ERROR(out->Exec("PRAGMA foreign_keys=ON"));
  return out;
}

SqliteDb::~SqliteDb() { sqlite3_close_v2(db_); }

Status SqliteDb::Exec(std::string_view sql) {
  std::string s(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    Status st = SqliteError(nullptr, rc, "executing SQL");
    return Status(st.code(), "executing SQL: " + msg);
  }
  return Status::Ok();
}

Result<SqliteStmt> SqliteDb::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db_, rc, "preparing SQL");
  // Empty text or only a comment compiles to no statement at all.
  if (stmt == nullptr)
    return Status::InvalidArgument("preparing SQL: no statement in '" + std::string(sql) + "'");
  return SqliteStmt(db_, stmt);
}

}  // namespace ecompipe
