#include "runtime/job_runner.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <zstd.h>

#include "catalog/catalog_store.h"
#include "catalog/crawler.h"
#include "common/sqlite_db.h"
#include "events/event_bus.h"
#include "events/event_pattern.h"
#include "events/rule.h"
#include "events/sql/sql_event_log.h"
#include "runtime/run_store.h"
#include "runtime/work_claims.h"
#include "testing/fault_injecting_store.h"
#include "testing/fault_injecting_warehouse.h"
#include "testing/logged_events.h"
#include "testing/memory_object_store.h"
#include "testing/or_die.h"
#include "testing/temp_dir.h"
#include "warehouse/sqlite/sqlite_warehouse.h"

namespace ecompipe::runtime {
namespace {

using testing_util::FaultInjectingStore;
using testing_util::FaultInjectingWarehouse;
using testing_util::LoggedEvents;
using testing_util::MemoryObjectStore;
using testing_util::OrDie;

constexpr const char* kHeader =
    "transaction_id,customer_id,product_id,quantity,price,transaction_date,payment_type,status\n";

// `rows` valid transactions numbered from `first`, with a header.
std::string Transactions(int first, int rows, const std::string& customer = "C1") {
  std::string csv = kHeader;
  for (int i = first; i < first + rows; ++i)
    csv += fmt::format("TXN{},{},P1,2,29.99,2026-11-26,Credit Card,Completed\n", i, customer);
  return csv;
}

WorkerLease Worker(const std::string& id) {
  WorkerLease lease;
  lease.worker_id = id;
  lease.lease_ms = 60'000;
  return lease;
}

// A job runner over an in-memory bucket (behind a fault-injecting store), an in-memory SQLite
// warehouse (behind a fault-injecting one), and in-memory SQLite state stores; the claims live
// in a file of the test's folder, so that a second worker can share them.
class JobRunnerTest : public ::testing::Test {
 protected:
  JobRunnerTest()
      : store_(bucket_),
        base_warehouse_(OrDie(warehouse::SqliteWarehouse::Open(":memory:"))),
        warehouse_(*base_warehouse_),
        catalog_(OrDie(catalog::CatalogStore::Open(":memory:"))),
        runs_(OrDie(RunStore::Open(":memory:", Worker("me")))),
        claims_(OrDie(WorkClaims::Open(dir_.File("state.db"), Worker("me")))),
        bus_(OrDie(events::SqlEventLog::Open(":memory:")), {}, {}),
        runner_(
            JobRunner::Env{store_, warehouse_, *catalog_, *runs_, *claims_, bus_, {}, &metrics_}) {
    EXPECT_TRUE(warehouse_.EnsureSchema().ok());
    model::Product p{"P1", "Widget", "Gadgets", model::Money{2999}, "S1"};
    model::Customer c{"C1", "Ann", "Lee", "ann@example.com", "Gold"};
    EXPECT_TRUE(warehouse_.UpsertProducts({&p, 1}).ok());
    EXPECT_TRUE(warehouse_.UpsertCustomers({&c, 1}).ok());
    job_.name = "load";
    job_.table = "transactions";
    // Small chunks and reads, so that a load hands the warehouse several batches and a fault
    // can strike after some of them.
    job_.spec.threads = 2;
    job_.spec.chunk_bytes = 256;
    bucket_.set_read_size(64);
  }

  // Lands `csv` under `key` and records its crawl in the catalog, as the crawl step does.
  storage::ObjectRef Land(const std::string& key, const std::string& csv) {
    storage::ObjectRef ref = bucket_.PutText(key, csv);
    catalog::CrawlResult crawl = OrDie(catalog::CrawlObject(bucket_, ref));
    EXPECT_TRUE(catalog_->RecordCrawl(ref, crawl).ok());
    return ref;
  }

  Result<std::optional<RunRecord>> Run() { return runner_.Run(job_, 1, stop_); }

