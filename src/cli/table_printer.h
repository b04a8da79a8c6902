// Renders rows as an aligned text table (for people), CSV, or JSON (for programs). Every
// command that prints rows goes through Print(), so `--format table|csv|json` and `--wide`
// mean the same everywhere. Stateless; safe from any thread.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"

namespace ecompipe::cli {

using Cell =
    std::optional<std::string>;  // nullopt prints as NULL (table), empty (CSV), null (JSON)
using Row = std::vector<Cell>;

enum class OutputFormat { kTable, kCsv, kJson };

// What a column holds, for the formats that care. kNumber cells are written to JSON as
// numbers (their text verbatim, so 12345678901234.56 stays exact) when the text is a JSON
// number, else as strings; kCount is an integer a table shows with thousands separators.
// Text and number alike are right as they are in CSV.
// kBoolean cells ("t"/"f" or "true"/"false", as PostgreSQL prints a boolean) are JSON true/false.
enum class CellKind { kText, kNumber, kCount, kBoolean };

struct PrintOptions {
  std::vector<CellKind> kinds;  // per column; columns without an entry are kText
  bool wide = false;            // table: every cell whole, instead of cut to kMaxCellWidth
};

// A table cell longer than this (in code points) is shortened with Shorten() unless wide.
inline constexpr size_t kMaxCellWidth = 60;

// `text` cut to at most `max_width` code points (max_width >= 5) with "…" in the middle, so
// that both ends survive: a key keeps its whole file name ("transactions/year=2026/…/
// transaction_2026-11-26.csv") when that fits, other text its start and its end.
std::string Shorten(std::string_view text, size_t max_width);

// "table" | "csv" | "json"; nullopt for anything else.
std::optional<OutputFormat> ParseFormat(std::string_view name);

void PrintTable(std::ostream& out, const std::vector<std::string>& columns,
                const std::vector<Row>& rows, const PrintOptions& options = {});
// RFC 4180: a header line, fields quoted when they hold a comma, quote or line break.
void PrintCsv(std::ostream& out, const std::vector<std::string>& columns,
              const std::vector<Row>& rows);
// An array of objects, one per row (one per line), keys in column order; NULL is null,
// kNumber/kCount cells are numbers, text that is not valid UTF-8 has U+FFFD in place of the
// bad bytes (JSON must be UTF-8).
void PrintJson(std::ostream& out, const std::vector<std::string>& columns,
               const std::vector<Row>& rows, const std::vector<CellKind>& kinds = {});
void Print(std::ostream& out, OutputFormat format, const std::vector<std::string>& columns,
           const std::vector<Row>& rows, const PrintOptions& options = {});

// `value` as one JSON string, invalid UTF-8 replaced rather than refused.
std::string JsonString(std::string_view value);
// True when `text` is a number in JSON's grammar (-?int frac? exp?).
bool IsJsonNumber(std::string_view text);

// "1,234,567"
std::string Grouped(int64_t n);

}  // namespace ecompipe::cli
