#include "notify/notifier.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/digest.h"
#include "common/ids.h"
#include "common/sqlite_db.h"
#include "common/time_util.h"
#include "events/event.h"
#include "notify/filter_policy.h"
#include "notify/webhook_subscriber.h"
#include "test_http_server.h"
#include "testing/temp_dir.h"

namespace ecompipe::notify {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing_util::HttpRequest;
using testing_util::TestHttpServer;
using testing_util::UnusedPort;

using ::ecompipe::testing_util::TempDir;

Json JobEvent(const std::string& state = "SUCCEEDED") {
  return events::MakeEvent(
      events::Origin{}, events::kGlueSource, events::kJobStateChange, Json::array(),
      Json{{"jobName", "etl"}, {"state", state}, {"message", "Job run " + state}});
}

events::EventPattern Filter(const std::string& json) {
  Result<events::EventPattern> p = events::EventPattern::Parse(std::string_view(json));
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? *p : events::EventPattern();
}

Subscription LogSub(const std::string& name, const std::string& path) {
  return {name, "log", path, std::nullopt};
}

Subscription HookSub(const std::string& name, const std::string& url) {
  return {name, "webhook", url, std::nullopt};
}

std::unique_ptr<Notifier> OpenOrDie(const TempDir& dir, std::vector<Topic> topics,
                                    int max_attempts = 10) {
  Result<std::unique_ptr<Notifier>> n =
      Notifier::Open(dir.File("state.db"), std::move(topics), max_attempts);
  EXPECT_TRUE(n.ok()) << n.status().ToString();
  return n.ok() ? std::move(n).value() : nullptr;
}

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The outbox's scheduling columns, which the Notifier does not expose.
struct OutboxRow {
  std::string status;
  int attempts = 0;
  int64_t next_attempt_ms = 0;
  std::string last_error;
};

OutboxRow ReadRow(const TempDir& dir, const std::string& id) {
  auto db = SqliteDb::Open(dir.File("state.db"));
  EXPECT_TRUE(db.ok());
  auto q = (*db)->Prepare(
      "SELECT status, attempts, next_attempt_ms, COALESCE(last_error,'') FROM notifications WHERE "
      "id=?");
  EXPECT_TRUE(q.ok());
  q->Bind(1, id);
  auto row = q->Step();
  EXPECT_TRUE(row.ok() && *row) << "no notification " << id;
  if (!row.ok() || !*row) return {};
  return {q->Text(0), static_cast<int>(q->Int(1)), q->Int(2), q->Text(3)};
}

void MakeDue(const TempDir& dir) {
  auto db = SqliteDb::Open(dir.File("state.db"));
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->Exec("UPDATE notifications SET next_attempt_ms = 0").ok());
}

NotificationRecord OnlyRecord(Notifier& n) {
  Result<std::vector<NotificationRecord>> list = n.List(10);
  EXPECT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 1u);
  return list->empty() ? NotificationRecord{} : list->front();
}

TEST(NotifierTest, PublishStoresOneNotificationPerSubscription) {
  TempDir dir;
  auto n = OpenOrDie(
      dir, {{"status",
             {LogSub("log-1", dir.File("n.jsonl")), HookSub("hook", "http://127.0.0.1:9/x")}}});
  ASSERT_NE(n, nullptr);
  Json e = JobEvent("FAILED");
  ASSERT_TRUE(n->Publish("status", e).ok());
  EXPECT_EQ(*n->PendingCount(), 2);
  std::vector<NotificationRecord> list = *n->List(10);
  ASSERT_EQ(list.size(), 2u);
  std::set<std::string> subs;
  for (const auto& r : list) {
    subs.insert(r.subscription);
    EXPECT_EQ(r.topic, "status");
    EXPECT_EQ(r.event_id, e["id"]);
    EXPECT_EQ(r.status, NotificationStatus::kPending);
    EXPECT_EQ(r.attempts, 0);
    EXPECT_EQ(r.summary, "Glue Job State Change FAILED");
    EXPECT_EQ(r.delivered_at, "");
    EXPECT_FALSE(r.created_at.empty());
    EXPECT_TRUE(std::regex_match(r.id, std::regex("^[0-9a-f-]{36}$"))) << r.id;
  }
  EXPECT_EQ(subs, (std::set<std::string>{"log-1", "hook"}));
  EXPECT_NE(list[0].id, list[1].id);
}

TEST(NotifierTest, PublishSkipsSubscriptionsWhoseFilterDoesNotMatch) {
  TempDir dir;
  Subscription oncall = HookSub("oncall", "http://127.0.0.1:9/x");
  oncall.filter = Filter(R"({"detail": {"state": ["FAILED"]}})");
  auto n = OpenOrDie(dir, {{"status", {LogSub("all", dir.File("n.jsonl")), oncall}}});
  ASSERT_NE(n, nullptr);
  ASSERT_TRUE(n->Publish("status", JobEvent("SUCCEEDED")).ok());
  std::vector<NotificationRecord> list = *n->List(10);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].subscription, "all");
  ASSERT_TRUE(n->Publish("status", JobEvent("FAILED")).ok());
  EXPECT_EQ(*n->PendingCount(), 3);
}

