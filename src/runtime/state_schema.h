// The state store's schema version (SQLite or PostgreSQL alike): one row in the table
// ecompipe_state_version, which the state stores' tables (event log, catalog, runs, outbox,
// claims, seen objects) are at together.
//
//   0  the tables as ecompipe wrote them before the version was recorded (the table is absent)
//   1  the same tables, version recorded
//
// Pipeline::Open calls CheckStateSchema() before any store opens its tables and
// RecordStateSchema() after all of them did: each store brings its own tables forward in a
// transaction of its own (CREATE … IF NOT EXISTS, columns added when missing), so a start that
// stops half-way leaves the version where it was and the next start finishes the upgrade. A
// newer version than this binary knows is refused before anything is touched: an older ecompipe
// never writes into tables whose meaning it does not know.
#pragma once

#include <string>

#include "common/sql_db.h"
#include "common/status.h"

namespace ecompipe::runtime {

inline constexpr int kStateSchemaVersion = 1;

// The recorded version: 0 when none is (a state store from before versions, or a new one).
Result<int> StateSchemaVersion(SqlDb& db);

// kInvalidArgument when the store's version is newer than kStateSchemaVersion, naming both
// and the fix; creates the version table when it is missing.
Status CheckStateSchema(SqlDb& db, const std::string& where);

// Records kStateSchemaVersion (in a transaction), after every store migrated its tables.
Status RecordStateSchema(SqlDb& db);

}  // namespace ecompipe::runtime
