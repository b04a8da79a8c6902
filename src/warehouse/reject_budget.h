// What one object's load may store of its rejects. A reject row keeps its raw text, so an
// object whose every row is rejected costs the warehouse more than its own size (issue 14: a
// 1 MB gzip of one row repeated 4.5 million times stored 4,499,999 duplicate rejects, 2 GB).
// A load stores its rejects until either limit is reached, and from then on only counts them
// by reason: rows read = loaded + rejected still holds, the ledger row and the run's object
// say how many were not stored, and the job's quality gate fails the run.
//
// Thread-safety: a value, used by one load transaction.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace ecompipe::warehouse {

// Per object (jobs[].max_stored_rejects, jobs[].max_stored_reject_bytes); 0 stores none.
struct RejectLimits {
  int64_t max_rows = 100'000;
  // The raw text of the stored rejects (each truncated to 64 KiB already).
  int64_t max_raw_bytes = int64_t{32} << 20;
};

class RejectBudget {
 public:
  explicit RejectBudget(const RejectLimits& limits = {}) : limits_(limits) {}

  // Counts one reject of `reason` whose raw text has `raw_bytes`; true when it is to be stored.
  // Once a reject was refused, every later one is too, so the stored rejects are the object's
  // first ones.
  bool Admit(std::string_view reason, size_t raw_bytes);
  // Of `n` rejects of `reason` stored by one statement (whose raw text is not seen here), how
  // many may be stored; the rest are counted as not stored. Call with the count the
  // statement will insert at most, then CountStored with what it did.
  int64_t RowsLeft() const { return full_ ? 0 : limits_.max_rows - stored_rows_; }
  // Records that a statement stored `stored` of `n` rejects of `reason`.
  void CountBulk(std::string_view reason, int64_t n, int64_t stored);

  int64_t stored_rows() const { return stored_rows_; }
  int64_t not_stored() const { return not_stored_; }
  const std::map<std::string, int64_t, std::less<>>& not_stored_reasons() const {
    return not_stored_reasons_;
  }
  const RejectLimits& limits() const { return limits_; }
  // "" when every reject was stored; else, e.g. "4499899 rejects not stored, beyond
  // max_stored_rejects 100000 (counted by reason: duplicate_transaction_id 4499899)".
  std::string Summary() const;

 private:
  void NotStored(std::string_view reason, int64_t n);

  RejectLimits limits_;
  int64_t stored_rows_ = 0;
  int64_t stored_bytes_ = 0;
  int64_t not_stored_ = 0;
  bool full_ = false;
  bool by_bytes_ = false;  // the byte limit was the one reached
  std::map<std::string, int64_t, std::less<>> not_stored_reasons_;
};

}  // namespace ecompipe::warehouse
