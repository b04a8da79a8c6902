// Warehouse::QueryAll, the API behind `ecompipe query`, on both backends: statements run in
// order with each result returned; read-only unless QueryOptions::write; and every hostile
// statement of issue 14 (writes, smuggled statements, ATTACH, VACUUM INTO, pragmas,
// load_extension, CTE writes; on PostgreSQL transaction-control tricks, COPY to a file and
// server file functions) is refused with the warehouse and the file system left as they were.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "testing/pg_test.h"
#include "testing/sample_fact.h"
#include "testing/temp_dir.h"
#include "warehouse/postgres/postgres_warehouse.h"
#include "warehouse/sqlite/sqlite_warehouse.h"

namespace ecompipe::warehouse {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// One hostile SQL text. `{dir}` is replaced with a scratch folder where nothing may appear.
struct Hostile {
  const char* name;
  std::string sql;
  std::string message;  // a part of the error
};

std::string Expand(std::string sql, const fs::path& dir) {
  for (size_t at; (at = sql.find("{dir}")) != std::string::npos;) sql.replace(at, 5, dir.string());
  return sql;
}

// Rows of a result as "a|b" lines, NULL as "NULL".
std::vector<std::string> Lines(const QueryResult& r) {
  std::vector<std::string> out;
  for (const auto& row : r.rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) line += (i ? "|" : "") + row[i].value_or("NULL");
    out.push_back(line);
  }
  return out;
}

// Loads one object with one fact and one reject, so that every table has a row to lose.
void LoadOne(Warehouse& w) {
  auto load = w.BeginLoad(storage::ObjectRef{"bucket", "t/a.csv", "e1", 0, 0}, "load-1", "jr_1",
                          ReloadMode::kReplace);
  ASSERT_TRUE(load.ok()) << load.status().ToString();
  std::vector<model::FactRow> facts = {testing_util::SampleFact("TXN00000001")};
  ASSERT_TRUE((*load)->AddFacts(facts).ok());
  std::vector<model::RejectRow> rejects = {
      model::RejectRow{3, "invalid_quantity", "detail", "raw", "TXN00000002"}};
  ASSERT_TRUE((*load)->AddRejects(rejects).ok());
  ASSERT_TRUE((*load)->Commit(2).ok());
}

// --- SQLite ------------------------------------------------------------------------------

class SqliteQueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = SqliteWarehouse::Open((dir_.path() / "warehouse.db").string());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    warehouse_ = std::move(opened).value();
    ASSERT_TRUE(warehouse_->EnsureSchema().ok());
    LoadOne(*warehouse_);
    scratch_ = dir_.path() / "scratch";
    fs::create_directories(scratch_);
  }

  // What a hostile statement must not change: rows, schema objects, pragmas, the journal mode.
  std::string Snapshot() {
    auto r = warehouse_->QueryAll(
        "SELECT (SELECT count(*) FROM load_ledger), (SELECT count(*) FROM rejects), "
        "(SELECT count(*) FROM fact_transactions_data), (SELECT sum(quantity) FROM "
        "fact_transactions_data), (SELECT group_concat(name) FROM (SELECT name FROM sqlite_master "
        "ORDER BY name)); PRAGMA user_version; PRAGMA journal_mode",
        {});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return "";
    std::string out;
    for (const auto& result : *r) out += Lines(result).at(0) + "\n";
    return out;
  }

  testing_util::TempDir dir_;
  fs::path scratch_;
  std::unique_ptr<SqliteWarehouse> warehouse_;
};

