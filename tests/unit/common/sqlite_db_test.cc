#include "common/sqlite_db.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <stdexcept>
#include <string>

#include "common/ids.h"
#include "testing/temp_dir.h"

namespace ecompipe {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

using ::ecompipe::testing_util::TempDir;

std::unique_ptr<SqliteDb> OpenOrDie(const std::string& path, int busy_timeout_ms = 30000) {
  Result<std::unique_ptr<SqliteDb>> db = SqliteDb::Open(path, busy_timeout_ms);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return db.ok() ? std::move(db).value() : nullptr;
}

std::string QueryText(SqliteDb& db, const std::string& sql) {
  Result<SqliteStmt> q = db.Prepare(sql);
  EXPECT_TRUE(q.ok()) << q.status().ToString();
  if (!q.ok()) return "<error>";
  Result<bool> row = q->Step();
  EXPECT_TRUE(row.ok()) << row.status().ToString();
  return row.ok() && *row ? q->Text(0) : "<no row>";
}

int64_t Count(SqliteDb& db, const std::string& table) {
  return std::stoll(QueryText(db, "SELECT count(*) FROM " + table));
}

TEST(SqliteDbTest, OpenCreatesTheFileInWalMode) {
  TempDir dir;
  auto db = OpenOrDie(dir.File("state.db"));
  ASSERT_NE(db, nullptr);
  EXPECT_TRUE(fs::exists(dir.File("state.db")));
  EXPECT_EQ(QueryText(*db, "PRAGMA journal_mode"), "wal");
}

TEST(SqliteDbTest, OpenTurnsForeignKeysOn) {
  TempDir dir;
  auto db = OpenOrDie(dir.File("state.db"));
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(QueryText(*db, "PRAGMA foreign_keys"), "1");
}

TEST(SqliteDbTest, OpenInAMissingFolderIsAnIoErrorNamingThePath) {
  TempDir dir;
  std::string path = dir.File("no/such/folder/state.db");
  Result<std::unique_ptr<SqliteDb>> db = SqliteDb::Open(path);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kIoError);
  EXPECT_THAT(db.status().message(), HasSubstr(path));
}

TEST(SqliteDbTest, ExecSyntaxErrorIsInvalidArgumentWithSqliteMessage) {
  TempDir dir;
  auto db = OpenOrDie(dir.File("state.db"));
  ASSERT_NE(db, nullptr);
  Status s = db->Exec("CREATE TABLEE t(x)");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("syntax error"));
}

TEST(SqliteDbTest, PrepareErrorNamesTheProblem) {
  TempDir dir;
  auto db = OpenOrDie(dir.File("state.db"));
  ASSERT_NE(db, nullptr);
  Result<SqliteStmt> q = db->Prepare("SELECT * FROM missing_table");
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(q.status().message(), HasSubstr("missing_table"));
}

// Regression: text without a statement "prepared" to a null handle, and stepping it built a
// std::string from the null returned by sqlite3_sql().
TEST(SqliteDbTest, PreparingTextWithoutAStatementIsInvalidArgument) {
  TempDir dir;
  auto db = OpenOrDie(dir.File("state.db"));
  ASSERT_NE(db, nullptr);
  for (const char* sql : {"", "   ", "-- just a comment"}) {
    Result<SqliteStmt> q = db->Prepare(sql);
    ASSERT_FALSE(q.ok()) << "'" << sql << "'";
    EXPECT_EQ(q.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(q.status().message(), HasSubstr("no statement"));
  }
}

// Regression: a failed binding was ignored and the parameter silently stayed NULL.
TEST(SqliteDbTest, AFailedBindingFailsTheStep) {
  TempDir dir;
  auto db = OpenOrDie(dir.File("state.db"));
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->Exec("CREATE TABLE t(a TEXT, b TEXT)").ok());
  Result<SqliteStmt> ins = db->Prepare("INSERT INTO t VALUES(?, ?)");
  ASSERT_TRUE(ins.ok());
  Status s = ins->Bind(1, "a").Bind(3, "oops").Run();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("binding parameters of INSERT INTO t VALUES(?, ?)"));
  EXPECT_EQ(Count(*db, "t"), 0);
  ASSERT_TRUE(ins->Reset().ok());  // clears the error with the bindings
  EXPECT_TRUE(ins->Bind(1, "a").Bind(2, "b").Run().ok());
  EXPECT_EQ(Count(*db, "t"), 1);
}

