// The two SqlDb backends, for OpenSqlDb() (common/sql_db.cc) only.
#pragma once

#include <memory>
#include <string>

#include "common/sql_db.h"

namespace ecompipe::internal {

Result<std::unique_ptr<SqlDb>> OpenSqliteSqlDb(const std::string& path, int busy_timeout_ms);
Result<std::unique_ptr<SqlDb>> OpenPostgresSqlDb(const std::string& url);

// `sql` with SQLite-style parameters (`?`, `?N`) rewritten to PostgreSQL's `$N`; text inside
// quotes ('…', "…") and comments is left alone. A bare `?` takes the number after the highest
// one used so far, as SQLite numbers them.
std::string ToDollarParams(std::string_view sql);

}  // namespace ecompipe::internal
