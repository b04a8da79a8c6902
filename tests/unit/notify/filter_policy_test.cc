#include "notify/filter_policy.h"

#include <gtest/gtest.h>

namespace ecompipe::notify {
namespace {

Json Event(const Json& detail) {
  return {{"id", "e"},
          {"detail-type", "Glue Job State Change"},
          {"source", "ecompipe.glue"},
          {"detail", detail}};
}

bool Matches(const char* policy, const Json& detail) {
  Result<events::EventPattern> p = ParseFilterPolicy(Json::parse(policy));
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() && p->Matches(Event(detail));
}

TEST(FilterPolicyTest, TranslatesToAPatternOverDetail) {
  Result<Json> p = FilterPolicyToPatternJson(Json::parse(R"({"state": ["FAILED"]})"));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, Json::parse(R"({"detail": {"state": ["FAILED"]}})"));
}

TEST(FilterPolicyTest, ExactStrings) {
  EXPECT_TRUE(Matches(R"({"state": ["FAILED", "TIMEOUT"]})", {{"state", "FAILED"}}));
  EXPECT_FALSE(Matches(R"({"state": ["FAILED", "TIMEOUT"]})", {{"state", "SUCCEEDED"}}));
}

TEST(FilterPolicyTest, AnythingBut) {
  EXPECT_TRUE(Matches(R"({"state": [{"anything-but": "SUCCEEDED"}]})", {{"state", "FAILED"}}));
  EXPECT_FALSE(
      Matches(R"({"state": [{"anything-but": ["SUCCEEDED"]}]})", {{"state", "SUCCEEDED"}}));
}

TEST(FilterPolicyTest, Prefix) {
  EXPECT_TRUE(Matches(R"({"jobName": [{"prefix": "ecommerce_"}]})", {{"jobName", "ecommerce_x"}}));
  EXPECT_FALSE(Matches(R"({"jobName": [{"prefix": "ecommerce_"}]})", {{"jobName", "other"}}));
}

TEST(FilterPolicyTest, Numeric) {
  const char* p = R"({"rowsRejected": [{"numeric": [">", 0, "<=", 1000]}]})";
  EXPECT_TRUE(Matches(p, {{"rowsRejected", 188}}));
  EXPECT_FALSE(Matches(p, {{"rowsRejected", 0}}));
  EXPECT_FALSE(Matches(p, {{"rowsRejected", 5000}}));
}

TEST(FilterPolicyTest, Exists) {
  // As in SNS and EventBridge, `exists` tests leaf values.
  EXPECT_TRUE(Matches(R"({"message": [{"exists": true}]})", {{"message", "x"}}));
  EXPECT_FALSE(Matches(R"({"message": [{"exists": true}]})", {{"state", "FAILED"}}));
  EXPECT_TRUE(Matches(R"({"message": [{"exists": false}]})", {{"state", "FAILED"}}));
}

TEST(FilterPolicyTest, NestedKeysAndAndAcrossKeys) {
  const char* p =
      R"({"state": ["FAILED"], "rejectReasons": {"invalid_date": [{"numeric": [">=", 10]}]}})";
  EXPECT_TRUE(Matches(p, {{"state", "FAILED"}, {"rejectReasons", {{"invalid_date", 12}}}}));
  EXPECT_FALSE(Matches(p, {{"state", "SUCCEEDED"}, {"rejectReasons", {{"invalid_date", 12}}}}));
}

TEST(FilterPolicyTest, MatchesOnlyTheDetailNotTheEnvelope) {
  EXPECT_FALSE(Matches(R"({"source": ["ecompipe.glue"]})", {{"state", "FAILED"}}));
}

TEST(FilterPolicyTest, RejectsNonObjectsAndBadOperators) {
  EXPECT_FALSE(ParseFilterPolicy(Json::parse("[]")).ok());
  EXPECT_FALSE(ParseFilterPolicy(Json::object()).ok());
  EXPECT_FALSE(ParseFilterPolicy(Json::parse(R"({"state": "FAILED"})")).ok());
  EXPECT_FALSE(ParseFilterPolicy(Json::parse(R"({"state": [{"bogus": "x"}]})")).ok());
}

}  // namespace
}  // namespace ecompipe::notify
