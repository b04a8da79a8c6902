// A thin RAII wrapper over one libpq connection, for the PostgreSQL warehouse and state store.
//
// Connecting: a URL (postgresql://user@host:port/db?sslmode=require) or a key=value conninfo
// string; whatever it leaves out comes from libpq's own defaults, the standard PG* environment
// variables (PGHOST, PGPASSWORD, PGSSLMODE, ...) and ~/.pgpass. libpq does all of that and
// honours sslmode; this wrapper does not reinterpret it.
//
// Errors are Status values. Their messages name the server (host, port, database, user) and
// never contain the password: every message built here is scrubbed of it.
// Codes: the server cannot be reached or the connection dropped -> kUnavailable (retryable);
// serialization failures, deadlocks, "too many connections", admin shutdown -> kUnavailable;
// bad credentials, unknown database or role, bad URL -> kInvalidArgument (a retry cannot help);
// unique violations -> kAlreadyExists; bad data -> kCorruptInput; bad SQL -> kInvalidArgument.
//
// Thread-safety: one PostgresDb per thread (a libpq connection is not shared).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/status.h"
#include "common/transaction.h"

struct pg_conn;
struct pg_result;

namespace ecompipe {

// One query parameter, sent as text; nullopt is SQL NULL.
struct PgParam {
  std::optional<std::string> value;
  PgParam(std::nullopt_t) {}                                        // NOLINT: implicit by design
  PgParam(const char* text) : value(text) {}                        // NOLINT
  PgParam(std::string_view text) : value(std::string(text)) {}      // NOLINT
  PgParam(std::string text) : value(std::move(text)) {}             // NOLINT
  PgParam(const std::optional<std::string>& text) : value(text) {}  // NOLINT
  template <typename T,
            typename = std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>>>
  PgParam(T number) : value(std::to_string(number)) {}  // NOLINT
  PgParam(bool b) : value(b ? "true" : "false") {}      // NOLINT
};

// The rows of one statement, in text form. Owns the libpq result.
class PgResult {
 public:
  explicit PgResult(pg_result* res) : res_(res) {}
  PgResult(PgResult&& o) noexcept : res_(o.res_) { o.res_ = nullptr; }
  PgResult& operator=(PgResult&& o) noexcept;
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;
  ~PgResult();

  int Rows() const;
  int Columns() const;
  std::string ColumnName(int col) const;
  // The column's type OID (PQftype): 23 int4, 1700 numeric, ... (pg_type.oid).
  uint32_t ColumnType(int col) const;
  bool IsNull(int row, int col) const;
  // The value as text ("" for NULL; check IsNull()).
  std::string_view Text(int row, int col) const;
  std::optional<std::string> Optional(int row, int col) const;
  // The value parsed as an integer; 0 for NULL or non-numbers.
  int64_t Int(int row, int col) const;
  // Rows changed by an INSERT/UPDATE/DELETE/COPY (PQcmdTuples); 0 when not applicable.
  int64_t Affected() const;

 private:
  pg_result* res_;
};

class PostgresDb {
 public:
  // Connects with `conninfo` (a URL or key=value string; "" = environment defaults).
  // `connect_timeout_s` applies unless the conninfo sets connect_timeout itself.
  // Besides libpq's parameters, `password_env=NAME` (a URL query parameter or a key=value
  // pair) takes the password from the environment variable NAME at connect time, so that no
  // configuration holds it; NAME unset or empty is kInvalidArgument. Reset() reuses it.
  static Result<std::unique_ptr<PostgresDb>> Connect(const std::string& conninfo,
                                                     int connect_timeout_s = 10);
  ~PostgresDb();
  PostgresDb(const PostgresDb&) = delete;
  PostgresDb& operator=(const PostgresDb&) = delete;

  // Runs one or several statements without parameters (simple query protocol).
  Status Exec(std::string_view sql);
  // Runs one statement with $1.. parameters; rows of a SELECT (or RETURNING) come back.
  Result<PgResult> Query(std::string_view sql, const std::vector<PgParam>& params = {});
  // Runs several statements without parameters; the last statement's rows come back.
  Result<PgResult> QueryMulti(std::string_view sql);

