#include "common/sql_db.h"

#include <gtest/gtest.h>

#include <string>

#include "common/internal/sql_backends.h"
#include "testing/state_db.h"

namespace ecompipe {
namespace {

using testing_util::StateDb;

class SqlDbTest : public ::testing::TestWithParam<std::string> {};
INSTANTIATE_TEST_SUITE_P(Backends, SqlDbTest, testing_util::StateBackends(),
                         testing_util::StateBackendName);

std::unique_ptr<SqlDb> OpenOrDie(const StateDb& db) {
  Result<std::unique_ptr<SqlDb>> sql = OpenSqlDb(db.location());
  EXPECT_TRUE(sql.ok()) << sql.status().ToString();
  return sql.ok() ? std::move(*sql) : nullptr;
}

Status MakeTable(SqlDb& db) {
  return db.ExecScript(std::string("CREATE TABLE t (id ") + std::string(db.AutoIdPrimaryKey()) +
                       ", name TEXT NOT NULL UNIQUE, n BIGINT)");
}

TEST(SqlDbParamsTest, QuestionMarksBecomeDollarNumbersOutsideQuotes) {
  EXPECT_EQ(internal::ToDollarParams("SELECT ?, ?"), "SELECT $1, $2");
  EXPECT_EQ(internal::ToDollarParams("WHERE a = ?2 AND b = ?1 AND c = ?"),
            "WHERE a = $2 AND b = $1 AND c = $3");
  EXPECT_EQ(internal::ToDollarParams("SELECT '?', \"a?\", ? -- why?\n, ?"),
            "SELECT '?', \"a?\", $1 -- why?\n, $2");
  EXPECT_EQ(internal::ToDollarParams("SELECT 'it''s ?', ?10"), "SELECT 'it''s ?', $10");
}

TEST_P(SqlDbTest, BoundValuesRoundTrip) {
  StateDb state(GetParam());
  auto db = OpenOrDie(state);
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(MakeTable(*db).ok());
  Result<SqlRows> ins = db->Query("INSERT INTO t(name, n) VALUES(?, ?) RETURNING id",
                                  {std::string("a'b\"c ü"), int64_t{1} << 40});
  ASSERT_TRUE(ins.ok()) << ins.status().ToString();
  ASSERT_EQ(ins->size(), 1u);
  ASSERT_TRUE(db->Exec("INSERT INTO t(name, n) VALUES(?, ?)", {"null-n", nullptr}).ok());
  Result<SqlRows> rows = db->Query("SELECT name, n FROM t ORDER BY id");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ(rows->Text(0, 0), "a'b\"c ü");
  EXPECT_EQ(rows->Int(0, 1), int64_t{1} << 40);
  EXPECT_TRUE(rows->IsNull(1, 1));
  EXPECT_EQ(rows->columns, (std::vector<std::string>{"name", "n"}));
}

TEST_P(SqlDbTest, ExecCountsChangedRows) {
  StateDb state(GetParam());
  auto db = OpenOrDie(state);
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(MakeTable(*db).ok());
  for (const char* name : {"a", "b", "c"})
    ASSERT_TRUE(db->Exec("INSERT INTO t(name) VALUES(?)", {name}).ok());
  EXPECT_EQ(*db->Exec("UPDATE t SET n = 1 WHERE name <> ?", {"a"}), 2);
  EXPECT_EQ(*db->Exec("DELETE FROM t WHERE name = ?", {"zzz"}), 0);
}

TEST_P(SqlDbTest, UniqueViolationIsAlreadyExists) {
  StateDb state(GetParam());
  auto db = OpenOrDie(state);
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(MakeTable(*db).ok());
  ASSERT_TRUE(db->Exec("INSERT INTO t(name) VALUES(?)", {"a"}).ok());
  Result<int64_t> again = db->Exec("INSERT INTO t(name) VALUES(?)", {"a"});
  ASSERT_FALSE(again.ok());
  if (state.postgres()) {
    EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  }
  // ON CONFLICT makes the same insert a no-op on both.
  EXPECT_EQ(*db->Exec("INSERT INTO t(name) VALUES(?) ON CONFLICT DO NOTHING", {"a"}), 0);
}

TEST_P(SqlDbTest, AFailedTransactionLeavesNothing) {
  StateDb state(GetParam());
  auto db = OpenOrDie(state);
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(MakeTable(*db).ok());
  Status s = db->Transaction([&]() -> Status {
    EP_RETURN_IF_ERROR(db->Exec("INSERT INTO t(name) VALUES(?)", {"a"}).status());
    return Status::Internal("give up");
  });
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_EQ(db->Query("SELECT count(*) FROM t")->Int(0, 0), 0);
  ASSERT_TRUE(db->ConcurrentTransaction([&]() -> Status {
                  return db->Exec("INSERT INTO t(name) VALUES(?)", {"b"}).status();
                }).ok());
  EXPECT_EQ(db->Query("SELECT count(*) FROM t")->Int(0, 0), 1);
}

// A connection lost inside a transaction is not replaced mid-way: the rest of the transaction
// would run outside it and commit part of it. The transaction fails and leaves nothing; the
// statement after it reconnects.
TEST(SqlDbPostgresTest, AConnectionLostInsideATransactionFailsItAndCommitsNothing) {
  StateDb state("postgres");
  auto db = OpenOrDie(state);
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(MakeTable(*db).ok());
  auto admin = PostgresDb::Connect(testing_util::PgTestUrl());
  ASSERT_TRUE(admin.ok()) << admin.status().ToString();
  Status second = Status::Ok(), third = Status::Ok();
  Status s = db->Transaction([&]() -> Status {
    EP_RETURN_IF_ERROR(db->Exec("INSERT INTO t(name) VALUES(?)", {"first"}).status());
    EP_ASSIGN_OR_RETURN(SqlRows pid, db->Query("SELECT pg_backend_pid()"));
    testing_util::TerminateBackend(**admin, pid.Text(0, 0));
    second = db->Exec("INSERT INTO t(name) VALUES(?)", {"second"}).status();  // finds it lost
    third = db->Exec("INSERT INTO t(name) VALUES(?)", {"third"}).status();
    return Status::Ok();  // as a body that does not look at every statement's result
  });
  EXPECT_FALSE(second.ok());
  EXPECT_FALSE(third.ok());
  EXPECT_FALSE(s.ok());
  Result<SqlRows> rows = db->Query("SELECT count(*) FROM t");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->Int(0, 0), 0);
}

TEST_P(SqlDbTest, HasColumnSeesAddedColumns) {
  StateDb state(GetParam());
  auto db = OpenOrDie(state);
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(MakeTable(*db).ok());
  EXPECT_TRUE(*db->HasColumn("t", "name"));
  EXPECT_FALSE(*db->HasColumn("t", "extra"));
  ASSERT_TRUE(db->ExecScript("ALTER TABLE t ADD COLUMN extra TEXT").ok());
  EXPECT_TRUE(*db->HasColumn("t", "extra"));
}

TEST(SqlDbOpenTest, PostgresUrlsAreRecognised) {
  EXPECT_TRUE(IsPostgresUrl("postgresql://u@h/db"));
  EXPECT_TRUE(IsPostgresUrl("postgres://h"));
  EXPECT_FALSE(IsPostgresUrl("/var/lib/ecompipe/state.db"));
  EXPECT_FALSE(IsPostgresUrl("state.db"));
}

TEST(SqlDbOpenTest, AnUnreachableServerIsUnavailableAndHidesThePassword) {
  Result<std::unique_ptr<SqlDb>> db =
      OpenSqlDb("postgresql://ep:s3cret@127.0.0.1:1/ep?connect_timeout=2");
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(db.status().ToString().find("s3cret"), std::string::npos) << db.status().ToString();
}

}  // namespace
}  // namespace ecompipe
