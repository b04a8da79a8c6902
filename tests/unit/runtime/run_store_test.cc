#include "runtime/run_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/ids.h"
#include "common/sql_db.h"
#include "common/time_util.h"
#include "events/sql/sql_event_log.h"
#include "notify/notifier.h"
#include "testing/state_db.h"
#include "testing/temp_dir.h"

namespace ecompipe::runtime {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

using ::ecompipe::testing_util::StateDb;
using ::ecompipe::testing_util::TempDir;

class RunStoreTest : public ::testing::TestWithParam<std::string> {};
INSTANTIATE_TEST_SUITE_P(Backends, RunStoreTest, testing_util::StateBackends(),
                         testing_util::StateBackendName);

std::unique_ptr<RunStore> OpenOrDie(const StateDb& dir, WorkerLease lease = {}) {
  Result<std::unique_ptr<RunStore>> store = RunStore::Open(dir.File("state.db"), std::move(lease));
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

RunRecord NewRun(const std::string& job = "etl",
                 const std::string& started_at = "2026-11-26T10:00:00.000Z", int triggers = 1) {
  RunRecord r;
  r.run_id = NewJobRunId();
  r.job = job;
  r.state = RunState::kStarting;
  r.started_at = started_at;
  r.triggers = triggers;
  return r;
}

ObjectResult Loaded(const std::string& key, int64_t read, int64_t loaded, int64_t rejected) {
  return {key, "etag-" + key, ObjectStatus::kLoaded, read, loaded, rejected, 12, ""};
}

// `ecompipe runs` prints "jr_" and 12 hex digits; that, or any unique prefix, names the run.
TEST_P(RunStoreTest, ResolveIdTakesTheIdOrAUniquePrefix) {
  StateDb dir(GetParam());
  auto store = OpenOrDie(dir);
  ASSERT_NE(store, nullptr);
  RunRecord a = NewRun(), b = NewRun(), c = NewRun();
  a.run_id = "jr_dec2227b6087aaaa";
  b.run_id = "jr_dec2227b6087bbbb";
  c.run_id = "jr_0123";
  for (const RunRecord* r : {&a, &b, &c}) ASSERT_TRUE(store->Start(*r).ok());
  EXPECT_EQ(store->ResolveId("jr_dec2227b6087aaaa").value(), a.run_id);
  EXPECT_EQ(store->ResolveId("jr_dec2227b6087b").value(), b.run_id);
  EXPECT_EQ(store->ResolveId("jr_01").value(), c.run_id);
  Result<std::string> ambiguous = store->ResolveId("jr_dec2227b6087");
  EXPECT_EQ(ambiguous.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(ambiguous.status().message(), HasSubstr("ambiguous"));
  EXPECT_THAT(ambiguous.status().message(), HasSubstr(a.run_id));
  EXPECT_THAT(ambiguous.status().message(), HasSubstr(b.run_id));
  // '_' is a character here, not LIKE's wildcard.
  EXPECT_EQ(store->ResolveId("jrx").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->ResolveId("jr_9").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->ResolveId("").status().code(), StatusCode::kInvalidArgument);
}

TEST_P(RunStoreTest, StartThenGetReturnsTheRun) {
  StateDb dir(GetParam());
  auto store = OpenOrDie(dir);
  ASSERT_NE(store, nullptr);
  RunRecord run = NewRun("etl", "2026-11-26T10:00:00.000Z", 3);
  ASSERT_TRUE(store->Start(run).ok());
  Result<std::optional<RunRecord>> got = store->Get(run.run_id);
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->has_value());
  const RunRecord& r = **got;
  EXPECT_EQ(r.run_id, run.run_id);
  EXPECT_EQ(r.job, "etl");
  EXPECT_EQ(r.state, RunState::kStarting);
  EXPECT_EQ(r.started_at, "2026-11-26T10:00:00.000Z");
  EXPECT_EQ(r.finished_at, "");
  EXPECT_EQ(r.triggers, 3);
  EXPECT_EQ(r.rows_read, 0);
  EXPECT_EQ(r.message, "");
  EXPECT_TRUE(r.objects.empty());
}

TEST_P(RunStoreTest, GetOfAnUnknownRunIsEmpty) {
  StateDb dir(GetParam());
  auto store = OpenOrDie(dir);
  ASSERT_NE(store, nullptr);
  Result<std::optional<RunRecord>> got = store->Get("jr_nope");
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
}

TEST_P(RunStoreTest, SetStateChangesTheState) {
  StateDb dir(GetParam());
  auto store = OpenOrDie(dir);
  ASSERT_NE(store, nullptr);
  RunRecord run = NewRun();
  ASSERT_TRUE(store->Start(run).ok());
  ASSERT_TRUE(store->SetState(run.run_id, RunState::kRunning).ok());
  EXPECT_EQ((*store->Get(run.run_id))->state, RunState::kRunning);
}

TEST_P(RunStoreTest, ObjectsKeepTheOrderTheyWereAddedIn) {
  StateDb dir(GetParam());
  auto store = OpenOrDie(dir);
  ASSERT_NE(store, nullptr);
  RunRecord run = NewRun();
  ASSERT_TRUE(store->Start(run).ok());
  ASSERT_TRUE(store->AddObject(run.run_id, Loaded("z.csv", 5, 4, 1)).ok());
  ASSERT_TRUE(store
                  ->AddObject(run.run_id, {"a.csv", "e2", ObjectStatus::kFailed, 0, 0, 0, 3,
                                           "a.csv line 2: bad"})
                  .ok());
  ASSERT_TRUE(store->AddObject(run.run_id, Loaded("m.csv", 1, 1, 0)).ok());
  std::vector<ObjectResult> objects = (*store->Get(run.run_id))->objects;
  ASSERT_EQ(objects.size(), 3u);
  EXPECT_EQ(objects[0].key, "z.csv");
  EXPECT_EQ(objects[0].etag, "etag-z.csv");
  EXPECT_EQ(objects[0].status, ObjectStatus::kLoaded);
  EXPECT_EQ(objects[0].rows_read, 5);
  EXPECT_EQ(objects[0].rows_loaded, 4);
  EXPECT_EQ(objects[0].rows_rejected, 1);
  EXPECT_EQ(objects[0].duration_ms, 12);
  EXPECT_EQ(objects[1].key, "a.csv");
  EXPECT_EQ(objects[1].status, ObjectStatus::kFailed);
  EXPECT_EQ(objects[1].message, "a.csv line 2: bad");
  EXPECT_EQ(objects[2].key, "m.csv");
}

TEST_P(RunStoreTest, ObjectsOfOneRunDoNotLeakIntoAnother) {
  StateDb dir(GetParam());
  auto store = OpenOrDie(dir);
  ASSERT_NE(store, nullptr);
  RunRecord a = NewRun(), b = NewRun();
  ASSERT_TRUE(store->Start(a).ok());
  ASSERT_TRUE(store->Start(b).ok());
  ASSERT_TRUE(store->AddObject(a.run_id, Loaded("a1", 1, 1, 0)).ok());
  ASSERT_TRUE(store->AddObject(b.run_id, Loaded("b1", 1, 1, 0)).ok());
  ASSERT_TRUE(store->AddObject(a.run_id, Loaded("a2", 1, 1, 0)).ok());
  EXPECT_EQ((*store->Get(a.run_id))->objects.size(), 2u);
  ASSERT_EQ((*store->Get(b.run_id))->objects.size(), 1u);
  EXPECT_EQ((*store->Get(b.run_id))->objects[0].key, "b1");
}

TEST_P(RunStoreTest, FinishStoresTheOutcome) {
  StateDb dir(GetParam());
  auto store = OpenOrDie(dir);
  ASSERT_NE(store, nullptr);
  RunRecord run = NewRun();
  ASSERT_TRUE(store->Start(run).ok());
  run.state = RunState::kSucceeded;
  run.finished_at = "2026-11-26T10:00:05.000Z";
  run.duration_ms = 5000;
  run.rows_read = 10;
  run.rows_loaded = 8;
  run.rows_rejected = 2;
  run.message = "Job run succeeded";
  ASSERT_TRUE(store->Finish(run).ok());
  RunRecord got = **store->Get(run.run_id);
  EXPECT_EQ(got.state, RunState::kSucceeded);
  EXPECT_EQ(got.finished_at, "2026-11-26T10:00:05.000Z");
  EXPECT_EQ(got.duration_ms, 5000);
  EXPECT_EQ(got.rows_read, 10);
  EXPECT_EQ(got.rows_loaded, 8);
  EXPECT_EQ(got.rows_rejected, 2);
  EXPECT_EQ(got.message, "Job run succeeded");
  EXPECT_EQ(got.triggers, 1);
}

TEST_P(RunStoreTest, ListIsMostRecentFirstAndLimited) {
  StateDb dir(GetParam());
  auto store = OpenOrDie(dir);
  ASSERT_NE(store, nullptr);
  RunRecord a = NewRun("etl", "2026-11-26T10:00:00.000Z");
  RunRecord b = NewRun("etl", "2026-11-26T11:00:00.000Z");
  RunRecord c = NewRun("etl", "2026-11-26T09:00:00.000Z");
  RunRecord d = NewRun("etl", "2026-11-26T11:00:00.000Z");  // same start as b, started later
  for (const auto& r : {a, b, c, d}) ASSERT_TRUE(store->Start(r).ok());
  std::vector<RunRecord> list = *store->List(3, false);
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].run_id, d.run_id);
  EXPECT_EQ(list[1].run_id, b.run_id);
  EXPECT_EQ(list[2].run_id, a.run_id);
}

