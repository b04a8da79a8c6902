#include "warehouse/sqlite/sqlite_warehouse.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "common/time_util.h"
#include "testing/dimension_recorder.h"
#include "testing/sample_fact.h"

namespace ecompipe::warehouse {
namespace {

using model::Money;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Optional;

namespace fs = std::filesystem;

// A fresh directory per test, removed afterwards.
class SqliteWarehouseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "ep_warehouse_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = (dir_ / "warehouse.db").string();
    warehouse_ = OpenOrDie();
  }
  void TearDown() override {
    warehouse_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::unique_ptr<SqliteWarehouse> OpenOrDie(SqliteWarehouseOptions options = {}) {
    auto opened = SqliteWarehouse::Open(path_, options);
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    if (!opened.ok()) return nullptr;
    Status schema = (*opened)->EnsureSchema();
    EXPECT_TRUE(schema.ok()) << schema.ToString();
    return std::move(opened).value();
  }

  static storage::ObjectRef Object(std::string key, std::string etag) {
    return storage::ObjectRef{"bucket", std::move(key), std::move(etag), 0, 0};
  }

  static model::FactRow Fact(std::string id, int32_t quantity = 2, Money price = Money{12999}) {
    return testing_util::SampleFact(std::move(id), quantity, price, /*line=*/0);
  }

  static model::RejectRow Reject(int64_t line, std::string reason, std::string raw) {
    return model::RejectRow{line, std::move(reason), "detail", std::move(raw), "TXN99999999"};
  }

  std::unique_ptr<LoadTransaction> Begin(const storage::ObjectRef& object,
                                         ReloadMode mode = ReloadMode::kReplace,
                                         SqliteWarehouse* warehouse = nullptr) {
    if (warehouse == nullptr) warehouse = warehouse_.get();
    auto load = warehouse->BeginLoad(object, "load-" + object.etag, "jr_run", mode);
    EXPECT_TRUE(load.ok()) << load.status().ToString();
    return load.ok() ? std::move(load).value() : nullptr;
  }

  // Loads `ids` as facts and `rejects` reject rows, and commits.
  LoadCounts LoadOrDie(const storage::ObjectRef& object, std::vector<std::string> ids,
                       int rejects = 0, ReloadMode mode = ReloadMode::kReplace) {
    auto load = Begin(object, mode);
    if (!load) return {};
    std::vector<model::FactRow> facts;
    for (auto& id : ids) facts.push_back(Fact(id));
    EXPECT_TRUE(load->AddFacts(facts).ok());
    std::vector<model::RejectRow> rows;
    for (int i = 0; i < rejects; ++i) rows.push_back(Reject(i + 2, "invalid_quantity", "x"));
    EXPECT_TRUE(load->AddRejects(rows).ok());
    auto counts = load->Commit(static_cast<int64_t>(ids.size()) + rejects);
    EXPECT_TRUE(counts.ok()) << counts.status().ToString();
    return counts.ok() ? *counts : LoadCounts{};
  }

  // The rows of `sql` on `warehouse_`, NULL shown as "NULL", columns joined with '|'.
  std::vector<std::string> Rows(const std::string& sql, const QueryOptions& options = {}) {
    auto result = warehouse_->Query(sql, options);
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    std::vector<std::string> out;
    if (!result.ok()) return out;
    for (const auto& row : result->rows) {
      std::string line;
      for (size_t i = 0; i < row.size(); ++i) {
        if (i > 0) line += '|';
        line += row[i] ? *row[i] : "NULL";
      }
      out.push_back(line);
    }
    return out;
  }
  std::string Scalar(const std::string& sql, const QueryOptions& options = {}) {
    auto rows = Rows(sql, options);
    return rows.size() == 1 ? rows[0] : "<" + std::to_string(rows.size()) + " rows>";
  }

  fs::path dir_;
  std::string path_;
  std::unique_ptr<SqliteWarehouse> warehouse_;
};

TEST_F(SqliteWarehouseTest, OpenUsesWalMode) {
  EXPECT_EQ(Scalar("PRAGMA journal_mode"), "wal");
  // On the warehouse's own connection (a write query runs there; read-only ones on another).
  EXPECT_EQ(Scalar("PRAGMA synchronous", {.write = true}), "1");  // NORMAL
}

TEST_F(SqliteWarehouseTest, EnsureSchemaIsIdempotent) {
  LoadOrDie(Object("a.csv", "e1"), {"TXN00000001"});
  ASSERT_TRUE(warehouse_->EnsureSchema().ok());
  warehouse_.reset();
  warehouse_ = OpenOrDie();  // EnsureSchema again, on an existing file
  ASSERT_TRUE(warehouse_->EnsureSchema().ok());
  EXPECT_THAT(
      Rows("SELECT type, name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name"),
      ElementsAre("table|dim_customers", "table|dim_products", "view|fact_transactions",
                  "table|fact_transactions_data", "table|load_ledger", "table|loads",
                  "table|rejects", "table|warehouse_totals"));
  EXPECT_EQ(Scalar("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"),
            "5");
  EXPECT_EQ(Scalar("PRAGMA user_version"), "3");
  EXPECT_EQ(Scalar("SELECT count(*) FROM fact_transactions"), "1");
}

TEST_F(SqliteWarehouseTest, LineageIsStoredOncePerLoadAndShownByTheView) {
  LoadOrDie(Object("a.csv", "e1"), {"TXN1", "TXN2", "TXN3"});
  LoadOrDie(Object("b.csv", "e2"), {"TXN4"});
  EXPECT_THAT(Rows("SELECT load_ref, load_id, source_object, source_etag FROM loads ORDER BY 1"),
              ElementsAre("1|load-e1|a.csv|e1", "2|load-e2|b.csv|e2"));
  EXPECT_EQ(
      Scalar("SELECT group_concat(name, ',') FROM pragma_table_info('fact_transactions_data')"),
      "transaction_id,customer_id,customer_email,product_id,product_name,quantity,"
      "supplier_id,price_cents,transaction_date,transaction_type,payment_type,status,"
      "total_amount_cents,load_ref");
  EXPECT_THAT(Rows("SELECT transaction_id, source_object, source_etag, load_id FROM "
                   "fact_transactions ORDER BY 1"),
              ElementsAre("TXN1|a.csv|e1|load-e1", "TXN2|a.csv|e1|load-e1", "TXN3|a.csv|e1|load-e1",
                          "TXN4|b.csv|e2|load-e2"));
  // Counting facts does not join loads; filtering on the object starts from loads' index.
  EXPECT_THAT(Rows("EXPLAIN QUERY PLAN SELECT count(*) FROM fact_transactions"),
              ::testing::Not(::testing::Contains(HasSubstr("loads"))));
  EXPECT_THAT(Rows("EXPLAIN QUERY PLAN SELECT count(*) FROM fact_transactions "
                   "WHERE source_object = 'a.csv'"),
              ::testing::Contains(HasSubstr("loads_source_object")));
}

TEST_F(SqliteWarehouseTest, RolledBackLoadLeavesNoLoadRow) {
  {
    auto load = Begin(Object("a.csv", "e1"));
    ASSERT_TRUE(load);
    std::vector<model::FactRow> facts = {Fact("TXN1")};
    ASSERT_TRUE(load->AddFacts(facts).ok());
  }
  EXPECT_EQ(Scalar("SELECT count(*) FROM loads"), "0");
  EXPECT_EQ(Scalar("SELECT count(*) FROM fact_transactions"), "0");
}

// A file written by schema version 1 (lineage text on every fact row, a configured column
// added by ALTER TABLE) is migrated when opened: same rows, same query results.
TEST_F(SqliteWarehouseTest, Version1FileIsMigratedWithItsRowsAndColumns) {
  warehouse_.reset();
  fs::remove(path_);
  {
    auto raw = SqliteWarehouse::Open(path_);
    ASSERT_TRUE(raw.ok());
    ASSERT_TRUE((*raw)
                    ->Query(R"sql(
      CREATE TABLE fact_transactions(
        transaction_id TEXT NOT NULL PRIMARY KEY, customer_id TEXT, customer_email TEXT,
        product_id TEXT, product_name TEXT, quantity INTEGER, supplier_id TEXT, price TEXT,
        transaction_date TEXT, transaction_type TEXT, payment_type TEXT, status TEXT,
        total_amount TEXT, source_object TEXT, source_etag TEXT, load_id TEXT);
      CREATE INDEX fact_transactions_source_object ON fact_transactions(source_object);
      ALTER TABLE fact_transactions ADD COLUMN units INTEGER;
      INSERT INTO fact_transactions VALUES
        ('TXN1', 'C1', 'a@x', 'P1', 'Lamp', 2, 'S1', '1.50', '2026-11-30', 'Small', 'Cash',
         'Completed', '3.00', 'a.csv', 'e1', 'load-1', 7),
        ('TXN2', 'C1', 'a@x', 'P1', 'Lamp', 1, 'S1', '1.50', '2026-11-30', 'Small', 'Cash',
         'Completed', '1.50', 'a.csv', 'e1', 'load-1', NULL),
        ('TXN3', 'C2', 'b@x', 'P2', 'Desk', 1, 'S2', '99.00', '2026-11-30', 'Small', 'Cash',
         'Completed', '99.00', 'b.csv', 'e9', 'load-2', 3);
      PRAGMA user_version = 1;
    )sql",
                            {.write = true})
                    .ok());
  }
  warehouse_ = OpenOrDie();
  ASSERT_TRUE(warehouse_);
  EXPECT_EQ(Scalar("PRAGMA user_version"), "3");
  EXPECT_EQ(Scalar("SELECT type FROM sqlite_master WHERE name = 'fact_transactions'"), "view");
  EXPECT_EQ(Scalar("SELECT count(*) FROM sqlite_master WHERE name LIKE 'fact_transactions_v1%' "
                   "OR name = 'fact_transactions_source_object'"),
            "0");
  EXPECT_THAT(Rows("SELECT transaction_id, total_amount_cents, price_cents, source_object, "
                   "source_etag, load_id, units FROM fact_transactions ORDER BY 1"),
              ElementsAre("TXN1|300|150|a.csv|e1|load-1|7", "TXN2|150|150|a.csv|e1|load-1|NULL",
                          "TXN3|9900|9900|b.csv|e9|load-2|3"));
  EXPECT_EQ(Scalar("SELECT count(*) FROM loads"), "2");
  // Loads go on as before: a repeated id names the object it was first loaded from.
  auto counts = LoadOrDie(Object("c.csv", "e3"), {"TXN3", "TXN4"});
  EXPECT_EQ(counts.rows_loaded, 1);
  EXPECT_EQ(Scalar("SELECT detail FROM rejects"), "transaction_id TXN3 already loaded from b.csv");
  // Opening again changes nothing.
  warehouse_ = OpenOrDie();
  EXPECT_EQ(Scalar("SELECT count(*) FROM fact_transactions"), "4");
}

