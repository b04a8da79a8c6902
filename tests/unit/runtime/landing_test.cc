#include "runtime/landing.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "events/event_bus.h"
#include "events/sql/sql_event_log.h"
#include "testing/fault_injecting_store.h"
#include "testing/logged_events.h"
#include "testing/memory_object_store.h"
#include "testing/or_die.h"
#include "testing/temp_dir.h"
#include "warehouse/sqlite/sqlite_warehouse.h"

namespace ecompipe::runtime {
namespace {

using testing_util::FaultInjectingStore;
using testing_util::LoggedEvents;
using testing_util::MemoryObjectStore;
using testing_util::OrDie;

class LandingTest : public ::testing::Test {
 protected:
  LandingTest()
      : store_(bucket_),
        warehouse_(OrDie(warehouse::SqliteWarehouse::Open(":memory:"))),
        bus_(OrDie(events::SqlEventLog::Open(":memory:")), {}, {}) {
    EXPECT_TRUE(warehouse_->EnsureSchema().ok());
    landing_ = Open();
  }
  // A Landing over the test's state file: a second one stands for another worker or a restart.
  std::unique_ptr<Landing> Open() {
    return OrDie(
        Landing::Open(dir_.File("state.db"), {store_, bus_, *warehouse_, events::Origin{}}));
  }
  // The keys of the Object Created events in the log, oldest first.
  std::vector<std::string> Announced() {
    std::vector<std::string> keys;
    for (const Json& e : LoggedEvents(bus_, events::kObjectCreated))
      keys.push_back(e["detail"]["object"]["key"]);
    return keys;
  }

