#include "common/postgres_db.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <cstdlib>
#include <string>

#include "testing/pg_test.h"

namespace ecompipe {
namespace {

using ::ecompipe::testing_util::PgTestSchema;
using ::ecompipe::testing_util::PgTestUrl;
using ::testing::HasSubstr;
using ::testing::Not;

std::unique_ptr<PostgresDb> ConnectOrDie(const std::string& url) {
  auto db = PostgresDb::Connect(url);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return db.ok() ? std::move(db).value() : nullptr;
}

// The test server's connection settings, as libpq parses its URL.
std::string UrlPart(const char* keyword) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(PgTestUrl().c_str(), &err);
  std::string value;
  for (PQconninfoOption* o = opts; o && o->keyword; ++o) {
    if (std::string_view(o->keyword) == keyword && o->val) value = o->val;
  }
  PQconninfoFree(opts);
  PQfreemem(err);
  return value;
}

TEST(PostgresDbTest, QueryWithParametersReturnsRowsAndNulls) {
  EP_REQUIRE_TEST_PG();
  PgTestSchema schema;
  auto db = ConnectOrDie(schema.url());
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->Exec("CREATE TABLE t (id INT PRIMARY KEY, name TEXT, price DECIMAL(10,2))").ok());
  ASSERT_TRUE(db->Query("INSERT INTO t VALUES ($1, $2, $3)", {1, "o'neil", "12.50"}).ok());
  ASSERT_TRUE(
      db->Query("INSERT INTO t VALUES ($1, $2, $3)", {2, std::nullopt, std::string("0.10")}).ok());
  auto rows = db->Query("SELECT id, name, price FROM t WHERE id >= $1 ORDER BY id", {int64_t{1}});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->Rows(), 2);
  EXPECT_EQ(rows->Columns(), 3);
  EXPECT_EQ(rows->ColumnName(2), "price");
  EXPECT_EQ(rows->Int(0, 0), 1);
  EXPECT_EQ(rows->Text(0, 1), "o'neil");
  EXPECT_EQ(rows->Text(0, 2), "12.50");
  EXPECT_TRUE(rows->IsNull(1, 1));
  EXPECT_EQ(rows->Optional(1, 1), std::nullopt);
  EXPECT_EQ(rows->Text(1, 2), "0.10");
  // The table really is in the test's schema (search_path from the URL).
  auto where = db->Query(
      "SELECT table_schema FROM information_schema.tables WHERE table_name = 't' AND table_schema "
      "= $1",
      {schema.name()});
  ASSERT_TRUE(where.ok());
  EXPECT_EQ(where->Rows(), 1);
}

TEST(PostgresDbTest, QueryMultiReturnsTheLastStatementsRows) {
  EP_REQUIRE_TEST_PG();
  PgTestSchema schema;
  auto db = ConnectOrDie(schema.url());
  ASSERT_TRUE(db);
  auto rows =
      db->QueryMulti("CREATE TABLE m (x INT); INSERT INTO m VALUES (7), (8); SELECT sum(x) FROM m");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->Int(0, 0), 15);
}

TEST(PostgresDbTest, TransactionRollsBackWhenTheBodyFails) {
  EP_REQUIRE_TEST_PG();
  PgTestSchema schema;
  auto db = ConnectOrDie(schema.url());
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->Exec("CREATE TABLE t (id INT PRIMARY KEY)").ok());
  Status s = db->Transaction([&]() -> Status {
    EP_RETURN_IF_ERROR(db->Exec("INSERT INTO t VALUES (1)"));
    return db->Exec("INSERT INTO t VALUES (1)");  // unique violation
  });
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("23505"));
  auto n = db->Query("SELECT count(*) FROM t");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->Int(0, 0), 0);
  EXPECT_TRUE(db->Transaction([&] { return db->Exec("INSERT INTO t VALUES (2)"); }).ok());
  n = db->Query("SELECT count(*) FROM t");
  EXPECT_EQ(n->Int(0, 0), 1);
}

