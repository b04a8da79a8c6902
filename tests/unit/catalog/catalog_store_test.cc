#include "catalog/catalog_store.h"

#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/state_db.h"

namespace ecompipe::catalog {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;

TableSchema TransactionSchema() {
  TableSchema s;
  s.columns = {{"transaction_id", ColumnType::kString},
               {"quantity", ColumnType::kInteger},
               {"price", ColumnType::kDecimal},
               {"transaction_date", ColumnType::kDate}};
  return s;
}

storage::ObjectRef Object(const std::string& key, const std::string& etag) {
  storage::ObjectRef o;
  o.bucket = "landing";
  o.key = key;
  o.etag = etag;
  o.size = 1234;
  o.mtime_ms = 1764460800000;
  return o;
}

std::string DayKey(int day) {
  return "transactions/year=2026/month=11/day=" + std::to_string(day) + "/transaction_2026-11-" +
         std::to_string(day) + ".csv";
}

CrawlResult Crawl(const storage::ObjectRef& o, TableSchema schema = TransactionSchema()) {
  return {TableNameFor(o.key), std::move(schema), ParsePartitions(o.key)};
}

std::vector<std::string> Keys(const std::vector<CatalogObject>& objects) {
  std::vector<std::string> out;
  for (const auto& o : objects) out.push_back(o.object.key + "@" + o.object.etag);
  return out;
}

// Every test runs against SQLite and PostgreSQL (testing/state_db.h).
class CatalogStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "ep-catalog-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    state_ = std::make_unique<testing_util::StateDb>(GetParam());
    path_ = state_->postgres() ? state_->location() : (dir_ / "state" / "ecompipe.db").string();
    store_ = OpenStore();
  }
  void TearDown() override {
    store_.reset();
    state_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::unique_ptr<CatalogStore> OpenStore() {
    auto store = CatalogStore::Open(path_);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  CatalogUpdate Record(const storage::ObjectRef& o, const CrawlResult& crawl) {
    auto update = store_->RecordCrawl(o, crawl);
    EXPECT_TRUE(update.ok()) << update.status().ToString();
    return update.ok() ? *update : CatalogUpdate{};
  }
  CatalogUpdate Record(const storage::ObjectRef& o) { return Record(o, Crawl(o)); }

  std::vector<CatalogObject> List(const std::string& table) {
    auto objects = store_->ListObjects(table);
    EXPECT_TRUE(objects.ok()) << objects.status().ToString();
    return objects.ok() ? *objects : std::vector<CatalogObject>{};
  }

  std::vector<TableInfo> Tables() {
    auto tables = store_->ListTables();
    EXPECT_TRUE(tables.ok()) << tables.status().ToString();
    return tables.ok() ? *tables : std::vector<TableInfo>{};
  }

  std::filesystem::path dir_;
  std::unique_ptr<testing_util::StateDb> state_;
  std::string path_;
  std::unique_ptr<CatalogStore> store_;
};

INSTANTIATE_TEST_SUITE_P(Backends, CatalogStoreTest, testing_util::StateBackends(),
                         testing_util::StateBackendName);

TEST_P(CatalogStoreTest, FirstCrawlCreatesTheTable) {
  auto o = Object(DayKey(30), "e1");
  CatalogUpdate u = Record(o);
  EXPECT_TRUE(u.table_created);
  EXPECT_EQ(u.schema_version, 1);
  EXPECT_TRUE(u.change.empty());
  EXPECT_TRUE(u.partition_created);
  EXPECT_TRUE(u.object_new);

  auto tables = Tables();
  ASSERT_EQ(tables.size(), 1u);
  EXPECT_EQ(tables[0].name, "transactions");
  EXPECT_EQ(tables[0].schema_version, 1);
  EXPECT_EQ(tables[0].columns, TransactionSchema().columns);
  EXPECT_EQ(tables[0].format, DataFormat::kCsv);
  EXPECT_EQ(tables[0].object_count, 1);
  EXPECT_EQ(tables[0].partition_count, 1);
  EXPECT_GT(tables[0].updated_ms, 0);
}

TEST_P(CatalogStoreTest, ListedObjectCarriesItsSchemaAndPartition) {
  auto o = Object(DayKey(30), "e1");
  TableSchema schema = TransactionSchema();
  schema.compression = storage::Compression::kGzip;
  schema.delimiter = ';';
  Record(o, Crawl(o, schema));
  auto objects = List("transactions");
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects[0].object.bucket, "landing");
  EXPECT_EQ(objects[0].object.key, o.key);
  EXPECT_EQ(objects[0].object.etag, "e1");
  EXPECT_EQ(objects[0].object.size, 1234u);
  EXPECT_EQ(objects[0].object.mtime_ms, o.mtime_ms);
  EXPECT_EQ(objects[0].schema, schema);
  EXPECT_EQ(objects[0].schema_version, 1);
  EXPECT_THAT(objects[0].partition,
              ElementsAre(Pair("year", "2026"), Pair("month", "11"), Pair("day", "30")));
}

