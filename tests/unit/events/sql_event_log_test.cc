#include "events/sql/sql_event_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/time_util.h"
#include "events_test_util.h"

namespace ecompipe::events {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing_util::DeliveryRow;
using testing_util::GlueEvent;
using testing_util::OpenDbOrDie;
using testing_util::OpenLogOrDie;
using testing_util::ReadDeliveries;
using testing_util::StateDb;

constexpr int64_t kFarFuture = int64_t{1} << 60;

std::vector<PlannedDelivery> Planned(const std::string& rule, std::vector<Target> targets) {
  std::vector<PlannedDelivery> out;
  for (auto& t : targets) out.push_back({rule, std::move(t)});
  return out;
}

Json JobEvent(const std::string& state = "SUCCEEDED") {
  return GlueEvent(kJobStateChange, "job", state);
}

class SqlEventLogTest : public ::testing::TestWithParam<std::string> {};
INSTANTIATE_TEST_SUITE_P(Backends, SqlEventLogTest, testing_util::StateBackends(),
                         testing_util::StateBackendName);

std::vector<int64_t> Ids(const std::vector<Delivery>& ds) {
  std::vector<int64_t> out;
  for (const auto& d : ds) out.push_back(d.id);
  return out;
}

TEST_P(SqlEventLogTest, AppendReturnsIncreasingSequenceNumbers) {
  StateDb dir(GetParam());
  auto log = OpenLogOrDie(dir.File("state.db"));
  ASSERT_NE(log, nullptr);
  Result<int64_t> a = log->Append(JobEvent(), {});
  Result<int64_t> b = log->Append(JobEvent(), {});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_GT(*a, 0);
  EXPECT_GT(*b, *a);
}

TEST_P(SqlEventLogTest, AppendStoresOnePendingDeliveryPerPlannedDelivery) {
  StateDb dir(GetParam());
  auto log = OpenLogOrDie(dir.File("state.db"));
  ASSERT_NE(log, nullptr);
  Json event = JobEvent();
  Result<int64_t> seq = log->Append(
      event, Planned("r", {{TargetType::kPublish, "t"}, {TargetType::kWebhook, "http://h/"}}));
  ASSERT_TRUE(seq.ok()) << seq.status().ToString();
  Result<std::vector<Delivery>> due = log->Due(NowMillis(), 10);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 2u);
  for (const Delivery& d : *due) {
    EXPECT_EQ(d.event_seq, *seq);
    EXPECT_EQ(d.rule, "r");
    EXPECT_EQ(d.event, event);
    EXPECT_EQ(d.attempts, 0);
  }
  EXPECT_EQ((*due)[0].target.type, TargetType::kPublish);
  EXPECT_EQ((*due)[0].target.name, "t");
  EXPECT_EQ((*due)[1].target.type, TargetType::kWebhook);
  EXPECT_EQ((*due)[1].target.name, "http://h/");
  EXPECT_EQ(*log->PendingCount(), 2);
}

TEST_P(SqlEventLogTest, AnEventWithoutDeliveriesIsStoredAlone) {
  StateDb dir(GetParam());
  auto log = OpenLogOrDie(dir.File("state.db"));
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(log->Append(JobEvent(), {}).ok());
  EXPECT_EQ(*log->PendingCount(), 0);
  Result<std::vector<StoredEvent>> list = log->List({});
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].deliveries_pending, 0);
}

TEST_P(SqlEventLogTest, DuplicateEventIdIsAlreadyExistsAndAddsNothing) {
  StateDb dir(GetParam());
  auto log = OpenLogOrDie(dir.File("state.db"));
  ASSERT_NE(log, nullptr);
  Json event = JobEvent();
  ASSERT_TRUE(log->Append(event, Planned("r", {{TargetType::kPublish, "t"}})).ok());
  Result<int64_t> again =
      log->Append(event, Planned("r2", {{TargetType::kPublish, "t"}, {TargetType::kPublish, "u"}}));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  EXPECT_THAT(again.status().message(), HasSubstr(event["id"].get<std::string>()));
  EXPECT_EQ(*log->PendingCount(), 1);
  EXPECT_EQ(log->List({})->size(), 1u);
}

