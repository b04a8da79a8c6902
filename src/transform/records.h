// The rows the job reads, produces and rejects, and the dimension tables it joins with.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "transform/job_spec.h"
#include "transform/money.h"

namespace ecompipe::transform {

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

class DimensionIndex;  // transform/dimension_index.h

// The dimension tables, keyed by id. Read-only once built; safe to share between threads.
// `index`, when set, must describe exactly these maps (DimensionIndex::Build(*this)); the job
// uses it for its lookups and builds a temporary one when it is not set.
struct Dimensions {
  std::unordered_map<std::string, Product> products;
  std::unordered_map<std::string, Customer> customers;
  std::shared_ptr<const DimensionIndex> index;
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
  // A job whose spec is not the reference's (JobSpec::IsReference() false) fills only `line`,
  // `transaction_id` and these: the text of each JobSpec::output column, in order (integers
  // and decimals normalised). The reference job leaves it empty.
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

// Returns the label of the first bin whose bound is >= total (bins in order), or an empty
// string when none is (only possible when the last bin has a bound).
const std::string& Classify(const JobSpec& spec, Money total);

}  // namespace ecompipe::transform
