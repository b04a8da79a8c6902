// Exact money: a signed count of cents in 64 bits. No binary floating point touches money
// anywhere in ecompipe. Parsing is strict: it accepts what the job's price rule accepts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ecompipe::model {

struct Money {
  int64_t cents = 0;
  auto operator<=>(const Money&) const = default;  // NOLINT(modernize-use-nullptr): a tidy-14 bug
};

// Parses a non-negative decimal with 1 to 12 integer digits and at most 2 decimals
// ("129.99", "5", "5.5", "0.00"); nullopt otherwise ("-1", "1e2", "$5", "5.", ".5", "1.234", "").
// Inline: the job parses a price a row.
inline std::optional<Money> ParseMoney(std::string_view text) {
  const auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  size_t i = 0;
  int64_t whole = 0;
  while (i < text.size() && is_digit(text[i])) {
    if (i == 12) return std::nullopt;  // checked before accumulating: no overflow
    whole = whole * 10 + (text[i] - '0');
    ++i;
  }
  if (i == 0) return std::nullopt;
  int64_t cents = whole * 100;
  if (i == text.size()) return Money{cents};
  if (text[i] != '.') return std::nullopt;
  const size_t frac_digits = text.size() - i - 1;
  if (frac_digits < 1 || frac_digits > 2) return std::nullopt;
  if (!is_digit(text[i + 1])) return std::nullopt;
  cents += (text[i + 1] - '0') * 10;
  if (frac_digits == 2) {
    if (!is_digit(text[i + 2])) return std::nullopt;
    cents += text[i + 2] - '0';
  }
  return Money{cents};
}
// "129.99", "-0.05": always exactly 2 decimals.
std::string FormatMoney(Money m);
// Appends FormatMoney(m) to `out` without allocating a temporary.
void AppendMoney(std::string& out, Money m);
// quantity * price, exact. The caller guarantees that the product fits in 64 bits (|total| <
// 92,233,720,368,547,758.07). Note that quantity < 10^9 and price < 10^12 alone do not
// guarantee it (up to ~10^21); use CheckedMultiply when the inputs are not bounded further.
inline Money Multiply(Money price, int64_t quantity) { return Money{price.cents * quantity}; }
// quantity * price, exact, or nullopt when it does not fit in 64 bits.
inline std::optional<Money> CheckedMultiply(Money price, int64_t quantity) {
  int64_t cents = 0;
  if (__builtin_mul_overflow(price.cents, quantity, &cents)) return std::nullopt;
  return Money{cents};
}

}  // namespace ecompipe::model
