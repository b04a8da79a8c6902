// Addressing, signing and sending S3 (and SQS) requests over libcurl.
//
// Endpoint "http://127.0.0.1:9000" + bucket "b" + key "a b/c.csv":
//   path style     http://127.0.0.1:9000/b/a%20b/c.csv          Host: 127.0.0.1:9000
//   virtual style  http://b.127.0.0.1:9000/a%20b/c.csv          Host: b.127.0.0.1:9000
// The key is encoded once, segment by segment, with SigV4's rules (AwsUriEncode), so the URL
// sent is exactly the path that was signed. Pure functions and one blocking call; thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/aws_sigv4.h"
#include "common/status.h"

namespace ecompipe::storage::s3 {

using Params = std::vector<std::pair<std::string, std::string>>;

struct Endpoint {
  std::string scheme;  // "http" or "https"
  std::string host;    // "s3.eu-west-1.amazonaws.com" or "127.0.0.1:9000"
};

// kInvalidArgument unless `url` is http(s)://host[:port] with at most a trailing '/'.
Result<Endpoint> ParseEndpoint(const std::string& url);

struct Target {
  std::string url;   // what curl gets
  std::string host;  // the Host header (signed)
  std::string path;  // unencoded, as SignV4 wants it
  Params query;      // unencoded
};

// The URL of `key` in `bucket` (an empty key: the bucket itself), with `query` appended in
// SigV4's canonical order.
Target BuildTarget(const Endpoint& endpoint, const std::string& bucket, bool virtual_host,
                   const std::string& key, const Params& query);

// "a=1&b=x%2Fy": names and values AwsUriEncode'd, sorted as SigV4 sorts them.
std::string CanonicalQuery(const Params& query);

struct HttpCall {
  std::string method = "GET";
  Target target;
  Params headers;         // besides Host and the signature's
  std::string body;       // sent as is (PUT/POST)
  std::string body_file;  // or: the body streamed from this file
  uint64_t body_file_size = 0;
  std::string payload_hash;  // SigV4 payload hash; empty: SHA-256 of `body`
  std::string service = "s3";
  std::string region;
  AwsCredentials credentials;
  long timeout_ms = 60000;  // the whole transfer; 0: no limit (streaming GET)
  long connect_timeout_ms = 10000;
  // When set, the response body goes here instead of HttpReply::body; returning false aborts
  // the transfer (the result is then kCancelled).
  std::function<bool(const char* data, size_t size, long status)> sink;
  const std::atomic<bool>* cancel = nullptr;  // aborts the transfer when it becomes true
  size_t max_body_bytes = 32 << 20;           // a larger collected body is kCorruptInput
};

struct HttpReply {
  long status = 0;
  std::string body;  // unless a sink took it
  Params headers;    // names lower-cased, of the final response
  std::string Header(std::string_view name) const;
};

// Signs and performs `call` once. A transport failure (refused, reset, timed out, cut short)
// is kUnavailable / kTimeout; any HTTP answer, 4xx and 5xx included, is a reply.
Result<HttpReply> Perform(const HttpCall& call);

// One line naming an HTTP failure from S3's XML error body: "HTTP 403 AccessDenied: …".
std::string DescribeFailure(const HttpReply& reply);

// True for answers worth retrying: 5xx, 429 and 408.
bool RetryableHttp(long status);

// Headers and body are unreadable after a CR, LF or NUL; such values are refused.
bool SafeHeaderValue(std::string_view v);

}  // namespace ecompipe::storage::s3
