// S3Request: one HTTP request to the S3 endpoint, as the server layer hands it over
// (independent of the HTTP library, so that signature checks and parsing are testable alone).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ecompipe::api::s3 {

struct S3Request {
  std::string method;                                        // "GET", "PUT", …
  std::string path;                                          // URL-decoded, starts with '/'
  std::vector<std::pair<std::string, std::string>> query;    // URL-decoded name/value pairs
  std::vector<std::pair<std::string, std::string>> headers;  // names as sent

  // The first value of header `name` (case-insensitive); empty when absent.
  std::string Header(const std::string& name) const;
  bool HasHeader(const std::string& name) const;
  bool HasQuery(const std::string& name) const;
  std::string Query(const std::string& name) const;
};

// A parsed "Range: bytes=…" header, resolved against an object of `size` bytes.
struct ByteRange {
  uint64_t first = 0;
  uint64_t last = 0;  // inclusive
};
enum class RangeParse { kNone, kOk, kUnsatisfiable, kIgnored };
// kNone: no header. kIgnored: syntactically invalid or several ranges (served whole, as S3
// does). kUnsatisfiable: a valid range that starts past the end (416 InvalidRange).
RangeParse ParseRange(const std::string& header, uint64_t size, ByteRange& out);

// "Thu, 26 Nov 2026 16:55:21 GMT" and "2026-11-26T16:55:21.000Z".
std::string HttpDate(int64_t epoch_ms);
std::string IsoDate(int64_t epoch_ms);
// "20261126T165521Z" -> epoch seconds; nullopt when malformed.
std::optional<int64_t> ParseAmzDate(const std::string& text);

}  // namespace ecompipe::api::s3