  testing_util::TempDir dir_;
  MemoryObjectStore bucket_;
  FaultInjectingStore store_;
  std::unique_ptr<warehouse::SqliteWarehouse> warehouse_;
  events::EventBus bus_;
  std::unique_ptr<Landing> landing_;
};

TEST_F(LandingTest, AScanAnnouncesEachVersionOnce) {
  bucket_.PutText("a.csv", "x\n1\n");
  bucket_.PutText("b.csv", "x\n2\n");
  EXPECT_EQ(OrDie(landing_->ScanBucket()), 2);
  EXPECT_EQ(OrDie(landing_->ScanBucket()), 0);
  EXPECT_EQ(OrDie(Open()->ScanBucket()), 0);  // seen_objects outlives the process
  bucket_.PutText("a.csv", "x\n3\n");         // a new version
  EXPECT_EQ(OrDie(landing_->ScanBucket()), 1);
  EXPECT_EQ(Announced(), (std::vector<std::string>{"a.csv", "b.csv", "a.csv"}));
}

TEST_F(LandingTest, TheEventIdIsTheVersionsSoTwoWorkersAppendOneEvent) {
  storage::ObjectRef a = bucket_.PutText("a.csv", "x\n1\n");
  std::unique_ptr<Landing> other =
      OrDie(Landing::Open(dir_.File("other.db"), {store_, bus_, *warehouse_, events::Origin{}}));
  EXPECT_EQ(OrDie(landing_->RecordLanded("a.csv")), a.etag);
  EXPECT_EQ(OrDie(other->RecordLanded("a.csv")), a.etag);  // its own seen_objects: not seen
  EXPECT_EQ(Announced().size(), 1u);
}

// Each worker counts the landings it announced: one landing seen by two workers counts once.
TEST_F(LandingTest, OnlyTheWorkerWhoseEventWasAppendedCountsTheLanding) {
  storage::ObjectRef a = bucket_.PutText("a.csv", "x\n1\n");
  metrics::Metrics first, second;
  std::unique_ptr<Landing> one = OrDie(
      Landing::Open(dir_.File("one.db"), {store_, bus_, *warehouse_, events::Origin{}, &first}));
  std::unique_ptr<Landing> two = OrDie(
      Landing::Open(dir_.File("two.db"), {store_, bus_, *warehouse_, events::Origin{}, &second}));
  EXPECT_EQ(OrDie(one->RecordLanded("a.csv")), a.etag);
  EXPECT_EQ(OrDie(two->RecordLanded("a.csv")), a.etag);
  EXPECT_EQ(OrDie(one->RecordLanded("a.csv")), a.etag);  // seen: not again
  EXPECT_EQ(first.ValueForTest("ecompipe_objects_landed_total", {}), 1);
  EXPECT_EQ(first.ValueForTest("ecompipe_landed_bytes_total", {}), static_cast<double>(a.size));
  EXPECT_EQ(second.ValueForTest("ecompipe_objects_landed_total", {}), 0);
}

TEST_F(LandingTest, QueuedKeysAreRecordedAndTheirDoneCallbacksTold) {
  storage::ObjectRef a = bucket_.PutText("a.csv", "x\n1\n");
  std::vector<std::pair<bool, std::string>> told;
  auto done = [&](bool recorded, const std::string& etag) { told.emplace_back(recorded, etag); };
  landing_->QueueLanded("a.csv", done);
  landing_->QueueLanded("gone.csv", done);
  store_.Inject({.op = FaultInjectingStore::Op::kHead,
                 .key = "down.csv",
                 .status = Status::Unavailable("S3 down")});
  landing_->QueueLanded("down.csv", done);
  ASSERT_TRUE(landing_->DrainLanded().ok());
  EXPECT_EQ(told,
            (std::vector<std::pair<bool, std::string>>{{true, a.etag}, {true, ""}, {false, ""}}));
  EXPECT_EQ(Announced(), std::vector<std::string>{"a.csv"});
}

// Regression (issue 14): with the state unwritable (a full disk) a key the folder watcher
// queued was logged and dropped, and loaded only after a restart. It is owed a rescan now:
// the round fails (the serve loop backs off) and a later round records it.
TEST_F(LandingTest, AWatchedKeyThatCannotBeRecordedIsRecordedByALaterRescan) {
  bucket_.PutText("a.csv", "x\n1\n");
  store_.Inject({.op = FaultInjectingStore::Op::kHead,
                 .key = "a.csv",
                 .status = Status::IoError("database or disk is full")});
  landing_->QueueLanded("a.csv");
  EXPECT_EQ(landing_->DrainLanded().code(), StatusCode::kIoError);
  EXPECT_TRUE(Announced().empty());
  ASSERT_TRUE(landing_->DrainLanded().ok());  // the owed rescan
  EXPECT_EQ(Announced(), std::vector<std::string>{"a.csv"});
}

TEST_F(LandingTest, ARescanThatCannotListIsReturnedAndAnnouncesNothing) {
  bucket_.PutText("a.csv", "x\n1\n");
  store_.Inject({.op = FaultInjectingStore::Op::kList, .status = Status::Unavailable("down")});
  landing_->QueueRescan();
  EXPECT_EQ(landing_->DrainLanded().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(Announced().empty());
  landing_->QueueRescan();
  ASSERT_TRUE(landing_->DrainLanded().ok());
  EXPECT_EQ(Announced(), std::vector<std::string>{"a.csv"});
}

TEST_F(LandingTest, AnAnnouncedObjectIsNotReadAgain) {
  storage::ObjectRef listed{"test-bucket", "a.csv", "e1", 4};
  EXPECT_TRUE(OrDie(landing_->Announce(listed)));
  EXPECT_FALSE(OrDie(landing_->Announce(listed)));
  EXPECT_EQ(store_.calls(FaultInjectingStore::Op::kHead), 0);
  EXPECT_EQ(Announced(), std::vector<std::string>{"a.csv"});
}

TEST(ObjectNamedByTest, ReadsKeyEtagAndBucketAndRefusesAnEventWithoutAKey) {
  Json event = events::ObjectCreatedEvent({}, "b1", "k/x.csv", 3, "e1", "PutObject", "0");
  storage::ObjectRef ref = OrDie(ObjectNamedBy(event, "default"));
  EXPECT_EQ(ref.bucket, "b1");
  EXPECT_EQ(ref.key, "k/x.csv");
  EXPECT_EQ(ref.etag, "e1");
  event["detail"].erase("bucket");
  EXPECT_EQ(OrDie(ObjectNamedBy(event, "default")).bucket, "default");
  event["detail"].erase("object");
  EXPECT_EQ(ObjectNamedBy(event, "default").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ecompipe::runtime
