#include "warehouse/postgres/postgres_warehouse.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "testing/dimension_recorder.h"
#include "testing/pg_test.h"
#include "testing/sample_fact.h"

namespace ecompipe::warehouse {
namespace {

using ::ecompipe::testing_util::PgTestSchema;
using ::ecompipe::testing_util::PgTestUrl;
using model::Money;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Every test runs twice: with the PostgreSQL dialect, and with the Redshift dialect's DML
// (staging tables, INSERT ... WHERE NOT EXISTS, MERGE) executed by PostgreSQL 15 on tables that
// the PostgreSQL dialect created (Redshift's DDL, with DISTKEY/SORTKEY, does not run there).
class PostgresWarehouseTest : public ::testing::TestWithParam<SqlDialect> {
 protected:
  void SetUp() override {
    EP_REQUIRE_TEST_PG();
    schema_ = std::make_unique<PgTestSchema>();
    warehouse_ = OpenOrDie();
  }

  PostgresWarehouseOptions Options(SqlDialect dialect) const {
    PostgresWarehouseOptions o;
    o.url = PgTestUrl();
    o.schema = schema_->name();
    o.dialect = dialect;
    o.copy_chunk_bytes = chunk_bytes_;
    o.index_rebuild = index_rebuild_;
    o.index_rebuild_min_bytes = index_rebuild_min_bytes_;
    return o;
  }

  std::unique_ptr<PostgresWarehouse> OpenOrDie() {
    auto pg = PostgresWarehouse::Open(Options(SqlDialect::kPostgres));
    EXPECT_TRUE(pg.ok()) << pg.status().ToString();
    if (!pg.ok()) return nullptr;
    Status s = (*pg)->EnsureSchema();
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (GetParam() == SqlDialect::kPostgres) return std::move(pg).value();
    auto rs = PostgresWarehouse::Open(Options(SqlDialect::kRedshift));
    EXPECT_TRUE(rs.ok()) << rs.status().ToString();
    return rs.ok() ? std::move(rs).value() : nullptr;
  }

  static storage::ObjectRef Object(std::string key, std::string etag) {
    return storage::ObjectRef{"bucket", std::move(key), std::move(etag), 0, 0};
  }

  static model::FactRow Fact(std::string id, int32_t quantity = 2, Money price = Money{12999},
                             int64_t line = 2) {
    return testing_util::SampleFact(std::move(id), quantity, price, line);
  }
  // Facts TXN(10000000 + i) for i in [from, to) by `step`: quantity 1 at 1.01, line i + 2.
  static std::vector<model::FactRow> Facts(int from, int to, int step = 1) {
    std::vector<model::FactRow> facts;
    for (int i = from; i < to; i += step)
      facts.push_back(Fact("TXN" + std::to_string(10000000 + i), 1, Money{101}, i + 2));
    return facts;
  }
  // Adds Facts(0, batches * per_batch) to `load` in `batches` AddFacts calls; returns how many.
  static int64_t AddFactsInBatches(LoadTransaction& load, int batches, int per_batch) {
    int64_t read = 0;
    for (int batch = 0; batch < batches; ++batch) {
      std::vector<model::FactRow> facts = Facts(batch * per_batch, (batch + 1) * per_batch);
      read += static_cast<int64_t>(facts.size());
      EXPECT_TRUE(load.AddFacts(facts).ok());
    }
    return read;
  }

  std::unique_ptr<LoadTransaction> Begin(const storage::ObjectRef& object,
                                         ReloadMode mode = ReloadMode::kReplace,
                                         PostgresWarehouse* wh = nullptr) {
    if (!wh) wh = warehouse_.get();
    auto load = wh->BeginLoad(object, "load-" + object.etag, "jr_run", mode);
    EXPECT_TRUE(load.ok()) << load.status().ToString();
    return load.ok() ? std::move(load).value() : nullptr;
  }

  // Loads `facts` (and `rejects`) as one object and returns the counts.
  LoadCounts Load(const storage::ObjectRef& object, std::vector<model::FactRow> facts,
                  std::vector<model::RejectRow> rejects = {},
                  ReloadMode mode = ReloadMode::kReplace) {
    auto load = Begin(object, mode);
    if (!load) return {};
    int64_t read = static_cast<int64_t>(facts.size() + rejects.size());
    EXPECT_TRUE(load->AddFacts(facts).ok());
    EXPECT_TRUE(load->AddRejects(rejects).ok());
    auto counts = load->Commit(read);
    EXPECT_TRUE(counts.ok()) << counts.status().ToString();
    return counts.ok() ? *counts : LoadCounts{};
  }

  std::string Scalar(const std::string& sql) {
    auto r = warehouse_->Query(sql);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok() || r->rows.empty() || !r->rows[0][0]) return "<null>";
    return *r->rows[0][0];
  }