TEST_F(SqliteWarehouseTest, NewerSchemaVersionIsRefused) {
  ASSERT_TRUE(warehouse_->Query("PRAGMA user_version = 99", {.write = true}).ok());
  Status s = warehouse_->EnsureSchema();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("version 99"));
}

TEST_F(SqliteWarehouseTest, OpenInMissingDirectoryIsIoError) {
  auto opened = SqliteWarehouse::Open((dir_ / "no" / "such" / "w.db").string());
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kIoError);
  EXPECT_THAT(opened.status().ToString(), HasSubstr("no/such/w.db"));
}

TEST_F(SqliteWarehouseTest, OpenOfNonDatabaseIsCorruptInput) {
  std::string junk = (dir_ / "junk.db").string();
  std::ofstream(junk) << std::string(4096, 'x');
  auto opened = SqliteWarehouse::Open(junk);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kCorruptInput);
  EXPECT_THAT(opened.status().message(), HasSubstr("not a database"));
}

TEST_F(SqliteWarehouseTest, CommitWritesFactsRejectsAndLedgerAtomically) {
  auto object = Object("transactions/year=2026/month=11/day=30/t.csv", "etag1");
  auto load = Begin(object);
  ASSERT_NE(load, nullptr);
  std::vector<model::FactRow> facts = {Fact("TXN00000001"), Fact("TXN00000002", 3)};
  ASSERT_TRUE(load->AddFacts(facts).ok());
  std::vector<model::RejectRow> rejects = {
      Reject(4, "invalid_quantity", "TXN99999999,C1,P1,0,1.00,2026-11-30,Cash,Completed")};
  ASSERT_TRUE(load->AddRejects(rejects).ok());
  auto counts = load->Commit(3);
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  EXPECT_EQ(counts->rows_loaded, 2);
  EXPECT_EQ(counts->rows_rejected, 1);

  EXPECT_THAT(
      Rows("SELECT transaction_id, customer_id, customer_email, product_id, product_name, "
           "quantity, supplier_id, price, transaction_date, transaction_type, payment_type, "
           "status, total_amount, source_object, source_etag, load_id FROM fact_transactions "
           "ORDER BY transaction_id"),
      ElementsAre("TXN00000001|C12349|ann@example.com|P12358|Desk Lamp|2|S1|129.99|2026-11-30|"
                  "Medium|Credit Card|Completed|259.98|" +
                      object.key + "|etag1|load-etag1",
                  "TXN00000002|C12349|ann@example.com|P12358|Desk Lamp|3|S1|129.99|2026-11-30|"
                  "Medium|Credit Card|Completed|389.97|" +
                      object.key + "|etag1|load-etag1"));
  EXPECT_THAT(Rows("SELECT source_object, source_etag, load_id, line, reason, detail, "
                   "transaction_id, raw, rejected_at LIKE '____-__-__T__:__:__.___Z' "
                   "FROM rejects"),
              ElementsAre(object.key + "|etag1|load-etag1|4|invalid_quantity|detail|TXN99999999|"
                                       "TXN99999999,C1,P1,0,1.00,2026-11-30,Cash,Completed|1"));

  auto entry = warehouse_->FindLoad(object);
  ASSERT_TRUE(entry.ok()) << entry.status().ToString();
  ASSERT_TRUE(entry->has_value());
  const LedgerEntry& e = **entry;
  EXPECT_EQ(e.bucket, "bucket");
  EXPECT_EQ(e.key, object.key);
  EXPECT_EQ(e.etag, "etag1");
  EXPECT_EQ(e.status, LedgerStatus::kLoaded);
  EXPECT_EQ(e.load_id, "load-etag1");
  EXPECT_EQ(e.run_id, "jr_run");
  EXPECT_EQ(e.rows_read, 3);
  EXPECT_EQ(e.rows_loaded, 2);
  EXPECT_EQ(e.rows_rejected, 1);
  EXPECT_EQ(e.message, "");
  EXPECT_GT(e.finished_ms, 1'700'000'000'000);
  EXPECT_LE(e.finished_ms, NowMillis());
  EXPECT_EQ(Scalar("SELECT finished_at FROM load_ledger"), FormatIsoMillis(e.finished_ms));
}

TEST_F(SqliteWarehouseTest, DestructorWithoutCommitRollsBackEverything) {
  {
    auto load = Begin(Object("t.csv", "e1"));
    std::vector<model::FactRow> facts = {Fact("TXN00000001")};
    ASSERT_TRUE(load->AddFacts(facts).ok());
    std::vector<model::RejectRow> rejects = {Reject(3, "invalid_date", "x")};
    ASSERT_TRUE(load->AddRejects(rejects).ok());
  }
  EXPECT_EQ(Scalar("SELECT count(*) FROM fact_transactions"), "0");
  EXPECT_EQ(Scalar("SELECT count(*) FROM rejects"), "0");
  EXPECT_EQ(Scalar("SELECT count(*) FROM load_ledger"), "0");
  // The connection is usable again.
  EXPECT_EQ(LoadOrDie(Object("t.csv", "e1"), {"TXN00000001"}).rows_loaded, 1);
}

