#include "runtime/quality_gate.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>
#include <vector>

namespace ecompipe::runtime {
namespace {

// 0.5 -> "50%", 0.025 -> "2.5%", 1/3 -> "33.3%": one decimal at most, none when it is zero.
std::string Percent(double fraction) {
  std::string s = fmt::format("{:.1f}", fraction * 100.0);
  if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
  return s + "%";
}

// The shortest text that reads back as `v` (0.5, not 0.500000).
std::string Number(double v) { return fmt::format("{}", v); }

}  // namespace

std::optional<std::string> CheckQualityGate(const QualityGate& gate, const ObjectResult& o) {
  if (o.status != ObjectStatus::kLoaded) return std::nullopt;
  std::vector<std::string> broken;
  if (o.rows_read > 0) {
    const double rate = static_cast<double>(o.rows_rejected) / static_cast<double>(o.rows_read);
    if (rate > gate.max_reject_rate)
      broken.push_back(fmt::format("{} of {} rows rejected ({}), above max_reject_rate {}",
                                   o.rows_rejected, o.rows_read, Percent(rate),
                                   Number(gate.max_reject_rate)));
  }
  // Rejects beyond the job's reject limits were counted, not kept: never a silent success.
  if (o.rejects_not_stored > 0)
    broken.push_back(
        fmt::format("{} rejects not stored, beyond the job's reject limits", o.rejects_not_stored));
  if (o.rows_loaded < gate.min_rows)
    broken.push_back(fmt::format("{} rows loaded{}, below min_rows {}", o.rows_loaded,
                                 o.rows_read == 0 ? " (the object has no rows)" : "",
                                 gate.min_rows));
  if (broken.empty()) return std::nullopt;

  std::string why;
  for (size_t i = 0; i < broken.size(); ++i) why += (i ? "; " : "") + broken[i];
  std::vector<std::pair<std::string, int64_t>> reasons(o.reject_reasons.begin(),
                                                       o.reject_reasons.end());
  std::sort(reasons.begin(), reasons.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  constexpr size_t kTopReasons = 3;
  for (size_t i = 0; i < reasons.size() && i < kTopReasons; ++i)
    why += fmt::format("{}{} {}", i == 0 ? "; top reasons: " : ", ", reasons[i].first,
                       reasons[i].second);
  if (reasons.size() > kTopReasons)
    why += fmt::format(" (and {} more)", reasons.size() - kTopReasons);
  return why;
}

}  // namespace ecompipe::runtime
