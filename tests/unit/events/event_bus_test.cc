#include "events/event_bus.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "common/time_util.h"
#include "events/sql/sql_event_log.h"
#include "events_test_util.h"

namespace ecompipe::events {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing_util::DeliveryRow;
using testing_util::GlueEvent;
using testing_util::MakeRule;
using testing_util::OpenLogOrDie;
using testing_util::ReadDeliveries;
using testing_util::TempDir;

// Events whose detail.jobName is `name`; every rule below matches on that.
Json Event(const std::string& name, const std::string& state = "SUCCEEDED") {
  return GlueEvent(kJobStateChange, name, state);
}

Rule RuleFor(const std::string& rule, const std::string& job_name, std::vector<Target> targets) {
  return MakeRule(rule, R"({"detail": {"jobName": [")" + job_name + R"("]}})", std::move(targets));
}

class Bus {
 public:
  Bus(const TempDir& dir, std::vector<Rule> rules, RetryPolicy retry = {})
      : path_(dir.File("state.db")), bus_(OpenLogOrDie(path_), std::move(rules), retry) {}

  EventBus& operator*() { return bus_; }
  EventBus* operator->() { return &bus_; }
  std::vector<DeliveryRow> Rows() const { return ReadDeliveries(path_); }
  int64_t Pending() {
    return bus_.WithLog([](EventLog& l) { return l.PendingCount(); }).value();
  }
  Result<int> Dispatch() {
    std::atomic<bool> stop{false};
    return bus_.DispatchDue(stop);
  }
  void Put(const Json& e) { ASSERT_TRUE(bus_.Put(e).ok()); }
  // Gives delivery `id` `n` finished attempts, leaving it pending and due.
  void AddFailedAttempts(int64_t id, int n) {
    for (int i = 0; i < n; ++i) {
      ASSERT_TRUE(bus_.WithLog([&](EventLog& l) { return l.MarkFailed(id, "earlier", 0); }).ok());
    }
  }

 private:
  std::string path_;
  EventBus bus_;
};

// Records every call of a handler: the deliveries it received.
struct Recorder {
  std::vector<std::vector<Delivery>> calls;
  std::vector<std::string> order;  // "<type>:<name>" per call, across recorders
  Status result;

  TargetHandler Handler(bool coalesce, std::vector<std::string>* shared_order = nullptr) {
    return {coalesce, [this, shared_order](std::span<const Delivery> ds) {
              calls.emplace_back(ds.begin(), ds.end());
              std::string tag = std::string(TargetTypeName(ds.front().target.type)) + ":" +
                                ds.front().target.name;
              order.push_back(tag);
              if (shared_order) shared_order->push_back(tag);
              return result;
            }};
  }
};

TEST(EventBusTest, PutCreatesOneDeliveryPerMatchingRuleAndTarget) {
  TempDir dir;
  Bus bus(dir, {RuleFor("two-targets", "j",
                        {{TargetType::kPublish, "status"}, {TargetType::kWebhook, "http://h/"}}),
                RuleFor("one-target", "j", {{TargetType::kStartJob, "j"}}),
                RuleFor("other-job", "k", {{TargetType::kStartJob, "k"}})});
  Result<int64_t> seq = bus->Put(Event("j"));
  ASSERT_TRUE(seq.ok()) << seq.status().ToString();
  std::vector<DeliveryRow> rows = bus.Rows();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].rule, "two-targets");
  EXPECT_EQ(rows[0].target_type, "publish");
  EXPECT_EQ(rows[0].target_name, "status");
  EXPECT_EQ(rows[1].rule, "two-targets");
  EXPECT_EQ(rows[1].target_type, "webhook");
  EXPECT_EQ(rows[2].rule, "one-target");
  EXPECT_EQ(rows[2].target_name, "j");
  for (const auto& r : rows) EXPECT_EQ(r.status, "pending");
}

