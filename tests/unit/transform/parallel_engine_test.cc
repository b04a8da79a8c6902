// The parallel engine (TransformObject on CSV and JSON Lines, RunFileJob) against the
// sequential reference (TransformObjectSequential): same rows, same order, same lines,
// whatever the thread count and chunk size, on generated data holding every kind of bad
// row. Results only, no timings.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "storage/compression.h"
#include "storage/storage_test_util.h"
#include "test_streams.h"
#include "transform/dimension_index.h"
#include "transform/file_job.h"
#include "transform/internal/chunk_runner.h"
#include "transform/internal/csv_boundary.h"
#include "transform/internal/csv_out.h"
#include "transform/transaction_job.h"

namespace ecompipe::transform {
namespace {

using model::ColumnType;
using model::Customer;
using model::FactRow;
using model::FormatMoney;
using model::Money;
using model::Product;
using model::RejectRow;
namespace reason = model::reason;

using testing::CollectingSink;
using testing::StringInputStream;

constexpr const char* kKey = "transactions/x.csv";
const std::string kHeader =
    "transaction_id,customer_id,product_id,quantity,price,transaction_date,payment_type,status\n";

Dimensions MakeDimensions() {
  Dimensions dims;
  for (int i = 1; i <= 50; ++i) {
    const std::string id = "C" + std::to_string(i);
    dims.customers[id] =
        Customer{id, "F", "L", "user" + std::to_string(i) + "@example.com", "Gold"};
  }
  dims.customers["C007"] = Customer{"C007", "Zoe", "Zed", "zoe@example.com, \"z\"", "Gold"};
  for (int i = 1; i <= 20; ++i) {
    const std::string id = "P" + std::to_string(i);
    dims.products[id] = Product{id, i % 3 == 0 ? "Watch, \"Silver\"" : "Lamp é", "Cat", Money{100},
                                "S" + std::to_string(i)};
  }
  return dims;
}

// Rows of every kind, seeded: valid rows (some quoted, with commas, quotes, line breaks and
// multi-byte characters in their fields), each single-field fault, unknown ids, duplicates,
// wrong field counts, CRLF, blank lines, invalid UTF-8, NUL bytes, over-long records, and
// an unclosed quote at the very end.
std::string MakeTransactions(uint64_t seed, int rows) {
  std::mt19937_64 rng(seed);
  const auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  std::string text = "\xEF\xBB\xBF" + kHeader;
  for (int i = 1; i <= rows; ++i) {
    std::string tid = "TXN" + std::to_string(pick(10) == 0 ? i / 2 + 1 : i);  // duplicates
    std::string customer = "C" + std::to_string(1 + pick(50));
    std::string product = "P" + std::to_string(1 + pick(20));
    std::string quantity = std::to_string(1 + pick(9));
    std::string price = std::to_string(pick(900)) + "." + std::to_string(10 + pick(90));
    std::string date = "2024-02-" + std::to_string(10 + pick(19));
    std::string payment = "Credit Card";
    std::string status = "Completed";
    std::string end = "\n";
    switch (pick(26)) {
      case 0:
        customer = "CUST12";
        break;
      case 1:
        product = "p1";
        break;
      case 2:
        quantity = "0";
        break;
      case 3:
        quantity = "2.5";
        break;
      case 4:
        price = "$12.00";
        break;
      case 5:
        price = "1.234";
        break;
      case 6:
        date = "2023-02-29";
        break;
      case 7:
        date = "2024/01/15";
        break;
      case 8:
        customer = "C999";
        break;
      case 9:
        product = "P999";
        break;
      case 10:
        customer = "C007";
        break;  // leading zeros: its own customer
      case 11:
        status = "\"Done, \"\"really\"\"\"";
        break;
      case 12:
        status = "\"multi\nline\r\nstatus\"";
        break;
      case 13:
        status = "日本語✓€";
        break;
      case 14:
        payment = "\"Carte bancaire — é\"";
        break;
      case 15:
        end = "\r\n";
        break;
      case 16:
        end = "\n\n";
        break;  // a blank line
      case 17:
        status += ",extra";
        break;
      case 18:
        status = "bad\xC3(";
        break;
      case 19:
        status = std::string("nul\0x", 5);
        break;
      case 20:
        status = std::string(300, 'x');
        break;  // over max_record_bytes (256)
      case 21:
        tid = "";
        break;
      case 22:
        tid = "TX1";
        break;
      case 23:
        status = "\"" + std::string(100, 'q') + "\n" + std::string(100, 'r') + "\"";
        break;
      default:
        break;
    }
    text += tid + "," + customer + "," + product + "," + quantity + "," + price + "," + date + "," +
            payment + "," + status + end;
  }
  text += "TXN999999,C1,P1,1,1.00,2024-01-01,Cash,\"never closed\nstill open";
  return text;
}

JobSpec Spec(int threads, size_t chunk_bytes) {
  JobSpec spec;
  spec.max_record_bytes = 256;
  spec.threads = threads;
  spec.chunk_bytes = chunk_bytes;
  return spec;
}

void ExpectSameFacts(const std::vector<FactRow>& a, const std::vector<FactRow>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    SCOPED_TRACE("fact " + std::to_string(i));
    EXPECT_EQ(a[i].line, b[i].line);
    EXPECT_EQ(a[i].transaction_id, b[i].transaction_id);
    EXPECT_EQ(a[i].customer_id, b[i].customer_id);
    EXPECT_EQ(a[i].customer_email, b[i].customer_email);
    EXPECT_EQ(a[i].product_id, b[i].product_id);
    EXPECT_EQ(a[i].product_name, b[i].product_name);
    EXPECT_EQ(a[i].quantity, b[i].quantity);
    EXPECT_EQ(a[i].supplier_id, b[i].supplier_id);
    EXPECT_EQ(a[i].price, b[i].price);
    EXPECT_EQ(a[i].transaction_date, b[i].transaction_date);
    EXPECT_EQ(a[i].transaction_type, b[i].transaction_type);
    EXPECT_EQ(a[i].payment_type, b[i].payment_type);
    EXPECT_EQ(a[i].status, b[i].status);
    EXPECT_EQ(a[i].total_amount, b[i].total_amount);
    EXPECT_EQ(a[i].values, b[i].values);  // a configured job's facts
  }
}

void ExpectSameRejects(const std::vector<RejectRow>& a, const std::vector<RejectRow>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    SCOPED_TRACE("reject " + std::to_string(i));
    EXPECT_EQ(a[i].line, b[i].line);
    EXPECT_EQ(a[i].reason, b[i].reason);
    EXPECT_EQ(a[i].detail, b[i].detail);
    EXPECT_EQ(a[i].raw, b[i].raw);
    EXPECT_EQ(a[i].transaction_id, b[i].transaction_id);
  }
}

struct Reference {
  TransformStats stats;
  CollectingSink sink;
};

// A parallel run's result equals the sequential reference's, row for row.
void ExpectSameAsReference(const Result<TransformStats>& stats, const CollectingSink& sink,
                           const Reference& ref) {
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->rows_read, ref.stats.rows_read);
  EXPECT_EQ(stats->facts, ref.stats.facts);
  EXPECT_EQ(stats->rejects, ref.stats.rejects);
  ExpectSameFacts(sink.facts, ref.sink.facts);
  ExpectSameRejects(sink.rejects, ref.sink.rejects);
}

const Reference& SequentialReference() {
  static const Reference* ref = [] {
    auto* r = new Reference;
    StringInputStream in(MakeTransactions(42, 3000));
    Result<TransformStats> stats =
        TransformObjectSequential(in, {}, MakeDimensions(), Spec(1, 1 << 20), kKey, r->sink);
    EXPECT_TRUE(stats.ok()) << stats.status().ToString();
    if (stats.ok()) r->stats = *stats;
    return r;
  }();
  return *ref;
}

