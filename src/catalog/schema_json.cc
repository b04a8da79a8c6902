#include "catalog/schema_json.h"

#include <array>
#include <optional>
#include <utility>

#include <fmt/format.h>

namespace ecompipe::catalog {
namespace {

// The names of storage::CompressionName, kept here so that the catalog's serialisation does
// not depend on the storage library's decoders being linked.
constexpr std::array<std::pair<storage::Compression, std::string_view>, 3> kCompressionNames = {{
    {storage::Compression::kNone, "none"},
    {storage::Compression::kGzip, "gzip"},
    {storage::Compression::kZstd, "zstd"},
}};

std::string_view CompressionText(storage::Compression c) {
  for (const auto& [value, name] : kCompressionNames) {
    if (value == c) return name;
  }
  return "none";
}

Status Invalid(std::string_view field, std::string_view problem) {
  return Status::InvalidArgument(fmt::format("schema JSON: {}: {}", field, problem));
}

Result<std::vector<std::string>> StringList(const Json& json, std::string_view field) {
  std::vector<std::string> out;
  auto it = json.find(field);
  if (it == json.end()) return out;
  if (!it->is_array()) return Invalid(field, "expected an array of strings");
  for (const Json& item : *it) {
    if (!item.is_string()) return Invalid(field, "expected an array of strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

Result<char> SingleChar(const Json& json, std::string_view field, char fallback) {
  auto it = json.find(field);
  if (it == json.end()) return fallback;
  if (!it->is_string() || it->get_ref<const std::string&>().size() != 1) {
    return Invalid(field, "expected a one-character string");
  }
  return it->get_ref<const std::string&>()[0];
}

}  // namespace

Json ColumnsToJson(const std::vector<Column>& columns) {
  Json out = Json::array();
  for (const Column& c : columns) {
    out.push_back({{"name", c.name}, {"type", std::string(ColumnTypeName(c.type))}});
  }
  return out;
}

Result<std::vector<Column>> ColumnsFromJson(const Json& json) {
  if (!json.is_array()) return Invalid("columns", "expected an array");
  std::vector<Column> columns;
  for (size_t i = 0; i < json.size(); ++i) {
    const Json& item = json[i];
    std::string field = fmt::format("columns[{}]", i);
    if (!item.is_object()) return Invalid(field, "expected an object with name and type");
    auto name = item.find("name");
    auto type = item.find("type");
    if (name == item.end() || !name->is_string()) return Invalid(field, "'name' must be a string");
    if (type == item.end() || !type->is_string()) return Invalid(field, "'type' must be a string");
    std::optional<ColumnType> parsed = ParseColumnType(type->get_ref<const std::string&>());
    if (!parsed) {
      return Invalid(field, fmt::format("unknown type '{}' (expected string, bigint, decimal, "
                                        "date, timestamp or boolean)",
                                        type->get_ref<const std::string&>()));
    }
    columns.push_back({name->get<std::string>(), *parsed});
  }
  return columns;
}

Json SchemaToJson(const TableSchema& schema) {
  return {
      {"format", std::string(DataFormatName(schema.format))},
      {"compression", std::string(CompressionText(schema.compression))},
      {"delimiter", std::string(1, schema.delimiter)},
      {"quote", std::string(1, schema.quote)},
      {"has_header", schema.has_header},
      {"columns", ColumnsToJson(schema.columns)},
  };
}

Result<TableSchema> SchemaFromJson(const Json& json) {
  if (!json.is_object()) return Invalid("schema", "expected an object");
  TableSchema schema;
  if (auto it = json.find("format"); it != json.end()) {
    std::optional<DataFormat> format;
    if (it->is_string()) format = ParseDataFormat(it->get_ref<const std::string&>());
    if (!format) return Invalid("format", "expected \"csv\" or \"jsonl\"");
    schema.format = *format;
  }
  if (auto it = json.find("compression"); it != json.end()) {
    bool known = false;
    for (const auto& [value, name] : kCompressionNames) {
      if (it->is_string() && it->get_ref<const std::string&>() == name) {
        schema.compression = value;
        known = true;
      }
    }
    if (!known) return Invalid("compression", "expected \"none\", \"gzip\" or \"zstd\"");
  }
  EP_ASSIGN_OR_RETURN(schema.delimiter, SingleChar(json, "delimiter", schema.delimiter));
  EP_ASSIGN_OR_RETURN(schema.quote, SingleChar(json, "quote", schema.quote));
  if (auto it = json.find("has_header"); it != json.end()) {
    if (!it->is_boolean()) return Invalid("has_header", "expected true or false");
    schema.has_header = it->get<bool>();
  }
  auto columns = json.find("columns");
  if (columns == json.end()) return Invalid("columns", "missing");
  EP_ASSIGN_OR_RETURN(schema.columns, ColumnsFromJson(*columns));
  return schema;
}

Json PartitionToJson(const PartitionValues& partition) {
  Json out = Json::array();
  for (const auto& [name, value] : partition) out.push_back({name, value});
  return out;
}

Result<PartitionValues> PartitionFromJson(const Json& json) {
  if (!json.is_array()) return Invalid("partition", "expected an array of [name, value] pairs");
  PartitionValues out;
  for (const Json& pair : json) {
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string()) {
      return Invalid("partition", "expected an array of [name, value] pairs");
    }
    out.emplace_back(pair[0].get<std::string>(), pair[1].get<std::string>());
  }
  return out;
}

std::string PartitionPath(const PartitionValues& partition) {
  std::string path;
  for (const auto& [name, value] : partition) {
    if (!path.empty()) path += '/';
    path += name;
    path += '=';
    path += value;
  }
  return path;
}

Json SchemaChangeToJson(const SchemaChange& change) {
  return {{"added", change.added}, {"removed", change.removed}, {"retyped", change.retyped}};
}

Result<SchemaChange> SchemaChangeFromJson(const Json& json) {
  if (!json.is_object()) return Invalid("change", "expected an object");
  SchemaChange change;
  EP_ASSIGN_OR_RETURN(change.added, StringList(json, "added"));
  EP_ASSIGN_OR_RETURN(change.removed, StringList(json, "removed"));
  EP_ASSIGN_OR_RETURN(change.retyped, StringList(json, "retyped"));
  return change;
}

}  // namespace ecompipe::catalog