TEST_P(SqlEventLogTest, AppendIsAtomicWithItsDeliveries) {
  StateDb dir(GetParam());
  auto log = OpenLogOrDie(dir.File("state.db"));
  ASSERT_NE(log, nullptr);
  {
    // Fault injection: the second delivery's insert fails.
    auto db = OpenDbOrDie(dir.File("state.db"));
    ASSERT_NE(db, nullptr);
    Status trigger =
        dir.postgres()
            ? db->ExecScript(
                  "CREATE FUNCTION fail_boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                  "IF NEW.rule = 'boom' THEN RAISE EXCEPTION 'injected fault'; END IF; RETURN NEW; "
                  "END $$; CREATE TRIGGER fail_boom BEFORE INSERT ON deliveries FOR EACH ROW "
                  "EXECUTE FUNCTION fail_boom()")
            : db->ExecScript(
                  "CREATE TRIGGER fail_boom BEFORE INSERT ON deliveries WHEN NEW.rule = 'boom' "
                  "BEGIN SELECT RAISE(ABORT, 'injected fault'); END");
    ASSERT_TRUE(trigger.ok()) << trigger.ToString();
  }
  Json event = JobEvent();
  std::vector<PlannedDelivery> planned = {{"ok", {TargetType::kPublish, "t"}},
                                          {"boom", {TargetType::kPublish, "t"}}};
  Result<int64_t> seq = log->Append(event, planned);
  ASSERT_FALSE(seq.ok());
  EXPECT_THAT(seq.status().message(), HasSubstr("injected fault"));
  EXPECT_EQ(*log->PendingCount(), 0);
  EXPECT_TRUE(log->List({})->empty());
  // Nothing was kept, so the same event appends cleanly once the fault is gone.
  planned.pop_back();
  EXPECT_TRUE(log->Append(event, planned).ok());
  EXPECT_EQ(*log->PendingCount(), 1);
}

// The target type is an enum named only in the row: a row holding a name no version writes
// (edited by hand, say) is a dead letter at once, not a delivery of some guessed type, and the
// deliveries beside it are still due.
TEST_P(SqlEventLogTest, ARowWithAnUnknownTargetTypeIsADeadLetter) {
  StateDb dir(GetParam());
  auto log = OpenLogOrDie(dir.File("state.db"));
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(log->Append(JobEvent(), Planned("r", {{TargetType::kPublish, "odd"},
                                                    {TargetType::kStartJob, "etl"}}))
                  .ok());
  {
    auto db = OpenDbOrDie(dir.File("state.db"));
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(
        db->Exec("UPDATE deliveries SET target_type = 'frobnicate' WHERE target_name = 'odd'")
            .ok());
  }
  Result<std::vector<Delivery>> due = log->Due(NowMillis(), 10);
  ASSERT_TRUE(due.ok()) << due.status().ToString();
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].target.type, TargetType::kStartJob);
  std::vector<DeliveryRow> rows = ReadDeliveries(dir.File("state.db"));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].status, "dead");
  EXPECT_EQ(rows[0].attempts, 1);
  EXPECT_THAT(rows[0].last_error, HasSubstr("no handler for target type 'frobnicate'"));
  EXPECT_EQ(*log->PendingCount(), 1);
}

// The spelling of every target type, in the configuration and the event log's rows.
TEST(TargetTypeTest, NamesRoundTripAndOtherTextIsRefused) {
  const std::vector<std::pair<TargetType, std::string>> names = {
      {TargetType::kStartCrawler, "start_crawler"},
      {TargetType::kStartJob, "start_job"},
      {TargetType::kPublish, "publish"},
      {TargetType::kWebhook, "webhook"},
      {TargetType::kUpsertDimension, "upsert_dimension"}};
  for (const auto& [type, name] : names) {
    EXPECT_EQ(TargetTypeName(type), name);
    EXPECT_EQ(ParseTargetType(name), type) << name;
  }
  for (const char* other : {"", "Publish", "start_jobb", "start_job ", "frobnicate"})
    EXPECT_EQ(ParseTargetType(other), std::nullopt) << other;
}

