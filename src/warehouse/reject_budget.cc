#include "warehouse/reject_budget.h"

#include <fmt/format.h>

#include <algorithm>

namespace ecompipe::warehouse {

bool RejectBudget::Admit(std::string_view reason, size_t raw_bytes) {
  const auto bytes = static_cast<int64_t>(raw_bytes);
  if (!full_ && stored_rows_ < limits_.max_rows && stored_bytes_ + bytes <= limits_.max_raw_bytes) {
    ++stored_rows_;
    stored_bytes_ += bytes;
    return true;
  }
  if (!full_) by_bytes_ = stored_rows_ < limits_.max_rows;
  full_ = true;
  NotStored(reason, 1);
  return false;
}

void RejectBudget::CountBulk(std::string_view reason, int64_t n, int64_t stored) {
  stored = std::clamp<int64_t>(stored, 0, n);
  stored_rows_ += stored;
  if (stored < n) {
    full_ = true;
    NotStored(reason, n - stored);
  }
}

void RejectBudget::NotStored(std::string_view reason, int64_t n) {
  not_stored_ += n;
  auto it = not_stored_reasons_.find(reason);
  if (it == not_stored_reasons_.end()) {
    not_stored_reasons_.emplace(std::string(reason), n);
  } else {
    it->second += n;
  }
}

std::string RejectBudget::Summary() const {
  if (not_stored_ == 0) return "";
  std::string reasons;
  for (const auto& [reason, n] : not_stored_reasons_)
    reasons += fmt::format("{}{} {}", reasons.empty() ? "" : ", ", reason, n);
  const std::string limit = by_bytes_
                                ? fmt::format("max_stored_reject_bytes {}", limits_.max_raw_bytes)
                                : fmt::format("max_stored_rejects {}", limits_.max_rows);
  return fmt::format("{} rejects not stored, beyond {} (counted by reason: {})", not_stored_, limit,
                     reasons);
}

}  // namespace ecompipe::warehouse
