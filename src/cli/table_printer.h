// Renders rows as an aligned text table (for people), CSV, or JSON.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "common/json.h"

namespace ecompipe::cli {

using Cell = std::optional<std::string>;   // nullopt prints as NULL / null
using Row = std::vector<Cell>;

enum class OutputFormat { kTable, kCsv, kJson };

void PrintTable(std::ostream& out, const std::vector<std::string>& columns, const std::vector<Row>& rows);
void PrintCsv(std::ostream& out, const std::vector<std::string>& columns, const std::vector<Row>& rows);
// An array of objects, one per row.
Json RowsToJson(const std::vector<std::string>& columns, const std::vector<Row>& rows);
void Print(std::ostream& out, OutputFormat format, const std::vector<std::string>& columns,
           const std::vector<Row>& rows);

// "1,234,567"
std::string Grouped(int64_t n);

}  // namespace ecompipe::cli