TEST(ParallelEngineTest, ReferenceDataHoldsEveryKindOfRow) {
  const Reference& ref = SequentialReference();
  std::set<std::string> reasons;
  for (const RejectRow& r : ref.sink.rejects) reasons.insert(r.reason);
  for (const char* want :
       {reason::kMalformedCustomerId, reason::kMalformedProductId, reason::kInvalidQuantity,
        reason::kInvalidPrice, reason::kInvalidDate, reason::kUnknownCustomerId,
        reason::kUnknownProductId, reason::kDuplicateTransactionId, reason::kWrongFieldCount,
        reason::kInvalidUtf8, reason::kNulByte, reason::kLineTooLong, reason::kMissingTransactionId,
        reason::kMalformedTransactionId, reason::kMalformedRecord}) {
    EXPECT_TRUE(reasons.count(want)) << want;
  }
  EXPECT_GT(ref.stats.facts, 1000);
  EXPECT_EQ(ref.stats.rows_read, ref.stats.facts + ref.stats.rejects);
}

class ParallelEqualsSequential : public ::testing::TestWithParam<std::tuple<int, size_t, size_t>> {
};

TEST_P(ParallelEqualsSequential, SameRowsSameOrder) {
  const auto [threads, chunk_bytes, piece] = GetParam();
  const Reference& ref = SequentialReference();
  StringInputStream in(MakeTransactions(42, 3000), piece);
  CollectingSink sink;
  Result<TransformStats> stats =
      TransformObject(in, {}, MakeDimensions(), Spec(threads, chunk_bytes), kKey, sink);
  ExpectSameAsReference(stats, sink, ref);
}

// Chunk sizes from 1 byte (every cut right after the first LF found, records longer than
// the chunk) to more than the whole input; stream pieces of odd sizes move the cuts into
// quoted fields and multi-byte characters.
INSTANTIATE_TEST_SUITE_P(ThreadsAndChunks, ParallelEqualsSequential,
                         ::testing::Combine(::testing::Values(1, 2, 4),
                                            ::testing::Values(size_t{1}, size_t{64}, size_t{97},
                                                              size_t{4096}, size_t{1} << 20),
                                            ::testing::Values(size_t{7}, SIZE_MAX)));

TEST(ParallelEngineTest, DimensionIndexInTheDimensionsIsUsed) {
  Dimensions dims = MakeDimensions();
  dims.index = std::make_shared<const DimensionIndex>(DimensionIndex::Build(dims));
  StringInputStream in(MakeTransactions(42, 3000));
  CollectingSink sink;
  ASSERT_TRUE(TransformObject(in, {}, dims, Spec(2, 512), kKey, sink).ok());
  ExpectSameFacts(sink.facts, SequentialReference().sink.facts);
}

TEST(CsvBoundaryTest, NeverCutsInsideAQuotedField) {
  const std::string text = "a,\"x\ny\"\nb,\"c\n";
  // The LF inside "x\ny" ends nothing; the last complete record ends after "y\"\n".
  EXPECT_EQ(internal::FindRecordEnd(text, ',', '"', true), 8u);
  EXPECT_EQ(internal::FindRecordEnd(text, ',', '"', false), 8u);
  EXPECT_EQ(internal::FindRecordEnd("a,\"open\n", ',', '"', true), internal::kNoBoundary);
}

TEST(CsvBoundaryTest, AQuoteInsideAnUnquotedFieldIsData) {
  EXPECT_EQ(internal::FindRecordEnd("5\" screen,x\nnext", ',', '"', true), 12u);
}

TEST(DimensionIndexTest, LeadingZerosMakeDifferentIds) {
  DimensionIndex index;
  ASSERT_TRUE(index.AddCustomer("C12", "a@x"));
  ASSERT_TRUE(index.AddCustomer("C012", "b@x"));
  ASSERT_TRUE(index.SealCustomers().ok());
  EXPECT_EQ(index.email(*index.FindCustomer("C12")), "a@x");
  EXPECT_EQ(index.email(*index.FindCustomer("C012")), "b@x");
  EXPECT_FALSE(index.FindCustomer("C0012"));
  EXPECT_FALSE(index.FindCustomer("P12"));
}

// Emails are kept inline in the customer's row when they fit and need no quotes, and in
// the arena otherwise: every kind reads back the same, as read and as a CSV field.
TEST(DimensionIndexTest, EmailsOfEveryLengthAndQuotingReadBack) {
  const std::string fits(47, 'a');
  const std::string too_long(48, 'b');
  const std::string huge(300, 'c');
  DimensionIndex index;
  ASSERT_TRUE(index.AddCustomer("C1", ""));
  ASSERT_TRUE(index.AddCustomer("C2", fits));
  ASSERT_TRUE(index.AddCustomer("C3", too_long));
  ASSERT_TRUE(index.AddCustomer("C4", "a,\"b\"@x"));
  ASSERT_TRUE(index.AddCustomer("C5", huge));
  ASSERT_TRUE(index.AddCustomer("odd", "o@x"));
  ASSERT_TRUE(index.SealCustomers().ok());
  const auto row = [&](std::string_view id) { return *index.FindCustomer(id); };
  EXPECT_EQ(index.email(row("C1")), "");
  EXPECT_EQ(index.email_csv(row("C1")), "");
  EXPECT_EQ(index.email(row("C2")), fits);
  EXPECT_EQ(index.email_csv(row("C2")), fits);
  EXPECT_EQ(index.email(row("C3")), too_long);
  EXPECT_EQ(index.email_csv(row("C3")), too_long);
  EXPECT_EQ(index.email(row("C4")), "a,\"b\"@x");
  EXPECT_EQ(index.email_csv(row("C4")), "\"a,\"\"b\"\"@x\"");
  EXPECT_EQ(index.email(row("C5")), huge);
  EXPECT_EQ(index.email_csv(row("odd")), "o@x");
}

TEST(DimensionIndexTest, SparseAndNonNumericIdsAreFound) {
  DimensionIndex index;
  ASSERT_TRUE(index.AddProduct("P1", "one", "S1"));
  ASSERT_TRUE(index.AddProduct("P999999999999", "big", "S2"));
  ASSERT_TRUE(index.AddProduct("P-7", "odd, \"name\"", "S3"));
  ASSERT_TRUE(index.SealProducts().ok());
  EXPECT_EQ(index.product_name(*index.FindProduct("P999999999999")), "big");
  EXPECT_EQ(index.product_name_csv(*index.FindProduct("P-7")), "\"odd, \"\"name\"\"\"");
  EXPECT_FALSE(index.FindProduct("P2"));
  EXPECT_FALSE(index.FindProduct("P1234567890123456789012"));
}

TEST(DimensionIndexTest, RepeatedIdIsReported) {
  DimensionIndex index;
  ASSERT_TRUE(index.AddCustomer("C5", "a"));
  ASSERT_TRUE(index.AddCustomer("C05", "b"));
  ASSERT_TRUE(index.AddCustomer("C5", "c"));
  const Status s = index.SealCustomers();
  EXPECT_EQ(s.code(), StatusCode::kCorruptInput);
  EXPECT_EQ(s.message(), "duplicate customer_id 'C5'");
}

// ---- RunFileJob ----

class FileJobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ep_file_job_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  static std::string Read(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
  }
  FileJobOptions Options(const std::string& transactions, int threads, size_t chunk_bytes) {
    FileJobOptions o;
    o.transactions = Write("t.csv", transactions);
    o.customers = Write("c.csv",
                        "customer_id,first_name,last_name,email,membership_level,row_num\n"
                        "C1,A,B,ann@example.com,Gold,1\nC2,A,B,\"bob, jr@example.com\",Gold,2\n"
                        "CX,A,B,skipped@example.com,Gold,3\n");
    o.products = Write("p.csv",
                       "product_id,product_name,category,price,supplier_id\n"
                       "P1,\"Watch, \"\"Silver\"\"\",Gadgets,29.99,S1\nP2,Lamp,Home,5.00,S2\n");
    o.out_dir =
        (dir_ / ("out_" + std::to_string(threads) + "_" + std::to_string(chunk_bytes))).string();
    o.spec = Spec(threads, chunk_bytes);
    return o;
  }
  std::filesystem::path dir_;
};

