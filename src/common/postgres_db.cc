#include "common/postgres_db.h"

#include <libpq-fe.h>
#include <spdlog/spdlog.h>

#include <cctype>
#include <charconv>
#include <cstdlib>

#include "common/redact.h"

namespace ecompipe {
namespace {

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r'))
    s.remove_suffix(1);
  while (!s.empty() && (s.front() == '\n' || s.front() == ' ')) s.remove_prefix(1);
  return std::string(s);
}

// Replaces every occurrence of `secret` in `text` with ***.
std::string Scrub(std::string text, const std::string& secret) {
  if (secret.empty()) return text;
  for (size_t pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos + 3)) {
    text.replace(pos, secret.size(), "***");
  }
  return text;
}

bool IsUrl(std::string_view s) {
  return s.starts_with("postgresql://") || s.starts_with("postgres://");
}

// The password written in a URL (user:PASSWORD@host) or a conninfo (password=...), found
// without libpq so that even a string libpq refuses to parse is scrubbed from messages.
std::string PasswordIn(std::string_view conninfo) {
  if (IsUrl(conninfo)) {
    std::string_view rest = conninfo.substr(conninfo.find("://") + 3);
    size_t at = rest.rfind('@', rest.find('/'));
    if (at == std::string_view::npos) return {};
    std::string_view userinfo = rest.substr(0, at);
    size_t colon = userinfo.find(':');
    return colon == std::string_view::npos ? std::string()
                                           : std::string(userinfo.substr(colon + 1));
  }
  size_t pos = conninfo.find("password");
  while (pos != std::string_view::npos) {
    size_t eq = conninfo.find_first_not_of(' ', pos + 8);
    if (eq != std::string_view::npos && conninfo[eq] == '=') {
      size_t start = conninfo.find_first_not_of(' ', eq + 1);
      if (start == std::string_view::npos) return {};
      if (conninfo[start] == '\'') {
        size_t end = conninfo.find('\'', start + 1);
        return std::string(
            conninfo.substr(start + 1, end == std::string_view::npos ? end : end - start - 1));
      }
      size_t end = conninfo.find(' ', start);
      return std::string(conninfo.substr(start, end == std::string_view::npos ? end : end - start));
    }
    pos = conninfo.find("password", pos + 8);
  }
  return {};
}

void IgnoreNotice(void*, const char* message) {
  spdlog::debug("PostgreSQL notice. message={}", Trim(message ? message : ""));
}

// "host=h port=p dbname=d user=u" from the options a connection object holds (after libpq
// applied URL, environment and defaults), and the password it holds, for scrubbing.
std::pair<std::string, std::string> DescribeConn(PGconn* conn) {
  std::string host, port, dbname, user, password;
  if (PQconninfoOption* opts = PQconninfo(conn)) {
    for (PQconninfoOption* o = opts; o->keyword; ++o) {
      std::string_view k = o->keyword;
      std::string v = o->val ? o->val : "";
      // A host name, else the numeric address.
      if ((k == "host" && !v.empty()) || (k == "hostaddr" && host.empty()))
        host = v;
      else if (k == "port")
        port = v;
      else if (k == "dbname")
        dbname = v;
      else if (k == "user")
        user = v;
      else if (k == "password")
        password = v;
    }
    PQconninfoFree(opts);
  }
  if (host.empty()) host = "(local socket)";
  std::string d = "host=" + host;
  if (!port.empty()) d += " port=" + port;
  if (!dbname.empty()) d += " dbname=" + dbname;
  if (!user.empty()) d += " user=" + user;
  return {Scrub(d, password), password};
}

// A connection that failed to open: credentials, a missing database or role, or an SSL
// requirement the server cannot meet will fail the same way next time; anything else (refused,
// timed out, starting up) is worth retrying.
StatusCode ConnectFailureCode(PGconn* conn, std::string_view message) {
  if (PQconnectionNeedsPassword(conn)) return StatusCode::kInvalidArgument;
  for (std::string_view permanent :
       {"authentication failed", "does not exist", "no pg_hba.conf entry", "SSL was required",
        "password", "invalid sslmode", "certificate"}) {
    if (message.find(permanent) != std::string_view::npos) return StatusCode::kInvalidArgument;
  }
  return StatusCode::kUnavailable;
}

}  // namespace