TEST(PostgresDbTest, CopyTextAndBinaryCountRows) {
  EP_REQUIRE_TEST_PG();
  PgTestSchema schema;
  auto db = ConnectOrDie(schema.url());
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->Exec("CREATE TABLE c (id INT, name TEXT)").ok());
  ASSERT_TRUE(db->BeginCopy("COPY c FROM STDIN").ok());
  EXPECT_TRUE(db->InCopy());
  ASSERT_TRUE(db->PutCopy("1\tone\n2\t").ok());
  ASSERT_TRUE(db->PutCopy("two\n3\t\\N\n").ok());
  auto rows = db->EndCopy();
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(*rows, 3);
  EXPECT_FALSE(db->InCopy());

  // Binary: signature, flags, extension length, one tuple of (int4 4, text "four"), trailer.
  std::string bin("PGCOPY\n\377\r\n\0", 11);
  bin += std::string("\0\0\0\0\0\0\0\0", 8);
  bin += std::string("\0\2", 2);
  bin += std::string("\0\0\0\4\0\0\0\4", 8);
  bin += std::string("\0\0\0\4four", 8);
  bin += std::string("\377\377", 2);
  ASSERT_TRUE(db->BeginCopy("COPY c FROM STDIN (FORMAT binary)").ok());
  ASSERT_TRUE(db->PutCopy(bin).ok());
  rows = db->EndCopy();
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(*rows, 1);
  auto check = db->Query("SELECT count(*), max(id), count(name) FROM c");
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check->Int(0, 0), 4);
  EXPECT_EQ(check->Int(0, 1), 4);
  EXPECT_EQ(check->Int(0, 2), 3);
}

TEST(PostgresDbTest, CopyOutStreamsRowsAndStopsCallingAfterAnError) {
  EP_REQUIRE_TEST_PG();
  auto db = ConnectOrDie(PgTestUrl());
  ASSERT_TRUE(db);
  std::vector<std::string> rows;
  Status s = db->CopyOut("COPY (SELECT g, 'x\ty' FROM generate_series(1, 3) g) TO STDOUT",
                         [&](std::string_view r) {
                           rows.emplace_back(r);
                           return Status::Ok();
                         });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(rows, (std::vector<std::string>{"1\tx\\ty\n", "2\tx\\ty\n", "3\tx\\ty\n"}));
  int calls = 0;
  s = db->CopyOut("COPY (SELECT g FROM generate_series(1, 1000) g) TO STDOUT",
                  [&](std::string_view) {
                    ++calls;
                    return Status::CorruptInput("stop here");
                  });
  EXPECT_EQ(s.code(), StatusCode::kCorruptInput);
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(db->Exec("SELECT 1").ok());  // the rest was drained
  EXPECT_EQ(
      db->CopyOut("COPY no_such_table TO STDOUT", [](std::string_view) { return Status::Ok(); })
          .code(),
      StatusCode::kNotFound);
}

TEST(PostgresDbTest, BadCopyDataIsCorruptInputAndTheConnectionStaysUsable) {
  EP_REQUIRE_TEST_PG();
  PgTestSchema schema;
  auto db = ConnectOrDie(schema.url());
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->Exec("CREATE TABLE c (id INT)").ok());
  ASSERT_TRUE(db->BeginCopy("COPY c FROM STDIN").ok());
  ASSERT_TRUE(db->PutCopy("1\nnot-a-number\n").ok());
  auto rows = db->EndCopy();
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().code(), StatusCode::kCorruptInput) << rows.status().ToString();
  EXPECT_THAT(rows.status().message(), HasSubstr("not-a-number"));
  // AbortCopy rolls the COPY back as well.
  ASSERT_TRUE(db->BeginCopy("COPY c FROM STDIN").ok());
  ASSERT_TRUE(db->PutCopy("5\n").ok());
  ASSERT_TRUE(db->AbortCopy("test abort").ok());
  auto n = db->Query("SELECT count(*) FROM c");
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(n->Int(0, 0), 0);
}

