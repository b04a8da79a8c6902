// The API's bearer tokens: api/http/token_auth.h.
#include "api/http/token_auth.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace ecompipe::api::http {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kViewer[] = "viewer-token-0123456789abcdef";
constexpr char kOperator[] = "operator-token-0123456789abcdef";

class TokenAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("EP_TEST_VIEWER", kViewer, 1);
    ::setenv("EP_TEST_OPERATOR", kOperator, 1);
    Result<std::vector<TokenAuth::Token>> t =
        auth_.Resolve({{"grafana", "EP_TEST_VIEWER", "", Role::kViewer},
                       {"oncall", "EP_TEST_OPERATOR", "", Role::kOperator}});
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    auth_.SetTokens(std::move(*t));
  }
  TokenAuth::Verdict Check(const std::string& header, Access need, int64_t now = 1'000'000,
                           const std::string& address = "10.0.0.1") {
    return auth_.Check(header, address, need, now);
  }
  TokenAuth auth_;
};

TEST_F(TokenAuthTest, EachRoleGetsWhatItMay) {
  EXPECT_EQ(Check(std::string("Bearer ") + kViewer, Access::kViewer).status, 200);
  EXPECT_EQ(Check(std::string("Bearer ") + kViewer, Access::kViewer).principal, "grafana");
  EXPECT_EQ(Check(std::string("Bearer ") + kOperator, Access::kViewer).status, 200);
  EXPECT_EQ(Check(std::string("Bearer ") + kOperator, Access::kOperator).status, 200);
  EXPECT_EQ(Check(std::string("Bearer ") + kOperator, Access::kOperator).principal, "oncall");
  const TokenAuth::Verdict low = Check(std::string("Bearer ") + kViewer, Access::kOperator);
  EXPECT_EQ(low.status, 403);
  EXPECT_THAT(low.message, HasSubstr("operator role"));
}

TEST_F(TokenAuthTest, NoTokenOrAWrongOneIs401AndNeverEchoesTheToken) {
  EXPECT_EQ(Check("", Access::kViewer).status, 401);
  for (const std::string& header :
       {std::string("Bearer wrong-token-0123456789"), std::string("Basic ") + kViewer,
        std::string(kViewer), std::string("Bearer ") + kViewer + "x",
        std::string("Bearer ") + std::string(kViewer).substr(1), std::string("Bearer ")}) {
    const TokenAuth::Verdict v = Check(header, Access::kViewer, 1'000'000, "10.0.0.9");
    EXPECT_EQ(v.status, 401) << header;
    EXPECT_THAT(v.message, Not(HasSubstr("0123456789"))) << header;
  }
}

TEST_F(TokenAuthTest, TheSchemeIsCaseBlind) {
  EXPECT_EQ(Check(std::string("bearer ") + kViewer, Access::kViewer).status, 200);
  EXPECT_EQ(Check(std::string("BEARER ") + kViewer, Access::kViewer).status, 200);
}

TEST_F(TokenAuthTest, PublicRoutesNeedNothingButAValidTokenStillNamesTheCaller) {
  EXPECT_EQ(Check("", Access::kPublic).status, 200);
  EXPECT_EQ(Check("Bearer nonsense", Access::kPublic).status, 200);
  EXPECT_EQ(Check(std::string("Bearer ") + kViewer, Access::kPublic).principal, "grafana");
}

TEST_F(TokenAuthTest, FailedAttemptsLockTheAddressOutUntilTheWindowEnds) {
  const int64_t t0 = 5'000'000;
  for (int i = 0; i < TokenAuth::kMaxFailures; ++i)
    EXPECT_EQ(Check("Bearer guess-number-" + std::to_string(i) + "-padding", Access::kViewer, t0,
                    "10.0.0.2")
                  .status,
              401);
  // Locked out, even with the right token: a guess that hits is not told apart.
  const TokenAuth::Verdict locked =
      Check(std::string("Bearer ") + kViewer, Access::kViewer, t0 + 1000, "10.0.0.2");
  EXPECT_EQ(locked.status, 429);
  EXPECT_EQ(locked.retry_after_s, 59);
  // Other addresses are not.
  EXPECT_EQ(Check(std::string("Bearer ") + kViewer, Access::kViewer, t0 + 1000, "10.0.0.3").status,
            200);
  // Public routes still answer.
  EXPECT_EQ(Check("", Access::kPublic, t0 + 1000, "10.0.0.2").status, 200);
  // The window ends.
  EXPECT_EQ(Check(std::string("Bearer ") + kViewer, Access::kViewer,
                  t0 + TokenAuth::kFailureWindowMs, "10.0.0.2")
                .status,
            200);
}

