#include "common/state_config.h"

#include <optional>

#include "common/enum_names.h"
#include "common/postgres_config.h"
#include "common/postgres_db.h"
#include "common/sql_db.h"

namespace ecompipe {
namespace {

constexpr EnumNames<StateType, 2> kStateTypeNames{{{
    {StateType::kSqlite, "sqlite"},
    {StateType::kPostgres, "postgres"},
}}};

}  // namespace

std::string StateConfig::Location() const {
  return shared() ? WithPasswordEnv(url, password_env) : path.string();
}

Status ParseStateConfig(const ConfigReader& s, StateConfig& out) {
  std::string state_path = ".ecompipe/state.db";
  EP_RETURN_IF_ERROR(s.ExpectMap());
  EP_RETURN_IF_ERROR(
      s.CheckKeys({"type", "path", "url", "password_env", "lease_seconds", "worker_id"}));
  std::string type(kStateTypeNames.Name(out.type));
  EP_RETURN_IF_ERROR(s.String("type", type));
  const std::optional<StateType> parsed = kStateTypeNames.Parse(type);
  if (!parsed)
    return s.Error(s.Node("type"),
                   "'state.type': '" + type + "' is not supported (allowed: sqlite, postgres)");
  out.type = *parsed;
  if (!out.shared() && s.Has("url"))
    return s.Error(s.Node("url"),
                   "'state.url' is for type postgres; an sqlite state store takes 'path'");
  if (!out.shared() && s.Has("password_env"))
    return s.Error(
        s.Node("password_env"),
        "'state.password_env' is for type postgres; an sqlite state store has no password");
  if (out.shared() && s.Has("path"))
    return s.Error(s.Node("path"),
                   "'state.path' is for type sqlite; a postgres state store takes 'url'");
  EP_RETURN_IF_ERROR(s.PathString("path", state_path));
  out.path = s.Resolve(state_path);
  EP_RETURN_IF_ERROR(s.String("url", out.url));
  if (out.shared()) {
    if (out.url.empty()) out.url = "postgresql://";  // PG* variables, ~/.pgpass
    if (!IsPostgresUrl(out.url))
      return s.Error(s.Node("url"), "'state.url' must start with postgresql:// or postgres://");
    EP_RETURN_IF_ERROR(ParsePasswordEnv(s, out.url, out.password_env));
  }
  int64_t lease_seconds = out.lease_ms / 1000;
  EP_RETURN_IF_ERROR(s.Int("lease_seconds", lease_seconds, 1, 3600));
  out.lease_ms = lease_seconds * 1000;
  EP_RETURN_IF_ERROR(s.String("worker_id", out.worker_id));
  return Status::Ok();
}

}  // namespace ecompipe