TEST(NotifierTest, PublishToAnUnknownTopicIsNotFound) {
  TempDir dir;
  auto n = OpenOrDie(dir, {{"status", {LogSub("log", dir.File("n.jsonl"))}}});
  ASSERT_NE(n, nullptr);
  Status s = n->Publish("statsu", JobEvent());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("statsu"));
  EXPECT_EQ(*n->PendingCount(), 0);
}

TEST(NotifierTest, PublishingTheSameEventTwiceStoresItOnce) {
  TempDir dir;
  auto n = OpenOrDie(dir, {{"status", {LogSub("log", dir.File("n.jsonl"))}}});
  ASSERT_NE(n, nullptr);
  Json e = JobEvent();
  ASSERT_TRUE(n->Publish("status", e).ok());
  std::string first_id = OnlyRecord(*n).id;
  ASSERT_TRUE(n->Publish("status", e).ok());
  EXPECT_EQ(*n->PendingCount(), 1);
  EXPECT_EQ(OnlyRecord(*n).id, first_id);
}

TEST(NotifierTest, ATopicWithoutSubscriptionsStoresNothing) {
  TempDir dir;
  auto n = OpenOrDie(dir, {{"quiet", {}}});
  ASSERT_NE(n, nullptr);
  EXPECT_TRUE(n->Publish("quiet", JobEvent()).ok());
  EXPECT_EQ(*n->PendingCount(), 0);
}

// Regression: events without an id were all stored under event_id "", so every event after
// the first was dropped as a "duplicate".
TEST(NotifierTest, PublishingAnEventWithoutAnIdIsInvalidArgument) {
  TempDir dir;
  auto n = OpenOrDie(dir, {{"status", {LogSub("log", dir.File("n.jsonl"))}}});
  ASSERT_NE(n, nullptr);
  Json no_id = JobEvent();
  no_id.erase("id");
  Json number_id = JobEvent();
  number_id["id"] = 7;
  for (const Json& bad : {no_id, number_id, Json::array(), Json("x")}) {
    Status s = n->Publish("status", bad);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad.dump();
  }
  EXPECT_EQ(*n->PendingCount(), 0);
}

// Regression: a detail that is not an object, or a non-string state, threw type_error.
TEST(NotifierTest, PublishToleratesOddDetailShapes) {
  TempDir dir;
  auto n = OpenOrDie(dir, {{"status", {LogSub("log", dir.File("n.jsonl"))}}});
  ASSERT_NE(n, nullptr);
  Json string_detail = JobEvent();
  string_detail["detail"] = "text";
  Json number_state = JobEvent();
  number_state["detail"]["state"] = 3;
  Json number_type = JobEvent();
  number_type["detail-type"] = 1;
  for (const Json& e : {string_detail, number_state, number_type}) {
    EXPECT_TRUE(n->Publish("status", e).ok()) << e.dump();
  }
  EXPECT_EQ(*n->PendingCount(), 3);
}

