#include "storage/s3/internal/s3_xml.h"

#include <charconv>
#include <ctime>
#include <optional>

#include "common/time_util.h"
#include "common/xml.h"

namespace ecompipe::storage::s3 {
namespace {

bool ParseUint(std::string_view s, uint64_t& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

// S3 quotes ETags: "\"9b2cf535f27731c974343645a3985328\"".
std::string Unquote(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

}  // namespace

Result<int64_t> ParseIso8601Millis(std::string_view t) {
  // YYYY-MM-DDTHH:MM:SS[.fff]Z
  auto num = [&](size_t at, size_t n, int& out) {
    if (at + n > t.size()) return false;
    auto [p, ec] = std::from_chars(t.data() + at, t.data() + at + n, out);
    return ec == std::errc() && p == t.data() + at + n;
  };
  int y, mo, d, h, mi, s;
  std::optional<int64_t> seconds;
  if (t.size() >= 20 && num(0, 4, y) && t[4] == '-' && num(5, 2, mo) && t[7] == '-' &&
      num(8, 2, d) && t[10] == 'T' && num(11, 2, h) && t[13] == ':' && num(14, 2, mi) &&
      t[16] == ':' && num(17, 2, s))
    seconds = UtcEpochSeconds(y, mo, d, h, mi, s);
  if (!seconds)
    return Status::CorruptInput("not an ISO-8601 UTC time: '" + std::string(t.substr(0, 40)) + "'");
  int ms = 0;
  size_t at = 19;
  if (t[at] == '.') {
    size_t digits = 0;
    for (++at; at < t.size() && t[at] >= '0' && t[at] <= '9'; ++at, ++digits)
      if (digits < 3) ms = ms * 10 + (t[at] - '0');
    if (digits == 0)
      return Status::CorruptInput("not an ISO-8601 UTC time: '" + std::string(t) + "'");
    for (; digits < 3; ++digits) ms *= 10;
  }
  if (at + 1 != t.size() || t[at] != 'Z')
    return Status::CorruptInput("not an ISO-8601 UTC time: '" + std::string(t.substr(0, 40)) + "'");
  return *seconds * 1000 + ms;
}

Result<ListPage> ParseListObjectsV2(std::string_view xml) {
  ListPage page;
  ObjectRef cur;
  bool has_key = false, has_root = false;
  XmlWalk w;
  w.on_start = [&](XmlWalk& walk, const std::string& name) {
    if (walk.path().size() == 1) {
      if (name != "ListBucketResult")
        return walk.Fail("root element is <" + name + ">, not <ListBucketResult>");
      has_root = true;
    }
    if (walk.path().size() == 2 && name == "Contents") {
      cur = ObjectRef{};
      has_key = false;
    }
  };
  w.on_end = [&](XmlWalk& walk, const std::string& name) {
    const size_t depth = walk.path().size();
    if (depth == 3 && walk.path()[1] == "Contents") {
      if (name == "Key") {
        cur.key = walk.text();
        has_key = true;
      } else if (name == "ETag") {
        cur.etag = Unquote(walk.text());
      } else if (name == "Size") {
        if (!ParseUint(walk.text(), cur.size))
          return walk.Fail("<Size> '" + walk.text().substr(0, 40) + "' is not a number");
      } else if (name == "LastModified") {
        Result<int64_t> t = ParseIso8601Millis(walk.text());
        if (!t.ok()) return walk.Fail(t.status().message());
        cur.mtime_ms = *t;
      }
    } else if (depth == 2) {
      if (name == "Contents") {
        if (!has_key) return walk.Fail("a <Contents> without <Key>");
        page.objects.push_back(std::move(cur));
      } else if (name == "IsTruncated") {
        if (walk.text() != "true" && walk.text() != "false")
          return walk.Fail("<IsTruncated> is '" + walk.text().substr(0, 40) + "'");
        page.is_truncated = walk.text() == "true";
      } else if (name == "NextContinuationToken") {
        page.next_continuation_token = walk.text();
      }
    }
  };
  std::string error = w.Run(xml);
  if (error.empty() && !has_root) error = "no <ListBucketResult>";
  if (error.empty() && page.is_truncated && page.next_continuation_token.empty())
    error = "<IsTruncated>true</IsTruncated> without a <NextContinuationToken>";
  if (!error.empty()) return Status::CorruptInput("ListObjectsV2 answer: " + error);
  return page;
}

S3Error ParseS3Error(std::string_view xml) {
  S3Error e;
  bool is_error = false;
  XmlWalk w;
  w.on_start = [&](XmlWalk& walk, const std::string& name) {
    if (walk.path().size() == 1) is_error = name == "Error";
  };
  w.on_end = [&](XmlWalk& walk, const std::string& name) {
    if (!is_error || walk.path().size() != 2) return;
    if (name == "Code") e.code = walk.text();
    if (name == "Message") e.message = walk.text();
  };
  if (!w.Run(xml).empty() || !is_error) return {};
  return e;
}

}  // namespace ecompipe::storage::s3
