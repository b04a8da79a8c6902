#include "warehouse/postgres/redshift_staging.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string_view>
#include <vector>

#include "common/ids.h"
#include "common/json.h"
#include "storage/compression.h"
#include "testing/pg_test.h"
#include "testing/s3_test.h"
#include "testing/sample_fact.h"
#include "warehouse/postgres/postgres_warehouse.h"

namespace ecompipe::warehouse {
namespace {

using ::ecompipe::testing_util::PgTestSchema;
using ::ecompipe::testing_util::PgTestUrl;
using ::ecompipe::testing_util::S3TestSettings;
using model::Money;
using ::testing::HasSubstr;

// The records of CSV `text` as RFC 4180 reads them (a quoted field may hold commas, doubled
// quotes and line breaks): the staged files' reader here, independent of the writer's code.
std::vector<std::vector<std::string>> CsvRecords(std::string_view text) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c != '"') {
        field += c;
      } else if (i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',' || c == '\n') {
      fields.push_back(std::move(field));
      field.clear();
      if (c == '\n') {
        records.push_back(std::move(fields));
        fields.clear();
      }
    } else if (c != '\r') {
      field += c;
    }
  }
  if (!field.empty() || !fields.empty()) {
    fields.push_back(std::move(field));
    records.push_back(std::move(fields));
  }
  return records;
}

model::FactRow Fact(std::string id, int64_t line = 2) {
  return testing_util::SampleFact(std::move(id), 2, Money{12999}, line);
}

std::string ReadAll(storage::InputStream& in) {
  std::string out;
  char buf[1 << 16];
  for (;;) {
    Result<size_t> n = in.Read(buf, sizeof buf);
    if (!n.ok()) {
      ADD_FAILURE() << n.status().ToString();
      return out;
    }
    if (*n == 0) return out;
    out.append(buf, *n);
  }
}

// The object's bytes, gunzipped when they are gzip (storage::OpenDecoded, zlib's inflate).
Result<std::string> ReadObject(const storage::s3::S3ObjectStore& store, const std::string& key,
                               bool decode) {
  EP_ASSIGN_OR_RETURN(storage::ObjectRef ref, store.Head(key));
  EP_ASSIGN_OR_RETURN(std::unique_ptr<storage::InputStream> raw, store.Open(ref));
  if (!decode) return ReadAll(*raw);
  storage::Compression compression = storage::Compression::kNone;
  EP_ASSIGN_OR_RETURN(std::unique_ptr<storage::InputStream> in,
                      storage::OpenDecoded(std::move(raw), &compression));
  if (compression != storage::Compression::kGzip) return Status::CorruptInput(key + " is not gzip");
  return ReadAll(*in);
}

// --- without servers -------------------------------------------------------------------------

TEST(RedshiftStagingTest, FactCsvQuotesTextKeepsEmptyTextAndWritesNullLineEmpty) {
  model::FactRow f = Fact("TXN1", 0);
  f.customer_email = "";
  f.product_name = "Lamp, \"big\"\nmodel";
  std::string line;
  AppendStagedFactCsv(line, f, "transactions/a,b.csv", "etag1", "load-1");
  EXPECT_EQ(line,
            "TXN1,C12349,\"\",P12358,\"Lamp, "
            "\"\"big\"\"\nmodel\",2,S1,129.99,2026-11-30,Medium,Credit Card,"
            "Completed,259.98,\"transactions/a,b.csv\",,etag1,load-1\n");
}

TEST(RedshiftStagingTest, RejectCsvQuotesRawTextAndWritesNullLineEmpty) {
  std::string line;
  AppendStagedRejectCsv(line, "transactions/day.csv", "etag1", "load-1", 0, "malformed_record",
                        "unclosed quote", "", "TXN1,\"a\nb");
  EXPECT_EQ(line,
            "transactions/day.csv,etag1,load-1,,malformed_record,unclosed "
            "quote,\"\",\"TXN1,\"\"a\nb\"\n");
}

