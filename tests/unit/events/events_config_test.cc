// `rules` and `retry` in ecompipe.yaml, as events/events_config.h reads them. What a rule's
// target names (a crawler, a job or a topic that exists) and the list of target types are
// runtime's (tests/unit/runtime/config_test.cc).
#include "events/events_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "events/event.h"
#include "testing/parse_config_text.h"

namespace ecompipe::events {
namespace {

using ::testing::ElementsAre;
using ::testing::StartsWith;

struct EventsConfig {
  RetryPolicy retry;
  std::vector<Rule> rules;
};

// The events component's sections, every target type allowed (webhook taking a URL), no
// cross-references checked.
Status ParseEvents(const ConfigReader& root, EventsConfig& out) {
  static const std::vector<TargetKind> kKinds = {{TargetType::kStartCrawler},
                                                 {TargetType::kStartJob},
                                                 {TargetType::kPublish},
                                                 {TargetType::kWebhook, /*takes_url=*/true},
                                                 {TargetType::kUpsertDimension}};
  EP_RETURN_IF_ERROR(ParseRetryPolicy(root, out.retry));
  return ParseRules(root, kKinds, nullptr, out.rules);
}

EventsConfig ParseOrDie(const std::string& text) {
  return testing_util::ParseConfigOrDie<EventsConfig>(text, ParseEvents);
}
std::string ErrorOf(const std::string& text) {
  return testing_util::ConfigRejection<EventsConfig>(text, ParseEvents);
}

// The JSON a rule's pattern was parsed into.
Json PatternOf(const std::string& pattern_yaml) {
  EventsConfig cfg = ParseOrDie("rules:\n  - name: r\n    pattern: " + pattern_yaml +
                                "\n    targets: [{type: start_crawler, name: c}]\n");
  return cfg.rules.empty() ? Json() : cfg.rules[0].pattern.source();
}

// A rule whose one target is `target_yaml` (line 5), and more targets when lines follow.
std::string WithTarget(const std::string& target_yaml) {
  return "rules:\n  - name: r\n    pattern: {source: [x]}\n    targets:\n      - " + target_yaml +
         "\n";
}

Json Glue(const std::string& detail_type, Json detail) {
  return MakeEvent(Origin{}, kGlueSource, detail_type, Json::array(), std::move(detail));
}

std::vector<std::string> MatchingRules(const EventsConfig& cfg, const Json& event) {
  std::vector<std::string> out;
  for (const auto& r : cfg.rules)
    if (r.pattern.Matches(event)) out.push_back(r.name);
  return out;
}

TEST(EventsConfigTest, UnknownKeyInRetry) {
  EXPECT_EQ(ErrorOf("retry:\n  max_attempt: 3\n"),
            "ecompipe.yaml:2: unknown key 'retry.max_attempt' (did you mean 'max_attempts'?)");
}

TEST(EventsConfigTest, AnIntegerThatIsNotAnIntegerIsRejected) {
  EXPECT_EQ(ErrorOf("retry:\n  max_attempts: many\n"),
            "ecompipe.yaml:2: 'retry.max_attempts' must be an integer");
  EXPECT_EQ(ErrorOf("retry:\n  base_delay_ms: 2.5\n"),
            "ecompipe.yaml:2: 'retry.base_delay_ms' must be an integer");
  EXPECT_EQ(ErrorOf("retry:\n  max_delay_ms: [1]\n"),
            "ecompipe.yaml:2: 'retry.max_delay_ms' must be an integer");
}

TEST(EventsConfigTest, RetryIsRead) {
  EventsConfig cfg = ParseOrDie("retry: {max_attempts: 3, base_delay_ms: 50, max_delay_ms: 200}\n");
  EXPECT_EQ(cfg.retry.max_attempts, 3);
  EXPECT_EQ(cfg.retry.base_delay_ms, 50);
  EXPECT_EQ(cfg.retry.max_delay_ms, 200);
}

TEST(EventsConfigTest, RetryAcceptsItsBounds) {
  EventsConfig low = ParseOrDie("retry: {max_attempts: 1, base_delay_ms: 1, max_delay_ms: 1}\n");
  EXPECT_EQ(low.retry.max_attempts, 1);
  EXPECT_EQ(low.retry.base_delay_ms, 1);
  EXPECT_EQ(low.retry.max_delay_ms, 1);
  EventsConfig high =
      ParseOrDie("retry: {max_attempts: 1000, base_delay_ms: 3600000, max_delay_ms: 86400000}\n");
  EXPECT_EQ(high.retry.max_attempts, 1000);
  EXPECT_EQ(high.retry.base_delay_ms, 3600000);
  EXPECT_EQ(high.retry.max_delay_ms, 86400000);
}

TEST(EventsConfigTest, RetryRejectsValuesOutOfBounds) {
  EXPECT_EQ(ErrorOf("retry:\n  max_attempts: 0\n"),
            "ecompipe.yaml:2: 'retry.max_attempts' must be between 1 and 1000");
  EXPECT_EQ(ErrorOf("retry:\n  max_attempts: 1001\n"),
            "ecompipe.yaml:2: 'retry.max_attempts' must be between 1 and 1000");
  EXPECT_EQ(ErrorOf("retry:\n  base_delay_ms: 0\n"),
            "ecompipe.yaml:2: 'retry.base_delay_ms' must be between 1 and 3600000");
  EXPECT_EQ(ErrorOf("retry:\n  base_delay_ms: 3600001\n"),
            "ecompipe.yaml:2: 'retry.base_delay_ms' must be between 1 and 3600000");
  EXPECT_EQ(ErrorOf("retry:\n  max_delay_ms: -5\n"),
            "ecompipe.yaml:2: 'retry.max_delay_ms' must be between 1 and 86400000");
  EXPECT_EQ(ErrorOf("retry:\n  max_delay_ms: 86400001\n"),
            "ecompipe.yaml:2: 'retry.max_delay_ms' must be between 1 and 86400000");
  EXPECT_EQ(ErrorOf("retry:\n  max_attempts: 99999999999999999999999\n"),
            "ecompipe.yaml:2: 'retry.max_attempts' must be an integer");
}

TEST(EventsConfigTest, UnknownKeyInARule) {
  EXPECT_EQ(ErrorOf("crawlers: [{name: c}]\n"
                    "rules:\n"
                    "  - name: r\n"
                    "    patern: {source: [x]}\n"
                    "    targets: [{type: start_crawler, name: c}]\n"),
            "ecompipe.yaml:4: unknown key 'rules[0].patern' (did you mean 'pattern'?)");
}

TEST(EventsConfigTest, UnknownKeyInATarget) {
  EXPECT_EQ(ErrorOf(WithTarget("{type: start_crawler, nam: c}")),
            "ecompipe.yaml:5: unknown key 'rules[0].targets[0].nam' (did you mean 'name'?)");
}

TEST(EventsConfigTest, RuleTargetsAreRead) {
  EventsConfig cfg = ParseOrDie(WithTarget("{type: start_job, name: j}") +
                                "      - {type: publish, name: t}\n"
                                "      - {type: webhook, url: \"https://hooks.example/e\"}\n"
                                "      - {type: upsert_dimension, name: products}\n");
  ASSERT_EQ(cfg.rules.size(), 1u);
  const auto& t = cfg.rules[0].targets;
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t[0].type, TargetType::kStartJob);
  EXPECT_EQ(t[0].name, "j");
  EXPECT_EQ(t[1].type, TargetType::kPublish);
  EXPECT_EQ(t[2].type, TargetType::kWebhook);
  EXPECT_EQ(t[2].name, "https://hooks.example/e");  // a webhook target's name is its URL
  EXPECT_EQ(t[3].name, "products");
}

// Regression: a webhook rule target took any URL (a subscription's had to be http/https).
TEST(EventsConfigTest, AWebhookTargetNeedsAnHttpUrl) {
  EXPECT_EQ(ErrorOf(WithTarget("{type: webhook, url: \"file:///etc/passwd\"}")),
            "ecompipe.yaml:5: 'rules[0].targets[0].url' must start with http:// or https://");
}

// Regression: `url` on a non-webhook target, or `name` on a webhook target, was ignored.
TEST(EventsConfigTest, KeysOfOtherTargetTypesAreRejected) {
  EXPECT_EQ(ErrorOf(WithTarget("{type: start_job, name: j, url: \"http://h/\"}")),
            "ecompipe.yaml:5: 'rules[0].targets[0].url' applies only to webhook targets");
  EXPECT_EQ(ErrorOf(WithTarget("{type: webhook, name: hook, url: \"http://h/\"}")),
            "ecompipe.yaml:5: 'rules[0].targets[0].name' does not apply to a webhook target, which "
            "posts to 'url'");
}

TEST(EventsConfigTest, ARuleNeedsAPatternAndTargets) {
  EXPECT_EQ(ErrorOf("rules:\n  - name: r\n    targets: [{type: start_job, name: j}]\n"),
            "ecompipe.yaml:2: rule 'r': missing required key 'pattern'");
  EXPECT_EQ(ErrorOf("rules:\n  - name: r\n    pattern: {source: [x]}\n"),
            "ecompipe.yaml:2: rule 'r': 'targets' must be a non-empty list");
  EXPECT_EQ(ErrorOf("rules:\n  - name: r\n    pattern: {source: [x]}\n    targets: []\n"),
            "ecompipe.yaml:4: rule 'r': 'targets' must be a non-empty list");
}

TEST(EventsConfigTest, DuplicateRuleNamesAreRejected) {
  EXPECT_EQ(
      ErrorOf("crawlers: [{name: c}]\n"
              "rules:\n"
              "  - {name: r, pattern: {source: [x]}, targets: [{type: start_crawler, name: c}]}\n"
              "  - {name: r, pattern: {source: [y]}, targets: [{type: start_crawler, name: c}]}\n"),
      "ecompipe.yaml:4: duplicate rule name 'r'");
}

TEST(EventsConfigTest, ABadPatternNamesTheRuleTheLineAndThePlace) {
  EXPECT_EQ(
      ErrorOf("crawlers: [{name: c}]\n"
              "rules:\n"
              "  - name: landed\n"
              "    pattern:\n"
              "      source: [ecompipe.s3]\n"
              "      detail:\n"
              "        object:\n"
              "          key: [{prefx: transactions/}]\n"
              "    targets: [{type: start_crawler, name: c}]\n"),
      "ecompipe.yaml:8: rule 'landed' pattern at 'detail.object.key[0]': unknown operator 'prefx' "
      "(did you mean 'prefix'?)");
}

TEST(EventsConfigTest, ABadPatternOnOneLineNamesThatLine) {
  std::string e = ErrorOf(
      "crawlers: [{name: c}]\n"
      "rules:\n"
      "  - name: r\n"
      "    pattern: {source: ecompipe.s3}\n"
      "    targets: [{type: start_crawler, name: c}]\n");
  EXPECT_THAT(e, StartsWith("ecompipe.yaml:4: rule 'r' pattern at 'source': "));
}

TEST(EventsConfigTest, APatternMayBeGivenAsAJsonString) {
  Json p = PatternOf(R"('{"source": ["ecompipe.s3"], "detail": {"size": [300, "300"]}}')");
  EXPECT_EQ(p, Json::parse(R"({"source": ["ecompipe.s3"], "detail": {"size": [300, "300"]}})"));
}

TEST(EventsConfigTest, ABadJsonStringPatternNamesTheRuleAndLine) {
  std::string e = ErrorOf(
      "crawlers: [{name: c}]\n"
      "rules:\n"
      "  - name: r\n"
      "    pattern: '{\"source\": [\"x\"'\n"
      "    targets: [{type: start_crawler, name: c}]\n");
  EXPECT_THAT(e, StartsWith("ecompipe.yaml:4: rule 'r' pattern: invalid JSON"));
}

TEST(EventsConfigTest, PatternQuotedScalarsStayStrings) {
  Json p = PatternOf(R"({detail: {code: ["300", '301', "true", "null", "~"]}})");
  EXPECT_EQ(p["detail"]["code"], Json::array({"300", "301", "true", "null", "~"}));
}

TEST(EventsConfigTest, PatternPlainNumbersBecomeNumbersAsWritten) {
  Json p = PatternOf("{detail: {n: [300, -2, 1.5, 300.0, 3e2]}}");
  const Json& n = p["detail"]["n"];
  ASSERT_EQ(n.size(), 5u);
  EXPECT_TRUE(n[0].is_number_integer());
  EXPECT_EQ(n[0], 300);
  EXPECT_EQ(n[1], -2);
  EXPECT_EQ(n[2], 1.5);
  EXPECT_TRUE(n[3].is_number_float());  // 300.0 is a fraction literal, not the integer 300
  EXPECT_TRUE(n[4].is_number_float());
}

TEST(EventsConfigTest, PatternNumbersMatchByKind) {
  EventsConfig cfg = ParseOrDie(
      "crawlers: [{name: c}]\n"
      "rules:\n"
      "  - {name: number, pattern: {detail: {code: [300]}}, targets: [{type: start_crawler, name: "
      "c}]}\n"
      "  - {name: text, pattern: {detail: {code: [\"300\"]}}, targets: [{type: start_crawler, "
      "name: c}]}\n");
  EXPECT_THAT(MatchingRules(cfg, Glue("x", {{"code", 300}})), ElementsAre("number"));
  EXPECT_THAT(MatchingRules(cfg, Glue("x", {{"code", "300"}})), ElementsAre("text"));
}

TEST(EventsConfigTest, PatternPlainNullAndBooleansAreJsonLiterals) {
  Json p = PatternOf("{detail: {v: [null, ~, true, false]}}");
  EXPECT_EQ(p["detail"]["v"], Json::array({nullptr, nullptr, true, false}));
}

// Regression: YAML 1.2's True/TRUE/False/FALSE stayed the strings "True", "FALSE".
TEST(EventsConfigTest, PatternAcceptsYamlsOtherBooleanSpellings) {
  Json p = PatternOf("{detail: {v: [True, TRUE, False, FALSE, Null, NULL]}}");
  EXPECT_EQ(p["detail"]["v"], Json::array({true, true, false, false, nullptr, nullptr}));
}

TEST(EventsConfigTest, PatternScalarsThatOnlyLookNumericStayStrings) {
  Json p = PatternOf("{detail: {v: [007, 1.2.3, 2026-11-26, '-', 12abc, yes, .5, +1]}}");
  EXPECT_EQ(p["detail"]["v"],
            Json::array({"007", "1.2.3", "2026-11-26", "-", "12abc", "yes", ".5", "+1"}));
}

TEST(EventsConfigTest, PatternExplicitStringTagStaysAString) {
  Json p = PatternOf("{detail: {v: [!!str 300]}}");
  EXPECT_EQ(p["detail"]["v"], Json::array({"300"}));
}

// Regression: a field repeated in a pattern silently kept only the last value.
TEST(EventsConfigTest, PatternRepeatedFieldIsRejected) {
  EXPECT_EQ(ErrorOf("crawlers: [{name: c}]\n"
                    "rules:\n"
                    "  - name: r\n"
                    "    pattern:\n"
                    "      source: [a]\n"
                    "      source: [b]\n"
                    "    targets: [{type: start_crawler, name: c}]\n"),
            "ecompipe.yaml:6: rule 'r' pattern: duplicate field 'source'");
}

}  // namespace
}  // namespace ecompipe::events
