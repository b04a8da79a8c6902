// A valid fact row of the reference job for warehouse tests; a test changes the fields it is
// about.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "model/money.h"
#include "model/records.h"

namespace ecompipe::testing_util {

inline model::FactRow SampleFact(std::string id, int32_t quantity = 2,
                                 model::Money price = model::Money{12999}, int64_t line = 2) {
  model::FactRow f;
  f.line = line;
  f.transaction_id = std::move(id);
  f.customer_id = "C12349";
  f.customer_email = "ann@example.com";
  f.product_id = "P12358";
  f.product_name = "Desk Lamp";
  f.quantity = quantity;
  f.supplier_id = "S1";
  f.price = price;
  f.transaction_date = "2026-11-30";
  f.transaction_type = "Medium";
  f.payment_type = "Credit Card";
  f.status = "Completed";
  f.total_amount = model::Multiply(price, quantity);
  return f;
}

}  // namespace ecompipe::testing_util