  size_t chunk_bytes_ = 64 << 20;
  IndexRebuild index_rebuild_ = IndexRebuild::kAuto;
  size_t index_rebuild_min_bytes_ = 16 << 20;
  std::unique_ptr<PgTestSchema> schema_;
  std::unique_ptr<PostgresWarehouse> warehouse_;
};

TEST_P(PostgresWarehouseTest, EnsureSchemaIsIdempotentAndUsesProperTypes) {
  ASSERT_TRUE(warehouse_->EnsureSchema().ok() || GetParam() == SqlDialect::kRedshift);
  auto cols = schema_->admin().Query(
      "SELECT column_name, data_type, numeric_precision, numeric_scale FROM "
      "information_schema.columns "
      "WHERE table_schema = $1 AND table_name = 'fact_transactions' AND column_name IN "
      "('price', 'total_amount', 'transaction_date', 'quantity') ORDER BY column_name",
      {schema_->name()});
  ASSERT_TRUE(cols.ok()) << cols.status().ToString();
  ASSERT_EQ(cols->Rows(), 4);
  EXPECT_EQ(cols->Text(0, 0), "price");
  EXPECT_EQ(cols->Text(0, 1), "numeric");
  EXPECT_EQ(cols->Text(0, 2), "10");
  EXPECT_EQ(cols->Text(0, 3), "2");
  EXPECT_EQ(cols->Text(1, 1), "integer");
  EXPECT_EQ(cols->Text(2, 0), "total_amount");
  EXPECT_EQ(cols->Text(2, 2), "12");
  EXPECT_EQ(cols->Text(3, 1), "date");
  EXPECT_EQ(Scalar("SELECT count(*) FROM pg_indexes WHERE tablename = 'fact_transactions' AND "
                   "schemaname = '" +
                   schema_->name() + "'"),
            "3");  // primary key, source_object, BRIN on transaction_date
}

TEST_P(PostgresWarehouseTest, NewerSchemaVersionIsRefused) {
  ASSERT_TRUE(schema_->admin()
                  .Exec("UPDATE " + schema_->name() + ".ecompipe_schema_version SET version = 99")
                  .ok());
  auto wh = PostgresWarehouse::Open(Options(SqlDialect::kPostgres));
  ASSERT_TRUE(wh.ok());
  Status s = (*wh)->EnsureSchema();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.ToString(), HasSubstr("newer than this ecompipe supports"));
}

TEST_P(PostgresWarehouseTest, CommitWritesFactsRejectsAndLedgerAtomically) {
  std::vector<model::RejectRow> rejects = {
      {7, "invalid_price", "price 'x' is not a number", "TXN7,C1,P1,1,x", "TXN00000007"}};
  LoadCounts c =
      Load(Object("t/a.csv", "e1"), {Fact("TXN00000001"), Fact("TXN00000002", 3)}, rejects);
  EXPECT_EQ(c.rows_loaded, 2);
  EXPECT_EQ(c.rows_rejected, 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM fact_transactions"), "2");
  EXPECT_EQ(Scalar("SELECT SUM(total_amount) FROM fact_transactions"), "649.95");
  EXPECT_EQ(
      Scalar(
          "SELECT source_object || ' ' || source_etag || ' ' || load_id || ' ' || source_line FROM "
          "fact_transactions WHERE transaction_id = 'TXN00000002'"),
      "t/a.csv e1 load-e1 2");
  EXPECT_EQ(Scalar("SELECT transaction_date FROM fact_transactions LIMIT 1"), "2026-11-30");
  EXPECT_EQ(Scalar("SELECT reason || '|' || line || '|' || raw || '|' || load_id FROM rejects"),
            "invalid_price|7|TXN7,C1,P1,1,x|load-e1");
  auto entry = warehouse_->FindLoad(Object("t/a.csv", "e1"));
  ASSERT_TRUE(entry.ok()) << entry.status().ToString();
  ASSERT_TRUE(entry->has_value());
  EXPECT_EQ((*entry)->status, LedgerStatus::kLoaded);
  EXPECT_EQ((*entry)->rows_read, 3);
  EXPECT_EQ((*entry)->rows_loaded, 2);
  EXPECT_EQ((*entry)->rows_rejected, 1);
  EXPECT_EQ((*entry)->run_id, "jr_run");
  EXPECT_GT((*entry)->finished_ms, 1'700'000'000'000);
}

TEST_P(PostgresWarehouseTest, DestructorWithoutCommitRollsBackEverything) {
  {
    auto load = Begin(Object("t/a.csv", "e1"));
    ASSERT_TRUE(load);
    std::vector<model::FactRow> facts = {Fact("TXN00000001")};
    std::vector<model::RejectRow> rejects = {{3, "invalid_date", "d", "raw", ""}};
    ASSERT_TRUE(load->AddFacts(facts).ok());
    ASSERT_TRUE(load->AddRejects(rejects).ok());
  }
  EXPECT_EQ(Scalar("SELECT count(*) FROM fact_transactions"), "0");
  EXPECT_EQ(Scalar("SELECT count(*) FROM rejects"), "0");
  auto entry = warehouse_->FindLoad(Object("t/a.csv", "e1"));
  ASSERT_TRUE(entry.ok());
  EXPECT_FALSE(entry->has_value());
}

TEST_P(PostgresWarehouseTest, DuplicateTransactionIdBecomesRejectNeverASecondRow) {
  Load(Object("t/a.csv", "e1"), {Fact("TXN00000001"), Fact("TXN00000002")});
  LoadCounts c =
      Load(Object("t/b.csv", "e2"), {Fact("TXN00000002", 5, Money{100}, 4), Fact("TXN00000003")});
  EXPECT_EQ(c.rows_loaded, 1);
  EXPECT_EQ(c.rows_rejected, 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM fact_transactions"), "3");
  EXPECT_EQ(Scalar("SELECT quantity FROM fact_transactions WHERE transaction_id = 'TXN00000002'"),
            "2");
  EXPECT_EQ(Scalar("SELECT reason || '|' || line || '|' || detail || '|' || raw FROM rejects"),
            "duplicate_transaction_id|4|transaction_id TXN00000002 already loaded from t/a.csv|"
            "TXN00000002,C12349,P12358,5,1.00,2026-11-30,Credit Card,Completed");
  EXPECT_EQ(
      Scalar("SELECT rows_loaded || '/' || rows_rejected FROM load_ledger WHERE key = 't/b.csv'"),
      "1/1");
}

// Regression (issue 14): past the load's reject limits, rejects are counted, not stored; the
// duplicates found through the staging table are limited by the same budget (LIMIT).
TEST_P(PostgresWarehouseTest, RejectsBeyondTheLimitAreCountedNotStored) {
  Load(Object("t/a.csv", "e1"), Facts(0, 100));
  auto load = Begin(Object("t/b.csv", "e2"));
  ASSERT_TRUE(load);
  load->LimitRejects({10, 1 << 20});
  std::vector<model::RejectRow> rejects;
  for (int i = 0; i < 4; ++i) rejects.push_back({1000 + i, "invalid_date", "d", "raw", "TXN1"});
  ASSERT_TRUE(load->AddRejects(rejects).ok());
  std::vector<model::FactRow> facts = Facts(0, 150);  // 100 duplicates, 50 new
  ASSERT_TRUE(load->AddFacts(facts).ok());
  Result<LoadCounts> c = load->Commit(154);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->rows_loaded, 50);
  EXPECT_EQ(c->rows_rejected, 104);
  EXPECT_EQ(c->rejects_not_stored, 94);
  EXPECT_EQ(Scalar("SELECT count(*) FROM rejects WHERE source_object = 't/b.csv'"), "10");
  EXPECT_EQ(Scalar("SELECT message FROM load_ledger WHERE key = 't/b.csv'"),
            "94 rejects not stored, beyond max_stored_rejects 10 (counted by reason: "
            "duplicate_transaction_id 94)");
  EXPECT_EQ(Scalar("SELECT rows_rejected FROM load_ledger WHERE key = 't/b.csv'"), "104");
}

TEST_P(PostgresWarehouseTest, DuplicatesSpreadOverManyChunksCountExactly) {
  chunk_bytes_ = 4096;  // many COPY chunks, some with duplicates and some without
  warehouse_ = OpenOrDie();
  std::vector<model::FactRow> first;
  for (int i = 0; i < 3000; i += 3) first.push_back(Fact("TXN" + std::to_string(10000000 + i)));
  Load(Object("t/a.csv", "e1"), first);
  auto load = Begin(Object("t/b.csv", "e2"));
  ASSERT_TRUE(load);
  const int64_t read = AddFactsInBatches(*load, 6, 500);
  auto c = load->Commit(read);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->rows_loaded, 2000);
  EXPECT_EQ(c->rows_rejected, 1000);
  EXPECT_EQ(Scalar("SELECT count(*) FROM fact_transactions"), "3000");
  EXPECT_EQ(Scalar("SELECT count(*) FROM rejects WHERE reason = 'duplicate_transaction_id'"),
            "1000");
  EXPECT_EQ(
      Scalar("SELECT SUM(total_amount) FROM fact_transactions WHERE source_object = 't/b.csv'"),
      "2020.00");
}

