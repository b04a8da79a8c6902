// JSON forms of catalog values, as the catalog store keeps them and as the job and the API read
// them back. Stable: stored catalogs depend on them. Thread-safety: pure functions.
//
//   TableSchema     {"format":"csv","compression":"gzip","delimiter":",","quote":"\"",
//                    "has_header":true,"columns":[{"name":"quantity","type":"bigint"}]}
//   PartitionValues [["year","2026"],["month","11"]]   (an array: the order matters)
//   SchemaChange    {"added":["a"],"removed":[],"retyped":["quantity: bigint -> string"]}
#pragma once

#include <string>
#include <vector>

#include "catalog/schema.h"
#include "common/json.h"
#include "common/status.h"

namespace ecompipe::catalog {

Json SchemaToJson(const TableSchema& schema);
// kInvalidArgument naming the field when `json` is not a schema in the form above. Every field
// but "columns" may be left out and then takes TableSchema's default.
Result<TableSchema> SchemaFromJson(const Json& json);

Json ColumnsToJson(const std::vector<Column>& columns);
Result<std::vector<Column>> ColumnsFromJson(const Json& json);

Json PartitionToJson(const PartitionValues& partition);
Result<PartitionValues> PartitionFromJson(const Json& json);
// "year=2026/month=11/day=26"; "" for no partition. Unique per PartitionValues from keys.
std::string PartitionPath(const PartitionValues& partition);

Json SchemaChangeToJson(const SchemaChange& change);
Result<SchemaChange> SchemaChangeFromJson(const Json& json);

}  // namespace ecompipe::catalog