TEST_F(FileJobTest, WritesThePeersFormats) {
  const FileJobOptions o = Options(kHeader +
                                       "TXN1,C2,P1,007,10,2024-02-29,Cash,Completed\n"
                                       "TXN2,C1,P2,1,5.5,2024-02-30,Cash,Completed\n"
                                       "TXN3,C1,P9,1,5.5,2024-02-28,\"a,b\",Completed\n",
                                   2, 16);
  Result<FileJobStats> stats = RunFileJob(o);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(Read(o.out_dir + "/fact.csv"),
            "transaction_id,customer_id,customer_email,product_id,product_name,supplier_id,"
            "quantity,price,total_amount,transaction_date,transaction_type,payment_type,status\n"
            "TXN1,C2,\"bob, jr@example.com\",P1,\"Watch, \"\"Silver\"\"\",S1,7,10.00,70.00,"
            "2024-02-29,Small,Cash,Completed\n");
  EXPECT_EQ(Read(o.out_dir + "/rejects.csv"),
            kHeader.substr(0, kHeader.size() - 1) + ",reject_reason\n" +
                "TXN2,C1,P2,1,5.5,2024-02-30,Cash,Completed,invalid_date\n"
                "TXN3,C1,P9,1,5.5,2024-02-28,\"a,b\",Completed,unknown_product_id\n");
  EXPECT_EQ(Read(o.out_dir + "/reasons.json"),
            "{\"invalid_date\": 1, \"unknown_product_id\": 1}\n");
  EXPECT_EQ(stats->rows_read, 3);
  EXPECT_EQ(stats->facts, 1);
  EXPECT_EQ(stats->rejects, 2);
  EXPECT_EQ(FormatCents(stats->total_cents), "70.00");
  EXPECT_EQ(stats->customers, 2);  // CX is skipped
}

TEST_F(FileJobTest, OutputIsTheSameWhateverThreadsAndChunks) {
  std::string text = kHeader;
  std::mt19937_64 rng(7);
  for (int i = 1; i <= 2000; ++i) {
    text += "TXN" + std::to_string(i % 1500) + ",C" + std::to_string(1 + rng() % 3) + ",P" +
            std::to_string(1 + rng() % 3) + "," + std::to_string(rng() % 4) + ",12.5" +
            ",2024-01-0" + std::to_string(1 + rng() % 9) + ",Cash," +
            (rng() % 5 == 0 ? "\"é\n€\"" : "Done") + "\n";
  }
  std::string facts, rejects;
  for (int threads : {1, 2, 4}) {
    for (size_t chunk : {size_t{1}, size_t{64}, size_t{1000}, size_t{1} << 20}) {
      const FileJobOptions o = Options(text, threads, chunk);
      Result<FileJobStats> stats = RunFileJob(o);
      ASSERT_TRUE(stats.ok()) << stats.status().ToString();
      EXPECT_EQ(stats->rows_read, 2000);
      EXPECT_EQ(stats->rows_read, stats->facts + stats->rejects);
      const std::string f = Read(o.out_dir + "/fact.csv");
      const std::string r = Read(o.out_dir + "/rejects.csv");
      if (facts.empty()) {
        facts = f;
        rejects = r;
        EXPECT_NE(r.find("duplicate_transaction_id"), std::string::npos);
        continue;
      }
      EXPECT_EQ(f, facts) << threads << " threads, chunk " << chunk;
      EXPECT_EQ(r, rejects) << threads << " threads, chunk " << chunk;
    }
  }
}

// payment_type and status are copied without a quoting check when the record had no quote
// and its chunk no CR; a lone CR inside an unquoted field (data, not a line end) must still
// make the field quoted, whatever the chunking.
TEST_F(FileJobTest, ACarriageReturnInsideAnUnquotedFieldIsQuotedOnOutput) {
  const std::string text = kHeader +
                           "TXN1,C1,P2,1,5.00,2024-01-01,Cash,Done\n"
                           "TXN2,C1,P2,1,5.00,2024-01-01,Ca\rsh,Do\rne\r\n"
                           "TXN3,C1,P2,1,5.00,2024-01-01,Cash,Done\n";
  for (size_t chunk : {size_t{1}, size_t{1} << 20}) {
    const FileJobOptions o = Options(text, 2, chunk);
    Result<FileJobStats> stats = RunFileJob(o);
    ASSERT_TRUE(stats.ok()) << stats.status().ToString();
    const std::string row = ",C1,ann@example.com,P2,Lamp,S2,1,5.00,5.00,2024-01-01,Small,";
    EXPECT_EQ(Read(o.out_dir + "/fact.csv"),
              "transaction_id,customer_id,customer_email,product_id,product_name,supplier_id,"
              "quantity,price,total_amount,transaction_date,transaction_type,payment_type,"
              "status\n"
              "TXN1" +
                  row +
                  "Cash,Done\n"
                  "TXN2" +
                  row +
                  "\"Ca\rsh\",\"Do\rne\"\n"
                  "TXN3" +
                  row + "Cash,Done\n")
        << "chunk " << chunk;
  }
}

// Facts are written a few records after they are checked (the prefetch pipeline); a field
// the reader unescaped ("" inside quotes) lives in a buffer the next record reuses, so it
// must still be written as read.
TEST_F(FileJobTest, UnescapedFieldsAreWrittenAsReadWhateverFollows) {
  std::string text =
      kHeader + "TXN1,C1,P2,1,5.00,2024-01-01,\"Card \"\"X\"\"\",\"Done \"\"ok\"\"\"\n";
  for (int i = 2; i <= 100; ++i) {
    text += "TXN" + std::to_string(i) + ",C" + std::to_string(1 + i % 2) + ",P2,1,5.00,2024-01-0" +
            std::to_string(1 + i % 9) + ",\"Pay \"\"" + std::to_string(i) + "\"\"\",Done\n";
  }
  const FileJobOptions o = Options(text, 1, 1 << 20);
  Result<FileJobStats> stats = RunFileJob(o);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  ASSERT_EQ(stats->facts, 100);
  const std::string facts = Read(o.out_dir + "/fact.csv");
  EXPECT_NE(facts.find("TXN1,C1,ann@example.com,P2,Lamp,S2,1,5.00,5.00,2024-01-01,Small,"
                       "\"Card \"\"X\"\"\",\"Done \"\"ok\"\"\"\n"),
            std::string::npos);
  for (int i = 2; i <= 100; ++i) {
    EXPECT_NE(facts.find("TXN" + std::to_string(i) + ",C"), std::string::npos) << i;
    EXPECT_NE(facts.find(",\"Pay \"\"" + std::to_string(i) + "\"\"\",Done\n"), std::string::npos)
        << i;
  }
}

// Old outputs are replaced by new files (never truncated in place: another link to an old
// file keeps its content), and nothing else is left in the folder.
TEST_F(FileJobTest, OldOutputsAreReplaced) {
  const FileJobOptions o = Options(kHeader + "TXN1,C1,P2,1,5.00,2024-01-01,Cash,Done\n", 2, 64);
  std::filesystem::create_directories(o.out_dir);
  Write(std::filesystem::path(o.out_dir).filename().string() + "/fact.csv",
        std::string(1 << 20, 'x'));
  Write(std::filesystem::path(o.out_dir).filename().string() + "/rejects.csv", "old");
  const std::string keep = (dir_ / "kept_link").string();
  std::filesystem::create_hard_link(o.out_dir + "/fact.csv", keep);
  for (int run = 0; run < 2; ++run) {
    Result<FileJobStats> stats = RunFileJob(o);
    ASSERT_TRUE(stats.ok()) << stats.status().ToString();
    EXPECT_EQ(stats->facts, 1);
  }
  EXPECT_EQ(Read(o.out_dir + "/fact.csv").substr(0, 15), "transaction_id,");
  EXPECT_EQ(Read(keep), std::string(1 << 20, 'x'));
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(o.out_dir))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"fact.csv", "reasons.json", "rejects.csv"}));
}

