#include "warehouse/postgres/warehouse_sql.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace ecompipe::warehouse {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Every statement of a dialect, in a fixed order, as one text (the golden file's content).
std::string AllStatements(SqlDialect dialect) {
  WarehouseSql sql(dialect);
  std::ostringstream out;
  auto put = [&](const std::string& name, const std::string& stmt) {
    out << "-- " << name << "\n" << stmt << ";\n\n";
  };
  for (const std::string& ddl : sql.SchemaDdl()) put("schema", ddl);
  put("create fact staging", sql.CreateFactStaging());
  put("clear fact staging", sql.ClearFactStaging());
  if (dialect == SqlDialect::kPostgres) {
    put("copy facts", sql.CopyFactsFromStdin("fact_transactions"));
    put("copy facts, binary", sql.CopyFactsFromStdin("fact_transactions", /*binary=*/true));
    put("copy rejects", sql.CopyRejectsFromStdin());
    put("copy products to staging", sql.CopyDimensionFromStdin(Dimension::kProducts));
  } else {
    put("stage facts (2 rows)", sql.InsertFactValues("ep_fact_stage", 2));
    put("insert rejects (1 row)", sql.InsertRejectValues(1));
    put("stage products (1 row)", sql.InsertDimensionValues(Dimension::kProducts, 1));
    put("copy staged facts from s3 (iam role)",
        sql.CopyFromS3Manifest("ep_fact_stage", WarehouseSql::FactColumnList(),
                               "s3://warehouse-staging/ecompipe/load-1/facts.manifest",
                               {.iam_role = "arn:aws:iam::123456789012:role/ecompipe-load"},
                               "eu-west-1"));
    put("copy staged rejects from s3",
        sql.CopyFromS3Manifest("rejects", WarehouseSql::RejectColumnList(),
                               "s3://warehouse-staging/ecompipe/load-1/rejects.manifest",
                               {.iam_role = "arn:aws:iam::123456789012:role/ecompipe-load"},
                               "eu-west-1"));
    put("copy staged facts from s3 (access key)",
        sql.CopyFromS3Manifest("ep_fact_stage", WarehouseSql::FactColumnList(),
                               "s3://warehouse-staging/ecompipe/load-1/facts.manifest",
                               {.access_key_id = "AKIAEXAMPLE",
                                .secret_access_key = "secret'with-quote",
                                .session_token = "token"},
                               "us-east-1"));
  }
  put("facts from staging", sql.InsertFactsFromStaging());
  put("duplicate rejects from staging", sql.RejectDuplicatesFromStaging());
  put("create product staging", sql.CreateDimensionStaging(Dimension::kProducts));
  put("create customer staging", sql.CreateDimensionStaging(Dimension::kCustomers));
  put("upsert products", sql.UpsertDimensionFromStaging(Dimension::kProducts));
  put("upsert customers", sql.UpsertDimensionFromStaging(Dimension::kCustomers));
  put("lock object", sql.LockObject());
  put("ledger status", WarehouseSql::LedgerStatus());
  put("delete ledger row", WarehouseSql::DeleteLedgerRow());
  put("insert ledger row", WarehouseSql::InsertLedgerRow());
  put("mark replaced", WarehouseSql::MarkReplaced());
  put("add replay to ledger", WarehouseSql::AddReplayToLedger());
  put("mark deleted", WarehouseSql::MarkDeleted());
  put("has job hash", WarehouseSql::HasJobHash());
  put("delete other version facts", WarehouseSql::DeleteOtherVersionFacts());
  put("delete other version rejects", WarehouseSql::DeleteOtherVersionRejects());
  put("count load rejects", WarehouseSql::CountLoadRejects());
  put("sum other version facts", WarehouseSql::SumOtherVersionFacts());
  put("sum facts moved from staging", WarehouseSql::SumFactsMovedFromStaging());
  put("add to totals", WarehouseSql::AddToTotals());
  put("lock for counting totals", sql.LockForCountingTotals());
  put("fill totals", WarehouseSql::FillTotals());
  return out.str();
}

// Compares with tests/data/warehouse_sql/<dialect>.sql; EP_UPDATE_GOLDEN=1 rewrites the file
// (review its diff like code).
void ExpectGolden(SqlDialect dialect) {
  const std::string path = std::string(EP_TEST_DATA_DIR) + "/warehouse_sql/" +
                           std::string(SqlDialectName(dialect)) + ".sql";
  const std::string actual = AllStatements(dialect);
  if (const char* update = std::getenv("EP_UPDATE_GOLDEN"); update && std::string(update) == "1") {
    std::ofstream(path) << actual;
  }
  std::ifstream in(path);
  ASSERT_TRUE(in) << "missing golden file " << path << " (run with EP_UPDATE_GOLDEN=1)";
  std::stringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(actual, expected.str()) << "generated SQL differs from " << path;
}

TEST(WarehouseSqlTest, PostgresStatementsMatchGolden) { ExpectGolden(SqlDialect::kPostgres); }
TEST(WarehouseSqlTest, RedshiftStatementsMatchGolden) { ExpectGolden(SqlDialect::kRedshift); }

