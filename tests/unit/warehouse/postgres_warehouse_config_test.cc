// warehouse: {type: postgres | redshift} as PostgresWarehouse::Open receives it.
#include "warehouse/postgres/postgres_warehouse_config.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace ecompipe::warehouse {
namespace {

// warehouse.staging as the Redshift warehouse receives it.
TEST(PostgresWarehouseConfigTest, RedshiftStagingBecomesTheWarehouseStagingOptions) {
  PostgresWarehouseConfig c;
  c.dialect = SqlDialect::kRedshift;
  c.url = "postgresql://loader@cluster:5439/dev";
  c.staging.bucket = "rs-staging";
  c.staging.prefix = "wh/staging";
  c.staging.server.region = "eu-west-1";
  c.staging.iam_role = "arn:aws:iam::123456789012:role/copy";
  c.staging.server.access_key_id = "AKIDSTAGING";
  c.staging.server.secret_access_key = "staging-secret";
  c.staging.min_rows = 5000;
  c.staging.part_mb = 16;
  PostgresWarehouseOptions o = c.Options();
  EXPECT_EQ(o.dialect, SqlDialect::kRedshift);
  EXPECT_TRUE(o.staging.enabled());
  EXPECT_EQ(o.staging.s3.bucket, "rs-staging");
  EXPECT_EQ(o.staging.s3.region, "eu-west-1");
  EXPECT_EQ(o.staging.s3.endpoint, "");  // AWS: S3ObjectStore::Open derives it from the region
  EXPECT_EQ(o.staging.s3.addressing, storage::s3::Addressing::kVirtual);
  EXPECT_EQ(o.staging.s3.credentials.access_key_id, "AKIDSTAGING");
  EXPECT_EQ(o.staging.prefix, "wh/staging");
  EXPECT_EQ(o.staging.min_rows, 5000);
  EXPECT_EQ(o.staging.part_bytes, size_t{16} << 20);
  EXPECT_EQ(o.staging.CopyCredentials().iam_role, "arn:aws:iam::123456789012:role/copy");
}

TEST(PostgresWarehouseConfigTest, StagingKeysComeFromTheEnvironmentWhenNotConfigured) {
  setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "env-secret", 1);
  setenv("AWS_SESSION_TOKEN", "env-token", 1);
  PostgresWarehouseConfig c;
  c.dialect = SqlDialect::kRedshift;
  c.staging.bucket = "rs-staging";
  c.staging.server.endpoint = "http://127.0.0.1:9000";
  PostgresWarehouseOptions o = c.Options();
  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_SECRET_ACCESS_KEY");
  unsetenv("AWS_SESSION_TOKEN");
  EXPECT_EQ(o.staging.s3.addressing, storage::s3::Addressing::kPath);  // an endpoint: path style
  // No iam_role: COPY authenticates with the same key as the uploads.
  const S3CopyCredentials copy = o.staging.CopyCredentials();
  EXPECT_EQ(copy.iam_role, "");
  EXPECT_EQ(copy.access_key_id, "AKIDENV");
  EXPECT_EQ(copy.secret_access_key, "env-secret");
  EXPECT_EQ(copy.session_token, "env-token");
}

TEST(PostgresWarehouseConfigTest, PostgresHasNoStaging) {
  PostgresWarehouseConfig c;
  c.schema = "shop";
  PostgresWarehouseOptions o = c.Options();
  EXPECT_EQ(o.dialect, SqlDialect::kPostgres);
  EXPECT_EQ(o.schema, "shop");
  EXPECT_FALSE(o.staging.enabled());
  EXPECT_EQ(o.index_rebuild, IndexRebuild::kAuto);
  c.index_rebuild = IndexRebuild::kAlways;
  EXPECT_EQ(c.Options().index_rebuild, IndexRebuild::kAlways);
  c.index_rebuild = IndexRebuild::kNever;
  EXPECT_EQ(c.Options().index_rebuild, IndexRebuild::kNever);
}

}  // namespace
}  // namespace ecompipe::warehouse
