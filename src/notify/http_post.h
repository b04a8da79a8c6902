// One HTTP POST through libcurl. Used by webhook subscriptions and webhook rule targets.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace ecompipe::notify {

// Per-request transport settings.
struct HttpOptions {
  long timeout_ms = 10000;  // the whole request, connection included
  std::string ca_file;      // PEM bundle to verify the server's certificate; empty: system store
};

struct HttpResponse {
  long status = 0;
  std::string body;  // first 4 KiB
};

// POSTs `body` to `url` (http or https). Connection failures and timeouts are kUnavailable /
// kTimeout (retryable); a 5xx or 429 answer is kUnavailable; another non-2xx answer is
// kInvalidArgument (not retryable without a change on the receiver's side), and so is a
// malformed URL, a scheme other than http/https, or a header holding CR, LF or NUL. A TLS
// certificate that does not verify is kUnavailable, with libcurl's reason in the message.
Result<HttpResponse> HttpPost(const std::string& url, const std::string& body,
                              const std::vector<std::pair<std::string, std::string>>& headers,
                              const HttpOptions& options = {});

}  // namespace ecompipe::notify
