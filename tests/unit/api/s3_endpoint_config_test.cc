// s3_endpoint in ecompipe.yaml, as api/s3/s3_endpoint_config.h reads it.
#include "api/s3/s3_endpoint_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/parse_config_text.h"

namespace ecompipe::api::s3 {
namespace {

using ::testing::HasSubstr;

Result<S3EndpointConfig> Parse(const std::string& text) {
  return testing_util::ParseConfigText<S3EndpointConfig>(text, ParseS3EndpointConfig);
}

std::string ErrorOf(const std::string& text) {
  return testing_util::ConfigErrorOf<S3EndpointConfig>(text, ParseS3EndpointConfig);
}

TEST(S3EndpointConfigTest, AbsentMeansOff) {
  Result<S3EndpointConfig> ep = Parse("storage: {path: b}\n");
  ASSERT_TRUE(ep.ok());
  EXPECT_FALSE(ep->enabled);
}

TEST(S3EndpointConfigTest, ParsesListenRegionAndKeys) {
  Result<S3EndpointConfig> cfg = Parse(
      "s3_endpoint:\n"
      "  listen: 0.0.0.0:9100\n"
      "  region: eu-west-1\n"
      "  access_keys:\n"
      "    - {id: AKIA1, secret: s1}\n"
      "    - {id: AKIA2, secret_env: S3_SECRET}\n");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  const S3EndpointConfig& ep = *cfg;
  EXPECT_TRUE(ep.enabled);
  EXPECT_EQ(ep.host, "0.0.0.0");
  EXPECT_EQ(ep.port, 9100);
  EXPECT_EQ(ep.region, "eu-west-1");
  ASSERT_EQ(ep.access_keys.size(), 2u);
  EXPECT_EQ(ep.access_keys[0].secret, "s1");
  EXPECT_EQ(ep.access_keys[1].secret_env, "S3_SECRET");
}

TEST(S3EndpointConfigTest, MultipartExpiryIsSevenDaysByDefaultAndParses) {
  const std::string keys = "  access_keys: [{id: a, secret: b}]\n";
  Result<S3EndpointConfig> plain = Parse("s3_endpoint:\n" + keys);
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(plain->multipart_expiry_ms, 7 * 24 * 3'600'000LL);
  Result<S3EndpointConfig> cfg = Parse("s3_endpoint:\n" + keys + "  multipart_expiry: 36h\n");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->multipart_expiry_ms, 36 * 3'600'000LL);
  EXPECT_FALSE(Parse("s3_endpoint:\n" + keys + "  multipart_expiry: soon\n").ok());
}

TEST(S3EndpointConfigTest, ConnectionLimitsHaveDefaultsAndParse) {
  const std::string keys = "  access_keys: [{id: a, secret: b}]\n";
  Result<S3EndpointConfig> plain = Parse("s3_endpoint:\n" + keys);
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  const ConnectionLimits& d = plain->limits;
  EXPECT_EQ(d.header_timeout_ms, 10'000);
  EXPECT_EQ(d.body_timeout_ms, 30'000);
  EXPECT_EQ(d.idle_timeout_ms, 15'000);
  EXPECT_EQ(d.max_connections, 4096);
  EXPECT_EQ(d.max_connections_per_address, 128);
  EXPECT_EQ(d.workers, 32);

  Result<S3EndpointConfig> cfg =
      Parse("s3_endpoint:\n" + keys +
            "  header_timeout: 5s\n  body_timeout: 1m\n  idle_timeout: 500ms\n"
            "  max_connections: 10000\n  max_connections_per_address: 16\n  workers: 8\n");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  const ConnectionLimits& l = cfg->limits;
  EXPECT_EQ(l.header_timeout_ms, 5'000);
  EXPECT_EQ(l.body_timeout_ms, 60'000);
  EXPECT_EQ(l.idle_timeout_ms, 500);
  EXPECT_EQ(l.max_connections, 10000);
  EXPECT_EQ(l.max_connections_per_address, 16);
  EXPECT_EQ(l.workers, 8);

  EXPECT_THAT(
      ErrorOf("s3_endpoint:\n" + keys + "  header_timeout: 50ms\n"),
      HasSubstr("ecompipe.yaml:3: 's3_endpoint.header_timeout' must be between 100ms and 1h"));
  EXPECT_THAT(ErrorOf("s3_endpoint:\n" + keys + "  body_timeout: soon\n"),
              HasSubstr("'s3_endpoint.body_timeout': 'soon' is not a duration"));
  EXPECT_THAT(ErrorOf("s3_endpoint:\n" + keys + "  max_connections_per_address: 0\n"),
              HasSubstr("'s3_endpoint.max_connections_per_address' must be between 1 and"));
  EXPECT_THAT(
      ErrorOf("s3_endpoint:\n" + keys + "  max_conections: 5\n"),
      HasSubstr("unknown key 's3_endpoint.max_conections' (did you mean 'max_connections'?)"));
}

TEST(S3EndpointConfigTest, ErrorsNameFileLineAndKey) {
  EXPECT_EQ(ErrorOf("s3_endpoint:\n  listen: 127.0.0.1:9000\n  regoin: x\n"),
            "ecompipe.yaml:3: unknown key 's3_endpoint.regoin' (did you mean 'region'?)");
  EXPECT_THAT(ErrorOf("s3_endpoint:\n  listen: localhost\n  access_keys: [{id: a, secret: b}]\n"),
              HasSubstr("ecompipe.yaml:2: 's3_endpoint.listen': 'localhost' is not HOST:PORT"));
  EXPECT_THAT(
      ErrorOf("s3_endpoint:\n  listen: 127.0.0.1:70000\n  access_keys: [{id: a, secret: b}]\n"),
      HasSubstr("ecompipe.yaml:2:"));
  EXPECT_THAT(ErrorOf("s3_endpoint:\n  listen: 127.0.0.1:9000\n"),
              HasSubstr("'s3_endpoint.access_keys' must be a non-empty list"));
  EXPECT_THAT(
      ErrorOf("s3_endpoint:\n  access_keys:\n    - {id: a}\n"),
      HasSubstr("ecompipe.yaml:3: 's3_endpoint.access_keys[0].secret': give exactly one of"));
  EXPECT_THAT(ErrorOf("s3_endpoint:\n  access_keys:\n    - {id: a, secret: b, secret_env: C}\n"),
              HasSubstr("give exactly one of"));
  EXPECT_THAT(
      ErrorOf("s3_endpoint:\n  access_keys:\n    - {id: a, secret: b}\n    - {id: a, secret: c}\n"),
      HasSubstr("ecompipe.yaml:4: duplicate access key id 'a'"));
  EXPECT_THAT(ErrorOf("s3_endpoint:\n  access_keys:\n    - {id: a, secret: b, role: admin}\n"),
              HasSubstr("unknown key 's3_endpoint.access_keys[0].role'"));
  EXPECT_THAT(ErrorOf("s3_endpoint: yes\n"), HasSubstr("'s3_endpoint' must be a mapping"));
}

}  // namespace
}  // namespace ecompipe::api::s3
