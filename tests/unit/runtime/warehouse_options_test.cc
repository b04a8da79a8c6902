#include <gtest/gtest.h>

#include <cstdlib>

#include "runtime/config.h"
#include "runtime/pipeline.h"

namespace ecompipe::runtime {
namespace {

// warehouse.staging as the Redshift warehouse receives it.
TEST(WarehouseOptionsTest, RedshiftStagingBecomesTheWarehouseStagingOptions) {
  WarehouseConfig c;
  c.type = "redshift";
  c.url = "postgresql://loader@cluster:5439/dev";
  c.staging.bucket = "rs-staging";
  c.staging.prefix = "wh/staging";
  c.staging.region = "eu-west-1";
  c.staging.iam_role = "arn:aws:iam::123456789012:role/copy";
  c.staging.access_key_id = "AKIDSTAGING";
  c.staging.secret_access_key = "staging-secret";
  c.staging.min_rows = 5000;
  c.staging.part_mb = 16;
  warehouse::PostgresWarehouseOptions o = PostgresWarehouseOptionsFrom(c);
  EXPECT_EQ(o.dialect, warehouse::SqlDialect::kRedshift);
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

TEST(WarehouseOptionsTest, StagingKeysComeFromTheEnvironmentWhenNotConfigured) {
  setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "env-secret", 1);
  setenv("AWS_SESSION_TOKEN", "env-token", 1);
  WarehouseConfig c;
  c.type = "redshift";
  c.staging.bucket = "rs-staging";
  c.staging.endpoint = "http://127.0.0.1:9000";
  warehouse::PostgresWarehouseOptions o = PostgresWarehouseOptionsFrom(c);
  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_SECRET_ACCESS_KEY");
  unsetenv("AWS_SESSION_TOKEN");
  EXPECT_EQ(o.staging.s3.addressing, storage::s3::Addressing::kPath);  // an endpoint: path style
  // No iam_role: COPY authenticates with the same key as the uploads.
  const warehouse::S3CopyCredentials copy = o.staging.CopyCredentials();
  EXPECT_EQ(copy.iam_role, "");
  EXPECT_EQ(copy.access_key_id, "AKIDENV");
  EXPECT_EQ(copy.secret_access_key, "env-secret");
  EXPECT_EQ(copy.session_token, "env-token");
}

TEST(WarehouseOptionsTest, PostgresHasNoStaging) {
  WarehouseConfig c;
  c.type = "postgres";
  c.schema = "shop";
  warehouse::PostgresWarehouseOptions o = PostgresWarehouseOptionsFrom(c);
  EXPECT_EQ(o.dialect, warehouse::SqlDialect::kPostgres);
  EXPECT_EQ(o.schema, "shop");
  EXPECT_FALSE(o.staging.enabled());
  EXPECT_EQ(o.index_rebuild, warehouse::IndexRebuild::kAuto);
  c.index_rebuild = "always";
  EXPECT_EQ(PostgresWarehouseOptionsFrom(c).index_rebuild, warehouse::IndexRebuild::kAlways);
  c.index_rebuild = "never";
  EXPECT_EQ(PostgresWarehouseOptionsFrom(c).index_rebuild, warehouse::IndexRebuild::kNever);
}

}  // namespace
}  // namespace ecompipe::runtime