TEST_F(SqliteWarehouseTest, DuplicateTransactionIdBecomesRejectAndCountsAddUp) {
  LoadOrDie(Object("day1.csv", "e1"), {"TXN00000001", "TXN00000002"});

  auto load = Begin(Object("day2.csv", "e2"));
  model::FactRow quoted = Fact("TXN00000002");
  quoted.payment_type = "Card, \"gold\"";
  // TXN00000003 twice in the same batch: the second is a duplicate of this load's own row.
  std::vector<model::FactRow> facts = {quoted, Fact("TXN00000003"), Fact("TXN00000003")};
  ASSERT_TRUE(load->AddFacts(facts).ok());
  auto counts = load->Commit(3);
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  EXPECT_EQ(counts->rows_loaded, 1);
  EXPECT_EQ(counts->rows_rejected, 2);

  EXPECT_THAT(Rows("SELECT source_object, reason, detail, transaction_id, raw, line FROM rejects "
                   "ORDER BY id"),
              ElementsAre("day2.csv|duplicate_transaction_id|transaction_id TXN00000002 already "
                          "loaded from day1.csv|TXN00000002|TXN00000002,C12349,P12358,2,129.99,"
                          "2026-11-30,\"Card, \"\"gold\"\"\",Completed|NULL",
                          "day2.csv|duplicate_transaction_id|transaction_id TXN00000003 already "
                          "loaded from day2.csv|TXN00000003|TXN00000003,C12349,P12358,2,129.99,"
                          "2026-11-30,Credit Card,Completed|NULL"));
  // The first load's row is untouched.
  EXPECT_EQ(Scalar("SELECT source_object || '|' || payment_type FROM fact_transactions "
                   "WHERE transaction_id = 'TXN00000002'"),
            "day1.csv|Credit Card");
  EXPECT_EQ(Scalar("SELECT rows_read, rows_loaded, rows_rejected FROM load_ledger "
                   "WHERE key = 'day2.csv'"),
            "3|1|2");
}

// Regression (issue 14): one object's rejects were all stored with their raw text, so a small
// gzip of one row repeated millions of times grew the warehouse by gigabytes. Past the load's
// reject limits rejects (the job's and the warehouse's duplicates alike) are counted by reason,
// not stored; the ledger row says how many, and the totals count the stored rows.
TEST_F(SqliteWarehouseTest, RejectsBeyondTheLimitAreCountedNotStored) {
  LoadOrDie(Object("a.csv", "e1"), {"TXN1", "TXN2", "TXN3"});
  auto load = Begin(Object("b.csv", "e2"));
  ASSERT_TRUE(load);
  load->LimitRejects({2, 1 << 20});
  std::vector<model::RejectRow> rejects = {Reject(2, "invalid_date", "x"),
                                           Reject(3, "invalid_date", "y"),
                                           Reject(4, "invalid_quantity", "z")};
  ASSERT_TRUE(load->AddRejects(rejects).ok());
  std::vector<model::FactRow> facts = {Fact("TXN1"), Fact("TXN2"), Fact("TXN4")};
  ASSERT_TRUE(load->AddFacts(facts).ok());
  Result<LoadCounts> c = load->Commit(6);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->rows_loaded, 1);
  EXPECT_EQ(c->rows_rejected, 5);
  EXPECT_EQ(c->rejects_not_stored, 3);
  EXPECT_THAT(c->not_stored_reasons,
              ElementsAre(std::pair<const std::string, int64_t>("duplicate_transaction_id", 2),
                          std::pair<const std::string, int64_t>("invalid_quantity", 1)));
  const std::string note =
      "3 rejects not stored, beyond max_stored_rejects 2 (counted by reason: "
      "duplicate_transaction_id 2, invalid_quantity 1)";
  EXPECT_EQ(c->rejects_note, note);
  EXPECT_THAT(Rows("SELECT line, reason FROM rejects WHERE source_object = 'b.csv' ORDER BY line"),
              ElementsAre("2|invalid_date", "3|invalid_date"));
  EXPECT_EQ(Scalar("SELECT rows_read || '/' || rows_loaded || '/' || rows_rejected || '/' || "
                   "message FROM load_ledger WHERE key = 'b.csv'"),
            "6/1/5/" + note);
  Result<WarehouseTotals> totals = warehouse_->Totals();
  ASSERT_TRUE(totals.ok());
  EXPECT_EQ(totals->reject_rows, 2);
}

TEST_F(SqliteWarehouseTest, RowsReadMismatchIsInternalAndWritesNothing) {
  auto load = Begin(Object("t.csv", "e1"));
  std::vector<model::FactRow> facts = {Fact("TXN00000001"), Fact("TXN00000002")};
  ASSERT_TRUE(load->AddFacts(facts).ok());
  std::vector<model::RejectRow> rejects = {Reject(5, "invalid_price", "x")};
  ASSERT_TRUE(load->AddRejects(rejects).ok());
  auto counts = load->Commit(4);
  ASSERT_FALSE(counts.ok());
  EXPECT_EQ(counts.status().code(), StatusCode::kInternal);
  EXPECT_THAT(counts.status().message(), HasSubstr("rows read (4) != rows loaded (2) + rows "
                                                   "rejected (1)"));
  EXPECT_EQ(counts.status().place(), "t.csv");
  // A second Commit cannot resurrect it.
  EXPECT_EQ(load->Commit(3).status().code(), StatusCode::kInternal);
  load.reset();
  EXPECT_EQ(Scalar("SELECT (SELECT count(*) FROM fact_transactions) + (SELECT count(*) FROM "
                   "rejects) + (SELECT count(*) FROM load_ledger)"),
            "0");
}

TEST_F(SqliteWarehouseTest, UseAfterCommitIsInternal) {
  auto load = Begin(Object("t.csv", "e1"));
  ASSERT_TRUE(load->Commit(0).ok());
  std::vector<model::FactRow> facts = {Fact("TXN00000001")};
  EXPECT_EQ(load->AddFacts(facts).code(), StatusCode::kInternal);
  EXPECT_EQ(load->Commit(0).status().code(), StatusCode::kInternal);
  EXPECT_EQ(Scalar("SELECT count(*) FROM fact_transactions"), "0");
}

TEST_F(SqliteWarehouseTest, OneLoadAtATimePerConnection) {
  auto load = Begin(Object("a.csv", "e1"));
  auto second = warehouse_->BeginLoad(Object("b.csv", "e1"), "l", "r", ReloadMode::kReplace);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kInternal);
  EXPECT_EQ(warehouse_->Query("SELECT 1").status().code(), StatusCode::kInternal);
  load.reset();
  EXPECT_EQ(Scalar("SELECT 1"), "1");
}

TEST_F(SqliteWarehouseTest, BeginLoadOfLoadedVersionIsAlreadyExists) {
  LoadOrDie(Object("t.csv", "e1"), {"TXN00000001"});
  auto again = warehouse_->BeginLoad(Object("t.csv", "e1"), "l2", "r2", ReloadMode::kReplace);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  // The lock was released and nothing changed.
  EXPECT_EQ(Scalar("SELECT load_id FROM load_ledger"), "load-e1");
  EXPECT_EQ(LoadOrDie(Object("u.csv", "e1"), {"TXN00000002"}).rows_loaded, 1);
}

TEST_F(SqliteWarehouseTest, ReplaceDeletesEarlierVersionInTheSameTransaction) {
  LoadOrDie(Object("t.csv", "v1"), {"TXN00000001", "TXN00000002"}, /*rejects=*/1);
  LoadOrDie(Object("other.csv", "v1"), {"TXN00000009"}, /*rejects=*/1);

  // A replace that is abandoned leaves version 1 in place.
  {
    auto load = Begin(Object("t.csv", "v2"), ReloadMode::kReplace);
    EXPECT_EQ(warehouse_->Query("SELECT 1").status().code(), StatusCode::kInternal);
  }
  EXPECT_EQ(Scalar("SELECT count(*) FROM fact_transactions WHERE source_object = 't.csv'"), "2");
  EXPECT_EQ(Scalar("SELECT count(*) FROM rejects WHERE source_object = 't.csv'"), "1");

  LoadCounts counts =
      LoadOrDie(Object("t.csv", "v2"), {"TXN00000002", "TXN00000003"}, 0, ReloadMode::kReplace);
  EXPECT_EQ(counts.rows_loaded, 2);  // TXN00000002 is not a duplicate: v1's row went first
  EXPECT_EQ(counts.rows_rejected, 0);
  EXPECT_THAT(Rows("SELECT transaction_id, source_etag FROM fact_transactions WHERE "
                   "source_object = 't.csv' ORDER BY 1"),
              ElementsAre("TXN00000002|v2", "TXN00000003|v2"));
  EXPECT_EQ(Scalar("SELECT count(*) FROM rejects WHERE source_object = 't.csv'"), "0");
  // Other objects are untouched.
  EXPECT_EQ(Scalar("SELECT count(*) FROM fact_transactions WHERE source_object = 'other.csv'"),
            "1");
  EXPECT_EQ(Scalar("SELECT count(*) FROM rejects WHERE source_object = 'other.csv'"), "1");
  EXPECT_THAT(Rows("SELECT etag, status, message FROM load_ledger WHERE key = 't.csv' "
                   "ORDER BY etag"),
              ElementsAre("v1|replaced|replaced by etag v2 (load load-v2)", "v2|loaded|"));
  EXPECT_FALSE(warehouse_->HasOtherVersion(Object("t.csv", "v2")).value());
  EXPECT_TRUE(warehouse_->HasOtherVersion(Object("t.csv", "v3")).value());
}