TEST(PostgresDbTest, SqlErrorsMapToCodes) {
  EP_REQUIRE_TEST_PG();
  PgTestSchema schema;
  auto db = ConnectOrDie(schema.url());
  ASSERT_TRUE(db);
  Status syntax = db->Exec("SELEC 1");
  EXPECT_EQ(syntax.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(syntax.message(), HasSubstr("syntax error"));
  EXPECT_THAT(syntax.message(), HasSubstr("42601"));
  EXPECT_EQ(db->Exec("SELECT * FROM no_such_table").code(), StatusCode::kNotFound);
  EXPECT_EQ(db->Query("SELECT 1/0").status().code(), StatusCode::kCorruptInput);
  EXPECT_EQ(db->Exec("SET statement_timeout = 50; SELECT pg_sleep(2)").code(),
            StatusCode::kTimeout);
}

TEST(PostgresDbTest, ATerminatedSessionIsUnavailableAndResetReconnects) {
  EP_REQUIRE_TEST_PG();
  auto db = ConnectOrDie(PgTestUrl());
  auto other = ConnectOrDie(PgTestUrl());
  ASSERT_TRUE(db && other);
  auto pid = db->Query("SELECT pg_backend_pid()");
  ASSERT_TRUE(pid.ok());
  ASSERT_TRUE(other->Query("SELECT pg_terminate_backend($1)", {std::string(pid->Text(0, 0))}).ok());
  Status s = db->Exec("SELECT 1");
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_TRUE(s.retryable());
  EXPECT_FALSE(db->Healthy());
  ASSERT_TRUE(db->Reset().ok());
  EXPECT_TRUE(db->Exec("SELECT 1").ok());
}

TEST(PostgresDbTest, AServerGoneWhileIdleIsNoticedAndReconnectedBeforeTheNextStatement) {
  EP_REQUIRE_TEST_PG();
  auto db = ConnectOrDie(PgTestUrl());
  auto other = ConnectOrDie(PgTestUrl());
  ASSERT_TRUE(db && other);
  auto live = db->ReconnectIfLost();
  ASSERT_TRUE(live.ok());
  EXPECT_FALSE(*live);  // a live idle connection is left as it is
  const std::string pid(db->Query("SELECT pg_backend_pid()")->Text(0, 0));
  testing_util::TerminateBackend(*other, pid);
  EXPECT_TRUE(db->Healthy());  // libpq cannot know yet
  auto reconnected = db->ReconnectIfLost();
  ASSERT_TRUE(reconnected.ok()) << reconnected.status().ToString();
  EXPECT_TRUE(*reconnected);
  auto now = db->Query("SELECT pg_backend_pid()");
  ASSERT_TRUE(now.ok()) << now.status().ToString();
  EXPECT_NE(std::string(now->Text(0, 0)), pid);
}

TEST(PostgresDbTest, InsideATransactionALostServerIsLeftToTheTransactionsStatements) {
  EP_REQUIRE_TEST_PG();
  auto db = ConnectOrDie(PgTestUrl());
  auto other = ConnectOrDie(PgTestUrl());
  ASSERT_TRUE(db && other);
  ASSERT_TRUE(db->Exec("BEGIN").ok());
  const std::string pid(db->Query("SELECT pg_backend_pid()")->Text(0, 0));
  testing_util::TerminateBackend(*other, pid);
  auto r = db->ReconnectIfLost();
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);  // a new connection would silently lose the transaction's work
  Status s = db->Exec("SELECT 1");
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
}

TEST(PostgresDbTest, PasswordEnvIsTakenOutOfTheConnInfo) {
  auto take = [](std::string conninfo) {
    std::string name = TakePasswordEnv(conninfo);
    return name + " | " + conninfo;
  };
  EXPECT_EQ(take("postgresql://u@h/db?password_env=PW"), "PW | postgresql://u@h/db");
  EXPECT_EQ(take("postgresql://u@h/db?password_env=PW&sslmode=require"),
            "PW | postgresql://u@h/db?sslmode=require");
  EXPECT_EQ(take("postgresql://u@h/db?sslmode=require&password_env=PW"),
            "PW | postgresql://u@h/db?sslmode=require");
  EXPECT_EQ(take("postgresql://u@h/db?a=1&password_env=PW&b=2"),
            "PW | postgresql://u@h/db?a=1&b=2");
  EXPECT_EQ(take("postgresql://u@h/db?sslmode=require"), " | postgresql://u@h/db?sslmode=require");
  EXPECT_EQ(take("host=h password_env=PW user=u"), "PW | host=h  user=u");
  EXPECT_EQ(take("password_env=PW"), "PW | ");
  EXPECT_EQ(take("host=h"), " | host=h");
  EXPECT_EQ(WithPasswordEnv("postgresql://u@h/db", "PW"), "postgresql://u@h/db?password_env=PW");
  EXPECT_EQ(WithPasswordEnv("postgresql://u@h/db?sslmode=require", "PW"),
            "postgresql://u@h/db?sslmode=require&password_env=PW");
  EXPECT_EQ(WithPasswordEnv("host=h", "PW"), "host=h password_env=PW");
  EXPECT_EQ(WithPasswordEnv("", "PW"), "password_env=PW");
  EXPECT_EQ(WithPasswordEnv("host=h", ""), "host=h");
}

