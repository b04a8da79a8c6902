#include "api/http/api_config.h"

#include <set>

#include "api/http/connection_limits_config.h"

namespace ecompipe::api::http {
namespace {

Status ParseToken(const ConfigReader& k, ApiTokenConfig& token) {
  EP_RETURN_IF_ERROR(k.ExpectMap());
  EP_RETURN_IF_ERROR(k.CheckKeys({"name", "token_env", "token_file", "role"}));
  EP_RETURN_IF_ERROR(k.String("name", token.name, true));
  EP_RETURN_IF_ERROR(k.String("token_env", token.token_env));
  EP_RETURN_IF_ERROR(k.PathString("token_file", token.token_file));
  if (token.name.empty()) return k.Error(k.Node("name"), "'" + k.Path("name") + "' is empty");
  if (token.token_env.empty() == token.token_file.empty())
    return k.Error("'" + k.Path("token_env") +
                   "': give exactly one of 'token_env' (an environment variable holding the "
                   "token) and 'token_file' (a file holding it); tokens are never written here");
  if (!token.token_file.empty()) token.token_file = k.Resolve(token.token_file).string();
  std::string role;
  EP_RETURN_IF_ERROR(k.String("role", role, true));
  std::optional<Role> parsed = ParseRole(role);
  if (!parsed)
    return k.Error(k.Node("role"), "'" + k.Path("role") + "': unknown role '" + role +
                                       "' (the roles are: viewer, operator)");
  token.role = *parsed;
  return Status::Ok();
}

}  // namespace

Status ParseApiConfig(const ConfigReader& root, ApiConfig& api) {
  if (!root.Has("api")) return Status::Ok();
  ConfigReader r = root.Child("api");
  EP_RETURN_IF_ERROR(r.ExpectMap());
  EP_RETURN_IF_ERROR(
      r.CheckKeys({"listen", "tokens", "metrics", "tls", "header_timeout", "body_timeout",
                   "idle_timeout", "max_connections", "max_connections_per_address", "workers"}));
  api.enabled = true;
  EP_RETURN_IF_ERROR(ParseListen(r, api.host, api.port));
  EP_RETURN_IF_ERROR(ParseConnectionLimits(r, api.limits));
  EP_RETURN_IF_ERROR(
      r.List("tokens", api.tokens, [](const ConfigReader& k, const YAML::Node&, ApiTokenConfig& t) {
        return ParseToken(k, t);
      }));
  std::set<std::string> names;
  const YAML::Node list = r.Node("tokens");
  for (size_t i = 0; i < api.tokens.size(); ++i) {
    if (!names.insert(api.tokens[i].name).second)
      return r.Error(list[i], "'" + r.Path("tokens") + "[" + std::to_string(i) +
                                  "]': duplicate token name '" + api.tokens[i].name + "'");
  }
  std::string metrics = "token";
  EP_RETURN_IF_ERROR(r.String("metrics", metrics));
  if (metrics == "token") {
    api.metrics_access = Access::kViewer;
  } else if (metrics == "public") {
    api.metrics_access = Access::kPublic;
  } else {
    return r.Error(r.Node("metrics"),
                   "'" + r.Path("metrics") + "': '" + metrics + "' is not one of: token, public");
  }
  if (r.Has("tls")) {
    ConfigReader t = r.Child("tls");
    EP_RETURN_IF_ERROR(t.ExpectMap());
    EP_RETURN_IF_ERROR(t.CheckKeys({"cert", "key"}));
    ApiTlsConfig tls;
    EP_RETURN_IF_ERROR(t.PathString("cert", tls.cert, true));
    EP_RETURN_IF_ERROR(t.PathString("key", tls.key, true));
    tls.cert = t.Resolve(tls.cert).string();
    tls.key = t.Resolve(tls.key).string();
    api.tls = std::move(tls);
  }
  return Status::Ok();
}

}  // namespace ecompipe::api::http