  int64_t Count(const std::string& table) {
    warehouse::QueryResult r = OrDie(warehouse_.Query("SELECT count(*) FROM " + table));
    return std::stoll(*r.rows.at(0).at(0));
  }
  std::optional<std::string> LedgerStatus(const storage::ObjectRef& ref) {
    std::optional<warehouse::LedgerEntry> e = OrDie(warehouse_.FindLoad(ref));
    if (!e) return std::nullopt;
    return std::string(warehouse::LedgerStatusName(e->status));
  }
  // The states of the Glue Job State Change events emitted, oldest first.
  std::vector<std::string> JobStates() {
    std::vector<std::string> states;
    for (const Json& e : LoggedEvents(bus_, events::kJobStateChange))
      states.push_back(e["detail"]["state"]);
    return states;
  }
  std::vector<RunRecord> Runs() { return OrDie(runs_->List(100, true)); }

  testing_util::TempDir dir_;
  MemoryObjectStore bucket_;
  FaultInjectingStore store_;
  std::unique_ptr<warehouse::SqliteWarehouse> base_warehouse_;
  FaultInjectingWarehouse warehouse_;
  std::unique_ptr<catalog::CatalogStore> catalog_;
  std::unique_ptr<RunStore> runs_;
  std::unique_ptr<WorkClaims> claims_;
  events::EventBus bus_;
  metrics::Metrics metrics_;
  JobRunner runner_;
  JobConfig job_;
  std::atomic<bool> stop_{false};
};

TEST_F(JobRunnerTest, LoadsEachNewVersionAndEmitsItsStates) {
  storage::ObjectRef a = Land("transactions/day=1/a.csv", Transactions(1, 40));
  storage::ObjectRef b = Land("transactions/day=2/b.csv", Transactions(100, 30));
  std::optional<RunRecord> run = OrDie(Run());
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->state, RunState::kSucceeded);
  ASSERT_EQ(run->objects.size(), 2u);
  EXPECT_EQ(run->objects[0].status, ObjectStatus::kLoaded);
  EXPECT_EQ(run->rows_loaded, 70);
  EXPECT_EQ(Count("fact_transactions"), 70);
  EXPECT_EQ(LedgerStatus(a), "loaded");
  EXPECT_EQ(LedgerStatus(b), "loaded");
  EXPECT_EQ(JobStates(), (std::vector<std::string>{"STARTING", "RUNNING", "SUCCEEDED"}));
  EXPECT_EQ(runner_.runs_finished(), 1);
  EXPECT_EQ(runner_.failed_runs(), 0);
}

TEST_F(JobRunnerTest, LoadsFailuresRejectsAndRunsAreCountedInTheMetrics) {
  Land("transactions/a.csv",
       Transactions(1, 10) + "TXN900,C1,P9,1,1.00,2026-11-26,Credit Card,Completed\n");
  storage::ObjectRef b = Land("transactions/b.csv", Transactions(100, 5));
  store_.Inject({.op = FaultInjectingStore::Op::kOpen,
                 .key = b.key,
                 .status = Status::CorruptInput("bad bytes")});
  std::optional<RunRecord> run = OrDie(Run());
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->state, RunState::kFailed);
  const std::map<std::string, std::string> job{{"job", "load"}};
  EXPECT_EQ(metrics_.ValueForTest("ecompipe_objects_loaded_total", job), 1);
  EXPECT_EQ(metrics_.ValueForTest("ecompipe_objects_failed_total", job), 1);
  EXPECT_EQ(metrics_.ValueForTest("ecompipe_rows_loaded_total", job), Count("fact_transactions"));
  EXPECT_EQ(metrics_.ValueForTest("ecompipe_rows_rejected_total",
                                  {{"job", "load"}, {"reason", "unknown_product_id"}}),
            1);
  EXPECT_EQ(metrics_.ValueForTest("ecompipe_landed_to_loaded_seconds_count", job), 1);
  EXPECT_EQ(metrics_.ValueForTest("ecompipe_run_duration_seconds_count",
                                  {{"job", "load"}, {"state", "FAILED"}}),
            1);
  // A start with nothing to load is no run, and counts nothing.
  EXPECT_FALSE(OrDie(Run()).has_value());
  EXPECT_EQ(metrics_.ValueForTest("ecompipe_run_duration_seconds_count",
                                  {{"job", "load"}, {"state", "FAILED"}}),
            1);
}