TEST_P(PostgresWarehouseTest, RowsReadMismatchIsInternalAndWritesNothing) {
  auto load = Begin(Object("t/a.csv", "e1"));
  ASSERT_TRUE(load);
  std::vector<model::FactRow> facts = {Fact("TXN00000001")};
  ASSERT_TRUE(load->AddFacts(facts).ok());
  auto c = load->Commit(5);
  EXPECT_EQ(c.status().code(), StatusCode::kInternal);
  load.reset();
  EXPECT_EQ(Scalar("SELECT count(*) FROM fact_transactions"), "0");
  EXPECT_EQ(Scalar("SELECT count(*) FROM load_ledger"), "0");
}

TEST_P(PostgresWarehouseTest, BeginLoadOfLoadedVersionIsAlreadyExists) {
  Load(Object("t/a.csv", "e1"), {Fact("TXN00000001")});
  auto again = warehouse_->BeginLoad(Object("t/a.csv", "e1"), "l2", "jr", ReloadMode::kReplace);
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  // The connection is usable afterwards (the refused load was rolled back).
  EXPECT_EQ(Scalar("SELECT count(*) FROM fact_transactions"), "1");
}

TEST_P(PostgresWarehouseTest, ReplaceDeletesEarlierVersionInTheSameTransaction) {
  std::vector<model::RejectRow> rejects = {{3, "invalid_date", "d", "raw", ""}};
  Load(Object("t/a.csv", "e1"), {Fact("TXN00000001"), Fact("TXN00000002")}, rejects);
  LoadCounts c = Load(Object("t/a.csv", "e2"), {Fact("TXN00000002", 4), Fact("TXN00000003")});
  EXPECT_EQ(c.rows_loaded, 2);
  EXPECT_EQ(c.rows_rejected, 0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM fact_transactions"), "2");
  EXPECT_EQ(Scalar("SELECT quantity FROM fact_transactions WHERE transaction_id = 'TXN00000002'"),
            "4");
  EXPECT_EQ(Scalar("SELECT count(*) FROM rejects"), "0");
  EXPECT_EQ(Scalar("SELECT status || ': ' || message FROM load_ledger WHERE etag = 'e1'"),
            "replaced: replaced by etag e2 (load load-e2)");
}

// Regression (issue 12, point 8): `ecompipe status` counted every fact. The running totals
// follow loads, duplicates (the staging path) and replaces, and equal what counting gives.
TEST_P(PostgresWarehouseTest, TotalsFollowLoadsDuplicatesAndReplaces) {
  const auto expect_totals = [this](int64_t facts, int64_t rejects, int64_t cents) {
    Result<WarehouseTotals> t = warehouse_->Totals();
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    EXPECT_EQ(t->fact_rows, facts);
    EXPECT_EQ(t->reject_rows, rejects);
    EXPECT_EQ(t->total_amount_cents, cents);
    EXPECT_EQ(Scalar("SELECT count(*) FROM fact_transactions"), std::to_string(facts));
    EXPECT_EQ(Scalar("SELECT count(*) FROM rejects"), std::to_string(rejects));
    EXPECT_EQ(
        Scalar(
            "SELECT CAST(COALESCE(SUM(total_amount), 0) * 100 AS BIGINT) FROM fact_transactions"),
        std::to_string(cents));
  };
  expect_totals(0, 0, 0);
  std::vector<model::RejectRow> rejects = {{3, "invalid_date", "d", "raw", ""},
                                           {4, "invalid_date", "d", "raw", ""}};
  Load(Object("t/a.csv", "e1"), Facts(0, 10), rejects);  // 10 x 1.01
  expect_totals(10, 2, 1010);
  // Two repeated ids: that chunk goes through the staging table; they become rejects.
  Load(Object("t/b.csv", "e7"),
       {Fact("TXN10000003", 2, Money{12999}, 2), Fact("TXN20000000", 2, Money{12999}, 3),
        Fact("TXN10000004", 2, Money{12999}, 4)},
       {}, ReloadMode::kAppend);
  expect_totals(11, 4, 1010 + 25998);
  // A replace removes a.csv's first version: 10 facts, 2 rejects.
  Load(Object("t/a.csv", "e2"), {Fact("TXN10000003", 1, Money{700})});
  expect_totals(2, 2, 25998 + 700);
  // A load rolled back changes nothing.
  {
    auto load = Begin(Object("t/c.csv", "e1"));
    std::vector<model::FactRow> facts = Facts(100, 110);
    ASSERT_TRUE(load->AddFacts(facts).ok());
  }
  expect_totals(2, 2, 25998 + 700);
  Result<WarehouseTotals> t = warehouse_->Totals();
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->objects_loaded, 2);
}