TEST(RedshiftStagingTest, ManifestMatchesGolden) {
  const std::vector<StagedPart> parts = {
      {"ecompipe-staging/load-1/facts-00000.csv.gz", 1048576, 9000},
      {"ecompipe-staging/load-1/facts-00001.csv.gz", 2048, 17}};
  const std::string actual = RedshiftManifestJson("warehouse-staging", parts);
  const std::string path = std::string(EP_TEST_DATA_DIR) + "/warehouse_sql/redshift_manifest.json";
  if (const char* update = std::getenv("EP_UPDATE_GOLDEN"); update && std::string(update) == "1") {
    std::ofstream(path) << actual;
  }
  std::ifstream in(path);
  ASSERT_TRUE(in) << "missing golden file " << path << " (run with EP_UPDATE_GOLDEN=1)";
  std::stringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(actual, expected.str());
  // The shape Redshift's MANIFEST option reads.
  Result<Json> json = ParseJson(actual);
  ASSERT_TRUE(json.ok());
  ASSERT_EQ((*json)["entries"].size(), 2u);
  EXPECT_EQ((*json)["entries"][0]["url"],
            "s3://warehouse-staging/ecompipe-staging/load-1/facts-00000.csv.gz");
  EXPECT_EQ((*json)["entries"][0]["mandatory"], true);
  EXPECT_EQ((*json)["entries"][1]["meta"]["content_length"], 2048);
}

TEST(RedshiftStagingTest, CopyUsesTheRoleWhenGivenElseTheUploadKeys) {
  RedshiftStagingOptions o;
  o.s3.credentials = {"AKIDUPLOAD", "upload-secret", "session"};
  EXPECT_EQ(o.CopyCredentials().access_key_id, "AKIDUPLOAD");
  EXPECT_EQ(o.CopyCredentials().session_token, "session");
  o.iam_role = "arn:aws:iam::123456789012:role/load";
  EXPECT_EQ(o.CopyCredentials().iam_role, "arn:aws:iam::123456789012:role/load");
  EXPECT_EQ(o.CopyCredentials().access_key_id, "");
}