bool IsEnvVarName(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

std::string WithPasswordEnv(const std::string& conninfo, const std::string& env_name) {
  if (env_name.empty()) return conninfo;
  if (IsUrl(conninfo))
    return conninfo + (conninfo.find('?') == std::string::npos ? "?" : "&") +
           "password_env=" + env_name;
  return conninfo + (conninfo.empty() ? "" : " ") + "password_env=" + env_name;
}

std::string TakePasswordEnv(std::string& conninfo) {
  constexpr std::string_view kKey = "password_env=";
  if (IsUrl(conninfo)) {
    size_t q = conninfo.find('?');
    if (q == std::string::npos) return {};
    // Parameters are separated by '&'; find the one that is password_env.
    for (size_t start = q + 1; start < conninfo.size();) {
      size_t end = conninfo.find('&', start);
      if (end == std::string::npos) end = conninfo.size();
      if (std::string_view(conninfo).substr(start, end - start).starts_with(kKey)) {
        std::string name = conninfo.substr(start + kKey.size(), end - start - kKey.size());
        // Remove the parameter with the separator before it (or after it, when it is first).
        if (end < conninfo.size()) {
          conninfo.erase(start, end + 1 - start);
        } else {
          conninfo.erase(start - 1);
        }
        return name;
      }
      start = end + 1;
    }
    return {};
  }
  for (size_t pos = conninfo.find(kKey); pos != std::string::npos;
       pos = conninfo.find(kKey, pos + 1)) {
    if (pos > 0 && conninfo[pos - 1] != ' ') continue;
    size_t end = conninfo.find(' ', pos);
    if (end == std::string::npos) end = conninfo.size();
    std::string name = conninfo.substr(pos + kKey.size(), end - pos - kKey.size());
    conninfo.erase(pos, end - pos);
    return name;
  }
  return {};
}

StatusCode PgSqlStateCode(std::string_view s) {
  if (s.size() != 5) return StatusCode::kInternal;
  std::string_view cls = s.substr(0, 2);
  if (cls == "08" || cls == "53" || s == "57P01" || s == "57P02" || s == "57P03" || s == "40001" ||
      s == "40P01" || s == "55P03") {
    return StatusCode::kUnavailable;
  }
  if (s == "57014") return StatusCode::kTimeout;
  if (s == "23505") return StatusCode::kAlreadyExists;
  if (cls == "22" || cls == "23") return StatusCode::kCorruptInput;
  if (s == "42P01" || s == "3F000" || s == "42704") return StatusCode::kNotFound;
  if (cls == "42" || cls == "28" || cls == "3D" || cls == "0A" || cls == "P0" || cls == "25") {
    return StatusCode::kInvalidArgument;
  }
  if (cls == "58" || cls == "XX") return StatusCode::kIoError;
  return StatusCode::kInternal;
}

PgResult& PgResult::operator=(PgResult&& o) noexcept {
  if (this != &o) {
    PQclear(res_);
    res_ = o.res_;
    o.res_ = nullptr;
  }
  return *this;
}
PgResult::~PgResult() { PQclear(res_); }
int PgResult::Rows() const { return res_ ? PQntuples(res_) : 0; }
int PgResult::Columns() const { return res_ ? PQnfields(res_) : 0; }
std::string PgResult::ColumnName(int col) const { return PQfname(res_, col); }
uint32_t PgResult::ColumnType(int col) const { return PQftype(res_, col); }
bool PgResult::IsNull(int row, int col) const { return PQgetisnull(res_, row, col) != 0; }
std::string_view PgResult::Text(int row, int col) const {
  return {PQgetvalue(res_, row, col), static_cast<size_t>(PQgetlength(res_, row, col))};
}
std::optional<std::string> PgResult::Optional(int row, int col) const {
  if (IsNull(row, col)) return std::nullopt;
  return std::string(Text(row, col));
}
int64_t PgResult::Int(int row, int col) const {
  std::string_view t = Text(row, col);
  int64_t v = 0;
  std::from_chars(t.data(), t.data() + t.size(), v);
  return v;
}
int64_t PgResult::Affected() const {
  if (!res_) return 0;
  const char* n = PQcmdTuples(res_);
  int64_t v = 0;
  if (n && *n) std::from_chars(n, n + std::char_traits<char>::length(n), v);
  return v;
}

Result<std::unique_ptr<PostgresDb>> PostgresDb::Connect(const std::string& conninfo_in,
                                                        int connect_timeout_s) {
  std::string conninfo = conninfo_in;
  const std::string password_env = TakePasswordEnv(conninfo);
  std::string env_password;
  if (!password_env.empty() || conninfo.size() != conninfo_in.size()) {
    if (!IsEnvVarName(password_env)) {
      return Status::InvalidArgument(
          "invalid PostgreSQL connection string '" + RedactConnInfo(conninfo_in) +
          "': password_env must name an environment variable ([A-Za-z_][A-Za-z0-9_]*)");
    }
    const char* value = std::getenv(password_env.c_str());
    if (value == nullptr || *value == '\0') {
      return Status::InvalidArgument(
          "the PostgreSQL password comes from the environment variable " + password_env +
          ", which is not set (or empty)");
    }
    env_password = value;
  }
  std::string typed_password = env_password.empty() ? PasswordIn(conninfo) : env_password;
  bool sets_timeout = false;
  if (!conninfo.empty()) {
    char* err = nullptr;
    PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &err);
    if (!opts) {
      std::string msg = err ? Trim(err) : "unparsable";
      PQfreemem(err);
      return Status::InvalidArgument("invalid PostgreSQL connection string '" +
                                     RedactConnInfo(conninfo) + "': " + Scrub(msg, typed_password));
    }
    for (PQconninfoOption* o = opts; o->keyword; ++o) {
      if (std::string_view(o->keyword) == "connect_timeout" && o->val && *o->val)
        sets_timeout = true;
    }
    PQconninfoFree(opts);
  }
  // `conninfo` goes in as dbname and is expanded (URL or key=value). Keywords after it would
  // override what it sets, so connect_timeout is passed only when the conninfo leaves it out.
  std::string timeout = std::to_string(connect_timeout_s);
  std::vector<const char*> keys = {"dbname", "fallback_application_name"};
  std::vector<const char*> vals = {conninfo.c_str(), "ecompipe"};
  if (!env_password.empty()) {
    keys.push_back("password");
    vals.push_back(env_password.c_str());
  }
  if (!sets_timeout && connect_timeout_s > 0) {
    keys.push_back("connect_timeout");
    vals.push_back(timeout.c_str());
  }
  keys.push_back(nullptr);
  vals.push_back(nullptr);
  PGconn* conn = PQconnectdbParams(keys.data(), vals.data(), /*expand_dbname=*/1);
  if (!conn) return Status::Internal("libpq could not allocate a connection");
  auto [describe, password] = DescribeConn(conn);
  if (password.empty()) password = typed_password;
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = Scrub(Scrub(Trim(PQerrorMessage(conn)), password), typed_password);
    StatusCode code = ConnectFailureCode(conn, msg);
    PQfinish(conn);
    return Status(code, "cannot connect to PostgreSQL " + describe + ": " + msg);
  }
  PQsetNoticeProcessor(conn, IgnoreNotice, nullptr);
  return std::unique_ptr<PostgresDb>(
      new PostgresDb(conn, std::move(describe), std::move(password)));
}

