#include "storage/s3/internal/s3_xml.h"

#include <expat.h>

#include <charconv>
#include <ctime>
#include <functional>
#include <memory>
#include <type_traits>

namespace ecompipe::storage::s3 {
namespace {

constexpr size_t kMaxDepth = 8;              // ListBucketResult/Contents/Owner/ID is 4
constexpr size_t kMaxTextBytes = 64 * 1024;  // keys are at most 1024 bytes, tokens ~1 KiB

// Collects the text of leaf elements along the element path; `on_end` sees each element
// when it closes, with its path depth and text.
struct Walk {
  XML_Parser parser = nullptr;
  std::vector<std::string> path;
  std::string text;
  std::string error;
  std::function<void(Walk&, const std::string& name)> on_start;
  std::function<void(Walk&, const std::string& name)> on_end;

  void Fail(std::string why) {
    if (error.empty()) error = std::move(why);
    XML_StopParser(parser, XML_FALSE);
  }
};

void XMLCALL StartElement(void* user, const XML_Char* name, const XML_Char**) {
  auto* w = static_cast<Walk*>(user);
  if (w->path.size() >= kMaxDepth) return w->Fail("elements nested too deep");
  w->path.emplace_back(name);
  w->text.clear();
  if (w->on_start) w->on_start(*w, w->path.back());
}

void XMLCALL EndElement(void* user, const XML_Char* name) {
  auto* w = static_cast<Walk*>(user);
  if (w->on_end) w->on_end(*w, name);
  if (!w->path.empty()) w->path.pop_back();
  w->text.clear();
}

void XMLCALL Characters(void* user, const XML_Char* s, int len) {
  auto* w = static_cast<Walk*>(user);
  if (w->text.size() + static_cast<size_t>(len) > kMaxTextBytes)
    return w->Fail("a text field is longer than " + std::to_string(kMaxTextBytes) + " bytes");
  w->text.append(s, static_cast<size_t>(len));
}

void XMLCALL StartDoctype(void* user, const XML_Char*, const XML_Char*, const XML_Char*, int) {
  static_cast<Walk*>(user)->Fail("a DOCTYPE (S3 never sends one; entities are not expanded)");
}

// Runs `w` over `xml`; the error message when the document is malformed or refused.
std::string Run(Walk& w, std::string_view xml) {
  std::unique_ptr<std::remove_pointer_t<XML_Parser>, decltype(&XML_ParserFree)> parser(
      XML_ParserCreate("UTF-8"), XML_ParserFree);
  if (!parser) return "out of memory";
  w.parser = parser.get();
  XML_SetUserData(w.parser, &w);
  XML_SetElementHandler(w.parser, StartElement, EndElement);
  XML_SetCharacterDataHandler(w.parser, Characters);
  XML_SetStartDoctypeDeclHandler(w.parser, StartDoctype);
  XML_SetParamEntityParsing(w.parser, XML_PARAM_ENTITY_PARSING_NEVER);
  if (xml.size() > static_cast<size_t>(INT32_MAX)) return "document too large";
  const XML_Status st = XML_Parse(w.parser, xml.data(), static_cast<int>(xml.size()), XML_TRUE);
  if (!w.error.empty()) return w.error;
  if (st != XML_STATUS_OK) {
    return std::string(XML_ErrorString(XML_GetErrorCode(w.parser))) + " at line " +
           std::to_string(XML_GetCurrentLineNumber(w.parser));
  }
  return "";
}

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
  if (t.size() < 20 || !num(0, 4, y) || t[4] != '-' || !num(5, 2, mo) || t[7] != '-' ||
      !num(8, 2, d) || t[10] != 'T' || !num(11, 2, h) || t[13] != ':' || !num(14, 2, mi) ||
      t[16] != ':' || !num(17, 2, s) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
      s > 60)
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
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return static_cast<int64_t>(timegm(&tm)) * 1000 + ms;
}

Result<ListPage> ParseListObjectsV2(std::string_view xml) {
  ListPage page;
  ObjectRef cur;
  bool has_key = false, has_root = false;
  Walk w;
  w.on_start = [&](Walk& walk, const std::string& name) {
    if (walk.path.size() == 1) {
      if (name != "ListBucketResult")
        return walk.Fail("root element is <" + name + ">, not <ListBucketResult>");
      has_root = true;
    }
    if (walk.path.size() == 2 && name == "Contents") {
      cur = ObjectRef{};
      has_key = false;
    }
  };
  w.on_end = [&](Walk& walk, const std::string& name) {
    const size_t depth = walk.path.size();
    if (depth == 3 && walk.path[1] == "Contents") {
      if (name == "Key") {
        cur.key = walk.text;
        has_key = true;
      } else if (name == "ETag") {
        cur.etag = Unquote(walk.text);
      } else if (name == "Size") {
        if (!ParseUint(walk.text, cur.size))
          return walk.Fail("<Size> '" + walk.text.substr(0, 40) + "' is not a number");
      } else if (name == "LastModified") {
        Result<int64_t> t = ParseIso8601Millis(walk.text);
        if (!t.ok()) return walk.Fail(t.status().message());
        cur.mtime_ms = *t;
      }
    } else if (depth == 2) {
      if (name == "Contents") {
        if (!has_key) return walk.Fail("a <Contents> without <Key>");
        page.objects.push_back(std::move(cur));
      } else if (name == "IsTruncated") {
        if (walk.text != "true" && walk.text != "false")
          return walk.Fail("<IsTruncated> is '" + walk.text.substr(0, 40) + "'");
        page.is_truncated = walk.text == "true";
      } else if (name == "NextContinuationToken") {
        page.next_continuation_token = walk.text;
      }
    }
  };
  std::string error = Run(w, xml);
  if (error.empty() && !has_root) error = "no <ListBucketResult>";
  if (error.empty() && page.is_truncated && page.next_continuation_token.empty())
    error = "<IsTruncated>true</IsTruncated> without a <NextContinuationToken>";
  if (!error.empty()) return Status::CorruptInput("ListObjectsV2 answer: " + error);
  return page;
}

S3Error ParseS3Error(std::string_view xml) {
  S3Error e;
  bool is_error = false;
  Walk w;
  w.on_start = [&](Walk& walk, const std::string& name) {
    if (walk.path.size() == 1) is_error = name == "Error";
  };
  w.on_end = [&](Walk& walk, const std::string& name) {
    if (!is_error || walk.path.size() != 2) return;
    if (name == "Code") e.code = walk.text;
    if (name == "Message") e.message = walk.text;
  };
  if (!Run(w, xml).empty() || !is_error) return {};
  return e;
}

}  // namespace ecompipe::storage::s3