TEST(EventBusTest, PutOfANonMatchingEventStoresItWithoutDeliveries) {
  TempDir dir;
  Bus bus(dir, {RuleFor("r", "j", {{TargetType::kStartJob, "j"}})});
  ASSERT_TRUE(bus->Put(Event("nobody")).ok());
  EXPECT_EQ(bus.Pending(), 0);
  auto list = bus->WithLog([](EventLog& l) { return l.List({}); });
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].event["detail"]["jobName"], "nobody");
}

TEST(EventBusTest, PutOfADuplicateEventIdIsAlreadyExists) {
  TempDir dir;
  Bus bus(dir, {RuleFor("r", "j", {{TargetType::kStartJob, "j"}})});
  Json e = Event("j");
  ASSERT_TRUE(bus->Put(e).ok());
  Result<int64_t> again = bus->Put(e);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(bus.Pending(), 1);
}

// Regression: a non-string detail-type threw from Put()'s log line after the append.
TEST(EventBusTest, PutOfAMalformedEnvelopeIsInvalidArgument) {
  TempDir dir;
  Bus bus(dir, {RuleFor("r", "j", {{TargetType::kStartJob, "j"}})});
  Json e = Event("j");
  e["detail-type"] = 5;
  Result<int64_t> seq = bus->Put(e);
  ASSERT_FALSE(seq.ok());
  EXPECT_EQ(seq.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bus.Pending(), 0);
}

TEST(EventBusTest, DispatchRunsTheHandlerAndMarksTheDeliveryDone) {
  TempDir dir;
  Bus bus(dir, {RuleFor("r", "j", {{TargetType::kPublish, "status"}})});
  Recorder rec;
  bus->RegisterTarget(TargetType::kPublish, rec.Handler(false));
  Json e = Event("j");
  bus.Put(e);
  Result<int> ran = bus.Dispatch();
  ASSERT_TRUE(ran.ok()) << ran.status().ToString();
  EXPECT_EQ(*ran, 1);
  ASSERT_EQ(rec.calls.size(), 1u);
  ASSERT_EQ(rec.calls[0].size(), 1u);
  EXPECT_EQ(rec.calls[0][0].event, e);
  EXPECT_EQ(rec.calls[0][0].rule, "r");
  EXPECT_EQ(rec.calls[0][0].target.name, "status");
  EXPECT_EQ(rec.calls[0][0].attempts, 0);
  EXPECT_EQ(bus.Rows()[0].status, "done");
  EXPECT_EQ(bus.Pending(), 0);
  EXPECT_EQ(*bus.Dispatch(), 0);
  EXPECT_EQ(rec.calls.size(), 1u);
}

TEST(EventBusTest, DispatchWithNothingDueRunsNothing) {
  TempDir dir;
  Bus bus(dir, {});
  Result<int> ran = bus.Dispatch();
  ASSERT_TRUE(ran.ok());
  EXPECT_EQ(*ran, 0);
}

TEST(EventBusTest, ADeliveryIsStillPendingWhileItsHandlerRuns) {
  TempDir dir;
  Bus bus(dir, {RuleFor("r", "j", {{TargetType::kPublish, "status"}})});
  int64_t pending_inside = -1;
  bus->RegisterTarget(TargetType::kPublish, {false, [&](std::span<const Delivery>) {
                                               pending_inside = bus.Pending();
                                               return Status::Ok();
                                             }});
  bus.Put(Event("j"));
  ASSERT_TRUE(bus.Dispatch().ok());
  EXPECT_EQ(pending_inside, 1);  // marked done only after the target finished
  EXPECT_EQ(bus.Pending(), 0);
}

TEST(EventBusTest, PlainDeliveriesRunOneByOneInLogOrder) {
  TempDir dir;
  Bus bus(dir, {RuleFor("a", "a", {{TargetType::kPublish, "t"}}),
                RuleFor("b", "b", {{TargetType::kPublish, "t"}})});
  Recorder rec;
  bus->RegisterTarget(TargetType::kPublish, rec.Handler(false));
  bus.Put(Event("b"));
  bus.Put(Event("a"));
  bus.Put(Event("b"));
  EXPECT_EQ(*bus.Dispatch(), 3);
  ASSERT_EQ(rec.calls.size(), 3u);
  EXPECT_EQ(rec.calls[0][0].rule, "b");
  EXPECT_EQ(rec.calls[1][0].rule, "a");
  EXPECT_EQ(rec.calls[2][0].rule, "b");
  for (const auto& call : rec.calls) EXPECT_EQ(call.size(), 1u);
}