// Regression: invalid UTF-8 in an event made Json::dump() throw inside the transaction.
TEST(NotifierTest, PublishingInvalidUtf8IsInvalidArgument) {
  TempDir dir;
  auto n = OpenOrDie(dir, {{"status", {LogSub("log", dir.File("n.jsonl"))}}});
  ASSERT_NE(n, nullptr);
  Json e = JobEvent();
  e["detail"]["message"] = "bad \xff byte";
  EXPECT_EQ(n->Publish("status", e).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(n->Publish("status", JobEvent()).ok());  // and the outbox still works
}

TEST(NotifierTest, LogDeliveryWritesOneJsonLinePerNotification) {
  TempDir dir;
  const std::string path = dir.File("notifications.jsonl");
  auto n = OpenOrDie(dir, {{"status", {LogSub("log-1", path)}}});
  ASSERT_NE(n, nullptr);
  Json a = JobEvent("SUCCEEDED"), b = JobEvent("FAILED");
  ASSERT_TRUE(n->Publish("status", a).ok());
  ASSERT_TRUE(n->Publish("status", b).ok());
  Result<int> delivered = n->DeliverDue();
  ASSERT_TRUE(delivered.ok()) << delivered.status().ToString();
  EXPECT_EQ(*delivered, 2);
  std::vector<std::string> lines = ReadLines(path);
  ASSERT_EQ(lines.size(), 2u);
  std::vector<NotificationRecord> list = *n->List(10);  // most recent first
  for (size_t i = 0; i < lines.size(); ++i) {
    Result<Json> line = ParseJson(lines[i]);
    ASSERT_TRUE(line.ok()) << lines[i];
    EXPECT_EQ((*line)["event"], i == 0 ? a : b);
    EXPECT_EQ((*line)["topic"], "status");
    EXPECT_EQ((*line)["subscription"], "log-1");
    EXPECT_EQ((*line)["notification_id"], list[1 - i].id);
    EXPECT_TRUE((*line)["delivered_at"].is_string());
  }
}

TEST(NotifierTest, StateChangesAreCountedBySubscriptionOnceRecorded) {
  TempDir dir;
  metrics::Metrics m;
  Result<std::unique_ptr<Notifier>> n = Notifier::Open(
      dir.File("state.db"),
      {{"status",
        {LogSub("log", dir.File("n.jsonl")),
         HookSub("hook", "http://127.0.0.1:" + std::to_string(UnusedPort()) + "/x")}}},
      10, {}, &m);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  Json e = JobEvent();
  ASSERT_TRUE((*n)->Publish("status", e).ok());
  ASSERT_TRUE((*n)->Publish("status", e).ok());  // stored once, counted once
  ASSERT_TRUE((*n)->DeliverDue().ok());
  auto count = [&](const std::string& sub, const std::string& state) {
    return m.ValueForTest("ecompipe_notifications_total",
                          {{"topic", "status"}, {"subscription", sub}, {"state", state}});
  };
  EXPECT_EQ(count("log", "published"), 1);
  EXPECT_EQ(count("hook", "published"), 1);
  EXPECT_EQ(count("log", "delivered"), 1);
  EXPECT_EQ(count("hook", "failed"), 1);  // nothing listens there: retried later
  EXPECT_EQ(count("hook", "delivered"), 0);
}

TEST(NotifierTest, LogDeliveryCreatesTheFolder) {
  TempDir dir;
  const std::string path = dir.File("logs/deep/n.jsonl");
  auto n = OpenOrDie(dir, {{"status", {LogSub("log", path)}}});
  ASSERT_NE(n, nullptr);
  ASSERT_TRUE(n->Publish("status", JobEvent()).ok());
  EXPECT_EQ(*n->DeliverDue(), 1);
  EXPECT_EQ(ReadLines(path).size(), 1u);
}

TEST(NotifierTest, ADeliveredNotificationIsNotSentAgain) {
  TempDir dir;
  const std::string path = dir.File("n.jsonl");
  auto n = OpenOrDie(dir, {{"status", {LogSub("log", path)}}});
  ASSERT_NE(n, nullptr);
  ASSERT_TRUE(n->Publish("status", JobEvent()).ok());
  EXPECT_EQ(*n->DeliverDue(), 1);
  EXPECT_EQ(*n->DeliverDue(), 0);
  EXPECT_EQ(ReadLines(path).size(), 1u);
  NotificationRecord r = OnlyRecord(*n);
  EXPECT_EQ(r.status, NotificationStatus::kDelivered);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_FALSE(r.delivered_at.empty());
  EXPECT_EQ(*n->PendingCount(), 0);
}

// Regression: due notifications were ordered by (created_at, random UUID), so those published
// within one millisecond went out in random order.
TEST(NotifierTest, DeliveryIsOldestFirst) {
  TempDir dir;
  const std::string path = dir.File("n.jsonl");
  auto n = OpenOrDie(dir, {{"status", {LogSub("log", path)}}});
  ASSERT_NE(n, nullptr);
  std::vector<std::string> published;
  for (int i = 0; i < 30; ++i) {
    Json e = JobEvent();
    published.push_back(e["id"]);
    ASSERT_TRUE(n->Publish("status", e).ok());
  }
  EXPECT_EQ(*n->DeliverDue(), 30);
  std::vector<std::string> written;
  for (const std::string& line : ReadLines(path))
    written.push_back((*ParseJson(line))["event"]["id"]);
  EXPECT_EQ(written, published);
}

TEST(NotifierTest, AnUnwritableLogFileIsRetriedLater) {
  TempDir dir;
  const std::string path = dir.File("a-folder");
  fs::create_directories(path);  // open(O_WRONLY) on a folder fails with EISDIR
  auto n = OpenOrDie(dir, {{"status", {LogSub("log", path)}}});
  ASSERT_NE(n, nullptr);
  ASSERT_TRUE(n->Publish("status", JobEvent()).ok());
  const int64_t before = NowMillis();
  EXPECT_EQ(*n->DeliverDue(), 0);
  NotificationRecord r = OnlyRecord(*n);
  EXPECT_EQ(r.status, NotificationStatus::kPending);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_THAT(r.last_error, HasSubstr(path));
  EXPECT_GT(ReadRow(dir, r.id).next_attempt_ms, before);
  EXPECT_EQ(*n->DeliverDue(), 0);  // not due again yet
  EXPECT_EQ(OnlyRecord(*n).attempts, 1);
}

TEST(NotifierTest, MaxAttemptsMakesADeadLetter) {
  TempDir dir;
  const std::string path = dir.File("a-folder");
  fs::create_directories(path);
  auto n = OpenOrDie(dir, {{"status", {LogSub("log", path)}}}, /*max_attempts=*/2);
  ASSERT_NE(n, nullptr);
  ASSERT_TRUE(n->Publish("status", JobEvent()).ok());
  EXPECT_EQ(*n->DeliverDue(), 0);
  EXPECT_EQ(OnlyRecord(*n).status, NotificationStatus::kPending);
  MakeDue(dir);
  EXPECT_EQ(*n->DeliverDue(), 0);
  NotificationRecord r = OnlyRecord(*n);
  EXPECT_EQ(r.status, NotificationStatus::kDead);
  EXPECT_EQ(r.attempts, 2);
  EXPECT_EQ(*n->PendingCount(), 0);
  MakeDue(dir);
  EXPECT_EQ(*n->DeliverDue(), 0);
  EXPECT_EQ(OnlyRecord(*n).attempts, 2);  // a dead letter is never retried
}

// The delay doubles per attempt; its upper half is random (jitter), so a retry lands between
// half and all of 1 s * 2^(attempt-1) after the failure.
TEST(NotifierTest, RetryBackoffDoublesWithJitter) {
  TempDir dir;
  const std::string path = dir.File("a-folder");
  fs::create_directories(path);
  auto n = OpenOrDie(dir, {{"status", {LogSub("log", path)}}});
  ASSERT_NE(n, nullptr);
  ASSERT_TRUE(n->Publish("status", JobEvent()).ok());
  std::string id = OnlyRecord(*n).id;
  for (int attempt = 1; attempt <= 3; ++attempt) {
    MakeDue(dir);
    const int64_t before = NowMillis();
    ASSERT_TRUE(n->DeliverDue().ok());
    const int64_t after = NowMillis();
    OutboxRow row = ReadRow(dir, id);
    const int64_t delay = int64_t{1000} << (attempt - 1);
    EXPECT_EQ(row.attempts, attempt);
    EXPECT_GE(row.next_attempt_ms, before + delay / 2);
    EXPECT_LE(row.next_attempt_ms, after + delay);
  }
}

TEST(NotifierTest, BackoffBaseAndCapComeFromTheSubscription) {
  TempDir dir;
  const std::string path = dir.File("a-folder");
  fs::create_directories(path);
  Subscription log = LogSub("log", path);
  log.backoff_base_ms = 50;
  log.backoff_max_ms = 150;
  auto n = OpenOrDie(dir, {{"status", {log}}});
  ASSERT_TRUE(n->Publish("status", JobEvent()).ok());
  std::string id = OnlyRecord(*n).id;
  for (int attempt = 1; attempt <= 4; ++attempt) {
    MakeDue(dir);
    const int64_t before = NowMillis();
    ASSERT_TRUE(n->DeliverDue().ok());
    const int64_t after = NowMillis();
    // 50, 100, then capped at 150 ms.
    const int64_t delay = std::min<int64_t>(int64_t{50} << (attempt - 1), 150);
    OutboxRow row = ReadRow(dir, id);
    EXPECT_GE(row.next_attempt_ms, before + delay / 2) << "attempt " << attempt;
    EXPECT_LE(row.next_attempt_ms, after + delay) << "attempt " << attempt;
  }
}

TEST(NotifierTest, WebhookDeliveryPostsTheEventWithHeaders) {
  TempDir dir;
  TestHttpServer server(204);
  auto n = OpenOrDie(dir, {{"status", {HookSub("hook", server.Url("/hooks/ecompipe"))}}});
  ASSERT_NE(n, nullptr);
  Json e = JobEvent();
  ASSERT_TRUE(n->Publish("status", e).ok());
  EXPECT_EQ(*n->DeliverDue(), 1);
  std::vector<HttpRequest> reqs = server.Requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].target, "/hooks/ecompipe");
  EXPECT_EQ(reqs[0].Header("Content-Type"), "application/json");
  EXPECT_EQ(reqs[0].Header("X-Ecompipe-Topic"), "status");
  NotificationRecord r = OnlyRecord(*n);
  EXPECT_EQ(reqs[0].Header("X-Ecompipe-Delivery"), r.id);
  EXPECT_EQ(*ParseJson(reqs[0].body), e);
  EXPECT_EQ(r.status, NotificationStatus::kDelivered);
}