// A warehouse written at schema version 1 has no running totals: the first open counts them
// once, and the loads that follow add to them.
TEST_P(PostgresWarehouseTest, Version1WarehouseGetsItsTotalsCountedOnce) {
  std::vector<model::RejectRow> rejects = {{3, "invalid_date", "d", "raw", ""}};
  Load(Object("t/a.csv", "e1"), Facts(0, 5), rejects);
  ASSERT_TRUE(warehouse_
                  ->Query("DROP TABLE warehouse_totals; DELETE FROM ecompipe_schema_version; "
                          "INSERT INTO ecompipe_schema_version (version) VALUES (1)",
                          {.write = true})
                  .ok());
  warehouse_ = OpenOrDie();
  ASSERT_TRUE(warehouse_);
  EXPECT_EQ(Scalar("SELECT max(version) FROM ecompipe_schema_version"), "3");
  Result<WarehouseTotals> t = warehouse_->Totals();
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->fact_rows, 5);
  EXPECT_EQ(t->reject_rows, 1);
  EXPECT_EQ(t->total_amount_cents, 505);
  Load(Object("t/b.csv", "e1"), Facts(5, 7));
  EXPECT_EQ(warehouse_->Totals()->fact_rows, 7);
  // A deleted row is counted again at the next open.
  ASSERT_TRUE(warehouse_->Query("DELETE FROM warehouse_totals", {.write = true}).ok());
  EXPECT_EQ(warehouse_->Totals().status().code(), StatusCode::kInternal);
  warehouse_ = OpenOrDie();
  EXPECT_EQ(warehouse_->Totals()->total_amount_cents, 707);
}