TEST(SqliteDbTest, BindsAndReadsTextIntegersAndNull) {
  TempDir dir;
  auto db = OpenOrDie(dir.File("state.db"));
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->Exec("CREATE TABLE t(a TEXT, b INTEGER, c TEXT, d TEXT, e TEXT)").ok());
  Result<SqliteStmt> ins = db->Prepare("INSERT INTO t VALUES(?,?,?,?,?)");
  ASSERT_TRUE(ins.ok());
  const std::string with_nul("a\0b\xc3\xa9", 5);
  ASSERT_TRUE(ins->Bind(1, with_nul)
                  .Bind(2, int64_t{-9007199254740993})
                  .BindNull(3)
                  .BindOptional(4, std::string("opt"))
                  .BindOptional(5, std::nullopt)
                  .Run()
                  .ok());
  Result<SqliteStmt> q = db->Prepare("SELECT a, b, c, d, e FROM t");
  ASSERT_TRUE(q.ok());
  ASSERT_EQ(q->ColumnCount(), 5);
  EXPECT_EQ(q->ColumnName(1), "b");
  Result<bool> row = q->Step();
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ(q->Text(0), with_nul);  // embedded NUL and UTF-8 kept byte for byte
  EXPECT_EQ(q->Int(1), -9007199254740993);
  EXPECT_TRUE(q->IsNull(2));
  EXPECT_EQ(q->Text(2), "");
  EXPECT_EQ(q->Text(3), "opt");
  EXPECT_TRUE(q->IsNull(4));
  row = q->Step();
  ASSERT_TRUE(row.ok());
  EXPECT_FALSE(*row);
}

TEST(SqliteDbTest, ResetLetsAStatementRunAgainWithNewBindings) {
  TempDir dir;
  auto db = OpenOrDie(dir.File("state.db"));
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->Exec("CREATE TABLE t(x INTEGER)").ok());
  Result<SqliteStmt> ins = db->Prepare("INSERT INTO t VALUES(?)");
  ASSERT_TRUE(ins.ok());
  for (int64_t i = 1; i <= 3; ++i) {
    ASSERT_TRUE(ins->Bind(1, i).Run().ok());
    EXPECT_EQ(db->Changes(), 1);
    EXPECT_EQ(db->LastInsertId(), i);
    ASSERT_TRUE(ins->Reset().ok());
  }
  EXPECT_EQ(QueryText(*db, "SELECT group_concat(x) FROM t"), "1,2,3");
}

TEST(SqliteDbTest, AMovedStatementStillSteps) {
  TempDir dir;
  auto db = OpenOrDie(dir.File("state.db"));
  ASSERT_NE(db, nullptr);
  Result<SqliteStmt> q = db->Prepare("SELECT 42");
  ASSERT_TRUE(q.ok());
  SqliteStmt moved = std::move(q).value();
  Result<bool> row = moved.Step();
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ(moved.Int(0), 42);
}

TEST(SqliteDbTest, ConstraintViolationIsAnErrorNamingTheStatement) {
  TempDir dir;
  auto db = OpenOrDie(dir.File("state.db"));
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->Exec("CREATE TABLE t(x INTEGER PRIMARY KEY)").ok());
  ASSERT_TRUE(db->Exec("INSERT INTO t VALUES(1)").ok());
  Result<SqliteStmt> ins = db->Prepare("INSERT INTO t VALUES(1)");
  ASSERT_TRUE(ins.ok());
  Status s = ins->Run();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("INSERT INTO t VALUES(1)"));
  EXPECT_THAT(s.message(), HasSubstr("UNIQUE constraint failed"));
}

TEST(SqliteDbTest, TransactionCommitsWhenTheBodySucceeds) {
  TempDir dir;
  auto db = OpenOrDie(dir.File("state.db"));
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->Exec("CREATE TABLE t(x)").ok());
  Status s =
      db->Transaction([&] { return db->Exec("INSERT INTO t VALUES(1); INSERT INTO t VALUES(2)"); });
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto other = OpenOrDie(dir.File("state.db"));
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(Count(*other, "t"), 2);
}

TEST(SqliteDbTest, TransactionRollsBackWhenTheBodyFails) {
  TempDir dir;
  auto db = OpenOrDie(dir.File("state.db"));
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->Exec("CREATE TABLE t(x)").ok());
  Status s = db->Transaction([&]() -> Status {
    EP_RETURN_IF_ERROR(db->Exec("INSERT INTO t VALUES(1)"));
    return Status::Unavailable("target down");
  });
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_EQ(Count(*db, "t"), 0);
  EXPECT_TRUE(db->Transaction([&] { return db->Exec("INSERT INTO t VALUES(2)"); }).ok());
  EXPECT_EQ(Count(*db, "t"), 1);
}

