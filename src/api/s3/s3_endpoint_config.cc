#include "api/s3/s3_endpoint_config.h"

#include <charconv>
#include <set>
#include <utility>

namespace ecompipe::api::s3 {
namespace {

// s3_endpoint's timeouts and connection caps (api/s3/connection_acceptor.h).
Status ParseS3ConnectionLimits(const ConfigReader& r, ConnectionLimits& l) {
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

}  // namespace

// s3_endpoint: {listen: "127.0.0.1:9000", region: us-east-1, access_keys: [{id, secret |
// secret_env}], header_timeout, body_timeout, idle_timeout, max_connections,
// max_connections_per_address, workers, multipart_expiry}
Status ParseS3EndpointConfig(const ConfigReader& root, S3EndpointConfig& ep) {
  if (!root.Has("s3_endpoint")) return Status::Ok();
  ConfigReader r = root.Child("s3_endpoint");
  EP_RETURN_IF_ERROR(r.ExpectMap());
  EP_RETURN_IF_ERROR(r.CheckKeys({"listen", "region", "access_keys", "header_timeout",
                                  "body_timeout", "idle_timeout", "max_connections",
                                  "max_connections_per_address", "workers", "multipart_expiry"}));
  EP_RETURN_IF_ERROR(r.Duration("multipart_expiry", ep.multipart_expiry_ms));
  ep.enabled = true;
  std::string listen = ep.host + ":" + std::to_string(ep.port);
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
    return r.Error(r.Node("listen"),
                   "'s3_endpoint.listen': '" + listen +
                       "' is not HOST:PORT (e.g. 127.0.0.1:9000; port 0 picks a free one)");
  ep.host = listen.substr(0, colon);
  if (ep.host.size() > 2 && ep.host.front() == '[' && ep.host.back() == ']')
    ep.host = ep.host.substr(1, ep.host.size() - 2);
  ep.port = port;
  EP_RETURN_IF_ERROR(r.String("region", ep.region));
  if (ep.region.empty()) return r.Error(r.Node("region"), "'s3_endpoint.region' must not be empty");
  EP_RETURN_IF_ERROR(ParseS3ConnectionLimits(r, ep.limits));
  const YAML::Node keys = r.Node("access_keys");
  if (!r.Has("access_keys") || !keys.IsSequence() || keys.size() == 0)
    return r.Error(
        r.Has("access_keys") ? keys : r.node(),
        "'s3_endpoint.access_keys' must be a non-empty list of {id, secret} or {id, secret_env}: "
        "every request to the endpoint is signed (AWS Signature Version 4)");
  std::set<std::string> ids;
  for (size_t i = 0; i < keys.size(); ++i) {
    ConfigReader k = r.Child("access_keys").Item(keys[i], i);
    EP_RETURN_IF_ERROR(k.ExpectMap());
    EP_RETURN_IF_ERROR(k.CheckKeys({"id", "secret", "secret_env"}));
    S3AccessKey key;
    EP_RETURN_IF_ERROR(k.String("id", key.id, true));
    EP_RETURN_IF_ERROR(k.String("secret", key.secret));
    EP_RETURN_IF_ERROR(k.String("secret_env", key.secret_env));
    if (key.secret.empty() == key.secret_env.empty())
      return k.Error("'" + k.Path("secret") +
                     "': give exactly one of 'secret' and 'secret_env' (an "
                     "environment variable holding the secret)");
    if (!ids.insert(key.id).second)
      return k.Error(k.Node("id"), "duplicate access key id '" + key.id + "'");
    ep.access_keys.push_back(std::move(key));
  }
  return Status::Ok();
}

}  // namespace ecompipe::api::s3