TEST_F(JobRunnerTest, ASecondRunOverTheSameVersionLoadsNothingAndRecordsNoRun) {
  Land("transactions/a.csv", Transactions(1, 20));
  ASSERT_TRUE(OrDie(Run()).has_value());
  std::optional<RunRecord> again = OrDie(Run());
  EXPECT_FALSE(again.has_value());
  EXPECT_EQ(Count("fact_transactions"), 20);
  EXPECT_EQ(warehouse_.commits(), 1);
  EXPECT_EQ(Runs().size(), 1u);
  EXPECT_EQ(JobStates().size(), 3u);  // the first run's only
}

TEST_F(JobRunnerTest, ANewVersionOfAKeyReplacesTheRowsOfTheOld) {
  Land("transactions/a.csv", Transactions(1, 20));
  ASSERT_TRUE(OrDie(Run()).has_value());
  Land("transactions/a.csv", Transactions(1, 25));
  std::optional<RunRecord> run = OrDie(Run());
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->state, RunState::kSucceeded);
  EXPECT_EQ(Count("fact_transactions"), 25);
}

TEST_F(JobRunnerTest, AReadFailingMidwayIsRolledBackAndTheRetryLoadsTheRowsOnce) {
  storage::ObjectRef a = Land("transactions/a.csv", Transactions(1, 200));
  // The 40th read of the object (about 2.5 KiB in) fails as a server would that went away.
  store_.Inject({.op = FaultInjectingStore::Op::kRead,
                 .key = a.key,
                 .nth = 40,
                 .status = Status::Unavailable("connection reset")});
  Result<std::optional<RunRecord>> failed = Run();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kUnavailable);  // the start is retried
  EXPECT_EQ(store_.fired(), 1);
  EXPECT_GT(warehouse_.facts_added(), 0);  // the load was under way
  EXPECT_EQ(Count("fact_transactions"), 0);
  EXPECT_EQ(Count("rejects"), 0);
  EXPECT_EQ(LedgerStatus(a), std::nullopt);
  ASSERT_EQ(Runs().size(), 1u);
  EXPECT_EQ(Runs()[0].state, RunState::kFailed);
  EXPECT_EQ(JobStates(), (std::vector<std::string>{"STARTING", "RUNNING", "FAILED"}));

  std::optional<RunRecord> retry = OrDie(Run());
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(retry->state, RunState::kSucceeded);
  EXPECT_EQ(Count("fact_transactions"), 200);
  EXPECT_EQ(LedgerStatus(a), "loaded");
  EXPECT_FALSE(OrDie(Run()).has_value());
  EXPECT_EQ(Count("fact_transactions"), 200);
}

TEST_F(JobRunnerTest, ACommitFailingIsRolledBackAndTheRetryLoadsTheRowsOnce) {
  storage::ObjectRef a = Land("transactions/a.csv", Transactions(1, 50));
  warehouse_.Inject({.op = FaultInjectingWarehouse::Op::kCommit,
                     .status = Status::Unavailable("server closed the connection")});
  ASSERT_EQ(Run().status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(warehouse_.facts_added(), 50);
  EXPECT_EQ(Count("fact_transactions"), 0);
  EXPECT_EQ(LedgerStatus(a), std::nullopt);
  EXPECT_EQ(OrDie(Run())->state, RunState::kSucceeded);
  EXPECT_EQ(Count("fact_transactions"), 50);
  EXPECT_EQ(warehouse_.commits(), 1);
}

TEST_F(JobRunnerTest, AnObjectThatCannotBeReadForGoodFailsTheRunAndIsNotRetried) {
  storage::ObjectRef a = Land("transactions/a.csv", Transactions(1, 10));
  store_.Inject({.op = FaultInjectingStore::Op::kOpen,
                 .key = a.key,
                 .status = Status::CorruptInput("bad bytes")});
  std::optional<RunRecord> run = OrDie(Run());
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->state, RunState::kFailed);
  ASSERT_EQ(run->objects.size(), 1u);
  EXPECT_EQ(run->objects[0].status, ObjectStatus::kFailed);
  EXPECT_NE(run->error.find(a.key), std::string::npos) << run->error;
  EXPECT_EQ(LedgerStatus(a), "failed");
  EXPECT_EQ(runner_.failed_runs(), 1);
  EXPECT_FALSE(OrDie(Run()).has_value());  // the ledger remembers it
}

