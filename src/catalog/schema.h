// What the crawler learns about an object, and what the job reads it with.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "storage/compression.h"

namespace ecompipe::catalog {

enum class DataFormat { kCsv, kJsonLines };
enum class ColumnType { kString, kInteger, kDecimal, kDate, kTimestamp, kBoolean };

std::string_view DataFormatName(DataFormat f);   // "csv", "jsonl"
std::string_view ColumnTypeName(ColumnType t);   // "string", "bigint", "decimal", "date", "timestamp", "boolean"

struct Column {
  std::string name;
  ColumnType type = ColumnType::kString;
  bool operator==(const Column&) const = default;
};

struct TableSchema {
  DataFormat format = DataFormat::kCsv;
  storage::Compression compression = storage::Compression::kNone;
  char delimiter = ',';      // CSV only
  char quote = '"';          // CSV only
  bool has_header = true;    // CSV only; without one, columns are named col0, col1, ...
  std::vector<Column> columns;
};

// Hive-style partition values from the key, in key order: {{"year","2026"},{"month","11"}}.
using PartitionValues = std::vector<std::pair<std::string, std::string>>;

// How a new schema differs from the table's current one. Empty when equal.
struct SchemaChange {
  std::vector<std::string> added;      // column names
  std::vector<std::string> removed;
  std::vector<std::string> retyped;    // "quantity: bigint -> string"
  bool empty() const { return added.empty() && removed.empty() && retyped.empty(); }
  std::string ToString() const;        // "added: a, b; removed: c; retyped: quantity: bigint -> string"
};

SchemaChange DiffSchemas(const std::vector<Column>& before, const std::vector<Column>& after);

}  // namespace ecompipe::catalog
