// What the crawler learns about an object, and what the job reads it with.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/compression.h"

namespace ecompipe::catalog {

enum class DataFormat { kCsv, kJsonLines };
enum class ColumnType { kString, kInteger, kDecimal, kDate, kTimestamp, kBoolean };

std::string_view DataFormatName(DataFormat f);  // "csv", "jsonl"
std::string_view ColumnTypeName(
    ColumnType t);  // "string", "bigint", "decimal", "date", "timestamp", "boolean"
// The inverses of the two above; nullopt for any other text (exact, case-sensitive match).
std::optional<DataFormat> ParseDataFormat(std::string_view name);
std::optional<ColumnType> ParseColumnType(std::string_view name);

struct Column {
  std::string name;
  ColumnType type = ColumnType::kString;
  bool operator==(const Column&) const = default;
};

struct TableSchema {
  DataFormat format = DataFormat::kCsv;
  storage::Compression compression = storage::Compression::kNone;
  char delimiter = ',';    // CSV only
  char quote = '"';        // CSV only
  bool has_header = true;  // CSV only; without one, columns are named col0, col1, ...
  std::vector<Column> columns;
  bool operator==(const TableSchema&) const = default;
};

// Hive-style partition values from the key, in key order: {{"year","2026"},{"month","11"}}.
using PartitionValues = std::vector<std::pair<std::string, std::string>>;

// How a new schema differs from the table's current one. Empty when equal.
struct SchemaChange {
  std::vector<std::string> added;  // column names
  std::vector<std::string> removed;
  std::vector<std::string> retyped;  // "quantity: bigint -> string"
  bool empty() const { return added.empty() && removed.empty() && retyped.empty(); }
  std::string ToString() const;  // "added: a, b; removed: c; retyped: quantity: bigint -> string"
                                 // Parts that are empty are left out; "" when empty().
  bool operator==(const SchemaChange&) const = default;
};

// Compares columns by name (the first column of a name counts; order is ignored, since readers
// map columns by name): `added` and `retyped` in `after`'s order, `removed` in `before`'s.
SchemaChange DiffSchemas(const std::vector<Column>& before, const std::vector<Column>& after);

}  // namespace ecompipe::catalog
