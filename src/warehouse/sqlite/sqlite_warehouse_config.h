// warehouse: {type: sqlite}: the star schema in one SQLite file.
#pragma once

#include <filesystem>

#include "common/config_reader.h"
#include "common/status.h"
#include "warehouse/warehouse_config.h"

namespace ecompipe::warehouse {

struct SqliteWarehouseConfig {
  std::filesystem::path path;  // the database file, absolute
};

// Reads {type: sqlite, path}; `path` defaults to warehouse.db beside the file. The keys of the
// PostgreSQL warehouses are refused with the reason.
Status ParseSqliteWarehouseConfig(const ConfigReader& section, WarehouseConfig& out);

// Registers the type `sqlite`.
void RegisterSqliteWarehouse(WarehouseFactory& factory);

}  // namespace ecompipe::warehouse
