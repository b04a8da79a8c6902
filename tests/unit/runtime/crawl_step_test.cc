#include "runtime/crawl_step.h"

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

namespace ecompipe::runtime {
namespace {

using testing_util::OrDie;
using Fault = testing_util::FaultInjectingStore::Fault;

class CrawlStepTest : public ::testing::Test {
 protected:
  CrawlStepTest()
      : store_(bucket_),
        catalog_(OrDie(catalog::CatalogStore::Open(":memory:"))),
        bus_(OrDie(events::SqlEventLog::Open(":memory:")), {}, {}),
        step_(CrawlStep::Env{store_, *catalog_, bus_, events::Origin{}}, Settings()) {}

  static CrawlSettings Settings() {
    CrawlSettings s;
    s.header["headerless"] = catalog::HeaderMode::kAbsent;
    s.job_columns["transactions"] = {{"id", "amount"}};
    return s;
  }
  // A start_crawler delivery for the Object Created event of `ref`.
  events::Delivery DeliveryFor(const std::string& crawler, const storage::ObjectRef& ref) {
    events::Delivery d;
    d.target = events::Target{events::TargetType::kStartCrawler, crawler};
    d.event =
        events::ObjectCreatedEvent({}, ref.bucket, ref.key, ref.size, ref.etag, "PutObject", "0");
    return d;
  }
  // The details of the crawler events emitted, oldest first.
  std::vector<Json> CrawlerEvents() {
    std::vector<Json> details;
    for (const Json& e : testing_util::LoggedEvents(bus_, events::kCrawlerStateChange))
      details.push_back(e["detail"]);
    return details;
  }

  testing_util::MemoryObjectStore bucket_;
  testing_util::FaultInjectingStore store_;
  std::unique_ptr<catalog::CatalogStore> catalog_;
  events::EventBus bus_;
  CrawlStep step_;
};

TEST_F(CrawlStepTest, ACrawlRecordsTheObjectAndTellsWhatItFound) {
  storage::ObjectRef ref = bucket_.PutText("transactions/year=2026/x.csv", "id,amount\n1,2.50\n");
  ASSERT_TRUE(step_.Crawl(DeliveryFor("c", ref)).ok());
  std::vector<catalog::CatalogObject> objects = OrDie(catalog_->ListObjects("transactions"));
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects[0].object.etag, ref.etag);
  std::vector<Json> events = CrawlerEvents();
  ASSERT_EQ(events.size(), 1u);
  const Json& d = events[0];
  EXPECT_EQ(d["state"], "Succeeded");
  EXPECT_EQ(d["crawlerName"], "c");
  EXPECT_EQ(d["table"], "transactions");
  EXPECT_EQ(d["tablesCreated"], "1");
  EXPECT_EQ(d["schemaVersion"], 1);
  EXPECT_EQ(d["format"], "csv");
  EXPECT_EQ(d["partition"], Json({{"year", "2026"}}));
  EXPECT_EQ(d["object"], Json({{"key", ref.key}, {"etag", ref.etag}}));
}

// Regression (issue 14): a file in a folder that is not a partition (transactions/h/x.csv)
// became table transactions_h, which no job loads, with no word said. The crawl succeeds (the
// object is catalogued) and says, in its event's warningMessage, that it will not be loaded.
TEST_F(CrawlStepTest, AnObjectInATableNoJobLoadsSaysItWillNotBeLoaded) {
  storage::ObjectRef ref = bucket_.PutText("transactions/h/x.csv", "id,amount\n1,2.50\n");
  ASSERT_TRUE(step_.Crawl(DeliveryFor("c", ref)).ok());
  std::vector<Json> events = CrawlerEvents();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["state"], "Succeeded");
  EXPECT_EQ(events[0]["table"], "transactions_h");
  EXPECT_EQ(events[0]["warningMessage"],
            "no job loads table 'transactions_h' (jobs load: transactions); a folder that is not "
            "a partition (name=value) names a table of its own: put the file in its table's "
            "folder or in partition folders, or add a job for 'transactions_h'");
  // A table a job loads has no such warning.
  storage::ObjectRef loaded = bucket_.PutText("transactions/day=1/y.csv", "id,amount\n1,2\n");
  ASSERT_TRUE(step_.Crawl(DeliveryFor("c", loaded)).ok());
  EXPECT_EQ(CrawlerEvents().back()["warningMessage"], "N/A");
}

TEST_F(CrawlStepTest, TheCrawlersHeaderSettingAndTheJobsColumnsAreTheHints) {
  // Every value is text, so by the bytes alone the first row could not be told a header; the
  // crawler "headerless" says there is none, and the job's columns name them.
  storage::ObjectRef ref = bucket_.PutText("transactions/x.csv", "a,b\nc,d\n");
  ASSERT_TRUE(step_.Crawl(DeliveryFor("headerless", ref)).ok());
  std::vector<catalog::CatalogObject> objects = OrDie(catalog_->ListObjects("transactions"));
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_FALSE(objects[0].schema.has_header);
  ASSERT_EQ(objects[0].schema.columns.size(), 2u);
  EXPECT_EQ(objects[0].schema.columns[0].name, "id");
}

TEST_F(CrawlStepTest, AnObjectGoneIsAFailedCrawlNotARetry) {
  storage::ObjectRef ref = bucket_.PutText("transactions/x.csv", "id\n1\n");
  bucket_.Remove(ref.key);
  ASSERT_TRUE(step_.Crawl(DeliveryFor("c", ref)).ok());
  std::vector<Json> events = CrawlerEvents();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["state"], "Failed");
  EXPECT_EQ(events[0]["errorMessage"], ref.key + ": the object no longer exists");
}

TEST_F(CrawlStepTest, AnUnreadableObjectIsRecordedAsFailed) {
  storage::ObjectRef ref = bucket_.PutText("transactions/x.csv", "");
  ASSERT_TRUE(step_.Crawl(DeliveryFor("c", ref)).ok());
  EXPECT_TRUE(OrDie(catalog_->CrawlFailed(ref)));
  ASSERT_EQ(CrawlerEvents().size(), 1u);
  EXPECT_EQ(CrawlerEvents()[0]["state"], "Failed");
}

TEST_F(CrawlStepTest, AStoreThatIsDownIsRetriedWithoutAnEvent) {
  storage::ObjectRef ref = bucket_.PutText("transactions/x.csv", "id\n1\n");
  store_.Inject(Fault{.op = testing_util::FaultInjectingStore::Op::kRead,
                      .status = Status::Unavailable("down")});
  EXPECT_EQ(step_.Crawl(DeliveryFor("c", ref)).code(), StatusCode::kUnavailable);
  EXPECT_TRUE(CrawlerEvents().empty());
  EXPECT_FALSE(OrDie(catalog_->CrawlFailed(ref)));
  ASSERT_TRUE(step_.Crawl(DeliveryFor("c", ref)).ok());
  EXPECT_EQ(CrawlerEvents()[0]["state"], "Succeeded");
}

TEST_F(CrawlStepTest, AnEventForAnOlderVersionCrawlsNothing) {
  storage::ObjectRef old = bucket_.PutText("transactions/x.csv", "id\n1\n");
  bucket_.PutText("transactions/x.csv", "id\n2\n");
  ASSERT_TRUE(step_.Crawl(DeliveryFor("c", old)).ok());
  EXPECT_TRUE(CrawlerEvents().empty());
  EXPECT_TRUE(OrDie(catalog_->ListObjects("transactions")).empty());
}

}  // namespace
}  // namespace ecompipe::runtime
