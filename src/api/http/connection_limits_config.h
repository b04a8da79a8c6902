// The timeouts and connection caps of an HTTP server (ConnectionLimits), as the s3_endpoint and
// api sections of ecompipe.yaml give them: header_timeout, body_timeout, idle_timeout,
// max_connections, max_connections_per_address, workers.
#pragma once

#include <string>

#include "api/http/connection_acceptor.h"
#include "common/config_reader.h"
#include "common/status.h"

namespace ecompipe::api::http {

// Reads `listen` ("HOST:PORT", "[::1]:PORT"; port 0 picks a free one) of `r` into `host` and
// `port`, which hold the default when it is left out.
Status ParseListen(const ConfigReader& r, std::string& host, int& port);

// Reads those keys of `r` into `limits`; a key left out keeps its value. The caller checks the
// section's keys (CheckKeys) first.
Status ParseConnectionLimits(const ConfigReader& r, ConnectionLimits& limits);

}  // namespace ecompipe::api::http