PostgresDb::~PostgresDb() {
  if (in_copy_) (void)AbortCopy("connection closed");
  PQfinish(conn_);
}

Status PostgresDb::Error(std::string_view what, const pg_result* res) const {
  std::string sqlstate, msg;
  if (res) {
    const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    if (state) sqlstate = state;
    const char* primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    msg = primary ? primary : Trim(PQresultErrorMessage(res));
    if (const char* detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL))
      msg += std::string(" (") + detail + ")";
    if (const char* hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT))
      msg += std::string("; hint: ") + hint;
  }
  if (msg.empty()) msg = Trim(PQerrorMessage(conn_));
  if (msg.empty()) msg = "unknown error";
  StatusCode code;
  if (PQstatus(conn_) != CONNECTION_OK) {
    code = StatusCode::kUnavailable;  // the connection dropped: the server went away
    if (sqlstate.empty()) msg = "connection lost: " + msg;
  } else {
    code = sqlstate.empty() ? StatusCode::kInternal : PgSqlStateCode(sqlstate);
  }
  std::string text = std::string(what) + " on PostgreSQL " + describe_ + ": " + msg;
  if (!sqlstate.empty()) text += " [SQLSTATE " + sqlstate + "]";
  return Status(code, Scrub(std::move(text), password_));
}

