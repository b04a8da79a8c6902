// Configuration keys shared by the components that connect to PostgreSQL (the state store and
// the postgres/redshift warehouse).
#pragma once

#include <string>

#include "common/config_reader.h"
#include "common/status.h"

namespace ecompipe {

// password_env: NAME: the password is read from that environment variable when connecting, so
// the file never holds it. Refused unless NAME is a variable name, and beside a URL that already
// gives a password (it would be in two places). Absent leaves `out` as it is.
Status ParsePasswordEnv(const ConfigReader& r, const std::string& url, std::string& out);

}  // namespace ecompipe