TEST_F(JobRunnerTest, AnObjectClaimedByAnotherWorkerIsLeftToIt) {
  storage::ObjectRef a = Land("transactions/a.csv", Transactions(1, 10));
  std::unique_ptr<WorkClaims> other = OrDie(WorkClaims::Open(dir_.File("state.db"), Worker("b")));
  ASSERT_TRUE(OrDie(other->TryClaim("load", a)));
  EXPECT_FALSE(OrDie(Run()).has_value());  // nothing this worker may load: no run
  EXPECT_EQ(Count("fact_transactions"), 0);
  EXPECT_TRUE(JobStates().empty());
  EXPECT_EQ(OrDie(claims_->Holder(a)), "b");

  ASSERT_TRUE(other->Release(a).ok());  // the other worker gave up without loading
  EXPECT_EQ(OrDie(Run())->state, RunState::kSucceeded);
  EXPECT_EQ(Count("fact_transactions"), 10);
  EXPECT_EQ(OrDie(claims_->Holder(a)), "");  // released after the commit
}

TEST_F(JobRunnerTest, AVersionAnotherWorkerCommittedFirstIsSkipped) {
  Land("transactions/a.csv", Transactions(1, 10));
  warehouse_.Inject({.op = FaultInjectingWarehouse::Op::kCommit,
                     .status = Status::AlreadyExists("ledger row exists")});
  std::optional<RunRecord> run = OrDie(Run());
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->state, RunState::kSucceeded);
  ASSERT_EQ(run->objects.size(), 1u);
  EXPECT_EQ(run->objects[0].status, ObjectStatus::kSkipped);
  EXPECT_EQ(run->rows_loaded, 0);
}

TEST_F(JobRunnerTest, AQualityGateFailureEndsTheRunFailedAndKeepsTheRows) {
  storage::ObjectRef a = Land("transactions/a.csv", Transactions(1, 10, "C99"));  // unknown
  std::optional<RunRecord> run = OrDie(Run());
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->state, RunState::kFailed);
  EXPECT_EQ(run->error.rfind("quality gate: " + a.key + ": ", 0), 0u) << run->error;
  EXPECT_EQ(run->objects[0].status, ObjectStatus::kLoaded);
  EXPECT_EQ(run->objects[0].reject_reasons.at("unknown_customer_id"), 10);
  EXPECT_EQ(Count("rejects"), 10);
  EXPECT_EQ(LedgerStatus(a), "loaded");
  EXPECT_EQ(JobStates().back(), "FAILED");
  EXPECT_FALSE(OrDie(Run()).has_value());  // loaded: not loaded again
}

// Regression (issue 14): one valid row repeated stored every repeat as a duplicate reject with
// its raw text. With the job's reject limit the rest are counted by reason, the object's
// result says so, and the run fails its quality gate even though the reject rate is allowed.
TEST_F(JobRunnerTest, RejectsBeyondTheJobsLimitAreCountedAndFailTheRun) {
  std::string csv = kHeader;
  for (int i = 0; i < 500; ++i) csv += "TXN1,C1,P1,2,29.99,2026-11-26,Credit Card,Completed\n";
  storage::ObjectRef a = Land("transactions/a.csv", csv);
  job_.reject_limits.max_rows = 20;
  job_.quality_gate.max_reject_rate = 1;
  std::optional<RunRecord> run = OrDie(Run());
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->state, RunState::kFailed);
  ASSERT_EQ(run->objects.size(), 1u);
  const ObjectResult& o = run->objects[0];
  EXPECT_EQ(o.status, ObjectStatus::kLoaded);
  EXPECT_EQ(o.rows_read, 500);
  EXPECT_EQ(o.rows_loaded, 1);
  EXPECT_EQ(o.rows_rejected, 499);
  EXPECT_EQ(o.rejects_not_stored, 479);
  EXPECT_EQ(o.reject_reasons.at("duplicate_transaction_id"), 499);
  EXPECT_EQ(o.message.rfind("479 rejects not stored, beyond max_stored_rejects 20", 0), 0u)
      << o.message;
  EXPECT_NE(run->error.find("479 rejects not stored, beyond the job's reject limits"),
            std::string::npos)
      << run->error;
  EXPECT_EQ(Count("rejects"), 20);
  EXPECT_EQ(LedgerStatus(a), "loaded");
}