TEST(RedshiftStagingTest, StagingWithoutCredentialsIsAConfigurationErrorNamingTheSection) {
  PostgresWarehouseOptions o;
  o.url = "postgresql://nobody@127.0.0.1:1/none";  // never reached: the staging check comes first
  o.dialect = SqlDialect::kRedshift;
  o.staging.s3.bucket = "rs-staging";
  Result<std::unique_ptr<PostgresWarehouse>> wh = PostgresWarehouse::Open(o);
  ASSERT_FALSE(wh.ok());
  EXPECT_EQ(wh.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(
      wh.status().message(),
      HasSubstr("warehouse.staging: no credentials for the staging bucket 'rs-staging' (set "
                "warehouse.staging.access_key_id"));
}

// --- against moto_server ---------------------------------------------------------------------

RedshiftStagingOptions StagingOptions(const std::string& prefix) {
  RedshiftStagingOptions o;
  o.s3 = S3TestSettings();
  o.prefix = prefix;
  o.iam_role = "arn:aws:iam::123456789012:role/ecompipe-load";
  return o;
}

// Parts and manifest as uploaded: the manifest lists every part, each part gunzips to CSV
// whose records are the facts in order, field by field; DeleteStaged leaves nothing behind.
TEST(RedshiftStagingS3Test, PartsAndManifestHoldTheFactsAndAreDeleted) {
  EP_REQUIRE_TEST_S3();
  RedshiftStagingOptions o = StagingOptions("staging-" + NewHex(4));
  o.part_bytes = 16 << 10;  // small parts: several of them
  auto store = storage::s3::S3ObjectStore::Open(o.s3);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const storage::ObjectRef object{o.s3.bucket, "transactions/day.csv", "etag-1", 0, 0};
  RedshiftS3Stage stage(**store, o, object, "load-7");
  std::vector<model::FactRow> facts;
  for (int i = 0; i < 2000; ++i) {
    model::FactRow f = Fact("TXN" + std::to_string(i), i + 2);
    if (i % 7 == 0) f.product_name = "Lamp, \"big\"";
    if (i % 11 == 0) f.customer_email = "";
    facts.push_back(f);
    ASSERT_TRUE(stage.Add(f).ok());
  }
  Result<StagedCopy> copy = stage.Finish(WarehouseSql(SqlDialect::kRedshift), "ep_fact_stage");
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  EXPECT_EQ(copy->rows, 2000);
  EXPECT_EQ(copy->manifest_key, o.prefix + "/load-7/facts.manifest");
  EXPECT_THAT(copy->sql,
              HasSubstr("FROM 's3://" + o.s3.bucket + "/" + o.prefix +
                        "/load-7/facts.manifest' "
                        "IAM_ROLE 'arn:aws:iam::123456789012:role/ecompipe-load' MANIFEST"));
  ASSERT_GT(stage.parts().size(), 3u);

  Result<std::string> manifest_text = ReadObject(**store, copy->manifest_key, false);
  ASSERT_TRUE(manifest_text.ok()) << manifest_text.status().ToString();
  Result<Json> manifest = ParseJson(*manifest_text);
  ASSERT_TRUE(manifest.ok());
  ASSERT_EQ((*manifest)["entries"].size(), stage.parts().size());
  size_t next = 0;
  for (const Json& entry : (*manifest)["entries"]) {
    const std::string url = entry["url"];
    const std::string scheme = "s3://" + o.s3.bucket + "/";
    ASSERT_TRUE(url.starts_with(scheme)) << url;
    const std::string key = url.substr(scheme.size());
    EXPECT_TRUE(key.starts_with(o.prefix + "/load-7/facts-")) << key;
    EXPECT_EQ(entry["mandatory"], true);
    Result<storage::ObjectRef> head = (*store)->Head(key);
    ASSERT_TRUE(head.ok()) << head.status().ToString();
    EXPECT_EQ(entry["meta"]["content_length"], head->size);
    Result<std::string> csv = ReadObject(**store, key, true);
    ASSERT_TRUE(csv.ok()) << csv.status().ToString();
    for (const std::vector<std::string>& v : CsvRecords(*csv)) {
      ASSERT_LT(next, facts.size());
      const model::FactRow& f = facts[next++];
      ASSERT_EQ(v.size(), 17u);
      EXPECT_EQ(v[0], f.transaction_id);
      EXPECT_EQ(v[2], f.customer_email);
      EXPECT_EQ(v[4], f.product_name);
      EXPECT_EQ(v[5], "2");
      EXPECT_EQ(v[7], "129.99");
      EXPECT_EQ(v[8], "2026-11-30");
      EXPECT_EQ(v[12], "259.98");
      EXPECT_EQ(v[13], "transactions/day.csv");
      EXPECT_EQ(v[14], std::to_string(f.line));
      EXPECT_EQ(v[15], "etag-1");
      EXPECT_EQ(v[16], "load-7");
    }
  }
  EXPECT_EQ(next, facts.size());

  ASSERT_TRUE(stage.DeleteStaged().ok());
  // Listed by the prefix without its '/': moto 5 with IAM auth miscomputes the signature of a
  // query holding '%2F' (tests/e2e/s3_servers.py); the random prefix is unique either way.
  Result<std::vector<storage::ObjectRef>> left = (*store)->List(o.prefix);
  ASSERT_TRUE(left.ok()) << left.status().ToString();
  EXPECT_TRUE(left->empty()) << left->size() << " objects left, first " << left->front().key;
}

// --- the Redshift load path on PostgreSQL 15, with a stand-in for COPY FROM 's3://' ---------

// TEST-ONLY STAND-IN for Redshift's `COPY ... FROM 's3://.../facts.manifest' MANIFEST FORMAT AS
// CSV GZIP`, which PostgreSQL cannot run. It does what that statement asks of Redshift, with
// PostgreSQL's CSV reader: reads the manifest from the staging bucket (moto_server), GETs and
// gunzips every part it lists, and streams them into COPY <table> (<fact columns>) FROM STDIN
// (FORMAT csv), inside the load's transaction. PostgreSQL's CSV rules and the Redshift options
// generated agree on what the staged CSV means ("" is '', an empty unquoted field in a BIGINT
// is NULL). Everything else in these tests is the real code: the staging to S3, the Redshift
// dialect's SQL around the COPY, the merge, the duplicate rejects, the ledger, the clean-up.
class PostgresStandInForRedshiftCopy final : public StagedCopyRunner {
 public:
  explicit PostgresStandInForRedshiftCopy(const storage::s3::S3ObjectStore& store)
      : store_(store) {}

  Status Run(PostgresDb& db, const StagedCopy& copy) override {
    statements.push_back(copy.sql);
    if (!fail_with.ok()) return fail_with;
    for (const char* option : {" MANIFEST ", " FORMAT AS CSV QUOTE AS '\"' ", " GZIP "}) {
      if (copy.sql.find(option) == std::string::npos)
        return Status::Internal(std::string("the stand-in emulates COPY with") + option + "only");
    }
    EP_ASSIGN_OR_RETURN(std::string text, ReadObject(store_, copy.manifest_key, false));
    EP_ASSIGN_OR_RETURN(Json manifest, ParseJson(text));
    EP_RETURN_IF_ERROR(
        db.BeginCopy("COPY " + copy.table + " (" + copy.columns + ") FROM STDIN (FORMAT csv)"));
    const std::string scheme = "s3://" + copy.bucket + "/";
    for (const Json& entry : manifest.at("entries")) {
      const std::string url = entry.at("url");
      if (!url.starts_with(scheme))
        return Status::InvalidArgument("manifest entry outside the bucket: " + url);
      EP_ASSIGN_OR_RETURN(std::string csv, ReadObject(store_, url.substr(scheme.size()), true));
      EP_RETURN_IF_ERROR(db.PutCopy(csv));
    }
    return db.EndCopy().status();
  }

  std::vector<std::string> statements;
  Status fail_with;

 private:
  const storage::s3::S3ObjectStore& store_;
};

class RedshiftS3LoadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EP_REQUIRE_TEST_PG();
    EP_REQUIRE_TEST_S3();
    schema_ = std::make_unique<PgTestSchema>();
    options_ = StagingOptions("load-test-" + NewHex(4));
    options_.min_rows = 100;
    options_.part_bytes = 8 << 10;
    auto store = storage::s3::S3ObjectStore::Open(options_.s3);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    stand_in_ = std::make_shared<PostgresStandInForRedshiftCopy>(*store_);
    // Tables from the PostgreSQL DDL (Redshift's DISTKEY/SORTKEY DDL does not run there).
    PostgresWarehouseOptions pg;
    pg.url = PgTestUrl();
    pg.schema = schema_->name();
    auto created = PostgresWarehouse::Open(pg);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    ASSERT_TRUE((*created)->EnsureSchema().ok());
    PostgresWarehouseOptions rs = pg;
    rs.dialect = SqlDialect::kRedshift;
    rs.staging = options_;
    rs.copy_runner = stand_in_;
    auto wh = PostgresWarehouse::Open(rs);
    ASSERT_TRUE(wh.ok()) << wh.status().ToString();
    warehouse_ = std::move(wh).value();
  }

  Result<LoadCounts> Load(const std::string& key, std::vector<model::FactRow> facts,
                          std::string load_id) {
    const storage::ObjectRef object{"bucket", key, "etag-" + load_id, 0, 0};
    EP_ASSIGN_OR_RETURN(std::unique_ptr<LoadTransaction> load,
                        warehouse_->BeginLoad(object, load_id, "jr_run", ReloadMode::kReplace));
    const int64_t n = static_cast<int64_t>(facts.size());
    // In several calls, as the job sends them.
    for (size_t i = 0; i < facts.size(); i += 64) {
      std::vector<model::FactRow> chunk(
          facts.begin() + static_cast<std::ptrdiff_t>(i),
          facts.begin() + static_cast<std::ptrdiff_t>(std::min(i + 64, facts.size())));
      EP_RETURN_IF_ERROR(load->AddFacts(chunk));
    }
    return load->Commit(n);
  }

  std::vector<storage::ObjectRef> Staged() {
    Result<std::vector<storage::ObjectRef>> left =
        store_->List(options_.prefix);  // no '/': see above
    EXPECT_TRUE(left.ok()) << left.status().ToString();
    return left.ok() ? *left : std::vector<storage::ObjectRef>{};
  }

  std::string One(const std::string& sql) {
    Result<QueryResult> r = warehouse_->Query(sql);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok() || r->rows.empty() || r->rows[0].empty()) return "<none>";
    return r->rows[0][0].value_or("NULL");
  }

  std::unique_ptr<PgTestSchema> schema_;
  RedshiftStagingOptions options_;
  std::unique_ptr<storage::s3::S3ObjectStore> store_;
  std::shared_ptr<PostgresStandInForRedshiftCopy> stand_in_;
  std::unique_ptr<PostgresWarehouse> warehouse_;
};

