// The warehouse's configuration (`warehouse:` in ecompipe.yaml) and the registry of warehouse
// types (sqlite, postgres, redshift) it is parsed and opened through.
//
// `type` picks a registered WarehouseType; its `parse` reads the section into `settings` (the
// type's own struct: SqliteWarehouseConfig, PostgresWarehouseConfig), and its `open` connects.
#pragma once

#include <any>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/component_factory.h"
#include "common/config_reader.h"
#include "common/status.h"
#include "warehouse/warehouse.h"

namespace ecompipe::warehouse {

struct WarehouseConfig {
  std::string type = "sqlite";  // a registered warehouse type
  std::any settings;            // the type's own settings

  // The type's settings, or null when the warehouse is of another type.
  template <typename T>
  const T* As() const {
    return std::any_cast<T>(&settings);
  }
};

struct WarehouseType {
  // The section's keys this type reads, or refuses with a reason of its own; the section
  // accepts the union of every type's keys, so a key of another type gets that reason.
  std::vector<std::string> keys;
  // Reads the section (`type` already read) into `out.settings`.
  std::function<Status(const ConfigReader& section, WarehouseConfig& out)> parse;
  // Connects (creating a SQLite file's folder); does not create tables (EnsureSchema()).
  std::function<Result<std::unique_ptr<Warehouse>>(const WarehouseConfig& config)> open;
  // Where the warehouse is, for `ecompipe status`: a file path, or the type and the URL
  // with any password redacted.
  std::function<std::string(const WarehouseConfig& config)> describe;
};
using WarehouseFactory = ComponentFactory<WarehouseType>;

// Reads `warehouse:` through `factory` (absent: SQLite in warehouse.db beside the file).
Status ParseWarehouseConfig(const ConfigReader& section, const WarehouseFactory& factory,
                            WarehouseConfig& out);

}  // namespace ecompipe::warehouse