TEST_P(CatalogStoreTest, SameObjectTwiceIsIdempotent) {
  auto o = Object(DayKey(30), "e1");
  Record(o);
  CatalogUpdate again = Record(o);
  EXPECT_FALSE(again.table_created);
  EXPECT_FALSE(again.partition_created);
  EXPECT_FALSE(again.object_new);
  EXPECT_EQ(again.schema_version, 1);
  EXPECT_EQ(List("transactions").size(), 1u);
  auto history = store_->SchemaHistory("transactions");
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->size(), 1u);
}

TEST_P(CatalogStoreTest, SameSchemaKeepsTheVersion) {
  Record(Object(DayKey(29), "e1"));
  CatalogUpdate u = Record(Object(DayKey(30), "e2"));
  EXPECT_FALSE(u.table_created);
  EXPECT_EQ(u.schema_version, 1);
  EXPECT_TRUE(u.change.empty());
  EXPECT_TRUE(u.object_new);
}

TEST_P(CatalogStoreTest, AddedColumnMakesANewVersionNamingIt) {
  Record(Object(DayKey(29), "e1"));
  TableSchema wider = TransactionSchema();
  wider.columns.push_back({"discount", ColumnType::kDecimal});
  auto o = Object(DayKey(30), "e2");
  CatalogUpdate u = Record(o, Crawl(o, wider));
  EXPECT_EQ(u.schema_version, 2);
  EXPECT_THAT(u.change.added, ElementsAre("discount"));

  auto history = store_->SchemaHistory("transactions");
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].version, 1);
  EXPECT_TRUE((*history)[0].change.empty());
  EXPECT_EQ((*history)[1].version, 2);
  EXPECT_EQ((*history)[1].change.ToString(), "added: discount");
  EXPECT_EQ((*history)[1].columns, wider.columns);
  EXPECT_EQ((*history)[1].object_key, o.key);
  EXPECT_EQ(Tables()[0].schema_version, 2);
}

TEST_P(CatalogStoreTest, RetypedColumnMakesANewVersionNamingIt) {
  Record(Object(DayKey(29), "e1"));
  TableSchema changed = TransactionSchema();
  changed.columns[1].type = ColumnType::kString;
  auto o = Object(DayKey(30), "e2");
  CatalogUpdate u = Record(o, Crawl(o, changed));
  EXPECT_EQ(u.schema_version, 2);
  EXPECT_THAT(u.change.retyped, ElementsAre("quantity: bigint -> string"));
  // Each object keeps the version it was crawled with.
  auto objects = List("transactions");
  ASSERT_EQ(objects.size(), 2u);
  EXPECT_EQ(objects[0].schema_version, 1);
  EXPECT_EQ(objects[1].schema_version, 2);
}

TEST_P(CatalogStoreTest, NewPartitionIsRecordedOnce) {
  EXPECT_TRUE(Record(Object(DayKey(30), "e1")).partition_created);
  // Another object in the same partition.
  auto same = Object("transactions/year=2026/month=11/day=30/late.csv", "e2");
  EXPECT_FALSE(Record(same).partition_created);
  EXPECT_TRUE(Record(Object(DayKey(3), "e3")).partition_created);
  EXPECT_EQ(Tables()[0].partition_count, 2);
}

TEST_P(CatalogStoreTest, UnpartitionedObjectRecordsNoPartition) {
  auto o = Object("dimensions/products/products.csv", "p1");
  CatalogUpdate u = Record(o);
  EXPECT_FALSE(u.partition_created);
  auto tables = Tables();
  ASSERT_EQ(tables.size(), 1u);
  EXPECT_EQ(tables[0].name, "dimensions_products");
  EXPECT_EQ(tables[0].partition_count, 0);
}