TEST(NotifierTest, AWebhookAnsweringServerErrorIsRetriedLater) {
  TempDir dir;
  TestHttpServer server(500);
  auto n = OpenOrDie(dir, {{"status", {HookSub("hook", server.Url())}}});
  ASSERT_NE(n, nullptr);
  ASSERT_TRUE(n->Publish("status", JobEvent()).ok());
  const int64_t before = NowMillis();
  EXPECT_EQ(*n->DeliverDue(), 0);
  NotificationRecord r = OnlyRecord(*n);
  EXPECT_EQ(r.status, NotificationStatus::kPending);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_THAT(r.last_error, HasSubstr("HTTP 500"));
  EXPECT_GT(ReadRow(dir, r.id).next_attempt_ms, before);
  EXPECT_EQ(*n->DeliverDue(), 0);
  EXPECT_EQ(server.Requests().size(), 1u);  // not due again yet
}

TEST(NotifierTest, ARetriedWebhookIsDeliveredOnceTheReceiverRecovers) {
  TempDir dir;
  TestHttpServer server(503);
  auto n = OpenOrDie(dir, {{"status", {HookSub("hook", server.Url())}}});
  ASSERT_NE(n, nullptr);
  ASSERT_TRUE(n->Publish("status", JobEvent()).ok());
  EXPECT_EQ(*n->DeliverDue(), 0);
  server.SetStatus(200);
  MakeDue(dir);
  EXPECT_EQ(*n->DeliverDue(), 1);
  NotificationRecord r = OnlyRecord(*n);
  EXPECT_EQ(r.status, NotificationStatus::kDelivered);
  EXPECT_EQ(r.attempts, 2);
  EXPECT_EQ(r.last_error, "");
  std::vector<HttpRequest> reqs = server.Requests();
  ASSERT_EQ(reqs.size(), 2u);
  // The same notification id both times, so the receiver can drop duplicates.
  EXPECT_EQ(reqs[0].Header("X-Ecompipe-Delivery"), reqs[1].Header("X-Ecompipe-Delivery"));
}

