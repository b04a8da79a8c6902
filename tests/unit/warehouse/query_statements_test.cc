#include "warehouse/postgres/query_statements.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ecompipe::warehouse {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::vector<std::string> Split(std::string_view sql) {
  auto r = SplitPgStatements(sql);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : std::vector<std::string>{};
}

TEST(SplitPgStatementsTest, SplitsAtSemicolonsOutsideQuotesAndComments) {
  EXPECT_THAT(Split("SELECT 1; SELECT 2"), ElementsAre("SELECT 1", "SELECT 2"));
  EXPECT_THAT(Split("  SELECT 1 ;;\n ; "), ElementsAre("SELECT 1"));
  EXPECT_THAT(Split("SELECT 'a;b', \"c;d\" FROM t; SELECT 'it''s;'"),
              ElementsAre("SELECT 'a;b', \"c;d\" FROM t", "SELECT 'it''s;'"));
  EXPECT_THAT(Split("SELECT E'x\\';y'; SELECT 2"), ElementsAre("SELECT E'x\\';y'", "SELECT 2"));
  EXPECT_THAT(Split("SELECT $$a;b$$, $tag$ $$; $tag$; SELECT 2"),
              ElementsAre("SELECT $$a;b$$, $tag$ $$; $tag$", "SELECT 2"));
  EXPECT_THAT(Split("SELECT 1 -- a; comment\n; /* b; /* nested; */ c; */ SELECT 2"),
              ElementsAre("SELECT 1", "SELECT 2"));
  EXPECT_THAT(Split("SELECT a$b$c FROM t; SELECT $1"),
              ElementsAre("SELECT a$b$c FROM t", "SELECT $1"));
  EXPECT_THAT(Split("-- only a comment\n /* and another */ ;"), IsEmpty());
  EXPECT_THAT(Split(""), IsEmpty());
}

TEST(SplitPgStatementsTest, UnterminatedQuotesAndCommentsAreErrors) {
  for (const char* sql :
       {"SELECT 'x; DELETE FROM t", "SELECT \"x", "SELECT $$x; DELETE FROM t", "SELECT $a$ x $b$",
        "SELECT 1 /* x", "SELECT 1 /* /* */", "SELECT E'\\'"}) {
    SCOPED_TRACE(sql);
    auto r = SplitPgStatements(sql);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(r.status().message(), HasSubstr("unterminated"));
  }
}

struct Case {
  const char* sql;
  bool write;
  const char* refused;  // part of the message, or nullptr when allowed
};