TEST_P(CatalogStoreTest, ListsOnlyTheLatestEtagPerKey) {
  Record(Object(DayKey(30), "old"));
  CatalogUpdate u = Record(Object(DayKey(30), "new"));
  EXPECT_TRUE(u.object_new);
  EXPECT_THAT(Keys(List("transactions")), ElementsAre(DayKey(30) + "@new"));
  EXPECT_EQ(Tables()[0].object_count, 1);
}

TEST_P(CatalogStoreTest, RevertedContentBecomesCurrentAgain) {
  Record(Object(DayKey(30), "a"));
  Record(Object(DayKey(30), "b"));
  CatalogUpdate u = Record(Object(DayKey(30), "a"));
  EXPECT_FALSE(u.object_new);
  EXPECT_THAT(Keys(List("transactions")), ElementsAre(DayKey(30) + "@a"));
}

TEST_P(CatalogStoreTest, ListsObjectsInKeyOrder) {
  Record(Object(DayKey(30), "e1"));
  Record(Object(DayKey(3), "e2"));
  Record(Object(DayKey(12), "e3"));
  EXPECT_THAT(Keys(List("transactions")),
              ElementsAre(DayKey(12) + "@e3", DayKey(3) + "@e2", DayKey(30) + "@e1"));
}

TEST_P(CatalogStoreTest, ObjectsOfOtherTablesAreNotListed) {
  Record(Object(DayKey(30), "e1"));
  Record(Object("dimensions/products/products.csv", "p1"));
  EXPECT_EQ(List("transactions").size(), 1u);
  EXPECT_EQ(List("dimensions_products").size(), 1u);
  EXPECT_THAT(List("nope"), IsEmpty());
}

TEST_P(CatalogStoreTest, FailureIsRecordedAndNotListed) {
  auto bad = Object(DayKey(30), "bad");
  ASSERT_TRUE(store_->RecordCrawlFailure(bad, "binary content").ok());
  EXPECT_THAT(List("transactions"), IsEmpty());
  auto got = store_->GetObject(bad);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(got.status().message(), HasSubstr("binary content"));
}

TEST_P(CatalogStoreTest, FailedNewerVersionHidesTheOlderOne) {
  Record(Object(DayKey(30), "good"));
  ASSERT_TRUE(store_->RecordCrawlFailure(Object(DayKey(30), "bad"), "not UTF-8").ok());
  EXPECT_THAT(List("transactions"), IsEmpty());
  EXPECT_EQ(Tables()[0].object_count, 0);
}

TEST_P(CatalogStoreTest, CrawlAfterAFailureReplacesIt) {
  auto o = Object(DayKey(30), "e1");
  ASSERT_TRUE(store_->RecordCrawlFailure(o, "transient").ok());
  CatalogUpdate u = Record(o);
  EXPECT_TRUE(u.object_new);
  EXPECT_EQ(List("transactions").size(), 1u);
  EXPECT_TRUE(store_->GetObject(o).ok());
}

TEST_P(CatalogStoreTest, FailureDoesNotUndoASuccessfulCrawlOfTheSameVersion) {
  auto o = Object(DayKey(30), "e1");
  Record(o);
  ASSERT_TRUE(store_->RecordCrawlFailure(o, "read timeout").ok());
  EXPECT_EQ(List("transactions").size(), 1u);
}

TEST_P(CatalogStoreTest, GetObjectReturnsACrawledVersion) {
  auto o = Object(DayKey(30), "e1");
  Record(o);
  auto got = store_->GetObject(o);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->schema, TransactionSchema());
  EXPECT_EQ(store_->GetObject(Object(DayKey(30), "other")).status().code(), StatusCode::kNotFound);
}

TEST_P(CatalogStoreTest, ReopenPersists) {
  Record(Object(DayKey(29), "e1"));
  TableSchema wider = TransactionSchema();
  wider.columns.push_back({"discount", ColumnType::kDecimal});
  auto o = Object(DayKey(30), "e2");
  Record(o, Crawl(o, wider));
  store_.reset();
  store_ = OpenStore();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(List("transactions").size(), 2u);
  auto tables = Tables();
  ASSERT_EQ(tables.size(), 1u);
  EXPECT_EQ(tables[0].schema_version, 2);
  EXPECT_EQ(tables[0].columns, wider.columns);
  EXPECT_FALSE(Record(o, Crawl(o, wider)).object_new);
}