TEST(NotifierTest, AWebhookAnswering404IsADeadLetterAtOnce) {
  TempDir dir;
  TestHttpServer server(404);
  auto n = OpenOrDie(dir, {{"status", {HookSub("hook", server.Url())}}});
  ASSERT_NE(n, nullptr);
  ASSERT_TRUE(n->Publish("status", JobEvent()).ok());
  EXPECT_EQ(*n->DeliverDue(), 0);
  NotificationRecord r = OnlyRecord(*n);
  EXPECT_EQ(r.status, NotificationStatus::kDead);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_THAT(r.last_error, HasSubstr("HTTP 404"));
  EXPECT_EQ(*n->PendingCount(), 0);
}

TEST(NotifierTest, AWebhookThatRefusesConnectionsIsRetried) {
  TempDir dir;
  auto n = OpenOrDie(
      dir,
      {{"status", {HookSub("hook", "http://127.0.0.1:" + std::to_string(UnusedPort()) + "/x")}}});
  ASSERT_NE(n, nullptr);
  ASSERT_TRUE(n->Publish("status", JobEvent()).ok());
  const int64_t before = NowMillis();
  EXPECT_EQ(*n->DeliverDue(), 0);
  NotificationRecord r = OnlyRecord(*n);
  EXPECT_EQ(r.status, NotificationStatus::kPending);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_GT(ReadRow(dir, r.id).next_attempt_ms, before);
}

// Regression (issue 14): a webhook URL with a password and a token was stored in the outbox's
// target and in last_error verbatim. Both are redacted; the post still uses the real URL.
TEST(NotifierTest, AFailingWebhooksSecretsAreNotStored) {
  TempDir dir;
  const std::string port = std::to_string(UnusedPort());
  const std::string url = "http://user:PASS@127.0.0.1:" + port + "/x?token=SECRET&team=ops";
  auto n = OpenOrDie(dir, {{"status", {HookSub("hook", url)}}});
  ASSERT_NE(n, nullptr);
  ASSERT_TRUE(n->Publish("status", JobEvent()).ok());
  EXPECT_EQ(*n->DeliverDue(), 0);
  NotificationRecord r = OnlyRecord(*n);
  const std::string redacted =
      "http://user:REDACTED@127.0.0.1:" + port + "/x?token=REDACTED&team=ops";
  EXPECT_EQ(r.target, redacted);
  EXPECT_EQ(r.last_error.find("POST " + redacted + ": "), 0u) << r.last_error;
  std::ifstream in(dir.File("state.db"), std::ios::binary);
  const std::string bytes(std::istreambuf_iterator<char>(in), {});
  std::ifstream wal(dir.File("state.db") + "-wal", std::ios::binary);
  const std::string wal_bytes(std::istreambuf_iterator<char>(wal), {});
  for (const char* secret : {"PASS", "SECRET"}) {
    EXPECT_EQ(bytes.find(secret), std::string::npos) << secret;
    EXPECT_EQ(wal_bytes.find(secret), std::string::npos) << secret;
  }
}