TEST(WarehouseSqlTest, PostgresUsesOnConflictAndProperTypes) {
  WarehouseSql sql(SqlDialect::kPostgres);
  std::string ddl;
  for (const auto& s : sql.SchemaDdl()) ddl += s + ";\n";
  EXPECT_THAT(ddl, HasSubstr("price DECIMAL(10,2) NOT NULL"));
  EXPECT_THAT(ddl, HasSubstr("total_amount DECIMAL(12,2) NOT NULL"));
  EXPECT_THAT(ddl, HasSubstr("transaction_date DATE NOT NULL"));
  EXPECT_THAT(ddl, HasSubstr("quantity INT NOT NULL"));
  EXPECT_THAT(ddl, HasSubstr("PRIMARY KEY (transaction_id)"));
  EXPECT_THAT(ddl, Not(HasSubstr("DISTKEY")));
  EXPECT_THAT(sql.InsertFactsFromStaging(), HasSubstr("ON CONFLICT (transaction_id) DO NOTHING"));
  EXPECT_THAT(sql.UpsertDimensionFromStaging(Dimension::kProducts),
              HasSubstr("ON CONFLICT (product_id) DO UPDATE"));
  EXPECT_EQ(sql.ClearFactStaging(), "TRUNCATE ep_fact_stage");
}

TEST(WarehouseSqlTest, RedshiftHasNoOnConflictAndUsesTheOriginalsKeys) {
  WarehouseSql sql(SqlDialect::kRedshift);
  std::string all = AllStatements(SqlDialect::kRedshift);
  EXPECT_THAT(all, Not(HasSubstr("ON CONFLICT")));
  EXPECT_THAT(all, Not(HasSubstr("TRUNCATE")));  // it would commit the load's transaction
  EXPECT_THAT(all, Not(HasSubstr("FROM STDIN")));
  EXPECT_THAT(all, Not(HasSubstr("TEXT")));
  EXPECT_THAT(all, HasSubstr(") DISTKEY (payment_type) SORTKEY (transaction_id)"));
  EXPECT_THAT(all, HasSubstr("product_name VARCHAR(50)"));
  EXPECT_THAT(all, HasSubstr("email VARCHAR(255)"));
  EXPECT_THAT(all, HasSubstr("membership_level VARCHAR(10)"));
  EXPECT_THAT(sql.InsertFactsFromStaging(),
              HasSubstr("WHERE NOT EXISTS (SELECT 1 FROM fact_transactions f WHERE "
                        "f.transaction_id = s.transaction_id)"));
  EXPECT_THAT(sql.UpsertDimensionFromStaging(Dimension::kCustomers),
              HasSubstr("MERGE INTO dim_customers USING"));
  EXPECT_EQ(sql.LockObject(), "LOCK load_ledger");
  EXPECT_THAT(sql.CopyFromS3Manifest("ep_fact_stage", "a, b", "s3://b/p/facts.manifest",
                                     {.iam_role = "arn:role"}, ""),
              HasSubstr("FROM 's3://b/p/facts.manifest' IAM_ROLE 'arn:role' MANIFEST FORMAT AS CSV "
                        "QUOTE AS '\"' GZIP"));
}

TEST(WarehouseSqlTest, ValuesListsNumberParametersAcrossRows) {
  WarehouseSql sql(SqlDialect::kRedshift);
  std::string two = sql.InsertRejectValues(2);
  EXPECT_THAT(
      two, HasSubstr(
               "VALUES ($1, $2, $3, $4, $5, $6, $7, $8), ($9, $10, $11, $12, $13, $14, $15, $16)"));
}

TEST(WarehouseSqlTest, S3PathsAndRolesAreQuotedAsLiterals) {
  WarehouseSql sql(SqlDialect::kRedshift);
  EXPECT_THAT(sql.CopyFromS3Manifest("t", "a", "s3://b/it's/m", {.iam_role = "arn"}, "us-east-1"),
              HasSubstr("FROM 's3://b/it''s/m'"));
  const std::string keys = sql.CopyFromS3Manifest(
      "t", "a", "s3://b/m",
      {.access_key_id = "AK", .secret_access_key = "s'e", .session_token = ""}, "");
  EXPECT_THAT(keys, HasSubstr("ACCESS_KEY_ID 'AK' SECRET_ACCESS_KEY 's''e' MANIFEST"));
  EXPECT_THAT(keys, Not(HasSubstr("SESSION_TOKEN")));
  EXPECT_THAT(keys, Not(HasSubstr("REGION")));
}

// The staged CSV keeps '' and NULL apart the way the INSERT path does: no EMPTYASNULL.
TEST(WarehouseSqlTest, S3CopyKeepsEmptyTextEmpty) {
  WarehouseSql sql(SqlDialect::kRedshift);
  EXPECT_THAT(sql.CopyFromS3Manifest("t", "a", "s3://b/m", {.iam_role = "arn"}, "eu-west-1"),
              Not(HasSubstr("EMPTYASNULL")));
}

}  // namespace
}  // namespace ecompipe::warehouse
