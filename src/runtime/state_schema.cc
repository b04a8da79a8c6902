#include "runtime/state_schema.h"

#include <spdlog/spdlog.h>

namespace ecompipe::runtime {
namespace {

constexpr const char* kCreateVersionTable =
    "CREATE TABLE IF NOT EXISTS ecompipe_state_version (version INT NOT NULL)";

}  // namespace

Result<int> StateSchemaVersion(SqlDb& db) {
  EP_RETURN_IF_ERROR(db.ExecScript(kCreateVersionTable));
  EP_ASSIGN_OR_RETURN(SqlRows rows, db.Query("SELECT max(version) FROM ecompipe_state_version"));
  return rows.empty() || rows.IsNull(0, 0) ? 0 : static_cast<int>(rows.Int(0, 0));
}

Status CheckStateSchema(SqlDb& db, const std::string& where) {
  int found = 0;
  EP_RETURN_IF_ERROR(db.Transaction([&]() -> Status {
    EP_ASSIGN_OR_RETURN(found, StateSchemaVersion(db));
    return Status::Ok();
  }));
  if (found > kStateSchemaVersion)
    return Status::InvalidArgument(
               "state store schema version " + std::to_string(found) +
               " is newer than this ecompipe supports (" + std::to_string(kStateSchemaVersion) +
               "); a newer ecompipe wrote it: run that version (or newer), or restore a backup "
               "taken before the upgrade")
        .At(where);
  if (found < kStateSchemaVersion)
    spdlog::info("Upgrading the state store schema. from_version={} to_version={}", found,
                 kStateSchemaVersion);
  return Status::Ok();
}

Status RecordStateSchema(SqlDb& db) {
  return db.Transaction([&]() -> Status {
    EP_ASSIGN_OR_RETURN(int found, StateSchemaVersion(db));
    if (found >= kStateSchemaVersion) return Status::Ok();
    EP_RETURN_IF_ERROR(db.Exec("DELETE FROM ecompipe_state_version").status());
    return db.Exec("INSERT INTO ecompipe_state_version (version) VALUES (?)", {kStateSchemaVersion})
        .status();
  });
}

}  // namespace ecompipe::runtime