// A webhook subscription removed from the configuration cannot be sent to with a redacted URL:
// a dead letter saying why, not a post to the wrong address.
TEST(NotifierTest, ARemovedWebhookWithARedactedUrlIsADeadLetter) {
  TempDir dir;
  const std::string url = "http://127.0.0.1:" + std::to_string(UnusedPort()) + "/x?token=SECRET";
  {
    auto n = OpenOrDie(dir, {{"status", {HookSub("hook", url)}}});
    ASSERT_TRUE(n->Publish("status", JobEvent()).ok());
  }
  auto n = OpenOrDie(dir, {{"status", {}}});
  EXPECT_EQ(*n->DeliverDue(), 0);
  NotificationRecord r = OnlyRecord(*n);
  EXPECT_EQ(r.status, NotificationStatus::kDead);
  EXPECT_NE(r.last_error.find("no longer configured"), std::string::npos) << r.last_error;
}

TEST(NotifierTest, OneFailingSubscriptionDoesNotHoldBackTheOthers) {
  TempDir dir;
  TestHttpServer down(500);
  const std::string path = dir.File("n.jsonl");
  auto n = OpenOrDie(dir, {{"status", {HookSub("hook", down.Url()), LogSub("log", path)}}});
  ASSERT_NE(n, nullptr);
  ASSERT_TRUE(n->Publish("status", JobEvent()).ok());
  EXPECT_EQ(*n->DeliverDue(), 1);
  EXPECT_EQ(ReadLines(path).size(), 1u);
  EXPECT_EQ(*n->PendingCount(), 1);
}

TEST(NotifierTest, AnUnknownSubscriptionTypeIsADeadLetter) {
  TempDir dir;
  auto n = OpenOrDie(dir, {{"status", {{"pager", "pager", "555-0100", std::nullopt}}}});
  ASSERT_NE(n, nullptr);
  ASSERT_TRUE(n->Publish("status", JobEvent()).ok());
  EXPECT_EQ(*n->DeliverDue(), 0);
  NotificationRecord r = OnlyRecord(*n);
  EXPECT_EQ(r.status, NotificationStatus::kDead);
  EXPECT_THAT(r.last_error, HasSubstr("unknown subscription type 'pager'"));
}

TEST(NotifierTest, ListIsMostRecentFirstAndLimited) {
  TempDir dir;
  auto n = OpenOrDie(dir, {{"status", {LogSub("log", dir.File("n.jsonl"))}}});
  ASSERT_NE(n, nullptr);
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    Json e = JobEvent();
    ids.push_back(e["id"]);
    ASSERT_TRUE(n->Publish("status", e).ok());
  }
  std::vector<NotificationRecord> list = *n->List(3);
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].event_id, ids[4]);
  EXPECT_EQ(list[1].event_id, ids[3]);
  EXPECT_EQ(list[2].event_id, ids[2]);
}

TEST(NotifierTest, ListFiltersByStatus) {
  TempDir dir;
  TestHttpServer gone(404);  // dead letters at once
  auto n =
      OpenOrDie(dir, {{"status", {HookSub("hook", gone.Url()), LogSub("log", dir.File("l"))}}});
  ASSERT_TRUE(n->Publish("status", JobEvent()).ok());
  ASSERT_TRUE(n->DeliverDue().ok());
  ASSERT_TRUE(n->Publish("status", JobEvent()).ok());  // two more, pending
  auto dead = *n->List(10, NotificationStatus::kDead);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].subscription, "hook");
  auto delivered = *n->List(10, NotificationStatus::kDelivered);
  ASSERT_EQ(delivered.size(), 1u);
  EXPECT_EQ(delivered[0].subscription, "log");
  EXPECT_EQ(n->List(10, NotificationStatus::kPending)->size(), 2u);
  EXPECT_EQ(n->List(10)->size(), 4u);
}

TEST(NotifierTest, PendingCountCountsOnlyPending) {
  TempDir dir;
  TestHttpServer gone(404);
  auto n =
      OpenOrDie(dir, {{"status", {LogSub("log", dir.File("n.jsonl")), HookSub("hook", gone.Url())}},
                      {"later", {LogSub("log", dir.File("later.jsonl"))}}});
  ASSERT_NE(n, nullptr);
  ASSERT_TRUE(n->Publish("status", JobEvent()).ok());
  EXPECT_EQ(*n->PendingCount(), 2);
  EXPECT_EQ(*n->DeliverDue(), 1);  // log delivered, webhook dead
  ASSERT_TRUE(n->Publish("later", JobEvent()).ok());
  EXPECT_EQ(*n->PendingCount(), 1);
}

TEST(NotifierTest, TheOutboxSurvivesARestart) {
  TempDir dir;
  const std::string path = dir.File("n.jsonl");
  std::vector<Topic> topics = {{"status", {LogSub("log", path)}}};
  {
    auto n = OpenOrDie(dir, topics);
    ASSERT_NE(n, nullptr);
    ASSERT_TRUE(n->Publish("status", JobEvent()).ok());
  }  // stops before delivering
  auto n = OpenOrDie(dir, topics);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(*n->PendingCount(), 1);
  EXPECT_EQ(*n->DeliverDue(), 1);
  EXPECT_EQ(ReadLines(path).size(), 1u);
}