TEST(PostgresDbTest, PasswordEnvUnsetOrMalformedIsAConfigurationError) {
  unsetenv("EP_TEST_UNSET_PASSWORD");
  auto db =
      PostgresDb::Connect("postgresql://u@127.0.0.1:1/db?password_env=EP_TEST_UNSET_PASSWORD", 2);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(db.status().message(),
              HasSubstr("environment variable EP_TEST_UNSET_PASSWORD, which is not set"));
  auto bad = PostgresDb::Connect("host=127.0.0.1 password_env=1-x", 2);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("password_env must name an environment variable"));
}

TEST(PostgresDbTest, PasswordFromTheEnvironmentIsSentAndNeverInMessages) {
  EP_REQUIRE_TEST_PG();
  setenv("EP_TEST_PG_PASSWORD", "env-s3cret-pw", 1);
  // The connection holds the password from the variable (libpq sends it when the server asks).
  auto db = PostgresDb::Connect(WithPasswordEnv(PgTestUrl(), "EP_TEST_PG_PASSWORD"));
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  const char* held = PQpass((*db)->raw());
  EXPECT_EQ(std::string(held ? held : ""), "env-s3cret-pw");
  EXPECT_THAT((*db)->Describe(), Not(HasSubstr("env-s3cret-pw")));
  Status s = (*db)->Exec("SELECT 'env-s3cret-pw' + 1");  // an error quoting it
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), Not(HasSubstr("env-s3cret-pw")));
  auto down =
      PostgresDb::Connect("postgresql://u@127.0.0.1:1/db?password_env=EP_TEST_PG_PASSWORD", 2);
  unsetenv("EP_TEST_PG_PASSWORD");
  ASSERT_FALSE(down.ok());
  EXPECT_THAT(down.status().message(), Not(HasSubstr("env-s3cret-pw")));
}

TEST(PostgresDbTest, UnreachableServerIsUnavailableAndNamesTheServerNotThePassword) {
  auto db = PostgresDb::Connect("postgresql://loader:s3cretpw@127.0.0.1:1/warehouse_db", 3);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(db.status().retryable());
  EXPECT_THAT(db.status().message(),
              HasSubstr("host=127.0.0.1 port=1 dbname=warehouse_db user=loader"));
  EXPECT_THAT(db.status().message(), Not(HasSubstr("s3cretpw")));
}

TEST(PostgresDbTest, MalformedUrlIsInvalidArgumentWithoutThePassword) {
  auto db = PostgresDb::Connect("postgresql://loader:s3cretpw@127.0.0.1:1/db?nosuchoption=1");
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(db.status().message(), HasSubstr("nosuchoption"));
  EXPECT_THAT(db.status().message(), Not(HasSubstr("s3cretpw")));
  auto kv = PostgresDb::Connect("host=127.0.0.1 password='s3cret pw' sslmode=bogus");
  ASSERT_FALSE(kv.ok());
  EXPECT_EQ(kv.status().code(), StatusCode::kInvalidArgument) << kv.status().ToString();
  EXPECT_THAT(kv.status().message(), Not(HasSubstr("s3cret")));
}

