// SqlDb over PostgreSQL (libpq). One connection; it is re-established before the next
// statement when it was lost, so a server restart costs the statements in flight only.
#include <libpq-fe.h>

#include <cstring>

#include "common/internal/sql_backends.h"

namespace ecompipe::internal {
namespace {

// The advisory lock that serialises Transaction() bodies across every connection to the state
// store, as SQLite's single writer does ("ecompipe" in ASCII).
constexpr const char* kWriterLock = "SELECT pg_advisory_xact_lock(7306916064548941157)";

constexpr Oid kInt8Oid = 20;
constexpr Oid kTextOid = 25;

void IgnoreNotice(void*, const char*) {}  // "relation … already exists, skipping" and the like

class PostgresSqlDb : public SqlDb {
 public:
  PostgresSqlDb(PGconn* conn, std::string url) : conn_(conn), url_(std::move(url)) {}
  ~PostgresSqlDb() override { PQfinish(conn_); }

  Dialect dialect() const override { return Dialect::kPostgres; }

  Status ExecScript(std::string_view sql) override {
    EP_RETURN_IF_ERROR(EnsureConnected());
    PGresult* res = PQexec(conn_, std::string(sql).c_str());
    Status s = Check(res, sql);
    PQclear(res);
    return s;
  }

  Result<SqlRows> Query(std::string_view sql, const SqlParams& params) override {
    EP_ASSIGN_OR_RETURN(PGresult * res, Run(sql, params));
    SqlRows out;
    const int cols = PQnfields(res);
    const int rows = PQntuples(res);
    for (int c = 0; c < cols; ++c) out.columns.emplace_back(PQfname(res, c));
    out.rows.resize(rows);
    for (int r = 0; r < rows; ++r) {
      out.rows[r].resize(cols);
      for (int c = 0; c < cols; ++c) {
        if (!PQgetisnull(res, r, c))
          out.rows[r][c].emplace(PQgetvalue(res, r, c), PQgetlength(res, r, c));
      }
    }
    PQclear(res);
    return out;
  }

  Result<int64_t> Exec(std::string_view sql, const SqlParams& params) override {
    EP_ASSIGN_OR_RETURN(PGresult * res, Run(sql, params));
    const char* n = PQcmdTuples(res);
    int64_t changed = (n && *n) ? std::strtoll(n, nullptr, 10) : 0;
    PQclear(res);
    return changed;
  }

 protected:
  Status Begin(bool exclusive) override {
    EP_RETURN_IF_ERROR(ExecScript("BEGIN"));
    if (!exclusive) return Status::Ok();
    Status s = ExecScript(kWriterLock);
    if (!s.ok()) Rollback();
    return s;
  }
  Status Commit() override { return ExecScript("COMMIT"); }
  void Rollback() override {
    if (PQstatus(conn_) != CONNECTION_OK) return;
    PQclear(PQexec(conn_, "ROLLBACK"));
  }

 private:
  Status EnsureConnected() {
    if (PQstatus(conn_) == CONNECTION_OK) return Status::Ok();
    PQreset(conn_);
    if (PQstatus(conn_) != CONNECTION_OK) {
      return Status::Unavailable("PostgreSQL state store " + RedactUrl(url_) +
                                 " is unreachable: " + Trimmed(PQerrorMessage(conn_)));
    }
    PQsetNoticeProcessor(conn_, IgnoreNotice, nullptr);
    return Status::Ok();
  }

  Result<PGresult*> Run(std::string_view sql, const SqlParams& params) {
    EP_RETURN_IF_ERROR(EnsureConnected());
    const std::string text = ToDollarParams(sql);
    std::vector<Oid> types(params.size());
    std::vector<std::string> ints(params.size());
    std::vector<const char*> values(params.size());
    for (size_t i = 0; i < params.size(); ++i) {
      switch (params[i].kind()) {
        case SqlValue::Kind::kNull: types[i] = 0; values[i] = nullptr; break;
        case SqlValue::Kind::kInt:
          types[i] = kInt8Oid;
          ints[i] = std::to_string(params[i].int_value());
          values[i] = ints[i].c_str();
          break;
        case SqlValue::Kind::kText:
          types[i] = kTextOid;
          values[i] = params[i].text().c_str();
          break;
      }
    }
    PGresult* res = PQexecParams(conn_, text.c_str(), static_cast<int>(params.size()), types.data(),
                                 values.data(), nullptr, nullptr, 0);
    Status s = Check(res, sql);
    if (!s.ok()) {
      PQclear(res);
      return s;
    }
    return res;
  }

  Status Check(PGresult* res, std::string_view sql) {
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return Status::Ok();
    std::string what = "executing " + Shortened(sql) + ": ";
    if (!res || PQstatus(conn_) != CONNECTION_OK)
      return Status::Unavailable(what + "connection to PostgreSQL lost: " +
                                 Trimmed(PQerrorMessage(conn_)));
    const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    std::string code = state ? state : "";
    std::string msg = what + Trimmed(PQresultErrorMessage(res));
    if (code == "23505") return Status::AlreadyExists(msg);
    // Connection exceptions, serialisation failures, deadlocks, shutdowns, too many
    // connections: the same statement may well succeed later.
    if (code.starts_with("08") || code == "40001" || code == "40P01" || code.starts_with("57P") ||
        code == "53300" || code == "55P03")
      return Status::Unavailable(msg);
    if (code.starts_with("53") || code.starts_with("58")) return Status::IoError(msg);
    return Status::InvalidArgument(msg);
  }

  static std::string Trimmed(const char* s) {
    std::string out = s ? s : "";
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    return out;
  }
  static std::string Shortened(std::string_view sql) {
    std::string out;
    for (char c : sql.substr(0, 160)) out.push_back(c == '\n' ? ' ' : c);
    if (sql.size() > 160) out += "…";
    return out;
  }

  PGconn* conn_;
  std::string url_;
};

}  // namespace

Result<std::unique_ptr<SqlDb>> OpenPostgresSqlDb(const std::string& url) {
  PGconn* conn = PQconnectdb(url.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(conn);
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    PQfinish(conn);
    return Status::Unavailable("connecting to the PostgreSQL state store " + RedactUrl(url) + ": " +
                               msg);
  }
  PQsetNoticeProcessor(conn, IgnoreNotice, nullptr);
  return std::unique_ptr<SqlDb>(new PostgresSqlDb(conn, url));
}

}  // namespace ecompipe::internal