// Regression: these threw nlohmann::json::type_error out of Append().
TEST_P(SqlEventLogTest, AppendRejectsMalformedEnvelopes) {
  StateDb dir(GetParam());
  auto log = OpenLogOrDie(dir.File("state.db"));
  ASSERT_NE(log, nullptr);
  Json no_id = JobEvent();
  no_id.erase("id");
  Json empty_id = JobEvent();
  empty_id["id"] = "";
  Json number_id = JobEvent();
  number_id["id"] = 42;
  Json number_type = JobEvent();
  number_type["detail-type"] = 7;
  Json array_source = JobEvent();
  array_source["source"] = Json::array({"a"});
  for (const Json& bad :
       {Json::array({1, 2}), Json("text"), no_id, empty_id, number_id, number_type, array_source}) {
    Result<int64_t> seq = log->Append(bad, Planned("r", {{TargetType::kPublish, "t"}}));
    ASSERT_FALSE(seq.ok()) << bad.dump();
    EXPECT_EQ(seq.status().code(), StatusCode::kInvalidArgument) << bad.dump();
  }
  EXPECT_EQ(*log->PendingCount(), 0);
}

// Regression: an object key with invalid UTF-8 made Json::dump() throw out of Append().
TEST_P(SqlEventLogTest, AppendRejectsInvalidUtf8) {
  StateDb dir(GetParam());
  auto log = OpenLogOrDie(dir.File("state.db"));
  ASSERT_NE(log, nullptr);
  Json event =
      ObjectCreatedEvent(Origin{}, "b", "transactions/\xff\xfe.csv", 1, "e", "PutObject", "s");
  Result<int64_t> seq = log->Append(event, Planned("r", {{TargetType::kStartCrawler, "c"}}));
  ASSERT_FALSE(seq.ok());
  EXPECT_EQ(seq.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(seq.status().message(), HasSubstr(event["id"].get<std::string>()));
}

TEST_P(SqlEventLogTest, StoredEventsRoundTripExactly) {
  StateDb dir(GetParam());
  auto log = OpenLogOrDie(dir.File("state.db"));
  ASSERT_NE(log, nullptr);
  Json event = JobEvent();
  event["detail"]["message"] = "caf\xc3\xa9 \xe2\x82\xac \"quoted\"\n";
  event["detail"]["nested"] = {
      {"n", 1.5}, {"list", {1, nullptr, true}}, {"big", 9007199254740993LL}};
  ASSERT_TRUE(log->Append(event, Planned("r", {{TargetType::kPublish, "t"}})).ok());
  EXPECT_EQ((*log->Due(NowMillis(), 1))[0].event, event);
  EXPECT_EQ((*log->List({}))[0].event, event);
}

TEST_P(SqlEventLogTest, DueReturnsOldestFirst) {
  StateDb dir(GetParam());
  auto log = OpenLogOrDie(dir.File("state.db"));
  ASSERT_NE(log, nullptr);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(
        log->Append(JobEvent(), Planned("r" + std::to_string(i), {{TargetType::kPublish, "t"}}))
            .ok());
  }
  Result<std::vector<Delivery>> due = log->Due(NowMillis(), 10);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 5u);
  for (size_t i = 0; i < due->size(); ++i) {
    EXPECT_EQ((*due)[i].rule, "r" + std::to_string(i));
    if (i > 0) {
      EXPECT_GT((*due)[i].id, (*due)[i - 1].id);
    }
  }
}

TEST_P(SqlEventLogTest, DueReturnsAtMostLimit) {
  StateDb dir(GetParam());
  auto log = OpenLogOrDie(dir.File("state.db"));
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(log->Append(JobEvent(), Planned("r", {{TargetType::kPublish, "1"},
                                                    {TargetType::kPublish, "2"},
                                                    {TargetType::kPublish, "3"}}))
                  .ok());
  Result<std::vector<Delivery>> due = log->Due(NowMillis(), 2);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 2u);
  EXPECT_EQ((*due)[0].target.name, "1");
  EXPECT_EQ((*due)[1].target.name, "2");
}

TEST_P(SqlEventLogTest, MarkDoneTakesTheDeliveryOutOfDue) {
  StateDb dir(GetParam());
  auto log = OpenLogOrDie(dir.File("state.db"));
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(log->Append(JobEvent(),
                          Planned("r", {{TargetType::kPublish, "1"}, {TargetType::kPublish, "2"}}))
                  .ok());
  std::vector<Delivery> due = *log->Due(NowMillis(), 10);
  ASSERT_TRUE(log->MarkDone(due[0].id).ok());
  EXPECT_THAT(Ids(*log->Due(kFarFuture, 10)), ElementsAre(due[1].id));
  EXPECT_EQ(*log->PendingCount(), 1);
  StoredEvent e = (*log->List({}))[0];
  EXPECT_EQ(e.deliveries_done, 1);
  EXPECT_EQ(e.deliveries_pending, 1);
  std::vector<DeliveryRow> rows = ReadDeliveries(dir.File("state.db"));
  EXPECT_EQ(rows[0].status, "done");
  EXPECT_EQ(rows[0].attempts, 1);
}

