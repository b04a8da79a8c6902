#include "warehouse/postgres/postgres_warehouse_config.h"

#include <cctype>

#include "common/postgres_config.h"
#include "common/postgres_db.h"

namespace ecompipe::warehouse {
namespace {

// warehouse.staging: the S3 bucket Redshift's large loads are staged to. Credentials may come
// from the environment, so they are not required here.
Status ParseRedshiftStaging(const ConfigReader& s, RedshiftStagingConfig& st) {
  storage::s3::S3ServerConfig& server = st.server;
  EP_RETURN_IF_ERROR(s.ExpectMap());
  EP_RETURN_IF_ERROR(
      s.CheckKeys({"bucket", "prefix", "endpoint", "region", "addressing", "access_key_id",
                   "secret_access_key", "iam_role", "min_rows", "part_mb"}));
  EP_RETURN_IF_ERROR(s.String("bucket", st.bucket, true));
  EP_RETURN_IF_ERROR(s.String("prefix", st.prefix));
  if (st.prefix.starts_with('/') || st.prefix.ends_with('/') ||
      st.prefix.find("//") != std::string::npos)
    return s.Error(s.Node("prefix"), "'" + s.Path("prefix") +
                                         "' must not start or end with '/' nor hold '//' "
                                         "(e.g. ecompipe-staging or warehouse/staging)");
  EP_RETURN_IF_ERROR(s.String("endpoint", server.endpoint));
  if (!server.endpoint.empty() && !server.endpoint.starts_with("http://") &&
      !server.endpoint.starts_with("https://"))
    return s.Error(s.Node("endpoint"),
                   "'" + s.Path("endpoint") + "' must start with http:// or https://");
  EP_RETURN_IF_ERROR(s.String("region", server.region));
  if (server.region.empty())
    return s.Error(s.Node("region"), "'" + s.Path("region") + "' must not be empty");
  EP_RETURN_IF_ERROR(s.String("addressing", server.addressing));
  if (!server.addressing.empty() && server.addressing != "path" && server.addressing != "virtual")
    return s.Error(s.Node("addressing"),
                   "'" + s.Path("addressing") + "' must be 'path' or 'virtual'");
  EP_RETURN_IF_ERROR(s.String("access_key_id", server.access_key_id));
  EP_RETURN_IF_ERROR(s.String("secret_access_key", server.secret_access_key));
  if (server.access_key_id.empty() != server.secret_access_key.empty())
    return s.Error("give both '" + s.Path("access_key_id") + "' and '" +
                   s.Path("secret_access_key") +
                   "', or neither (then AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are used)");
  EP_RETURN_IF_ERROR(s.String("iam_role", st.iam_role));
  if (s.Has("iam_role") &&
      (!st.iam_role.starts_with("arn:") || st.iam_role.find(":role/") == std::string::npos))
    return s.Error(s.Node("iam_role"), "'" + s.Path("iam_role") +
                                           "' must be an IAM role ARN "
                                           "(arn:aws:iam::<account>:role/<name>)");
  EP_RETURN_IF_ERROR(s.Int("min_rows", st.min_rows, 1, int64_t{1} << 40));
  EP_RETURN_IF_ERROR(s.Int("part_mb", st.part_mb, 1, 4096));
  return Status::Ok();
}

WarehouseType PostgresType(SqlDialect dialect) {
  WarehouseType type;
  type.keys = {"path", "url", "password_env", "schema", "staging", "index_rebuild"};
  type.parse = [dialect](const ConfigReader& s, WarehouseConfig& out) {
    return ParsePostgresWarehouseConfig(s, dialect, out);
  };
  type.open = [](const WarehouseConfig& c) -> Result<std::unique_ptr<Warehouse>> {
    const auto* pg = c.As<PostgresWarehouseConfig>();
    if (!pg) return Status(StatusCode::kInternal, "not a postgres warehouse's settings");
    EP_ASSIGN_OR_RETURN(auto wh, PostgresWarehouse::Open(pg->Options()));
    return std::unique_ptr<Warehouse>(std::move(wh));
  };
  type.describe = [](const WarehouseConfig& c) {
    const auto* pg = c.As<PostgresWarehouseConfig>();
    return pg ? c.type + " " + RedactConnInfo(pg->ConnInfo()) : std::string();
  };
  return type;
}

}  // namespace

std::string PostgresWarehouseConfig::ConnInfo() const { return WithPasswordEnv(url, password_env); }

PostgresWarehouseOptions PostgresWarehouseConfig::Options() const {
  PostgresWarehouseOptions options;
  options.url = ConnInfo();
  options.schema = schema;
  options.dialect = dialect;
  options.index_rebuild = index_rebuild;
  if (staging.enabled()) {
    options.staging.s3 = staging.server.Settings(staging.bucket);
    options.staging.prefix = staging.prefix;
    options.staging.iam_role = staging.iam_role;
    options.staging.min_rows = staging.min_rows;
    options.staging.part_bytes = static_cast<size_t>(staging.part_mb) << 20;
  }
  return options;
}

Status ParsePostgresWarehouseConfig(const ConfigReader& s, SqlDialect dialect,
                                    WarehouseConfig& out) {
  PostgresWarehouseConfig pg;
  pg.dialect = dialect;
  EP_RETURN_IF_ERROR(
      s.Forbid("path", "applies to the sqlite warehouse only; " + out.type +
                           " connects with 'url' (or the PG* environment variables)"));
  EP_RETURN_IF_ERROR(s.String("url", pg.url));
  const std::string& url = pg.url;
  // A URL, a key=value conninfo, or nothing (libpq then reads PGHOST, PGUSER, ...).
  if (s.Has("url") && !url.starts_with("postgresql://") && !url.starts_with("postgres://") &&
      url.find('=') == std::string::npos)
    return s.Error(s.Node("url"),
                   "'warehouse.url' must be a postgresql:// URL or a key=value connection "
                   "string (leave it out to use the PG* environment variables)");
  EP_RETURN_IF_ERROR(ParsePasswordEnv(s, url, pg.password_env));
  EP_RETURN_IF_ERROR(s.String("schema", pg.schema));
  const std::string& schema = pg.schema;
  bool identifier = !schema.empty() && schema.size() <= 63 &&
                    !std::isdigit(static_cast<unsigned char>(schema[0]));
  for (char ch : schema)
    identifier = identifier && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_');
  if (s.Has("schema") && !identifier)
    return s.Error(s.Node("schema"),
                   "'warehouse.schema' must be a plain identifier (letters, digits, _; "
                   "not starting with a digit; at most 63 characters)");
  if (pg.dialect != SqlDialect::kPostgres) {
    EP_RETURN_IF_ERROR(s.Forbid("index_rebuild", "applies to the postgres warehouse only"));
  } else {
    std::string rebuild = "auto";
    EP_RETURN_IF_ERROR(s.String("index_rebuild", rebuild));
    if (rebuild == "auto") {
      pg.index_rebuild = IndexRebuild::kAuto;
    } else if (rebuild == "always") {
      pg.index_rebuild = IndexRebuild::kAlways;
    } else if (rebuild == "never") {
      pg.index_rebuild = IndexRebuild::kNever;
    } else {
      return s.Error(s.Node("index_rebuild"), "'warehouse.index_rebuild': '" + rebuild +
                                                  "' is not supported (allowed: auto, always, "
                                                  "never)");
    }
  }
  if (pg.dialect != SqlDialect::kRedshift) {
    EP_RETURN_IF_ERROR(s.Forbid("staging",
                                "applies to the redshift warehouse only (PostgreSQL and SQLite "
                                "load from the client directly)"));
  } else if (s.Has("staging")) {
    EP_RETURN_IF_ERROR(ParseRedshiftStaging(s.Child("staging"), pg.staging));
  }
  out.settings = std::move(pg);
  return Status::Ok();
}

void RegisterPostgresWarehouse(WarehouseFactory& factory) {
  factory.Register("postgres", PostgresType(SqlDialect::kPostgres));
}

void RegisterRedshiftWarehouse(WarehouseFactory& factory) {
  factory.Register("redshift", PostgresType(SqlDialect::kRedshift));
}

}  // namespace ecompipe::warehouse