const std::vector<Hostile>& SqliteHostile() {
  static const std::vector<Hostile> cases = {
      {"delete", "DELETE FROM load_ledger", "read-only"},
      {"drop", "DROP TABLE rejects", "read-only"},
      {"update", "UPDATE fact_transactions_data SET quantity = 99", "read-only"},
      {"insert", "INSERT INTO dim_products(product_id) VALUES ('P1')", "read-only"},
      {"smuggled_after_select", "SELECT 1; DELETE FROM load_ledger", "statement 2"},
      {"smuggled_in_transaction", "BEGIN; DELETE FROM load_ledger; COMMIT", "read-only"},
      {"cte_delete", "WITH x AS (SELECT 1) DELETE FROM load_ledger WHERE 1 IN (SELECT * FROM x)",
       "read-only"},
      {"attach", "ATTACH '{dir}/attached.db' AS a", "ATTACH"},
      {"attach_then_write", "ATTACH '{dir}/a2.db' AS a; CREATE TABLE a.t(x)", "ATTACH"},
      {"vacuum_into", "VACUUM INTO '{dir}/copy.db'", "VACUUM INTO"},
      {"vacuum", "VACUUM", "read-only"},
      {"pragma_journal_mode", "PRAGMA journal_mode=DELETE", "PRAGMA journal_mode=DELETE"},
      {"pragma_user_version", "PRAGMA user_version=5", "PRAGMA user_version=5"},
      {"pragma_writable_schema", "PRAGMA writable_schema=ON", "PRAGMA writable_schema"},
      {"pragma_wal_checkpoint", "PRAGMA wal_checkpoint(TRUNCATE)", "PRAGMA wal_checkpoint"},
      {"load_extension", "SELECT load_extension('{dir}/evil.so')", "load_extension"},
      {"load_extension_quoted", "SELECT \"load_extension\"('{dir}/evil.so')", "load_extension"},
      {"create_table", "CREATE TABLE t(x)", "read-only"},
      {"create_temp_table", "CREATE TEMP TABLE t(x)", "read-only"},
      {"create_index", "CREATE INDEX i ON rejects(reason)", "read-only"},
      {"alter", "ALTER TABLE rejects RENAME TO r2", "read-only"},
      {"drop_view", "DROP VIEW fact_transactions", "read-only"},
      {"analyze", "ANALYZE", "read-only"},
      {"reindex", "REINDEX", "read-only"},
      {"replace", "REPLACE INTO dim_products(product_id) VALUES ('P1')", "read-only"},
  };
  return cases;
}

TEST_F(SqliteQueryTest, EveryHostileStatementIsRefusedAndChangesNothing) {
  const std::string before = Snapshot();
  const std::string version = std::to_string(SqliteWarehouse::kSchemaVersion);
  ASSERT_THAT(before, HasSubstr("\n" + version + "\nwal\n"));  // user_version, journal WAL
  for (const Hostile& h : SqliteHostile()) {
    SCOPED_TRACE(h.name);
    auto r = warehouse_->QueryAll(Expand(h.sql, scratch_), {});
    ASSERT_FALSE(r.ok()) << h.sql;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
    EXPECT_THAT(r.status().message(), HasSubstr(h.message));
    EXPECT_EQ(Snapshot(), before);
    EXPECT_TRUE(fs::is_empty(scratch_)) << "a file appeared in " << scratch_;
  }
}

TEST_F(SqliteQueryTest, RefusalsNameTheStatementAndTheWayOut) {
  auto r = warehouse_->QueryAll("SELECT 1; DELETE FROM load_ledger", {});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("statement 2: refused: ecompipe query is read-only; "
                                              "add --write to change the warehouse"));
  EXPECT_THAT(r.status().message(), HasSubstr("load_ledger"));
}

