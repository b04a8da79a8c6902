#include "warehouse/warehouse.h"

#include <algorithm>

#include "transform/dimension_index.h"
#include "transform/money.h"

namespace ecompipe::warehouse {

using transform::AppendCsvField;

std::string FactAsCsv(const transform::FactRow& fact) {
  std::string raw;
  if (!fact.values.empty()) {  // a configured job's row: its output values
    for (size_t i = 0; i < fact.values.size(); ++i) {
      if (i > 0) raw += ',';
      AppendCsvField(raw, fact.values[i]);
    }
    return raw;
  }
  AppendCsvField(raw, fact.transaction_id);
  raw += ',';
  AppendCsvField(raw, fact.customer_id);
  raw += ',';
  AppendCsvField(raw, fact.product_id);
  raw += ',';
  raw += std::to_string(fact.quantity);
  raw += ',';
  transform::AppendMoney(raw, fact.price);
  raw += ',';
  AppendCsvField(raw, fact.transaction_date);
  raw += ',';
  AppendCsvField(raw, fact.payment_type);
  raw += ',';
  AppendCsvField(raw, fact.status);
  return raw;
}

Result<ReloadMode> ParseReloadMode(const std::string& text) {
  if (text == "replace") return ReloadMode::kReplace;
  if (text == "append") return ReloadMode::kAppend;
  if (text == "ignore") return ReloadMode::kIgnore;
  return Status::InvalidArgument("unknown reload mode '" + text +
                                 "' (choose one of: replace, append, ignore)");
}

std::string_view ReloadModeName(ReloadMode mode) {
  switch (mode) {
    case ReloadMode::kReplace:
      return "replace";
    case ReloadMode::kAppend:
      return "append";
    case ReloadMode::kIgnore:
      return "ignore";
  }
  return "unknown";
}

Status Warehouse::EnsureFactColumns(std::span<const transform::OutputColumn> columns) {
  const std::vector<transform::OutputColumn> reference = transform::ReferenceOutput();
  if (std::equal(columns.begin(), columns.end(), reference.begin(), reference.end())) {
    return Status::Ok();
  }
  return Status::InvalidArgument(
      "this warehouse backend stores only the reference job's fact columns; configured output "
      "columns (jobs[].output) need the sqlite warehouse");
}

Result<std::shared_ptr<const transform::DimensionIndex>> Warehouse::LoadDimensionIndex() {
  EP_ASSIGN_OR_RETURN(transform::Dimensions dims, LoadDimensions());
  if (dims.index) return dims.index;
  return std::make_shared<const transform::DimensionIndex>(transform::DimensionIndex::Build(dims));
}

Status LoadTransaction::UseFactColumns(std::span<const transform::OutputColumn>) {
  return Status::InvalidArgument(
      "this warehouse backend stores only the reference job's fact columns");
}

}  // namespace ecompipe::warehouse
