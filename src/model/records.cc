#include "model/records.h"

namespace ecompipe::model {

std::vector<OutputColumn> ReferenceOutput() {
  const auto text = [](const char* name) { return OutputColumn{name, name, ColumnType::kText, 0}; };
  return {text("transaction_id"),
          text("customer_id"),
          text("customer_email"),
          text("product_id"),
          text("product_name"),
          {"quantity", "quantity", ColumnType::kInteger, 0},
          text("supplier_id"),
          {"price", "price", ColumnType::kDecimal, 2},
          text("transaction_date"),
          text("transaction_type"),
          text("payment_type"),
          text("status"),
          {"total_amount", "total_amount", ColumnType::kDecimal, 2}};
}

}  // namespace ecompipe::model