TEST(EventBusTest, CoalescesJobStartsIntoOneCall) {
  TempDir dir;
  Bus bus(dir, {RuleFor("r", "j", {{TargetType::kStartJob, "etl"}})});
  Recorder rec;
  bus->RegisterTarget(TargetType::kStartJob, rec.Handler(true));
  for (int i = 0; i < 3; ++i) bus.Put(Event("j"));
  Result<int> ran = bus.Dispatch();
  ASSERT_TRUE(ran.ok());
  EXPECT_EQ(*ran, 3);
  ASSERT_EQ(rec.calls.size(), 1u);
  EXPECT_EQ(rec.calls[0].size(), 3u);
  EXPECT_LT(rec.calls[0][0].id, rec.calls[0][1].id);
  EXPECT_LT(rec.calls[0][1].id, rec.calls[0][2].id);
  for (const auto& row : bus.Rows()) EXPECT_EQ(row.status, "done");
}

TEST(EventBusTest, CoalescesPerTargetName) {
  TempDir dir;
  Bus bus(dir, {RuleFor("r1", "j1", {{TargetType::kStartJob, "one"}}),
                RuleFor("r2", "j2", {{TargetType::kStartJob, "two"}})});
  Recorder rec;
  bus->RegisterTarget(TargetType::kStartJob, rec.Handler(true));
  bus.Put(Event("j1"));
  bus.Put(Event("j2"));
  bus.Put(Event("j1"));
  EXPECT_EQ(*bus.Dispatch(), 3);
  ASSERT_EQ(rec.calls.size(), 2u);
  EXPECT_EQ(rec.calls[0].size(), 2u);
  EXPECT_EQ(rec.calls[0][0].target.name, "one");
  EXPECT_EQ(rec.calls[1].size(), 1u);
  EXPECT_EQ(rec.calls[1][0].target.name, "two");
}

TEST(EventBusTest, PlainDeliveriesRunBeforeCoalescedGroups) {
  TempDir dir;
  Bus bus(dir, {RuleFor("start", "j", {{TargetType::kStartJob, "etl"}}),
                RuleFor("tell", "k", {{TargetType::kPublish, "t"}})});
  std::vector<std::string> order;
  Recorder jobs, publishes;
  bus->RegisterTarget(TargetType::kStartJob, jobs.Handler(true, &order));
  bus->RegisterTarget(TargetType::kPublish, publishes.Handler(false, &order));
  bus.Put(Event("j"));  // the coalesced delivery is older
  bus.Put(Event("k"));
  bus.Put(Event("j"));
  EXPECT_EQ(*bus.Dispatch(), 3);
  EXPECT_THAT(order, ElementsAre("publish:t", "start_job:etl"));
}

// Regression: groups ran in std::map key order ("a-job" before "z-job"), not in log order.
TEST(EventBusTest, CoalescedGroupsRunInTheLogOrderOfTheirFirstDelivery) {
  TempDir dir;
  Bus bus(dir, {RuleFor("z", "z", {{TargetType::kStartJob, "z-job"}}),
                RuleFor("a", "a", {{TargetType::kStartJob, "a-job"}})});
  Recorder rec;
  bus->RegisterTarget(TargetType::kStartJob, rec.Handler(true));
  bus.Put(Event("z"));
  bus.Put(Event("a"));
  bus.Put(Event("z"));
  EXPECT_EQ(*bus.Dispatch(), 3);
  EXPECT_THAT(rec.order, ElementsAre("start_job:z-job", "start_job:a-job"));
}