TEST_P(SqlEventLogTest, MarkFailedWithARetryTimeKeepsItPendingUntilThen) {
  StateDb dir(GetParam());
  auto log = OpenLogOrDie(dir.File("state.db"));
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(log->Append(JobEvent(), Planned("r", {{TargetType::kPublish, "1"}})).ok());
  int64_t id = (*log->Due(NowMillis(), 1))[0].id;
  const int64_t retry_at = NowMillis() + 60'000;
  ASSERT_TRUE(log->MarkFailed(id, "target down", retry_at).ok());
  EXPECT_TRUE(log->Due(retry_at - 1, 10)->empty());
  std::vector<Delivery> due = *log->Due(retry_at, 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].attempts, 1);
  EXPECT_EQ(*log->PendingCount(), 1);
  EXPECT_EQ(**log->NextDue(), retry_at);
  DeliveryRow row = ReadDeliveries(dir.File("state.db"))[0];
  EXPECT_EQ(row.status, "pending");
  EXPECT_EQ(row.last_error, "target down");
}

TEST_P(SqlEventLogTest, MarkFailedWithoutARetryTimeMakesADeadLetter) {
  StateDb dir(GetParam());
  auto log = OpenLogOrDie(dir.File("state.db"));
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(log->Append(JobEvent(), Planned("r", {{TargetType::kPublish, "1"}})).ok());
  int64_t id = (*log->Due(NowMillis(), 1))[0].id;
  ASSERT_TRUE(log->MarkFailed(id, "bad file", std::nullopt).ok());
  EXPECT_TRUE(log->Due(kFarFuture, 10)->empty());
  EXPECT_EQ(*log->PendingCount(), 0);
  EXPECT_FALSE(log->NextDue()->has_value());
  StoredEvent e = (*log->List({}))[0];
  EXPECT_EQ(e.deliveries_dead, 1);
  DeliveryRow row = ReadDeliveries(dir.File("state.db"))[0];
  EXPECT_EQ(row.status, "dead");
  EXPECT_EQ(row.attempts, 1);
  EXPECT_EQ(row.last_error, "bad file");
}

// Regression: marking a delivery that does not exist succeeded silently.
TEST_P(SqlEventLogTest, MarkingAnUnknownDeliveryIsNotFound) {
  StateDb dir(GetParam());
  auto log = OpenLogOrDie(dir.File("state.db"));
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->MarkDone(12345).code(), StatusCode::kNotFound);
  EXPECT_EQ(log->MarkFailed(12345, "x", 0).code(), StatusCode::kNotFound);
  EXPECT_EQ(log->MarkFailed(12345, "x", std::nullopt).code(), StatusCode::kNotFound);
}

