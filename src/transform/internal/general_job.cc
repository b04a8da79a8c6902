#include "transform/internal/general_job.h"

#include <algorithm>

#include "model/dimension.h"
#include "transform/rules.h"

namespace ecompipe::transform::internal {

using model::AppendMoney;
using model::ColumnType;
using model::Customer;
using model::FactRow;
using model::OutputColumn;
using model::Product;
namespace reason = model::reason;

namespace {

constexpr size_t kMaxQuotedValue = 64;
// std::regex (libstdc++) matches recursively, about one stack frame per character for a
// repeated atom: a pattern is only tried on values up to this length, longer ones fail it.
constexpr size_t kMaxPatternValue = 4096;

const std::vector<std::string> kCustomerFields = {"customer_id", "first_name", "last_name", "email",
                                                  "membership_level"};
const std::vector<std::string> kProductFields = {"product_id", "product_name", "category", "price",
                                                 "supplier_id"};

std::string Quoted(std::string_view value) {
  if (value.size() <= kMaxQuotedValue) return "'" + std::string(value) + "'";
  size_t n = kMaxQuotedValue;
  while (n > 0 && (static_cast<unsigned char>(value[n]) & 0xC0) == 0x80) --n;
  return "'" + std::string(value.substr(0, n)) + "...'";
}

int FieldIndex(const std::vector<std::string>& fields, const std::string& name) {
  return static_cast<int>(std::find(fields.begin(), fields.end(), name) - fields.begin());
}

// `text` as a decimal with at most `scale` decimals, exactly (no rounding), at that scale.
std::optional<int64_t> ExactAtScale(std::string_view text, int scale) {
  std::optional<Decimal> d = ParseDecimal(text);
  if (!d) return std::nullopt;
  std::optional<int64_t> units = Rescale(*d, scale);
  if (!units) return std::nullopt;
  if (d->scale > scale) {
    // Rounding would change the value: accept only when the dropped digits are zeros.
    std::optional<int64_t> back = Rescale(Decimal{*units, scale}, d->scale);
    if (!back || *back != d->units) return std::nullopt;
  }
  return units;
}

}  // namespace

Result<GeneralJob> GeneralJob::Compile(const JobSpec& spec, const Dimensions& dims) {
  EP_RETURN_IF_ERROR(CheckJobSpec(spec));
  GeneralJob job;
  job.spec_ = &spec;
  job.dims_ = &dims;
  const auto add_slot = [&](const std::string& name, Source source) {
    job.slot_names_.push_back(name);
    job.slot_sources_.push_back(source);
    job.derived_index_.push_back(-1);
    return job.slot_names_.size() - 1;
  };
  const auto slot_of = [&](const std::string& name) {
    return static_cast<size_t>(std::find(job.slot_names_.begin(), job.slot_names_.end(), name) -
                               job.slot_names_.begin());
  };
  for (const std::string& c : spec.columns) add_slot(c, Source::kInput);
  for (const Validation& v : spec.validations) {
    if (v.unique) {
      job.unique_slot_ = static_cast<int>(slot_of(v.column));
      job.unique_reason_ = v.Reason();
      job.unique_column_ = v.column;
      // A unique validation may also carry other checks; they run with the rest.
      if (!v.required && v.pattern.empty() && !v.date && !v.min && !v.max) continue;
    }
    CompiledValidation cv{&v,           v.Reason(),   slot_of(v.column),
                          std::nullopt, std::nullopt, std::nullopt};
    if (!v.pattern.empty())
      cv.pattern.emplace(v.pattern, std::regex::ECMAScript | std::regex::optimize);
    if (!v.date && v.min) cv.min = ParseDecimal(*v.min);
    if (!v.date && v.max) cv.max = ParseDecimal(*v.max);
    job.validations_.push_back(std::move(cv));
  }
  for (const Lookup& l : spec.lookups) {
    CompiledLookup cl{model::ParseDimension(l.dimension) == model::Dimension::kCustomers,
                      slot_of(l.key),
                      l.Reason(),
                      {},
                      0};
    cl.first_slot = job.slot_names_.size();
    for (const auto& [column, as] : l.columns) {
      cl.fields.push_back(FieldIndex(cl.customers ? kCustomerFields : kProductFields, column));
      add_slot(as, Source::kLookup);
    }
    job.lookups_.push_back(std::move(cl));
  }
  for (const Derived& d : spec.derived) {
    EP_ASSIGN_OR_RETURN(Expression expr, Expression::Parse(d.expr));
    CompiledDerived cd{&d, std::move(expr), {}, d.Reason(), 0};
    for (const std::string& c : cd.expr.columns()) cd.operand_slots.push_back(slot_of(c));
    cd.slot = add_slot(d.name, Source::kDerived);
    job.derived_index_[cd.slot] = static_cast<int>(job.derived_.size());
    job.derived_.push_back(std::move(cd));
  }
  job.classify_slot_ = slot_of(spec.classify_column);
  job.label_slot_ = add_slot(spec.label_column, Source::kLabel);
  for (const OutputColumn& o : spec.output) job.outputs_.push_back({&o, slot_of(o.from)});
  const size_t tid = slot_of("transaction_id");
  if (tid < spec.columns.size()) job.tid_slot_ = static_cast<int>(tid);
  return job;
}

GeneralJob::Scratch GeneralJob::NewScratch() const {
  Scratch s;
  s.text.resize(slot_names_.size());
  s.number.resize(slot_names_.size());
  s.owned.resize(slot_names_.size());
  return s;
}

Problem GeneralJob::Duplicate(std::string_view value) const {
  return Problem{unique_reason_.c_str(),
                 unique_column_ + " " + Quoted(value) + " already appeared earlier in this object"};
}

std::optional<Problem> GeneralJob::Check(const Record& record, const Layout& layout,
                                         bool bytes_checked, Scratch& s, FactRow& fact,
                                         std::string* unique_value, std::string_view* tid) const {
  *tid = {};
  if (std::optional<Problem> problem =
          CheckRecord(record, layout, spec_->max_record_bytes, bytes_checked)) {
    const std::string_view why = problem->reason;
    const bool fields_trusted = why != reason::kNulByte && why != reason::kInvalidUtf8;
    if (fields_trusted && tid_slot_ >= 0 && layout.index[tid_slot_] < record.fields.size())
      *tid = record.fields[layout.index[tid_slot_]];
    return problem;
  }
  for (size_t i = 0; i < spec_->columns.size(); ++i) s.text[i] = record.fields[layout.index[i]];
  if (tid_slot_ >= 0) *tid = s.text[tid_slot_];

  // A Problem's reason must outlive the row: it points into this GeneralJob's strings.
  for (const CompiledValidation& v : validations_) {
    const std::string_view value = s.text[v.slot];
    const std::string& column = v.spec->column;
    if (v.spec->required && value.empty()) {
      return Problem{v.reason.c_str(), column + " is empty"};
    }
    if (v.pattern && value.size() > kMaxPatternValue) {
      return Problem{v.reason.c_str(), column + " " + Quoted(value) + " is longer than " +
                                           std::to_string(kMaxPatternValue) +
                                           " bytes, the most a pattern checks"};
    }
    if (v.pattern && !std::regex_match(value.begin(), value.end(), *v.pattern)) {
      return Problem{v.reason.c_str(),
                     column + " " + Quoted(value) + " does not match " + v.spec->pattern};
    }
    if (v.spec->date) {
      if (!IsValidDate(value)) {
        return Problem{v.reason.c_str(),
                       column + " " + Quoted(value) + " is not a real calendar day YYYY-MM-DD"};
      }
      if (v.spec->min && value < *v.spec->min)
        return Problem{v.reason.c_str(),
                       column + " " + Quoted(value) + " is before " + *v.spec->min};
      if (v.spec->max && value > *v.spec->max)
        return Problem{v.reason.c_str(),
                       column + " " + Quoted(value) + " is after " + *v.spec->max};
    } else if (v.min || v.max) {
      std::optional<Decimal> d = ParseDecimal(value);
      if (!d) return Problem{v.reason.c_str(), column + " " + Quoted(value) + " is not a number"};
      if (v.min && CompareDecimal(*d, *v.min) < 0)
        return Problem{v.reason.c_str(),
                       column + " " + Quoted(value) + " is below " + *v.spec->min};
      if (v.max && CompareDecimal(*d, *v.max) > 0)
        return Problem{v.reason.c_str(),
                       column + " " + Quoted(value) + " is above " + *v.spec->max};
    }
  }

  for (const CompiledLookup& l : lookups_) {
    s.key.assign(s.text[l.key_slot]);
    if (l.customers) {
      const auto it = dims_->customers.find(s.key);
      if (it == dims_->customers.end()) {
        return Problem{l.reason.c_str(), slot_names_[l.key_slot] + " " + Quoted(s.key) +
                                             " is not in the customers table"};
      }
      const Customer& c = it->second;
      for (size_t f = 0; f < l.fields.size(); ++f) {
        const std::string* fields[] = {&c.customer_id, &c.first_name, &c.last_name, &c.email,
                                       &c.membership_level};
        s.text[l.first_slot + f] = *fields[l.fields[f]];
      }
    } else {
      const auto it = dims_->products.find(s.key);
      if (it == dims_->products.end()) {
        return Problem{l.reason.c_str(), slot_names_[l.key_slot] + " " + Quoted(s.key) +
                                             " is not in the products table"};
      }
      const Product& p = it->second;
      for (size_t f = 0; f < l.fields.size(); ++f) {
        const size_t slot = l.first_slot + f;
        switch (l.fields[f]) {
          case 0:
            s.text[slot] = p.product_id;
            break;
          case 1:
            s.text[slot] = p.product_name;
            break;
          case 2:
            s.text[slot] = p.category;
            break;
          case 3:
            s.owned[slot].clear();
            AppendMoney(s.owned[slot], p.price);
            s.text[slot] = s.owned[slot];
            break;
          default:
            s.text[slot] = p.supplier_id;
            break;
        }
      }
    }
  }

  Decimal operands[64];
  for (const CompiledDerived& d : derived_) {
    const size_t n = std::min(d.operand_slots.size(), std::size(operands));
    for (size_t i = 0; i < n; ++i) {
      const size_t slot = d.operand_slots[i];
      if (derived_index_[slot] >= 0) {
        operands[i] = s.number[slot];
        continue;
      }
      std::optional<Decimal> value = ParseDecimal(s.text[slot]);
      if (!value) {
        return Problem{d.reason.c_str(), d.spec->name + " = " + d.spec->expr + ": " +
                                             slot_names_[slot] + " " + Quoted(s.text[slot]) +
                                             " is not a number"};
      }
      operands[i] = *value;
    }
    std::optional<Decimal> result = d.expr.Evaluate(std::span<const Decimal>(operands, n));
    std::optional<int64_t> units = result ? Rescale(*result, d.spec->scale) : std::nullopt;
    if (!units) {
      return Problem{d.reason.c_str(), d.spec->name + " = " + d.spec->expr +
                                           " does not fit a 64-bit count of 10^-" +
                                           std::to_string(d.spec->scale) + " units"};
    }
    s.number[d.slot] = Decimal{*units, d.spec->scale};
    s.owned[d.slot].clear();
    AppendScaled(s.owned[d.slot], *units, d.spec->scale);
    s.text[d.slot] = s.owned[d.slot];
  }

  {
    std::optional<Decimal> value;
    if (derived_index_[classify_slot_] >= 0) {
      value = s.number[classify_slot_];
    } else {
      value = ParseDecimal(s.text[classify_slot_]);
    }
    if (!value) {
      static const std::string kUnclassifiable = "unclassifiable";
      return Problem{kUnclassifiable.c_str(), slot_names_[classify_slot_] + " " +
                                                  Quoted(s.text[classify_slot_]) +
                                                  " is not a number to classify"};
    }
    size_t bin = 0;
    while (bin < spec_->bins.size() && spec_->bins[bin].upper &&
           CompareDecimal(*value, Decimal{spec_->bins[bin].upper->cents, 2}) > 0) {
      ++bin;
    }
    static const std::string kNoLabel;
    s.text[label_slot_] = bin < spec_->bins.size() ? std::string_view(spec_->bins[bin].label)
                                                   : std::string_view(kNoLabel);
  }

  fact.values.resize(outputs_.size());
  for (size_t i = 0; i < outputs_.size(); ++i) {
    const OutputColumn& o = *outputs_[i].spec;
    const std::string_view value = s.text[outputs_[i].slot];
    std::string& out = fact.values[i];
    out.clear();
    if (o.type == ColumnType::kText) {
      out.assign(value);
      continue;
    }
    std::optional<int64_t> units =
        ExactAtScale(value, o.type == ColumnType::kInteger ? 0 : o.scale);
    if (!units) {
      static const std::string kOutputFailed = "invalid_output";
      return Problem{kOutputFailed.c_str(),
                     "output column " + o.name + ": " + Quoted(value) + " is not " +
                         (o.type == ColumnType::kInteger
                              ? std::string("an integer")
                              : "a decimal with at most " + std::to_string(o.scale) + " decimals")};
    }
    AppendScaled(out, *units, o.type == ColumnType::kInteger ? 0 : o.scale);
  }
  fact.line = record.line;
  fact.transaction_id.assign(tid_slot_ >= 0 ? s.text[tid_slot_] : std::string_view());
  for (size_t i = 0; i < outputs_.size(); ++i) {
    if (outputs_[i].spec->name == "transaction_id") fact.transaction_id = fact.values[i];
  }
  if (unique_slot_ >= 0) unique_value->assign(s.text[unique_slot_]);
  return std::nullopt;
}

}  // namespace ecompipe::transform::internal