TEST_F(FileJobTest, AnOutputThatCannotBeRemovedIsAnError) {
  const FileJobOptions o = Options(kHeader, 1, 64);
  std::filesystem::create_directories(o.out_dir + "/fact.csv/inside");
  Result<FileJobStats> stats = RunFileJob(o);
  ASSERT_FALSE(stats.ok());
  EXPECT_EQ(stats.status().code(), StatusCode::kIoError);
  EXPECT_EQ(stats.status().message().rfind("cannot remove", 0), 0u) << stats.status().message();
  EXPECT_EQ(stats.status().place(), o.out_dir + "/fact.csv");
}

TEST_F(FileJobTest, DuplicateDimensionIdNamesTheFile) {
  FileJobOptions o = Options(kHeader, 1, 64);
  o.customers = Write("c2.csv", "customer_id,email\nC1,a\nC1,b\n");
  Result<FileJobStats> stats = RunFileJob(o);
  ASSERT_FALSE(stats.ok());
  EXPECT_EQ(stats.status().message(), "duplicate customer_id 'C1'");
  EXPECT_EQ(stats.status().place(), o.customers);
}

}  // namespace
}  // namespace ecompipe::transform

// ---- The general path (a JobSpec other than the reference's) ----

namespace ecompipe::transform {
namespace {

// The reference job's semantics with one name changed: the general path runs it.
JobSpec ReferenceOnTheGeneralPath(int threads, size_t chunk_bytes) {
  JobSpec spec = Spec(threads, chunk_bytes);
  spec.validations[0].name = "transaction_id_present";
  EXPECT_FALSE(spec.IsReference());
  return spec;
}

// A configured job touching every part: a rename, an extra lookup column, a pattern and a
// date range, two derived columns (one reading a lookup column), custom bins, typed output.
JobSpec CustomSpec(int threads, size_t chunk_bytes) {
  JobSpec spec = Spec(threads, chunk_bytes);
  spec.validations.insert(spec.validations.begin() + 6, Validation{.name = "mid_february",
                                                                   .column = "transaction_date",
                                                                   .date = true,
                                                                   .min = "2024-02-12",
                                                                   .max = "2024-02-25"});
  spec.validations.insert(
      spec.validations.begin() + 1,
      Validation{.name = "no_dash", .column = "payment_type", .pattern = "[^—]*"});
  spec.lookups[0].columns = {{"email", "buyer_email"}, {"membership_level", "tier"}};
  spec.lookups[1].columns.push_back({"price", "list_price"});
  spec.derived = {{.name = "net", .expr = "quantity * price * (1 - 0.075)", .scale = 2},
                  {.name = "markup", .expr = "net - quantity * list_price", .scale = 3}};
  spec.classify_column = "net";
  spec.label_column = "band";
  spec.bins = {{Money{1000}, "low"}, {Money{250000}, "mid"}, {std::nullopt, "high"}};
  spec.output = {{"transaction_id", "transaction_id", ColumnType::kText, 0},
                 {"buyer_email", "buyer_email", ColumnType::kText, 0},
                 {"tier", "tier", ColumnType::kText, 0},
                 {"quantity", "quantity", ColumnType::kInteger, 0},
                 {"price", "price", ColumnType::kDecimal, 2},
                 {"net", "net", ColumnType::kDecimal, 2},
                 {"markup", "markup", ColumnType::kDecimal, 3},
                 {"band", "band", ColumnType::kText, 0},
                 {"status", "status", ColumnType::kText, 0}};
  EXPECT_TRUE(CheckJobSpec(spec).ok()) << CheckJobSpec(spec).ToString();
  return spec;
}

TEST(GeneralPathTest, ReferenceSemanticsGiveTheFastPathsRows) {
  const Reference& ref = SequentialReference();
  for (int threads : {1, 3}) {
    StringInputStream in(MakeTransactions(42, 3000), 97);
    CollectingSink sink;
    Result<TransformStats> stats = TransformObject(
        in, {}, MakeDimensions(), ReferenceOnTheGeneralPath(threads, 777), kKey, sink);
    ASSERT_TRUE(stats.ok()) << stats.status().ToString();
    EXPECT_EQ(stats->rows_read, ref.stats.rows_read);
    EXPECT_EQ(stats->facts, ref.stats.facts);
    ASSERT_EQ(sink.facts.size(), ref.sink.facts.size());
    for (size_t i = 0; i < sink.facts.size(); ++i) {
      const FactRow& want = ref.sink.facts[i];
      const std::vector<std::string> values = {want.transaction_id,
                                               want.customer_id,
                                               want.customer_email,
                                               want.product_id,
                                               want.product_name,
                                               std::to_string(want.quantity),
                                               want.supplier_id,
                                               FormatMoney(want.price),
                                               want.transaction_date,
                                               want.transaction_type,
                                               want.payment_type,
                                               want.status,
                                               FormatMoney(want.total_amount)};
      ASSERT_EQ(sink.facts[i].values, values) << "fact " << i;
      EXPECT_EQ(sink.facts[i].line, want.line);
      EXPECT_EQ(sink.facts[i].transaction_id, want.transaction_id);
    }
    ASSERT_EQ(sink.rejects.size(), ref.sink.rejects.size());
    for (size_t i = 0; i < sink.rejects.size(); ++i) {
      SCOPED_TRACE("reject " + std::to_string(i));
      EXPECT_EQ(sink.rejects[i].line, ref.sink.rejects[i].line);
      EXPECT_EQ(sink.rejects[i].reason, ref.sink.rejects[i].reason);
      EXPECT_EQ(sink.rejects[i].raw, ref.sink.rejects[i].raw);
      EXPECT_EQ(sink.rejects[i].transaction_id, ref.sink.rejects[i].transaction_id);
    }
  }
}

const Reference& CustomSequentialReference() {
  static const Reference* ref = [] {
    auto* r = new Reference;
    StringInputStream in(MakeTransactions(7, 3000));
    Result<TransformStats> stats =
        TransformObjectSequential(in, {}, MakeDimensions(), CustomSpec(1, 1 << 20), kKey, r->sink);
    EXPECT_TRUE(stats.ok()) << stats.status().ToString();
    if (stats.ok()) r->stats = *stats;
    return r;
  }();
  return *ref;
}

TEST(GeneralPathTest, CustomDataHoldsEveryKindOfOutcome) {
  const Reference& ref = CustomSequentialReference();
  std::map<std::string, int> reasons;
  for (const RejectRow& r : ref.sink.rejects) ++reasons[r.reason];
  for (const char* want : {"validation_failed:mid_february", "validation_failed:no_dash",
                           "duplicate_transaction_id", "unknown_customer_id", "invalid_price",
                           "wrong_field_count", "line_too_long", "malformed_record"}) {
    EXPECT_GT(reasons[want], 0) << want;
  }
  std::set<std::string> bands;
  for (const FactRow& f : ref.sink.facts) bands.insert(f.values[7]);
  EXPECT_EQ(bands, (std::set<std::string>{"low", "mid", "high"}));
  EXPECT_GT(ref.stats.facts, 100);
  EXPECT_EQ(ref.stats.rows_read, ref.stats.facts + ref.stats.rejects);
}

class GeneralParallelEqualsSequential
    : public ::testing::TestWithParam<std::tuple<int, size_t, size_t>> {};

TEST_P(GeneralParallelEqualsSequential, SameRowsSameOrder) {
  const auto [threads, chunk_bytes, piece] = GetParam();
  const Reference& ref = CustomSequentialReference();
  StringInputStream in(MakeTransactions(7, 3000), piece);
  CollectingSink sink;
  Result<TransformStats> stats =
      TransformObject(in, {}, MakeDimensions(), CustomSpec(threads, chunk_bytes), kKey, sink);
  ExpectSameAsReference(stats, sink, ref);
}

INSTANTIATE_TEST_SUITE_P(ThreadsAndChunks, GeneralParallelEqualsSequential,
                         ::testing::Combine(::testing::Values(1, 2, 4),
                                            ::testing::Values(size_t{1}, size_t{97}, size_t{4096},
                                                              size_t{1} << 20),
                                            ::testing::Values(size_t{7}, SIZE_MAX)));

}  // namespace
}  // namespace ecompipe::transform