TEST_P(SqlEventLogTest, NextDueIsTheEarliestPendingAttempt) {
  StateDb dir(GetParam());
  auto log = OpenLogOrDie(dir.File("state.db"));
  ASSERT_NE(log, nullptr);
  EXPECT_FALSE(log->NextDue()->has_value());
  ASSERT_TRUE(log->Append(JobEvent(),
                          Planned("r", {{TargetType::kPublish, "1"}, {TargetType::kPublish, "2"}}))
                  .ok());
  std::vector<Delivery> due = *log->Due(NowMillis(), 10);
  ASSERT_TRUE(log->MarkFailed(due[0].id, "x", 5'000).ok());
  ASSERT_TRUE(log->MarkFailed(due[1].id, "x", 3'000).ok());
  EXPECT_EQ(**log->NextDue(), 3'000);
  ASSERT_TRUE(log->MarkDone(due[1].id).ok());
  EXPECT_EQ(**log->NextDue(), 5'000);
}

TEST_P(SqlEventLogTest, ListIsMostRecentFirstAndLimited) {
  StateDb dir(GetParam());
  auto log = OpenLogOrDie(dir.File("state.db"));
  ASSERT_NE(log, nullptr);
  std::vector<int64_t> seqs;
  for (int i = 0; i < 4; ++i) seqs.push_back(*log->Append(JobEvent(), {}));
  EventFilter filter;
  filter.limit = 3;
  std::vector<StoredEvent> list = *log->List(filter);
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].seq, seqs[3]);
  EXPECT_EQ(list[1].seq, seqs[2]);
  EXPECT_EQ(list[2].seq, seqs[1]);
  EXPECT_TRUE(std::regex_match(list[0].received_at,
                               std::regex("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{3}Z$")))
      << list[0].received_at;
}

TEST_P(SqlEventLogTest, ListFiltersByDetailTypeAndSource) {
  StateDb dir(GetParam());
  auto log = OpenLogOrDie(dir.File("state.db"));
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(log->Append(GlueEvent(kJobStateChange, "j", "FAILED"), {}).ok());
  ASSERT_TRUE(log->Append(GlueEvent(kCrawlerStateChange, "c", "Succeeded"), {}).ok());
  ASSERT_TRUE(
      log->Append(ObjectCreatedEvent(Origin{}, "b", "k", 1, "e", "PutObject", "s"), {}).ok());
  EventFilter by_type;
  by_type.detail_type = kCrawlerStateChange;
  std::vector<StoredEvent> list = *log->List(by_type);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].event["detail-type"], kCrawlerStateChange);
  EventFilter by_source;
  by_source.source = kGlueSource;
  EXPECT_EQ(log->List(by_source)->size(), 2u);
  EventFilter both;
  both.source = kS3Source;
  both.detail_type = kJobStateChange;
  EXPECT_TRUE(log->List(both)->empty());
}

TEST_P(SqlEventLogTest, PendingDeliveriesAreDueAgainAfterReopen) {
  StateDb dir(GetParam());
  int64_t done_id = 0;
  {
    auto log = OpenLogOrDie(dir.File("state.db"));
    ASSERT_NE(log, nullptr);
    ASSERT_TRUE(log->Append(JobEvent(), Planned("r", {{TargetType::kPublish, "done"},
                                                      {TargetType::kPublish, "pending"}}))
                    .ok());
    done_id = (*log->Due(NowMillis(), 10))[0].id;
    ASSERT_TRUE(log->MarkDone(done_id).ok());
  }  // the process "crashes" with one delivery in flight
  auto log = OpenLogOrDie(dir.File("state.db"));
  ASSERT_NE(log, nullptr);
  std::vector<Delivery> due = *log->Due(NowMillis(), 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].target.name, "pending");
  EXPECT_NE(due[0].id, done_id);
}

TEST_P(SqlEventLogTest, TwoConnectionsToOneFileShareTheLog) {
  StateDb dir(GetParam());
  auto writer = OpenLogOrDie(dir.File("state.db"));
  auto reader = OpenLogOrDie(dir.File("state.db"));
  ASSERT_NE(writer, nullptr);
  ASSERT_NE(reader, nullptr);
  ASSERT_TRUE(writer->Append(JobEvent(), Planned("r", {{TargetType::kPublish, "1"}})).ok());
  EXPECT_EQ(*reader->PendingCount(), 1);
  int64_t id = (*reader->Due(NowMillis(), 1))[0].id;
  ASSERT_TRUE(reader->MarkDone(id).ok());
  EXPECT_EQ(*writer->PendingCount(), 0);
}

TEST(SqlEventLogSqliteTest, OpenInAMissingFolderFails) {
  testing_util::TempDir dir;
  Result<std::unique_ptr<SqlEventLog>> log = SqlEventLog::Open(dir.File("missing/state.db"));
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), StatusCode::kIoError);
}

// --- claims: several workers share one log ---------------------------------------------

WorkerLease Worker(const std::string& id, int64_t lease_ms = 60'000) {
  WorkerLease lease;
  lease.worker_id = id;
  lease.lease_ms = lease_ms;
  return lease;
}

TEST_P(SqlEventLogTest, TwoWorkersNeverClaimTheSameDelivery) {
  StateDb dir(GetParam());
  auto a = OpenLogOrDie(dir.location(), Worker("a"));
  auto b = OpenLogOrDie(dir.location(), Worker("b"));
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  for (int i = 0; i < 10; ++i)
    ASSERT_TRUE(
        a->Append(JobEvent(), Planned("r", {{TargetType::kPublish, std::to_string(i)}})).ok());
  std::vector<Delivery> first = *a->Due(NowMillis(), 4);
  std::vector<Delivery> second = *b->Due(NowMillis(), 100);
  EXPECT_EQ(first.size(), 4u);
  EXPECT_EQ(second.size(), 6u);
  for (const Delivery& d : first)
    for (const Delivery& e : second) EXPECT_NE(d.id, e.id);
  // Nothing is left for either but what each already holds.
  EXPECT_EQ(Ids(*a->Due(NowMillis(), 100)), Ids(first));
  EXPECT_EQ(Ids(*b->Due(NowMillis(), 100)), Ids(second));
}

