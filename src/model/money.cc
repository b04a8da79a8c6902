#include "model/money.h"

#include <charconv>

namespace ecompipe::model {

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

}  // namespace ecompipe::model