// ---- JSON Lines on the parallel engine ----

namespace ecompipe::transform {
namespace {

constexpr const char* kJsonKey = "transactions/x.jsonl";

catalog::TableSchema JsonLinesSchema() {
  catalog::TableSchema schema;
  schema.format = catalog::DataFormat::kJsonLines;
  return schema;
}

// A JSON string literal for `text` (quotes and backslashes escaped; other bytes as they are).
std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// Lines of every kind, seeded: valid objects (keys in any order, numbers and strings,
// escapes, multi-byte characters, unknown and nested keys, repeated keys), each field fault,
// unknown ids, duplicates, missing keys, null, CRLF, blank and whitespace-only lines,
// invalid UTF-8, NUL bytes, over-long lines, broken JSON, lines that are not objects, wanted
// values of the wrong type, text after the object, and a truncated last line without LF.
std::string MakeJsonTransactions(uint64_t seed, int rows) {
  std::mt19937_64 rng(seed);
  const auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  std::string text = "\xEF\xBB\xBF";
  for (int i = 1; i <= rows; ++i) {
    std::vector<std::pair<std::string, std::string>> kv = {
        {"transaction_id", JsonString("TXN" + std::to_string(pick(10) == 0 ? i / 2 + 1 : i))},
        {"customer_id", JsonString("C" + std::to_string(1 + pick(50)))},
        {"product_id", JsonString("P" + std::to_string(1 + pick(20)))},
        {"quantity", std::to_string(1 + pick(9))},
        {"price", std::to_string(pick(900)) + "." + std::to_string(10 + pick(90))},
        {"transaction_date", JsonString("2024-02-" + std::to_string(10 + pick(19)))},
        {"payment_type", JsonString("Credit Card")},
        {"status", JsonString("Completed")}};
    if (pick(2) == 0) kv[3].second = JsonString(kv[3].second);  // numbers as strings too
    if (pick(3) == 0) std::shuffle(kv.begin(), kv.end(), rng);
    const auto set = [&](const std::string& key, std::string value) {
      for (auto& [k, v] : kv)
        if (k == key) v = std::move(value);
    };
    std::string before = "{";
    std::string after = "}";
    std::string end = "\n";
    std::string whole;  // replaces the line when set
    switch (pick(34)) {
      case 0:
        set("customer_id", JsonString("CUST12"));
        break;
      case 1:
        set("product_id", JsonString("p1"));
        break;
      case 2:
        set("quantity", "0");
        break;
      case 3:
        set("quantity", "2.5");
        break;
      case 4:
        set("price", JsonString("$12.00"));
        break;
      case 5:
        set("price", "1.234");
        break;
      case 6:
        set("transaction_date", JsonString("2023-02-29"));
        break;
      case 7:
        set("customer_id", JsonString("C999"));
        break;
      case 8:
        set("product_id", JsonString("P999"));
        break;
      case 9:
        set("customer_id", JsonString("C007"));
        break;
      case 10:
        set("status", R"("Done, \"really\" \\ \/ \t")");
        break;
      case 11:
        set("status", R"("\u00e9\u20ac\ud83d\ude00 日本語✓€")");
        break;
      case 12:
        set("payment_type", R"("Carte bancaire — é\nsur deux lignes")");
        break;
      case 13:
        end = "\r\n";
        break;
      case 14:
        end = "\n\n";
        break;
      case 15:
        end = "\n \t \r\n";
        break;  // a whitespace-only line
      case 16:
        set("status", "\"bad\xC3(\"");
        break;
      case 17:
        set("status", std::string("\"nul\0x\"", 7));
        break;
      case 18:
        set("status", JsonString(std::string(300, 'x')));
        break;  // over 256 bytes
      case 19:
        kv.erase(kv.begin() + 0);
        break;  // no transaction_id
      case 20:
        set("transaction_id", JsonString("TX1"));
        break;
      case 21:
        after = "";
        break;  // unclosed object
      case 22:
        whole = "[1, 2, \"TXN" + std::to_string(i) + "\"]";
        break;
      case 23:
        whole = pick(2) ? "42" : "\"just a string\"";
        break;
      case 24:
        set("status", "{\"nested\": true}");
        break;
      case 25:
        set("quantity", "[3]");
        break;
      case 26:
        set("payment_type", "null");
        break;
      case 27:
        after = pick(2) ? "} {}" : "} x";
        break;
      case 28:
        kv.emplace_back("extra", "{\"a\": [1, {\"b\": \"日本\"}], \"c\": null}");
        break;
      case 29:
        kv.emplace_back("customer_id", JsonString("C3"));
        break;  // the last one wins
      case 30:
        set("status", "tru");
        break;
      case 31:
        set("quantity", "007");
        break;
      case 32:
        before = " \t{";
        after = "} ";
        break;
      case 33:
        set("status", R"("unterminated)");
        break;
      default:
        break;
    }
    if (whole.empty()) {
      whole = before;
      for (size_t k = 0; k < kv.size(); ++k)
        whole += (k ? "," : "") + JsonString(kv[k].first) + ":" + kv[k].second;
      whole += after;
    }
    text += whole + end;
  }
  text += R"({"transaction_id":"TXN999999","customer_id":"C1","product_id":"P1","quan)";
  return text;
}

Reference JsonSequential(uint64_t seed, const JobSpec& spec) {
  Reference r;
  StringInputStream in(MakeJsonTransactions(seed, 3000));
  Result<TransformStats> stats =
      TransformObjectSequential(in, JsonLinesSchema(), MakeDimensions(), spec, kJsonKey, r.sink);
  EXPECT_TRUE(stats.ok()) << stats.status().ToString();
  if (stats.ok()) r.stats = *stats;
  return r;
}

const Reference& JsonSequentialReference() {
  static const Reference* ref = new Reference(JsonSequential(42, Spec(1, 1 << 20)));
  return *ref;
}

const Reference& JsonCustomSequentialReference() {
  static const Reference* ref = new Reference(JsonSequential(7, CustomSpec(1, 1 << 20)));
  return *ref;
}

TEST(JsonLinesParallelTest, ReferenceDataHoldsEveryKindOfLine) {
  const Reference& ref = JsonSequentialReference();
  std::set<std::string> reasons, malformed;
  for (const RejectRow& r : ref.sink.rejects) {
    reasons.insert(r.reason);
    if (r.reason == std::string(reason::kMalformedRecord)) malformed.insert(r.detail);
  }
  for (const char* want :
       {reason::kMalformedCustomerId, reason::kMalformedProductId, reason::kInvalidQuantity,
        reason::kInvalidPrice, reason::kInvalidDate, reason::kUnknownCustomerId,
        reason::kUnknownProductId, reason::kDuplicateTransactionId, reason::kInvalidUtf8,
        reason::kNulByte, reason::kLineTooLong, reason::kMissingTransactionId,
        reason::kMalformedTransactionId, reason::kMalformedRecord}) {
    EXPECT_TRUE(reasons.count(want)) << want;
  }
  for (const char* want : {"not valid JSON", "not a JSON object", "text after the JSON object",
                           "value of 'status' is not a string, number, boolean or null",
                           "value of 'quantity' is not a string, number, boolean or null"}) {
    EXPECT_TRUE(malformed.count(want)) << want;
  }
  // The truncated last line (no LF) is a malformed record on the last line.
  ASSERT_FALSE(ref.sink.rejects.empty());
  EXPECT_EQ(ref.sink.rejects.back().reason, std::string(reason::kMalformedRecord));
  EXPECT_EQ(ref.sink.rejects.back().raw.substr(0, 30), R"({"transaction_id":"TXN999999",)");
  EXPECT_GT(ref.stats.facts, 800);
  EXPECT_EQ(ref.stats.rows_read, ref.stats.facts + ref.stats.rejects);
}

class JsonLinesParallelEqualsSequential
    : public ::testing::TestWithParam<std::tuple<int, size_t, size_t>> {};

TEST_P(JsonLinesParallelEqualsSequential, ReferenceJob) {
  const auto [threads, chunk_bytes, piece] = GetParam();
  const Reference& ref = JsonSequentialReference();
  StringInputStream in(MakeJsonTransactions(42, 3000), piece);
  CollectingSink sink;
  Result<TransformStats> stats = TransformObject(in, JsonLinesSchema(), MakeDimensions(),
                                                 Spec(threads, chunk_bytes), kJsonKey, sink);
  ExpectSameAsReference(stats, sink, ref);
}

TEST_P(JsonLinesParallelEqualsSequential, ConfiguredJob) {
  const auto [threads, chunk_bytes, piece] = GetParam();
  const Reference& ref = JsonCustomSequentialReference();
  StringInputStream in(MakeJsonTransactions(7, 3000), piece);
  CollectingSink sink;
  Result<TransformStats> stats = TransformObject(in, JsonLinesSchema(), MakeDimensions(),
                                                 CustomSpec(threads, chunk_bytes), kJsonKey, sink);
  ExpectSameAsReference(stats, sink, ref);
}

// Chunk sizes from 1 byte (every line longer than the chunk) to more than the whole input;
// chunk sizes of odd lengths and stream pieces of 7 bytes move the reads' ends into strings,
// escapes and multi-byte characters (cuts themselves fall only after a line feed).
INSTANTIATE_TEST_SUITE_P(ThreadsAndChunks, JsonLinesParallelEqualsSequential,
                         ::testing::Combine(::testing::Values(1, 2, 4),
                                            ::testing::Values(size_t{1}, size_t{64}, size_t{97},
                                                              size_t{4096}, size_t{1} << 20),
                                            ::testing::Values(size_t{7}, SIZE_MAX)));

// Runs `text` through both paths with `spec` and expects the same rows; returns the rejects.
std::vector<RejectRow> JsonBothWays(const std::string& text, const JobSpec& spec) {
  CollectingSink sequential;
  StringInputStream in1(text);
  EXPECT_TRUE(TransformObjectSequential(in1, JsonLinesSchema(), MakeDimensions(), spec, kJsonKey,
                                        sequential)
                  .ok());
  for (int threads : {1, 2}) {
    for (size_t chunk : {size_t{1}, size_t{5}, size_t{1} << 20}) {
      JobSpec parallel_spec = spec;
      parallel_spec.threads = threads;
      parallel_spec.chunk_bytes = chunk;
      StringInputStream in2(text, 3);
      CollectingSink parallel;
      EXPECT_TRUE(TransformObject(in2, JsonLinesSchema(), MakeDimensions(), parallel_spec, kJsonKey,
                                  parallel)
                      .ok());
      ExpectSameFacts(parallel.facts, sequential.facts);
      ExpectSameRejects(parallel.rejects, sequential.rejects);
    }
  }
  return sequential.rejects;
}

TEST(JsonLinesParallelTest, GzipAndZstdObjectsStreamToTheSameRows) {
  const std::string text = MakeJsonTransactions(42, 3000);
  const Reference& ref = JsonSequentialReference();
  for (const std::string& encoded :
       {text, storage::testing_util::Gzip(text), storage::testing_util::Zstd(text, true)}) {
    Result<std::unique_ptr<storage::InputStream>> decoded =
        storage::OpenDecoded(std::make_unique<StringInputStream>(encoded, 1000));
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    CollectingSink sink;
    Result<TransformStats> stats = TransformObject(**decoded, JsonLinesSchema(), MakeDimensions(),
                                                   Spec(2, 4096), kJsonKey, sink);
    ASSERT_TRUE(stats.ok()) << stats.status().ToString();
    EXPECT_EQ(stats->rows_read, ref.stats.rows_read);
    ExpectSameFacts(sink.facts, ref.sink.facts);
    ExpectSameRejects(sink.rejects, ref.sink.rejects);
  }
}

TEST(JsonLinesParallelTest, HostileLinesGiveClearRejectsOnBothPaths) {
  const std::string good =
      R"({"transaction_id":"TXN1","customer_id":"C1","product_id":"P1","quantity":2,)"
      R"("price":"3.50","transaction_date":"2024-02-12","payment_type":"Cash","status":"ok"})";
  const std::string text = "\xEF\xBB\xBF" + good + "\r\n" +
                           "\xEF\xBB\xBF{}\n" +                 // 2: a BOM mid-object
                           "{\"transaction_id\":\"TXN2\",\n" +  // 3: broken by its LF
                           "\"customer_id\":\"C1\"}\n" +        // 4: not an object
                           "\n   \n" +                          // 5, 6: blank
                           "{\"transaction_id\":\"TXN3\",\"quantity\":[[[[[[1]]]]]]}\n" +    // 7
                           "{\"transaction_id\":\"TXN4\",\"customer_id\":1e999999}\n" +      // 8
                           "{\"transaction_id\":\"TXN5\",\"status\":\"\\uD800\"}\n" +        // 9
                           "{\"transaction_id\":\"TXN6\"" + std::string(400, ' ') + "}\n" +  // 10
                           "{\"transaction_id\":\"TXN7\",\"status\":\"\x01\"}\n" +           // 11
                           "{\"transaction_id\":\"TXN8\"}{}\n" +                             // 12
                           "{\"transaction_id\":\"TXN9\",\"status\":fals}";                  // 13
  const std::vector<RejectRow> rejects = JsonBothWays(text, Spec(1, 1 << 20));
  std::map<int64_t, std::string> why;
  for (const RejectRow& r : rejects) why[r.line] = r.detail;
  EXPECT_EQ(why.count(1), 0u);  // the object's BOM and CRLF are not part of the record
  EXPECT_EQ(why[2], "not a JSON object");
  EXPECT_EQ(why[3], "not a JSON object");
  EXPECT_EQ(why[4], "not a JSON object");
  EXPECT_EQ(why.count(5) + why.count(6), 0u);
  EXPECT_EQ(why[7], "value of 'quantity' is not a string, number, boolean or null");
  EXPECT_EQ(why[8], "customer_id '1e999999' does not match C[0-9]+");
  EXPECT_EQ(why[9], "bad string for key 'status'");
  EXPECT_EQ(why[10], "record of 425 bytes exceeds the limit of 256 bytes");
  EXPECT_EQ(why[11], "not valid JSON");
  EXPECT_EQ(why[12], "text after the JSON object");
  EXPECT_EQ(why[13], "bad literal for key 'status'");
  EXPECT_EQ(rejects.size(), 10u);
}

TEST(JsonLinesParallelTest, StreamErrorNamesObjectAndLineOnBothPaths) {
  std::string text;
  for (int i = 1; i <= 50; ++i)
    text += "{\"transaction_id\":\"TXN" + std::to_string(i) + "\",\"customer_id\":\"C1\"}\n";
  const size_t fail_after = text.find("TXN31") + 2;  // inside line 31
  CollectingSink sink;
  StringInputStream in1(text, 64, fail_after);
  Result<TransformStats> sequential = TransformObjectSequential(
      in1, JsonLinesSchema(), MakeDimensions(), Spec(1, 1 << 20), kJsonKey, sink);
  ASSERT_FALSE(sequential.ok());
  EXPECT_EQ(sequential.status().place(), std::string(kJsonKey) + " line 31: byte 77");
  for (size_t chunk : {size_t{1}, size_t{100}, size_t{1} << 20}) {
    StringInputStream in2(text, 64, fail_after);
    CollectingSink parallel;
    Result<TransformStats> stats = TransformObject(in2, JsonLinesSchema(), MakeDimensions(),
                                                   Spec(2, chunk), kJsonKey, parallel);
    ASSERT_FALSE(stats.ok());
    EXPECT_EQ(stats.status().ToString(), sequential.status().ToString()) << chunk;
  }
}

TEST(JsonLinesParallelTest, EmptyAndBlankObjectsHaveNoRows) {
  for (const std::string text : {"", "\xEF\xBB\xBF", "\n\r\n  \n", "\xEF\xBB\xBF\n"}) {
    EXPECT_TRUE(JsonBothWays(text, Spec(1, 1 << 20)).empty());
  }
}

TEST(LineBoundaryTest, EveryLineFeedEndsARecord) {
  EXPECT_EQ(internal::FindLineEnd("{\"a\":\"x\"}\n{\"b\"", true), 10u);
  EXPECT_EQ(internal::FindLineEnd("{}\n{}\n{", true), 6u);
  EXPECT_EQ(internal::FindLineEnd("{}\n{}\n{", false), 3u);
  EXPECT_EQ(internal::FindLineEnd("{\"a\":\"\\\"\"", true), internal::kNoBoundary);
}

// ---- Records longer than max_record_bytes (256 here) on the engine ----

std::string CsvRow(int i) {
  return "TXN" + std::to_string(i) + ",C1,P1,2,3.50,2024-02-12,Cash,ok\n";
}

// A quoted field with LFs and CRLFs inside, `size` bytes in all, as a whole record.
std::string LongQuotedRecord(int i, size_t size) {
  std::string field;
  while (field.size() < size) field += (field.size() % 97 == 0) ? "x\r\ny\n" : "abc,\"\"é";
  return "TXN" + std::to_string(i) + ",C1,P1,2,3.50,2024-02-12,Cash,\"" + field + "\"\r\n";
}

// The engine's rows equal the sequential path's at several thread counts, chunk sizes and
// stream pieces (the sequential reader itself reads in pieces of 3 and of everything).
void ExpectCsvBothWays(const std::string& text) {
  CollectingSink sequential;
  StringInputStream in1(text, 3);
  ASSERT_TRUE(
      TransformObjectSequential(in1, {}, MakeDimensions(), Spec(1, 1 << 20), kKey, sequential)
          .ok());
  CollectingSink whole;
  StringInputStream in0(text);
  ASSERT_TRUE(
      TransformObjectSequential(in0, {}, MakeDimensions(), Spec(1, 1 << 20), kKey, whole).ok());
  ExpectSameRejects(whole.rejects, sequential.rejects);
  for (int threads : {1, 2, 4}) {
    for (size_t chunk :
         {size_t{1}, size_t{64}, size_t{97}, size_t{300}, size_t{4096}, size_t{1} << 20}) {
      for (size_t piece : {size_t{7}, SIZE_MAX}) {
        SCOPED_TRACE(std::to_string(threads) + " threads, chunk " + std::to_string(chunk) +
                     ", piece " + std::to_string(piece));
        StringInputStream in2(text, piece);
        CollectingSink parallel;
        ASSERT_TRUE(
            TransformObject(in2, {}, MakeDimensions(), Spec(threads, chunk), kKey, parallel).ok());
        ExpectSameFacts(parallel.facts, sequential.facts);
        ExpectSameRejects(parallel.rejects, sequential.rejects);
      }
    }
  }
}

TEST(LongRecordTest, CsvQuotedFieldWithLineBreaksLongerThanTheLimit) {
  // Middle: lines 2-3 good, 4.. one long record, then good rows; end: another long record.
  std::string text = kHeader + CsvRow(1) + CsvRow(2);
  const std::string long_record = LongQuotedRecord(3, 5000);
  text += long_record;
  const int64_t lfs = std::count(long_record.begin(), long_record.end(), '\n');
  text += CsvRow(4) + CsvRow(5);
  text += LongQuotedRecord(6, 3000);
  ExpectCsvBothWays(text);
  ExpectCsvBothWays(text.substr(0, text.size() - 2));  // the last one without its CRLF

  CollectingSink sink;
  StringInputStream in(text, 5);
  ASSERT_TRUE(TransformObject(in, {}, MakeDimensions(), Spec(2, 64), kKey, sink).ok());
  ASSERT_EQ(sink.rejects.size(), 2u);
  EXPECT_EQ(sink.rejects[0].line, 4);
  EXPECT_EQ(sink.rejects[0].reason, std::string(reason::kLineTooLong));
  EXPECT_EQ(sink.rejects[0].detail, "record of " + std::to_string(long_record.size() - 2) +
                                        " bytes exceeds the limit of 256 bytes");
  EXPECT_EQ(sink.rejects[0].raw, TruncateRaw(long_record.substr(0, long_record.size() - 2)));
  EXPECT_EQ(sink.rejects[1].line, 4 + lfs + 2);
  ASSERT_EQ(sink.facts.size(), 4u);
  EXPECT_EQ(sink.facts[2].line, 4 + lfs);  // TXN4, after the long record
  EXPECT_EQ(sink.facts[3].line, 4 + lfs + 1);
}

TEST(LongRecordTest, CsvUnterminatedQuoteSwallowsTheRestOfTheFile) {
  // The quote opened on line 3 never closes: the rest of the file is that one record.
  std::string rest;
  for (int i = 3; i < 40; ++i) rest += CsvRow(i);
  for (const std::string& middle : {std::string("TXN2,C1,P1,2,3.50,2024-02-12,Cash,\"open\n"),
                                    std::string("TXN2,\"C1,P1\n\n,2\r\n")}) {
    const std::string text = kHeader + CsvRow(1) + middle + rest;
    ExpectCsvBothWays(text);
    CollectingSink sink;
    StringInputStream in(text);
    ASSERT_TRUE(TransformObject(in, {}, MakeDimensions(), Spec(4, 97), kKey, sink).ok());
    ASSERT_EQ(sink.rejects.size(), 1u);
    EXPECT_EQ(sink.rejects[0].line, 3);
    EXPECT_EQ(sink.rejects[0].reason, std::string(reason::kLineTooLong));
    EXPECT_EQ(sink.facts.size(), 1u);
  }
  // A short unterminated quote at the end stays a malformed record.
  ExpectCsvBothWays(kHeader + CsvRow(1) + "TXN2,\"C1\n,P1");
}

TEST(LongRecordTest, JsonLinesLineLongerThanTheLimit) {
  const std::string good =
      R"({"transaction_id":"TXN1","customer_id":"C1","product_id":"P1","quantity":2,)"
      R"("price":"3.50","transaction_date":"2024-02-12","payment_type":"Cash","status":"ok"})";
  const std::string long_line =
      R"({"transaction_id":"TXN2","status":")" + std::string(5000, 'z') + "\"}";
  for (const std::string& text :
       {good + "\n" + long_line + "\r\n" + good + "\n" + long_line,  // middle and end
        good + "\n" + long_line + "\n" + std::string(3000, ' ') + "\n" + good + "\n",
        long_line + "\n" + long_line + "\n\n" + good}) {
    SCOPED_TRACE(text.size());
    JsonBothWays(text, Spec(1, 1 << 20));
    for (int threads : {1, 4}) {
      for (size_t chunk : {size_t{64}, size_t{97}, size_t{300}, size_t{4096}}) {
        CollectingSink sequential, parallel;
        StringInputStream in1(text), in2(text, 7);
        ASSERT_TRUE(TransformObjectSequential(in1, JsonLinesSchema(), MakeDimensions(),
                                              Spec(1, 1 << 20), kJsonKey, sequential)
                        .ok());
        ASSERT_TRUE(TransformObject(in2, JsonLinesSchema(), MakeDimensions(), Spec(threads, chunk),
                                    kJsonKey, parallel)
                        .ok());
        ExpectSameFacts(parallel.facts, sequential.facts);
        ExpectSameRejects(parallel.rejects, sequential.rejects);
      }
    }
  }
  const std::vector<RejectRow> rejects =
      JsonBothWays(good + "\n" + long_line + "\r\n" + good + "\n", Spec(1, 1 << 20));
  ASSERT_EQ(rejects.size(), 2u);  // the long line; TXN1 again is a duplicate
  EXPECT_EQ(rejects[0].line, 2);
  EXPECT_EQ(rejects[0].detail, "record of " + std::to_string(long_line.size()) +
                                   " bytes exceeds the limit of 256 bytes");
  EXPECT_EQ(rejects[1].line, 3);
}