TEST_F(SqliteQueryTest, WriteAllowsChangesButNeverAttachVacuumIntoOrExtensions) {
  const QueryOptions write{.write = true};
  for (const char* sql : {"ATTACH '{dir}/attached.db' AS a", "VACUUM INTO '{dir}/copy.db'",
                          "SELECT load_extension('{dir}/evil.so')"}) {
    SCOPED_TRACE(sql);
    auto r = warehouse_->QueryAll(Expand(sql, scratch_), write);
    ASSERT_FALSE(r.ok());
    EXPECT_THAT(r.status().message(), HasSubstr("with or without --write"));
    EXPECT_TRUE(fs::is_empty(scratch_));
  }
  auto deleted = warehouse_->QueryAll("DELETE FROM rejects; VACUUM", write);
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  ASSERT_EQ(deleted->size(), 2u);
  EXPECT_EQ((*deleted)[0].rows_changed, 1);
  EXPECT_THAT(Lines(warehouse_->Query("SELECT count(*) FROM rejects").value()), ElementsAre("0"));
  // The authorizer is gone after the call: the warehouse's own writes still work.
  auto load = warehouse_->BeginLoad(storage::ObjectRef{"bucket", "t/b.csv", "e2", 0, 0}, "load-2",
                                    "jr_2", ReloadMode::kReplace);
  ASSERT_TRUE(load.ok()) << load.status().ToString();
  std::vector<model::FactRow> facts = {testing_util::SampleFact("TXN00000003")};
  ASSERT_TRUE((*load)->AddFacts(facts).ok());
  EXPECT_TRUE((*load)->Commit(1).ok());
}

