// warehouse: {type: postgres | redshift}: the star schema in PostgreSQL or Redshift, reached
// over libpq; Redshift may stage large loads to S3 (`staging`, docs/warehouse.md).
#pragma once

#include <cstdint>
#include <string>

#include "common/config_reader.h"
#include "common/status.h"
#include "storage/s3/s3_store_config.h"
#include "warehouse/postgres/postgres_warehouse.h"
#include "warehouse/warehouse_config.h"

namespace ecompipe::warehouse {

// warehouse.staging (redshift only): large loads staged to S3 and loaded with COPY ... FROM
// 's3://...'.
struct RedshiftStagingConfig {
  std::string bucket;                       // empty: no S3 staging, every load uses INSERTs
  std::string prefix = "ecompipe-staging";  // no leading or trailing '/'
  storage::s3::S3ServerConfig server;       // the staging bucket's server and keys
  std::string iam_role;        // the role Redshift assumes for COPY; empty: the keys above
  int64_t min_rows = 100'000;  // loads with fewer fact rows use INSERTs
  int64_t part_mb = 64;        // CSV MiB per staged part, before compression

  bool enabled() const { return !bucket.empty(); }
};

struct PostgresWarehouseConfig {
  SqlDialect dialect = SqlDialect::kPostgres;  // kRedshift for type redshift
  std::string url;           // libpq URL or conninfo; "" = PG* environment variables
  std::string schema;        // schema for the tables; "" = search_path
  std::string password_env;  // the variable holding the password; "" = none
  IndexRebuild index_rebuild = IndexRebuild::kAuto;  // postgres only
  RedshiftStagingConfig staging;                     // redshift only

  // What PostgresDb::Connect() takes: url with password_env (never the password itself).
  std::string ConnInfo() const;
  // The options PostgresWarehouse::Open takes: the connection, the dialect, and for redshift
  // the S3 staging (credentials from AWS_* when the configuration has none).
  PostgresWarehouseOptions Options() const;
};

// Reads {type: postgres | redshift, url, password_env, schema, index_rebuild (postgres),
// staging (redshift)}, as `dialect` (kRedshift for redshift); `path` is refused with the reason.
Status ParsePostgresWarehouseConfig(const ConfigReader& section, SqlDialect dialect,
                                    WarehouseConfig& out);

// Register the types `postgres` and `redshift`.
void RegisterPostgresWarehouse(WarehouseFactory& factory);
void RegisterRedshiftWarehouse(WarehouseFactory& factory);

}  // namespace ecompipe::warehouse