TEST_P(CatalogStoreTest, SecondConnectionSeesCommittedCrawls) {
  auto other = OpenStore();
  ASSERT_NE(other, nullptr);
  Record(Object(DayKey(30), "e1"));
  auto objects = other->ListObjects("transactions");
  ASSERT_TRUE(objects.ok());
  EXPECT_EQ(objects->size(), 1u);
  auto u = other->RecordCrawl(Object(DayKey(30), "e1"), Crawl(Object(DayKey(30), "e1")));
  ASSERT_TRUE(u.ok());
  EXPECT_FALSE(u->object_new);
}

TEST_P(CatalogStoreTest, ConcurrentWritersOnOwnConnectionsAllCommit) {
  std::vector<std::thread> writers;
  std::atomic<int> failures{0};
  for (int w = 0; w < 3; ++w) {
    writers.emplace_back([&, w] {
      auto store = CatalogStore::Open(path_);
      if (!store.ok()) {
        ++failures;
        return;
      }
      for (int day = 1; day <= 10; ++day) {
        auto o = Object(DayKey(day), "w" + std::to_string(w));
        if (!(*store)->RecordCrawl(o, Crawl(o)).ok()) ++failures;
      }
    });
  }
  for (auto& t : writers) t.join();
  EXPECT_EQ(failures.load(), 0);
  // Each key has three versions; one of them is current.
  EXPECT_EQ(List("transactions").size(), 10u);
  EXPECT_EQ(Tables()[0].partition_count, 10);
}

TEST_P(CatalogStoreTest, SchemaHistoryOfAnUnknownTableIsNotFound) {
  auto history = store_->SchemaHistory("nope");
  ASSERT_FALSE(history.ok());
  EXPECT_EQ(history.status().code(), StatusCode::kNotFound);
}

TEST_P(CatalogStoreTest, RecordCrawlRejectsAnEmptyTableName) {
  auto o = Object(DayKey(30), "e1");
  CrawlResult crawl = Crawl(o);
  crawl.table.clear();
  auto u = store_->RecordCrawl(o, crawl);
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.status().code(), StatusCode::kInvalidArgument);
}

TEST_P(CatalogStoreTest, OpenFailsClearlyWhenThePathIsAFolder) {
  std::filesystem::create_directories(dir_ / "folder.db");
  auto store = CatalogStore::Open((dir_ / "folder.db").string());
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.status().ToString(), HasSubstr("folder.db"));
}

TEST_P(CatalogStoreTest, TableColumnsAreTheCurrentVersionsInOrder) {
  auto none = store_->TableColumns("transactions");
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_THAT(*none, IsEmpty());
  Record(Object(DayKey(29), "e1"));
  TableSchema wider = TransactionSchema();
  wider.columns.insert(wider.columns.begin(), {"channel", ColumnType::kString});
  Record(Object(DayKey(30), "e2"), Crawl(Object(DayKey(30), "e2"), wider));
  auto columns = store_->TableColumns("transactions");
  ASSERT_TRUE(columns.ok()) << columns.status().ToString();
  EXPECT_EQ(*columns, wider.columns);
}

// Regression: one headerless file renamed the table's columns to col0..col7 (a new schema
// version with every column added and removed). Named after the table's columns, it is the
// same schema, and the object records that it has no header.
TEST_P(CatalogStoreTest, HeaderlessObjectAfterAHeadedOneAddsNoSchemaVersion) {
  const std::string headed =
      "quantity,transaction_id,price,transaction_date\n3,TXN1,1.50,2026-11-29\n";
  auto first = InferSchema(headed, true);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE(first->has_header);
  Record(Object(DayKey(29), "e1"), Crawl(Object(DayKey(29), "e1"), *first));

  CrawlHints hints;
  auto table_columns = store_->TableColumns("transactions");
  ASSERT_TRUE(table_columns.ok()) << table_columns.status().ToString();
  for (const Column& c : *table_columns) hints.table_columns.push_back(c.name);
  auto second = InferSchema("4,TXN2,2.50,2026-11-30\n5,TXN3,3.50,2026-11-30\n", true, hints);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_FALSE(second->has_header);
  auto o = Object(DayKey(30), "e2");
  CatalogUpdate u = Record(o, Crawl(o, *second));
  EXPECT_EQ(u.schema_version, 1);
  EXPECT_TRUE(u.change.empty()) << u.change.ToString();
  auto stored = store_->GetObject(o);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_FALSE(stored->schema.has_header);
  EXPECT_EQ(stored->schema.columns[0].name, "quantity");
  ASSERT_EQ(Tables().size(), 1u);
  EXPECT_EQ(Tables()[0].columns, first->columns);
}

}  // namespace
}  // namespace ecompipe::catalog
