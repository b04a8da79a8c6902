// `state:` in ecompipe.yaml, as common/state_config.h reads it.
#include "common/state_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "testing/parse_config_text.h"

namespace ecompipe {
namespace {

using ::testing::HasSubstr;

struct StateOnly {
  StateConfig state;
};

Status ParseState(const ConfigReader& root, StateOnly& out) {
  return ParseStateConfig(root.Child("state"), out.state);
}

StateOnly ParseOrDie(const std::string& text) {
  return testing_util::ParseConfigOrDie<StateOnly>(text, ParseState);
}
std::string ErrorOf(const std::string& text) {
  return testing_util::ConfigRejection<StateOnly>(text, ParseState);
}

TEST(StateConfigTest, UnknownKeyInState) {
  EXPECT_EQ(ErrorOf("state:\n  paht: s.db\n"),
            "ecompipe.yaml:2: unknown key 'state.paht' (did you mean 'path'?)");
}

TEST(StateConfigTest, PostgresStateTakesAUrlAndALease) {
  StateOnly cfg = ParseOrDie(
      "state:\n  type: postgres\n  url: postgresql://ep@db/ep?sslmode=require\n"
      "  lease_seconds: 5\n  worker_id: w1\n");
  EXPECT_TRUE(cfg.state.shared());
  EXPECT_EQ(cfg.state.Location(), "postgresql://ep@db/ep?sslmode=require");
  EXPECT_EQ(cfg.state.lease_ms, 5000);
  EXPECT_EQ(cfg.state.worker_id, "w1");
}

TEST(StateConfigTest, PostgresStateWithoutAUrlUsesTheLibpqDefaults) {
  StateOnly cfg = ParseOrDie("state:\n  type: postgres\n");
  EXPECT_EQ(cfg.state.Location(), "postgresql://");
  EXPECT_EQ(cfg.state.lease_ms, 30000);
}

TEST(StateConfigTest, SqliteStateIsNotShared) {
  StateOnly cfg = ParseOrDie("state:\n  type: sqlite\n");
  EXPECT_FALSE(cfg.state.shared());
  EXPECT_EQ(cfg.state.Location(), cfg.state.path.string());
}

TEST(StateConfigTest, StateKeysOfTheOtherTypeAreErrors) {
  EXPECT_THAT(ErrorOf("state:\n  type: postgres\n  path: x.db\n"),
              HasSubstr("ecompipe.yaml:3: 'state.path' is for type sqlite"));
  EXPECT_THAT(ErrorOf("state:\n  type: sqlite\n  url: postgresql://h/db\n"),
              HasSubstr("ecompipe.yaml:3: 'state.url' is for type postgres"));
  EXPECT_THAT(ErrorOf("state:\n  type: postgres\n  url: mysql://h/db\n"),
              HasSubstr("must start with postgresql://"));
  EXPECT_THAT(ErrorOf("state:\n  type: postgres\n  lease_seconds: 0\n"),
              HasSubstr("lease_seconds"));
  EXPECT_THAT(ErrorOf("state:\n  type: mongo\n"), HasSubstr("allowed: sqlite, postgres"));
}

TEST(StateConfigTest, OnlySupportedTypesAreAccepted) {
  EXPECT_EQ(ErrorOf("state:\n  type: mysql\n"),
            "ecompipe.yaml:2: 'state.type': 'mysql' is not supported (allowed: sqlite, postgres)");
}

TEST(StateConfigTest, PasswordEnvNamesTheVariableAndNeverHoldsThePassword) {
  StateOnly cfg = ParseOrDie(
      "state:\n  type: postgres\n  url: postgresql://ep@db/ep\n  password_env: "
      "EP_STATE_PASSWORD\n");
  EXPECT_EQ(cfg.state.Location(), "postgresql://ep@db/ep?password_env=EP_STATE_PASSWORD");
  StateOnly env = ParseOrDie("state: {type: postgres, password_env: PW}\n");
  EXPECT_EQ(env.state.Location(), "postgresql://?password_env=PW");
}

TEST(StateConfigTest, PasswordEnvIsCheckedWithItsLine) {
  EXPECT_EQ(ErrorOf("state:\n  type: sqlite\n  password_env: PW\n"),
            "ecompipe.yaml:3: 'state.password_env' is for type postgres; an sqlite state store has "
            "no password");
  EXPECT_EQ(ErrorOf("state:\n  type: postgres\n  password_env: \"A-B\"\n"),
            "ecompipe.yaml:3: 'state.password_env' must name an environment variable (letters, "
            "digits and _, "
            "not starting with a digit), not 'A-B'");
  EXPECT_EQ(
      ErrorOf("state:\n  type: postgres\n  url: postgresql://u:pw@h/db\n  password_env: PW\n"),
      "ecompipe.yaml:4: 'state.password_env': the URL already gives a password; give it in one "
      "place "
      "(password_env, and none in 'url')");
}

}  // namespace
}  // namespace ecompipe