  // Runs `body` inside BEGIN ... COMMIT; rolls back when it returns an error, when it throws
  // (the exception is rethrown) or when COMMIT fails.
  template <typename F>
  Status Transaction(F&& body) {
    return RunTransaction([&] { return Exec("BEGIN"); }, [&] { return Exec("COMMIT"); },
                          [&] { (void)Exec("ROLLBACK"); }, std::forward<F>(body));
  }

  // COPY ... FROM STDIN: BeginCopy() with the COPY statement, then any number of PutCopy()
  // calls with data in the statement's format (text, csv or binary), then EndCopy(), which
  // returns the rows copied. AbortCopy() ends it with an error instead (the server rolls the
  // COPY back). While a COPY is open, no other statement may run on this connection.
  Status BeginCopy(std::string_view copy_sql);
  Status PutCopy(std::string_view data);
  Result<int64_t> EndCopy();
  Status AbortCopy(std::string_view reason);
  bool InCopy() const { return in_copy_; }
  // COPY ... TO STDOUT: calls `row` with each data row as the server sends it (in text format,
  // one line with its newline). When `row` returns an error, the remaining rows are read and
  // dropped and that error is returned. Much faster than a SELECT for large results: no
  // per-row protocol overhead and nothing accumulated in memory.
  Status CopyOut(std::string_view copy_sql, const std::function<Status(std::string_view)>& row);

  // True while the connection is usable. Reset() reconnects with the same settings.
  bool Healthy() const;
  Status Reset();
  // Call before a unit of work. A connection whose server went away while it sat idle (a
  // restart, a shutdown, a terminated backend) still looks healthy until a statement fails on
  // it; this reads what the server sent meanwhile, without blocking, and reconnects once when
  // the server is gone. Only outside a transaction and a COPY, where a new connection loses
  // nothing (inside one it does nothing: the transaction's own statements report the loss).
  // Returns true when it reconnected, so the caller re-applies its session settings; an error
  // when the server cannot be reached again.
  Result<bool> ReconnectIfLost();

  // "host=h port=p dbname=d user=u" — for messages; never holds the password.
  const std::string& Describe() const { return describe_; }
  // Server version as PQserverVersion reports it, e.g. 150004.
  int ServerVersion() const;

  // libpq's connection, for what this wrapper does not cover. Do not close it.
  pg_conn* raw() { return conn_; }

  // The Status for the last error on this connection (or of `res` when given) while doing
  // `what`, with the code mapped from the SQLSTATE and the password scrubbed.
  Status Error(std::string_view what, const pg_result* res = nullptr) const;

 private:
  PostgresDb(pg_conn* conn, std::string describe, std::string password)
      : conn_(conn), describe_(std::move(describe)), password_(std::move(password)) {}
  Result<PgResult> Check(pg_result* res, std::string_view what);

  pg_conn* conn_;
  std::string describe_;
  std::string password_;  // only to scrub it from messages
  bool in_copy_ = false;
};

// Removes `password_env=NAME` from `conninfo` (see PostgresDb::Connect) and returns NAME, or ""
// when it has none.
std::string TakePasswordEnv(std::string& conninfo);

// `conninfo` with `password_env=env_name` added (as a URL query parameter or a key=value pair);
// `conninfo` unchanged when `env_name` is empty.
std::string WithPasswordEnv(const std::string& conninfo, const std::string& env_name);
// True for a valid environment variable name: [A-Za-z_][A-Za-z0-9_]*.
bool IsEnvVarName(std::string_view name);

// Replaces the password in a postgresql:// URL or a key=value conninfo with "***"; for
// printing connection settings. Strings that are neither come back unchanged.
std::string RedactConnInfo(std::string_view conninfo);

// Quotes an identifier for SQL ("my schema" -> "\"my schema\"").
std::string PgQuoteIdent(std::string_view ident);
// Quotes a string literal for SQL ('it''s'); standard_conforming_strings is assumed on.
std::string PgQuoteLiteral(std::string_view text);

// The StatusCode a SQLSTATE maps to (see the header comment).
StatusCode PgSqlStateCode(std::string_view sqlstate);

}  // namespace ecompipe
