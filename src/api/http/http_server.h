// HttpServer: the HTTP server of ecompipe's API (docs/operations.md). `ecompipe serve` runs it
// when ecompipe.yaml has an `api` section; it serves whatever routes it is given (the JSON API
// under /api/v1/, /healthz and /readyz, /metrics) through one front door:
//
//   ConnectionAcceptor (api/http/connection_acceptor.h)  slow and idle clients cost no worker
//     -> cpp-httplib's request parsing (as the S3 endpoint)
//     -> path checks: a segment "." or "..", a NUL or control character is 400, never routed
//     -> Router::Find: 404 unknown path, 405 known path with another method
//     -> TokenAuth::Check: 401 no or wrong token, 403 role too low, 429 after failed attempts
//     -> the route's handler -> the answer; calls other than GET/HEAD go to `audit` too.
//
// Bodies are at most kMaxBodyBytes. Tokens are never logged; the access log line names the
// token's name, never its text.
//
// Thread-safety: Start() and Stop() from one thread; handlers run on the acceptor's worker
// threads; ReloadTokens() from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "api/http/api_config.h"
#include "api/http/connection_acceptor.h"
#include "api/http/router.h"
#include "api/http/token_auth.h"
#include "common/status.h"

namespace ecompipe::api::http {

// A call that may have changed something (any method but GET and HEAD), after it was answered.
struct AuditRecord {
  std::string principal;  // the token's name ("" for a public route called without one)
  std::string role;       // viewer, operator, or ""
  std::string method;
  std::string path;
  std::string client_address;
  int status = 0;
  int64_t time_ms = 0;  // wall clock, when it was answered
};
using AuditFn = std::function<void(const AuditRecord&)>;

class HttpServer {
 public:
  static constexpr size_t kMaxBodyBytes = 1 << 20;

  // Resolves the tokens (their environment variables), binds config.host:config.port and starts
  // serving `router`'s routes. kInvalidArgument for a token that cannot be read; kUnavailable
  // when the address cannot be bound; for TLS, kInvalidArgument when the certificate or key
  // cannot be loaded.
  static Result<std::unique_ptr<HttpServer>> Start(const ApiConfig& config, Router router,
                                                   AuditFn audit = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Stops accepting, shuts down requests in flight and joins the threads. Idempotent.
  void Stop();
  int port() const { return port_; }
  const Router& router() const { return router_; }

  // Re-reads the tokens' environment variables (SIGHUP). On error the old tokens stay.
  Status ReloadTokens(const std::vector<ApiTokenConfig>& tokens);

 private:
  HttpServer(const ApiConfig& config, Router router, AuditFn audit);
  class Engine;

  ApiConfig config_;
  Router router_;
  AuditFn audit_;
  TokenAuth auth_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<ConnectionAcceptor> acceptor_;
  int port_ = 0;
};

// The query of a request target ("/p?a=1&b=x%3Dy"), split at '&' and at each pair's first '='
// (a value may hold '=' unencoded: ?key=transactions/year=2026/...), percent- and '+'-decoded.
std::multimap<std::string, std::string> ParseQuery(const std::string& target);

// Whether a decoded request path may be routed: it starts with '/', has no segment "." or
// "..", and no NUL, control character or backslash.
bool IsCleanPath(const std::string& path);

}  // namespace ecompipe::api::http
