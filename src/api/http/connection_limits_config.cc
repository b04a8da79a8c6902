#include "api/http/connection_limits_config.h"

#include <charconv>
#include <utility>

namespace ecompipe::api::http {

Status ParseListen(const ConfigReader& r, std::string& host, int& port_out) {
  std::string listen = host + ":" + std::to_string(port_out);
  EP_RETURN_IF_ERROR(r.String("listen", listen));
  const size_t colon = listen.rfind(':');
  int port = -1;
  if (colon != std::string::npos && colon > 0) {
    const char* b = listen.data() + colon + 1;
    const char* e = listen.data() + listen.size();
    auto [p, ec] = std::from_chars(b, e, port);
    if (ec != std::errc() || p != e || b == e) port = -1;
  }
  if (port < 0 || port > 65535)
    return r.Error(r.Node("listen"), "'" + r.Path("listen") + "': '" + listen +
                                         "' is not HOST:PORT (e.g. 127.0.0.1:" +
                                         std::to_string(port_out) + "; port 0 picks a free one)");
  host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  port_out = port;
  return Status::Ok();
}

Status ParseConnectionLimits(const ConfigReader& r, ConnectionLimits& l) {
  for (auto [key, ms] : {std::pair{"header_timeout", &l.header_timeout_ms},
                         std::pair{"body_timeout", &l.body_timeout_ms},
                         std::pair{"idle_timeout", &l.idle_timeout_ms}}) {
    EP_RETURN_IF_ERROR(r.Duration(key, *ms));
    if (*ms < 100 || *ms > 3'600'000)
      return r.Error(r.Node(key), "'" + r.Path(key) + "' must be between 100ms and 1h");
  }
  int64_t total = l.max_connections, per_address = l.max_connections_per_address,
          workers = l.workers;
  EP_RETURN_IF_ERROR(r.Int("max_connections", total, 1, 1'000'000));
  EP_RETURN_IF_ERROR(r.Int("max_connections_per_address", per_address, 1, 1'000'000));
  EP_RETURN_IF_ERROR(r.Int("workers", workers, 1, 1024));
  l.max_connections = static_cast<int>(total);
  l.max_connections_per_address = static_cast<int>(per_address);
  l.workers = static_cast<int>(workers);
  return Status::Ok();
}

}  // namespace ecompipe::api::http