TEST(LongRecordTest, AStreamErrorInsideAnOverLongRecordNamesItsLine) {
  std::string text = kHeader + CsvRow(1) + CsvRow(2) + LongQuotedRecord(3, 5000) + CsvRow(4);
  const size_t fail_after = text.find("TXN3") + 3000;  // well past max_record_bytes into it
  CollectingSink sink;
  StringInputStream in1(text, 64, fail_after);
  Result<TransformStats> sequential =
      TransformObjectSequential(in1, {}, MakeDimensions(), Spec(1, 1 << 20), kKey, sink);
  ASSERT_FALSE(sequential.ok());
  EXPECT_EQ(sequential.status().place(), std::string(kKey) + " line 4: byte 77");
  for (int threads : {1, 3}) {
    for (size_t chunk : {size_t{1}, size_t{64}, size_t{300}, size_t{1} << 20}) {
      StringInputStream in2(text, 64, fail_after);
      CollectingSink parallel;
      Result<TransformStats> stats =
          TransformObject(in2, {}, MakeDimensions(), Spec(threads, chunk), kKey, parallel);
      ASSERT_FALSE(stats.ok());
      EXPECT_EQ(stats.status().ToString(), sequential.status().ToString()) << chunk;
    }
  }
}

// A record of 256 MiB (generated, never held) through the ChunkRunner: the records around
// it come out right and the reader thread never buffers much more than a chunk and
// max_record_bytes.
struct SeenRecords {
  std::vector<testing::OwnedRecord> records;
};

