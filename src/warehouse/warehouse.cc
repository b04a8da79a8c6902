#include "warehouse/warehouse.h"

#include <algorithm>
#include <charconv>
#include <iterator>
#include <unordered_map>

#include "common/enum_names.h"
#include "model/csv_field.h"
#include "model/money.h"

namespace ecompipe::warehouse {

using model::AppendCsvField;

std::string FactAsCsv(const model::FactRow& fact) {
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
  model::AppendMoney(raw, fact.price);
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

namespace {

constexpr EnumNames<LedgerStatus, 6> kLedgerStatusNames{{{
    {LedgerStatus::kLoaded, "loaded"},
    {LedgerStatus::kFailed, "failed"},
    {LedgerStatus::kIgnored, "ignored"},
    {LedgerStatus::kReplaced, "replaced"},
    {LedgerStatus::kQueued, "queued"},
    {LedgerStatus::kDeleted, "deleted"},
}}};

}  // namespace

std::string_view LedgerStatusName(LedgerStatus status) { return kLedgerStatusNames.Name(status); }
std::optional<LedgerStatus> ParseLedgerStatus(std::string_view name) {
  return kLedgerStatusNames.Parse(name);
}

Result<int64_t> LoadTransaction::RemoveRejects(std::span<const int64_t>) {
  return Status::InvalidArgument("only a replay removes rejects");
}

Result<std::unique_ptr<LoadTransaction>> Warehouse::BeginReplay(const storage::ObjectRef& object,
                                                                const std::string&,
                                                                const std::string&) {
  return Status::InvalidArgument("this warehouse cannot replay rejects").At(object.key);
}

Result<std::pair<int64_t, int64_t>> Warehouse::RemoveObject(const storage::ObjectRef& object,
                                                            const std::string&,
                                                            const std::string&) {
  return Status::InvalidArgument("this warehouse cannot remove an object's rows").At(object.key);
}

Status Warehouse::EnsureFactColumns(std::span<const model::OutputColumn> columns) {
  const std::vector<model::OutputColumn> reference = model::ReferenceOutput();
  if (std::equal(columns.begin(), columns.end(), reference.begin(), reference.end())) {
    return Status::Ok();
  }
  return Status::InvalidArgument(
      "this warehouse backend stores only the reference job's fact columns; configured output "
      "columns (jobs[].output) need the sqlite warehouse");
}

namespace {

// The rows by id, as LoadDimensions() delivers them (a later row of an id replaces the
// earlier one), so that the index sees each id once.
class RowsById final : public model::DimensionBuilder {
 public:
  void AddProduct(model::Product product) override {
    std::string id = product.product_id;
    products_.insert_or_assign(std::move(id), std::move(product));
  }
  void AddCustomer(model::Customer customer) override {
    std::string id = customer.customer_id;
    customers_.insert_or_assign(std::move(id), std::move(customer));
  }
  void FillIndex(model::DimensionIndexBuilder& out) const {
    for (const auto& [id, customer] : customers_) out.AddCustomer(id, customer.email);
    for (const auto& [id, product] : products_)
      out.AddProduct(id, product.product_name, product.supplier_id);
  }

 private:
  std::unordered_map<std::string, model::Product> products_;
  std::unordered_map<std::string, model::Customer> customers_;
};

}  // namespace

Status Warehouse::LoadDimensionIndex(model::DimensionIndexBuilder& out) {
  RowsById rows;
  EP_RETURN_IF_ERROR(LoadDimensions(rows));
  rows.FillIndex(out);
  return out.Seal();  // the ids are unique
}

std::string_view TotalsSql() {
  return "SELECT t.fact_rows, t.reject_rows, t.total_amount_cents, "
         "(SELECT count(*) FROM dim_products), (SELECT count(*) FROM dim_customers), "
         "(SELECT count(*) FROM load_ledger WHERE status = 'loaded'), "
         "(SELECT count(*) FROM load_ledger WHERE status = 'failed') "
         "FROM warehouse_totals t WHERE t.id = 1";
}

Result<WarehouseTotals> ParseTotals(const QueryResult& result) {
  if (result.rows.empty()) {
    return Status::Internal(
        "warehouse_totals has no row (it is filled when the warehouse is opened)");
  }
  const auto& row = result.rows.front();
  int64_t values[7] = {};
  for (size_t i = 0; i < std::size(values); ++i) {
    const std::string text = i < row.size() && row[i] ? *row[i] : "";
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), values[i]);
    if (ec != std::errc() || end != text.data() + text.size()) {
      return Status::Internal("warehouse totals: '" + text + "' is not a whole number");
    }
  }
  WarehouseTotals t;
  t.fact_rows = values[0];
  t.reject_rows = values[1];
  t.total_amount_cents = values[2];
  t.products = values[3];
  t.customers = values[4];
  t.objects_loaded = values[5];
  t.objects_failed = values[6];
  return t;
}

Result<QueryResult> Warehouse::Query(const std::string& sql, const QueryOptions& options) {
  EP_ASSIGN_OR_RETURN(std::vector<QueryResult> results, QueryAll(sql, options));
  for (auto it = results.rbegin(); it != results.rend(); ++it) {
    if (!it->columns.empty()) return std::move(*it);
  }
  return QueryResult{};
}

LoadCounts LoadTransaction::Counts(int64_t rows_loaded, int64_t rows_rejected) const {
  LoadCounts c;
  c.rows_loaded = rows_loaded;
  c.rows_rejected = rows_rejected;
  c.rejects_not_stored = rejects_budget_.not_stored();
  c.not_stored_reasons = rejects_budget_.not_stored_reasons();
  c.rejects_note = rejects_budget_.Summary();
  return c;
}

Status LoadTransaction::UseFactColumns(std::span<const model::OutputColumn>) {
  return Status::InvalidArgument(
      "this warehouse backend stores only the reference job's fact columns");
}

}  // namespace ecompipe::warehouse
