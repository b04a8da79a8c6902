#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "runtime/config.h"

#include <sstream>

namespace ecompipe::runtime {
namespace {

using ::testing::HasSubstr;

std::string ErrorOf(const std::string& text) {
  Result<PipelineConfig> cfg = ParseConfig(text, "/srv/shop/ecompipe.yaml");
  return cfg.ok() ? "OK" : cfg.status().ToString();
}

TEST(S3EndpointConfigTest, AbsentMeansOff) {
  Result<PipelineConfig> cfg = ParseConfig("storage: {path: b}\n", "/srv/shop/ecompipe.yaml");
  ASSERT_TRUE(cfg.ok());
  EXPECT_FALSE(cfg->s3_endpoint.enabled);
}

TEST(S3EndpointConfigTest, ParsesListenRegionAndKeys) {
  Result<PipelineConfig> cfg = ParseConfig(
      "s3_endpoint:\n"
      "  listen: 0.0.0.0:9100\n"
      "  region: eu-west-1\n"
      "  access_keys:\n"
      "    - {id: AKIA1, secret: s1}\n"
      "    - {id: AKIA2, secret_env: S3_SECRET}\n",
      "/srv/shop/ecompipe.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  const auto& ep = cfg->s3_endpoint;
  EXPECT_TRUE(ep.enabled);
  EXPECT_EQ(ep.host, "0.0.0.0");
  EXPECT_EQ(ep.port, 9100);
  EXPECT_EQ(ep.region, "eu-west-1");
  ASSERT_EQ(ep.access_keys.size(), 2u);
  EXPECT_EQ(ep.access_keys[0].secret, "s1");
  EXPECT_EQ(ep.access_keys[1].secret_env, "S3_SECRET");
}

// The commented example in `ecompipe init`'s template works once uncommented.
TEST(S3EndpointConfigTest, InitTemplateExampleParsesWhenUncommented) {
  std::istringstream in(DefaultConfigText());
  std::string text, line;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line.rfind("# s3_endpoint:", 0) == 0) inside = true;
    else if (inside && line.rfind("#   ", 0) != 0) inside = false;
    text += (inside ? line.substr(2) : line) + "\n";
  }
  Result<PipelineConfig> cfg = ParseConfig(text, "/srv/shop/ecompipe.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_TRUE(cfg->s3_endpoint.enabled);
  EXPECT_EQ(cfg->s3_endpoint.port, 9000);
  ASSERT_EQ(cfg->s3_endpoint.access_keys.size(), 1u);
  EXPECT_EQ(cfg->s3_endpoint.access_keys[0].secret_env, "ECOMPIPE_S3_SECRET");
}

TEST(S3EndpointConfigTest, ErrorsNameFileLineAndKey) {
  EXPECT_EQ(ErrorOf("s3_endpoint:\n  listen: 127.0.0.1:9000\n  regoin: x\n"),
            "ecompipe.yaml:3: unknown key 's3_endpoint.regoin' (did you mean 'region'?)");
  EXPECT_THAT(ErrorOf("s3_endpoint:\n  listen: localhost\n  access_keys: [{id: a, secret: b}]\n"),
              HasSubstr("ecompipe.yaml:2: 's3_endpoint.listen': 'localhost' is not HOST:PORT"));
  EXPECT_THAT(ErrorOf("s3_endpoint:\n  listen: 127.0.0.1:70000\n  access_keys: [{id: a, secret: b}]\n"),
              HasSubstr("ecompipe.yaml:2:"));
  EXPECT_THAT(ErrorOf("s3_endpoint:\n  listen: 127.0.0.1:9000\n"),
              HasSubstr("'s3_endpoint.access_keys' must be a non-empty list"));
  EXPECT_THAT(ErrorOf("s3_endpoint:\n  access_keys:\n    - {id: a}\n"),
              HasSubstr("ecompipe.yaml:3: 's3_endpoint.access_keys[0].secret': give exactly one of"));
  EXPECT_THAT(ErrorOf("s3_endpoint:\n  access_keys:\n    - {id: a, secret: b, secret_env: C}\n"),
              HasSubstr("give exactly one of"));
  EXPECT_THAT(ErrorOf("s3_endpoint:\n  access_keys:\n    - {id: a, secret: b}\n    - {id: a, secret: c}\n"),
              HasSubstr("ecompipe.yaml:4: duplicate access key id 'a'"));
  EXPECT_THAT(ErrorOf("s3_endpoint:\n  access_keys:\n    - {id: a, secret: b, role: admin}\n"),
              HasSubstr("unknown key 's3_endpoint.access_keys[0].role'"));
  EXPECT_THAT(ErrorOf("s3_endpoint: yes\n"), HasSubstr("'s3_endpoint' must be a mapping"));
}

}  // namespace
}  // namespace ecompipe::runtime