TEST(PostgresDbTest, UnknownDatabaseOrRoleIsNotRetryable) {
  EP_REQUIRE_TEST_PG();
  std::string base =
      "postgresql://postgres:pw_not_shown@" + UrlPart("host") + ":" + UrlPart("port");
  auto db = PostgresDb::Connect(base + "/no_such_db_here");
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kInvalidArgument) << db.status().ToString();
  EXPECT_THAT(db.status().message(), HasSubstr("dbname=no_such_db_here"));
  EXPECT_THAT(db.status().message(), HasSubstr("does not exist"));
  EXPECT_THAT(db.status().message(), Not(HasSubstr("pw_not_shown")));
  auto role = PostgresDb::Connect("postgresql://nobody_role:pw_not_shown@" + UrlPart("host") + ":" +
                                  UrlPart("port") + "/postgres");
  ASSERT_FALSE(role.ok());
  EXPECT_EQ(role.status().code(), StatusCode::kInvalidArgument) << role.status().ToString();
  EXPECT_THAT(role.status().message(), Not(HasSubstr("pw_not_shown")));
}

TEST(PostgresDbTest, SslRequiredAgainstAServerWithoutSslIsAClearError) {
  EP_REQUIRE_TEST_PG();
  auto db = PostgresDb::Connect(testing_util::PgUrlWith(PgTestUrl(), "sslmode=require"));
  ASSERT_FALSE(db.ok());  // the test server runs without SSL: libpq honours sslmode=require
  EXPECT_EQ(db.status().code(), StatusCode::kInvalidArgument) << db.status().ToString();
  EXPECT_THAT(db.status().message(), HasSubstr("SSL"));
}

TEST(PostgresDbTest, EmptyConnInfoUsesTheStandardEnvironmentVariables) {
  EP_REQUIRE_TEST_PG();
  setenv("PGHOST", UrlPart("host").c_str(), 1);
  setenv("PGPORT", UrlPart("port").c_str(), 1);
  setenv("PGUSER", UrlPart("user").c_str(), 1);
  setenv("PGDATABASE", UrlPart("dbname").c_str(), 1);
  auto db = PostgresDb::Connect("");
  unsetenv("PGHOST");
  unsetenv("PGPORT");
  unsetenv("PGUSER");
  unsetenv("PGDATABASE");
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_THAT((*db)->Describe(), HasSubstr("port=" + UrlPart("port")));
  EXPECT_GE((*db)->ServerVersion(), 150000);
}

TEST(PostgresDbTest, RedactConnInfoHidesPasswords) {
  EXPECT_EQ(RedactConnInfo("postgresql://u:secret@h:5432/db"), "postgresql://u:REDACTED@h:5432/db");
  EXPECT_EQ(RedactConnInfo("postgres://u@h/db"), "postgres://u@h/db");
  EXPECT_EQ(RedactConnInfo("postgres://h/db?user=u&password=secret"),
            "postgres://h/db?user=u&password=REDACTED");
  EXPECT_EQ(RedactConnInfo("host=h password=secret user=u"), "host=h password=*** user=u");
  EXPECT_EQ(RedactConnInfo("host=h password = 'a b' user=u"), "host=h password = '***' user=u");
}

TEST(PostgresDbTest, QuotesIdentifiersAndLiterals) {
  EXPECT_EQ(PgQuoteIdent("my \"schema\""), "\"my \"\"schema\"\"\"");
  EXPECT_EQ(PgQuoteLiteral("it's"), "'it''s'");
}

TEST(PostgresDbTest, SqlStateCodes) {
  EXPECT_EQ(PgSqlStateCode("08006"), StatusCode::kUnavailable);
  EXPECT_EQ(PgSqlStateCode("57P01"), StatusCode::kUnavailable);
  EXPECT_EQ(PgSqlStateCode("40001"), StatusCode::kUnavailable);
  EXPECT_EQ(PgSqlStateCode("53300"), StatusCode::kUnavailable);
  EXPECT_EQ(PgSqlStateCode("23505"), StatusCode::kAlreadyExists);
  EXPECT_EQ(PgSqlStateCode("22P02"), StatusCode::kCorruptInput);
  EXPECT_EQ(PgSqlStateCode("42601"), StatusCode::kInvalidArgument);
  EXPECT_EQ(PgSqlStateCode("28P01"), StatusCode::kInvalidArgument);
  EXPECT_EQ(PgSqlStateCode("XX000"), StatusCode::kIoError);
}

}  // namespace
}  // namespace ecompipe
