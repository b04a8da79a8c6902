#include "cli/query_command.h"

#include <iostream>
#include <iterator>
#include <set>
#include <string>

#include "cli/table_printer.h"

namespace ecompipe::cli {
namespace {

using warehouse::QueryResult;
using warehouse::ValueKind;

// A column's kind for the printer: numbers when every value is one, booleans likewise
// (SQLite types each value, not the column).
CellKind ColumnKind(const QueryResult& r, size_t column) {
  bool number = true, boolean = true;
  for (const auto& kinds : r.kinds) {
    if (column >= kinds.size()) continue;
    const ValueKind k = kinds[column];
    if (k == ValueKind::kNull) continue;
    number =
        number && (k == ValueKind::kInteger || k == ValueKind::kReal || k == ValueKind::kDecimal);
    boolean = boolean && k == ValueKind::kBoolean;
  }
  if (number) return CellKind::kNumber;
  return boolean ? CellKind::kBoolean : CellKind::kText;
}

// Column names as object keys: a name already used gets _2, _3, ... (one no column has).
std::vector<std::string> UniqueKeys(const std::vector<std::string>& columns) {
  const std::set<std::string> names(columns.begin(), columns.end());
  std::set<std::string> taken;
  std::vector<std::string> keys;
  for (const std::string& c : columns) {
    std::string key = c;
    for (int n = 2; taken.count(key) > 0 || (key != c && names.count(key) > 0); ++n) {
      key = c + "_" + std::to_string(n);
    }
    taken.insert(key);
    keys.push_back(std::move(key));
  }
  return keys;
}

Result<std::string> ReadSql(const std::string& arg) {
  if (arg != "-") return arg;
  std::string sql(std::istreambuf_iterator<char>(std::cin), {});
  if (std::cin.bad()) return Status::IoError("cannot read the SQL from standard input");
  return sql;
}

int RunQuery(const std::function<Result<std::unique_ptr<runtime::Pipeline>>()>& open,
             const QueryOutput& output, const std::string& sql_arg, bool write) {
  auto fail = [](const Status& s) {
    std::cerr << "ecompipe: error: " << s.ToString() << "\n";
    return 1;
  };
  Result<std::string> sql = ReadSql(sql_arg);
  if (!sql.ok()) return fail(sql.status());
  if (sql->find_first_not_of(" \t\r\n;") == std::string::npos) {
    return fail(Status::InvalidArgument(
        std::string("the SQL is empty") + (sql_arg == "-" ? " (read from standard input)" : "") +
        "; e.g. ecompipe query \"SELECT count(*) FROM fact_transactions\""));
  }
  Result<std::unique_ptr<runtime::Pipeline>> p = open();
  if (!p.ok()) return fail(p.status());
  Result<std::vector<QueryResult>> results =
      (*p)->warehouse().QueryAll(*sql, warehouse::QueryOptions{.write = write});
  if (!results.ok()) return fail(results.status());
  PrintQueryResults(std::cout, output, *results, write);
  return 0;
}

}  // namespace

void PrintQueryResults(std::ostream& out, const QueryOutput& output,
                       const std::vector<QueryResult>& results, bool write) {
  bool first = true;
  for (const QueryResult& r : results) {
    if (r.columns.empty()) {
      if (output.format == OutputFormat::kTable && write) {
        if (!first) out << "\n";
        out << "(" << r.rows_changed << (r.rows_changed == 1 ? " row" : " rows") << " changed)\n";
        first = false;
      }
      continue;
    }
    if (!first && output.format != OutputFormat::kJson) out << "\n";
    first = false;
    PrintOptions options{{}, output.wide};
    for (size_t c = 0; c < r.columns.size(); ++c) options.kinds.push_back(ColumnKind(r, c));
    const std::vector<Row> rows(r.rows.begin(), r.rows.end());
    const std::vector<std::string> columns =
        output.format == OutputFormat::kJson ? UniqueKeys(r.columns) : r.columns;
    Print(out, output.format, columns, rows, options);
  }
}

CLI::App* AddQueryCommand(CLI::App& app,
                          std::function<Result<std::unique_ptr<runtime::Pipeline>>()> open,
                          std::function<QueryOutput()> output, std::function<int()>& action) {
  struct Args {
    std::string sql;
    bool write = false;
  };
  auto args = std::make_shared<Args>();
  auto* query = app.add_subcommand("query", "Run SQL on the warehouse (read-only unless --write)");
  query
      ->add_option("sql", args->sql,
                   "SQL: one or several statements separated by ';', or - to read it from "
                   "standard input")
      ->required();
  query->add_flag("--write", args->write,
                  "Allow statements that change the warehouse (INSERT, UPDATE, DELETE, CREATE, "
                  "DROP, ...); each commits unless the SQL runs its own BEGIN ... COMMIT");
  query->footer(
      "Read-only by default: a statement that would change the warehouse is refused and nothing\n"
      "changes (SQLite: a read-only connection; PostgreSQL: one READ ONLY transaction, rolled\n"
      "back). ATTACH, VACUUM INTO, load_extension(), COPY, DO and functions that reach the\n"
      "server's files are refused even with --write (docs/warehouse.md).\n"
      "Statements run in order and each result is printed, in order. json: numbers are JSON\n"
      "numbers, NULL is null, keys follow the columns; several results are several arrays.\n"
      "\n"
      "Examples:\n"
      "  ecompipe query \"SELECT transaction_type, count(*) AS n FROM fact_transactions GROUP BY "
      "1\"\n"
      "  ecompipe query --format json \"SELECT * FROM rejects LIMIT 5\"\n"
      "  ecompipe query \"SELECT count(*) FROM dim_products; SELECT count(*) FROM dim_customers\"\n"
      "  ecompipe query - --format csv < report.sql > report.csv\n"
      "  ecompipe query --write \"DELETE FROM rejects WHERE reason = 'unknown_product_id'\"");
  query->callback([args, open = std::move(open), output = std::move(output), &action] {
    action = [args, open, output] { return RunQuery(open, output(), args->sql, args->write); };
  });
  return query;
}

}  // namespace ecompipe::cli