// Regression: an exception from the body left the connection inside BEGIN IMMEDIATE, so every
// later transaction failed with "cannot start a transaction within a transaction".
TEST(SqliteDbTest, TransactionRollsBackWhenTheBodyThrows) {
  TempDir dir;
  auto db = OpenOrDie(dir.File("state.db"));
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->Exec("CREATE TABLE t(x)").ok());
  EXPECT_THROW((void)db->Transaction([&]() -> Status {
    (void)db->Exec("INSERT INTO t VALUES(1)");
    throw std::runtime_error("boom");
  }),
               std::runtime_error);
  EXPECT_EQ(Count(*db, "t"), 0);
  Status s = db->Transaction([&] { return db->Exec("INSERT INTO t VALUES(2)"); });
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(Count(*db, "t"), 1);
}

// Regression: a failed COMMIT (here a deferred foreign key) left the transaction open.
TEST(SqliteDbTest, TransactionRollsBackWhenCommitFails) {
  TempDir dir;
  auto db = OpenOrDie(dir.File("state.db"));
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->Exec("CREATE TABLE parent(id INTEGER PRIMARY KEY);"
                       "CREATE TABLE child(pid INTEGER REFERENCES parent(id) "
                       "DEFERRABLE INITIALLY DEFERRED)")
                  .ok());
  Status s = db->Transaction([&] { return db->Exec("INSERT INTO child VALUES(7)"); });
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("FOREIGN KEY"));
  EXPECT_EQ(Count(*db, "child"), 0);
  s = db->Transaction(
      [&] { return db->Exec("INSERT INTO parent VALUES(7); INSERT INTO child VALUES(7)"); });
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(Count(*db, "child"), 1);
}

TEST(SqliteDbTest, BusyWriterIsUnavailableAndRetryable) {
  TempDir dir;
  auto holder = OpenOrDie(dir.File("state.db"));
  auto waiter = OpenOrDie(dir.File("state.db"), /*busy_timeout_ms=*/0);
  ASSERT_NE(holder, nullptr);
  ASSERT_NE(waiter, nullptr);
  ASSERT_TRUE(holder->Exec("CREATE TABLE t(x)").ok());
  ASSERT_TRUE(holder->Exec("BEGIN IMMEDIATE").ok());
  Status s = waiter->Transaction([&] { return waiter->Exec("INSERT INTO t VALUES(1)"); });
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_TRUE(s.retryable());
  ASSERT_TRUE(holder->Exec("COMMIT").ok());
  EXPECT_TRUE(waiter->Transaction([&] { return waiter->Exec("INSERT INTO t VALUES(1)"); }).ok());
}

TEST(SqliteDbTest, ReadersSeeTheLastCommitWhileAWriterIsOpen) {
  TempDir dir;
  auto writer = OpenOrDie(dir.File("state.db"));
  auto reader = OpenOrDie(dir.File("state.db"), /*busy_timeout_ms=*/0);
  ASSERT_NE(writer, nullptr);
  ASSERT_NE(reader, nullptr);
  ASSERT_TRUE(writer->Exec("CREATE TABLE t(x); INSERT INTO t VALUES(1)").ok());
  ASSERT_TRUE(writer->Exec("BEGIN IMMEDIATE; INSERT INTO t VALUES(2)").ok());
  EXPECT_EQ(Count(*reader, "t"), 1);  // WAL: not blocked, and no uncommitted row
  ASSERT_TRUE(writer->Exec("COMMIT").ok());
  EXPECT_EQ(Count(*reader, "t"), 2);
}

TEST(SqliteDbTest, SqliteErrorMapsResultCodes) {
  EXPECT_EQ(SqliteError(nullptr, SQLITE_BUSY, "x").code(), StatusCode::kUnavailable);
  EXPECT_EQ(SqliteError(nullptr, SQLITE_LOCKED, "x").code(), StatusCode::kUnavailable);
  EXPECT_EQ(SqliteError(nullptr, SQLITE_BUSY_SNAPSHOT, "x").code(), StatusCode::kUnavailable);
  EXPECT_EQ(SqliteError(nullptr, SQLITE_IOERR_WRITE, "x").code(), StatusCode::kIoError);
  EXPECT_EQ(SqliteError(nullptr, SQLITE_FULL, "x").code(), StatusCode::kIoError);
  EXPECT_EQ(SqliteError(nullptr, SQLITE_CANTOPEN, "x").code(), StatusCode::kIoError);
  EXPECT_EQ(SqliteError(nullptr, SQLITE_READONLY, "x").code(), StatusCode::kIoError);
  EXPECT_EQ(SqliteError(nullptr, SQLITE_CONSTRAINT, "x").code(), StatusCode::kInvalidArgument);
  Status s = SqliteError(nullptr, SQLITE_FULL, "writing the log");
  EXPECT_THAT(s.message(), HasSubstr("writing the log: "));
  EXPECT_THAT(s.message(), HasSubstr("full"));
}

}  // namespace
}  // namespace ecompipe
