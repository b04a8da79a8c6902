#include "transform/transaction_job.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_streams.h"

namespace ecompipe::transform {
namespace {

using model::Customer;
using model::FactRow;
using model::Money;
using model::Product;
using model::RejectRow;
namespace reason = model::reason;

using testing::CollectingSink;
using testing::GeneratedInputStream;
using ::testing::HasSubstr;
using testing::StringInputStream;

const std::string kHeader =
    "transaction_id,customer_id,product_id,quantity,price,transaction_date,payment_type,status\n";
const std::string kKey = "transactions/year=2026/month=11/day=30/transaction_2026-11-30.csv";

Dimensions TestDimensions() {
  Dimensions dims;
  dims.customers["C1"] = Customer{"C1", "Ann", "Lee", "ann.lee@example.com", "Gold"};
  dims.customers["C2"] = Customer{"C2", "Bob", "Ray", "bob.ray@example.com", "Silver"};
  dims.products["P1"] = Product{"P1", "Smart Watch, Silver", "Gadgets", Money{2999}, "S123"};
  dims.products["P2"] = Product{"P2", "Widget \"B\"", "Tools", Money{4999}, "S124"};
  return dims;
}

struct Row {
  std::string tid = "TXN1";
  std::string customer = "C1";
  std::string product = "P1";
  std::string quantity = "2";
  std::string price = "10.00";
  std::string date = "2024-01-15";
  std::string csv() const {
    return tid + "," + customer + "," + product + "," + quantity + "," + price + "," + date +
           ",Credit Card,Completed";
  }
};

struct Outcome {
  Status status;
  TransformStats stats;
  CollectingSink sink;
};

std::unique_ptr<Outcome> Transform(const std::string& text, const catalog::TableSchema& schema = {},
                                   const JobSpec& spec = {}, size_t piece = SIZE_MAX) {
  auto out = std::make_unique<Outcome>();
  StringInputStream in(text, piece);
  auto result = TransformObject(in, schema, TestDimensions(), spec, kKey, out->sink);
  if (result.ok()) {
    out->stats = *result;
    EXPECT_EQ(out->stats.rows_read, out->stats.facts + out->stats.rejects);
    EXPECT_EQ(out->stats.facts, static_cast<int64_t>(out->sink.facts.size()));
    EXPECT_EQ(out->stats.rejects, static_cast<int64_t>(out->sink.rejects.size()));
  } else {
    out->status = result.status();
  }
  return out;
}

// The reason the single data row `line` (after the header) is rejected with, or "fact".
std::string ReasonFor(const std::string& line) {
  auto out = Transform(kHeader + line + "\n");
  EXPECT_TRUE(out->status.ok()) << out->status.ToString();
  if (out->sink.facts.size() == 1) return "fact";
  if (out->sink.rejects.size() != 1) return "?";
  return out->sink.rejects[0].reason;
}

std::string ReasonFor(const Row& row) { return ReasonFor(row.csv()); }

TEST(TransactionJobTest, ValidRowBecomesAJoinedFact) {
  auto out = Transform(kHeader + "TXN1,C1,P1,3,19.99,2024-02-29,Cash on Delivery,Completed\n");
  ASSERT_TRUE(out->status.ok()) << out->status.ToString();
  ASSERT_EQ(out->sink.facts.size(), 1u);
  const FactRow& f = out->sink.facts[0];
  EXPECT_EQ(f.transaction_id, "TXN1");
  EXPECT_EQ(f.customer_id, "C1");
  EXPECT_EQ(f.customer_email, "ann.lee@example.com");
  EXPECT_EQ(f.product_id, "P1");
  EXPECT_EQ(f.product_name, "Smart Watch, Silver");
  EXPECT_EQ(f.supplier_id, "S123");
  EXPECT_EQ(f.quantity, 3);
  EXPECT_EQ(f.price, Money{1999});  // the transaction's price, not the catalogue's 29.99
  EXPECT_EQ(f.total_amount, Money{5997});
  EXPECT_EQ(f.transaction_type, "Small");
  EXPECT_EQ(f.transaction_date, "2024-02-29");
  EXPECT_EQ(f.payment_type, "Cash on Delivery");
  EXPECT_EQ(f.status, "Completed");
  EXPECT_EQ(out->stats.rows_read, 1);
}

TEST(TransactionJobTest, ColumnsAreMappedByHeaderNameInAnyOrder) {
  auto out = Transform(
      "status,extra,price,quantity,transaction_date,payment_type,product_id,customer_id,"
      "transaction_id\n"
      "Completed,zzz,5.00,4,2024-03-01,Debit Card,P2,C2,TXN9\n");
  ASSERT_TRUE(out->status.ok()) << out->status.ToString();
  ASSERT_EQ(out->sink.facts.size(), 1u);
  EXPECT_EQ(out->sink.facts[0].transaction_id, "TXN9");
  EXPECT_EQ(out->sink.facts[0].customer_email, "bob.ray@example.com");
  EXPECT_EQ(out->sink.facts[0].total_amount, Money{2000});
  EXPECT_EQ(out->sink.facts[0].payment_type, "Debit Card");
}

// The job reads a header as the crawler does: names trimmed, in any case (both engines).
TEST(TransactionJobTest, HeaderNamesMatchTrimmedAndInAnyCase) {
  const std::string text =
      "STATUS, Price ,Quantity,transaction_DATE,payment_type,\"Product_ID\",customer_id,"
      "Transaction_Id\n"
      "Completed,5.00,4,2024-03-01,Debit Card,P2,C2,TXN9\n";
  auto out = Transform(text);
  ASSERT_TRUE(out->status.ok()) << out->status.ToString();
  ASSERT_EQ(out->sink.facts.size(), 1u);
  EXPECT_EQ(out->sink.facts[0].transaction_id, "TXN9");
  EXPECT_EQ(out->sink.facts[0].total_amount, Money{2000});
  StringInputStream in(text);
  CollectingSink sink;
  auto sequential = TransformObjectSequential(in, {}, TestDimensions(), {}, kKey, sink);
  ASSERT_TRUE(sequential.ok()) << sequential.status().ToString();
  ASSERT_EQ(sink.facts.size(), 1u);
  EXPECT_EQ(sink.facts[0].transaction_id, "TXN9");
}

// A headerless object whose catalog schema names its columns (after the table's, in the
// table's order) is read by those names, not in the job's column order (both engines).
TEST(TransactionJobTest, HeaderlessObjectIsReadByTheCatalogsColumnNames) {
  catalog::TableSchema schema;
  schema.has_header = false;
  for (const char* name : {"status", "price", "quantity", "transaction_date", "payment_type",
                           "product_id", "customer_id", "transaction_id"}) {
    schema.columns.push_back({name, catalog::ColumnType::kString});
  }
  const std::string text = "Completed,5.00,4,2024-03-01,Debit Card,P2,C2,TXN9\n";
  auto out = Transform(text, schema);
  ASSERT_TRUE(out->status.ok()) << out->status.ToString();
  ASSERT_EQ(out->sink.facts.size(), 1u)
      << (out->sink.rejects.empty() ? "" : out->sink.rejects[0].detail);
  EXPECT_EQ(out->sink.facts[0].transaction_id, "TXN9");
  EXPECT_EQ(out->sink.facts[0].customer_email, "bob.ray@example.com");
  EXPECT_EQ(out->sink.facts[0].total_amount, Money{2000});
  StringInputStream in(text);
  CollectingSink sink;
  auto sequential = TransformObjectSequential(in, schema, TestDimensions(), {}, kKey, sink);
  ASSERT_TRUE(sequential.ok()) << sequential.status().ToString();
  ASSERT_EQ(sink.facts.size(), 1u);
  EXPECT_EQ(sink.facts[0].transaction_id, "TXN9");
}

TEST(TransactionJobTest, MissingRequiredColumnIsAnErrorNamingObjectLineAndColumn) {
  auto out = Transform(
      "transaction_id,customer_id,product_id,quantity,transaction_date,payment_type,status\n" +
      Row{}.csv() + "\n");
  ASSERT_FALSE(out->status.ok());
  EXPECT_EQ(out->status.code(), StatusCode::kCorruptInput);
  EXPECT_THAT(out->status.ToString(), HasSubstr(kKey + " line 1"));
  EXPECT_THAT(out->status.ToString(), HasSubstr("'price'"));
}

TEST(TransactionJobTest, HeaderWithBomAndCrlfIsMapped) {
  // Built with += : GCC 12 at -O3 warns falsely (-Wrestrict) on literal + string here.
  std::string text = "\xEF\xBB\xBF";
  text += kHeader.substr(0, kHeader.size() - 1);
  text += "\r\n";
  text += Row{}.csv();
  text += "\r\n";
  auto out = Transform(text);
  ASSERT_TRUE(out->status.ok()) << out->status.ToString();
  ASSERT_EQ(out->sink.facts.size(), 1u);
  EXPECT_EQ(out->sink.facts[0].status, "Completed");
}

TEST(TransactionJobTest, RepeatedRequiredColumnIsAnError) {
  auto out = Transform("price," + kHeader + "1.00," + Row{}.csv() + "\n");
  ASSERT_FALSE(out->status.ok());
  EXPECT_THAT(out->status.ToString(), HasSubstr("'price' appears twice"));
}

TEST(TransactionJobTest, WithoutHeaderFieldCountIsCheckedAgainstTheReferenceLayout) {
  catalog::TableSchema schema;
  schema.has_header = false;
  auto out = Transform(Row{}.csv() + ",x\n", schema);
  ASSERT_EQ(out->sink.rejects.size(), 1u);
  EXPECT_EQ(out->sink.rejects[0].detail, "9 fields, expected 8");
  EXPECT_EQ(out->sink.rejects[0].line, 1);
}

TEST(TransactionJobTest, EmptyObjectReadsNothing) {
  auto out = Transform("");
  ASSERT_TRUE(out->status.ok()) << out->status.ToString();
  EXPECT_EQ(out->stats.rows_read, 0);
}

TEST(TransactionJobTest, HeaderOnlyObjectReadsNothing) {
  auto out = Transform(kHeader);
  ASSERT_TRUE(out->status.ok()) << out->status.ToString();
  EXPECT_EQ(out->stats.rows_read, 0);
  EXPECT_EQ(out->sink.fact_batches, 0);
}

TEST(TransactionJobTest, WithoutHeaderColumnsArePositional) {
  catalog::TableSchema schema;
  schema.has_header = false;
  auto out = Transform(Row{}.csv() + "\n", schema);
  ASSERT_TRUE(out->status.ok()) << out->status.ToString();
  EXPECT_EQ(out->sink.facts.size(), 1u);
}

TEST(TransactionJobTest, SemicolonDelimitedObject) {
  catalog::TableSchema schema;
  schema.delimiter = ';';
  std::string text = kHeader + Row{}.csv() + "\n";
  std::replace(text.begin(), text.end(), ',', ';');
  auto out = Transform(text, schema);
  ASSERT_TRUE(out->status.ok()) << out->status.ToString();
  EXPECT_EQ(out->sink.facts.size(), 1u);
}

TEST(TransactionJobTest, JsonLinesObject) {
  catalog::TableSchema schema;
  schema.format = catalog::DataFormat::kJsonLines;
  auto out = Transform(
      R"({"transaction_id":"TXN1","customer_id":"C1","product_id":"P1","quantity":2,"price":10.5,)"
      R"("transaction_date":"2024-01-15","payment_type":"Credit Card","status":"Completed"})"
      "\n"
      "[not an object]\n",
      schema);
  ASSERT_TRUE(out->status.ok()) << out->status.ToString();
  ASSERT_EQ(out->sink.facts.size(), 1u);
  EXPECT_EQ(out->sink.facts[0].total_amount, Money{2100});
  ASSERT_EQ(out->sink.rejects.size(), 1u);
  EXPECT_EQ(out->sink.rejects[0].reason, reason::kMalformedRecord);
  EXPECT_EQ(out->sink.rejects[0].line, 2);
}

TEST(TransactionJobTest, JsonLinesMissingKeyFailsItsRule) {
  catalog::TableSchema schema;
  schema.format = catalog::DataFormat::kJsonLines;
  auto out = Transform(R"({"customer_id":"C1"})"
                       "\n",
                       schema);
  ASSERT_EQ(out->sink.rejects.size(), 1u);
  EXPECT_EQ(out->sink.rejects[0].reason, reason::kMissingTransactionId);
}

TEST(TransactionJobTest, RejectRowCarriesLineRawDetailAndTransactionId) {
  auto out = Transform(kHeader + Row{}.csv() + "\n\n" + Row{.tid = "TXN2", .quantity = "0"}.csv() +
                       "\r\n");
  ASSERT_EQ(out->sink.rejects.size(), 1u);
  const RejectRow& r = out->sink.rejects[0];
  EXPECT_EQ(r.line, 4);
  EXPECT_EQ(r.reason, reason::kInvalidQuantity);
  EXPECT_EQ(r.detail, "quantity '0' is not a positive integer of at most 9 digits");
  EXPECT_EQ(r.raw, "TXN2,C1,P1,0,10.00,2024-01-15,Credit Card,Completed");
  EXPECT_EQ(r.transaction_id, "TXN2");
}

TEST(TransactionJobTest, NulByteIsRejected) {
  EXPECT_EQ(ReasonFor(std::string("TXN1,C1,P1,2,10.00,2024-01-15,Credit\0Card,Completed", 52)),
            reason::kNulByte);
}

TEST(TransactionJobTest, InvalidUtf8IsRejected) {
  EXPECT_EQ(ReasonFor("TXN1,C1,P1,2,10.00,2024-01-15,Cr\xC3\x28"
                      "dit,Completed"),
            reason::kInvalidUtf8);
}

TEST(TransactionJobTest, TruncatedMultiByteCharacterAtEndOfInputIsInvalidUtf8) {
  auto out = Transform(kHeader + Row{}.csv() + ",\xE2\x82", {}, {}, 3);
  ASSERT_EQ(out->sink.rejects.size(), 1u);
  EXPECT_EQ(out->sink.rejects[0].reason, reason::kInvalidUtf8);
}

TEST(TransactionJobTest, MultiByteCharacterSplitAcrossReadsIsValid) {
  // 1-byte reads put a chunk boundary inside every multi-byte character.
  auto out = Transform(
      kHeader +
          "TXN1,C1,P1,2,10.00,2024-01-15,Caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80,Completed\n",
      {}, {}, 1);
  ASSERT_EQ(out->sink.facts.size(), 1u);
  EXPECT_EQ(out->sink.facts[0].payment_type, "Caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
}

TEST(TransactionJobTest, TooLongRecordIsRejectedWithTruncatedRaw) {
  JobSpec spec;
  spec.max_record_bytes = 100;
  auto out = Transform(
      kHeader + Row{}.csv() + "," + std::string(200, 'x') + "\n" + Row{.tid = "TXN2"}.csv() + "\n",
      {}, spec);
  ASSERT_EQ(out->sink.rejects.size(), 1u);
  EXPECT_EQ(out->sink.rejects[0].reason, reason::kLineTooLong);
  EXPECT_THAT(out->sink.rejects[0].detail, HasSubstr("exceeds the limit of 100 bytes"));
  ASSERT_EQ(out->sink.facts.size(), 1u);
  EXPECT_EQ(out->sink.facts[0].transaction_id, "TXN2");
}

TEST(TransactionJobTest, TenMegabyteRecordIsRejectedAndReadingGoesOn) {
  GeneratedInputStream in({{kHeader + "TXN1,C1,P1,2,10.00,2024-01-15,"},
                           {"", 'x', 10 << 20},
                           {",Completed\n" + Row{.tid = "TXN2"}.csv() + "\n"}});
  CollectingSink sink;
  auto stats = TransformObject(in, {}, TestDimensions(), JobSpec{}, kKey, sink);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  ASSERT_EQ(sink.rejects.size(), 1u);
  EXPECT_EQ(sink.rejects[0].reason, reason::kLineTooLong);
  EXPECT_LE(sink.rejects[0].raw.size(), kMaxRawBytes);
  EXPECT_EQ(sink.facts.size(), 1u);
}

TEST(TransactionJobTest, UnclosedQuoteIsMalformedRecord) {
  auto out = Transform(kHeader + Row{}.csv() +
                       "\nTXN2,C1,P1,2,10.00,2024-01-15,\"Credit Card,Completed\n");
  ASSERT_EQ(out->sink.rejects.size(), 1u);
  EXPECT_EQ(out->sink.rejects[0].reason, reason::kMalformedRecord);
  EXPECT_EQ(out->sink.rejects[0].line, 3);
  EXPECT_EQ(out->sink.facts.size(), 1u);
}

TEST(TransactionJobTest, WrongFieldCountNamesBothCounts) {
  auto out = Transform(kHeader + Row{}.csv() + ",extra\n");
  ASSERT_EQ(out->sink.rejects.size(), 1u);
  EXPECT_EQ(out->sink.rejects[0].reason, reason::kWrongFieldCount);
  EXPECT_EQ(out->sink.rejects[0].detail, "9 fields, header has 8");
}

TEST(TransactionJobTest, QuotedFieldsCountOnce) {
  EXPECT_EQ(ReasonFor("\"TXN1\",C1,P1,2,10.00,2024-01-15,\"Credit, Card\",\"Completed\""), "fact");
}

TEST(TransactionJobTest, MissingTransactionId) {
  EXPECT_EQ(ReasonFor(Row{.tid = ""}), reason::kMissingTransactionId);
}

TEST(TransactionJobTest, MalformedTransactionId) {
  for (const char* tid : {"T000001", "txn1", "TXN", "TXN1a", " TXN1"}) {
    EXPECT_EQ(ReasonFor(Row{.tid = tid}), reason::kMalformedTransactionId) << tid;
  }
}

TEST(TransactionJobTest, MalformedCustomerId) {
  for (const char* c : {"CUST12", "c0000012", "C-12", "C 12", "", "C"}) {
    EXPECT_EQ(ReasonFor(Row{.customer = c}), reason::kMalformedCustomerId) << c;
  }
}

TEST(TransactionJobTest, MalformedProductId) {
  for (const char* p : {"p1", "P12x", "P 3", "", "P"}) {
    EXPECT_EQ(ReasonFor(Row{.product = p}), reason::kMalformedProductId) << p;
  }
}

TEST(TransactionJobTest, QuantityWithLeadingZerosIsAccepted) {
  auto out = Transform(kHeader + Row{.quantity = "007"}.csv() + "\n");
  ASSERT_EQ(out->sink.facts.size(), 1u);
  EXPECT_EQ(out->sink.facts[0].quantity, 7);
  EXPECT_EQ(out->sink.facts[0].total_amount, Money{7000});
}

TEST(TransactionJobTest, InvalidQuantity) {
  for (const char* q : {"+5", " 5", "5.", "1e2", "0", "-1", "", "abc", "2.5", "1000000000"}) {
    EXPECT_EQ(ReasonFor(Row{.quantity = q}), reason::kInvalidQuantity) << q;
  }
}

TEST(TransactionJobTest, InvalidPrice) {
  for (const char* p : {"-5.00", "abc", "$12.00", "", "5.", ".5", "1.234", "1e2", " 5"}) {
    EXPECT_EQ(ReasonFor(Row{.price = p}), reason::kInvalidPrice) << p;
  }
}

TEST(TransactionJobTest, ValidDates) {
  for (const char* d : {"2024-02-29", "2000-02-29", "0001-01-01", "9999-12-31"}) {
    EXPECT_EQ(ReasonFor(Row{.date = d}), "fact") << d;
  }
}

TEST(TransactionJobTest, InvalidDates) {
  for (const char* d : {"2023-02-29", "1900-02-29", "0000-01-01", "2024-1-05", "2024-02-30",
                        "2023-13-01", "2024/01/15", "", "2024-01-05 "}) {
    EXPECT_EQ(ReasonFor(Row{.date = d}), reason::kInvalidDate) << d;
  }
}

TEST(TransactionJobTest, UnknownCustomerId) {
  EXPECT_EQ(ReasonFor(Row{.customer = "C99"}), reason::kUnknownCustomerId);
}

TEST(TransactionJobTest, UnknownProductId) {
  EXPECT_EQ(ReasonFor(Row{.product = "P99"}), reason::kUnknownProductId);
}

TEST(TransactionJobTest, FirstFailingRuleWins) {
  EXPECT_EQ(ReasonFor(Row{.tid = "X", .customer = "bad"}), reason::kMalformedTransactionId);
  EXPECT_EQ(ReasonFor(Row{.customer = "bad", .product = "bad", .quantity = "0"}),
            reason::kMalformedCustomerId);
  EXPECT_EQ(ReasonFor(Row{.product = "bad", .quantity = "0"}), reason::kMalformedProductId);
  EXPECT_EQ(ReasonFor(Row{.quantity = "0", .price = "x"}), reason::kInvalidQuantity);
  EXPECT_EQ(ReasonFor(Row{.price = "x", .date = "x"}), reason::kInvalidPrice);
  EXPECT_EQ(ReasonFor(Row{.customer = "C99", .date = "x"}), reason::kInvalidDate);
  EXPECT_EQ(ReasonFor(Row{.customer = "C99", .product = "P99"}), reason::kUnknownCustomerId);
  EXPECT_EQ(ReasonFor(Row{.tid = ""}.csv() + ",extra"), reason::kWrongFieldCount);
}

TEST(TransactionJobTest, DuplicateTransactionIdWithinObject) {
  auto out = Transform(kHeader + Row{.tid = "TXN1"}.csv() + "\n" +         // fact
                       Row{.tid = "TXN2", .price = "bad"}.csv() + "\n" +   // rejected: not "seen"
                       Row{.tid = "TXN2"}.csv() + "\n" +                   // fact
                       Row{.tid = "TXN1", .quantity = "0"}.csv() + "\n" +  // an earlier rule wins
                       Row{.tid = "TXN1"}.csv() + "\n" +                   // duplicate
                       Row{.tid = "TXN01"}.csv() + "\n");                  // a different id
  ASSERT_EQ(out->sink.facts.size(), 3u);
  ASSERT_EQ(out->sink.rejects.size(), 3u);
  EXPECT_EQ(out->sink.rejects[0].reason, reason::kInvalidPrice);
  EXPECT_EQ(out->sink.rejects[1].reason, reason::kInvalidQuantity);
  EXPECT_EQ(out->sink.rejects[2].reason, reason::kDuplicateTransactionId);
  EXPECT_EQ(out->sink.rejects[2].line, 6);
}

TEST(TransactionJobTest, TotalOutOfRangeIsRejected) {
  EXPECT_EQ(ReasonFor(Row{.quantity = "999999999", .price = "999999999999.99"}),
            reason::kTotalOutOfRange);
}

TEST(TransactionJobTest, ClassificationBoundaries) {
  auto out = Transform(kHeader + Row{.tid = "TXN1", .quantity = "1", .price = "100.00"}.csv() +
                       "\n" + Row{.tid = "TXN2", .quantity = "1", .price = "100.01"}.csv() + "\n" +
                       Row{.tid = "TXN3", .quantity = "4", .price = "125"}.csv() + "\n" +
                       Row{.tid = "TXN4", .quantity = "1", .price = "500.01"}.csv() + "\n");
  ASSERT_EQ(out->sink.facts.size(), 4u);
  EXPECT_EQ(out->sink.facts[0].transaction_type, "Small");
  EXPECT_EQ(out->sink.facts[1].transaction_type, "Medium");
  EXPECT_EQ(out->sink.facts[2].transaction_type, "Medium");  // 4 x 125 = 500.00
  EXPECT_EQ(out->sink.facts[3].transaction_type, "Large");
}

TEST(TransactionJobTest, FactsArriveInBatchesInInputOrder) {
  std::string text = kHeader;
  for (int i = 1; i <= 20000; ++i) text += Row{.tid = "TXN" + std::to_string(i)}.csv() + "\n";
  auto out = Transform(text);
  ASSERT_EQ(out->sink.facts.size(), 20000u);
  // The input is one chunk: its 20000 facts arrive as one batch, handed over in place.
  EXPECT_EQ(out->sink.fact_batches, 1);
  for (int i = 0; i < 20000; ++i)
    ASSERT_EQ(out->sink.facts[i].transaction_id, "TXN" + std::to_string(i + 1));
}

TEST(TransactionJobTest, StreamErrorNamesObjectAndLine) {
  std::string text = kHeader;
  for (int i = 1; i <= 100; ++i) text += Row{.tid = "TXN" + std::to_string(i)}.csv() + "\n";
  StringInputStream in(text, 1000, kHeader.size() + 10 * (Row{}.csv().size() + 1) + 5);
  CollectingSink sink;
  auto result = TransformObject(in, {}, TestDimensions(), JobSpec{}, kKey, sink);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kCorruptInput);
  EXPECT_EQ(result.status().place(), kKey + " line 12: byte 77");
  EXPECT_EQ(result.status().message(), "gzip stream truncated");
}

class FailingSink : public CollectingSink {
 public:
  Status AddFacts(std::vector<FactRow>&) override { return Status::IoError("disk full"); }
};

TEST(TransactionJobTest, SinkErrorStopsTheObject) {
  std::string text = kHeader;
  for (int i = 1; i <= 9000; ++i) text += Row{.tid = "TXN" + std::to_string(i)}.csv() + "\n";
  StringInputStream in(text);
  FailingSink sink;
  auto result = TransformObject(in, {}, TestDimensions(), JobSpec{}, kKey, sink);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(), "disk full");
}

// A sink that keeps rows without moving from them: the job must still hand over fresh rows.
class NonMovingSink : public RowSink {
 public:
  Status AddFacts(std::vector<FactRow>& rows) override {
    for (const FactRow& r : rows) ids.push_back(r.transaction_id);
    return Status::Ok();
  }
  Status AddRejects(std::vector<RejectRow>&) override { return Status::Ok(); }
  std::vector<std::string> ids;
};

TEST(TransactionJobTest, ReusedBatchRowsAreFullyOverwritten) {
  std::string text = kHeader;
  for (int i = 1; i <= 8200; ++i) text += Row{.tid = "TXN" + std::to_string(i)}.csv() + "\n";
  StringInputStream in(text);
  NonMovingSink sink;
  auto result = TransformObject(in, {}, TestDimensions(), JobSpec{}, kKey, sink);
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(sink.ids.size(), 8200u);
  EXPECT_EQ(sink.ids[8192], "TXN8193");
  EXPECT_EQ(sink.ids[8199], "TXN8200");
}

}  // namespace
}  // namespace ecompipe::transform