std::vector<testing::OwnedRecord> RunLongStream(
    bool json_lines, int threads, std::vector<testing::GeneratedInputStream::Part> parts,
    size_t* peak) {
  constexpr size_t kMax = 1 << 20;
  const internal::ChunkRunnerOptions options{.threads = threads,
                                             .chunk_bytes = 64 << 10,
                                             .json_lines = json_lines,
                                             .padding = JsonLinesReader::kPadding,
                                             .max_record_bytes = kMax};
  internal::ChunkRunner<SeenRecords> runner(options);
  const auto work = [&](const internal::Chunk& chunk, SeenRecords& out) -> int64_t {
    out.records.clear();
    CsvReader csv(chunk.text, CsvOptions{.max_record_bytes = kMax, .skip_bom = false});
    JsonLineParser parser;
    JsonLinesReader json(chunk.text, JsonLinesReader::kPadding, {"a"},
                         JsonLinesOptions{.max_record_bytes = kMax, .skip_bom = false}, parser);
    std::optional<internal::LongRecordReader> long_reader;
    if (chunk.long_record != nullptr) long_reader.emplace(*chunk.long_record);
    RecordReader& reader = long_reader  ? static_cast<RecordReader&>(*long_reader)
                           : json_lines ? static_cast<RecordReader&>(json)
                                        : static_cast<RecordReader&>(csv);
    Result<std::vector<testing::OwnedRecord>> all = testing::ReadAll(reader);
    EXPECT_TRUE(all.ok());
    if (all.ok()) out.records = std::move(*all);
    return reader.line() - 1;
  };
  std::vector<testing::OwnedRecord> seen;
  const auto consume = [&](const internal::Chunk&, SeenRecords& out, int64_t first_line) {
    for (testing::OwnedRecord& r : out.records) {
      r.line += first_line - 1;
      seen.push_back(std::move(r));
    }
    return Status::Ok();
  };
  testing::GeneratedInputStream in(std::move(parts));
  int64_t error_line = -1;
  EXPECT_TRUE(runner.Run(in, "", 1, work, consume, &error_line).ok());
  *peak = runner.peak_buffer_bytes();
  return seen;
}

