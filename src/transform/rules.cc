#include "transform/rules.h"

namespace ecompipe::transform {

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

// `prefix` followed by one or more digits.
bool IsPrefixedNumber(std::string_view s, std::string_view prefix) {
  if (s.size() <= prefix.size()) return false;
  // Compared char by char: inlined with the literal prefix, this is a compare or three
  // instead of a memcmp call per field.
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (s[i] != prefix[i]) return false;
  }
  return AllDigits(s.substr(prefix.size()));
}

int TwoDigits(const char* p) { return (p[0] - '0') * 10 + (p[1] - '0'); }

bool IsLeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

}  // namespace

bool IsTransactionId(std::string_view s) { return IsPrefixedNumber(s, "TXN"); }
bool IsCustomerId(std::string_view s) { return IsPrefixedNumber(s, "C"); }
bool IsProductId(std::string_view s) { return IsPrefixedNumber(s, "P"); }

std::optional<int32_t> ParseQuantity(std::string_view s) {
  if (s.empty() || s.size() > 9) return std::nullopt;
  int32_t value = 0;
  for (char c : s) {
    if (!IsDigit(c)) return std::nullopt;
    value = value * 10 + (c - '0');  // at most 999'999'999: no overflow
  }
  if (value == 0) return std::nullopt;
  return value;
}

bool IsValidDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  if (!AllDigits(s.substr(0, 4)) || !AllDigits(s.substr(5, 2)) || !AllDigits(s.substr(8, 2))) {
    return false;
  }
  const int year = TwoDigits(s.data()) * 100 + TwoDigits(s.data() + 2);
  const int month = TwoDigits(s.data() + 5);
  const int day = TwoDigits(s.data() + 8);
  if (year == 0 || month < 1 || month > 12 || day < 1) return false;
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const int days_in_month = (month == 2 && IsLeapYear(year)) ? 29 : kDays[month - 1];
  return day <= days_in_month;
}

}  // namespace ecompipe::transform
