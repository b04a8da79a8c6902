// `api:` in ecompipe.yaml: where `ecompipe serve` serves the HTTP API (docs/operations.md), the
// tokens it accepts and their roles, who may read /metrics, and optional TLS.
//
//   api:
//     listen: 127.0.0.1:8080       # port 0 picks one; the log line names it
//     tokens:
//       - {name: grafana, token_env: EP_VIEWER_TOKEN, role: viewer}
//       - {name: oncall,  token_env: EP_OPERATOR_TOKEN, role: operator}
//     metrics: token               # or: public (a scraper without credentials)
//     tls: {cert: server.pem, key: server.key}   # optional
//
// plus the connection limits of the S3 endpoint (header_timeout, body_timeout, idle_timeout,
// max_connections, max_connections_per_address, workers). Absent, `serve` runs no API.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/http/connection_acceptor.h"
#include "api/http/router.h"
#include "api/http/token_auth.h"
#include "common/config_reader.h"
#include "common/status.h"

namespace ecompipe::api::http {

struct ApiTlsConfig {
  std::string cert;  // PEM certificate chain, resolved against the configuration's folder
  std::string key;   // PEM private key
};

struct ApiConfig {
  bool enabled = false;
  std::string host = "127.0.0.1";
  int port = 8080;
  std::vector<ApiTokenConfig> tokens;
  Access metrics_access = Access::kViewer;  // `metrics: token` (viewer) or `public`
  std::optional<ApiTlsConfig> tls;
  ConnectionLimits limits = DefaultApiLimits();

  // The S3 endpoint's limits with fewer workers: API requests are short reads.
  static ConnectionLimits DefaultApiLimits() {
    ConnectionLimits l;
    l.workers = 8;
    l.max_connections = 2048;
    return l;
  }
};

// Reads `api` of `root`; absent leaves `out` disabled.
Status ParseApiConfig(const ConfigReader& root, ApiConfig& out);

}  // namespace ecompipe::api::http