TEST(NotifierTest, OpenInAMissingFolderFails) {
  TempDir dir;
  Result<std::unique_ptr<Notifier>> n = Notifier::Open(dir.File("missing/state.db"), {});
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), StatusCode::kIoError);
}


// The outbox's stored names and `ecompipe notifications --status` are these, as they always were.
TEST(NotificationStatusTest, NamesParseBack) {
  for (NotificationStatus status :
       {NotificationStatus::kPending, NotificationStatus::kDelivered, NotificationStatus::kDead})
    EXPECT_EQ(ParseNotificationStatus(NotificationStatusName(status)), status);
  EXPECT_EQ(NotificationStatusName(NotificationStatus::kPending), "pending");
  EXPECT_EQ(NotificationStatusName(NotificationStatus::kDelivered), "delivered");
  EXPECT_EQ(NotificationStatusName(NotificationStatus::kDead), "dead");
  EXPECT_EQ(ParseNotificationStatus(""), std::nullopt);
  EXPECT_EQ(ParseNotificationStatus("Dead"), std::nullopt);
}
}  // namespace
}  // namespace ecompipe::notify

namespace ecompipe::notify {
namespace {

Subscription SignedHookSub(const std::string& name, const std::string& url,
                           const std::string& secret) {
  Subscription s = HookSub(name, url);
  s.settings = WebhookSubscription{secret, ""};
  return s;
}

TEST(NotifierTest, SignedWebhookCarriesTimestampAndHmacOfTimestampDotBody) {
  TempDir dir;
  TestHttpServer server(200);
  auto n = OpenOrDie(dir, {{"status", {SignedHookSub("hook", server.Url(), "s3cret")}}});
  ASSERT_NE(n, nullptr);
  ASSERT_TRUE(n->Publish("status", JobEvent()).ok());
  EXPECT_EQ(*n->DeliverDue(), 1);
  auto reqs = server.Requests();
  ASSERT_EQ(reqs.size(), 1u);
  const std::string ts = reqs[0].Header("x-ecompipe-timestamp");
  ASSERT_FALSE(ts.empty());
  EXPECT_NEAR(std::stoll(ts), NowMillis() / 1000, 5);
  EXPECT_EQ(reqs[0].Header("x-ecompipe-signature"),
            "v1=" + HexEncode(HmacSha256("s3cret", ts + "." + reqs[0].body)));
}

TEST(NotifierTest, UnsignedWebhookHasNoSignatureHeaders) {
  TempDir dir;
  TestHttpServer server(200);
  auto n = OpenOrDie(dir, {{"status", {HookSub("hook", server.Url())}}});
  ASSERT_TRUE(n->Publish("status", JobEvent()).ok());
  EXPECT_EQ(*n->DeliverDue(), 1);
  EXPECT_EQ(server.Requests().at(0).Header("x-ecompipe-signature"), "");
}

TEST(NotifierTest, FilterPolicyKeepsOnlyMatchingDetail) {
  TempDir dir;
  Subscription oncall = LogSub("oncall", dir.File("oncall.jsonl"));
  Result<events::EventPattern> p = ParseFilterPolicy(Json::parse(R"({"state": ["FAILED"]})"));
  ASSERT_TRUE(p.ok());
  oncall.filter_policy = *p;
  auto n = OpenOrDie(dir, {{"status", {oncall}}});
  ASSERT_TRUE(n->Publish("status", JobEvent("SUCCEEDED")).ok());
  ASSERT_TRUE(n->Publish("status", JobEvent("FAILED")).ok());
  auto list = n->List(10);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(list->front().summary, "Glue Job State Change FAILED");
}

TEST(NotifierTest, PastMaxAgeAFailureIsADeadLetterAndRedriveSendsItAgain) {
  TempDir dir;
  TestHttpServer server(500);
  Subscription hook = HookSub("hook", server.Url());
  hook.max_age_ms = 1;  // any failure after the first millisecond is final
  auto n = OpenOrDie(dir, {{"status", {hook}}}, 0);
  ASSERT_TRUE(n->Publish("status", JobEvent()).ok());
  std::string id = OnlyRecord(*n).id;
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(*n->DeliverDue(), 0);
  OutboxRow row = ReadRow(dir, id);
  EXPECT_EQ(row.status, "dead");
  EXPECT_THAT(row.last_error, ::testing::HasSubstr("max_age"));

  EXPECT_EQ(*n->Redrive("no-such-id"), 0);
  server.SetStatus(200);
  EXPECT_EQ(*n->Redrive(id), 1);
  EXPECT_EQ(ReadRow(dir, id).status, "pending");
  EXPECT_EQ(*n->DeliverDue(), 1);
  EXPECT_EQ(ReadRow(dir, id).status, "delivered");
  // The same delivery id on every attempt, redriven or not.
  auto reqs = server.Requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].Header("x-ecompipe-delivery"), id);
  EXPECT_EQ(reqs[1].Header("x-ecompipe-delivery"), id);
}