std::vector<model::FactRow> Facts(int n, int first = 0) {
  std::vector<model::FactRow> facts;
  for (int i = first; i < first + n; ++i) {
    model::FactRow f = Fact("TXN" + std::to_string(i), i - first + 2);
    if (i % 5 == 0) f.product_name = "Lamp, \"big\"\nmodel";
    if (i % 9 == 0) f.customer_email = "";
    facts.push_back(f);
  }
  return facts;
}

TEST_F(RedshiftS3LoadTest, LargeLoadGoesThroughS3AndLoadsWhatInsertsWould) {
  Result<LoadCounts> counts = Load("transactions/big.csv", Facts(500), "load-big");
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  EXPECT_EQ(counts->rows_loaded, 500);
  EXPECT_EQ(counts->rows_rejected, 0);
  ASSERT_EQ(stand_in_->statements.size(), 1u);
  EXPECT_THAT(stand_in_->statements[0], HasSubstr("COPY ep_fact_stage (transaction_id, "));
  EXPECT_THAT(stand_in_->statements[0], HasSubstr("/load-big/facts.manifest' IAM_ROLE"));
  EXPECT_EQ(One("SELECT count(*) FROM fact_transactions WHERE load_id = 'load-big'"), "500");
  // Text survives as the INSERT path stores it: quotes, commas, newlines, and '' (not NULL).
  EXPECT_EQ(One("SELECT product_name FROM fact_transactions WHERE transaction_id = 'TXN5'"),
            "Lamp, \"big\"\nmodel");
  EXPECT_EQ(
      One("SELECT customer_email IS NULL FROM fact_transactions WHERE transaction_id = 'TXN9'"),
      "f");
  EXPECT_EQ(One("SELECT customer_email FROM fact_transactions WHERE transaction_id = 'TXN9'"), "");
  EXPECT_EQ(One("SELECT sum(total_amount) FROM fact_transactions"), "129990.00");
  EXPECT_EQ(One("SELECT source_line FROM fact_transactions WHERE transaction_id = 'TXN0'"), "2");
  EXPECT_EQ(One("SELECT status FROM load_ledger WHERE load_id = 'load-big'"), "loaded");
  EXPECT_TRUE(Staged().empty());  // deleted after the commit
}

