#include "warehouse/sqlite/sqlite_warehouse_config.h"

#include "warehouse/sqlite/sqlite_warehouse.h"

namespace ecompipe::warehouse {

Status ParseSqliteWarehouseConfig(const ConfigReader& s, WarehouseConfig& out) {
  std::string path = "warehouse.db";
  EP_RETURN_IF_ERROR(
      s.Forbid("url", "applies to postgres and redshift warehouses only (this one is sqlite)"));
  EP_RETURN_IF_ERROR(
      s.Forbid("schema", "applies to postgres and redshift warehouses only (this one is sqlite)"));
  EP_RETURN_IF_ERROR(s.Forbid(
      "password_env", "applies to postgres and redshift warehouses only (this one is sqlite)"));
  EP_RETURN_IF_ERROR(s.PathString("path", path));
  EP_RETURN_IF_ERROR(s.Forbid("index_rebuild", "applies to the postgres warehouse only"));
  EP_RETURN_IF_ERROR(s.Forbid("staging",
                              "applies to the redshift warehouse only (PostgreSQL and SQLite "
                              "load from the client directly)"));
  out.settings = SqliteWarehouseConfig{s.Resolve(path)};
  return Status::Ok();
}

void RegisterSqliteWarehouse(WarehouseFactory& factory) {
  WarehouseType type;
  type.keys = {"path", "url", "password_env", "schema", "staging", "index_rebuild"};
  type.parse = ParseSqliteWarehouseConfig;
  type.open = [](const WarehouseConfig& c) -> Result<std::unique_ptr<Warehouse>> {
    const auto* sqlite = c.As<SqliteWarehouseConfig>();
    if (!sqlite) return Status(StatusCode::kInternal, "not an sqlite warehouse's settings");
    std::error_code ec;  // Open() names the problem if the folder is still missing
    std::filesystem::create_directories(sqlite->path.parent_path(), ec);
    EP_ASSIGN_OR_RETURN(auto wh, SqliteWarehouse::Open(sqlite->path.string()));
    return std::unique_ptr<Warehouse>(std::move(wh));
  };
  type.describe = [](const WarehouseConfig& c) {
    const auto* sqlite = c.As<SqliteWarehouseConfig>();
    return sqlite ? sqlite->path.string() : std::string();
  };
  factory.Register("sqlite", std::move(type));
}

}  // namespace ecompipe::warehouse