TEST(EventBusTest, EventsPutByHandlersAreDispatchedInTheSameCall) {
  TempDir dir;
  Bus bus(dir, {RuleFor("landed", "crawl", {{TargetType::kStartCrawler, "c"}}),
                RuleFor("crawled", "load", {{TargetType::kStartJob, "etl"}}),
                RuleFor("loaded", "done", {{TargetType::kPublish, "status"}})});
  std::vector<std::string> order;
  bus->RegisterTarget(TargetType::kStartCrawler, {false, [&](std::span<const Delivery>) {
                                                    order.push_back("crawl");
                                                    return bus->Put(Event("load")).status();
                                                  }});
  bus->RegisterTarget(TargetType::kStartJob, {true, [&](std::span<const Delivery>) {
                                                order.push_back("job");
                                                return bus->Put(Event("done")).status();
                                              }});
  bus->RegisterTarget(TargetType::kPublish, {false, [&](std::span<const Delivery>) {
                                               order.push_back("publish");
                                               return Status::Ok();
                                             }});
  bus.Put(Event("crawl"));
  Result<int> ran = bus.Dispatch();
  ASSERT_TRUE(ran.ok()) << ran.status().ToString();
  EXPECT_EQ(*ran, 3);
  EXPECT_THAT(order, ElementsAre("crawl", "job", "publish"));
  EXPECT_EQ(bus.Pending(), 0);
}

TEST(EventBusTest, DispatchRunsMoreThanOneBatchOfDueDeliveries) {
  TempDir dir;
  Bus bus(dir, {RuleFor("r", "j", {{TargetType::kPublish, "t"}})});
  int calls = 0;
  bus->RegisterTarget(TargetType::kPublish, {false, [&](std::span<const Delivery>) {
                                               ++calls;
                                               return Status::Ok();
                                             }});
  for (int i = 0; i < 300; ++i) bus.Put(Event("j"));
  EXPECT_EQ(*bus.Dispatch(), 300);
  EXPECT_EQ(calls, 300);
  EXPECT_EQ(bus.Pending(), 0);
}

