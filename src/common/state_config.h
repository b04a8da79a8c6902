// The state store's configuration (`state:` in ecompipe.yaml): where the event log, catalog,
// runs, notification outbox and work claims live (one SQLite file, or PostgreSQL shared by
// several workers), and how long a worker's claims hold.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "common/config_reader.h"
#include "common/status.h"

namespace ecompipe {

// `state.type`: "sqlite" (one process) | "postgres" (several workers).
enum class StateType { kSqlite, kPostgres };

struct StateConfig {
  StateType type = StateType::kSqlite;
  std::filesystem::path path;  // sqlite: event log, catalog, runs, notifications, claims
  std::string url;             // postgres: libpq URL; "postgresql://" takes PG* and ~/.pgpass
  std::string password_env;    // postgres: the variable holding the password; "" = none
  int64_t lease_ms = 30'000;   // how long a worker's claims hold without renewal
  std::string worker_id;       // empty: "<host>:<pid>:<random>"

  bool shared() const { return type == StateType::kPostgres; }
  // What OpenSqlDb() takes: the SQLite file path or the PostgreSQL URL (with password_env).
  std::string Location() const;
};

// Reads `state:` (absent: the defaults, .ecompipe/state.db beside the file).
Status ParseStateConfig(const ConfigReader& r, StateConfig& out);

}  // namespace ecompipe
