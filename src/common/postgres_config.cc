#include "common/postgres_config.h"

#include "common/postgres_db.h"

namespace ecompipe {
namespace {

bool TakePasswordEnvCopy(std::string url) { return !TakePasswordEnv(url).empty(); }

}  // namespace

Status ParsePasswordEnv(const ConfigReader& s, const std::string& url, std::string& out) {
  EP_RETURN_IF_ERROR(s.String("password_env", out));
  if (!s.Has("password_env")) return Status::Ok();
  if (!IsEnvVarName(out))
    return s.Error(s.Node("password_env"),
                   "'" + s.Path("password_env") +
                       "' must name an environment variable "
                       "(letters, digits and _, not starting with a digit), not '" +
                       out + "'");
  if (RedactConnInfo(url) != url || TakePasswordEnvCopy(url))
    return s.Error(s.Node("password_env"),
                   "'" + s.Path("password_env") +
                       "': the URL already gives a password; "
                       "give it in one place (password_env, and none in 'url')");
  return Status::Ok();
}

}  // namespace ecompipe
