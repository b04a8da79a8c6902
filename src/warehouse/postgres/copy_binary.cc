#include "warehouse/postgres/copy_binary.h"

#include <chrono>

namespace ecompipe::warehouse {
namespace {

void Put16(std::string& out, uint16_t v) {
  const char b[2] = {static_cast<char>(v >> 8), static_cast<char>(v)};
  out.append(b, 2);
}

void Put32(std::string& out, uint32_t v) {
  const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                     static_cast<char>(v >> 8), static_cast<char>(v)};
  out.append(b, 4);
}

bool TwoDigits(std::string_view s, size_t at, int& v) {
  if (s[at] < '0' || s[at] > '9' || s[at + 1] < '0' || s[at + 1] > '9') return false;
  v = (s[at] - '0') * 10 + (s[at + 1] - '0');
  return true;
}

// Days from 1970-01-01 to 2000-01-01, PostgreSQL's date epoch.
constexpr int32_t kPgEpochDays = 10957;

}  // namespace

void AppendBinaryRowStart(std::string& out, int16_t fields) {
  Put16(out, static_cast<uint16_t>(fields));
}

void AppendBinaryNull(std::string& out) { Put32(out, 0xFFFFFFFFu); }

void AppendBinaryText(std::string& out, std::string_view text) {
  Put32(out, static_cast<uint32_t>(text.size()));
  out.append(text);
}

void AppendBinaryInt4(std::string& out, int32_t v) {
  Put32(out, 4);
  Put32(out, static_cast<uint32_t>(v));
}

void AppendBinaryInt8(std::string& out, int64_t v) {
  Put32(out, 8);
  Put32(out, static_cast<uint32_t>(static_cast<uint64_t>(v) >> 32));
  Put32(out, static_cast<uint32_t>(v));
}

void AppendBinaryMoney(std::string& out, model::Money m) {
  constexpr uint16_t kPositive = 0x0000, kNegative = 0x4000, kScale = 2;
  const bool negative = m.cents < 0;
  // The magnitude as unsigned, so that INT64_MIN has one too.
  const uint64_t cents =
      negative ? 0 - static_cast<uint64_t>(m.cents) : static_cast<uint64_t>(m.cents);
  uint64_t whole = cents / 100;
  // Base-10000 digits, most significant first: the integer part's groups, then one group for
  // the two decimals (0.01 is the group 0100, i.e. 100).
  uint16_t digits[8];
  int n = 0;
  uint16_t reversed[6];
  int whole_groups = 0;
  while (whole > 0) {
    reversed[whole_groups++] = static_cast<uint16_t>(whole % 10000);
    whole /= 10000;
  }
  for (int i = whole_groups - 1; i >= 0; --i) digits[n++] = reversed[i];
  digits[n++] = static_cast<uint16_t>(cents % 100 * 100);
  int weight = whole_groups - 1;  // the first digit's power of 10000
  // Strip leading zero groups (only the fraction group can be one, when the integer part is
  // 0) and trailing ones, as the server stores and sends numerics.
  int first = 0;
  while (first < n && digits[first] == 0) {
    ++first;
    --weight;
  }
  while (n > first && digits[n - 1] == 0) --n;
  const int ndigits = n - first;
  if (ndigits == 0) weight = 0;
  Put32(out, static_cast<uint32_t>(8 + 2 * ndigits));
  Put16(out, static_cast<uint16_t>(ndigits));
  Put16(out, static_cast<uint16_t>(static_cast<int16_t>(weight)));
  Put16(out, negative && ndigits > 0 ? kNegative : kPositive);
  Put16(out, kScale);
  for (int i = first; i < n; ++i) Put16(out, digits[i]);
}

std::optional<int32_t> PgDateDays(std::string_view iso) {
  if (iso.size() != 10 || iso[4] != '-' || iso[7] != '-') return std::nullopt;
  int y1 = 0, y2 = 0, month = 0, day = 0;
  if (!TwoDigits(iso, 0, y1) || !TwoDigits(iso, 2, y2) || !TwoDigits(iso, 5, month) ||
      !TwoDigits(iso, 8, day)) {
    return std::nullopt;
  }
  const std::chrono::year_month_day ymd{std::chrono::year(y1 * 100 + y2),
                                        std::chrono::month(static_cast<unsigned>(month)),
                                        std::chrono::day(static_cast<unsigned>(day))};
  if (!ymd.ok() || y1 * 100 + y2 == 0) return std::nullopt;
  return static_cast<int32_t>(std::chrono::sys_days(ymd).time_since_epoch().count()) - kPgEpochDays;
}

}  // namespace ecompipe::warehouse
