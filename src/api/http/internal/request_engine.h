// RequestEngine: cpp-httplib's request processing (parsing, Expect: 100-continue, routing,
// content readers, answers) over a connection the ConnectionAcceptor lends; its own accept loop
// and thread pool are never used. process_request is protected in cpp-httplib 0.11 and exactly
// the per-request step needed. The S3 endpoint and the API server each derive one and add their
// handlers.
//
// Thread-safety: ServeOne() from the acceptor's workers, one connection each.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "api/http/connection_acceptor.h"

namespace ecompipe::api::http {

class RequestEngine : public httplib::Server {
 public:
  static constexpr int kMaxRequestsPerConnection = 1000;

  // Sets the keep-alive count, and a post-routing hook noting an answer that says "Connection:
  // close" (a derived engine must not replace it: OnAnswered adds to it).
  RequestEngine();

  // Called for every answer written (refusals before a handler included), with its final
  // status, on the worker's thread. Set before serving.
  void OnAnswered(std::function<void(const httplib::Request&, httplib::Response&)> hook) {
    answered_ = std::move(hook);
  }

  // Serves the next request of `conn` (its head is complete in `conn.buffered`); a body or an
  // answer stalls at most `body_timeout_ms`. kKeepAlive leaves what arrived past the request in
  // `conn.buffered`.
  AfterRequest ServeOne(AcceptedConnection& conn, int64_t body_timeout_ms);

 private:
  std::function<void(const httplib::Request&, httplib::Response&)> answered_;
};

// `text` with control characters and backslashes as \xNN, so that a hostile path or key cannot
// forge log lines.
std::string EscapedForLog(std::string_view text);

}  // namespace ecompipe::api::http