TEST_P(PostgresWarehouseTest, AppendKeepsBothVersionsAndRejectsRepeatedIds) {
  Load(Object("t/a.csv", "e1"), {Fact("TXN00000001")}, {}, ReloadMode::kAppend);
  LoadCounts c = Load(Object("t/a.csv", "e2"), {Fact("TXN00000001"), Fact("TXN00000002")}, {},
                      ReloadMode::kAppend);
  EXPECT_EQ(c.rows_loaded, 1);
  EXPECT_EQ(c.rows_rejected, 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM load_ledger WHERE status = 'loaded'"), "2");
}

TEST_P(PostgresWarehouseTest, FindLoadHasOtherVersionAndRecordSkipped) {
  auto obj = Object("t/a.csv", "e1");
  Load(obj, {Fact("TXN00000001")});
  auto other = warehouse_->HasOtherVersion(Object("t/a.csv", "e2"));
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(*other);
  auto self = warehouse_->HasOtherVersion(obj);
  ASSERT_TRUE(self.ok());
  EXPECT_FALSE(*self);
  EXPECT_EQ(warehouse_->RecordSkipped(obj, "jr2", LedgerStatus::kFailed, "x").code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(warehouse_->RecordSkipped(obj, "jr2", LedgerStatus::kLoaded, "x").code(),
            StatusCode::kInvalidArgument);
  auto bad = Object("t/bad.csv", "e9");
  ASSERT_TRUE(warehouse_->RecordSkipped(bad, "jr2", LedgerStatus::kFailed, "not gzip").ok());
  ASSERT_TRUE(warehouse_->RecordSkipped(bad, "jr3", LedgerStatus::kIgnored, "again").ok());
  auto entry = warehouse_->FindLoad(bad);
  ASSERT_TRUE(entry.ok() && entry->has_value());
  EXPECT_EQ((*entry)->status, LedgerStatus::kIgnored);
  EXPECT_EQ((*entry)->run_id, "jr3");
  EXPECT_EQ((*entry)->message, "again");
}

TEST_P(PostgresWarehouseTest, UpsertsUpdateChangedRowsLastOneWinsAndPricesRoundTrip) {
  std::vector<model::Product> products = {{"P1", "Lamp", "Home", Money{12999}, "S1"},
                                          {"P2", "Desk", "Home", Money{5}, "S2"}};
  ASSERT_TRUE(warehouse_->UpsertProducts(products).ok());
  std::string p2_updated = Scalar("SELECT updated_at FROM dim_products WHERE product_id = 'P2'");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  products = {{"P1", "Lamp", "Home", Money{13000}, "S1"},
              {"P2", "Desk", "Home", Money{5}, "S2"},
              {"P3", "Chair\twith\\tab", "Home", Money{100}, "S3"},
              {"P3", "Chair", "Home", Money{199}, "S3"}};
  ASSERT_TRUE(warehouse_->UpsertProducts(products).ok());
  EXPECT_EQ(Scalar("SELECT count(*) FROM dim_products"), "3");
  EXPECT_EQ(Scalar("SELECT updated_at FROM dim_products WHERE product_id = 'P2'"), p2_updated);
  std::vector<model::Customer> customers = {{"C1", "Ann", "O'Neil", "ann@example.com", "Gold"}};
  ASSERT_TRUE(warehouse_->UpsertCustomers(customers).ok());
  customers[0].membership_level = "Silver";
  ASSERT_TRUE(warehouse_->UpsertCustomers(customers).ok());
  testing_util::RecordedDimensions dims;
  const Status loaded = warehouse_->LoadDimensions(dims);
  ASSERT_TRUE(loaded.ok()) << loaded.ToString();
  EXPECT_EQ(dims.products.at("P1").price.cents, 13000);
  EXPECT_EQ(dims.products.at("P2").price.cents, 5);
  EXPECT_EQ(dims.products.at("P3").product_name, "Chair");
  EXPECT_EQ(dims.products.at("P3").price.cents, 199);
  EXPECT_EQ(dims.customers.at("C1").last_name, "O'Neil");
  EXPECT_EQ(dims.customers.at("C1").membership_level, "Silver");
}

TEST_P(PostgresWarehouseTest, LoadDimensionIndexHoldsEveryIdAndAttribute) {
  ASSERT_TRUE(warehouse_
                  ->UpsertProducts(std::vector<model::Product>{
                      {"P1", "Lamp, \"big\"\ttab", "cat", Money{100}, "S1"},
                      {"P7", "Desk", "cat", Money{5}, ""}})
                  .ok());
  ASSERT_TRUE(warehouse_
                  ->UpsertCustomers(
                      std::vector<model::Customer>{{"C2", "Ann", "Lee", "ann@example.com", "Gold"},
                                                   {"odd-id", "Bob", "Roe", "b\\x@y", "Basic"}})
                  .ok());
  testing_util::RecordedIndex ix;
  const Status loaded = warehouse_->LoadDimensionIndex(ix);
  ASSERT_TRUE(loaded.ok()) << loaded.ToString();
  EXPECT_EQ(ix.seals, 1);
  EXPECT_THAT(ix.emails,
              ElementsAre(std::pair<const std::string, std::string>("C2", "ann@example.com"),
                          std::pair<const std::string, std::string>("odd-id", "b\\x@y")));
  using NameSupplier = std::pair<std::string, std::string>;
  EXPECT_THAT(
      ix.products,
      ElementsAre(std::pair<const std::string, NameSupplier>("P1", {"Lamp, \"big\"\ttab", "S1"}),
                  std::pair<const std::string, NameSupplier>("P7", {"Desk", ""})));
}

TEST_P(PostgresWarehouseTest, AwkwardTextSurvivesAndUnstorableBytesAreReplaced) {
  model::FactRow f = Fact("TXN00000001");
  f.product_name = "Lamp\twith \\ tab\nand newline, \"quoted\"";
  std::vector<model::RejectRow> rejects = {
      {3, "nul_byte", "NUL at byte 4", std::string("TX\0N\xff,1", 7), ""}};
  Load(Object("t/a b\tc.csv", "e1"), {f}, rejects);
  EXPECT_EQ(Scalar("SELECT product_name FROM fact_transactions"), f.product_name);
  EXPECT_EQ(Scalar("SELECT source_object FROM fact_transactions"), "t/a b\tc.csv");
  EXPECT_EQ(Scalar("SELECT raw FROM rejects"), "TX\xEF\xBF\xBDN\xEF\xBF\xBD,1");
}

TEST_P(PostgresWarehouseTest, ValuesBeyondTheColumnTypesAreRejectsNotFailedLoads) {
  LoadCounts c = Load(Object("t/a.csv", "e1"),
                      {Fact("TXN00000001", 1, Money{100'000'000'00}), Fact("TXN00000002")});
  EXPECT_EQ(c.rows_loaded, 1);
  EXPECT_EQ(c.rows_rejected, 1);
  EXPECT_EQ(Scalar("SELECT reason FROM rejects"), "total_out_of_range");
}

TEST_P(PostgresWarehouseTest, MoneyIsSummedExactly) {
  std::vector<model::FactRow> facts;
  for (int i = 0; i < 1000; ++i)
    facts.push_back(Fact("TXN" + std::to_string(20000000 + i), 1, Money{10}));
  Load(Object("t/a.csv", "e1"), facts);
  EXPECT_EQ(Scalar("SELECT SUM(total_amount) FROM fact_transactions"), "100.00");
  // The query `ecompipe status` runs on every warehouse.
  EXPECT_EQ(Scalar("SELECT COALESCE(SUM(CAST(ROUND(total_amount*100) AS INTEGER)),0) FROM "
                   "fact_transactions"),
            "10000");
}

TEST_P(PostgresWarehouseTest, QueryReturnsTheLastStatementsRowsAndLeavesNoTransactionOpen) {
  auto r = warehouse_->Query(
      "BEGIN; CREATE TABLE scratch (x INT); INSERT INTO scratch VALUES (1), (NULL); "
      "SELECT x, 2.50 AS y FROM scratch ORDER BY x",
      {.write = true});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->columns, (std::vector<std::string>{"x", "y"}));
  ASSERT_EQ(r->rows.size(), 2u);
  EXPECT_EQ(r->rows[0][0], std::optional<std::string>("1"));
  EXPECT_EQ(r->rows[0][1], std::optional<std::string>("2.50"));
  EXPECT_EQ(r->rows[1][0], std::nullopt);
  // The BEGIN it left open was rolled back, so the table is gone.
  auto gone = warehouse_->Query("SELECT * FROM scratch");
  EXPECT_EQ(gone.status().code(), StatusCode::kNotFound) << gone.status().ToString();
  auto bad = warehouse_->Query("SELEC 1");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("syntax error"));
}

TEST_P(PostgresWarehouseTest, ConnectionKilledMidLoadIsUnavailableRollsBackAndReconnects) {
  const std::string pid = Scalar("SELECT pg_backend_pid()");
  auto load = Begin(Object("t/a.csv", "e1"));
  ASSERT_TRUE(load);
  std::vector<model::FactRow> facts = {Fact("TXN00000001")};
  ASSERT_TRUE(load->AddFacts(facts).ok());
  ASSERT_TRUE(schema_->admin().Query("SELECT pg_terminate_backend($1)", {pid}).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::vector<model::FactRow> more = {Fact("TXN00000002")};
  Status s = load->AddFacts(more);
  Result<LoadCounts> c = s.ok() ? load->Commit(2) : Result<LoadCounts>(s);
  EXPECT_EQ(c.status().code(), StatusCode::kUnavailable) << c.status().ToString();
  EXPECT_TRUE(c.status().retryable());
  load.reset();
  // The next call reconnects; nothing of the load is visible; loading again works.
  auto entry = warehouse_->FindLoad(Object("t/a.csv", "e1"));
  ASSERT_TRUE(entry.ok()) << entry.status().ToString();
  EXPECT_FALSE(entry->has_value());
  EXPECT_EQ(Scalar("SELECT count(*) FROM fact_transactions"), "0");
  LoadCounts again = Load(Object("t/a.csv", "e1"), {Fact("TXN00000001"), Fact("TXN00000002")});
  EXPECT_EQ(again.rows_loaded, 2);
}

TEST_P(PostgresWarehouseTest, ServerGoneWhileIdleCostsTheNextCallNothing) {
  Load(Object("t/a.csv", "e1"), {Fact("TXN00000001")});
  // As a server restart between two loads does to the warehouse's idle connection.
  auto terminate = [&] {
    testing_util::TerminateBackend(schema_->admin(), Scalar("SELECT pg_backend_pid()"));
  };
  terminate();
  auto entry = warehouse_->FindLoad(Object("t/a.csv", "e1"));  // reconnects first, in the schema
  ASSERT_TRUE(entry.ok()) << entry.status().ToString();
  EXPECT_TRUE(entry->has_value());
  terminate();
  LoadCounts c = Load(Object("t/b.csv", "e2"), {Fact("TXN00000002")});
  EXPECT_EQ(c.rows_loaded, 1);
  terminate();
  model::Product p{.product_id = "P1",
                   .product_name = "Lamp",
                   .category = "Home",
                   .price = Money{999},
                   .supplier_id = "S1"};
  EXPECT_TRUE(warehouse_->UpsertProducts(std::span<const model::Product>(&p, 1)).ok());
  EXPECT_EQ(Scalar("SELECT count(*) FROM fact_transactions"), "2");
}

TEST_P(PostgresWarehouseTest, TwoConnectionsLoadingTheSameObjectLoadItOnce) {
  auto other = OpenOrDie();
  ASSERT_TRUE(other);
  auto obj = Object("t/a.csv", "e1");
  auto first = Begin(obj);
  ASSERT_TRUE(first);
  std::vector<model::FactRow> facts = {Fact("TXN00000001")};
  ASSERT_TRUE(first->AddFacts(facts).ok());
  std::atomic<bool> second_done{false};
  Result<std::unique_ptr<LoadTransaction>> second = Status::Internal("not run");
  std::thread t([&] {
    second = other->BeginLoad(obj, "load-other", "jr_other",
                              ReloadMode::kReplace);  // waits for the lock
    second_done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(second_done.load());
  ASSERT_TRUE(first->Commit(1).ok());
  t.join();
  EXPECT_EQ(second.status().code(), StatusCode::kAlreadyExists) << second.status().ToString();
  EXPECT_EQ(Scalar("SELECT count(*) FROM fact_transactions"), "1");
}

INSTANTIATE_TEST_SUITE_P(Dialects, PostgresWarehouseTest,
                         ::testing::Values(SqlDialect::kPostgres, SqlDialect::kRedshift),
                         [](const auto& info) { return std::string(SqlDialectName(info.param)); });

// IndexRebuild: PostgreSQL only (Redshift has no secondary indexes to drop).
class PostgresIndexRebuildTest : public PostgresWarehouseTest {
 protected:
  // fact_transactions' indexes as the server defines them: name and CREATE INDEX each.
  std::string IndexDefs() {
    return Scalar(
        "SELECT string_agg(pg_get_indexdef(indexrelid), '; ' ORDER BY indexrelid::regclass::text) "
        "FROM pg_index WHERE indrelid = 'fact_transactions'::regclass AND indisvalid");
  }
  // Their object ids: a rebuilt index has a new one.
  std::string IndexOids() {
    return Scalar(
        "SELECT string_agg(indexrelid::regclass::text || '=' || indexrelid::oid::text, ',' "
        "ORDER BY indexrelid::regclass::text) FROM pg_index WHERE indrelid = "
        "'fact_transactions'::regclass");
  }
  std::string PrimaryKeyOid() {
    return Scalar(
        "SELECT indexrelid::oid::text FROM pg_index WHERE indrelid = 'fact_transactions'::regclass "
        "AND indisprimary");
  }
};

TEST_P(PostgresIndexRebuildTest, AlwaysRecreatesTheSameIndexesAndStillRejectsDuplicates) {
  Load(Object("t/a.csv", "e1"), Facts(0, 3000, 3));
  const std::string defs = IndexDefs(), oids = IndexOids(), pkey = PrimaryKeyOid();
  EXPECT_THAT(defs, HasSubstr("USING btree (source_object)"));
  EXPECT_THAT(defs, HasSubstr("USING brin (transaction_date)"));
  index_rebuild_ = IndexRebuild::kAlways;
  chunk_bytes_ = 4096;  // many chunks: the duplicates go through the staging table chunk by chunk
  warehouse_ = OpenOrDie();
  auto load = Begin(Object("t/b.csv", "e2"));
  ASSERT_TRUE(load);
  const int64_t read = AddFactsInBatches(*load, 6, 500);
  auto c = load->Commit(read);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->rows_loaded, 2000);
  EXPECT_EQ(c->rows_rejected, 1000);
  EXPECT_EQ(Scalar("SELECT count(*) FROM fact_transactions"), "3000");
  EXPECT_EQ(Scalar("SELECT count(DISTINCT transaction_id) FROM fact_transactions"), "3000");
  EXPECT_EQ(Scalar("SELECT count(*) FROM rejects WHERE reason = 'duplicate_transaction_id'"),
            "1000");
  EXPECT_EQ(IndexDefs(), defs);      // the same indexes, valid, by the same names
  EXPECT_NE(IndexOids(), oids);      // built again
  EXPECT_EQ(PrimaryKeyOid(), pkey);  // the primary key was kept throughout
  // The recreated index serves queries: it finds exactly the load's rows.
  EXPECT_EQ(Scalar("SET enable_seqscan = off; SELECT count(*) FROM fact_transactions WHERE "
                   "source_object = 't/b.csv'"),
            "2000");
}

TEST_P(PostgresIndexRebuildTest, FailedLoadLeavesTheIndexesAsTheyWere) {
  Load(Object("t/a.csv", "e1"), Facts(0, 100));
  const std::string oids = IndexOids();
  index_rebuild_ = IndexRebuild::kAlways;
  warehouse_ = OpenOrDie();
  {
    auto load = Begin(Object("t/b.csv", "e2"));
    ASSERT_TRUE(load);
    std::vector<model::FactRow> facts = Facts(100, 200);
    ASSERT_TRUE(load->AddFacts(facts).ok());
    auto c =
        load->Commit(5);  // rows read do not add up: rolled back after the indexes were dropped
    EXPECT_EQ(c.status().code(), StatusCode::kInternal);
  }
  EXPECT_EQ(IndexOids(), oids);
  {
    auto load = Begin(Object("t/c.csv", "e3"));
    ASSERT_TRUE(load);
    std::vector<model::FactRow> facts = Facts(200, 300);
    ASSERT_TRUE(load->AddFacts(facts).ok());
  }  // abandoned without Commit
  EXPECT_EQ(IndexOids(), oids);
  EXPECT_EQ(Scalar("SELECT count(*) FROM fact_transactions"), "100");
  EXPECT_EQ(Scalar("SELECT count(*) FROM load_ledger"), "1");
}

TEST_P(PostgresIndexRebuildTest, AutoRebuildsOnlyForLoadsBiggerThanTheTable) {
  index_rebuild_min_bytes_ = 0;
  warehouse_ = OpenOrDie();
  std::string oids = IndexOids();
  Load(Object("t/a.csv", "e1"), Facts(0, 2000));  // into the empty table: rebuilt
  EXPECT_NE(IndexOids(), oids);
  oids = IndexOids();
  Load(Object("t/b.csv", "e2"), Facts(2000, 2100));  // a twentieth of the table: row by row
  EXPECT_EQ(IndexOids(), oids);
  index_rebuild_ = IndexRebuild::kNever;
  warehouse_ = OpenOrDie();
  Load(Object("t/c.csv", "e3"), Facts(10000, 20000));  // bigger, but never
  EXPECT_EQ(IndexOids(), oids);
  EXPECT_EQ(Scalar("SELECT count(*) FROM fact_transactions"), "12100");
}

TEST_P(PostgresIndexRebuildTest, TableInUseKeepsTheIndexesAndLoadsWithoutWaiting) {
  Load(Object("t/a.csv", "e1"), Facts(0, 100));
  const std::string oids = IndexOids();
  index_rebuild_ = IndexRebuild::kAlways;
  warehouse_ = OpenOrDie();
  // A reader in an open transaction holds ACCESS SHARE on the table until it ends.
  PostgresDb& reader = schema_->admin();
  ASSERT_TRUE(reader.Exec("BEGIN").ok());
  ASSERT_TRUE(reader.Exec("SELECT count(*) FROM " + schema_->name() + ".fact_transactions").ok());
  LoadCounts c = Load(Object("t/b.csv", "e2"), Facts(50, 250));
  ASSERT_TRUE(reader.Exec("COMMIT").ok());
  EXPECT_EQ(c.rows_loaded, 150);
  EXPECT_EQ(c.rows_rejected, 50);
  EXPECT_EQ(IndexOids(), oids);
  EXPECT_EQ(Scalar("SELECT count(*) FROM fact_transactions"), "250");
}

INSTANTIATE_TEST_SUITE_P(Postgres, PostgresIndexRebuildTest,
                         ::testing::Values(SqlDialect::kPostgres),
                         [](const auto& info) { return std::string(SqlDialectName(info.param)); });

TEST(PostgresWarehouseOpenTest, UnreachableServerIsUnavailableWithoutThePassword) {
  PostgresWarehouseOptions o;
  o.url = "postgresql://loader:hunter2secret@127.0.0.1:1/dw";
  o.connect_timeout_s = 2;
  auto wh = PostgresWarehouse::Open(o);
  ASSERT_FALSE(wh.ok());
  EXPECT_EQ(wh.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(wh.status().message(), HasSubstr("host=127.0.0.1 port=1 dbname=dw user=loader"));
  EXPECT_THAT(wh.status().message(), ::testing::Not(HasSubstr("hunter2secret")));
}

TEST(CopyFormatTest, SplitsCopyRowsAndUnescapes) {
  std::vector<std::optional<std::string>> f;
  SplitCopyRow("a\\tb\t\\N\t\t\\\\x\\n\n", f);
  ASSERT_EQ(f.size(), 4u);
  EXPECT_EQ(f[0], std::optional<std::string>("a\tb"));
  EXPECT_EQ(f[1], std::nullopt);
  EXPECT_EQ(f[2], std::optional<std::string>(""));
  EXPECT_EQ(f[3], std::optional<std::string>("\\x\n"));
  std::string round;
  AppendCopyField(round, "x\ty\\z\n");
  SplitCopyRow(round, f);
  EXPECT_EQ(f, (std::vector<std::optional<std::string>>{"x\ty\\z\n"}));
  // The vector is reused row after row: fewer fields, NULL and back, a trailing backslash.
  using Row = std::vector<std::optional<std::string>>;
  SplitCopyRow("C1\t\\N\tlong-email-address@example.com\n", f);
  EXPECT_EQ(f, (Row{"C1", std::nullopt, "long-email-address@example.com"}));
  SplitCopyRow("C2\tx\n", f);
  EXPECT_EQ(f, (Row{"C2", "x"}));
  SplitCopyRow("\\N\t\t\\", f);
  EXPECT_EQ(f, (Row{std::nullopt, "", "\\"}));
  SplitCopyRow("", f);
  EXPECT_EQ(f, (Row{""}));
}

TEST(CopyFormatTest, EscapesCopyTextSpecials) {
  std::string out;
  AppendCopyField(out, "a\tb\\c\nd\re");
  EXPECT_EQ(out, "a\\tb\\\\c\\nd\\re");
}

TEST(CopyFormatTest, StorableTextReplacesNulAndInvalidUtf8AndCutsAtCharacters) {
  EXPECT_EQ(ToStorableText(std::string("a\0b", 3)),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(ToStorableText("\xC3\xA9t\xE9"), "\xC3\xA9t\xEF\xBF\xBD");
  EXPECT_EQ(ToStorableText("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate
  EXPECT_EQ(ToStorableText("ab\xC3\xA9", 3), "ab");
}

}  // namespace
}  // namespace ecompipe::warehouse
