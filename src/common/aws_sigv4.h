// AWS Signature Version 4 for HTTP requests, over OpenSSL; no AWS SDK.
//
// SignV4() computes the canonical request, the string to sign and the signature of one request
// and returns the headers to add (X-Amz-Date, Authorization, and X-Amz-Security-Token with
// session credentials). It follows the published SigV4 test suite (get-vanilla and friends):
// header names are lower-cased and sorted, values trimmed with inner runs of spaces collapsed,
// query parameters URI-encoded and sorted by name then value, the payload hashed with SHA-256.
// The path is given unencoded and is encoded once, segment by segment (what S3 expects; for other
// services this equals the double encoding they expect as long as paths hold only unreserved
// characters, which SNS/SQS "/" does). Pure functions: thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace ecompipe {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // optional (temporary credentials)
};

struct SigV4Request {
  std::string method = "GET";
  std::string path = "/";                                    // unencoded, starts with '/'
  std::vector<std::pair<std::string, std::string>> query;    // unencoded name/value pairs
  std::vector<std::pair<std::string, std::string>> headers;  // must include Host
  std::string payload;
  // When not empty, the payload's hash as it goes into the canonical request instead of
  // Sha256Hex(payload): S3's x-amz-content-sha256 value for a body streamed from a file, or
  // "UNSIGNED-PAYLOAD".
  std::string payload_hash;
};

struct SigV4Result {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;  // "host;x-amz-date"
  std::string signature;       // lower-case hex
  // What to add to the request: X-Amz-Date, Authorization (and X-Amz-Security-Token).
  std::vector<std::pair<std::string, std::string>> headers;
};

// Signs `request` for `region`/`service` at `epoch_seconds` (UTC). kInvalidArgument when the
// credentials are empty, the request has no Host header, or the path does not start with '/'.
// An X-Amz-Date header already in the request wins over `epoch_seconds`.
Result<SigV4Result> SignV4(const SigV4Request& request, const AwsCredentials& credentials,
                           const std::string& region, const std::string& service,
                           int64_t epoch_seconds);

// The building blocks, exposed for reuse (the S3 endpoint's verifier) and tests; the digests
// (Sha256Hex, HmacSha256, HexEncode) are common/digest.h's.
// RFC 3986 encoding as SigV4 wants it: unreserved characters kept, the rest %XX (upper-case);
// '/' kept when `keep_slash`.
std::string AwsUriEncode(std::string_view s, bool keep_slash);
// "20150830T123600Z".
std::string AmzDate(int64_t epoch_seconds);
// ASCII lower case (header names, hex signatures).
std::string AsciiLower(std::string s);
// A header value as the canonical request has it: trimmed, inner runs of spaces and tabs
// collapsed to one space.
std::string CanonicalHeaderValue(const std::string& value);
// The canonical query string: every name and value URI-encoded, the pairs sorted by name then
// value, joined by '&'; parameters named `skip` (a presigned URL's X-Amz-Signature) left out.
std::string CanonicalQueryString(const std::vector<std::pair<std::string, std::string>>& query,
                                 std::optional<std::string_view> skip = std::nullopt);
// The key that signs the string to sign: HMAC-SHA256 of "AWS4" + secret over the date
// ("20150830"), the region, the service and "aws4_request", in turn.
std::string SigV4SigningKey(const std::string& secret, const std::string& date,
                            const std::string& region, const std::string& service);

}  // namespace ecompipe