TEST_F(SqliteQueryTest, ReadingPragmasAndTableFunctionsWork) {
  auto r = warehouse_->QueryAll(
      "PRAGMA table_info(rejects); SELECT count(*) FROM pragma_table_info('rejects'); "
      "PRAGMA user_version; PRAGMA integrity_check",
      {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 4u);
  EXPECT_FALSE((*r)[0].rows.empty());
  EXPECT_THAT(Lines((*r)[2]), ElementsAre(std::to_string(SqliteWarehouse::kSchemaVersion)));
  EXPECT_THAT(Lines((*r)[3]), ElementsAre("ok"));
}

TEST_F(SqliteQueryTest, EveryStatementsResultComesBackInOrder) {
  auto r = warehouse_->QueryAll("SELECT 1 AS a; SELECT 2 AS b, 'x' AS c; SELECT 3 AS a", {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_THAT((*r)[0].columns, ElementsAre("a"));
  EXPECT_THAT(Lines((*r)[0]), ElementsAre("1"));
  EXPECT_THAT((*r)[1].columns, ElementsAre("b", "c"));
  EXPECT_THAT(Lines((*r)[1]), ElementsAre("2|x"));
  EXPECT_THAT(Lines((*r)[2]), ElementsAre("3"));
  EXPECT_THAT(Lines(warehouse_->Query("SELECT 1; SELECT 2").value()), ElementsAre("2"));
}

TEST_F(SqliteQueryTest, RealsPrintInTheShortestFormThatReadsBack) {
  auto r = warehouse_->Query(
      "SELECT 129.99, 0.1 + 0.2, 3.0, CAST(1e16 AS REAL), 1e308 * 10, -2.5, 42, NULL, 'x'");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(Lines(*r), ElementsAre("129.99|0.30000000000000004|3.0|1e+16|Inf|-2.5|42|NULL|x"));
  EXPECT_THAT(r->kinds.at(0), ElementsAre(ValueKind::kReal, ValueKind::kReal, ValueKind::kReal,
                                          ValueKind::kReal, ValueKind::kReal, ValueKind::kReal,
                                          ValueKind::kInteger, ValueKind::kNull, ValueKind::kText));
}

TEST(SqliteQueryInMemoryTest, ReadOnlyHoldsWithoutASecondConnection) {
  auto opened = SqliteWarehouse::Open(":memory:");
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  SqliteWarehouse& w = **opened;
  ASSERT_TRUE(w.EnsureSchema().ok());
  LoadOne(w);
  auto refused = w.QueryAll("DELETE FROM load_ledger", {});
  EXPECT_FALSE(refused.ok());
  EXPECT_THAT(Lines(w.Query("SELECT count(*) FROM load_ledger").value()), ElementsAre("1"));
  EXPECT_TRUE(w.QueryAll("DELETE FROM load_ledger", {.write = true}).ok());
  EXPECT_THAT(Lines(w.Query("SELECT count(*) FROM load_ledger").value()), ElementsAre("0"));
}

// --- PostgreSQL ----------------------------------------------------------------------------

class PostgresQueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EP_REQUIRE_TEST_PG();
    schema_ = std::make_unique<testing_util::PgTestSchema>();
    PostgresWarehouseOptions o;
    o.url = testing_util::PgTestUrl();
    o.schema = schema_->name();
    auto opened = PostgresWarehouse::Open(o);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    warehouse_ = std::move(opened).value();
    ASSERT_TRUE(warehouse_->EnsureSchema().ok());
    LoadOne(*warehouse_);
    // The server runs on this machine as another user: a folder it may write to.
    scratch_ = dir_.path() / "scratch";
    fs::create_directories(scratch_);
    fs::permissions(scratch_, fs::perms::all);
  }

  std::string Snapshot() {
    auto r = schema_->admin().Query(
        "SELECT (SELECT count(*) FROM " + schema_->name() +
        ".load_ledger) || ' ' || "
        "(SELECT count(*) FROM " +
        schema_->name() +
        ".rejects) || ' ' || "
        "(SELECT count(*) FROM " +
        schema_->name() +
        ".fact_transactions) || ' ' || "
        "(SELECT sum(quantity) FROM " +
        schema_->name() +
        ".fact_transactions) || ' ' || "
        "(SELECT count(*) FROM pg_largeobject_metadata) || ' ' || "
        "(SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables "
        " WHERE table_schema = '" +
        schema_->name() + "')");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::string(r->Text(0, 0)) : "";
  }

  testing_util::TempDir dir_;
  fs::path scratch_;
  std::unique_ptr<testing_util::PgTestSchema> schema_;
  std::unique_ptr<PostgresWarehouse> warehouse_;
};

const std::vector<Hostile>& PostgresHostile() {
  static const std::vector<Hostile> cases = {
      {"delete", "DELETE FROM load_ledger", "read-only transaction"},
      {"drop", "DROP TABLE rejects", "read-only transaction"},
      {"update", "UPDATE fact_transactions SET quantity = 99", "read-only transaction"},
      {"truncate", "TRUNCATE rejects", "read-only transaction"},
      {"smuggled_after_select", "SELECT 1; DELETE FROM load_ledger", "statement 2"},
      {"cte_delete", "WITH x AS (DELETE FROM load_ledger RETURNING 1) SELECT count(*) FROM x",
       "read-only transaction"},
      {"commit_then_delete", "COMMIT; DELETE FROM load_ledger", "transaction control"},
      {"select_commit_delete", "SELECT 1; commit; DELETE FROM load_ledger", "transaction control"},
      {"end_then_delete", "END; DELETE FROM load_ledger", "transaction control"},
      {"rollback_then_delete", "ROLLBACK; DELETE FROM load_ledger", "transaction control"},
      {"abort_then_delete", "ABORT; DELETE FROM load_ledger", "transaction control"},
      {"begin_read_write", "BEGIN READ WRITE; DELETE FROM load_ledger; COMMIT",
       "transaction control"},
      {"start_transaction", "START TRANSACTION READ WRITE; DELETE FROM load_ledger",
       "transaction control"},
      {"commented_commit", "/* x */ -- y\n CoMmIt; DELETE FROM load_ledger", "transaction control"},
      {"savepoint", "SAVEPOINT s; DELETE FROM load_ledger", "transaction control"},
      {"prepare_transaction", "PREPARE TRANSACTION 'x'", "transaction control"},
      {"set_transaction_read_write", "SET TRANSACTION READ WRITE; DELETE FROM load_ledger",
       "cannot be changed"},
      {"set_session_characteristics",
       "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE; DELETE FROM load_ledger",
       "cannot be changed"},
      {"set_transaction_read_only_off", "SET transaction_read_only = off; DELETE FROM load_ledger",
       "cannot be changed"},
      {"set_local_quoted", "SET LOCAL \"transaction_read_only\" TO off", "cannot be changed"},
      {"set_default_read_only", "SET default_transaction_read_only = off", "cannot be changed"},
      {"set_config_read_write",
       "SELECT set_config('transaction_read_only', 'off', true); DELETE FROM load_ledger",
       "read-write mode must be set before any query"},
      {"copy_to_file", "COPY (SELECT 1) TO '{dir}/copy.txt'", "COPY"},
      {"copy_to_program", "COPY rejects TO PROGRAM 'touch {dir}/program'", "COPY"},
      {"copy_from_file", "COPY rejects FROM '/etc/hostname'", "COPY"},
      {"pg_read_file", "SELECT pg_read_file('/etc/hostname')", "pg_read_file()"},
      {"pg_read_file_qualified", "SELECT pg_catalog.pg_read_file ( '/etc/hostname' )",
       "pg_read_file()"},
      {"pg_ls_dir", "SELECT * FROM pg_ls_dir('/')", "pg_ls_dir()"},
      {"lo_export", "SELECT lo_export(lo_from_bytea(0, 'x'), '{dir}/lo.bin')", "lo_export()"},
      {"lo_import", "SELECT lo_import('/etc/hostname')", "lo_import()"},
      {"lo_export_quoted", "SELECT \"lo_export\"(1, '{dir}/lo.bin')", "lo_export()"},
      {"unicode_identifier", "SELECT U&\"lo\\005fexport\"(1, '{dir}/lo.bin')", "U&"},
      {"query_to_xml", "SELECT query_to_xml('DELETE FROM load_ledger', true, true, '')",
       "query_to_xml()"},
      {"terminate_backend", "SELECT pg_terminate_backend(pg_backend_pid())",
       "pg_terminate_backend()"},
      {"do_block", "DO $$ BEGIN DELETE FROM load_ledger; END $$", "DO blocks"},
      {"load", "LOAD 'plpgsql'", "LOAD"},
      {"create_extension", "CREATE EXTENSION IF NOT EXISTS dblink", "EXTENSION"},
      {"create_temp_table", "CREATE TEMP TABLE t (x int)", "read-only transaction"},
      {"select_into", "SELECT 1 AS x INTO new_table", "read-only transaction"},
      {"create_sequence", "CREATE SEQUENCE s", "read-only transaction"},
      {"vacuum", "VACUUM rejects", "VACUUM cannot run inside a transaction block"},
      {"unterminated_quote", "SELECT 'x; DELETE FROM load_ledger", "unterminated string"},
  };
  return cases;
}

TEST_F(PostgresQueryTest, EveryHostileStatementIsRefusedAndChangesNothing) {
  const std::string before = Snapshot();
  ASSERT_THAT(before, HasSubstr("1 1 1 2 "));
  for (const Hostile& h : PostgresHostile()) {
    SCOPED_TRACE(h.name);
    auto r = warehouse_->QueryAll(Expand(h.sql, scratch_), {});
    ASSERT_FALSE(r.ok()) << h.sql;
    EXPECT_THAT(r.status().message(), HasSubstr(h.message));
    EXPECT_EQ(Snapshot(), before);
    EXPECT_TRUE(fs::is_empty(scratch_)) << "a file appeared in " << scratch_;
    // The connection is usable and read-only again.
    auto next = warehouse_->Query("SELECT count(*) FROM load_ledger");
    ASSERT_TRUE(next.ok()) << next.status().ToString();
    EXPECT_THAT(Lines(*next), ElementsAre("1"));
  }
}

TEST_F(PostgresQueryTest, AReadOnlyCallIsRolledBackEvenWherePostgresAllowsAWrite) {
  // PostgreSQL 15 creates large objects inside a READ ONLY transaction; the rollback at the end
  // of every read-only call takes them back.
  const std::string before = Snapshot();
  auto r = warehouse_->QueryAll("SELECT lo_from_bytea(0, 'abc') IS NOT NULL AS made", {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(Lines(r->at(0)), ElementsAre("t"));
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(PostgresQueryTest, WriteAllowsChangesButNeverServerFilesOrCode) {
  const QueryOptions write{.write = true};
  for (const char* sql : {"COPY (SELECT 1) TO '{dir}/copy.txt'",
                          "SELECT lo_export(lo_from_bytea(0, 'x'), '{dir}/lo.bin')",
                          "SELECT pg_read_file('/etc/hostname')", "LOAD 'plpgsql'",
                          "CREATE EXTENSION IF NOT EXISTS dblink",
                          "CREATE FUNCTION f() RETURNS int AS 'x', 'y' LANGUAGE C",
                          "DO $$ BEGIN PERFORM 1; END $$"}) {
    SCOPED_TRACE(sql);
    auto r = warehouse_->QueryAll(Expand(sql, scratch_), write);
    ASSERT_FALSE(r.ok());
    EXPECT_THAT(r.status().message(), HasSubstr("refused"));
    EXPECT_TRUE(fs::is_empty(scratch_));
  }
  // The user's own transaction: rolled back here, so nothing changes.
  ASSERT_TRUE(warehouse_->QueryAll("BEGIN; DELETE FROM rejects; ROLLBACK", write).ok());
  EXPECT_THAT(Lines(warehouse_->Query("SELECT count(*) FROM rejects").value()), ElementsAre("1"));
  auto deleted =
      warehouse_->QueryAll("DELETE FROM rejects; SELECT count(*) AS n FROM rejects", write);
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  ASSERT_EQ(deleted->size(), 2u);
  EXPECT_EQ((*deleted)[0].rows_changed, 1);
  EXPECT_THAT(Lines((*deleted)[1]), ElementsAre("0"));
  EXPECT_THAT(Lines(warehouse_->Query("SELECT count(*) FROM rejects").value()), ElementsAre("0"));
  // A transaction left open is rolled back.
  ASSERT_TRUE(warehouse_->QueryAll("BEGIN; DELETE FROM load_ledger", write).ok());
  EXPECT_THAT(Lines(warehouse_->Query("SELECT count(*) FROM load_ledger").value()),
              ElementsAre("1"));
}

TEST_F(PostgresQueryTest, SessionSettingsOutliveTheReadOnlyTransaction) {
  // `ecompipe status` sets a lock timeout once, then counts.
  ASSERT_TRUE(warehouse_->QueryAll("SET lock_timeout = '3s'", {}).ok());
  EXPECT_THAT(Lines(warehouse_->Query("SHOW lock_timeout").value()), ElementsAre("3s"));
  ASSERT_TRUE(warehouse_->QueryAll("SET LOCAL lock_timeout = '5s'; SHOW lock_timeout", {}).ok());
  EXPECT_THAT(Lines(warehouse_->Query("SHOW lock_timeout").value()), ElementsAre("3s"));
  EXPECT_THAT(
      Lines(warehouse_->Query("SET statement_timeout = '7s'; SHOW statement_timeout").value()),
      ElementsAre("7s"));
  EXPECT_THAT(Lines(warehouse_->Query("SHOW transaction_read_only").value()), ElementsAre("on"));
}

TEST_F(PostgresQueryTest, EveryStatementsResultComesBackInOrderWithItsKinds) {
  auto r = warehouse_->QueryAll(
      "SELECT 1 AS a; SELECT 'a;b' AS s, $$;COMMIT;$$ AS d; "
      "SELECT 2::bigint AS i, 129.90::numeric(12,2) AS m, 0.1::float8 + 0.2 AS f, true AS b, "
      "NULL::int AS n, 'x'::text AS t, '\\x41'::bytea AS y",
      {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_THAT(Lines((*r)[0]), ElementsAre("1"));
  EXPECT_THAT(Lines((*r)[1]), ElementsAre("a;b|;COMMIT;"));
  EXPECT_THAT((*r)[2].columns, ElementsAre("i", "m", "f", "b", "n", "t", "y"));
  EXPECT_THAT(Lines((*r)[2]), ElementsAre("2|129.90|0.30000000000000004|t|NULL|x|\\x41"));
  EXPECT_THAT(
      (*r)[2].kinds.at(0),
      ElementsAre(ValueKind::kInteger, ValueKind::kDecimal, ValueKind::kReal, ValueKind::kBoolean,
                  ValueKind::kNull, ValueKind::kText, ValueKind::kBlob));
}

}  // namespace
}  // namespace ecompipe::warehouse
