// The crawler's inference on arbitrary bytes: format, CSV dialect, header and column types
// (InferSchema), told the whole object or a cut sample, with and without known column names,
// and with each header mode. An inferred schema must survive the catalog's JSON form unchanged.
// The first line also goes through the key functions (TableNameFor, ParsePartitions) and each
// line through ClassifyValue.
#include <cstdint>
#include <string>
#include <vector>

#include "catalog/crawler.h"
#include "catalog/schema_json.h"
#include "fuzz_util.h"

namespace {

using namespace ecompipe::catalog;

void Infer(std::string_view sample, bool whole, const CrawlHints& hints) {
  auto schema = InferSchema(sample, whole, hints);
  if (!schema.ok()) return;
  FUZZ_CHECK(!schema->columns.empty(), "a schema without columns");
  auto back = SchemaFromJson(SchemaToJson(*schema));
  FUZZ_CHECK(back.ok(), "an inferred schema does not read back: " + back.status().ToString());
  FUZZ_CHECK(*back == *schema, "an inferred schema changes through its JSON form");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Infer(text, true, {});
  Infer(text, false, {});
  CrawlHints known;
  known.table_columns = {"transaction_id", "customer_id", "product_id", "quantity"};
  known.job_columns = {{"transaction_id", "customer_id", "product_id", "quantity", "price",
                        "transaction_date", "payment_type", "status"},
                       {"a", "b"}};
  known.header = static_cast<HeaderMode>(size % 3);
  Infer(text, (size & 1) != 0, known);

  const auto [first_line, rest] = ecompipe::fuzz::SplitAt(text, '\n');
  const std::string key(first_line);
  const std::string table = TableNameFor(key);
  FUZZ_CHECK(!table.empty(), "an empty table name");
  for (const auto& [name, value] : ParsePartitions(key)) {
    FUZZ_CHECK(!name.empty(), "a partition without a name");
  }
  std::string_view lines = rest;
  for (int i = 0; i < 64 && !lines.empty(); ++i) {
    const auto [line, after] = ecompipe::fuzz::SplitAt(lines, '\n');
    (void)ClassifyValue(line);
    lines = after;
  }
  return 0;
}
