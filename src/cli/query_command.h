// `ecompipe query`: SQL on the warehouse, read-only unless --write (warehouse.h, QueryOptions).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <ostream>
#include <vector>

#include "cli/table_printer.h"
#include "common/status.h"
#include "runtime/pipeline.h"
#include "warehouse/warehouse.h"

namespace ecompipe::cli {

// How the results are printed (the shared --format/--json/--wide options, which cli.cc adds).
struct QueryOutput {
  OutputFormat format = OutputFormat::kTable;
  bool wide = false;
};

// Adds the `query` command to `app` and returns it (the caller adds the output options). When
// it is parsed, `action` is set to a function that runs it with the pipeline `open` returns,
// prints as `output()` says, and returns the exit code (0 ok, 1 error, which includes a refused
// statement); the caller invokes it after parsing.
CLI::App* AddQueryCommand(CLI::App& app,
                          std::function<Result<std::unique_ptr<runtime::Pipeline>>()> open,
                          std::function<QueryOutput()> output, std::function<int()>& action);

// Prints the results of a query's statements, in order. table and csv: each result with
// columns as a table (or CSV with a header), a blank line between results; a statement
// without columns prints "(N rows changed)" in table format when `write`. json: each result
// with columns as one array of objects (table_printer.h) whose keys follow the columns' order
// (a repeated name gets "_2", "_3", ...); a column whose values are all integers, reals or
// decimals holds JSON numbers, one of booleans true/false; NULL is null. Several results are
// several arrays, one after another (a JSON stream).
void PrintQueryResults(std::ostream& out, const QueryOutput& output,
                       const std::vector<warehouse::QueryResult>& results, bool write);

}  // namespace ecompipe::cli