// Regression (issue 14): a compressed object expanding past the job's decode limits fails to
// load with an error naming the object and the limit.
TEST_F(JobRunnerTest, ACompressedObjectPastTheDecodeLimitFailsNamingIt) {
  std::string csv = Transactions(1, 2000);
  // A zstd frame; gzip goes through the same limits (storage/compression_test.cc).
  std::string zstd(ZSTD_compressBound(csv.size()), '\0');
  zstd.resize(ZSTD_compress(zstd.data(), zstd.size(), csv.data(), csv.size(), 3));
  storage::ObjectRef a = Land("transactions/a.csv.zst", zstd);
  job_.decode_limits.max_bytes = 10'000;
  std::optional<RunRecord> run = OrDie(Run());
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->state, RunState::kFailed);
  ASSERT_EQ(run->objects.size(), 1u);
  EXPECT_EQ(run->objects[0].status, ObjectStatus::kFailed);
  EXPECT_NE(run->objects[0].message.find(a.key), std::string::npos) << run->objects[0].message;
  EXPECT_NE(run->objects[0].message.find("max_decoded_bytes 10000"), std::string::npos)
      << run->objects[0].message;
  EXPECT_EQ(Count("fact_transactions"), 0);
  EXPECT_EQ(LedgerStatus(a), "failed");
}

// Regression (issue 14): a run interrupted by a full disk stayed RUNNING until the next start,
// because its end could not be written either. Its end is kept and recorded at the next round
// that can write (CloseLeftOver): FAILED, with its event, which is what notifies.
TEST_F(JobRunnerTest, ARunWhoseEndCannotBeRecordedIsClosedFailedOnceTheStoreRecovers) {
  std::unique_ptr<RunStore> runs = OrDie(RunStore::Open(dir_.File("runs.db"), Worker("me")));
  JobRunner runner(JobRunner::Env{store_, warehouse_, *catalog_, *runs, *claims_, bus_, {}});
  std::unique_ptr<SqliteDb> other = OrDie(SqliteDb::Open(dir_.File("runs.db")));
  Land("transactions/a.csv", Transactions(1, 10));
  // The disk fills while the object loads: its commit fails, and so does writing the run's end.
  warehouse_.Inject({.op = FaultInjectingWarehouse::Op::kCommit,
                     .status = Status::IoError("database or disk is full")});
  warehouse_.BeforeCommit(
      [&] { ASSERT_TRUE(other->Exec("ALTER TABLE runs RENAME TO gone").ok()); });
  Result<std::optional<RunRecord>> run = runner.Run(job_, 1, stop_);
  ASSERT_FALSE(run.ok());
  EXPECT_EQ(JobStates(), (std::vector<std::string>{"STARTING", "RUNNING"}));
  EXPECT_FALSE(runner.CloseLeftOver().ok());  // still unwritable: kept for the next round
  warehouse_.BeforeCommit({});
  ASSERT_TRUE(other->Exec("ALTER TABLE gone RENAME TO runs").ok());
  ASSERT_TRUE(runner.CloseLeftOver().ok());
  std::vector<RunRecord> recorded = OrDie(runs->List(10, false));
  ASSERT_EQ(recorded.size(), 1u);
  EXPECT_EQ(recorded[0].state, RunState::kFailed);
  EXPECT_NE(recorded[0].message.find("database or disk is full"), std::string::npos)
      << recorded[0].message;
  EXPECT_EQ(JobStates(), (std::vector<std::string>{"STARTING", "RUNNING", "FAILED"}));
  EXPECT_EQ(runner.failed_runs(), 1);
  ASSERT_TRUE(runner.CloseLeftOver().ok());  // nothing left: no second event
  EXPECT_EQ(JobStates().size(), 3u);
}