TEST_P(RunStoreTest, PagesFollowEachOtherAndFiltersNarrow) {
  StateDb dir(GetParam());
  auto store = OpenOrDie(dir);
  ASSERT_NE(store, nullptr);
  RunRecord a = NewRun("etl", "2026-11-26T10:00:00.000Z");
  RunRecord b = NewRun("etl", "2026-11-26T11:00:00.000Z");
  RunRecord c = NewRun("other", "2026-11-26T09:00:00.000Z");
  RunRecord d = NewRun("etl", "2026-11-26T11:00:00.000Z");  // same start as b: the cursor ties
  for (const auto& r : {a, b, c, d}) ASSERT_TRUE(store->Start(r).ok());
  ASSERT_TRUE(store->SetState(a.run_id, RunState::kFailed).ok());
  std::vector<std::string> seen;
  RunFilter f{.limit = 1};
  for (int page = 0; page < 10; ++page) {
    Result<RunPage> p = store->List(f);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    for (const RunRecord& r : p->runs) seen.push_back(r.run_id);
    if (p->next_cursor.empty()) break;
    f.cursor = p->next_cursor;
  }
  EXPECT_EQ(seen, (std::vector<std::string>{d.run_id, b.run_id, a.run_id, c.run_id}));
  auto ids = [&](RunFilter filter) {
    std::vector<std::string> out;
    Result<RunPage> page = store->List(filter);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    if (!page.ok()) return out;
    for (const RunRecord& r : page->runs) out.push_back(r.run_id);
    return out;
  };
  EXPECT_EQ(ids({.job = "other"}), std::vector<std::string>{c.run_id});
  EXPECT_EQ(ids({.state = RunState::kFailed}), std::vector<std::string>{a.run_id});
  EXPECT_EQ(ids({.since = "2026-11-26T10:30:00.000Z"}),
            (std::vector<std::string>{d.run_id, b.run_id}));
  EXPECT_EQ(store->List(RunFilter{.cursor = "nonsense"}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_P(RunStoreTest, ListIncludesObjectsOnlyWhenAsked) {
  StateDb dir(GetParam());
  auto store = OpenOrDie(dir);
  ASSERT_NE(store, nullptr);
  RunRecord run = NewRun();
  ASSERT_TRUE(store->Start(run).ok());
  ASSERT_TRUE(store->AddObject(run.run_id, Loaded("k", 1, 1, 0)).ok());
  EXPECT_TRUE((*store->List(10, false))[0].objects.empty());
  std::vector<RunRecord> with = *store->List(10, true);
  ASSERT_EQ(with[0].objects.size(), 1u);
  EXPECT_EQ(with[0].objects[0].key, "k");
}

TEST_P(RunStoreTest, FailInterruptedFailsStartingAndRunningRuns) {
  StateDb dir(GetParam());
  auto store = OpenOrDie(dir);
  ASSERT_NE(store, nullptr);
  RunRecord starting = NewRun("etl", "2026-11-26T10:00:00.000Z");
  RunRecord running = NewRun("etl", "2026-11-26T10:01:00.000Z");
  RunRecord done = NewRun("etl", "2026-11-26T10:02:00.000Z");
  for (const auto& r : {starting, running, done}) ASSERT_TRUE(store->Start(r).ok());
  ASSERT_TRUE(store->SetState(running.run_id, RunState::kRunning).ok());
  done.state = RunState::kSucceeded;
  done.message = "ok";
  ASSERT_TRUE(store->Finish(done).ok());

  const std::string before = FormatIsoMillis(NowMillis());
  Result<std::vector<RunRecord>> failed = store->FailInterrupted("interrupted: the process exited");
  ASSERT_TRUE(failed.ok()) << failed.status().ToString();
  ASSERT_EQ(failed->size(), 2u);
  EXPECT_EQ((*failed)[0].run_id, starting.run_id);
  EXPECT_EQ((*failed)[1].run_id, running.run_id);
  for (const RunRecord& r : *failed) {
    EXPECT_EQ(r.state, RunState::kFailed);
    EXPECT_EQ(r.message, "interrupted: the process exited");
    RunRecord stored = **store->Get(r.run_id);
    EXPECT_EQ(stored.state, RunState::kFailed);
    EXPECT_EQ(stored.message, "interrupted: the process exited");
    EXPECT_GE(stored.finished_at, before);
  }
  RunRecord untouched = **store->Get(done.run_id);
  EXPECT_EQ(untouched.state, RunState::kSucceeded);
  EXPECT_EQ(untouched.message, "ok");
}

TEST_P(RunStoreTest, FailInterruptedWithNothingInFlightReturnsNothing) {
  StateDb dir(GetParam());
  auto store = OpenOrDie(dir);
  ASSERT_NE(store, nullptr);
  Result<std::vector<RunRecord>> failed = store->FailInterrupted("x");
  ASSERT_TRUE(failed.ok());
  EXPECT_TRUE(failed->empty());
  RunRecord run = NewRun();
  ASSERT_TRUE(store->Start(run).ok());
  ASSERT_EQ(store->FailInterrupted("x")->size(), 1u);
  EXPECT_TRUE(store->FailInterrupted("x")->empty());  // already failed
}

// Regression: a second Start() with the same id surfaced as a raw SQLite constraint error.
TEST_P(RunStoreTest, StartingARunIdTwiceIsAlreadyExists) {
  StateDb dir(GetParam());
  auto store = OpenOrDie(dir);
  ASSERT_NE(store, nullptr);
  RunRecord run = NewRun();
  ASSERT_TRUE(store->Start(run).ok());
  run.job = "other";
  Status s = store->Start(run);
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists);
  EXPECT_THAT(s.message(), HasSubstr(run.run_id));
  EXPECT_EQ((*store->Get(run.run_id))->job, "etl");
}

// Regression: SetState() and Finish() of a run that was never started succeeded silently.
TEST_P(RunStoreTest, UpdatingAnUnknownRunIsNotFound) {
  StateDb dir(GetParam());
  auto store = OpenOrDie(dir);
  ASSERT_NE(store, nullptr);
  RunRecord ghost = NewRun();
  EXPECT_EQ(store->SetState(ghost.run_id, RunState::kRunning).code(), StatusCode::kNotFound);
  ghost.state = RunState::kSucceeded;
  EXPECT_EQ(store->Finish(ghost).code(), StatusCode::kNotFound);
  Status s = store->AddObject(ghost.run_id, Loaded("k", 1, 1, 0));
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr(ghost.run_id));
  EXPECT_TRUE(store->List(10, true)->empty());
}

TEST_P(RunStoreTest, RunsSurviveReopening) {
  StateDb dir(GetParam());
  RunRecord run = NewRun();
  {
    auto store = OpenOrDie(dir);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Start(run).ok());
    ASSERT_TRUE(store->AddObject(run.run_id, Loaded("k", 3, 3, 0)).ok());
  }
  auto store = OpenOrDie(dir);
  ASSERT_NE(store, nullptr);
  std::optional<RunRecord> got = *store->Get(run.run_id);
  ASSERT_TRUE(got.has_value());
  ASSERT_EQ(got->objects.size(), 1u);
  EXPECT_EQ(got->objects[0].rows_read, 3);
}

