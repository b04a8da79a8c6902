#include "catalog/crawler.h"

#include <fstream>
#include <sstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ecompipe::catalog {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;

constexpr std::string_view kTransactions =
    "transaction_id,customer_id,product_id,quantity,price,transaction_date,payment_type,status\n"
    "TXN04817263,C12349,P12358,3,129.99,2026-11-30,Credit Card,Completed\n"
    "TXN04817264,C12345,P12345,1,29.99,2026-11-30,Cash on Delivery,Completed\n"
    "TXN04817265,C12347,P12350,10,49.99,2026-11-30,Debit Card,Completed\n";

std::string ReadTestFile(const std::string& name) {
  std::ifstream in(std::string(EP_TEST_DATA_DIR) + "/" + name, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

TableSchema Infer(std::string_view sample, bool whole = true) {
  auto schema = InferSchema(sample, whole);
  EXPECT_TRUE(schema.ok()) << schema.status().ToString();
  return schema.ok() ? *schema : TableSchema{};
}

Status InferError(std::string_view sample, bool whole = true) {
  auto schema = InferSchema(sample, whole);
  EXPECT_FALSE(schema.ok());
  return schema.ok() ? Status::Ok() : schema.status();
}

std::vector<std::string> Names(const TableSchema& s) {
  std::vector<std::string> out;
  for (const Column& c : s.columns) out.push_back(c.name);
  return out;
}

std::vector<ColumnType> Types(const TableSchema& s) {
  std::vector<ColumnType> out;
  for (const Column& c : s.columns) out.push_back(c.type);
  return out;
}

// ---- The reference data ----

TEST(CrawlerTest, InfersReferenceTransactionColumnsAndTypes) {
  TableSchema s = Infer(kTransactions);
  EXPECT_EQ(s.format, DataFormat::kCsv);
  EXPECT_EQ(s.delimiter, ',');
  EXPECT_EQ(s.quote, '"');
  EXPECT_TRUE(s.has_header);
  EXPECT_EQ(s.compression, storage::Compression::kNone);
  EXPECT_THAT(Names(s), ElementsAre("transaction_id", "customer_id", "product_id", "quantity",
                                    "price", "transaction_date", "payment_type", "status"));
  EXPECT_THAT(Types(s), ElementsAre(ColumnType::kString, ColumnType::kString, ColumnType::kString,
                                    ColumnType::kInteger, ColumnType::kDecimal, ColumnType::kDate,
                                    ColumnType::kString, ColumnType::kString));
}

TEST(CrawlerTest, InfersProductsDimensionFile) {
  TableSchema s = Infer(ReadTestFile("products.csv"));
  EXPECT_TRUE(s.has_header);
  EXPECT_THAT(Names(s),
              ElementsAre("product_id", "product_name", "category", "price", "supplier_id"));
  EXPECT_THAT(Types(s), ElementsAre(ColumnType::kString, ColumnType::kString, ColumnType::kString,
                                    ColumnType::kDecimal, ColumnType::kString));
}

TEST(CrawlerTest, InfersCustomersDimensionFileWithTrailingRowNum) {
  TableSchema s = Infer(ReadTestFile("customers.csv"));
  EXPECT_TRUE(s.has_header);
  EXPECT_THAT(Names(s), ElementsAre("customer_id", "first_name", "last_name", "email",
                                    "membership_level", "row_num"));
  EXPECT_EQ(s.columns.back().type, ColumnType::kInteger);
}

// ---- Delimiters ----

TEST(CrawlerTest, InfersSemicolonDelimiter) {
  // Decimal commas must not fool the sniffer into ','.
  TableSchema s = Infer("id;amount;day\n1;1,5;2026-11-30\n2;2,25;2026-12-01\n3;7;2026-12-02\n");
  EXPECT_EQ(s.delimiter, ';');
  EXPECT_THAT(Names(s), ElementsAre("id", "amount", "day"));
  EXPECT_THAT(Types(s), ElementsAre(ColumnType::kInteger, ColumnType::kString, ColumnType::kDate));
}

TEST(CrawlerTest, InfersTabDelimiter) {
  TableSchema s = Infer("id\tname\tprice\n1\tWidget, large\t9.99\n2\tGadget\t19.50\n");
  EXPECT_EQ(s.delimiter, '\t');
  EXPECT_THAT(Names(s), ElementsAre("id", "name", "price"));
  EXPECT_THAT(Types(s),
              ElementsAre(ColumnType::kInteger, ColumnType::kString, ColumnType::kDecimal));
}

TEST(CrawlerTest, InfersPipeDelimiter) {
  TableSchema s = Infer("id|paid|at\n1|true|2026-11-30 10:00:00\n2|false|2026-11-30T11:30:15Z\n");
  EXPECT_EQ(s.delimiter, '|');
  EXPECT_THAT(Types(s),
              ElementsAre(ColumnType::kInteger, ColumnType::kBoolean, ColumnType::kTimestamp));
}

TEST(CrawlerTest, QuotedFieldsHoldDelimitersQuotesAndNewlines) {
  TableSchema s = Infer(
      "id,comment,amount\n"
      "1,\"a, b\nand c\",2.5\n"
      "2,\"say \"\"hi\"\"\",3.5\n"
      "3,plain,4.0\n");
  EXPECT_EQ(s.delimiter, ',');
  EXPECT_THAT(Names(s), ElementsAre("id", "comment", "amount"));
  EXPECT_THAT(Types(s),
              ElementsAre(ColumnType::kInteger, ColumnType::kString, ColumnType::kDecimal));
}

TEST(CrawlerTest, QuotedNumbersAreStillTyped) {
  TableSchema s = Infer("id,qty\n\"A1\",\"3\"\n\"A2\",\"4\"\n");
  EXPECT_THAT(Types(s), ElementsAre(ColumnType::kString, ColumnType::kInteger));
}

TEST(CrawlerTest, CrlfLineEndings) {
  TableSchema s = Infer("id,qty\r\nA1,3\r\nA2,4\r\n");
  EXPECT_THAT(Names(s), ElementsAre("id", "qty"));
  EXPECT_THAT(Types(s), ElementsAre(ColumnType::kString, ColumnType::kInteger));
}

TEST(CrawlerTest, NoConsistentDelimiterIsAnError) {
  Status s = InferError("a,b,c\n1,2\n1,2,3,4,5\nx,y,z,w\n1\n");
  EXPECT_EQ(s.code(), StatusCode::kCorruptInput);
  EXPECT_THAT(s.message(), HasSubstr("no consistent delimiter"));
}

TEST(CrawlerTest, LinesWithoutAnyDelimiterAreOneColumn) {
  TableSchema s = Infer("id\n1\n2\n3\n");
  EXPECT_TRUE(s.has_header);
  EXPECT_THAT(Names(s), ElementsAre("id"));
  EXPECT_THAT(Types(s), ElementsAre(ColumnType::kInteger));
}

// ---- Header ----

TEST(CrawlerTest, FirstRowWithTypedValuesIsNotAHeader) {
  TableSchema s = Infer(kTransactions.substr(kTransactions.find('\n') + 1));
  EXPECT_FALSE(s.has_header);
  EXPECT_THAT(Names(s),
              ElementsAre("col0", "col1", "col2", "col3", "col4", "col5", "col6", "col7"));
  EXPECT_EQ(s.columns[3].type, ColumnType::kInteger);
  EXPECT_EQ(s.columns[5].type, ColumnType::kDate);
}

TEST(CrawlerTest, AllStringColumnsMeanNoHeader) {
  // Glue's rule: a header cannot be told from string data.
  TableSchema s = Infer("name,city\nAlice,Paris\nBob,London\n");
  EXPECT_FALSE(s.has_header);
  EXPECT_THAT(Names(s), ElementsAre("col0", "col1"));
}

TEST(CrawlerTest, HeaderWithDuplicateNamesIsData) {
  TableSchema s = Infer("a,a\n1,2\n3,4\n");
  EXPECT_FALSE(s.has_header);
}

TEST(CrawlerTest, TrailingDelimiterMakesAnEmptyUnnamedColumn) {
  TableSchema s = Infer("id,qty,\nA,1,\nB,2,\n");
  EXPECT_TRUE(s.has_header);
  EXPECT_THAT(Names(s), ElementsAre("id", "qty", "col2"));
  EXPECT_THAT(Types(s),
              ElementsAre(ColumnType::kString, ColumnType::kInteger, ColumnType::kString));
}

TEST(CrawlerTest, HeaderOnlyFileCountsAsHeader) {
  TableSchema s = Infer("transaction_id,customer_id,quantity\n");
  EXPECT_TRUE(s.has_header);
  EXPECT_THAT(Names(s), ElementsAre("transaction_id", "customer_id", "quantity"));
  EXPECT_THAT(Types(s), ElementsAre(ColumnType::kString, ColumnType::kString, ColumnType::kString));
}

TEST(CrawlerTest, HeaderNamesAreTrimmedAndBomStripped) {
  TableSchema s = Infer("\xEF\xBB\xBF id , qty \n1,2\n");
  EXPECT_TRUE(s.has_header);
  EXPECT_THAT(Names(s), ElementsAre("id", "qty"));
}

// ---- Types ----

TEST(CrawlerTest, EmptyValuesDoNotDecideTheType) {
  TableSchema s = Infer("id,qty,note\n1,,\n2,5,\n3,,\n");
  EXPECT_THAT(Types(s),
              ElementsAre(ColumnType::kInteger, ColumnType::kInteger, ColumnType::kString));
}

TEST(CrawlerTest, IntegersAndDecimalsMakeDecimal) {
  TableSchema s = Infer("id,price\n1,3\n2,3.50\n");
  EXPECT_EQ(s.columns[1].type, ColumnType::kDecimal);
}

TEST(CrawlerTest, MixedTypesMakeString) {
  TableSchema s = Infer("id,v\n1,3\n2,2026-11-30\n3,true\n");
  EXPECT_EQ(s.columns[1].type, ColumnType::kString);
}

TEST(CrawlerTest, ClassifiesValues) {
  EXPECT_EQ(ClassifyValue(""), std::nullopt);
  EXPECT_EQ(ClassifyValue("  "), std::nullopt);
  EXPECT_EQ(ClassifyValue("42"), ColumnType::kInteger);
  EXPECT_EQ(ClassifyValue("-7"), ColumnType::kInteger);
  EXPECT_EQ(ClassifyValue(" 3 "), ColumnType::kInteger);
  EXPECT_EQ(ClassifyValue("007"), ColumnType::kString);
  EXPECT_EQ(ClassifyValue("99999999999999999999"), ColumnType::kString);
  EXPECT_EQ(ClassifyValue("129.99"), ColumnType::kDecimal);
  EXPECT_EQ(ClassifyValue("0.5"), ColumnType::kDecimal);
  EXPECT_EQ(ClassifyValue("1e5"), ColumnType::kString);
  EXPECT_EQ(ClassifyValue("1,234"), ColumnType::kString);
  EXPECT_EQ(ClassifyValue("2026-11-30"), ColumnType::kDate);
  EXPECT_EQ(ClassifyValue("2024-02-29"), ColumnType::kDate);
  EXPECT_EQ(ClassifyValue("2026-02-29"), ColumnType::kString);
  EXPECT_EQ(ClassifyValue("2026-13-01"), ColumnType::kString);
  EXPECT_EQ(ClassifyValue("2026-11-30T14:03:35Z"), ColumnType::kTimestamp);
  EXPECT_EQ(ClassifyValue("2026-11-30 14:03:35.123+01:00"), ColumnType::kTimestamp);
  EXPECT_EQ(ClassifyValue("2026-11-30 14:03"), ColumnType::kTimestamp);
  EXPECT_EQ(ClassifyValue("2026-11-30 25:03"), ColumnType::kString);
  EXPECT_EQ(ClassifyValue("TRUE"), ColumnType::kBoolean);
  EXPECT_EQ(ClassifyValue("false"), ColumnType::kBoolean);
  EXPECT_EQ(ClassifyValue("TXN04817263"), ColumnType::kString);
}

// ---- JSON Lines ----

TEST(CrawlerTest, InfersJsonLines) {
  TableSchema s = Infer(
      R"({"transaction_id":"TXN1","quantity":3,"price":129.99,"transaction_date":"2026-11-30","paid":true})"
      "\n"
      R"({"transaction_id":"TXN2","quantity":1,"price":29.99,"transaction_date":"2026-11-30","paid":false})"
      "\n");
  EXPECT_EQ(s.format, DataFormat::kJsonLines);
  EXPECT_THAT(Names(s),
              ElementsAre("transaction_id", "quantity", "price", "transaction_date", "paid"));
  EXPECT_THAT(Types(s), ElementsAre(ColumnType::kString, ColumnType::kInteger, ColumnType::kDecimal,
                                    ColumnType::kDate, ColumnType::kBoolean));
}

TEST(CrawlerTest, JsonLinesColumnsAreTheUnionInFirstSeenOrder) {
  TableSchema s = Infer("{\"b\":1,\"a\":\"x\"}\n\n{\"c\":null,\"a\":\"y\",\"d\":{\"n\":[1]}}\n");
  EXPECT_THAT(Names(s), ElementsAre("b", "a", "c", "d"));
  // A column with only nulls is string, as is a nested value.
  EXPECT_THAT(Types(s), ElementsAre(ColumnType::kInteger, ColumnType::kString, ColumnType::kString,
                                    ColumnType::kString));
}

TEST(CrawlerTest, JsonLinesNullsDoNotDecideTheType) {
  TableSchema s = Infer("{\"q\":null}\n{\"q\":2}\n{\"q\":3.5}\n");
  EXPECT_THAT(Types(s), ElementsAre(ColumnType::kDecimal));
}

TEST(CrawlerTest, JsonLinesToleratesAFewBadLines) {
  TableSchema s = Infer("{\"q\":1}\n{\"q\":2}\nnot json\n{\"q\":3}\n");
  EXPECT_EQ(s.format, DataFormat::kJsonLines);
  EXPECT_THAT(Names(s), ElementsAre("q"));
}

TEST(CrawlerTest, JsonArrayDocumentIsAnError) {
  Status s = InferError("[{\"q\":1},\n{\"q\":2}]\n");
  EXPECT_EQ(s.code(), StatusCode::kCorruptInput);
  EXPECT_THAT(s.message(), HasSubstr("JSON Lines"));
}

TEST(CrawlerTest, PrettyPrintedJsonIsAnError) {
  Status s = InferError("{\n  \"a\": 1,\n  \"b\": 2\n}\n");
  EXPECT_EQ(s.code(), StatusCode::kCorruptInput);
  EXPECT_THAT(s.message(), HasSubstr("one object per line"));
}

TEST(CrawlerTest, JsonLinesWithABadFirstLineStillInfer) {
  TableSchema s = Infer("{\"q\":1,\n{\"q\":2}\n{\"q\":3}\n");
  EXPECT_EQ(s.format, DataFormat::kJsonLines);
  EXPECT_THAT(Types(s), ElementsAre(ColumnType::kInteger));
}

TEST(CrawlerTest, DeeplyNestedJsonLineDoesNotCrash) {
  std::string line = "{\"a\":" + std::string(100000, '[') + std::string(100000, ']') + "}\n";
  TableSchema s = Infer(line + "{\"a\":1}\n");
  EXPECT_EQ(s.format, DataFormat::kJsonLines);
  EXPECT_THAT(Names(s), ElementsAre("a"));
}

// ---- Errors ----

TEST(CrawlerTest, EmptyObjectIsAnError) {
  Status s = InferError("");
  EXPECT_EQ(s.code(), StatusCode::kCorruptInput);
  EXPECT_THAT(s.message(), HasSubstr("empty object"));
}

TEST(CrawlerTest, BlankLinesOnlyIsAnError) {
  Status s = InferError("\n  \r\n\n");
  EXPECT_EQ(s.code(), StatusCode::kCorruptInput);
  EXPECT_THAT(s.message(), HasSubstr("blank lines"));
}

TEST(CrawlerTest, NulBytesAreBinary) {
  Status s = InferError(std::string_view("id,qty\n1,\0\x01\x02\n", 13));
  EXPECT_EQ(s.code(), StatusCode::kCorruptInput);
  EXPECT_THAT(s.message(), HasSubstr("binary content"));
}

TEST(CrawlerTest, MostlyControlBytesAreBinary) {
  std::string sample = "a,b\n";
  for (int i = 0; i < 100; ++i) sample += "\x01\x02\x03\x1B,\x7F\n";
  Status s = InferError(sample);
  EXPECT_THAT(s.message(), HasSubstr("binary content"));
}

TEST(CrawlerTest, KnownBinarySignatureIsNamed) {
  Status s = InferError("PK\x03\x04rest-of-a-zip");
  EXPECT_THAT(s.message(), HasSubstr("ZIP"));
}

TEST(CrawlerTest, MostlyInvalidUtf8IsAnError) {
  Status s = InferError("id,name\n1,caf\xE9\n2,b\xE4r\n");
  EXPECT_EQ(s.code(), StatusCode::kCorruptInput);
  EXPECT_THAT(s.message(), HasSubstr("UTF-8"));
  EXPECT_THAT(s.message(), HasSubstr("line 2"));
}

// A few bad rows are the job's to reject (invalid_utf8, nul_byte); the file still crawls.
TEST(CrawlerTest, AFewInvalidUtf8AndNulRowsStillInfer) {
  TableSchema s = Infer(std::string_view("id,name\n1,caf\xE9\n2,b\0r\n3,x\n4,y\n5,z\n6,w\n", 37));
  EXPECT_THAT(Names(s), ElementsAre("id", "name"));
}

TEST(CrawlerTest, Utf16IsAnError) {
  Status s = InferError(std::string_view("\xFF\xFEi\0d\0\n\0", 8));
  EXPECT_THAT(s.message(), HasSubstr("UTF-16"));
}

TEST(CrawlerTest, MultibyteUtf8IsText) {
  TableSchema s = Infer("id,name\n1,café\n2,日本\n");
  EXPECT_THAT(Names(s), ElementsAre("id", "name"));
}

// ---- Samples of larger objects ----

TEST(CrawlerTest, CutLastLineIsIgnored) {
  constexpr std::string_view kSample = "id,qty,day\n1,2,2026-11-30\n2,3,2026-1";
  TableSchema partial = Infer(kSample, /*whole=*/false);
  EXPECT_EQ(partial.columns[2].type, ColumnType::kDate);
  // The same bytes as a whole object: the short date is real data.
  TableSchema whole = Infer(kSample, /*whole=*/true);
  EXPECT_EQ(whole.columns[2].type, ColumnType::kString);
}

TEST(CrawlerTest, SampleCutInsideAQuotedFieldIgnoresThatRecord) {
  TableSchema s = Infer("id,note\n1,\"ok\"\n2,\"spans\nlines and is cu", /*whole=*/false);
  EXPECT_EQ(s.delimiter, ',');
  EXPECT_THAT(Names(s), ElementsAre("id", "note"));
  EXPECT_EQ(s.columns[0].type, ColumnType::kInteger);
}

TEST(CrawlerTest, UTF8SequenceCutByTheSampleIsFine) {
  TableSchema s = Infer("id,name\n1,abc\n2,caf\xC3", /*whole=*/false);
  EXPECT_THAT(Names(s), ElementsAre("id", "name"));
}

TEST(CrawlerTest, FirstLineLongerThanTheSampleIsAnError) {
  Status s = InferError(std::string(5000, 'x'), /*whole=*/false);
  EXPECT_EQ(s.code(), StatusCode::kCorruptInput);
  EXPECT_THAT(s.message(), HasSubstr("no line break"));
}

TEST(CrawlerTest, AFewBadRowsStillInfer) {
  std::string sample(kTransactions);
  sample += "TXN04817266,C12345,P12345,2\n";                                   // too few
  sample += "TXN04817267,C12345,P12345,2,9.99,2026-11-30,Cash,Completed,x\n";  // too many
  for (int i = 0; i < 5; ++i)
    sample += "TXN0481727" + std::to_string(i) + ",C1,P1,2,5.00,2026-12-01,Cash,Completed\n";
  TableSchema s = Infer(sample);
  EXPECT_TRUE(s.has_header);
  EXPECT_EQ(s.columns.size(), 8u);
  EXPECT_EQ(s.columns[3].type, ColumnType::kInteger);
  EXPECT_EQ(s.columns[4].type, ColumnType::kDecimal);
}

TEST(CrawlerTest, BlankLinesBetweenRowsAreSkipped) {
  TableSchema s = Infer("id,qty\n\nA,1\n\n\nB,2\n");
  EXPECT_TRUE(s.has_header);
  EXPECT_THAT(Types(s), ElementsAre(ColumnType::kString, ColumnType::kInteger));
}

TEST(CrawlerTest, HugeSampleInfersFromTheFirstRows) {
  std::string sample = "id,qty\n";
  for (int i = 0; i < 50000; ++i)
    sample += "A" + std::to_string(i) + "," + std::to_string(i) + "\n";
  sample += "Z,not-a-number\n";  // beyond kMaxSampleRows
  TableSchema s = Infer(sample);
  EXPECT_EQ(s.columns[1].type, ColumnType::kInteger);
}

// ---- Partitions and table names ----

TEST(PartitionTest, KeepsUnpaddedValuesAsWritten) {
  EXPECT_THAT(ParsePartitions("transactions/year=2026/month=11/day=3/transaction_2026-11-03.csv"),
              ElementsAre(Pair("year", "2026"), Pair("month", "11"), Pair("day", "3")));
}

TEST(PartitionTest, KeepsPaddedValuesAsWritten) {
  EXPECT_THAT(ParsePartitions("sales/year=2026/month=01/day=05/x.csv"),
              ElementsAre(Pair("year", "2026"), Pair("month", "01"), Pair("day", "05")));
}

TEST(PartitionTest, NoPartitions) {
  EXPECT_THAT(ParsePartitions("dimensions/products/products.csv"), IsEmpty());
  EXPECT_THAT(ParsePartitions("products.csv"), IsEmpty());
}

TEST(PartitionTest, EqualsInTheFileNameIsNotAPartition) {
  EXPECT_THAT(ParsePartitions("t/year=2026/a=b.csv"), ElementsAre(Pair("year", "2026")));
}

TEST(PartitionTest, ValueMayContainEquals) {
  EXPECT_THAT(ParsePartitions("t/k=a=b/=skipped/x.csv"), ElementsAre(Pair("k", "a=b")));
}

TEST(TableNameTest, SegmentsBeforeThePartitions) {
  EXPECT_EQ(TableNameFor("transactions/year=2026/month=11/day=26/transaction_2026-11-26.csv"),
            "transactions");
}

TEST(TableNameTest, FoldersJoinedWithUnderscore) {
  EXPECT_EQ(TableNameFor("dimensions/products/products.csv"), "dimensions_products");
  EXPECT_EQ(TableNameFor("a/b/year=1/c/x.csv"), "a_b");
}

TEST(TableNameTest, RootFileIsItsOwnTable) {
  EXPECT_EQ(TableNameFor("products.csv"), "products");
  EXPECT_EQ(TableNameFor("data.2026.csv.gz"), "data");
  EXPECT_EQ(TableNameFor("README"), "README");
}

TEST(TableNameTest, DefaultWhenNothingNamesIt) {
  EXPECT_EQ(TableNameFor(".csv"), "default");
  EXPECT_EQ(TableNameFor("year=2026/x.csv"), "default");
}

// A few bad values (the job rejects those rows) must not flip a column to string, or the
// schema would change from one daily file to the next.
TEST(CrawlerTest, FewBadValuesDoNotChangeAColumnsType) {
  std::string text = "id,quantity,price\n";
  for (int i = 0; i < 100; ++i)
    text += std::to_string(i) + "," + std::to_string(i % 9 + 1) + ",1.50\n";
  text += "100,abc,$12.00\n";
  TableSchema s = Infer(text);
  EXPECT_EQ(s.columns[1].type, ColumnType::kInteger);
  EXPECT_EQ(s.columns[2].type, ColumnType::kDecimal);
}

TEST(CrawlerTest, AFewDatesWrittenAsNumbersDoNotChangeTheType) {
  std::string text = "id,transaction_date\n";
  for (int i = 0; i < 100; ++i) text += std::to_string(i) + ",2026-11-24\n";
  text += "100,20240115\n101,2024/01/15\n";
  TableSchema s = Infer(text);
  EXPECT_EQ(s.columns[1].type, ColumnType::kDate);
}

TEST(CrawlerTest, ManyStringValuesMakeAStringColumn) {
  std::string text = "id,code\n";
  for (int i = 0; i < 100; ++i) text += std::to_string(i) + "," + (i % 10 == 0 ? "x" : "5") + "\n";
  TableSchema s = Infer(text);
  EXPECT_EQ(s.columns[1].type, ColumnType::kString);
}

// ---- Headers over all-string rows, and the table's known columns (CrawlHints) ----

const std::vector<std::string> kJobColumns = {"transaction_id", "customer_id", "product_id",
                                              "quantity",       "price",       "transaction_date",
                                              "payment_type",   "status"};

CrawlHints JobHints(HeaderMode mode = HeaderMode::kDetect) {
  CrawlHints hints;
  hints.header = mode;
  hints.job_columns = {kJobColumns};
  return hints;
}

TableSchema Infer(std::string_view sample, const CrawlHints& hints) {
  auto schema = InferSchema(sample, true, hints);
  EXPECT_TRUE(schema.ok()) << schema.status().ToString();
  return schema.ok() ? *schema : TableSchema{};
}

// Every data row has one bad value, each in a different typed column, so every column is a
// string to the type inference; the columns are also in another order than the job's.
constexpr std::string_view kAllBadReordered =
    "status,price,transaction_id,quantity,customer_id,transaction_date,product_id,payment_type\n"
    "Completed,abc,TXN1,2,C1,2026-11-26,P1,Credit Card\n"
    "Completed,10.00,TXN2,two,C1,2026-11-26,P1,Credit Card\n"
    "Completed,10.00,TXN3,2,C1,2026-13-45,P1,Credit Card\n";

TEST(CrawlerHeaderTest, AllStringRowsWithoutKnownColumnsFollowGluesRule) {
  // The case the known columns exist for: from the bytes alone the header is data.
  TableSchema s = Infer(kAllBadReordered);
  EXPECT_FALSE(s.has_header);
}

TEST(CrawlerHeaderTest, FirstRowNamingTheJobsColumnsIsAHeaderOverAllStringRows) {
  TableSchema s = Infer(kAllBadReordered, JobHints());
  EXPECT_TRUE(s.has_header);
  EXPECT_THAT(Names(s), ElementsAre("status", "price", "transaction_id", "quantity", "customer_id",
                                    "transaction_date", "product_id", "payment_type"));
  for (const Column& c : s.columns) EXPECT_EQ(c.type, ColumnType::kString) << c.name;
}

TEST(CrawlerHeaderTest, FirstRowNamingTheTablesColumnsIsAHeader) {
  CrawlHints hints;
  hints.table_columns = {"city", "name"};
  TableSchema s = Infer("name,city\nAlice,Paris\nBob,London\n", hints);
  EXPECT_TRUE(s.has_header);
  EXPECT_THAT(Names(s), ElementsAre("name", "city"));
}

TEST(CrawlerHeaderTest, KnownNamesMatchInAnyCaseAndTakeTheTablesSpelling) {
  std::string sample(kAllBadReordered);
  sample.replace(0, sample.find('\n'),
                 "STATUS,Price,Transaction_ID,quantity,CUSTOMER_ID,transaction_date,Product_Id,"
                 "payment_type");
  TableSchema s = Infer(sample, JobHints());
  EXPECT_TRUE(s.has_header);
  EXPECT_THAT(Names(s), ElementsAre("status", "price", "transaction_id", "quantity", "customer_id",
                                    "transaction_date", "product_id", "payment_type"));
}

TEST(CrawlerHeaderTest, KnownNamesBehindABomAndQuotesAndSpacesAreAHeader) {
  std::string sample(kAllBadReordered);
  sample.replace(0, sample.find('\n'),
                 "\xEF\xBB\xBF\"status\",\" price \",\"transaction_id\",quantity,customer_id,"
                 "\"transaction_date\",product_id,\" payment_type\"");
  TableSchema s = Infer(sample, JobHints());
  EXPECT_TRUE(s.has_header);
  EXPECT_THAT(Names(s), ElementsAre("status", "price", "transaction_id", "quantity", "customer_id",
                                    "transaction_date", "product_id", "payment_type"));
}

TEST(CrawlerHeaderTest, AHeaderWithSomeNewColumnsStillNamesTheKnownOnes) {
  TableSchema s = Infer(
      "transaction_id,customer_id,product_id,quantity,price,transaction_date,payment_type,"
      "status,channel,coupon\n"
      "TXN1,C1,P1,two,abc,bad,Card,Done,web,X1\n",
      JobHints());
  EXPECT_TRUE(s.has_header);
  EXPECT_EQ(s.columns.size(), 10u);
  EXPECT_EQ(s.columns[9].name, "coupon");
}

TEST(CrawlerHeaderTest, ARowWithFewKnownNamesIsNotAHeaderByThem) {
  // Two of five names known: not the table's header; Glue's rule decides (all strings: data).
  TableSchema s = Infer("status,price,a,b,c\nx,y,z,w,v\nq,r,s,t,u\n", JobHints());
  EXPECT_FALSE(s.has_header);
}

TEST(CrawlerHeaderTest, DataRowsNeverNameKnownColumns) {
  // Headerless, every row bad: no row names the columns, so there is no header, and the
  // columns are named after the job's columns by position (not col0..col7).
  std::string sample(kAllBadReordered.substr(kAllBadReordered.find('\n') + 1));
  TableSchema s = Infer(sample, JobHints());
  EXPECT_FALSE(s.has_header);
  EXPECT_THAT(Names(s), ::testing::ContainerEq(kJobColumns));
}

TEST(CrawlerHeaderTest, HeaderlessFileAfterAHeadedOneKeepsTheTablesNames) {
  // The table was made by a file with a header in another order than the job's; a headerless
  // file of the same width is named in the table's order, so its schema is the table's.
  TableSchema headed = Infer(kAllBadReordered, JobHints());
  ASSERT_TRUE(headed.has_header);
  CrawlHints hints = JobHints();
  for (const Column& c : headed.columns) hints.table_columns.push_back(c.name);
  TableSchema headerless = Infer(
      "Completed,12.50,TXN9,3,C1,2026-11-27,P1,Credit Card\n"
      "Completed,7.25,TXN10,1,C2,2026-11-27,P2,Cash\n",
      hints);
  EXPECT_FALSE(headerless.has_header);
  EXPECT_EQ(Names(headerless), hints.table_columns);
  EXPECT_TRUE(DiffSchemas(headed.columns, headerless.columns).added.empty());
  EXPECT_TRUE(DiffSchemas(headed.columns, headerless.columns).removed.empty());
  EXPECT_EQ(headerless.columns[1].type, ColumnType::kDecimal);
  EXPECT_EQ(headerless.columns[3].type, ColumnType::kInteger);
}

TEST(CrawlerHeaderTest, HeaderlessFileOfAnotherWidthIsNamedByPosition) {
  CrawlHints hints = JobHints();
  hints.table_columns = {"a", "b", "c"};
  TableSchema s = Infer("1,2\n3,4\n", hints);
  EXPECT_FALSE(s.has_header);
  EXPECT_THAT(Names(s), ElementsAre("col0", "col1"));
}

TEST(CrawlerHeaderTest, AbsentReadsTheFirstRowAsData) {
  CrawlHints hints = JobHints(HeaderMode::kAbsent);
  hints.table_columns = {"id", "qty"};
  // Even a first row that would pass for a header is data when told so.
  TableSchema s = Infer("id,qty\nA,1\nB,2\n", hints);
  EXPECT_FALSE(s.has_header);
  EXPECT_THAT(Names(s), ElementsAre("id", "qty"));
  EXPECT_EQ(s.columns[1].type, ColumnType::kString);  // "qty" is one of its values
}

TEST(CrawlerHeaderTest, PresentTakesTheFirstRowWhateverItHolds) {
  // Unknown names over all-string rows: Glue's rule says data, the setting says header.
  TableSchema s =
      Infer("name,city\nAlice,Paris\nBob,London\n", CrawlHints{.header = HeaderMode::kPresent});
  EXPECT_TRUE(s.has_header);
  EXPECT_THAT(Names(s), ElementsAre("name", "city"));
  // A typed first row too.
  s = Infer("1,2\n3,4\n", CrawlHints{.header = HeaderMode::kPresent});
  EXPECT_TRUE(s.has_header);
  EXPECT_THAT(Names(s), ElementsAre("1", "2"));
}

TEST(CrawlerHeaderTest, HeaderModeNames) {
  for (HeaderMode m : {HeaderMode::kDetect, HeaderMode::kPresent, HeaderMode::kAbsent}) {
    EXPECT_EQ(ParseHeaderMode(HeaderModeName(m)), m);
  }
  EXPECT_EQ(ParseHeaderMode("Present"), std::nullopt);
  EXPECT_EQ(ParseHeaderMode("yes"), std::nullopt);
}

}  // namespace
}  // namespace ecompipe::catalog
