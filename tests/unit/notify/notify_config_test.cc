// `topics` in ecompipe.yaml, as notify/notify_config.h reads them with each subscription type's
// own parser.
#include "notify/notify_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "events/event.h"
#include "notify/email_subscriber.h"
#include "notify/sns_subscriber.h"
#include "notify/webhook_subscriber.h"
#include "testing/parse_config_text.h"
#include "testing/temp_dir.h"

namespace ecompipe::notify {
namespace {

using ::ecompipe::testing_util::TempDir;

struct NotifyConfig {
  std::vector<Topic> topics;
};

Status ParseNotify(const ConfigReader& root, NotifyConfig& out) {
  static const SubscriberFactory kFactory = [] {
    SubscriberFactory f;
    RegisterLogSubscriber(f);
    RegisterWebhookSubscriber(f);
    RegisterEmailSubscriber(f);
    RegisterSnsSubscriber(f);
    return f;
  }();
  return ParseTopics(root, kFactory, out.topics);
}

NotifyConfig ParseOrDie(const std::string& text) {
  return testing_util::ParseConfigOrDie<NotifyConfig>(text, ParseNotify);
}
std::string ErrorOf(const std::string& text) {
  return testing_util::ConfigRejection<NotifyConfig>(text, ParseNotify);
}

Json Glue(const std::string& detail_type, Json detail) {
  return events::MakeEvent(events::Origin{}, events::kGlueSource, detail_type, Json::array(),
                           std::move(detail));
}

const EmailSubscription& Email(const Subscription& s) {
  static const EmailSubscription kNone;
  const auto* e = s.As<EmailSubscription>();
  EXPECT_NE(e, nullptr);
  return e ? *e : kNone;
}
const SnsSubscription& Sns(const Subscription& s) {
  static const SnsSubscription kNone;
  const auto* e = s.As<SnsSubscription>();
  EXPECT_NE(e, nullptr);
  return e ? *e : kNone;
}

TEST(NotifyConfigTest, UnknownKeyInATopic) {
  EXPECT_EQ(
      ErrorOf("topics:\n  - name: t\n    subscription: []\n"),
      "ecompipe.yaml:3: unknown key 'topics[0].subscription' (did you mean 'subscriptions'?)");
}

TEST(NotifyConfigTest, UnknownKeyInASubscription) {
  EXPECT_EQ(
      ErrorOf("topics:\n"
              "  - name: t\n"
              "    subscriptions:\n"
              "      - {type: log, path: n.jsonl, filtr: {source: [x]}}\n"),
      "ecompipe.yaml:4: unknown key 'topics[0].subscriptions[0].filtr' (did you mean 'filter'?)");
}

// Regression: two subscriptions with one name shared the outbox's (topic, subscription,
// event) key, so the second was never notified.
TEST(NotifyConfigTest, DuplicateSubscriptionNamesInATopicAreRejected) {
  EXPECT_EQ(ErrorOf("topics:\n"
                    "  - name: t\n"
                    "    subscriptions:\n"
                    "      - {name: ops, type: log, path: a.jsonl}\n"
                    "      - {name: ops, type: webhook, url: \"http://h/\"}\n"),
            "ecompipe.yaml:5: duplicate subscription name 'ops' in topic 't'");
}

TEST(NotifyConfigTest, SubscriptionNamesDefaultToTypeAndPosition) {
  NotifyConfig cfg = ParseOrDie(
      "topics:\n"
      "  - name: t\n"
      "    subscriptions:\n"
      "      - {type: log, path: a.jsonl}\n"
      "      - {type: webhook, url: \"https://hooks.example/x\"}\n"
      "      - {name: pager, type: log, path: b.jsonl}\n");
  const auto& subs = cfg.topics[0].subscriptions;
  ASSERT_EQ(subs.size(), 3u);
  EXPECT_EQ(subs[0].name, "log-1");
  EXPECT_EQ(subs[1].name, "webhook-2");
  EXPECT_EQ(subs[1].type, "webhook");
  EXPECT_EQ(subs[1].target, "https://hooks.example/x");
  EXPECT_EQ(subs[2].name, "pager");
}

TEST(NotifyConfigTest, AnUnknownSubscriptionTypeListsTheAllowedOnes) {
  EXPECT_EQ(ErrorOf("topics:\n  - name: t\n    subscriptions:\n      - {type: pager, path: x}\n"),
            "ecompipe.yaml:4: 'topics[0].subscriptions[0].type': unknown subscription type 'pager' "
            "(allowed: log, webhook, email, sns)");
}

TEST(NotifyConfigTest, AWebhookSubscriptionNeedsAnHttpUrl) {
  EXPECT_EQ(
      ErrorOf("topics:\n  - name: t\n    subscriptions:\n      - {type: webhook, url: "
              "\"ftp://h/x\"}\n"),
      "ecompipe.yaml:4: 'topics[0].subscriptions[0].url' must start with http:// or https://");
}

// Regression: keys of the other subscription type were accepted and silently ignored.
TEST(NotifyConfigTest, KeysOfTheOtherSubscriptionTypeAreRejected) {
  EXPECT_EQ(ErrorOf("topics:\n  - name: t\n    subscriptions:\n"
                    "      - {type: log, path: a.jsonl, url: \"http://h/\"}\n"),
            "ecompipe.yaml:4: 'topics[0].subscriptions[0].url' applies to webhook subscriptions; "
            "a log subscription writes to 'path'");
  EXPECT_EQ(ErrorOf("topics:\n  - name: t\n    subscriptions:\n"
                    "      - {type: webhook, url: \"http://h/\", path: a.jsonl}\n"),
            "ecompipe.yaml:4: 'topics[0].subscriptions[0].path' applies to log subscriptions; "
            "a webhook subscription posts to 'url'");
}

TEST(NotifyConfigTest, ASubscriptionFilterIsAPattern) {
  NotifyConfig cfg = ParseOrDie(
      "topics:\n"
      "  - name: t\n"
      "    subscriptions:\n"
      "      - {type: webhook, url: \"http://oncall/\", filter: {detail: {state: [FAILED]}}}\n");
  const auto& filter = cfg.topics[0].subscriptions[0].filter;
  ASSERT_TRUE(filter.has_value());
  EXPECT_TRUE(filter->Matches(Glue(events::kJobStateChange, {{"state", "FAILED"}})));
  EXPECT_FALSE(filter->Matches(Glue(events::kJobStateChange, {{"state", "SUCCEEDED"}})));
}

TEST(NotifyConfigTest, ASubscriptionFilterMayBeAJsonString) {
  NotifyConfig cfg = ParseOrDie(
      "topics:\n"
      "  - name: t\n"
      "    subscriptions:\n"
      "      - type: log\n"
      "        path: a.jsonl\n"
      "        filter: '{\"detail\": {\"state\": [\"FAILED\"]}}'\n");
  const auto& filter = cfg.topics[0].subscriptions[0].filter;
  ASSERT_TRUE(filter.has_value());
  EXPECT_EQ(filter->source(), Json::parse(R"({"detail": {"state": ["FAILED"]}})"));
}

TEST(NotifyConfigTest, ABadSubscriptionFilterNamesTheSubscriptionAndLine) {
  EXPECT_EQ(ErrorOf("topics:\n"
                    "  - name: t\n"
                    "    subscriptions:\n"
                    "      - type: log\n"
                    "        path: a.jsonl\n"
                    "        filter:\n"
                    "          detail:\n"
                    "            state: FAILED\n"),
            "ecompipe.yaml:8: 'topics[0].subscriptions[0].filter' at 'detail.state': leaf values "
            "must be arrays (write [\"FAILED\"])");
}

TEST(NotifyConfigTest, EmailSubscriptionReadsSmtpRecipientsAndAuth) {
  NotifyConfig cfg = ParseOrDie(
      "topics:\n  - name: t\n    subscriptions:\n"
      "      - type: email\n        url: smtp://mail.example:587\n        starttls: true\n"
      "        from: \"ecompipe <noreply@shop.example>\"\n        to: [a@shop.example, "
      "b@shop.example]\n"
      "        username: u\n        password_env: SMTP_PASSWORD\n"
      "        dashboard_url: http://dash\n        max_age: 2h\n        max_per_hour: 6\n");
  const notify::Subscription& s = cfg.topics.at(0).subscriptions.at(0);
  EXPECT_EQ(s.name, "email-1");
  EXPECT_EQ(Email(s).smtp.url, "smtp://mail.example:587");
  EXPECT_TRUE(Email(s).smtp.starttls);
  EXPECT_EQ(Email(s).to, (std::vector<std::string>{"a@shop.example", "b@shop.example"}));
  EXPECT_EQ(Email(s).password_env, "SMTP_PASSWORD");
  EXPECT_EQ(Email(s).smtp.password, "");
  EXPECT_EQ(s.target, "a@shop.example,b@shop.example");
  EXPECT_EQ(s.max_age_ms, 2 * 3600 * 1000);
  EXPECT_EQ(s.rate_max, 6);
  EXPECT_EQ(s.rate_window_ms, 3600 * 1000);
}

TEST(NotifyConfigTest, EmailSubscriptionErrors) {
  EXPECT_EQ(
      ErrorOf("topics:\n  - name: t\n    subscriptions:\n"
              "      - {type: email, url: \"http://x\", from: a@b, to: c@d}\n"),
      "ecompipe.yaml:4: 'topics[0].subscriptions[0].url' must start with smtp:// or smtps://");
  EXPECT_EQ(ErrorOf("topics:\n  - name: t\n    subscriptions:\n"
                    "      - {type: email, url: \"smtp://x\", from: a@b, to: nobody}\n"),
            "ecompipe.yaml:4: 'topics[0].subscriptions[0].to': 'nobody' is not one email address");
  EXPECT_EQ(ErrorOf("topics:\n  - name: t\n    subscriptions:\n"
                    "      - {type: email, url: \"smtp://x\", from: a@b, to: c@d, password: p}\n"),
            "ecompipe.yaml:4: a password needs 'topics[0].subscriptions[0].username'");
  EXPECT_EQ(
      ErrorOf("topics:\n  - name: t\n    subscriptions:\n"
              "      - {type: email, url: \"smtp://x\", from: a@b, to: c@d, secret: s}\n"),
      "ecompipe.yaml:4: unknown key 'topics[0].subscriptions[0].secret' (allowed: name, type, "
      "filter, filter_policy, max_age, max_per_hour, rate_limit, backoff_base, backoff_max, "
      "url, from, to, starttls, insecure_skip_verify, username, password, password_env, "
      "dashboard_url, timeout, ca_file)");
}

TEST(NotifyConfigTest, SubscriptionDeliverySettings) {
  TempDir dir;
  const std::string ca = (std::filesystem::path(dir.path()) / "ca.pem").string();
  std::ofstream(ca) << "-----BEGIN CERTIFICATE-----\n";
  NotifyConfig cfg = ParseOrDie(
      "topics:\n  - name: t\n    subscriptions:\n"
      "      - type: webhook\n        url: https://hooks.example/x\n        timeout: 1500ms\n"
      "        ca_file: " +
      ca +
      "\n        backoff_base: 5s\n        backoff_max: 2m\n"
      "        rate_limit: {max: 3, window: 10m}\n");
  const notify::Subscription& s = cfg.topics.at(0).subscriptions.at(0);
  EXPECT_EQ(s.timeout_ms, 1500);
  EXPECT_EQ(s.ca_file, ca);
  EXPECT_EQ(s.backoff_base_ms, 5000);
  EXPECT_EQ(s.backoff_max_ms, 120000);
  EXPECT_EQ(s.rate_max, 3);
  EXPECT_EQ(s.rate_window_ms, 600000);
}

TEST(NotifyConfigTest, SubscriptionDeliverySettingErrors) {
  const std::string head =
      "topics:\n  - name: t\n    subscriptions:\n      - type: webhook\n"
      "        url: http://h/x\n";
  EXPECT_EQ(ErrorOf(head + "        timeout: soon\n"),
            "ecompipe.yaml:6: 'topics[0].subscriptions[0].timeout': 'soon' is not a duration like "
            "500ms, 90s, 30m, 24h or 7d");
  EXPECT_EQ(ErrorOf(head + "        ca_file: /nonexistent/ca.pem\n"),
            "ecompipe.yaml:6: 'topics[0].subscriptions[0].ca_file': no file /nonexistent/ca.pem");
  EXPECT_EQ(ErrorOf(head + "        backoff_base: 1m\n        backoff_max: 10s\n"),
            "ecompipe.yaml:7: 'topics[0].subscriptions[0].backoff_max' must not be shorter than "
            "backoff_base");
  EXPECT_EQ(ErrorOf(head + "        max_per_hour: 3\n        rate_limit: {max: 3}\n"),
            "ecompipe.yaml:7: give 'topics[0].subscriptions[0].max_per_hour' or "
            "'topics[0].subscriptions[0].rate_limit', not both");
  EXPECT_EQ(ErrorOf(head + "        rate_limit: {window: 1h}\n"),
            "ecompipe.yaml:6: missing required key 'topics[0].subscriptions[0].rate_limit.max'");
  EXPECT_EQ(
      ErrorOf(head + "        rate_limit: {max: 0}\n"),
      "ecompipe.yaml:6: 'topics[0].subscriptions[0].rate_limit.max' must be between 1 and 1000000");
  EXPECT_EQ(ErrorOf(head + "        rate_limit: {max: 2, per: 1h}\n"),
            "ecompipe.yaml:6: unknown key 'topics[0].subscriptions[0].rate_limit.per' (allowed: "
            "max, window)");
}

TEST(NotifyConfigTest, SnsSubscriptionTakesTheRegionFromTheArn) {
  NotifyConfig cfg = ParseOrDie(
      "topics:\n  - name: t\n    subscriptions:\n"
      "      - {type: sns, topic_arn: \"arn:aws:sns:eu-west-1:123456789012:status\"}\n");
  const notify::Subscription& s = cfg.topics.at(0).subscriptions.at(0);
  EXPECT_EQ(Sns(s).sns.region, "eu-west-1");
  EXPECT_EQ(Sns(s).sns.endpoint, "https://sns.eu-west-1.amazonaws.com");
  EXPECT_TRUE(Sns(s).sns.credentials.access_key_id.empty());
  EXPECT_EQ(
      ErrorOf("topics:\n  - name: t\n    subscriptions:\n"
              "      - {type: sns, topic_arn: \"arn:aws:sns:eu-west-1:1:t\", access_key_id: A}\n"),
      "ecompipe.yaml:4: give both 'access_key_id' and 'secret_access_key', or neither (then "
      "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are used)");
}

TEST(NotifyConfigTest, WebhookSecretAndFilterPolicy) {
  NotifyConfig cfg = ParseOrDie(
      "topics:\n  - name: t\n    subscriptions:\n"
      "      - type: webhook\n        url: http://h/x\n        secret_env: HOOK_SECRET\n"
      "        filter_policy:\n          state: [FAILED]\n          rowsRejected: [{numeric: "
      "[\">\", 0]}]\n");
  const notify::Subscription& s = cfg.topics.at(0).subscriptions.at(0);
  EXPECT_EQ(s.As<notify::WebhookSubscription>()->secret_env, "HOOK_SECRET");
  ASSERT_TRUE(s.filter_policy.has_value());
  EXPECT_TRUE(s.filter_policy->Matches(
      Json{{"id", "e"}, {"detail", {{"state", "FAILED"}, {"rowsRejected", 3}}}}));
  EXPECT_FALSE(s.filter_policy->Matches(
      Json{{"id", "e"}, {"detail", {{"state", "SUCCEEDED"}, {"rowsRejected", 3}}}}));
}

TEST(NotifyConfigTest, BadFilterPolicyAndMaxAgeAreErrors) {
  EXPECT_EQ(ErrorOf("topics:\n  - name: t\n    subscriptions:\n"
                    "      - {type: log, path: l, filter_policy: {state: FAILED}}\n")
                .rfind("ecompipe.yaml:4: 'topics[0].subscriptions[0].filter_policy' at 'state'", 0),
            0u);
  EXPECT_EQ(ErrorOf("topics:\n  - name: t\n    subscriptions:\n"
                    "      - {type: log, path: l, max_age: soon}\n"),
            "ecompipe.yaml:4: 'topics[0].subscriptions[0].max_age': 'soon' is not a duration like "
            "500ms, 90s, 30m, 24h or 7d");
}

// Regression: topics could be declared twice under one name.
TEST(NotifyConfigTest, DuplicateTopicNamesAreRejected) {
  EXPECT_EQ(ErrorOf("topics:\n  - name: t\n  - name: t\n"),
            "ecompipe.yaml:3: duplicate topic name 't'");
}

}  // namespace
}  // namespace ecompipe::notify