TEST_P(RunStoreTest, SharesTheStateDatabaseWithTheEventLogAndOutbox) {
  StateDb dir(GetParam());
  auto store = OpenOrDie(dir);
  ASSERT_NE(store, nullptr);
  auto log = events::SqlEventLog::Open(dir.File("state.db"));
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  auto notifier = notify::Notifier::Open(dir.File("state.db"), {{"t", {}}});
  ASSERT_TRUE(notifier.ok()) << notifier.status().ToString();
  RunRecord run = NewRun();
  ASSERT_TRUE(store->Start(run).ok());
  ASSERT_TRUE((*log)->Append(Json{{"id", "e1"}, {"source", "s"}, {"detail-type", "d"}}, {}).ok());
  ASSERT_TRUE((*notifier)->Publish("t", Json{{"id", "e1"}}).ok());
  EXPECT_EQ(store->List(10, false)->size(), 1u);
  EXPECT_EQ((*log)->List({})->size(), 1u);
}

TEST(RunStoreSqliteTest, OpenInAMissingFolderFails) {
  TempDir dir;
  Result<std::unique_ptr<RunStore>> store = RunStore::Open(dir.File("missing/state.db"));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kIoError);
}

TEST_P(RunStoreTest, SharedFailInterruptedLeavesRunsOfLiveWorkersAlone) {
  StateDb dir(GetParam());
  WorkerLease live, dead;
  live.worker_id = "live";
  dead.worker_id = "dead";
  dead.lease_ms = 1;
  auto live_store = OpenOrDie(dir, live);
  auto dead_store = OpenOrDie(dir, dead);
  ASSERT_NE(live_store, nullptr);
  ASSERT_NE(dead_store, nullptr);
  RunRecord running = NewRun("etl");
  RunRecord abandoned = NewRun("etl");
  ASSERT_TRUE(live_store->Start(running).ok());
  ASSERT_TRUE(dead_store->Start(abandoned).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  Result<std::vector<RunRecord>> failed = live_store->FailInterrupted("gone", true);
  ASSERT_TRUE(failed.ok()) << failed.status().ToString();
  ASSERT_EQ(failed->size(), 1u);
  EXPECT_EQ((*failed)[0].run_id, abandoned.run_id);
  EXPECT_EQ((*live_store->Get(running.run_id))->state, RunState::kStarting);
  EXPECT_EQ((*live_store->Get(abandoned.run_id))->state, RunState::kFailed);
  // Without only_expired (one process holds the pipeline lock) every unfinished run fails.
  EXPECT_EQ(live_store->FailInterrupted("gone")->size(), 1u);
}

// The names are what the runs table, the events and `ecompipe runs` have always held: stored
// rows written before the enums read back, and new rows read as before.
TEST(RunStateTest, NamesAreGluesAndParseBack) {
  const std::vector<std::pair<RunState, std::string>> names = {
      {RunState::kStarting, "STARTING"},   {RunState::kRunning, "RUNNING"},
      {RunState::kSucceeded, "SUCCEEDED"}, {RunState::kFailed, "FAILED"},
      {RunState::kStopped, "STOPPED"},     {RunState::kTimeout, "TIMEOUT"}};
  for (const auto& [state, name] : names) {
    EXPECT_EQ(RunStateName(state), name);
    EXPECT_EQ(ParseRunState(name), state) << name;
  }
  EXPECT_EQ(ParseRunState("succeeded"), std::nullopt);
  EXPECT_EQ(ParseRunState(""), std::nullopt);
}

TEST(ObjectStatusTest, NamesParseBack) {
  const std::vector<std::pair<ObjectStatus, std::string>> names = {
      {ObjectStatus::kLoaded, "loaded"},
      {ObjectStatus::kFailed, "failed"},
      {ObjectStatus::kSkipped, "skipped"},
      {ObjectStatus::kIgnored, "ignored"}};
  for (const auto& [status, name] : names) {
    EXPECT_EQ(ObjectStatusName(status), name);
    EXPECT_EQ(ParseObjectStatus(name), status) << name;
  }
  EXPECT_EQ(ParseObjectStatus("LOADED"), std::nullopt);
}

TEST_P(RunStoreTest, ARowWithAnUnknownStateIsCorruptNotGuessed) {
  StateDb dir(GetParam());
  auto store = OpenOrDie(dir);
  ASSERT_NE(store, nullptr);
  RunRecord run = NewRun();
  ASSERT_TRUE(store->Start(run).ok());
  auto db = OpenSqlDb(dir.location());
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_TRUE((*db)->Exec("UPDATE runs SET state='BOGUS'").ok());
  Result<std::vector<RunRecord>> listed = store->List(10, false);
  EXPECT_EQ(listed.status().code(), StatusCode::kCorruptInput);
  EXPECT_THAT(listed.status().message(), HasSubstr("unknown state 'BOGUS'"));
}

}  // namespace
}  // namespace ecompipe::runtime
