#include "common/sql_db.h"

#include <charconv>

#include "common/internal/sql_backends.h"

namespace ecompipe {

const std::string& SqlRows::Text(size_t row, size_t col) const {
  static const std::string kEmpty;
  const std::optional<std::string>& v = rows[row][col];
  return v ? *v : kEmpty;
}

int64_t SqlRows::Int(size_t row, size_t col) const {
  const std::optional<std::string>& v = rows[row][col];
  if (!v) return 0;
  int64_t out = 0;
  std::from_chars(v->data(), v->data() + v->size(), out);
  return out;
}

Result<bool> SqlDb::HasColumn(std::string_view table, std::string_view column) {
  if (postgres()) {
    EP_ASSIGN_OR_RETURN(
        SqlRows rows,
        Query("SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
              "AND table_name = ? AND column_name = ?",
              {table, column}));
    return !rows.empty();
  }
  EP_ASSIGN_OR_RETURN(SqlRows rows,
                      Query("SELECT 1 FROM pragma_table_info(?) WHERE name = ?", {table, column}));
  return !rows.empty();
}

bool IsPostgresUrl(std::string_view location) {
  return location.starts_with("postgres://") || location.starts_with("postgresql://");
}

Result<std::unique_ptr<SqlDb>> OpenSqlDb(const std::string& location, int busy_timeout_ms) {
  if (IsPostgresUrl(location)) return internal::OpenPostgresSqlDb(location);
  return internal::OpenSqliteSqlDb(location, busy_timeout_ms);
}

namespace internal {

std::string ToDollarParams(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int highest = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    char c = sql[i];
    if (c == '\'' || c == '"') {  // a quoted literal or identifier, '' / "" escapes included
      size_t end = i + 1;
      while (end < sql.size() && sql[end] != c) ++end;
      out.append(sql.substr(i, end - i + 1));
      i = end;
      continue;
    }
    if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      size_t end = sql.find('\n', i);
      if (end == std::string_view::npos) end = sql.size();
      out.append(sql.substr(i, end - i));
      i = end - 1;
      continue;
    }
    if (c != '?') {
      out.push_back(c);
      continue;
    }
    size_t j = i + 1;
    int n = 0;
    while (j < sql.size() && sql[j] >= '0' && sql[j] <= '9') n = n * 10 + (sql[j++] - '0');
    if (j == i + 1) n = highest + 1;
    highest = std::max(highest, n);
    out += '$';
    out += std::to_string(n);
    i = j - 1;
  }
  return out;
}

}  // namespace internal
}  // namespace ecompipe