Result<PgResult> PostgresDb::Check(pg_result* raw_res, std::string_view what) {
  PgResult res(raw_res);
  if (!raw_res) return Error(what);
  switch (PQresultStatus(raw_res)) {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
    case PGRES_EMPTY_QUERY:
      return res;
    default:
      return Error(what, raw_res);
  }
}

Status PostgresDb::Exec(std::string_view sql) {
  if (in_copy_) return Status::Internal("PostgresDb::Exec while a COPY is open");
  std::string text(sql);
  return Check(PQexec(conn_, text.c_str()), "statement failed").status();
}

Result<PgResult> PostgresDb::QueryMulti(std::string_view sql) {
  if (in_copy_) return Status::Internal("PostgresDb::QueryMulti while a COPY is open");
  std::string text(sql);
  return Check(PQexec(conn_, text.c_str()), "query failed");
}

Result<PgResult> PostgresDb::Query(std::string_view sql, const std::vector<PgParam>& params) {
  if (in_copy_) return Status::Internal("PostgresDb::Query while a COPY is open");
  std::string text(sql);
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const PgParam& p : params) values.push_back(p.value ? p.value->c_str() : nullptr);
  return Check(PQexecParams(conn_, text.c_str(), static_cast<int>(values.size()), nullptr,
                            values.data(), nullptr, nullptr, /*resultFormat=*/0),
               "query failed");
}

Status PostgresDb::BeginCopy(std::string_view copy_sql) {
  if (in_copy_) return Status::Internal("PostgresDb::BeginCopy while a COPY is open");
  std::string text(copy_sql);
  PGresult* raw = PQexec(conn_, text.c_str());
  if (raw && PQresultStatus(raw) == PGRES_COPY_IN) {
    PQclear(raw);
    in_copy_ = true;
    return Status::Ok();
  }
  Status s = Error("COPY failed to start", raw);
  PQclear(raw);
  return s;
}

Status PostgresDb::PutCopy(std::string_view data) {
  if (!in_copy_) return Status::Internal("PostgresDb::PutCopy without BeginCopy");
  if (data.empty()) return Status::Ok();
  if (PQputCopyData(conn_, data.data(), static_cast<int>(data.size())) != 1) {
    Status s = Error("COPY data not sent");
    (void)AbortCopy("client failed to send data");
    return s;
  }
  return Status::Ok();
}

Result<int64_t> PostgresDb::EndCopy() {
  if (!in_copy_) return Status::Internal("PostgresDb::EndCopy without BeginCopy");
  in_copy_ = false;
  if (PQputCopyEnd(conn_, nullptr) != 1) {
    Status s = Error("COPY end not sent");
    while (PGresult* r = PQgetResult(conn_)) PQclear(r);
    return s;
  }
  Status failure;
  int64_t rows = 0;
  while (PGresult* r = PQgetResult(conn_)) {
    if (PQresultStatus(r) == PGRES_COMMAND_OK) {
      rows = PgResult(r).Affected();
      continue;  // PgResult cleared it
    }
    if (failure.ok()) failure = Error("COPY failed", r);
    PQclear(r);
  }
  if (!failure.ok()) return failure;
  return rows;
}

