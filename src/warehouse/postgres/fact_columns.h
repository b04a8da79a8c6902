// The job's columns of fact_transactions in the table's order (warehouse_sql.cc, CREATE TABLE
// fact_transactions), handed to a writer one at a time: the one place that order lives for the
// three row formats the PostgreSQL backend writes (COPY text, COPY binary, Redshift's staged
// CSV). The lineage columns that follow them (source_object, source_line, source_etag,
// load_id) are the same for a whole load, so each writer appends those itself, once formatted.
//
// A Writer has Text(std::string_view), Int(int32_t), Money(model::Money) and
// Date(std::string_view) (YYYY-MM-DD, checked by the job).
#pragma once

#include <charconv>
#include <cstdint>
#include <string>

#include "model/records.h"

namespace ecompipe::warehouse {

template <typename Writer>
void WriteFactJobColumns(const model::FactRow& f, Writer& w) {
  w.Text(f.transaction_id);
  w.Text(f.customer_id);
  w.Text(f.customer_email);
  w.Text(f.product_id);
  w.Text(f.product_name);
  w.Int(f.quantity);
  w.Text(f.supplier_id);
  w.Money(f.price);
  w.Date(f.transaction_date);
  w.Text(f.transaction_type);
  w.Text(f.payment_type);
  w.Text(f.status);
  w.Money(f.total_amount);
}

// The decimal text of `v`.
inline void AppendInt(std::string& out, int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

}  // namespace ecompipe::warehouse