TEST_F(SqliteWarehouseTest, AppendKeepsBothVersions) {
  LoadOrDie(Object("t.csv", "v1"), {"TXN00000001", "TXN00000002"}, /*rejects=*/1);
  LoadCounts counts =
      LoadOrDie(Object("t.csv", "v2"), {"TXN00000002", "TXN00000003"}, 1, ReloadMode::kAppend);
  EXPECT_EQ(counts.rows_loaded, 1);
  EXPECT_EQ(counts.rows_rejected, 2);  // its own reject + the duplicate TXN00000002
  EXPECT_THAT(Rows("SELECT transaction_id, source_etag FROM fact_transactions ORDER BY 1"),
              ElementsAre("TXN00000001|v1", "TXN00000002|v1", "TXN00000003|v2"));
  EXPECT_EQ(Scalar("SELECT count(*) FROM rejects"), "3");
  EXPECT_THAT(Rows("SELECT etag, status FROM load_ledger ORDER BY etag"),
              ElementsAre("v1|loaded", "v2|loaded"));
  EXPECT_TRUE(warehouse_->HasOtherVersion(Object("t.csv", "v2")).value());
}

TEST_F(SqliteWarehouseTest, FindLoadHasOtherVersionAndRecordSkipped) {
  auto v1 = Object("t.csv", "v1");
  auto v2 = Object("t.csv", "v2");
  EXPECT_FALSE(warehouse_->FindLoad(v1).value().has_value());
  EXPECT_FALSE(warehouse_->HasOtherVersion(v1).value());

  ASSERT_TRUE(
      warehouse_->RecordSkipped(v1, "jr_1", LedgerStatus::kFailed, "missing column 'price'").ok());
  auto entry = warehouse_->FindLoad(v1).value();
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->status, LedgerStatus::kFailed);
  EXPECT_EQ(entry->run_id, "jr_1");
  EXPECT_EQ(entry->message, "missing column 'price'");
  EXPECT_EQ(entry->rows_read, 0);
  EXPECT_GT(entry->finished_ms, 0);
  // Failed and ignored versions do not count as loaded versions.
  EXPECT_FALSE(warehouse_->HasOtherVersion(v2).value());

  // A failed version may be loaded later (a fixed job); then it is "loaded".
  LoadOrDie(v1, {"TXN00000001"});
  EXPECT_EQ(warehouse_->FindLoad(v1).value()->status, LedgerStatus::kLoaded);
  EXPECT_TRUE(warehouse_->HasOtherVersion(v2).value());
  EXPECT_FALSE(warehouse_->HasOtherVersion(v1).value());

  // A skip never overwrites a load.
  Status s = warehouse_->RecordSkipped(v1, "jr_2", LedgerStatus::kIgnored, "");
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(warehouse_->FindLoad(v1).value()->status, LedgerStatus::kLoaded);

  ASSERT_TRUE(
      warehouse_->RecordSkipped(v2, "jr_2", LedgerStatus::kIgnored, "reload mode is ignore").ok());
  EXPECT_EQ(warehouse_->FindLoad(v2).value()->status, LedgerStatus::kIgnored);
  EXPECT_EQ(warehouse_->RecordSkipped(v2, "jr_2", LedgerStatus::kLoaded, "").code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Scalar("SELECT count(*) FROM load_ledger"), "2");
}

// The stored names are those the ledger always held; a row holding another is not guessed at.
TEST_F(SqliteWarehouseTest, LedgerStatusNamesAndAnUnknownStoredStatus) {
  EXPECT_EQ(LedgerStatusName(LedgerStatus::kLoaded), "loaded");
  EXPECT_EQ(LedgerStatusName(LedgerStatus::kFailed), "failed");
  EXPECT_EQ(LedgerStatusName(LedgerStatus::kIgnored), "ignored");
  EXPECT_EQ(ParseLedgerStatus("ignored"), LedgerStatus::kIgnored);
  EXPECT_EQ(ParseLedgerStatus("Loaded"), std::nullopt);
  auto v1 = Object("t.csv", "v1");
  ASSERT_TRUE(warehouse_->RecordSkipped(v1, "jr_1", LedgerStatus::kFailed, "x").ok());
  ASSERT_TRUE(warehouse_->Query("UPDATE load_ledger SET status = 'paused'", {.write = true}).ok());
  EXPECT_EQ(warehouse_->FindLoad(v1).status().code(), StatusCode::kCorruptInput);
}

TEST_F(SqliteWarehouseTest, BusyWriterIsUnavailableAndRetryable) {
  auto other = OpenOrDie(SqliteWarehouseOptions{.busy_timeout_ms = 50});
  auto load = Begin(Object("a.csv", "e1"));
  auto blocked = other->BeginLoad(Object("b.csv", "e1"), "l", "r", ReloadMode::kReplace);
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(blocked.status().retryable());
  EXPECT_THAT(blocked.status().message(), HasSubstr("database is locked"));
  std::vector<model::Product> products = {{"P1", "Lamp", "Home", Money{100}, "S1"}};
  EXPECT_EQ(other->UpsertProducts(products).code(), StatusCode::kUnavailable);
  // Readers are not blocked by the writer (WAL) and do not see its rows.
  std::vector<model::FactRow> facts = {Fact("TXN00000001")};
  ASSERT_TRUE(load->AddFacts(facts).ok());
  EXPECT_EQ(other->Query("SELECT count(*) FROM fact_transactions").value().rows[0][0], "0");
  ASSERT_TRUE(load->Commit(1).ok());
  EXPECT_EQ(other->Query("SELECT count(*) FROM fact_transactions").value().rows[0][0], "1");
  EXPECT_TRUE(other->BeginLoad(Object("b.csv", "e1"), "l", "r", ReloadMode::kReplace).ok());
}

TEST_F(SqliteWarehouseTest, UpsertProductsUpdatesExistingRows) {
  std::vector<model::Product> first = {{"P1", "Lamp", "Home", Money{1999}, "S1"},
                                       {"P2", "Desk", "Office", Money{25000}, "S2"}};
  ASSERT_TRUE(warehouse_->UpsertProducts(first).ok());
  ASSERT_TRUE(
      warehouse_->Query("UPDATE dim_products SET updated_at = 'old'", {.write = true}).ok());
  std::vector<model::Product> second = {{"P1", "Lamp", "Home", Money{1999}, "S1"},
                                        {"P2", "Desk XL", "Office", Money{27500}, "S2"},
                                        {"P3", "Chair", "Office", Money{5}, "S3"}};
  ASSERT_TRUE(warehouse_->UpsertProducts(second).ok());
  EXPECT_THAT(Rows("SELECT product_id, product_name, category, price, price_cents, supplier_id, "
                   "updated_at = 'old' FROM dim_products ORDER BY 1"),
              ElementsAre("P1|Lamp|Home|19.99|1999|S1|1",  // unchanged: updated_at kept
                          "P2|Desk XL|Office|275.0|27500|S2|0", "P3|Chair|Office|0.05|5|S3|0"));
}

