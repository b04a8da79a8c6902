#include "catalog/schema.h"

#include <unordered_map>
#include <unordered_set>

namespace ecompipe::catalog {

std::string_view DataFormatName(DataFormat f) {
  switch (f) {
    case DataFormat::kCsv:
      return "csv";
    case DataFormat::kJsonLines:
      return "jsonl";
  }
  return "unknown";
}

std::string_view ColumnTypeName(ColumnType t) {
  switch (t) {
    case ColumnType::kString:
      return "string";
    case ColumnType::kInteger:
      return "bigint";
    case ColumnType::kDecimal:
      return "decimal";
    case ColumnType::kDate:
      return "date";
    case ColumnType::kTimestamp:
      return "timestamp";
    case ColumnType::kBoolean:
      return "boolean";
  }
  return "unknown";
}

std::optional<DataFormat> ParseDataFormat(std::string_view name) {
  for (DataFormat f : {DataFormat::kCsv, DataFormat::kJsonLines}) {
    if (DataFormatName(f) == name) return f;
  }
  return std::nullopt;
}

std::optional<ColumnType> ParseColumnType(std::string_view name) {
  for (ColumnType t : {ColumnType::kString, ColumnType::kInteger, ColumnType::kDecimal,
                       ColumnType::kDate, ColumnType::kTimestamp, ColumnType::kBoolean}) {
    if (ColumnTypeName(t) == name) return t;
  }
  return std::nullopt;
}

namespace {

void AppendPart(std::string& out, std::string_view label, const std::vector<std::string>& items) {
  if (items.empty()) return;
  if (!out.empty()) out += "; ";
  out += label;
  out += ": ";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    out += items[i];
  }
}

// Name -> type of the first column with that name.
std::unordered_map<std::string, ColumnType> TypesByName(const std::vector<Column>& columns) {
  std::unordered_map<std::string, ColumnType> types;
  for (const Column& c : columns) types.emplace(c.name, c.type);
  return types;
}

}  // namespace

std::string SchemaChange::ToString() const {
  std::string out;
  AppendPart(out, "added", added);
  AppendPart(out, "removed", removed);
  AppendPart(out, "retyped", retyped);
  return out;
}

SchemaChange DiffSchemas(const std::vector<Column>& before, const std::vector<Column>& after) {
  const auto before_types = TypesByName(before);
  const auto after_types = TypesByName(after);
  SchemaChange change;
  std::unordered_set<std::string> seen;
  for (const Column& c : after) {
    if (!seen.insert(c.name).second) continue;
    auto it = before_types.find(c.name);
    if (it == before_types.end()) {
      change.added.push_back(c.name);
    } else if (it->second != c.type) {
      change.retyped.push_back(c.name + ": " + std::string(ColumnTypeName(it->second)) + " -> " +
                               std::string(ColumnTypeName(c.type)));
    }
  }
  seen.clear();
  for (const Column& c : before) {
    if (!seen.insert(c.name).second) continue;
    if (!after_types.contains(c.name)) change.removed.push_back(c.name);
  }
  return change;
}

}  // namespace ecompipe::catalog
