// `warehouse:` in ecompipe.yaml, as warehouse/warehouse_config.h reads it through the sqlite,
// postgres and redshift types' own parsers.
#include "warehouse/warehouse_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "testing/parse_config_text.h"
#include "warehouse/postgres/postgres_warehouse_config.h"
#include "warehouse/sqlite/sqlite_warehouse_config.h"

namespace ecompipe::warehouse {
namespace {

struct WarehouseOnly {
  WarehouseConfig warehouse;
};

Status ParseWarehouse(const ConfigReader& root, WarehouseOnly& out) {
  static const WarehouseFactory kFactory = [] {
    WarehouseFactory f;
    RegisterSqliteWarehouse(f);
    RegisterPostgresWarehouse(f);
    RegisterRedshiftWarehouse(f);
    return f;
  }();
  return ParseWarehouseConfig(root.Child("warehouse"), kFactory, out.warehouse);
}

WarehouseOnly ParseOrDie(const std::string& text) {
  return testing_util::ParseConfigOrDie<WarehouseOnly>(text, ParseWarehouse);
}
std::string ErrorOf(const std::string& text) {
  return testing_util::ConfigRejection<WarehouseOnly>(text, ParseWarehouse);
}

const PostgresWarehouseConfig& Pg(const WarehouseOnly& cfg) {
  static const PostgresWarehouseConfig kNone;
  const auto* pg = cfg.warehouse.As<PostgresWarehouseConfig>();
  EXPECT_NE(pg, nullptr);
  return pg ? *pg : kNone;
}

TEST(WarehouseConfigTest, UnknownKeyInWarehouse) {
  EXPECT_EQ(ErrorOf("warehouse:\n  typ: sqlite\n"),
            "ecompipe.yaml:2: unknown key 'warehouse.typ' (did you mean 'type'?)");
}

TEST(WarehouseConfigTest, PostgresWarehouseTakesUrlAndSchema) {
  WarehouseOnly cfg = ParseOrDie(
      "warehouse:\n  type: postgres\n  url: "
      "postgresql://loader@db.example:5432/dw?sslmode=require\n"
      "  schema: shop\n");
  EXPECT_EQ(cfg.warehouse.type, "postgres");
  EXPECT_EQ(Pg(cfg).url, "postgresql://loader@db.example:5432/dw?sslmode=require");
  EXPECT_EQ(Pg(cfg).schema, "shop");
  WarehouseOnly env = ParseOrDie("warehouse: {type: redshift}\n");
  EXPECT_EQ(env.warehouse.type, "redshift");
  EXPECT_EQ(Pg(env).url, "");  // libpq reads PGHOST, PGUSER, PGPASSWORD, ~/.pgpass
  WarehouseOnly kv = ParseOrDie("warehouse: {type: postgres, url: \"host=db dbname=dw\"}\n");
  EXPECT_EQ(Pg(kv).url, "host=db dbname=dw");
  EXPECT_EQ(Pg(kv).index_rebuild, IndexRebuild::kAuto);
  EXPECT_EQ(Pg(ParseOrDie("warehouse: {type: postgres, index_rebuild: never}\n")).index_rebuild,
            IndexRebuild::kNever);
}

TEST(WarehouseConfigTest, PostgresWarehouseSettingsAreCheckedWithTheirLine) {
  EXPECT_EQ(ErrorOf("warehouse:\n  type: postgres\n  url: db.example\n"),
            "ecompipe.yaml:3: 'warehouse.url' must be a postgresql:// URL or a key=value "
            "connection string "
            "(leave it out to use the PG* environment variables)");
  EXPECT_EQ(ErrorOf("warehouse:\n  type: postgres\n  path: wh.db\n"),
            "ecompipe.yaml:3: 'warehouse.path' applies to the sqlite warehouse only; postgres "
            "connects with "
            "'url' (or the PG* environment variables)");
  EXPECT_EQ(ErrorOf("warehouse:\n  type: sqlite\n  url: postgresql://h/db\n"),
            "ecompipe.yaml:3: 'warehouse.url' applies to postgres and redshift warehouses only "
            "(this one is sqlite)");
  EXPECT_EQ(ErrorOf("warehouse:\n  type: postgres\n  schema: \"shop; DROP\"\n"),
            "ecompipe.yaml:3: 'warehouse.schema' must be a plain identifier (letters, digits, _; "
            "not starting "
            "with a digit; at most 63 characters)");
  EXPECT_EQ(ErrorOf("warehouse:\n  type: postgres\n  ur: postgresql://h/db\n"),
            "ecompipe.yaml:3: unknown key 'warehouse.ur' (did you mean 'url'?)");
  EXPECT_EQ(ErrorOf("warehouse:\n  type: postgres\n  index_rebuild: sometimes\n"),
            "ecompipe.yaml:3: 'warehouse.index_rebuild': 'sometimes' is not supported (allowed: "
            "auto, always, never)");
  EXPECT_EQ(ErrorOf("warehouse:\n  type: redshift\n  index_rebuild: always\n"),
            "ecompipe.yaml:3: 'warehouse.index_rebuild' applies to the postgres warehouse only");
}

TEST(WarehouseConfigTest, RedshiftStagingTakesBucketRoleAndThresholds) {
  WarehouseOnly cfg = ParseOrDie(
      "warehouse:\n  type: redshift\n  staging:\n    bucket: rs-staging\n    prefix: wh/staging\n"
      "    region: eu-west-1\n    iam_role: arn:aws:iam::123456789012:role/copy\n    min_rows: "
      "5000\n"
      "    part_mb: 16\n");
  const RedshiftStagingConfig& st = Pg(cfg).staging;
  EXPECT_TRUE(st.enabled());
  EXPECT_EQ(st.bucket, "rs-staging");
  EXPECT_EQ(st.prefix, "wh/staging");
  EXPECT_EQ(st.server.region, "eu-west-1");
  EXPECT_EQ(st.iam_role, "arn:aws:iam::123456789012:role/copy");
  EXPECT_EQ(st.min_rows, 5000);
  EXPECT_EQ(st.part_mb, 16);
  WarehouseOnly defaults =
      ParseOrDie("warehouse:\n  type: redshift\n  staging: {bucket: b-staging}\n");
  EXPECT_EQ(Pg(defaults).staging.prefix, "ecompipe-staging");
  EXPECT_EQ(Pg(defaults).staging.min_rows, 100000);
  EXPECT_EQ(Pg(defaults).staging.part_mb, 64);
  EXPECT_EQ(Pg(defaults).staging.iam_role, "");  // COPY then uses the upload key
  EXPECT_FALSE(Pg(ParseOrDie("warehouse: {type: redshift}\n")).staging.enabled());
}

TEST(WarehouseConfigTest, RedshiftStagingSettingsAreCheckedWithTheirLine) {
  const std::string head = "warehouse:\n  type: redshift\n  staging:\n    bucket: b-staging\n";
  EXPECT_EQ(ErrorOf("warehouse:\n  type: postgres\n  staging: {bucket: b}\n"),
            "ecompipe.yaml:3: 'warehouse.staging' applies to the redshift warehouse only "
            "(PostgreSQL and SQLite "
            "load from the client directly)");
  EXPECT_EQ(ErrorOf("warehouse:\n  type: redshift\n  staging:\n    prefix: p\n"),
            "ecompipe.yaml:4: missing required key 'warehouse.staging.bucket'");
  EXPECT_EQ(ErrorOf(head + "    iam_role: copy-role\n"),
            "ecompipe.yaml:5: 'warehouse.staging.iam_role' must be an IAM role ARN "
            "(arn:aws:iam::<account>:role/<name>)");
  EXPECT_EQ(ErrorOf(head + "    min_rows: 0\n"),
            "ecompipe.yaml:5: 'warehouse.staging.min_rows' must be between 1 and 1099511627776");
  EXPECT_EQ(ErrorOf(head + "    part_mb: 5000\n"),
            "ecompipe.yaml:5: 'warehouse.staging.part_mb' must be between 1 and 4096");
  EXPECT_EQ(
      ErrorOf(head + "    prefix: /staging/\n"),
      "ecompipe.yaml:5: 'warehouse.staging.prefix' must not start or end with '/' nor hold '//' "
      "(e.g. ecompipe-staging or warehouse/staging)");
  EXPECT_EQ(ErrorOf(head + "    endpoint: minio:9000\n"),
            "ecompipe.yaml:5: 'warehouse.staging.endpoint' must start with http:// or https://");
  EXPECT_EQ(ErrorOf(head + "    access_key_id: AKID\n"),
            "ecompipe.yaml:4: give both 'warehouse.staging.access_key_id' and "
            "'warehouse.staging.secret_access_key', or neither (then AWS_ACCESS_KEY_ID / "
            "AWS_SECRET_ACCESS_KEY "
            "are used)");
  EXPECT_EQ(ErrorOf(head + "    min_row: 10\n"),
            "ecompipe.yaml:5: unknown key 'warehouse.staging.min_row' (did you mean 'min_rows'?)");
}

TEST(WarehouseConfigTest, OnlySupportedTypesAreAccepted) {
  EXPECT_EQ(ErrorOf("warehouse:\n  type: oracle\n"),
            "ecompipe.yaml:2: 'warehouse.type': 'oracle' is not supported (allowed: sqlite, "
            "postgres, redshift)");
}

// Regression: `path: ""` made the warehouse the config's own folder.
TEST(WarehouseConfigTest, AnEmptyPathIsRejected) {
  EXPECT_EQ(ErrorOf("warehouse:\n  path: ''\n"),
            "ecompipe.yaml:2: 'warehouse.path' must not be empty");
}

TEST(WarehouseConfigTest, PasswordEnvNamesTheVariableAndNeverHoldsThePassword) {
  WarehouseOnly cfg = ParseOrDie(
      "warehouse:\n  type: postgres\n  url: postgresql://loader@db/dw?sslmode=require\n  "
      "password_env: EP_WH_PASSWORD\n");
  EXPECT_EQ(Pg(cfg).password_env, "EP_WH_PASSWORD");
  EXPECT_EQ(Pg(cfg).url, "postgresql://loader@db/dw?sslmode=require");
  EXPECT_EQ(Pg(cfg).ConnInfo(),
            "postgresql://loader@db/dw?sslmode=require&password_env=EP_WH_PASSWORD");
  WarehouseOnly kv =
      ParseOrDie("warehouse: {type: redshift, url: \"host=db dbname=dw\", password_env: PW}\n");
  EXPECT_EQ(Pg(kv).ConnInfo(), "host=db dbname=dw password_env=PW");
  WarehouseOnly env = ParseOrDie("warehouse: {type: postgres, password_env: PW}\n");
  EXPECT_EQ(Pg(env).ConnInfo(), "password_env=PW");
}

TEST(WarehouseConfigTest, PasswordEnvIsCheckedWithItsLine) {
  EXPECT_EQ(ErrorOf("warehouse:\n  type: postgres\n  password_env: \"1PW\"\n"),
            "ecompipe.yaml:3: 'warehouse.password_env' must name an environment variable (letters, "
            "digits and _, "
            "not starting with a digit), not '1PW'");
  EXPECT_EQ(
      ErrorOf("warehouse:\n  type: postgres\n  url: postgresql://u:pw@h/db\n  password_env: PW\n"),
      "ecompipe.yaml:4: 'warehouse.password_env': the URL already gives a password; give it in one "
      "place "
      "(password_env, and none in 'url')");
  EXPECT_EQ(
      ErrorOf("warehouse:\n  type: postgres\n  url: \"host=h password=pw\"\n  password_env: PW\n"),
      "ecompipe.yaml:4: 'warehouse.password_env': the URL already gives a password; give it in one "
      "place "
      "(password_env, and none in 'url')");
  EXPECT_EQ(ErrorOf("warehouse:\n  type: sqlite\n  password_env: PW\n"),
            "ecompipe.yaml:3: 'warehouse.password_env' applies to postgres and redshift warehouses "
            "only (this one is "
            "sqlite)");
  EXPECT_EQ(ErrorOf("warehouse:\n  type: postgres\n  password: x\n"),
            "ecompipe.yaml:3: unknown key 'warehouse.password' (allowed: type, path, url, "
            "password_env, schema, staging, index_rebuild)");
}

}  // namespace
}  // namespace ecompipe::warehouse