TEST_F(TokenAuthTest, AbsentTokensAreNotFailedAttempts) {
  for (int i = 0; i < 3 * TokenAuth::kMaxFailures; ++i)
    EXPECT_EQ(Check("", Access::kViewer, 1'000'000, "10.0.0.4").status, 401);
  EXPECT_EQ(Check(std::string("Bearer ") + kViewer, Access::kViewer, 1'000'000, "10.0.0.4").status,
            200);
}

TEST_F(TokenAuthTest, SetTokensReplacesThem) {
  ::setenv("EP_TEST_NEW", "a-brand-new-token-0123456789", 1);
  Result<std::vector<TokenAuth::Token>> t =
      auth_.Resolve({{"new", "EP_TEST_NEW", "", Role::kOperator}});
  ASSERT_TRUE(t.ok());
  auth_.SetTokens(std::move(*t));
  EXPECT_EQ(Check(std::string("Bearer ") + kViewer, Access::kViewer).status, 401);
  EXPECT_EQ(Check("Bearer a-brand-new-token-0123456789", Access::kOperator).principal, "new");
}

TEST(TokenAuthResolveTest, RefusesUnsetShortBlankAndRepeatedTokensWithoutShowingThem) {
  TokenAuth auth;
  ::unsetenv("EP_TEST_UNSET");
  ::setenv("EP_TEST_SHORT", "short", 1);
  ::setenv("EP_TEST_SPACE", "has a space inside 0123456789", 1);
  ::setenv("EP_TEST_A", "same-token-0123456789", 1);
  ::setenv("EP_TEST_B", "same-token-0123456789", 1);
  auto error = [&](std::vector<ApiTokenConfig> t) {
    Result<std::vector<TokenAuth::Token>> r = auth.Resolve(t);
    return r.ok() ? std::string("OK") : r.status().ToString();
  };
  EXPECT_THAT(error({{"a", "EP_TEST_UNSET", "", Role::kViewer}}),
              HasSubstr("api.tokens[0] (a): environment variable EP_TEST_UNSET is not set"));
  EXPECT_THAT(error({{"a", "EP_TEST_SHORT", "", Role::kViewer}}),
              HasSubstr("shorter than 16 characters"));
  EXPECT_THAT(error({{"a", "EP_TEST_SHORT", "", Role::kViewer}}), Not(HasSubstr("short\"")));
  EXPECT_THAT(error({{"a", "EP_TEST_SPACE", "", Role::kViewer}}), HasSubstr("whitespace"));
  const std::string repeated =
      error({{"a", "EP_TEST_A", "", Role::kViewer}, {"b", "EP_TEST_B", "", Role::kOperator}});
  EXPECT_THAT(repeated, HasSubstr("api.tokens[1] (b): the token in EP_TEST_B is the same as a's"));
  EXPECT_THAT(repeated, Not(HasSubstr("same-token")));
}

TEST(TokenAuthResolveTest, ReadsATokenFileAgainEachTime) {
  const std::filesystem::path file =
      std::filesystem::temp_directory_path() / ("ep_token_" + std::to_string(::getpid()));
  std::ofstream(file) << "first-token-0123456789\n";
  TokenAuth auth;
  const std::vector<ApiTokenConfig> cfg = {{"f", "", file.string(), Role::kViewer}};
  Result<std::vector<TokenAuth::Token>> t = auth.Resolve(cfg);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  auth.SetTokens(std::move(*t));
  EXPECT_EQ(auth.Check("Bearer first-token-0123456789", "a", Access::kViewer, 1).status, 200);
  std::ofstream(file) << "second-token-0123456789\n";
  t = auth.Resolve(cfg);
  ASSERT_TRUE(t.ok());
  auth.SetTokens(std::move(*t));
  EXPECT_EQ(auth.Check("Bearer first-token-0123456789", "b", Access::kViewer, 1).status, 401);
  EXPECT_EQ(auth.Check("Bearer second-token-0123456789", "b", Access::kViewer, 1).status, 200);
  std::filesystem::remove(file);
  EXPECT_THAT(auth.Resolve(cfg).status().ToString(), HasSubstr("cannot read the token file"));
}

}  // namespace
}  // namespace ecompipe::api::http
