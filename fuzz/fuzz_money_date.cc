// Money and date parsing, each checked against an independent reference on the same text:
//   - ParseMoney: the price rule (1 to 12 digits, at most 2 decimals); an accepted value
//     prints back (FormatMoney) as the same amount and parses again to it.
//   - IsValidDate: YYYY-MM-DD naming a real day, year not 0000, against std::chrono.
//   - ParseQuantity: 1 to 9 digits, value > 0.
//   - ParseAmzDate (SigV4's x-amz-date): an accepted text formats back to itself (AmzDate), so
//     a day that does not exist is never accepted as another one (leap seconds aside).
//   - ParseIso8601Millis (S3's LastModified), ParseDurationMs (config durations) and ParseRange
//     (the Range header): no crash, and results within their documented bounds.
// The input is split at line feeds; each line goes to every parser.
#include <chrono>
#include <cstdint>
#include <string>

#include "api/s3/s3_request.h"
#include "common/aws_sigv4.h"
#include "common/config_reader.h"
#include "fuzz_util.h"
#include "model/money.h"
#include "storage/s3/internal/s3_xml.h"
#include "transform/rules.h"

namespace {

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

int64_t Digits(std::string_view s) {
  int64_t v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

std::optional<int64_t> ReferenceMoney(std::string_view s) {
  const size_t dot = s.find('.');
  const std::string_view whole = s.substr(0, dot);
  if (whole.empty() || whole.size() > 12 || !AllDigits(whole)) return std::nullopt;
  if (dot == std::string_view::npos) return Digits(whole) * 100;
  const std::string_view frac = s.substr(dot + 1);
  if (frac.empty() || frac.size() > 2 || !AllDigits(frac)) return std::nullopt;
  return Digits(whole) * 100 + Digits(frac) * (frac.size() == 1 ? 10 : 1);
}

bool ReferenceDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  const auto y = s.substr(0, 4), m = s.substr(5, 2), d = s.substr(8, 2);
  if (!AllDigits(y) || !AllDigits(m) || !AllDigits(d) || Digits(y) == 0) return false;
  const std::chrono::year_month_day day{std::chrono::year(static_cast<int>(Digits(y))),
                                        std::chrono::month(static_cast<unsigned>(Digits(m))),
                                        std::chrono::day(static_cast<unsigned>(Digits(d)))};
  return day.ok();
}

void CheckLine(std::string_view line) {
  using namespace ecompipe;
  const auto money = model::ParseMoney(line);
  const auto reference = ReferenceMoney(line);
  FUZZ_CHECK(money.has_value() == reference.has_value(), "ParseMoney and the rule disagree");
  if (money) {
    FUZZ_CHECK(money->cents == *reference, "ParseMoney's amount is wrong");
    const std::string printed = model::FormatMoney(*money);
    const auto again = model::ParseMoney(printed);
    FUZZ_CHECK(again && *again == *money, "money does not round-trip: " + printed);
  }

  FUZZ_CHECK(transform::IsValidDate(line) == ReferenceDate(line), "IsValidDate is wrong");

  const auto quantity = transform::ParseQuantity(line);
  const bool quantity_ok = !line.empty() && line.size() <= 9 && AllDigits(line) && Digits(line) > 0;
  FUZZ_CHECK(quantity.has_value() == quantity_ok, "ParseQuantity and the rule disagree");
  FUZZ_CHECK(!quantity || *quantity == Digits(line), "ParseQuantity's value is wrong");

  const std::string text(line);
  // A leap second (60) is accepted and names the next minute's first second.
  const auto amz = api::s3::ParseAmzDate(text);
  if (amz && text.substr(13, 2) != "60") {
    FUZZ_CHECK(AmzDate(*amz) == text, "x-amz-date accepted as another time: " + AmzDate(*amz));
  }
  (void)storage::s3::ParseIso8601Millis(line);
  if (const auto ms = ParseDurationMs(text)) {
    FUZZ_CHECK(*ms > 0 && *ms <= int64_t{366} * 24 * 3600 * 1000, "a duration out of bounds");
  }
  api::s3::ByteRange range;
  const uint64_t size = line.size() * 1000;
  if (api::s3::ParseRange(text, size, range) == api::s3::RangeParse::kOk) {
    FUZZ_CHECK(range.first <= range.last && range.last < size, "a range outside the object");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  CheckLine(text);
  while (!text.empty()) {
    const auto [line, rest] = ecompipe::fuzz::SplitAt(text, '\n');
    CheckLine(line);
    text = rest;
  }
  return 0;
}