TEST_F(SqliteWarehouseTest, UpsertCustomersUpdatesExistingRows) {
  std::vector<model::Customer> first = {{"C1", "Ann", "Lee", "ann@x.com", "Gold"},
                                        {"C2", "Bo", "Li", "bo@x.com", "Silver"}};
  ASSERT_TRUE(warehouse_->UpsertCustomers(first).ok());
  std::vector<model::Customer> second = {{"C2", "Bo", "Li", "bo@y.com", "Gold"}};
  ASSERT_TRUE(warehouse_->UpsertCustomers(second).ok());
  EXPECT_THAT(Rows("SELECT customer_id, first_name, last_name, email, membership_level, "
                   "updated_at IS NOT NULL FROM dim_customers ORDER BY 1"),
              ElementsAre("C1|Ann|Lee|ann@x.com|Gold|1", "C2|Bo|Li|bo@y.com|Gold|1"));
  testing_util::RecordedDimensions dims;
  ASSERT_TRUE(warehouse_->LoadDimensions(dims).ok());
  ASSERT_EQ(dims.customers.size(), 2u);
  EXPECT_EQ(dims.customers.at("C2").email, "bo@y.com");
  EXPECT_EQ(dims.customers.at("C1").first_name, "Ann");
}

TEST_F(SqliteWarehouseTest, LoadDimensionsRoundTripsPricesExactly) {
  std::vector<model::Product> products;
  const int64_t cents[] = {0, 1, 10, 99, 100, 12999, 999'999'999'999, 33, 70};
  for (size_t i = 0; i < std::size(cents); ++i) {
    products.push_back({"P" + std::to_string(i), "name", "cat", Money{cents[i]}, "S"});
  }
  ASSERT_TRUE(warehouse_->UpsertProducts(products).ok());
  EXPECT_EQ(Scalar("SELECT price FROM dim_products WHERE product_id = 'P6'"), "9999999999.99");
  testing_util::RecordedDimensions dims;
  const Status loaded = warehouse_->LoadDimensions(dims);
  ASSERT_TRUE(loaded.ok()) << loaded.ToString();
  ASSERT_EQ(dims.products.size(), std::size(cents));
  for (size_t i = 0; i < std::size(cents); ++i) {
    const model::Product& p = dims.products.at("P" + std::to_string(i));
    EXPECT_EQ(p.price.cents, cents[i]) << p.product_id;
    EXPECT_EQ(p.product_name, "name");
    EXPECT_EQ(p.category, "cat");
    EXPECT_EQ(p.supplier_id, "S");
  }
}

TEST_F(SqliteWarehouseTest, LoadDimensionIndexHoldsEveryIdAndAttribute) {
  ASSERT_TRUE(warehouse_
                  ->UpsertProducts(
                      std::vector<model::Product>{{"P1", "Lamp, \"big\"", "cat", Money{100}, "S1"},
                                                  {"P7", "Desk", "cat", Money{5}, "S7"}})
                  .ok());
  ASSERT_TRUE(warehouse_
                  ->UpsertCustomers(
                      std::vector<model::Customer>{{"C2", "Ann", "Lee", "ann@example.com", "Gold"},
                                                   {"odd-id", "Bob", "Roe", "b@x", "Basic"}})
                  .ok());
  testing_util::RecordedIndex ix;
  const Status loaded = warehouse_->LoadDimensionIndex(ix);
  ASSERT_TRUE(loaded.ok()) << loaded.ToString();
  EXPECT_EQ(ix.seals, 1);
  EXPECT_THAT(ix.emails,
              ElementsAre(std::pair<const std::string, std::string>("C2", "ann@example.com"),
                          std::pair<const std::string, std::string>("odd-id", "b@x")));
  using NameSupplier = std::pair<std::string, std::string>;
  EXPECT_THAT(ix.products,
              ElementsAre(std::pair<const std::string, NameSupplier>("P1", {"Lamp, \"big\"", "S1"}),
                          std::pair<const std::string, NameSupplier>("P7", {"Desk", "S7"})));
}

TEST_F(SqliteWarehouseTest, LoadDimensionsRejectsCorruptPrice) {
  ASSERT_TRUE(warehouse_
                  ->Query("INSERT INTO dim_products(product_id, price, price_cents) "
                          "VALUES('P9', 1.999, '1.999')",
                          {.write = true})
                  .ok());
  testing_util::RecordedDimensions dims;
  const Status loaded = warehouse_->LoadDimensions(dims);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.code(), StatusCode::kCorruptInput);
  EXPECT_THAT(loaded.message(), HasSubstr("P9"));
  EXPECT_THAT(loaded.message(), HasSubstr("'1.999'"));
}

TEST_F(SqliteWarehouseTest, MoneyIsStoredAndSummedExactly) {
  Money price{999'999'999'999};  // 9,999,999,999.99
  auto load = Begin(Object("big.csv", "e1"));
  std::vector<model::FactRow> facts = {Fact("TXN00000001", 10, price),
                                       Fact("TXN00000002", 10, price),
                                       Fact("TXN00000003", 10, price)};
  ASSERT_TRUE(load->AddFacts(facts).ok());
  ASSERT_TRUE(load->Commit(3).ok());
  EXPECT_THAT(Rows("SELECT price, total_amount FROM fact_transactions ORDER BY 1"),
              ElementsAre("9999999999.99|99999999999.9", "9999999999.99|99999999999.9",
                          "9999999999.99|99999999999.9"));
  // The documented exact sum, in cents.
  EXPECT_EQ(Scalar("SELECT sum(total_amount_cents) FROM fact_transactions"), "29999999999970");
  EXPECT_EQ(Scalar("SELECT sum(total_amount_cents) / 100.0 FROM fact_transactions"),
            "299999999999.7");
}

TEST_F(SqliteWarehouseTest, CentsSumExactlyWhereDoublesDrift) {
  auto load = Begin(Object("small.csv", "e1"));
  std::vector<model::FactRow> facts;
  for (int i = 0; i < 1000; ++i) {
    char id[16];
    std::snprintf(id, sizeof(id), "TXN%08d", i);
    facts.push_back(Fact(id, 1, Money{10}));  // 0.10
  }
  ASSERT_TRUE(load->AddFacts(facts).ok());
  ASSERT_TRUE(load->Commit(1000).ok());
  EXPECT_NE(Scalar("SELECT SUM(total_amount) = 100.0 FROM fact_transactions"), "1");
  EXPECT_EQ(Scalar("SELECT sum(total_amount_cents) FROM fact_transactions"), "10000");
  EXPECT_EQ(Scalar("SELECT sum(total_amount_cents) / 100.0 FROM fact_transactions"), "100.0");
}

TEST_F(SqliteWarehouseTest, QueryRendersNullsAndNumbers) {
  auto result = warehouse_->Query(
      "SELECT NULL AS n, 42 AS i, -7, 2.5 AS f, 3.0, 'text' AS t, "
      "x'41' AS b");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_THAT(result->columns, ElementsAre("n", "i", "-7", "f", "3.0", "t", "b"));
  ASSERT_EQ(result->rows.size(), 1u);
  EXPECT_THAT(result->rows[0],
              ElementsAre(std::nullopt, Optional(std::string("42")), Optional(std::string("-7")),
                          Optional(std::string("2.5")), Optional(std::string("3.0")),
                          Optional(std::string("text")), Optional(std::string("\\x41"))));
  EXPECT_THAT(result->kinds[0],
              ElementsAre(ValueKind::kNull, ValueKind::kInteger, ValueKind::kInteger,
                          ValueKind::kReal, ValueKind::kReal, ValueKind::kText, ValueKind::kBlob));
}

TEST_F(SqliteWarehouseTest, QueryRunsStatementsInSequenceAndReturnsTheLastRows) {
  auto result = warehouse_->Query(
      "CREATE TABLE t(a INTEGER);  -- a comment\n"
      "INSERT INTO t VALUES (1), (2), (NULL);\n"
      "SELECT a FROM t ORDER BY a;\n"
      "UPDATE t SET a = a + 10;\n"
      "  /* trailing comment */  ",
      {.write = true});
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_THAT(result->columns, ElementsAre("a"));
  ASSERT_EQ(result->rows.size(), 3u);
  EXPECT_EQ(result->rows[0][0], std::nullopt);
  EXPECT_EQ(result->rows[1][0], "1");
  EXPECT_EQ(result->rows[2][0], "2");
  EXPECT_EQ(Scalar("SELECT group_concat(a) FROM (SELECT a FROM t ORDER BY a)"), "11,12");

  auto empty = warehouse_->Query("   ");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->columns.empty());
  EXPECT_TRUE(empty->rows.empty());
}