TEST_P(SqlEventLogTest, ConcurrentClaimersSplitTheDeliveries) {
  StateDb dir(GetParam());
  {
    auto log = OpenLogOrDie(dir.location());
    ASSERT_NE(log, nullptr);
    for (int i = 0; i < 200; ++i)
      ASSERT_TRUE(
          log->Append(JobEvent(), Planned("r", {{TargetType::kPublish, std::to_string(i)}})).ok());
  }
  // Four workers, each on its own connection and thread, claim in small batches and finish
  // what they claimed, until nothing is due: every delivery is done exactly once.
  std::vector<std::vector<int64_t>> done(4);
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w) {
    threads.emplace_back([&, w] {
      auto log = OpenLogOrDie(dir.location(), Worker("w" + std::to_string(w)));
      if (!log) return;
      while (true) {
        Result<std::vector<Delivery>> due = log->Due(NowMillis(), 3);
        if (!due.ok()) {
          ADD_FAILURE() << due.status().ToString();
          return;
        }
        if (due->empty()) return;
        for (const Delivery& d : *due) {
          EXPECT_TRUE(log->MarkDone(d.id).ok());
          done[w].push_back(d.id);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<int64_t> all;
  size_t total = 0;
  for (const auto& ids : done) {
    total += ids.size();
    all.insert(ids.begin(), ids.end());
  }
  EXPECT_EQ(total, 200u);
  EXPECT_EQ(all.size(), 200u);
}

TEST_P(SqlEventLogTest, AnExpiredLeaseIsReclaimedByAnotherWorker) {
  StateDb dir(GetParam());
  auto dead = OpenLogOrDie(dir.location(), Worker("dead", 200));
  auto alive = OpenLogOrDie(dir.location(), Worker("alive"));
  ASSERT_NE(dead, nullptr);
  ASSERT_NE(alive, nullptr);
  ASSERT_TRUE(dead->Append(JobEvent(), Planned("r", {{TargetType::kPublish, "x"}})).ok());
  ASSERT_EQ(dead->Due(NowMillis(), 10)->size(), 1u);
  EXPECT_TRUE(alive->Due(NowMillis(), 10)->empty());  // held under a live lease
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::vector<Delivery> taken = *alive->Due(NowMillis(), 10);
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_TRUE(alive->MarkDone(taken[0].id).ok());
  EXPECT_EQ(*alive->PendingCount(), 0);
}

TEST_P(SqlEventLogTest, ReleasedDeliveryIsClaimableAtOnce) {
  StateDb dir(GetParam());
  auto a = OpenLogOrDie(dir.location(), Worker("a"));
  auto b = OpenLogOrDie(dir.location(), Worker("b"));
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(a->Append(JobEvent(), Planned("r", {{TargetType::kPublish, "x"}})).ok());
  std::vector<Delivery> held = *a->Due(NowMillis(), 10);
  ASSERT_EQ(held.size(), 1u);
  EXPECT_TRUE(b->Due(NowMillis(), 10)->empty());
  ASSERT_TRUE(a->Release(held[0].id).ok());
  EXPECT_EQ(Ids(*b->Due(NowMillis(), 10)), Ids(held));
}

TEST_P(SqlEventLogTest, ARetryIsClaimableByAnyWorker) {
  StateDb dir(GetParam());
  auto a = OpenLogOrDie(dir.location(), Worker("a"));
  auto b = OpenLogOrDie(dir.location(), Worker("b"));
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(a->Append(JobEvent(), Planned("r", {{TargetType::kPublish, "x"}})).ok());
  std::vector<Delivery> held = *a->Due(NowMillis(), 10);
  ASSERT_EQ(held.size(), 1u);
  ASSERT_TRUE(a->MarkFailed(held[0].id, "down", NowMillis()).ok());
  std::vector<Delivery> retried = *b->Due(NowMillis() + 1, 10);
  ASSERT_EQ(retried.size(), 1u);
  EXPECT_EQ(retried[0].attempts, 1);
}

}  // namespace
}  // namespace ecompipe::events
