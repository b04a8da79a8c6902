// The row model: the dimension rows the job joins with, the fact and reject rows it produces
// and the warehouse stores, the reject reason codes, and the columns of the fact table. Plain
// values, shared by transform (which makes them) and warehouse (which stores and reads them);
// thread-safety: plain data.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/money.h"

namespace ecompipe::model {

struct Product {
  std::string product_id;
  std::string product_name;
  std::string category;
  Money price;
  std::string supplier_id;
};

struct Customer {
  std::string customer_id;
  std::string first_name;
  std::string last_name;
  std::string email;
  std::string membership_level;
};

// One row of fact_transactions (without lineage, which the warehouse adds).
struct FactRow {
  int64_t line = 0;  // 1-based physical line where the record starts (lineage)
  std::string transaction_id;
  std::string customer_id;
  std::string customer_email;
  std::string product_id;
  std::string product_name;
  int32_t quantity = 0;
  std::string supplier_id;
  Money price;                   // the transaction's price, not the catalogue's
  std::string transaction_date;  // "YYYY-MM-DD", a real calendar day
  std::string transaction_type;  // the classification label, e.g. "Small"
  std::string payment_type;
  std::string status;
  Money total_amount;  // quantity * price, exact
  // A job whose spec is not the reference's (transform::JobSpec::IsReference() false) fills
  // only `line`, `transaction_id` and these: the text of each output column (OutputColumn), in
  // order (integers and decimals normalised). The reference job leaves it empty.
  std::vector<std::string> values;
};

// Reason codes a row can be rejected with. Stable: they are stored and documented.
namespace reason {
inline constexpr const char* kWrongFieldCount = "wrong_field_count";
inline constexpr const char* kInvalidUtf8 = "invalid_utf8";
inline constexpr const char* kNulByte = "nul_byte";
inline constexpr const char* kLineTooLong = "line_too_long";
inline constexpr const char* kMalformedRecord =
    "malformed_record";  // e.g. bad JSON line, unclosed quote
inline constexpr const char* kMissingTransactionId = "missing_transaction_id";
inline constexpr const char* kMalformedTransactionId = "malformed_transaction_id";
inline constexpr const char* kMalformedCustomerId = "malformed_customer_id";
inline constexpr const char* kMalformedProductId = "malformed_product_id";
inline constexpr const char* kInvalidQuantity = "invalid_quantity";
inline constexpr const char* kInvalidPrice = "invalid_price";
inline constexpr const char* kInvalidDate = "invalid_date";
inline constexpr const char* kUnknownCustomerId = "unknown_customer_id";
inline constexpr const char* kUnknownProductId = "unknown_product_id";
inline constexpr const char* kDuplicateTransactionId = "duplicate_transaction_id";
// quantity * price does not fit the 64-bit cent count (only possible for absurd inputs such
// as 999999999 x 999999999999.99, which every rule above accepts).
inline constexpr const char* kTotalOutOfRange = "total_out_of_range";
}  // namespace reason

struct RejectRow {
  int64_t line = 0;            // 1-based physical line where the record starts
  std::string reason;          // one of reason::k*
  std::string detail;          // human-readable: "quantity '0' is not a positive integer"
  std::string raw;             // the record's text as read (truncated to 64 KiB for huge lines)
  std::string transaction_id;  // as read, may be empty
};

enum class ColumnType { kText, kInteger, kDecimal };

// A column of fact_transactions: its name, the row column it comes from, and its type
// (integer and decimal values are normalised: "007" -> 7, "5" -> 5.00 at scale 2).
struct OutputColumn {
  std::string name;
  std::string from;  // an input, lookup, derived or label column
  ColumnType type = ColumnType::kText;
  int scale = 0;  // decimals, for kDecimal
  bool operator==(const OutputColumn&) const = default;
};

// The reference job's fact columns, in the order of fact_transactions (and of FactRow).
std::vector<OutputColumn> ReferenceOutput();

}  // namespace ecompipe::model