TEST_F(RedshiftS3LoadTest, SmallLoadKeepsUsingInserts) {
  Result<LoadCounts> counts = Load("transactions/small.csv", Facts(99), "load-small");
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  EXPECT_EQ(counts->rows_loaded, 99);
  EXPECT_TRUE(stand_in_->statements.empty());
  EXPECT_EQ(One("SELECT count(*) FROM fact_transactions"), "99");
  EXPECT_TRUE(Staged().empty());
}

TEST_F(RedshiftS3LoadTest, DuplicatesOfEarlierLoadsBecomeRejectsThroughS3Too) {
  ASSERT_TRUE(Load("transactions/a.csv", Facts(150), "load-a").ok());
  // 100 new ids and 50 that load-a already holds.
  Result<LoadCounts> counts = Load("transactions/b.csv", Facts(150, 100), "load-b");
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  EXPECT_EQ(counts->rows_loaded, 100);
  EXPECT_EQ(counts->rows_rejected, 50);
  EXPECT_EQ(stand_in_->statements.size(), 2u);
  EXPECT_EQ(One("SELECT count(*) FROM fact_transactions"), "250");
  EXPECT_EQ(One("SELECT count(*) FROM rejects WHERE reason = 'duplicate_transaction_id' AND "
                "load_id = 'load-b'"),
            "50");
  EXPECT_THAT(One("SELECT detail FROM rejects WHERE transaction_id = 'TXN120'"),
              HasSubstr("already loaded from transactions/a.csv"));
  EXPECT_TRUE(Staged().empty());
}

