// JobSpec: what a transaction job does, as data. The default-constructed spec is the
// reference job (docs/configuration.md, "The job"); ecompipe.yaml's `jobs[]` section builds
// other specs. A spec is plain values (texts of patterns and expressions, not compiled
// objects), so specs compare with ==; CheckJobSpec() compiles them to find mistakes, and the
// engine compiles them again when it runs (internal/general_job.h).
//
// A row goes through, in this order, stopping at the first failure (its reason code is the
// row's reject reason):
//   1. record checks (nul_byte, invalid_utf8, line_too_long, malformed_record,
//      wrong_field_count), fixed;
//   2. `validations` in order, except `unique` ones;
//   3. `lookups` in order: the key column's value must be in the dimension;
//   4. `derived` columns in order (exact decimal arithmetic);
//   5. `output` conversions (a column typed integer or decimal must parse as one);
//   6. `unique` validations, in input order across the whole object.
// The classification label is computed after step 4 from `classify_column`.
//
// The reference job keeps its specialised fast path (transaction_job.cc, file_job.cc);
// IsReference() says when a spec may take it. Thread-safety: plain data.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "model/money.h"
#include "model/records.h"

namespace ecompipe::transform {

// A classification bin: totals <= upper (inclusive) get `label`; the last bin has no bound.
struct ClassBin {
  std::optional<model::Money> upper;
  std::string label;
  bool operator==(const ClassBin&) const = default;
};

// One validation: every check it sets must pass, else the row is rejected with `reason`.
struct Validation {
  std::string name;                     // for messages and the default reason; defaults to `column`
  std::string column;                   // an input column
  std::string reason;                   // reject reason; empty: "validation_failed:<name>"
  bool required = false;                // not empty
  std::string pattern;                  // ECMAScript regex the whole value must match; empty: none
  bool date = false;                    // a real calendar day YYYY-MM-DD
  std::optional<std::string> min, max;  // inclusive bounds: dates with `date`, else decimals
  bool unique = false;                  // no earlier accepted row of the object has this value
  bool operator==(const Validation&) const = default;

  std::string Reason() const { return reason.empty() ? "validation_failed:" + name : reason; }
};

// A join with a dimension table. Rows whose key is not in the dimension are rejected.
struct Lookup {
  std::string dimension;  // "customers" or "products"
  std::string key;        // the input column holding the dimension's id
  // Dimension columns brought in, each with the name it gets in the row (a rename when the
  // two differ, as email -> customer_email).
  std::vector<std::pair<std::string, std::string>> columns;
  std::string reason;  // empty: "unknown_<key>"
  bool operator==(const Lookup&) const = default;

  std::string Reason() const { return reason.empty() ? "unknown_" + key : reason; }
};

// A column computed from others: `expr` over numbers and column names with + - * and
// parentheses, exact; the result is rounded half away from zero to `scale` decimals.
struct Derived {
  std::string name;
  std::string expr;
  int scale = 2;
  std::string reason;  // when an operand is not a number or the result overflows; empty:
                       // "derived_failed:<name>"
  bool operator==(const Derived&) const = default;

  std::string Reason() const { return reason.empty() ? "derived_failed:" + name : reason; }
};

// The reference job's parts, each the default of its JobSpec member (its output columns are
// model::ReferenceOutput()).
std::vector<std::string> ReferenceColumns();
std::vector<Validation> ReferenceValidations();
std::vector<Lookup> ReferenceLookups();
std::vector<Derived> ReferenceDerived();

struct JobSpec {
  // Input columns the job reads, mapped by header name (or, without a header, by position
  // in this order). Other columns of the file are ignored.
  std::vector<std::string> columns = ReferenceColumns();
  std::vector<Validation> validations = ReferenceValidations();
  std::vector<Lookup> lookups = ReferenceLookups();
  std::vector<Derived> derived = ReferenceDerived();
  std::string classify_column = "total_amount";   // a derived or decimal-valued column
  std::string label_column = "transaction_type";  // the name the label gets
  std::vector<ClassBin> bins = {
      {model::Money{10000}, "Small"}, {model::Money{50000}, "Medium"}, {std::nullopt, "Large"}};
  std::vector<model::OutputColumn> output = model::ReferenceOutput();
  size_t max_record_bytes = 1 << 20;  // longer records are rejected as line_too_long
  // Execution, not semantics: the output is the same whatever these are.
  int threads = 0;               // workers for CSV input; 0: std::thread::hardware_concurrency()
  size_t chunk_bytes = 1 << 20;  // bytes of input per unit of parallel work

  // True when every part but the bins, the record limit and the execution settings equals
  // the reference job's: the job may then run on the specialised fast path.
  bool IsReference() const;
};

// Checks that `spec` is complete and consistent: known dimensions and dimension columns,
// column references that name a column defined earlier in the row order, patterns that
// compile, expressions that parse, min/max that read as dates or decimals, increasing bins,
// unique output names including transaction_id (the fact table's key), at most one unique
// validation. An error is kInvalidArgument whose place is the path of the offending part
// ("validations[2].pattern", "lookups[0].columns.email", "derived[0].expr", "output[3]").
Status CheckJobSpec(const JobSpec& spec);

// Returns the label of the first bin whose bound is >= total (bins in order), or an empty
// string when none is (only possible when the last bin has a bound).
const std::string& Classify(const JobSpec& spec, model::Money total);

}  // namespace ecompipe::transform
