// GeneralJob: a JobSpec compiled for the engine's general path (any spec, the reference
// job's included, though that one normally takes the fast path). It runs steps 1-5 of
// job_spec.h on one record at a time; the caller does step 6 (unique) in input order.
//
// Thread-safety: immutable after Compile(); Check() is const and may run on several threads
// at once, each with its own Scratch. The Dimensions must outlive the GeneralJob.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "model/records.h"
#include "transform/dimensions.h"
#include "transform/expression.h"
#include "transform/internal/transaction_check.h"
#include "transform/job_spec.h"
#include "transform/record_reader.h"

namespace ecompipe::transform::internal {

class GeneralJob {
 public:
  // Compiles `spec` (checked with CheckJobSpec) against `dims`.
  static Result<GeneralJob> Compile(const JobSpec& spec, const Dimensions& dims);

  // Per-thread working memory, reused from record to record.
  struct Scratch {
    std::vector<std::string_view> text;  // each slot's text
    std::vector<Decimal> number;         // each derived slot's value
    std::vector<std::string> owned;      // texts the slots point into (derived, prices)
    std::string key;
  };
  Scratch NewScratch() const;

  // Runs steps 1-5 on `record`. On success fills `fact` (line, transaction_id, values) and,
  // when the spec has a unique validation, `*unique_value`; returns nullopt. Otherwise returns
  // the reject's problem and sets `*tid` to the transaction id as read (or empty).
  std::optional<Problem> Check(const Record& record, const Layout& layout, bool bytes_checked,
                               Scratch& scratch, model::FactRow& fact, std::string* unique_value,
                               std::string_view* tid) const;

  bool has_unique() const { return unique_slot_ >= 0; }
  // The reason and detail for a row whose unique value appeared earlier in the object.
  Problem Duplicate(std::string_view value) const;

 private:
  enum class Source { kInput, kLookup, kDerived, kLabel };
  struct CompiledValidation {
    const Validation* spec;
    std::string reason;
    size_t slot;
    std::optional<std::regex> pattern;
    std::optional<Decimal> min, max;  // for non-date validations
  };
  struct CompiledLookup {
    bool customers;  // else products
    size_t key_slot;
    std::string reason;
    std::vector<int> fields;  // which Customer/Product member each brought-in column is
    size_t first_slot;        // slots of the brought-in columns, consecutive
  };
  struct CompiledDerived {
    const Derived* spec;
    Expression expr;
    std::vector<size_t> operand_slots;
    std::string reason;
    size_t slot;
  };
  struct CompiledOutput {
    const model::OutputColumn* spec;
    size_t slot;
  };

  const JobSpec* spec_ = nullptr;
  const Dimensions* dims_ = nullptr;
  std::vector<std::string> slot_names_;
  std::vector<Source> slot_sources_;
  std::vector<int> derived_index_;               // per slot: index into derived_, or -1
  std::vector<CompiledValidation> validations_;  // without the unique one
  std::vector<CompiledLookup> lookups_;
  std::vector<CompiledDerived> derived_;
  size_t classify_slot_ = 0;
  size_t label_slot_ = 0;
  std::vector<CompiledOutput> outputs_;
  int tid_slot_ = -1;  // the input column transaction_id, if read
  int unique_slot_ = -1;
  std::string unique_reason_;
  std::string unique_column_;
};

}  // namespace ecompipe::transform::internal