TEST_F(RedshiftS3LoadTest, ManyRejectsGoThroughS3TooAndKeepTheirText) {
  const storage::ObjectRef object{"bucket", "transactions/bad.csv", "etag-bad", 0, 0};
  auto load = warehouse_->BeginLoad(object, "load-bad", "jr_run", ReloadMode::kReplace);
  ASSERT_TRUE(load.ok()) << load.status().ToString();
  std::vector<model::FactRow> facts = Facts(20);  // below min_rows: INSERTs
  ASSERT_TRUE((*load)->AddFacts(facts).ok());
  std::vector<model::RejectRow> rejects;
  for (int i = 0; i < 250; ++i) {
    model::RejectRow r;
    r.line = i == 0 ? 0 : i + 100;
    r.reason = model::reason::kMalformedRecord;
    r.detail = "unclosed quote";
    r.transaction_id = i % 3 == 0 ? "" : "TXN" + std::to_string(9000 + i);
    r.raw = "TXN" + std::to_string(9000 + i) + ",\"Lamp, big\nline two,\\N";
    rejects.push_back(r);
  }
  ASSERT_TRUE((*load)->AddRejects(rejects).ok());
  Result<LoadCounts> counts = (*load)->Commit(270);
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  EXPECT_EQ(counts->rows_loaded, 20);
  EXPECT_EQ(counts->rows_rejected, 250);
  ASSERT_EQ(stand_in_->statements.size(), 1u);
  EXPECT_THAT(stand_in_->statements[0],
              HasSubstr("COPY rejects (source_object, source_etag, load_id, line, reason, "));
  EXPECT_THAT(stand_in_->statements[0], HasSubstr("/load-bad/rejects.manifest' IAM_ROLE"));
  EXPECT_EQ(One("SELECT count(*) FROM rejects WHERE load_id = 'load-bad'"), "250");
  EXPECT_EQ(One("SELECT raw FROM rejects WHERE line = 101"), "TXN9001,\"Lamp, big\nline two,\\N");
  EXPECT_EQ(One("SELECT line IS NULL FROM rejects WHERE raw LIKE 'TXN9000,%'"), "t");
  EXPECT_EQ(One("SELECT transaction_id FROM rejects WHERE line = 103"),
            "");  // '' stays '', not NULL
  EXPECT_EQ(One("SELECT count(*) FROM fact_transactions"), "20");
  EXPECT_TRUE(Staged().empty());
}

TEST_F(RedshiftS3LoadTest, FailedCopyRollsBackAndDeletesTheStagedObjects) {
  stand_in_->fail_with = Status::InvalidArgument("S3ServiceException: Access Denied");
  Result<LoadCounts> counts = Load("transactions/denied.csv", Facts(300), "load-denied");
  ASSERT_FALSE(counts.ok());
  EXPECT_THAT(counts.status().message(), HasSubstr("COPY from s3://"));
  EXPECT_THAT(counts.status().message(), HasSubstr("Access Denied"));
  EXPECT_EQ(stand_in_->statements.size(), 1u);
  EXPECT_EQ(One("SELECT count(*) FROM fact_transactions"), "0");
  EXPECT_EQ(One("SELECT count(*) FROM load_ledger"), "0");
  EXPECT_TRUE(Staged().empty());
}

TEST_F(RedshiftS3LoadTest, AbandonedLoadDeletesWhatItStaged) {
  {
    const storage::ObjectRef object{"bucket", "transactions/abandoned.csv", "etag-x", 0, 0};
    auto load = warehouse_->BeginLoad(object, "load-abandoned", "jr_run", ReloadMode::kReplace);
    ASSERT_TRUE(load.ok());
    std::vector<model::FactRow> facts = Facts(2000);
    ASSERT_TRUE((*load)->AddFacts(facts).ok());
    EXPECT_FALSE(Staged().empty());  // full parts are uploaded as the load goes
  }                                  // destroyed without Commit: rolled back
  EXPECT_TRUE(Staged().empty());
  EXPECT_EQ(One("SELECT count(*) FROM fact_transactions"), "0");
}

}  // namespace
}  // namespace ecompipe::warehouse
