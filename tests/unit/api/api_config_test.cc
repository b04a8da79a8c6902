// api in ecompipe.yaml, as api/http/api_config.h reads it.
#include "api/http/api_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/parse_config_text.h"

namespace ecompipe::api::http {
namespace {

using ::testing::HasSubstr;

Result<ApiConfig> Parse(const std::string& text) {
  return testing_util::ParseConfigText<ApiConfig>(text, ParseApiConfig);
}

std::string ErrorOf(const std::string& text) {
  return testing_util::ConfigErrorOf<ApiConfig>(text, ParseApiConfig);
}

TEST(ApiConfigTest, AbsentMeansOff) {
  Result<ApiConfig> api = Parse("storage: {path: b}\n");
  ASSERT_TRUE(api.ok());
  EXPECT_FALSE(api->enabled);
}

TEST(ApiConfigTest, ParsesTheIssuesExample) {
  Result<ApiConfig> cfg = Parse(
      "api:\n"
      "  listen: 127.0.0.1:0\n"
      "  tokens:\n"
      "    - {name: grafana, token_env: EP_VIEWER_TOKEN, role: viewer}\n"
      "    - {name: oncall,  token_env: EP_OPERATOR_TOKEN, role: operator}\n"
      "    - {name: rotated, token_file: secrets/token, role: viewer}\n"
      "  metrics: public\n"
      "  tls: {cert: server.pem, key: server.key}\n");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_TRUE(cfg->enabled);
  EXPECT_EQ(cfg->host, "127.0.0.1");
  EXPECT_EQ(cfg->port, 0);
  ASSERT_EQ(cfg->tokens.size(), 3u);
  EXPECT_EQ(cfg->tokens[0].name, "grafana");
  EXPECT_EQ(cfg->tokens[0].token_env, "EP_VIEWER_TOKEN");
  EXPECT_EQ(cfg->tokens[0].role, Role::kViewer);
  EXPECT_EQ(cfg->tokens[1].role, Role::kOperator);
  EXPECT_TRUE(cfg->tokens[2].token_file.ends_with("secrets/token"));
  EXPECT_EQ(cfg->metrics_access, Access::kPublic);
  ASSERT_TRUE(cfg->tls.has_value());
  EXPECT_TRUE(cfg->tls->cert.ends_with("server.pem"));
}

TEST(ApiConfigTest, DefaultsAreLocalPort8080AndMetricsNeedAToken) {
  Result<ApiConfig> cfg = Parse("api: {}\n");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_TRUE(cfg->enabled);
  EXPECT_EQ(cfg->host, "127.0.0.1");
  EXPECT_EQ(cfg->port, 8080);
  EXPECT_EQ(cfg->metrics_access, Access::kViewer);
  EXPECT_FALSE(cfg->tls.has_value());
  EXPECT_EQ(cfg->limits.workers, 8);
}

struct BadCase {
  const char* yaml;
  const char* error;
};

TEST(ApiConfigTest, MistakesAreRefusedWithFileAndLine) {
  const BadCase cases[] = {
      {"api:\n  lisen: 127.0.0.1:1\n",
       "ecompipe.yaml:2: unknown key 'api.lisen' (did you mean 'listen'?)"},
      {"api:\n  listen: localhost\n",
       "ecompipe.yaml:2: 'api.listen': 'localhost' is not HOST:PORT"},
      {"api:\n  listen: 127.0.0.1:70000\n", "is not HOST:PORT"},
      {"api:\n  tokens:\n    - {name: a, token_env: X, role: admin}\n",
       "ecompipe.yaml:3: 'api.tokens[0].role': unknown role 'admin' (the roles are: viewer, "
       "operator)"},
      {"api:\n  tokens:\n    - {name: a, role: viewer}\n",
       "ecompipe.yaml:3: 'api.tokens[0].token_env': give exactly one of 'token_env'"},
      {"api:\n  tokens:\n    - {name: a, token_env: X, token_file: f, role: viewer}\n",
       "give exactly one of 'token_env'"},
      {"api:\n  tokens:\n    - {name: a, token: s3cret, role: viewer}\n",
       "ecompipe.yaml:3: unknown key 'api.tokens[0].token'"},
      {"api:\n  tokens:\n    - {token_env: X, role: viewer}\n",
       "ecompipe.yaml:3: missing required key 'api.tokens[0].name'"},
      {"api:\n  tokens:\n    - {name: a, token_env: X, role: viewer}\n"
       "    - {name: a, token_env: Y, role: viewer}\n",
       "ecompipe.yaml:4: 'api.tokens[1]': duplicate token name 'a'"},
      {"api:\n  metrics: open\n",
       "ecompipe.yaml:2: 'api.metrics': 'open' is not one of: token, public"},
      {"api:\n  tls: {cert: a.pem}\n", "ecompipe.yaml:2: missing required key 'api.tls.key'"},
      {"api:\n  tls: {cert: a.pem, key: k, ca: c}\n", "unknown key 'api.tls.ca'"},
      {"api:\n  workers: 0\n", "ecompipe.yaml:2:"},
      {"api:\n  header_timeout: 1ms\n", "'api.header_timeout' must be between 100ms and 1h"},
      {"api: [1]\n", "ecompipe.yaml:1:"},
  };
  for (const BadCase& c : cases) EXPECT_THAT(ErrorOf(c.yaml), HasSubstr(c.error)) << c.yaml;
}

}  // namespace
}  // namespace ecompipe::api::http