TEST(NotifierTest, RedriveAllTouchesDeadLettersOnly) {
  TempDir dir;
  TestHttpServer server(404);  // a 4xx is a dead letter at once
  auto n =
      OpenOrDie(dir, {{"status", {HookSub("hook", server.Url()), LogSub("log", dir.File("l"))}}});
  ASSERT_TRUE(n->Publish("status", JobEvent("FAILED")).ok());
  ASSERT_TRUE(n->Publish("status", JobEvent("SUCCEEDED")).ok());
  EXPECT_EQ(*n->DeliverDue(), 2);  // the two log lines
  EXPECT_EQ(*n->Redrive(""), 2);   // the two webhook dead letters
  EXPECT_EQ(*n->PendingCount(), 2);
}

TEST(NotifierTest, RateLimitHoldsThenSendsOneDigest) {
  TempDir dir;
  TestHttpServer server(200);
  Subscription hook = HookSub("hook", server.Url());
  hook.rate_max = 2;
  auto n = OpenOrDie(dir, {{"status", {hook}}});
  ASSERT_TRUE(n->Publish("status", JobEvent("FAILED")).ok());
  EXPECT_EQ(*n->DeliverDue(), 1);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(n->Publish("status", JobEvent("FAILED")).ok());
  // One slot left in the hour and five waiting: they go out together, as one digest.
  EXPECT_EQ(*n->DeliverDue(), 5);
  auto reqs = server.Requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[1].Header("x-ecompipe-digest"), "5");
  Json digest = Json::parse(reqs[1].body);
  EXPECT_EQ(digest["type"], "digest");
  EXPECT_EQ(digest["events"].size(), 5u);
  // The hour's budget is spent: the next one is held, not sent.
  ASSERT_TRUE(n->Publish("status", JobEvent("FAILED")).ok());
  EXPECT_EQ(*n->DeliverDue(), 0);
  EXPECT_EQ(server.Requests().size(), 2u);
  EXPECT_EQ(*n->PendingCount(), 1);
  // Held until the first delivery of the hour leaves the window, about an hour from now.
  auto list = n->List(1);
  OutboxRow held = ReadRow(dir, list->front().id);
  EXPECT_GT(held.next_attempt_ms, NowMillis() + 3500 * 1000);
  EXPECT_THAT(held.last_error, HasSubstr("max_per_hour"));
  EXPECT_EQ(held.attempts, 0);
}

TEST(NotifierTest, AfterTheRateWindowTheHeldOnesGoOutAsOneDigest) {
  TempDir dir;
  TestHttpServer server(200);
  Subscription hook = HookSub("hook", server.Url());
  hook.rate_max = 1;
  hook.rate_window_ms = 400;
  auto n = OpenOrDie(dir, {{"status", {hook}}});
  ASSERT_TRUE(n->Publish("status", JobEvent("FAILED")).ok());
  EXPECT_EQ(*n->DeliverDue(), 1);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(n->Publish("status", JobEvent("FAILED")).ok());
  EXPECT_EQ(*n->DeliverDue(), 0);  // the window's one delivery went out: held
  EXPECT_EQ(*n->PendingCount(), 3);
  // Held until the first delivery leaves the window, not longer.
  OutboxRow held = ReadRow(dir, n->List(1)->front().id);
  EXPECT_LE(held.next_attempt_ms, NowMillis() + 401);
  int delivered = 0;
  for (int i = 0; i < 100 && delivered == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    delivered = *n->DeliverDue();
  }
  EXPECT_EQ(delivered, 3);
  auto reqs = server.Requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[1].Header("x-ecompipe-digest"), "3");
  EXPECT_EQ(*n->PendingCount(), 0);
}

}  // namespace
}  // namespace ecompipe::notify

namespace ecompipe::notify {
namespace {

TEST(NotifierTest, ADownReceiverCostsOneAttemptPerPassNotOnePerNotification) {
  TempDir dir;
  TestHttpServer server(503);
  auto n =
      OpenOrDie(dir, {{"status", {HookSub("hook", server.Url()), LogSub("log", dir.File("l"))}}});
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(n->Publish("status", JobEvent()).ok());
  EXPECT_EQ(*n->DeliverDue(), 3);           // the log subscription is not held up
  EXPECT_EQ(server.Requests().size(), 1u);  // one attempt for the webhook
  EXPECT_EQ(*n->DeliverDue(), 0);
  EXPECT_EQ(server.Requests().size(), 2u);  // the next one in the next pass
  server.SetStatus(200);
  MakeDue(dir);
  EXPECT_EQ(*n->DeliverDue(), 3);  // back up: all three go out
  EXPECT_EQ(*n->PendingCount(), 0);
}

}  // namespace
}  // namespace ecompipe::notify
