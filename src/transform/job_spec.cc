#include "transform/job_spec.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <regex>
#include <set>

#include "model/dimension.h"
#include "transform/expression.h"
#include "transform/rules.h"

namespace ecompipe::transform {

using model::ColumnType;
using model::Money;
using model::OutputColumn;

namespace {

const std::vector<std::string> kCustomerColumns = {"customer_id", "first_name", "last_name",
                                                   "email", "membership_level"};
const std::vector<std::string> kProductColumns = {"product_id", "product_name", "category", "price",
                                                  "supplier_id"};

Status Bad(const std::string& place, const std::string& what) {
  return Status::InvalidArgument(what).At(place);
}

std::string Join(const std::vector<std::string>& names) {
  std::string s;
  for (const std::string& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}

// [A-Za-z_][A-Za-z0-9_]*: a name that expressions can read and SQL can quote without fuss.
bool IsIdentifier(const std::string& s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

std::string Index(const char* list, size_t i) {
  return std::string(list) + "[" + std::to_string(i) + "]";
}

}  // namespace

std::vector<std::string> ReferenceColumns() {
  return {"transaction_id", "customer_id",      "product_id",   "quantity",
          "price",          "transaction_date", "payment_type", "status"};
}

std::vector<Validation> ReferenceValidations() {
  return {
      {.name = "transaction_id",
       .column = "transaction_id",
       .reason = "missing_transaction_id",
       .required = true},
      {.name = "transaction_id_format",
       .column = "transaction_id",
       .reason = "malformed_transaction_id",
       .pattern = "TXN[0-9]+"},
      {.name = "customer_id",
       .column = "customer_id",
       .reason = "malformed_customer_id",
       .pattern = "C[0-9]+"},
      {.name = "product_id",
       .column = "product_id",
       .reason = "malformed_product_id",
       .pattern = "P[0-9]+"},
      {.name = "quantity",
       .column = "quantity",
       .reason = "invalid_quantity",
       .pattern = "[0-9]{1,9}",
       .min = "1"},
      {.name = "price",
       .column = "price",
       .reason = "invalid_price",
       .pattern = "[0-9]{1,12}(\\.[0-9]{1,2})?"},
      {.name = "transaction_date",
       .column = "transaction_date",
       .reason = "invalid_date",
       .date = true},
      {.name = "transaction_id_unique",
       .column = "transaction_id",
       .reason = "duplicate_transaction_id",
       .unique = true},
  };
}

std::vector<Lookup> ReferenceLookups() {
  return {{.dimension = "customers",
           .key = "customer_id",
           .columns = {{"email", "customer_email"}},
           .reason = "unknown_customer_id"},
          {.dimension = "products",
           .key = "product_id",
           .columns = {{"product_name", "product_name"}, {"supplier_id", "supplier_id"}},
           .reason = "unknown_product_id"}};
}

std::vector<Derived> ReferenceDerived() {
  return {{.name = "total_amount",
           .expr = "quantity * price",
           .scale = 2,
           .reason = "total_out_of_range"}};
}

bool JobSpec::IsReference() const {
  static const JobSpec kReference;
  return columns == kReference.columns && validations == kReference.validations &&
         lookups == kReference.lookups && derived == kReference.derived &&
         classify_column == kReference.classify_column && label_column == kReference.label_column &&
         output == kReference.output;
}

Status CheckJobSpec(const JobSpec& spec) {
  // Every name a row holds so far, in row order: input, lookup, derived, label columns.
  std::set<std::string> defined;
  if (spec.columns.empty()) return Bad("columns", "the job must read at least one column");
  for (size_t i = 0; i < spec.columns.size(); ++i) {
    if (spec.columns[i].empty()) return Bad(Index("columns", i), "a column name must not be empty");
    if (!defined.insert(spec.columns[i]).second)
      return Bad(Index("columns", i), "column '" + spec.columns[i] + "' is listed twice");
  }
  const std::set<std::string> inputs = defined;
  const auto is_input = [&](const std::string& c) { return inputs.count(c) != 0; };

  bool have_unique = false;
  for (size_t i = 0; i < spec.validations.size(); ++i) {
    const Validation& v = spec.validations[i];
    const std::string at = Index("validations", i);
    if (v.name.empty()) return Bad(at + ".name", "a validation needs a name");
    if (!is_input(v.column)) {
      return Bad(at + ".column", "unknown column '" + v.column +
                                     "' (validations check input columns: " + Join(spec.columns) +
                                     ")");
    }
    if (!v.required && v.pattern.empty() && !v.date && !v.min && !v.max && !v.unique) {
      return Bad(at, "validation '" + v.name +
                         "' checks nothing (give required, pattern, date, min, max or unique)");
    }
    if (!v.pattern.empty()) {
      try {
        std::regex re(v.pattern, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        return Bad(at + ".pattern",
                   "'" + v.pattern + "' is not a valid regular expression: " + e.what());
      }
    }
    for (const auto& [key, bound] : {std::pair{"min", &v.min}, std::pair{"max", &v.max}}) {
      if (!*bound) continue;
      if (v.date && !IsValidDate(**bound)) {
        return Bad(at + "." + key, "'" + **bound + "' is not a date YYYY-MM-DD");
      }
      if (!v.date && !ParseDecimal(**bound)) {
        return Bad(at + "." + key, "'" + **bound + "' is not a decimal number");
      }
    }
    if (v.min && v.max) {
      const bool inverted = v.date
                                ? *v.min > *v.max
                                : CompareDecimal(*ParseDecimal(*v.min), *ParseDecimal(*v.max)) > 0;
      if (inverted) return Bad(at + ".max", "max '" + *v.max + "' is below min '" + *v.min + "'");
    }
    if (v.unique) {
      if (have_unique) {
        return Bad(at + ".unique", "only one validation may be unique (the object's row key)");
      }
      have_unique = true;
    }
  }

  for (size_t i = 0; i < spec.lookups.size(); ++i) {
    const Lookup& l = spec.lookups[i];
    const std::string at = Index("lookups", i);
    const std::optional<model::Dimension> dimension = model::ParseDimension(l.dimension);
    if (!dimension) {
      return Bad(at + ".dimension",
                 "unknown dimension '" + l.dimension + "' (allowed: customers, products)");
    }
    const std::vector<std::string>* known =
        *dimension == model::Dimension::kCustomers ? &kCustomerColumns : &kProductColumns;
    if (!is_input(l.key)) {
      return Bad(at + ".key", "unknown column '" + l.key + "' (the key must be an input column: " +
                                  Join(spec.columns) + ")");
    }
    if (l.columns.empty())
      return Bad(at + ".columns", "a lookup must bring in at least one column");
    for (const auto& [column, as] : l.columns) {
      if (std::find(known->begin(), known->end(), column) == known->end()) {
        return Bad(at + ".columns." + column, "dimension '" + l.dimension + "' has no column '" +
                                                  column + "' (columns: " + Join(*known) + ")");
      }
      if (as.empty()) return Bad(at + ".columns." + column, "the new name must not be empty");
      if (!defined.insert(as).second) {
        return Bad(at + ".columns." + column,
                   "column '" + as + "' already exists in the row (rename it, e.g. {" + column +
                       ": " + l.dimension.substr(0, l.dimension.size() - 1) + "_" + column + "})");
      }
    }
  }

  for (size_t i = 0; i < spec.derived.size(); ++i) {
    const Derived& d = spec.derived[i];
    const std::string at = Index("derived", i);
    if (d.name.empty()) return Bad(at + ".name", "a derived column needs a name");
    if (!IsIdentifier(d.name))
      return Bad(at + ".name",
                 "'" + d.name + "' is not a name like total_amount ([A-Za-z_][A-Za-z0-9_]*)");
    if (defined.count(d.name) != 0)
      return Bad(at + ".name", "column '" + d.name + "' already exists in the row");
    if (d.scale < 0 || d.scale > kMaxDecimalScale) {
      return Bad(at + ".scale", "scale must be between 0 and " + std::to_string(kMaxDecimalScale));
    }
    Result<Expression> expr = Expression::Parse(d.expr);
    if (!expr.ok()) return Bad(at + ".expr", "'" + d.expr + "': " + expr.status().message());
    if (expr->columns().size() > 64)
      return Bad(at + ".expr", "'" + d.expr + "' reads more than 64 columns");
    for (const std::string& c : expr->columns()) {
      if (defined.count(c) == 0) {
        return Bad(at + ".expr", "'" + d.expr + "' reads unknown column '" + c +
                                     "' (a derived column may read input, lookup and earlier "
                                     "derived columns)");
      }
    }
    defined.insert(d.name);
  }

  if (defined.count(spec.classify_column) == 0) {
    return Bad("classification.column", "unknown column '" + spec.classify_column + "'");
  }
  if (spec.label_column.empty() || defined.count(spec.label_column) != 0) {
    return Bad("classification.output",
               "the label column needs a new name ('" + spec.label_column + "' is taken or empty)");
  }
  if (spec.bins.empty()) return Bad("classification", "give at least one bin");
  for (size_t b = 0; b < spec.bins.size(); ++b) {
    const std::string at = "classification.bins[" + std::to_string(b) + "]";
    if (spec.bins[b].label.empty()) return Bad(at + ".label", "a bin needs a label");
    const bool last = b + 1 == spec.bins.size();
    if (!spec.bins[b].upper && !last) return Bad(at, "only the last bin may omit 'max'");
    if (spec.bins[b].upper && last) {
      return Bad(at + ".max", "the last bin must have no 'max' (it takes every larger value)");
    }
    if (b > 0 && spec.bins[b].upper && *spec.bins[b].upper <= *spec.bins[b - 1].upper)
      return Bad(at + ".max", "bounds must increase");
  }
  defined.insert(spec.label_column);

  if (spec.output.empty()) return Bad("output", "the job must output at least one column");
  std::set<std::string> out_names;
  bool has_key = false;
  for (size_t i = 0; i < spec.output.size(); ++i) {
    const OutputColumn& o = spec.output[i];
    const std::string at = Index("output", i);
    if (!IsIdentifier(o.name))
      return Bad(
          at, "'" + o.name + "' is not a column name like customer_email ([A-Za-z_][A-Za-z0-9_]*)");
    if (!out_names.insert(o.name).second)
      return Bad(at, "output column '" + o.name + "' is listed twice");
    if (defined.count(o.from) == 0) {
      std::vector<std::string> all(defined.begin(), defined.end());
      return Bad(at, "unknown column '" + o.from + "' (the row has: " + Join(all) + ")");
    }
    if (o.type == ColumnType::kDecimal && (o.scale < 0 || o.scale > kMaxDecimalScale))
      return Bad(at, "scale must be between 0 and " + std::to_string(kMaxDecimalScale));
    if (o.name == "transaction_id") has_key = true;
    for (const char* reserved :
         {"source_object", "source_etag", "load_id", "source_line", "load_ref"}) {
      if (o.name == reserved)
        return Bad(at, "'" + o.name + "' is a lineage column of the fact table");
    }
  }
  if (!has_key) {
    return Bad("output", "the output must include 'transaction_id' (the fact table's key)");
  }
  return Status::Ok();
}

const std::string& Classify(const JobSpec& spec, Money total) {
  for (const ClassBin& bin : spec.bins) {
    if (!bin.upper || total <= *bin.upper) return bin.label;
  }
  // Only reachable when the configuration's last bin has a bound; validating the
  // configuration is the caller's job, so this is a label-less row, not a crash.
  static const std::string kNoLabel;
  return kNoLabel;
}

}  // namespace ecompipe::transform
