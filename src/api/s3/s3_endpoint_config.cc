#include "api/s3/s3_endpoint_config.h"

#include <set>
#include <utility>

#include "api/http/connection_limits_config.h"

namespace ecompipe::api::s3 {

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
  EP_RETURN_IF_ERROR(http::ParseListen(r, ep.host, ep.port));
  EP_RETURN_IF_ERROR(r.String("region", ep.region));
  if (ep.region.empty()) return r.Error(r.Node("region"), "'s3_endpoint.region' must not be empty");
  EP_RETURN_IF_ERROR(http::ParseConnectionLimits(r, ep.limits));
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