Status PostgresDb::AbortCopy(std::string_view reason) {
  if (!in_copy_) return Status::Ok();
  in_copy_ = false;
  std::string text(reason);
  PQputCopyEnd(conn_, text.c_str());
  while (PGresult* r = PQgetResult(conn_)) PQclear(r);
  return Status::Ok();
}

Status PostgresDb::CopyOut(std::string_view copy_sql,
                           const std::function<Status(std::string_view)>& row) {
  if (in_copy_) return Status::Internal("PostgresDb::CopyOut while a COPY is open");
  std::string text(copy_sql);
  PGresult* start = PQexec(conn_, text.c_str());
  if (!start || PQresultStatus(start) != PGRES_COPY_OUT) {
    Status s = Error("COPY TO failed to start", start);
    PQclear(start);
    return s;
  }
  PQclear(start);
  Status failure;
  for (;;) {
    char* buf = nullptr;
    int n = PQgetCopyData(conn_, &buf, /*async=*/0);
    if (n > 0) {
      if (failure.ok()) failure = row(std::string_view(buf, static_cast<size_t>(n)));
      PQfreemem(buf);
      continue;
    }
    if (n == -2) {
      Status s = Error("COPY TO read failed");
      if (failure.ok()) failure = s;
    }
    break;
  }
  while (PGresult* r = PQgetResult(conn_)) {
    if (PQresultStatus(r) != PGRES_COMMAND_OK && failure.ok()) failure = Error("COPY TO failed", r);
    PQclear(r);
  }
  return failure;
}

bool PostgresDb::Healthy() const { return PQstatus(conn_) == CONNECTION_OK; }

Status PostgresDb::Reset() {
  in_copy_ = false;
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string msg = Scrub(Trim(PQerrorMessage(conn_)), password_);
    return Status(ConnectFailureCode(conn_, msg),
                  "cannot reconnect to PostgreSQL " + describe_ + ": " + msg);
  }
  PQsetNoticeProcessor(conn_, IgnoreNotice, nullptr);
  return Status::Ok();
}

Result<bool> PostgresDb::ReconnectIfLost() {
  if (in_copy_) return false;
  if (PQstatus(conn_) == CONNECTION_OK) {
    if (PQtransactionStatus(conn_) != PQTRANS_IDLE) return false;
    // A server that shut down sent an error (57P01) and closed the socket: the first read takes
    // the message, the next one meets the end of the stream and marks the connection bad. A
    // live idle connection has nothing to read and stays as it is.
    for (int i = 0; i < 3 && PQconsumeInput(conn_) == 1 && PQstatus(conn_) == CONNECTION_OK; ++i) {
    }
    if (PQstatus(conn_) == CONNECTION_OK) return false;
  }
  std::string why = Scrub(Trim(PQerrorMessage(conn_)), password_);
  for (char& c : why) {
    if (c == '\n' || c == '\t') c = ' ';
  }
  EP_RETURN_IF_ERROR(Reset());
  spdlog::info("Reconnected to PostgreSQL. server=\"{}\" reason=\"{}\"", describe_, why);
  return true;
}

int PostgresDb::ServerVersion() const { return PQserverVersion(conn_); }

std::string RedactConnInfo(std::string_view conninfo) {
  // A URL's secrets (user:PASSWORD@, ?password=…) as every URL's (common/redact.h).
  if (IsUrl(conninfo)) return RedactUrl(conninfo);
  std::string password = PasswordIn(conninfo);
  if (password.empty()) return std::string(conninfo);
  std::string out(conninfo);
  return Scrub(out, password);
}

std::string PgQuoteIdent(std::string_view ident) {
  std::string out = "\"";
  for (char c : ident) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string PgQuoteLiteral(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

}  // namespace ecompipe