TEST(CheckPgStatementTest, RefusesWhatARollbackCannotUndoAndWhatEscapesTheTransaction) {
  const Case cases[] = {
      // Reads and harmless statements.
      {"SELECT * FROM fact_transactions", false, nullptr},
      {"(SELECT 1) UNION (SELECT 2)", false, nullptr},
      {"WITH x AS (SELECT 1) SELECT * FROM x", false, nullptr},
      {"EXPLAIN SELECT 1", false, nullptr},
      {"SHOW search_path", false, nullptr},
      {"SET search_path TO x", false, nullptr},
      {"SET SESSION AUTHORIZATION DEFAULT", false, nullptr},
      {"SELECT 'lo_export(1)' AS text_not_a_call", false, nullptr},
      {"SELECT lo_export_count FROM t", false, nullptr},
      {"DELETE FROM load_ledger", false, nullptr},  // the read-only transaction refuses it
      // Transaction control: refused read-only, allowed with --write.
      {"COMMIT", false, "transaction control"},
      {"commit and chain", false, "transaction control"},
      {"BEGIN READ WRITE", false, "transaction control"},
      {"start transaction", false, "transaction control"},
      {"END", false, "transaction control"},
      {"ROLLBACK", false, "transaction control"},
      {"ABORT", false, "transaction control"},
      {"SAVEPOINT s", false, "transaction control"},
      {"RELEASE SAVEPOINT s", false, "transaction control"},
      {"PREPARE TRANSACTION 'x'", false, "transaction control"},
      {"COMMIT PREPARED 'x'", false, "transaction control"},
      {"/* c */ ( COMMIT", false, "transaction control"},
      {"COMMIT", true, nullptr},
      {"BEGIN", true, nullptr},
      {"PREPARE q AS SELECT 1", false, nullptr},
      // Making the transaction read-write.
      {"SET TRANSACTION READ WRITE", false, "cannot be changed"},
      {"SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE", false, "cannot be changed"},
      {"SET transaction_read_only = off", false, "cannot be changed"},
      {"set session TRANSACTION_READ_ONLY to off", false, "cannot be changed"},
      {"SET LOCAL \"Transaction_Read_Only\" = off", false, "cannot be changed"},
      {"RESET transaction_read_only", false, "cannot be changed"},
      {"SET default_transaction_read_only = off", false, "cannot be changed"},
      {"SET TRANSACTION READ WRITE", true, nullptr},
      // Refused with or without --write.
      {"COPY t TO '/tmp/x'", true, "COPY"},
      {"copy (select 1) to program 'id'", false, "COPY"},
      {"COPY t FROM STDIN", true, "COPY"},
      {"LOAD 'auto_explain'", true, "LOAD"},
      {"DO $$ BEGIN NULL; END $$", true, "DO blocks"},
      {"CREATE EXTENSION dblink", true, "EXTENSION"},
      {"create or replace extension x", true, "EXTENSION"},
      {"ALTER EXTENSION x UPDATE", true, "EXTENSION"},
      {"CREATE TRUSTED PROCEDURAL LANGUAGE plx", true, "LANGUAGE"},
      {"CREATE FUNCTION f() RETURNS int AS '/lib.so', 'f' LANGUAGE C", true, "LANGUAGE c"},
      {"CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE 'c' AS 'x'", true, "LANGUAGE c"},
      {"CREATE FUNCTION f() RETURNS int LANGUAGE internal AS 'int4in'", true, "LANGUAGE c"},
      {"CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'", true, nullptr},
      {"SELECT pg_read_file('/etc/passwd')", true, "pg_read_file()"},
      {"SELECT pg_catalog.pg_read_binary_file('/x')", false, "pg_read_binary_file()"},
      {"SELECT lo_import('/etc/passwd')", true, "lo_import()"},
      {"SELECT LO_EXPORT /* c */ (1, '/tmp/x')", false, "lo_export()"},
      {"SELECT \"lo_export\"(1, '/tmp/x')", false, "lo_export()"},
      {"SELECT U&\"lo\\005fexport\"(1, '/tmp/x')", false, "U&"},
      {"SELECT query_to_xml('select 1', true, true, '')", true, "query_to_xml()"},
      {"SELECT ts_stat('select v from t')", false, "ts_stat()"},
      {"SELECT dblink_exec('dbname=x', 'DELETE FROM t')", true, "dblink_exec()"},
      {"SELECT pg_terminate_backend(1)", true, "pg_terminate_backend()"},
      {"SELECT pg_reload_conf()", true, "pg_reload_conf()"},
      {"PREPARE p AS SELECT lo_export(1, '/tmp/x')", true, "lo_export()"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.sql) + (c.write ? " (write)" : ""));
    auto r = CheckPgStatement(c.sql, c.write);
    if (c.refused == nullptr) {
      EXPECT_TRUE(r.ok()) << r.status().ToString();
    } else {
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
      EXPECT_THAT(r.status().message(), HasSubstr("refused: "));
      EXPECT_THAT(r.status().message(), HasSubstr(c.refused));
    }
  }
}

TEST(CheckPgStatementTest, SessionSettingsAreNamedSoTheyCanOutliveTheTransaction) {
  EXPECT_EQ(CheckPgStatement("SET lock_timeout = '3s'", false).value(),
            PgStatementKind::kSessionSetting);
  EXPECT_EQ(CheckPgStatement("RESET lock_timeout", false).value(),
            PgStatementKind::kSessionSetting);
  EXPECT_EQ(CheckPgStatement("SET SESSION search_path TO x", false).value(),
            PgStatementKind::kSessionSetting);
  EXPECT_EQ(CheckPgStatement("SET LOCAL lock_timeout = '3s'", false).value(),
            PgStatementKind::kOther);
  EXPECT_EQ(CheckPgStatement("SELECT 1", false).value(), PgStatementKind::kOther);
  EXPECT_EQ(CheckPgStatement("COMMIT", true).value(), PgStatementKind::kTransactionControl);
}

TEST(CheckPgStatementTest, OneStatementOnly) {
  EXPECT_FALSE(CheckPgStatement("SELECT 1; DELETE FROM t", false).ok());
  EXPECT_FALSE(CheckPgStatement("SELECT 'x", false).ok());
}

}  // namespace
}  // namespace ecompipe::warehouse
