// A thin RAII wrapper over one SQLite connection, for the state store (event log, runs,
// notifications outbox). Every SQLite error becomes a Status naming the statement;
// SQLITE_BUSY / SQLITE_LOCKED become kUnavailable (retryable).
//
// Thread-safety: one SqliteDb per thread. Several processes and threads may open the same
// file: it is put in WAL mode with a busy timeout, so readers never block the writer.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/status.h"
#include "common/transaction.h"

namespace ecompipe {

class SqliteStmt {
 public:
  SqliteStmt(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  SqliteStmt(SqliteStmt&& o) noexcept : db_(o.db_), stmt_(o.stmt_), bind_rc_(o.bind_rc_) {
    o.stmt_ = nullptr;
  }
  SqliteStmt(const SqliteStmt&) = delete;
  SqliteStmt& operator=(const SqliteStmt&) = delete;
  ~SqliteStmt() { sqlite3_finalize(stmt_); }

  // Binds parameters 1..n in order (text is copied). Chainable. A binding that fails (an
  // index out of range, say) is reported by the next Step() or Run(), not ignored.
  SqliteStmt& Bind(int index, std::string_view text);
  SqliteStmt& Bind(int index, int64_t value);
  SqliteStmt& BindNull(int index);
  SqliteStmt& BindOptional(int index, const std::optional<std::string>& text);

  // Steps once: true when a row is available, false when done.
  Result<bool> Step();
  // Steps to completion (for statements without rows).
  Status Run();
  // Makes the statement ready to run again and clears its bindings (and a binding error).
  Status Reset();

  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::string Text(int col) const;
  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  int ColumnCount() const { return sqlite3_column_count(stmt_); }
  std::string ColumnName(int col) const { return sqlite3_column_name(stmt_, col); }

 private:
  void NoteBind(int rc) {
    if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  }

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  int bind_rc_ = SQLITE_OK;  // the first failed binding since the last Reset()
};

class SqliteDb {
 public:
  // Opens (creating) `path` in WAL mode with `busy_timeout_ms`.
  static Result<std::unique_ptr<SqliteDb>> Open(const std::string& path,
                                                int busy_timeout_ms = 30000);
  ~SqliteDb();

  Status Exec(std::string_view sql);
  // One statement; kInvalidArgument when `sql` does not compile or holds no statement.
  Result<SqliteStmt> Prepare(std::string_view sql);
  int64_t LastInsertId() const { return sqlite3_last_insert_rowid(db_); }
  int Changes() const { return sqlite3_changes(db_); }
  sqlite3* raw() { return db_; }

  // Runs `body` inside BEGIN IMMEDIATE ... COMMIT; rolls back when it returns an error, when
  // it throws (the exception is rethrown) or when COMMIT itself fails, so the connection is
  // never left inside a transaction.
  template <typename F>
  Status Transaction(F&& body) {
    return RunTransaction([&] { return Exec("BEGIN IMMEDIATE"); }, [&] { return Exec("COMMIT"); },
                          [&] { (void)Exec("ROLLBACK"); }, std::forward<F>(body));
  }

 private:
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

// A Status for SQLite result code `rc` while doing `what`.
Status SqliteError(sqlite3* db, int rc, std::string_view what);

// Process-wide SQLite settings, which SQLite accepts only before its first connection opens:
// memory statistics off (with them, every allocation SQLite makes takes a global mutex; a
// load makes several per row). Every opener calls it first; after the first call it does
// nothing.
void ConfigureSqliteOnce();

}  // namespace ecompipe