TEST(EventBusTest, TransientErrorIsRetriedWithBackoff) {
  TempDir dir;
  RetryPolicy retry{.max_attempts = 5, .base_delay_ms = 10'000, .max_delay_ms = 60'000};
  Bus bus(dir, {RuleFor("r", "j", {{TargetType::kWebhook, "http://down/"}})}, retry);
  Recorder rec;
  rec.result = Status::Unavailable("connection refused");
  bus->RegisterTarget(TargetType::kWebhook, rec.Handler(false));
  bus.Put(Event("j"));
  const int64_t before = NowMillis();
  Result<int> ran = bus.Dispatch();
  const int64_t after = NowMillis();
  ASSERT_TRUE(ran.ok());
  EXPECT_EQ(*ran, 1);
  EXPECT_EQ(rec.calls.size(), 1u);  // not retried within the same call: not due yet
  DeliveryRow row = bus.Rows()[0];
  EXPECT_EQ(row.status, "pending");
  EXPECT_EQ(row.attempts, 1);
  EXPECT_THAT(row.last_error, HasSubstr("connection refused"));
  // The first retry waits between half the base delay and the base delay.
  EXPECT_GE(row.next_attempt_ms, before + 5'000);
  EXPECT_LE(row.next_attempt_ms, after + 10'000);
}

TEST(EventBusTest, RetryDelayDoublesWithEachAttempt) {
  TempDir dir;
  RetryPolicy retry{.max_attempts = 10, .base_delay_ms = 1'000, .max_delay_ms = 1'000'000};
  Bus bus(dir, {RuleFor("r", "j", {{TargetType::kWebhook, "http://down/"}})}, retry);
  bus->RegisterTarget(TargetType::kWebhook,
                      {false, [](std::span<const Delivery>) { return Status::Timeout("slow"); }});
  bus.Put(Event("j"));
  bus.AddFailedAttempts(bus.Rows()[0].id, 3);
  const int64_t before = NowMillis();
  ASSERT_TRUE(bus.Dispatch().ok());
  const int64_t after = NowMillis();
  DeliveryRow row = bus.Rows()[0];
  EXPECT_EQ(row.attempts, 4);
  EXPECT_EQ(row.status, "pending");
  // Fourth failure: base * 2^3 = 8 s, jittered into [4 s, 8 s].
  EXPECT_GE(row.next_attempt_ms, before + 4'000);
  EXPECT_LE(row.next_attempt_ms, after + 8'000);
}

TEST(EventBusTest, RetryDelayIsBoundedByMaxDelay) {
  TempDir dir;
  RetryPolicy retry{.max_attempts = 100, .base_delay_ms = 1'000, .max_delay_ms = 1'500};
  Bus bus(dir, {RuleFor("r", "j", {{TargetType::kWebhook, "http://down/"}})}, retry);
  bus->RegisterTarget(TargetType::kWebhook, {false, [](std::span<const Delivery>) {
                                               return Status::Unavailable("down");
                                             }});
  bus.Put(Event("j"));
  bus.AddFailedAttempts(bus.Rows()[0].id, 70);  // 1000 << 70 would overflow
  const int64_t before = NowMillis();
  ASSERT_TRUE(bus.Dispatch().ok());
  const int64_t after = NowMillis();
  DeliveryRow row = bus.Rows()[0];
  EXPECT_EQ(row.status, "pending");
  EXPECT_GE(row.next_attempt_ms, before + 750);
  EXPECT_LE(row.next_attempt_ms, after + 1'500);
}

// With a 1 ms base delay the jitter used to pick 0 ms half the time, so the "retry" was due
// at the moment of the failure and ran again at once.
TEST(EventBusTest, ARetryIsAlwaysLaterThanTheFailure) {
  TempDir dir;
  RetryPolicy retry{.max_attempts = 1000, .base_delay_ms = 1, .max_delay_ms = 1};
  Bus bus(dir, {RuleFor("r", "j", {{TargetType::kWebhook, "http://down/"}})}, retry);
  int64_t failed_at = 0;
  bus->RegisterTarget(TargetType::kWebhook, {false, [&](std::span<const Delivery>) {
                                               failed_at = NowMillis();
                                               return Status::Unavailable("down");
                                             }});
  bus.Put(Event("j"));
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(bus.Dispatch().ok());
    DeliveryRow row = bus.Rows()[0];
    ASSERT_EQ(row.status, "pending");
    ASSERT_GT(row.next_attempt_ms, failed_at) << "attempt " << row.attempts;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

TEST(EventBusTest, TimeoutAndIoErrorAreTransientToo) {
  TempDir dir;
  Bus bus(dir, {RuleFor("a", "a", {{TargetType::kPublish, "timeout"}}),
                RuleFor("b", "b", {{TargetType::kPublish, "io"}})});
  bus->RegisterTarget(TargetType::kPublish, {false, [](std::span<const Delivery> ds) {
                                               return ds.front().target.name == "timeout"
                                                          ? Status::Timeout("slow")
                                                          : Status::IoError("disk");
                                             }});
  bus.Put(Event("a"));
  bus.Put(Event("b"));
  ASSERT_TRUE(bus.Dispatch().ok());
  for (const DeliveryRow& row : bus.Rows()) {
    EXPECT_EQ(row.status, "pending") << row.target_name;
    EXPECT_EQ(row.attempts, 1);
  }
}

TEST(EventBusTest, NonTransientErrorMakesADeadLetterAtOnce) {
  TempDir dir;
  Bus bus(dir, {RuleFor("r", "j", {{TargetType::kStartCrawler, "c"}})});
  const std::vector<Status> errors = {Status::InvalidArgument("bad config"),
                                      Status::CorruptInput("not a CSV"), Status::NotFound("gone"),
                                      Status::AlreadyExists("dup"), Status::Internal("bug")};
  size_t next = 0;
  bus->RegisterTarget(TargetType::kStartCrawler,
                      {false, [&](std::span<const Delivery>) { return errors[next++]; }});
  for (size_t i = 0; i < errors.size(); ++i) bus.Put(Event("j"));
  EXPECT_EQ(*bus.Dispatch(), static_cast<int>(errors.size()));
  std::vector<DeliveryRow> rows = bus.Rows();
  ASSERT_EQ(rows.size(), errors.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].status, "dead") << errors[i].ToString();
    EXPECT_EQ(rows[i].attempts, 1);
    EXPECT_EQ(rows[i].last_error, errors[i].ToString());
  }
  EXPECT_EQ(bus.Pending(), 0);
}

TEST(EventBusTest, MaxAttemptsMakesADeadLetter) {
  TempDir dir;
  RetryPolicy retry{.max_attempts = 3, .base_delay_ms = 1, .max_delay_ms = 1};
  Bus bus(dir, {RuleFor("r", "j", {{TargetType::kWebhook, "http://down/"}})}, retry);
  int calls = 0;
  bus->RegisterTarget(TargetType::kWebhook, {false, [&](std::span<const Delivery>) {
                                               ++calls;
                                               return Status::Unavailable("down");
                                             }});
  bus.Put(Event("j"));
  for (int i = 0; i < 200 && bus.Pending() > 0; ++i) {
    ASSERT_TRUE(bus.Dispatch().ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
  }
  EXPECT_EQ(calls, 3);
  DeliveryRow row = bus.Rows()[0];
  EXPECT_EQ(row.status, "dead");
  EXPECT_EQ(row.attempts, 3);
  EXPECT_THAT(row.last_error, HasSubstr("down"));
}

TEST(EventBusTest, TheAttemptBeforeMaxAttemptsIsStillRetried) {
  TempDir dir;
  RetryPolicy retry{.max_attempts = 3, .base_delay_ms = 1'000, .max_delay_ms = 1'000};
  Bus bus(dir, {RuleFor("r", "j", {{TargetType::kWebhook, "http://down/"}})}, retry);
  bus->RegisterTarget(TargetType::kWebhook, {false, [](std::span<const Delivery>) {
                                               return Status::Unavailable("down");
                                             }});
  bus.Put(Event("j"));
  bus.AddFailedAttempts(bus.Rows()[0].id, 1);
  ASSERT_TRUE(bus.Dispatch().ok());
  EXPECT_EQ(bus.Rows()[0].status, "pending");
  EXPECT_EQ(bus.Rows()[0].attempts, 2);
}

TEST(EventBusTest, ACoalescedFailureRetriesEveryDeliveryOfTheGroup) {
  TempDir dir;
  Bus bus(dir, {RuleFor("r", "j", {{TargetType::kStartJob, "etl"}})});
  Recorder rec;
  rec.result = Status::Unavailable("warehouse down");
  bus->RegisterTarget(TargetType::kStartJob, rec.Handler(true));
  for (int i = 0; i < 3; ++i) bus.Put(Event("j"));
  EXPECT_EQ(*bus.Dispatch(), 3);
  EXPECT_EQ(rec.calls.size(), 1u);
  for (const DeliveryRow& row : bus.Rows()) {
    EXPECT_EQ(row.status, "pending");
    EXPECT_EQ(row.attempts, 1);
  }
}

// Regression: kCancelled left the delivery pending *and due*, so DispatchDue() ran it again
// and again in a busy loop until something set `stop`.
TEST(EventBusTest, CancelledLeavesTheDeliveryPendingAndEndsTheCall) {
  TempDir dir;
  Bus bus(dir, {RuleFor("r", "j", {{TargetType::kStartJob, "etl"}})});
  std::atomic<int> calls{0};
  bus->RegisterTarget(TargetType::kStartJob, {true, [&](std::span<const Delivery>) {
                                                ++calls;
                                                return Status::Cancelled("run stopped");
                                              }});
  bus.Put(Event("j"));
  std::atomic<bool> stop{false};
  auto dispatched = std::async(std::launch::async, [&] { return bus->DispatchDue(stop); });
  if (dispatched.wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
    stop = true;  // unstick the loop so the test can fail instead of hanging
    dispatched.wait();
    FAIL() << "DispatchDue() kept re-running a cancelled delivery; calls=" << calls.load();
  }
  Result<int> ran = dispatched.get();
  ASSERT_TRUE(ran.ok());
  EXPECT_EQ(*ran, 0);
  EXPECT_EQ(calls.load(), 1);
  DeliveryRow row = bus.Rows()[0];
  EXPECT_EQ(row.status, "pending");
  EXPECT_EQ(row.attempts, 0);  // not counted as an attempt
  EXPECT_EQ(row.last_error, "");
  // The next start runs it again.
  bus->RegisterTarget(TargetType::kStartJob,
                      {true, [](std::span<const Delivery>) { return Status::Ok(); }});
  EXPECT_EQ(*bus.Dispatch(), 1);
  EXPECT_EQ(bus.Pending(), 0);
}

TEST(EventBusTest, DispatchWithStopSetRunsNothing) {
  TempDir dir;
  Bus bus(dir, {RuleFor("r", "j", {{TargetType::kPublish, "t"}})});
  Recorder rec;
  bus->RegisterTarget(TargetType::kPublish, rec.Handler(false));
  bus.Put(Event("j"));
  std::atomic<bool> stop{true};
  Result<int> ran = bus->DispatchDue(stop);
  ASSERT_TRUE(ran.ok());
  EXPECT_EQ(*ran, 0);
  EXPECT_TRUE(rec.calls.empty());
  EXPECT_EQ(bus.Pending(), 1);
}

TEST(EventBusTest, StopSetDuringAHandlerLeavesTheRestPending) {
  TempDir dir;
  Bus bus(dir, {RuleFor("r", "j", {{TargetType::kPublish, "t"}})});
  std::atomic<bool> stop{false};
  int calls = 0;
  bus->RegisterTarget(TargetType::kPublish,
                      {false, [&](std::span<const Delivery>) {
                         ++calls;
                         stop = true;  // a signal arrives while the first one runs
                         return Status::Ok();
                       }});
  for (int i = 0; i < 3; ++i) bus.Put(Event("j"));
  Result<int> ran = bus->DispatchDue(stop);
  ASSERT_TRUE(ran.ok());
  EXPECT_EQ(*ran, 1);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(bus.Pending(), 2);
}

TEST(EventBusTest, ADeliveryWithoutAHandlerIsADeadLetter) {
  TempDir dir;
  Bus bus(dir, {RuleFor("r", "j", {{TargetType::kUpsertDimension, "x"}})});
  bus.Put(Event("j"));
  EXPECT_EQ(*bus.Dispatch(), 1);
  DeliveryRow row = bus.Rows()[0];
  EXPECT_EQ(row.status, "dead");
  EXPECT_THAT(row.last_error, HasSubstr("no handler for target type 'upsert_dimension'"));
}

// Regression: an exception from a handler escaped DispatchDue(); the delivery stayed pending,
// so the daemon died again at every start.
TEST(EventBusTest, AHandlerThatThrowsMakesADeadLetter) {
  TempDir dir;
  Bus bus(dir, {RuleFor("r", "j", {{TargetType::kPublish, "t"}})});
  int calls = 0;
  bus->RegisterTarget(TargetType::kPublish, {false, [&](std::span<const Delivery> ds) -> Status {
                                               if (++calls == 1)
                                                 (void)ds.front().event.at("no-such-field");
                                               return Status::Ok();
                                             }});
  bus.Put(Event("j"));
  bus.Put(Event("j"));
  Result<int> ran = bus.Dispatch();
  ASSERT_TRUE(ran.ok()) << ran.status().ToString();
  EXPECT_EQ(*ran, 2);
  std::vector<DeliveryRow> rows = bus.Rows();
  EXPECT_EQ(rows[0].status, "dead");
  EXPECT_THAT(rows[0].last_error, HasSubstr("target handler threw"));
  EXPECT_THAT(rows[0].last_error, HasSubstr("no-such-field"));
  EXPECT_EQ(rows[1].status, "done");  // the others keep flowing
}

TEST(EventBusTest, CheckTargetsReportsAnUnknownTargetType) {
  TempDir dir;
  Bus bus(dir, {RuleFor("ok", "j", {{TargetType::kPublish, "t"}}),
                RuleFor("broken", "j", {{TargetType::kStartCrawler, "x"}})});
  bus->RegisterTarget(TargetType::kPublish,
                      {false, [](std::span<const Delivery>) { return Status::Ok(); }});
  bus->RegisterTarget(TargetType::kStartJob,
                      {true, [](std::span<const Delivery>) { return Status::Ok(); }});
  Status s = bus->CheckTargets();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("rule 'broken'"));
  EXPECT_THAT(s.message(), HasSubstr("unknown target type 'start_crawler'"));
  EXPECT_THAT(s.message(), HasSubstr("known: publish, start_job"));
}

TEST(EventBusTest, CheckTargetsPassesWhenEveryTypeHasAHandler) {
  TempDir dir;
  Bus bus(dir, {RuleFor("a", "j", {{TargetType::kPublish, "t"}, {TargetType::kStartJob, "j"}})});
  bus->RegisterTarget(TargetType::kPublish,
                      {false, [](std::span<const Delivery>) { return Status::Ok(); }});
  bus->RegisterTarget(TargetType::kStartJob,
                      {true, [](std::span<const Delivery>) { return Status::Ok(); }});
  EXPECT_TRUE(bus->CheckTargets().ok());
}

TEST(EventBusTest, DeliveriesPendingAtACrashAreDueAgainAfterRestart) {
  TempDir dir;
  const std::vector<Rule> rules = {RuleFor("r", "j", {{TargetType::kPublish, "t"}}),
                                   RuleFor("s", "k", {{TargetType::kPublish, "u"}})};
  {
    Bus bus(dir, rules);
    bus->RegisterTarget(TargetType::kPublish, {false, [](std::span<const Delivery> ds) {
                                                 return ds.front().target.name == "t"
                                                            ? Status::Ok()
                                                            : Status::Unavailable("x");
                                               }});
    bus.Put(Event("j"));
    ASSERT_TRUE(bus.Dispatch().ok());  // done
    bus.Put(Event("k"));               // appended, never dispatched: the process dies here
  }
  Bus restarted(dir, rules);
  Recorder rec;
  restarted->RegisterTarget(TargetType::kPublish, rec.Handler(false));
  EXPECT_EQ(*restarted.Dispatch(), 1);
  ASSERT_EQ(rec.calls.size(), 1u);
  EXPECT_EQ(rec.calls[0][0].target.name, "u");
  EXPECT_EQ(restarted.Pending(), 0);
}

TEST(EventBusTest, WaitForWorkReturnsWhenAnEventIsPut) {
  TempDir dir;
  Bus bus(dir, {});
  std::atomic<bool> returned{false};
  const auto start = std::chrono::steady_clock::now();
  std::thread waiter([&] {
    bus->WaitForWork(std::chrono::minutes(2));
    returned = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  bus.Put(Event("j"));
  waiter.join();
  EXPECT_TRUE(returned);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::minutes(1));
}

TEST(EventBusTest, AWakeBeforeTheWaitIsNotLost) {
  TempDir dir;
  Bus bus(dir, {});
  bus->Wake();
  const auto start = std::chrono::steady_clock::now();
  bus->WaitForWork(std::chrono::minutes(2));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::minutes(1));
}

TEST(EventBusTest, WaitForWorkReturnsAfterTheTimeout) {
  TempDir dir;
  Bus bus(dir, {});
  bus->Wake();
  bus->WaitForWork(std::chrono::milliseconds(1));  // consumes the wake
  const auto start = std::chrono::steady_clock::now();
  bus->WaitForWork(std::chrono::milliseconds(30));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(30));
}

TEST(EventBusTest, PutFromManyThreadsKeepsEveryEvent) {
  TempDir dir;
  Bus bus(dir, {RuleFor("r", "j", {{TargetType::kPublish, "t"}})});
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        if (!bus->Put(Event("j")).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(bus.Pending(), 100);
}

}  // namespace
}  // namespace ecompipe::events