TEST_F(JobRunnerTest, AStopBeforeAnyClaimIsCancelledAndRecordsNothing) {
  Land("transactions/a.csv", Transactions(1, 10));
  stop_ = true;
  Result<std::optional<RunRecord>> run = Run();
  EXPECT_EQ(run.status().code(), StatusCode::kCancelled);
  EXPECT_TRUE(Runs().empty());
  EXPECT_TRUE(JobStates().empty());
  stop_ = false;
  EXPECT_EQ(OrDie(Run())->state, RunState::kSucceeded);
}

TEST_F(JobRunnerTest, AStopDuringALoadRollsItBackAndStopsTheRun) {
  storage::ObjectRef a = Land("transactions/a.csv", Transactions(1, 200));
  store_.Inject({.op = FaultInjectingStore::Op::kRead,
                 .key = a.key,
                 .nth = 40,
                 .status = Status::Ok(),
                 .action = [this] { stop_ = true; }});
  std::optional<RunRecord> run = OrDie(Run());
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->state, RunState::kStopped);
  EXPECT_EQ(Count("fact_transactions"), 0);
  EXPECT_EQ(LedgerStatus(a), std::nullopt);
  stop_ = false;
  EXPECT_EQ(OrDie(Run())->state, RunState::kSucceeded);
  EXPECT_EQ(Count("fact_transactions"), 200);
}

TEST_F(JobRunnerTest, ACatalogObjectGoneFromTheBucketFailsForGood) {
  storage::ObjectRef a = Land("transactions/a.csv", Transactions(1, 10));
  bucket_.Remove(a.key);
  std::optional<RunRecord> run = OrDie(Run());
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->state, RunState::kFailed);
  EXPECT_EQ(LedgerStatus(a), "failed");
}

// The start_job target as Pipeline registers it: a transient failure is retried by the bus
// (with backoff), and the retry's run loads the rows once.
TEST_F(JobRunnerTest, TheBusRetriesATransientFailureAndTheRowsLandOnce) {
  events::Rule rule;
  rule.name = "start";
  rule.pattern = OrDie(events::EventPattern::Parse(std::string_view(R"({"detail-type": ["go"]})")));
  rule.targets.push_back(events::Target{events::TargetType::kStartJob, "load"});
  events::RetryPolicy retry;
  retry.base_delay_ms = 1;
  retry.max_delay_ms = 1;
  events::EventBus bus(OrDie(events::SqlEventLog::Open(":memory:")), {rule}, retry);
  JobRunner runner(JobRunner::Env{store_, warehouse_, *catalog_, *runs_, *claims_, bus, {}});
  bus.RegisterTarget(events::TargetType::kStartJob,
                     {true, [&](std::span<const events::Delivery> ds) -> Status {
                        return runner.Run(job_, static_cast<int>(ds.size()), stop_).status();
                      }});
  storage::ObjectRef a = Land("transactions/a.csv", Transactions(1, 100));
  store_.Inject({.op = FaultInjectingStore::Op::kRead,
                 .key = a.key,
                 .nth = 20,
                 .status = Status::Unavailable("connection reset")});
  ASSERT_TRUE(bus.Put(events::MakeEvent({}, "test", "go", Json::array(), Json::object())).ok());
  for (int round = 0; round < 50 && !OrDie(warehouse_.FindLoad(a)); ++round) {
    ASSERT_TRUE(bus.DispatchDue(stop_).ok());
    bus.WaitForWork(std::chrono::milliseconds(2));
  }
  EXPECT_EQ(LedgerStatus(a), "loaded");
  EXPECT_EQ(Count("fact_transactions"), 100);
  EXPECT_EQ(runner.runs_finished(), 2);
  EXPECT_EQ(runner.failed_runs(), 1);
  EXPECT_EQ(OrDie(bus.WithLog([](events::EventLog& log) { return log.PendingCount(); })), 0);
}

}  // namespace
}  // namespace ecompipe::runtime