TEST(LongRecordTest, A256MiBRecordIsSkippedInBoundedMemory) {
  constexpr size_t kHalf = size_t{128} << 20;
  // Chunk 64 KiB, max_record_bytes 1 MiB: the slot being filled (max_record_bytes + 2 and
  // padding) and the sequential reader's buffer (at most 2 x max_record_bytes here) at once.
  constexpr size_t kBound = 4 << 20;
  for (int threads : {1, 3}) {
    size_t peak = 0;
    // CSV: a quoted field of 256 MiB with an LF in its middle, then one more record.
    const std::vector<testing::OwnedRecord> csv = RunLongStream(false, threads,
                                                                {{.text = "a,b\n1,\""},
                                                                 {.fill = 'x', .count = kHalf},
                                                                 {.text = "\n"},
                                                                 {.fill = 'y', .count = kHalf},
                                                                 {.text = "\",2\r\n3,4\n"}},
                                                                &peak);
    ASSERT_EQ(csv.size(), 3u);
    EXPECT_EQ(csv[0].line, 1);
    EXPECT_EQ(csv[1].line, 2);
    EXPECT_TRUE(csv[1].too_long);
    EXPECT_EQ(csv[1].bytes, 2 * kHalf + 7);
    EXPECT_EQ(csv[1].raw, "1,\"" + std::string(kMaxRawBytes - 3, 'x'));
    EXPECT_EQ(csv[2].line, 4);
    EXPECT_EQ(csv[2].fields, (std::vector<std::string>{"3", "4"}));
    EXPECT_LT(peak, kBound) << peak;

    // CSV: an unterminated quote at 256 MiB: the rest is one record.
    const std::vector<testing::OwnedRecord> open = RunLongStream(
        false, threads,
        {{.text = "a,b\n1,\""}, {.fill = 'x', .count = 2 * kHalf}, {.text = "\n3,4\n"}}, &peak);
    ASSERT_EQ(open.size(), 2u);
    EXPECT_TRUE(open[1].too_long);
    EXPECT_EQ(open[1].bytes, 2 * kHalf + 8);
    EXPECT_LT(peak, kBound) << peak;

    // JSON Lines: a line of 256 MiB without LF, then one more line.
    const std::vector<testing::OwnedRecord> json = RunLongStream(
        true, threads,
        {{.text = "{\"a\":1}\n"}, {.fill = ' ', .count = 2 * kHalf}, {.text = "\r\n{\"a\":2}\n"}},
        &peak);
    ASSERT_EQ(json.size(), 3u);
    EXPECT_TRUE(json[1].too_long);
    EXPECT_EQ(json[1].line, 2);
    EXPECT_EQ(json[1].bytes, 2 * kHalf);
    EXPECT_EQ(json[2].line, 3);
    EXPECT_EQ(json[2].fields, (std::vector<std::string>{"2"}));
    EXPECT_LT(peak, kBound) << peak;
  }
}

}  // namespace
}  // namespace ecompipe::transform
