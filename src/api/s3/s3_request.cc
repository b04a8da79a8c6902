#include "api/s3/s3_request.h"

#include <strings.h>

#include <charconv>
#include <ctime>

#include "common/time_util.h"

namespace ecompipe::api::s3 {

std::string S3Request::Header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
  return {};
}

bool S3Request::HasHeader(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (strcasecmp(k.c_str(), name.c_str()) == 0) return true;
  return false;
}

bool S3Request::HasQuery(const std::string& name) const {
  for (const auto& [k, v] : query)
    if (k == name) return true;
  return false;
}

std::string S3Request::Query(const std::string& name) const {
  for (const auto& [k, v] : query)
    if (k == name) return v;
  return {};
}

namespace {

bool ParseU64(std::string_view s, uint64_t& out) {
  if (s.empty() || s.size() > 19) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

RangeParse ParseRange(const std::string& header, uint64_t size, ByteRange& out) {
  if (header.empty()) return RangeParse::kNone;
  std::string h = Trim(header);
  if (h.rfind("bytes=", 0) != 0) return RangeParse::kIgnored;
  std::string spec = Trim(std::string_view(h).substr(6));
  if (spec.find(',') != std::string::npos) return RangeParse::kIgnored;
  const size_t dash = spec.find('-');
  if (dash == std::string::npos) return RangeParse::kIgnored;
  const std::string a = Trim(std::string_view(spec).substr(0, dash));
  const std::string b = Trim(std::string_view(spec).substr(dash + 1));
  uint64_t first = 0, last = 0;
  if (a.empty()) {  // suffix: the last b bytes
    if (!ParseU64(b, last)) return RangeParse::kIgnored;
    if (last == 0) return RangeParse::kUnsatisfiable;
    if (size == 0) return RangeParse::kUnsatisfiable;
    out.first = last >= size ? 0 : size - last;
    out.last = size - 1;
    return RangeParse::kOk;
  }
  if (!ParseU64(a, first)) return RangeParse::kIgnored;
  if (b.empty()) {
    last = UINT64_MAX;
  } else {
    if (!ParseU64(b, last)) return RangeParse::kIgnored;
    if (last < first) return RangeParse::kIgnored;
  }
  if (first >= size) return RangeParse::kUnsatisfiable;
  out.first = first;
  out.last = last >= size ? size - 1 : last;
  return RangeParse::kOk;
}

std::string HttpDate(int64_t epoch_ms) {
  std::time_t t = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  static const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::string IsoDate(int64_t epoch_ms) { return FormatIsoMillis(epoch_ms); }

std::optional<int64_t> ParseAmzDate(const std::string& s) {
  // YYYYMMDDTHHMMSSZ, digits only (from_chars alone would take "-001" as a year), naming a day
  // that exists: timegm() would carry 20130231 over to March 3 rather than refuse it.
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return std::nullopt;
  auto num = [&](size_t pos, size_t len, int& out) {
    for (size_t i = pos; i < pos + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
    }
    std::from_chars(s.data() + pos, s.data() + pos + len, out);
    return true;
  };
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;  // GCC -O3 cannot see num() sets them
  if (!num(0, 4, y) || !num(4, 2, mo) || !num(6, 2, d) || !num(9, 2, h) || !num(11, 2, mi) ||
      !num(13, 2, se))
    return std::nullopt;
  return UtcEpochSeconds(y, mo, d, h, mi, se);
}

}  // namespace ecompipe::api::s3
