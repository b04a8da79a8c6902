#include "transform/money.h"

#include <charconv>

namespace ecompipe::transform {

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::optional<Money> ParseMoney(std::string_view text) {
  size_t i = 0;
  int64_t whole = 0;
  while (i < text.size() && IsDigit(text[i])) {
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
  if (!IsDigit(text[i + 1])) return std::nullopt;
  cents += (text[i + 1] - '0') * 10;
  if (frac_digits == 2) {
    if (!IsDigit(text[i + 2])) return std::nullopt;
    cents += text[i + 2] - '0';
  }
  return Money{cents};
}

void AppendMoney(std::string& out, Money m) {
  // Negate as unsigned so that INT64_MIN formats correctly.
  const bool negative = m.cents < 0;
  const uint64_t abs =
      negative ? 0 - static_cast<uint64_t>(m.cents) : static_cast<uint64_t>(m.cents);
  char buf[32];
  char* p = buf;
  if (negative) *p++ = '-';
  p = std::to_chars(p, buf + sizeof(buf), abs / 100).ptr;
  const auto frac = static_cast<unsigned>(abs % 100);
  *p++ = '.';
  *p++ = static_cast<char>('0' + frac / 10);
  *p++ = static_cast<char>('0' + frac % 10);
  out.append(buf, p);
}

std::string FormatMoney(Money m) {
  std::string out;
  AppendMoney(out, m);
  return out;
}

}  // namespace ecompipe::transform