TEST_F(SqliteWarehouseTest, QuerySqlErrorIsInvalidArgumentWithSqliteMessage) {
  auto bad = warehouse_->Query("SELECT 1; SELEC 2");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("statement 2"));
  EXPECT_THAT(bad.status().message(), HasSubstr("syntax error"));

  auto missing = warehouse_->Query("SELECT * FROM no_such_table");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(missing.status().message(), HasSubstr("no such table: no_such_table"));

  auto runtime = warehouse_->Query(
      "INSERT INTO load_ledger(bucket, key, etag, status) VALUES ('b', 'k', 'e', NULL)",
      {.write = true});
  ASSERT_FALSE(runtime.ok());
  EXPECT_EQ(runtime.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(runtime.status().message(), HasSubstr("NOT NULL constraint failed"));
}

TEST_F(SqliteWarehouseTest, QueryBindsParameters) {
  LoadOrDie(Object("a.csv", "e1"), {"TXN00000001", "TXN00000002"});
  auto result = warehouse_->QueryWithParams(
      "SELECT transaction_id FROM fact_transactions WHERE transaction_id > ?1 ORDER BY 1",
      {"TXN00000001"});
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->rows.size(), 1u);
  EXPECT_EQ(result->rows[0][0], "TXN00000002");
  EXPECT_EQ(warehouse_->QueryWithParams("SELECT ?1, ?2", {"x"}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(SqliteWarehouseTest, QueryDoesNotLeaveATransactionOpen) {
  ASSERT_TRUE(
      warehouse_
          ->Query("BEGIN; INSERT INTO dim_customers(customer_id) VALUES ('C1')", {.write = true})
          .ok());
  EXPECT_EQ(Scalar("SELECT count(*) FROM dim_customers"), "0");
  EXPECT_FALSE(warehouse_
                   ->Query("BEGIN; INSERT INTO dim_customers(customer_id) VALUES ('C1'); "
                           "SELEC",
                           {.write = true})
                   .ok());
  EXPECT_EQ(Scalar("SELECT count(*) FROM dim_customers"), "0");
  EXPECT_EQ(LoadOrDie(Object("a.csv", "e1"), {"TXN00000001"}).rows_loaded, 1);
}

// Runs `body` in a child process that ends with _exit(), as a crash would: no destructors,
// no ROLLBACK. Returns the child's exit code.
template <typename F>
int RunInChildAndCrash(F body) {
  pid_t pid = fork();
  if (pid == 0) _exit(body());
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_F(SqliteWarehouseTest, ProcessDyingMidLoadLeavesNothingVisible) {
  LoadOrDie(Object("t.csv", "v1"), {"TXN00000001"});
  warehouse_.reset();
  int code = RunInChildAndCrash([&]() -> int {
    auto w = SqliteWarehouse::Open(path_);
    if (!w.ok()) return 10;
    auto load = (*w)->BeginLoad(Object("t.csv", "v2"), "l", "r", ReloadMode::kReplace);
    if (!load.ok()) return 11;
    std::vector<model::FactRow> facts;
    for (int i = 2; i < 5000; ++i) facts.push_back(Fact("TXN" + std::to_string(10'000'000 + i)));
    if (!(*load)->AddFacts(facts).ok()) return 12;
    std::vector<model::RejectRow> rejects = {Reject(7, "invalid_date", "x")};
    if (!(*load)->AddRejects(rejects).ok()) return 13;
    return 0;  // _exit without Commit
  });
  ASSERT_EQ(code, 0);

  warehouse_ = OpenOrDie();
  EXPECT_THAT(Rows("SELECT transaction_id, source_etag FROM fact_transactions"),
              ElementsAre("TXN00000001|v1"));
  EXPECT_EQ(Scalar("SELECT count(*) FROM rejects"), "0");
  EXPECT_THAT(Rows("SELECT etag, status FROM load_ledger"), ElementsAre("v1|loaded"));
  // The dead process's lock is gone: the next run loads the version.
  EXPECT_EQ(LoadOrDie(Object("t.csv", "v2"), {"TXN00000002"}).rows_loaded, 1);
}

TEST_F(SqliteWarehouseTest, CommittedLoadSurvivesProcessDeath) {
  warehouse_.reset();
  int code = RunInChildAndCrash([&]() -> int {
    auto w = SqliteWarehouse::Open(path_);
    if (!w.ok()) return 10;
    auto load = (*w)->BeginLoad(Object("t.csv", "v1"), "l", "r", ReloadMode::kReplace);
    if (!load.ok()) return 11;
    std::vector<model::FactRow> facts = {Fact("TXN00000001"), Fact("TXN00000002")};
    if (!(*load)->AddFacts(facts).ok()) return 12;
    if (!(*load)->Commit(2).ok()) return 13;
    return 0;  // _exit without closing the connection or checkpointing
  });
  ASSERT_EQ(code, 0);
  warehouse_ = OpenOrDie();
  EXPECT_EQ(Scalar("SELECT count(*) FROM fact_transactions"), "2");
  EXPECT_EQ(Scalar("SELECT status || ' ' || rows_loaded FROM load_ledger"), "loaded 2");
}

TEST_F(SqliteWarehouseTest, DuplicateTransactionIdCountsMatchAcrossManyRows) {
  LoadOrDie(Object("a.csv", "e1"), {"TXN00000010", "TXN00000020"});
  auto load = Begin(Object("b.csv", "e1"));
  std::vector<model::FactRow> facts;
  for (int i = 0; i < 100; ++i) {
    char id[16];
    std::snprintf(id, sizeof(id), "TXN%08d", i % 50);
    facts.push_back(Fact(id));
  }
  ASSERT_TRUE(load->AddFacts(facts).ok());
  auto counts = load->Commit(100);
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  EXPECT_EQ(counts->rows_loaded, 48);
  EXPECT_EQ(counts->rows_rejected, 52);
  EXPECT_EQ(Scalar("SELECT count(*) FROM fact_transactions WHERE source_object = 'b.csv'"), "48");
  EXPECT_EQ(Scalar("SELECT count(*) FROM rejects WHERE reason = 'duplicate_transaction_id'"), "52");
}

// Facts go in several rows per INSERT statement: every row keeps its own values, and a
// duplicate inside such a batch becomes a reject while the batch's other rows load.
TEST_F(SqliteWarehouseTest, BatchedFactsKeepEachRowsValuesAndRejectDuplicatesInsideABatch) {
  LoadOrDie(Object("a.csv", "e1"), {"TXN00000040"});
  auto load = Begin(Object("b.csv", "e1"));
  std::vector<model::FactRow> facts;
  for (int i = 0; i < 100; ++i) {
    char id[16];
    std::snprintf(id, sizeof(id), "TXN%08d", i);
    model::FactRow f = testing_util::SampleFact(id, /*quantity=*/i + 1, Money{100 + i}, i + 2);
    f.customer_id = "C" + std::to_string(i);
    f.status = "S" + std::to_string(i);
    facts.push_back(std::move(f));
  }
  // Row 70 repeats row 65 of this load; row 40 repeats a.csv's row.
  facts[70] = facts[65];
  facts[70].line = 72;
  ASSERT_TRUE(load->AddFacts(facts).ok());
  auto counts = load->Commit(100);
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  EXPECT_EQ(counts->rows_loaded, 98);
  EXPECT_EQ(counts->rows_rejected, 2);
  EXPECT_THAT(Rows("SELECT line, transaction_id, detail FROM rejects ORDER BY id"),
              ElementsAre("42|TXN00000040|transaction_id TXN00000040 already loaded from a.csv",
                          "72|TXN00000065|transaction_id TXN00000065 already loaded from b.csv"));
  EXPECT_EQ(Scalar("SELECT count(*) FROM fact_transactions WHERE source_object = 'b.csv'"), "98");
  // Each loaded row holds its own values: quantity i + 1, price 1.00 + i cents, customer C<i>.
  EXPECT_EQ(Scalar("SELECT count(*) FROM fact_transactions WHERE source_object = 'b.csv' AND "
                   "CAST(substr(transaction_id, 4) AS INTEGER) + 1 = quantity AND "
                   "customer_id = 'C' || CAST(substr(transaction_id, 4) AS INTEGER) AND "
                   "status = 'S' || CAST(substr(transaction_id, 4) AS INTEGER) AND "
                   "price_cents = 100 + quantity - 1 AND "
                   "total_amount_cents = (100 + quantity - 1) * quantity"),
            "98");
  EXPECT_EQ(Scalar("SELECT quantity FROM fact_transactions WHERE transaction_id = 'TXN00000099'"),
            "100");
}

}  // namespace
}  // namespace ecompipe::warehouse

// ---- Configured fact columns (jobs[].output) ----

namespace ecompipe::warehouse {
namespace {

using model::ColumnType;
using model::OutputColumn;

const std::vector<OutputColumn> kCustomColumns = {
    {"transaction_id", "transaction_id", ColumnType::kText, 0},
    {"buyer_email", "buyer_email", ColumnType::kText, 0},
    {"quantity", "quantity", ColumnType::kInteger, 0},
    {"net_amount", "net_amount", ColumnType::kDecimal, 2},
    {"units", "units", ColumnType::kInteger, 0}};

model::FactRow ValueFact(std::string id, std::vector<std::string> values, int64_t line = 2) {
  model::FactRow f;
  f.line = line;
  f.transaction_id = std::move(id);
  f.values = std::move(values);
  return f;
}

TEST_F(SqliteWarehouseTest, ReferenceColumnsLeaveTheSchemaAsItWas) {
  const std::vector<std::string> before =
      Rows("SELECT name, type FROM pragma_table_info('fact_transactions')");
  ASSERT_TRUE(warehouse_->EnsureFactColumns(model::ReferenceOutput()).ok());
  EXPECT_EQ(Rows("SELECT name, type FROM pragma_table_info('fact_transactions')"), before);
  EXPECT_EQ(before.size(), 18u);  // 13 job columns, 3 of lineage, 2 of cents
}

TEST_F(SqliteWarehouseTest, ConfiguredColumnsAreAddedOnceAndLoaded) {
  ASSERT_TRUE(warehouse_->EnsureFactColumns(kCustomColumns).ok());
  ASSERT_TRUE(warehouse_->EnsureFactColumns(kCustomColumns).ok());  // idempotent
  EXPECT_THAT(
      Rows("SELECT name, type FROM pragma_table_info('fact_transactions') "
           "WHERE name IN ('buyer_email', 'net_amount', 'units', 'quantity')"),
      ElementsAre("quantity|INTEGER", "buyer_email|TEXT", "net_amount|TEXT", "units|INTEGER"));

  auto load = Begin(Object("a.csv", "e1"));
  ASSERT_TRUE(load);
  ASSERT_TRUE(load->UseFactColumns(kCustomColumns).ok());
  std::vector<model::FactRow> facts = {
      ValueFact("TXN1", {"TXN1", "ann@example.com", "3", "50.97", "12"}),
      ValueFact("TXN2", {"TXN2", "bob@example.com", "1", "-0.50", "7"}, 3)};
  ASSERT_TRUE(load->AddFacts(facts).ok());
  ASSERT_TRUE(load->Commit(2).ok());
  EXPECT_THAT(Rows("SELECT transaction_id, buyer_email, quantity, typeof(quantity), net_amount, "
                   "units, customer_email, source_object FROM fact_transactions ORDER BY 1"),
              ElementsAre("TXN1|ann@example.com|3|integer|50.97|12|NULL|a.csv",
                          "TXN2|bob@example.com|1|integer|-0.50|7|NULL|a.csv"));
}

TEST_F(SqliteWarehouseTest, ConfiguredFactAlreadyLoadedBecomesADuplicateReject) {
  ASSERT_TRUE(warehouse_->EnsureFactColumns(kCustomColumns).ok());
  for (const char* key : {"a.csv", "b.csv"}) {
    auto load = Begin(Object(key, "e1"));
    ASSERT_TRUE(load);
    ASSERT_TRUE(load->UseFactColumns(kCustomColumns).ok());
    std::vector<model::FactRow> facts = {
        ValueFact("TXN1", {"TXN1", "ann@example.com", "3", "50.97", "12"})};
    ASSERT_TRUE(load->AddFacts(facts).ok());
    ASSERT_TRUE(load->Commit(1).ok());
  }
  EXPECT_EQ(Scalar("SELECT count(*) FROM fact_transactions"), "1");
  EXPECT_EQ(Scalar("SELECT source_object, reason, raw FROM rejects"),
            "b.csv|duplicate_transaction_id|TXN1,ann@example.com,3,50.97,12");
}

TEST_F(SqliteWarehouseTest, ValueFactsWithoutDeclaredColumnsAreABug) {
  auto load = Begin(Object("a.csv", "e1"));
  ASSERT_TRUE(load);
  std::vector<model::FactRow> facts = {ValueFact("TXN1", {"TXN1"})};
  EXPECT_EQ(load->AddFacts(facts).code(), StatusCode::kInternal);
}

// Regression (issue 12, point 2): money was TEXT, so `total_amount > 100` compared text ('89.97'
// > '100'), ORDER BY put 999.90 above 1299.90 and SUM drifted. Now the view shows numbers.
TEST_F(SqliteWarehouseTest, MoneyComparesSortsAndAddsAsNumbers) {
  auto load = Begin(Object("a.csv", "e1"));
  ASSERT_TRUE(load);
  std::vector<model::FactRow> facts = {Fact("TXN1", 3, Money{2999}),    // 89.97
                                       Fact("TXN2", 10, Money{9999}),   // 999.90
                                       Fact("TXN3", 10, Money{12999}),  // 1299.90
                                       Fact("TXN4", 1000, Money{10})};  // 100.00
  ASSERT_TRUE(load->AddFacts(facts).ok());
  ASSERT_TRUE(load->Commit(4).ok());
  EXPECT_EQ(Scalar("SELECT count(*) FROM fact_transactions WHERE total_amount > 100"), "2");
  EXPECT_THAT(Rows("SELECT transaction_id, total_amount FROM fact_transactions "
                   "ORDER BY total_amount DESC"),
              ElementsAre("TXN3|1299.9", "TXN2|999.9", "TXN4|100.0", "TXN1|89.97"));
  EXPECT_EQ(Scalar("SELECT min(total_amount), max(total_amount), max(price), sum(quantity) "
                   "FROM fact_transactions"),
            "89.97|1299.9|129.99|1023");
  EXPECT_EQ(Scalar("SELECT typeof(price), typeof(total_amount), typeof(quantity), "
                   "typeof(price_cents), typeof(total_amount_cents) FROM fact_transactions "
                   "WHERE transaction_id = 'TXN1'"),
            "real|real|integer|integer|integer");
  EXPECT_EQ(
      Scalar("SELECT price, total_amount FROM fact_transactions WHERE transaction_id = 'TXN3'"),
      "129.99|1299.9");
  EXPECT_EQ(Scalar("SELECT sum(total_amount_cents) FROM fact_transactions"), "248977");
}

// A file written by schema version 2 (money as text, a configured column) is rebuilt with
// money in cents when opened: every row kept, lineage and extra column included.
TEST_F(SqliteWarehouseTest, Version2FileIsMigratedToCentsWithItsRows) {
  warehouse_.reset();
  fs::remove(path_);
  {
    auto raw = SqliteWarehouse::Open(path_);
    ASSERT_TRUE(raw.ok());
    ASSERT_TRUE((*raw)
                    ->Query(R"sql(
      CREATE TABLE dim_products(product_id TEXT NOT NULL PRIMARY KEY, product_name TEXT,
        category TEXT, price TEXT, supplier_id TEXT, updated_at TEXT);
      INSERT INTO dim_products VALUES ('P1', 'Lamp', 'Home', '1299.90', 'S1', 'x');
      CREATE TABLE loads(load_ref INTEGER PRIMARY KEY, load_id TEXT NOT NULL,
        source_object TEXT NOT NULL, source_etag TEXT NOT NULL);
      INSERT INTO loads VALUES (1, 'load-1', 'a.csv', 'e1');
      CREATE TABLE fact_transactions_data(transaction_id TEXT NOT NULL PRIMARY KEY,
        customer_id TEXT, customer_email TEXT, product_id TEXT, product_name TEXT,
        quantity INTEGER, supplier_id TEXT, price TEXT, transaction_date TEXT,
        transaction_type TEXT, payment_type TEXT, status TEXT, total_amount TEXT,
        load_ref INTEGER NOT NULL, units INTEGER) WITHOUT ROWID;
      CREATE INDEX fact_transactions_data_load_ref ON fact_transactions_data(load_ref);
      CREATE VIEW fact_transactions AS SELECT f.transaction_id, f.total_amount, l.source_object
        FROM fact_transactions_data f LEFT JOIN loads l ON l.load_ref = f.load_ref;
      INSERT INTO fact_transactions_data VALUES
        ('TXN1', 'C1', 'a@x', 'P1', 'Lamp', 10, 'S1', '99.99', '2026-11-30', 'Large', 'Cash',
         'Completed', '999.90', 1, 7),
        ('TXN2', 'C1', 'a@x', 'P1', 'Lamp', 10, 'S1', '129.99', '2026-11-30', 'Large', 'Cash',
         'Completed', '1299.90', 1, NULL),
        ('TXN3', 'C1', 'a@x', 'P1', 'Lamp', 1, 'S1', NULL, '2026-11-30', 'Small', 'Cash',
         'Completed', '', 1, 3);
      CREATE TABLE rejects(id INTEGER PRIMARY KEY, source_object TEXT, source_etag TEXT,
        load_id TEXT, line INTEGER, reason TEXT, detail TEXT, transaction_id TEXT, raw TEXT,
        rejected_at TEXT);
      INSERT INTO rejects(source_object, reason) VALUES ('a.csv', 'invalid_price');
      PRAGMA user_version = 2;
    )sql",
                            {.write = true})
                    .ok());
  }
  warehouse_ = OpenOrDie();
  ASSERT_TRUE(warehouse_);
  EXPECT_EQ(Scalar("PRAGMA user_version"), "3");
  EXPECT_THAT(Rows("SELECT transaction_id, price_cents, total_amount_cents, total_amount, units, "
                   "source_object, customer_email FROM fact_transactions "
                   "ORDER BY total_amount DESC"),
              ElementsAre("TXN2|12999|129990|1299.9|NULL|a.csv|a@x",
                          "TXN1|9999|99990|999.9|7|a.csv|a@x", "TXN3|NULL|NULL|NULL|3|a.csv|a@x"));
  EXPECT_EQ(Scalar("SELECT price, price_cents, updated_at FROM dim_products"), "1299.9|129990|x");
  EXPECT_EQ(Scalar("SELECT count(*) FROM sqlite_master WHERE name LIKE '%_v2'"), "0");
  EXPECT_EQ(Scalar("SELECT count(*) FROM sqlite_master WHERE name = "
                   "'fact_transactions_data_load_ref'"),
            "1");
  Result<WarehouseTotals> totals = warehouse_->Totals();
  ASSERT_TRUE(totals.ok()) << totals.status().ToString();
  EXPECT_EQ(totals->fact_rows, 3);
  EXPECT_EQ(totals->reject_rows, 1);
  EXPECT_EQ(totals->total_amount_cents, 229980);
  EXPECT_EQ(totals->products, 1);
  // Loads go on; opening again changes nothing.
  LoadOrDie(Object("b.csv", "e2"), {"TXN1", "TXN4"});
  warehouse_ = OpenOrDie();
  EXPECT_EQ(Scalar("SELECT count(*) FROM fact_transactions"), "4");
  EXPECT_EQ(Scalar("SELECT count(*) FROM rejects"), "2");
}

// Regression (issue 12, point 8): status recounted every table. The running totals follow
// loads, duplicates and replaces, and match what counting the tables gives.
TEST_F(SqliteWarehouseTest, TotalsFollowLoadsDuplicatesAndReplaces) {
  const auto expect_totals = [this](int64_t facts, int64_t rejects, int64_t cents) {
    Result<WarehouseTotals> t = warehouse_->Totals();
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    EXPECT_EQ(t->fact_rows, facts);
    EXPECT_EQ(t->reject_rows, rejects);
    EXPECT_EQ(t->total_amount_cents, cents);
    EXPECT_EQ(Scalar("SELECT count(*) FROM fact_transactions"), std::to_string(facts));
    EXPECT_EQ(Scalar("SELECT count(*) FROM rejects"), std::to_string(rejects));
    EXPECT_EQ(Scalar("SELECT coalesce(sum(total_amount_cents), 0) FROM fact_transactions"),
              std::to_string(cents));
  };
  expect_totals(0, 0, 0);
  // Fact() is 2 x 129.99 = 259.98. 70 facts: one full batch and a remainder row by row.
  std::vector<std::string> ids;
  for (int i = 0; i < 70; ++i) ids.push_back("TXN" + std::to_string(1000 + i));
  LoadOrDie(Object("t.csv", "v1"), ids, /*rejects=*/2);
  expect_totals(70, 2, 70 * 25998);
  // A batch holding a duplicate goes row by row: the duplicate becomes a reject.
  std::vector<std::string> more;
  for (int i = 0; i < 64; ++i) more.push_back("TXN" + std::to_string(1069 + i));
  LoadOrDie(Object("u.csv", "v1"), more, /*rejects=*/1, ReloadMode::kAppend);
  expect_totals(133, 4, 133 * 25998);
  // A replace drops v1's 70 facts and 2 rejects.
  LoadOrDie(Object("t.csv", "v2"), {"TXN1000"}, /*rejects=*/0);
  expect_totals(64, 2, 64 * 25998);
  // A rolled-back load changes nothing.
  {
    auto load = Begin(Object("w.csv", "v1"));
    std::vector<model::FactRow> facts = {Fact("TXN9")};
    ASSERT_TRUE(load->AddFacts(facts).ok());
  }
  expect_totals(64, 2, 64 * 25998);
}

TEST_F(SqliteWarehouseTest, MissingTotalsRowIsCountedAgain) {
  LoadOrDie(Object("t.csv", "v1"), {"TXN1", "TXN2"}, /*rejects=*/1);
  ASSERT_TRUE(warehouse_->Query("DELETE FROM warehouse_totals", {.write = true}).ok());
  EXPECT_EQ(warehouse_->Totals().status().code(), StatusCode::kInternal);
  // A load that finds no row counts the tables, its own rows included...
  LoadOrDie(Object("u.csv", "v1"), {"TXN3"});
  EXPECT_EQ(warehouse_->Totals()->fact_rows, 3);
  // ...and so does opening the warehouse.
  ASSERT_TRUE(warehouse_->Query("DELETE FROM warehouse_totals", {.write = true}).ok());
  warehouse_ = OpenOrDie();
  Result<WarehouseTotals> t = warehouse_->Totals();
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->fact_rows, 3);
  EXPECT_EQ(t->reject_rows, 1);
  EXPECT_EQ(t->total_amount_cents, 3 * 25998);
}

TEST_F(SqliteWarehouseTest, ConfiguredMoneyColumnsAreStoredAsCents) {
  const std::vector<model::OutputColumn> columns = {
      {"transaction_id", "transaction_id", model::ColumnType::kText, 0},
      {"price", "price", model::ColumnType::kDecimal, 2},
      {"total_amount", "total_amount", model::ColumnType::kDecimal, 2}};
  ASSERT_TRUE(warehouse_->EnsureFactColumns(columns).ok());
  EXPECT_EQ(Scalar("SELECT count(*) FROM pragma_table_info('fact_transactions_data') "
                   "WHERE name IN ('price', 'total_amount')"),
            "0");
  auto load = Begin(Object("a.csv", "e1"));
  ASSERT_TRUE(load);
  ASSERT_TRUE(load->UseFactColumns(columns).ok());
  std::vector<model::FactRow> facts = {ValueFact("TXN1", {"TXN1", "99.50", "537.30"}),
                                       ValueFact("TXN2", {"TXN2", "", "-0.5"}, 3)};
  ASSERT_TRUE(load->AddFacts(facts).ok());
  ASSERT_TRUE(load->Commit(2).ok());
  EXPECT_THAT(Rows("SELECT transaction_id, price, price_cents, total_amount, total_amount_cents "
                   "FROM fact_transactions ORDER BY total_amount"),
              ElementsAre("TXN2|NULL|NULL|-0.5|-50", "TXN1|99.5|9950|537.3|53730"));
  EXPECT_EQ(warehouse_->Totals()->total_amount_cents, 53680);
  // More than 2 decimals does not fit cents.
  const std::vector<model::OutputColumn> three_decimals = {
      {"transaction_id", "transaction_id", model::ColumnType::kText, 0},
      {"price", "price", model::ColumnType::kDecimal, 3}};
  Status s = warehouse_->EnsureFactColumns(three_decimals);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("price_cents"));
}

}  // namespace
}  // namespace ecompipe::warehouse
