#include "runtime/job_hash.h"

#include "common/digest.h"
#include "model/money.h"

namespace ecompipe::runtime {
namespace {

// Appends a value with its length, so that no two different lists write the same text.
void Put(std::string& out, std::string_view value) {
  out += std::to_string(value.size());
  out += ':';
  out += value;
  out += ';';
}

void Put(std::string& out, int64_t value) { Put(out, std::to_string(value)); }

}  // namespace

std::string JobHash(const JobConfig& job) {
  const transform::JobSpec& spec = job.spec;
  std::string text = "ecompipe-job-v1;";
  Put(text, job.table);
  Put(text, static_cast<int64_t>(spec.columns.size()));
  for (const std::string& c : spec.columns) Put(text, c);
  Put(text, static_cast<int64_t>(spec.validations.size()));
  for (const transform::Validation& v : spec.validations) {
    Put(text, v.name);
    Put(text, v.column);
    Put(text, v.Reason());
    Put(text, int64_t{v.required});
    Put(text, v.pattern);
    Put(text, int64_t{v.date});
    Put(text, v.min ? "1" + *v.min : "0");
    Put(text, v.max ? "1" + *v.max : "0");
    Put(text, int64_t{v.unique});
  }
  Put(text, static_cast<int64_t>(spec.lookups.size()));
  for (const transform::Lookup& l : spec.lookups) {
    Put(text, l.dimension);
    Put(text, l.key);
    Put(text, static_cast<int64_t>(l.columns.size()));
    for (const auto& [from, to] : l.columns) {
      Put(text, from);
      Put(text, to);
    }
    Put(text, l.Reason());
  }
  Put(text, static_cast<int64_t>(spec.derived.size()));
  for (const transform::Derived& d : spec.derived) {
    Put(text, d.name);
    Put(text, d.expr);
    Put(text, int64_t{d.scale});
    Put(text, d.Reason());
  }
  Put(text, spec.classify_column);
  Put(text, spec.label_column);
  Put(text, static_cast<int64_t>(spec.bins.size()));
  for (const transform::ClassBin& b : spec.bins) {
    Put(text, b.upper ? "1" + std::to_string(b.upper->cents) : std::string("0"));
    Put(text, b.label);
  }
  Put(text, static_cast<int64_t>(spec.output.size()));
  for (const model::OutputColumn& o : spec.output) {
    Put(text, o.name);
    Put(text, o.from);
    Put(text, static_cast<int64_t>(o.type));
    Put(text, int64_t{o.scale});
  }
  Put(text, static_cast<int64_t>(spec.max_record_bytes));
  return Sha256Hex(text);
}

}  // namespace ecompipe::runtime
