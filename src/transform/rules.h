// The reference job's field rules as plain predicates (no regex engine), shared by the
// transaction job and the dimension readers. Each function is pure and thread-safe; each
// comment gives the exact language it accepts. An empty field fails every rule. Inline: the
// job's hot loop runs them on every row, and a call per check cost more than most checks.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "transform/internal/id_key.h"

namespace ecompipe::transform {

namespace rules_detail {

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// `prefix` followed by one or more digits. Ids of up to 18 digits (all real ones) are
// decided by IdKey; longer ones are checked digit by digit.
inline bool IsPrefixedNumber(std::string_view s, std::string_view prefix) {
  if (internal::IdKey(s, prefix) != internal::kNoIdKey) return true;
  if (s.size() <= prefix.size() || s.substr(0, prefix.size()) != prefix) return false;
  for (const char c : s.substr(prefix.size())) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

}  // namespace rules_detail

// ^TXN[0-9]+$
inline bool IsTransactionId(std::string_view s) { return rules_detail::IsPrefixedNumber(s, "TXN"); }
// ^C[0-9]+$
inline bool IsCustomerId(std::string_view s) { return rules_detail::IsPrefixedNumber(s, "C"); }
// ^P[0-9]+$
inline bool IsProductId(std::string_view s) { return rules_detail::IsPrefixedNumber(s, "P"); }

// ^[0-9]{1,9}$ with a value > 0 ("007" is 7); nullopt otherwise ("0", "+5", " 5", "1e2").
inline std::optional<int32_t> ParseQuantity(std::string_view s) {
  if (s.empty() || s.size() > 9) return std::nullopt;
  int32_t value = 0;
  for (const char c : s) {
    if (!rules_detail::IsDigit(c)) return std::nullopt;
    value = value * 10 + (c - '0');  // at most 999'999'999: no overflow
  }
  if (value == 0) return std::nullopt;
  return value;
}

// ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ naming a real day of the proleptic Gregorian calendar with a
// year other than 0000 (so 2024-02-29 and 2000-02-29 pass, 1900-02-29 and 2023-02-29 fail).
inline bool IsValidDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  const auto digit = [&](size_t i) { return static_cast<unsigned>(s[i]) - unsigned{'0'}; };
  const unsigned y0 = digit(0), y1 = digit(1), y2 = digit(2), y3 = digit(3);
  const unsigned m0 = digit(5), m1 = digit(6), d0 = digit(8), d1 = digit(9);
  // One branch for the eight digit checks (a non-digit wraps to a value above 9).
  if ((y0 > 9) | (y1 > 9) | (y2 > 9) | (y3 > 9) | (m0 > 9) | (m1 > 9) | (d0 > 9) | (d1 > 9))
    return false;
  const unsigned year = y0 * 1000 + y1 * 100 + y2 * 10 + y3;
  const unsigned month = m0 * 10 + m1;
  const unsigned day = d0 * 10 + d1;
  if (year == 0 || month - 1 > 11 || day == 0) return false;
  static constexpr unsigned kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (day <= kDays[month - 1]) return true;  // the leap-year test only for Feb 29
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && day == 29 && leap;
}

}  // namespace ecompipe::transform
