// The general path's results on the generated data set (tests/data/transform/gen2000, with
// its 40 bad rows, plus a few more appended here), compared with an independent computation
// written out in this test: plain string checks and integer cent arithmetic, no engine code.
// Also: the file job's default output is byte-identical to the golden files made before the
// configurable job existed (tests/golden/file_job_gen2000).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "test_streams.h"
#include "transform/file_job.h"
#include "transform/transaction_job.h"

namespace ecompipe::transform {
namespace {

using model::ColumnType;
using model::Customer;
using model::Money;
using model::Product;

using testing::CollectingSink;
using testing::ReadFile;
using testing::StringInputStream;

const std::string kDataDir = EP_TEST_DATA_DIR;
const std::string kGen = kDataDir + "/transform/gen2000";

// Rows appended to gen2000's transactions: a repeated id, an empty id, quantities at and
// over the configured maximum, a quantity with leading zeros, a price without decimals.
const std::string kExtraRows =
    "TXN00000001,C0000092,P00001,6,10.00,2023-07-15,Credit Card,Completed\n"
    ",C0000092,P00001,6,10.00,2023-07-15,Credit Card,Completed\n"
    "TXN90000001,C0000092,P00002,8,50.00,2023-07-15,Debit Card,Completed\n"
    "TXN90000002,C0000092,P00002,9,50.00,2023-07-15,Debit Card,Completed\n"
    "TXN90000003,C0000093,P00003,007,5,2024-06-30,Credit Card,Pending\n";

JobSpec CustomSpec() {
  JobSpec spec;
  spec.validations = {
      {.name = "tid",
       .column = "transaction_id",
       .reason = "missing_transaction_id",
       .required = true},
      {.name = "cid",
       .column = "customer_id",
       .reason = "malformed_customer_id",
       .pattern = "C[0-9]+"},
      {.name = "pid",
       .column = "product_id",
       .reason = "malformed_product_id",
       .pattern = "P[0-9]+"},
      {.name = "quantity", .column = "quantity", .pattern = "[0-9]+", .min = "1", .max = "8"},
      {.name = "price",
       .column = "price",
       .reason = "invalid_price",
       .pattern = "[0-9]+(\\.[0-9]{1,2})?"},
      {.name = "period",
       .column = "transaction_date",
       .date = true,
       .min = "2023-01-01",
       .max = "2024-06-30"},
      {.name = "card", .column = "payment_type", .pattern = "Credit Card|Debit Card"},
      {.name = "tid_unique",
       .column = "transaction_id",
       .reason = "duplicate_transaction_id",
       .unique = true},
  };
  spec.lookups = {{.dimension = "customers",
                   .key = "customer_id",
                   .columns = {{"email", "buyer_email"}, {"membership_level", "membership_level"}}},
                  {.dimension = "products",
                   .key = "product_id",
                   .columns = {{"category", "category"}, {"price", "list_price"}}}};
  spec.derived = {{.name = "total_amount", .expr = "quantity * price * (1 - 0.15)", .scale = 2},
                  {.name = "gap", .expr = "quantity * (list_price - price)", .scale = 2}};
  spec.classify_column = "total_amount";
  spec.label_column = "size";
  spec.bins = {{Money{10000}, "S"}, {Money{40000}, "M"}, {std::nullopt, "L"}};
  spec.output = {{"transaction_id", "transaction_id", ColumnType::kText, 0},
                 {"buyer_email", "buyer_email", ColumnType::kText, 0},
                 {"membership_level", "membership_level", ColumnType::kText, 0},
                 {"category", "category", ColumnType::kText, 0},
                 {"quantity", "quantity", ColumnType::kInteger, 0},
                 {"price", "price", ColumnType::kDecimal, 2},
                 {"total_amount", "total_amount", ColumnType::kDecimal, 2},
                 {"gap", "gap", ColumnType::kDecimal, 2},
                 {"size", "size", ColumnType::kText, 0},
                 {"transaction_date", "transaction_date", ColumnType::kText, 0}};
  return spec;
}

std::vector<std::string> Split(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  for (std::string f; std::getline(ss, f, ',');) out.push_back(f);
  if (!line.empty() && line.back() == ',') out.emplace_back();
  return out;
}

bool Digits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

bool Prefixed(const std::string& s, char p) {
  return s.size() > 1 && s[0] == p && Digits(s.substr(1));
}

// "12", "12.5", "12.50" -> cents; -1 when not of that form.
int64_t Cents(const std::string& s) {
  const size_t dot = s.find('.');
  const std::string whole = s.substr(0, dot);
  const std::string frac = dot == std::string::npos ? "" : s.substr(dot + 1);
  if (!Digits(whole) || whole.size() > 15) return -1;
  if (dot != std::string::npos && (frac.empty() || frac.size() > 2 || !Digits(frac))) return -1;
  return std::stoll(whole) * 100 +
         (frac.empty() ? 0 : std::stoll(frac) * (frac.size() == 1 ? 10 : 1));
}

bool RealDay(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  if (!Digits(s.substr(0, 4)) || !Digits(s.substr(5, 2)) || !Digits(s.substr(8, 2))) return false;
  const int y = std::stoi(s.substr(0, 4)), m = std::stoi(s.substr(5, 2)),
            d = std::stoi(s.substr(8, 2));
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  const int days[] = {31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return y > 0 && m >= 1 && m <= 12 && d >= 1 && d <= days[m - 1];
}

std::string FormatCentsText(int64_t cents) {
  const bool neg = cents < 0;
  const int64_t a = neg ? -cents : cents;
  std::string frac = std::to_string(a % 100);
  if (frac.size() == 1) frac = "0" + frac;
  return (neg ? "-" : "") + std::to_string(a / 100) + "." + frac;
}

struct Expected {
  std::vector<std::vector<std::string>> facts;
  std::vector<std::pair<int64_t, std::string>> rejects;  // line, reason
};

Expected Independent(const std::string& transactions, const Dimensions& dims) {
  Expected out;
  std::set<std::string> seen;
  std::stringstream in(transactions);
  std::string line;
  std::getline(in, line);  // header
  for (int64_t n = 2; std::getline(in, line); ++n) {
    const std::vector<std::string> f = Split(line);
    EXPECT_EQ(f.size(), 8u) << line;
    const std::string &tid = f[0], &cid = f[1], &pid = f[2], &qty = f[3], &price = f[4],
                      &date = f[5], &pay = f[6];
    const auto reject = [&](const char* reason) { out.rejects.emplace_back(n, reason); };
    if (tid.empty()) {
      reject("missing_transaction_id");
      continue;
    }
    if (!Prefixed(cid, 'C')) {
      reject("malformed_customer_id");
      continue;
    }
    if (!Prefixed(pid, 'P')) {
      reject("malformed_product_id");
      continue;
    }
    if (!Digits(qty) || qty.size() > 18 || std::stoll(qty) < 1 || std::stoll(qty) > 8) {
      reject("validation_failed:quantity");
      continue;
    }
    const int64_t price_cents = Cents(price);
    if (price_cents < 0) {
      reject("invalid_price");
      continue;
    }
    if (!RealDay(date) || date < "2023-01-01" || date > "2024-06-30") {
      reject("validation_failed:period");
      continue;
    }
    if (pay != "Credit Card" && pay != "Debit Card") {
      reject("validation_failed:card");
      continue;
    }
    const auto customer = dims.customers.find(cid);
    if (customer == dims.customers.end()) {
      reject("unknown_customer_id");
      continue;
    }
    const auto product = dims.products.find(pid);
    if (product == dims.products.end()) {
      reject("unknown_product_id");
      continue;
    }
    if (!seen.insert(tid).second) {
      reject("duplicate_transaction_id");
      continue;
    }
    const int64_t q = std::stoll(qty);
    // q * price * 0.85 in 10^-4 units, rounded half up to cents (all values are >= 0).
    const int64_t total = (q * price_cents * 85 + 50) / 100;
    const int64_t gap = q * (product->second.price.cents - price_cents);
    const char* size = total <= 10000 ? "S" : (total <= 40000 ? "M" : "L");
    out.facts.push_back({tid, customer->second.email, customer->second.membership_level,
                         product->second.category, std::to_string(q), FormatCentsText(price_cents),
                         FormatCentsText(total), FormatCentsText(gap), size, date});
  }
  return out;
}

Dimensions LoadGenDimensions() {
  Dimensions dims;
  StringInputStream customers_in(ReadFile(kGen + "/customers.csv"));
  auto customers = ReadCustomers(customers_in, {}, "customers.csv");
  StringInputStream products_in(ReadFile(kGen + "/products.csv"));
  auto products = ReadProducts(products_in, {}, "products.csv");
  EXPECT_TRUE(customers.ok() && products.ok());
  if (!customers.ok() || !products.ok()) return dims;
  for (const Customer& c : *customers) dims.customers.emplace(c.customer_id, c);
  for (const Product& p : *products) dims.products.emplace(p.product_id, p);
  return dims;
}

TEST(GeneralJobTest, GeneratedDataMatchesAnIndependentComputation) {
  const Dimensions dims = LoadGenDimensions();
  const std::string transactions = ReadFile(kGen + "/transactions.csv") + kExtraRows;
  const Expected want = Independent(transactions, dims);
  // Every kind of outcome is present, so the comparison below means something.
  std::map<std::string, int> reasons;
  for (const auto& r : want.rejects) ++reasons[r.second];
  for (const char* r : {"missing_transaction_id", "malformed_customer_id", "malformed_product_id",
                        "validation_failed:quantity", "invalid_price", "validation_failed:period",
                        "validation_failed:card", "unknown_customer_id", "unknown_product_id",
                        "duplicate_transaction_id"}) {
    EXPECT_GT(reasons[r], 0) << r;
  }
  EXPECT_GT(want.facts.size(), 500u);

  for (int threads : {1, 2}) {
    StringInputStream in(transactions, 4096);
    JobSpec spec = CustomSpec();
    spec.threads = threads;
    spec.chunk_bytes = 10000;
    CollectingSink sink;
    Result<TransformStats> stats = TransformObject(in, {}, dims, spec, "t.csv", sink);
    ASSERT_TRUE(stats.ok()) << stats.status().ToString();
    EXPECT_EQ(stats->rows_read, 2005);
    ASSERT_EQ(sink.facts.size(), want.facts.size());
    for (size_t i = 0; i < want.facts.size(); ++i) {
      ASSERT_EQ(sink.facts[i].values, want.facts[i]) << "fact " << i;
    }
    ASSERT_EQ(sink.rejects.size(), want.rejects.size());
    for (size_t i = 0; i < want.rejects.size(); ++i) {
      EXPECT_EQ(sink.rejects[i].line, want.rejects[i].first) << "reject " << i;
      EXPECT_EQ(sink.rejects[i].reason, want.rejects[i].second) << "reject " << i;
    }
  }
}

TEST(GeneralJobTest, RejectDetailsNameTheCheck) {
  const Dimensions dims = LoadGenDimensions();
  StringInputStream in(
      "transaction_id,customer_id,product_id,quantity,price,transaction_date,payment_type,status\n"
      "TXN1,C0000092,P00001,9,10.00,2023-07-15,Credit Card,Completed\n"
      "TXN2,C0000092,P00001,1,10.00,2022-07-15,Credit Card,Completed\n"
      "TXN3,C0000092,P00001,1,10.00,2023-07-15,Cash,Completed\n"
      "TXN4,C9999999,P00001,1,10.00,2023-07-15,Credit Card,Completed\n"
      "TXN4,C0000092,P00001,1,10.00,2023-07-15,Credit Card,Completed\n"
      "TXN4,C0000092,P00001,1,10.00,2023-07-15,Credit Card,Completed\n");
  CollectingSink sink;
  ASSERT_TRUE(TransformObject(in, {}, dims, CustomSpec(), "t.csv", sink).ok());
  ASSERT_EQ(sink.rejects.size(), 5u);
  EXPECT_EQ(sink.rejects[0].detail, "quantity '9' is above 8");
  EXPECT_EQ(sink.rejects[1].detail, "transaction_date '2022-07-15' is before 2023-01-01");
  EXPECT_EQ(sink.rejects[2].detail, "payment_type 'Cash' does not match Credit Card|Debit Card");
  EXPECT_EQ(sink.rejects[3].detail, "customer_id 'C9999999' is not in the customers table");
  EXPECT_EQ(sink.rejects[4].reason, "duplicate_transaction_id");
  EXPECT_EQ(sink.rejects[4].detail,
            "transaction_id 'TXN4' already appeared earlier in this object");
  EXPECT_EQ(sink.rejects[4].line, 7);
  EXPECT_EQ(sink.rejects[4].raw, "TXN4,C0000092,P00001,1,10.00,2023-07-15,Credit Card,Completed");
  EXPECT_EQ(sink.facts.size(), 1u);
}

// A huge value never reaches std::regex (whose recursion would exhaust the stack).
TEST(GeneralJobTest, PatternsCheckValuesUpTo4096Bytes) {
  const Dimensions dims = LoadGenDimensions();
  const std::string header =
      "transaction_id,customer_id,product_id,quantity,price,transaction_date,payment_type,status\n";
  const std::string row = "TXN1,C0000092,P00001,1,10.00,2023-07-15,";
  StringInputStream in(header + row + "Credit Card" + std::string(200000, ' ') + ",x\n" + row +
                       "Debit Card,x\n");
  CollectingSink sink;
  ASSERT_TRUE(TransformObject(in, {}, dims, CustomSpec(), "t.csv", sink).ok());
  ASSERT_EQ(sink.rejects.size(), 1u);
  EXPECT_EQ(sink.rejects[0].reason, "validation_failed:card");
  EXPECT_NE(sink.rejects[0].detail.find("is longer than 4096 bytes"), std::string::npos);
  EXPECT_EQ(sink.facts.size(), 1u);
}

TEST(GeneralJobTest, OverflowingDerivedColumnIsARejectWithItsReason) {
  Dimensions dims = LoadGenDimensions();
  JobSpec spec = CustomSpec();
  spec.validations[3].max.reset();
  spec.derived[0].reason = "total_too_big";
  StringInputStream in(
      "transaction_id,customer_id,product_id,quantity,price,transaction_date,payment_type,status\n"
      "TXN1,C0000092,P00001,999999999,999999999999.99,2023-07-15,Credit Card,Completed\n");
  CollectingSink sink;
  ASSERT_TRUE(TransformObject(in, {}, dims, spec, "t.csv", sink).ok());
  ASSERT_EQ(sink.rejects.size(), 1u);
  EXPECT_EQ(sink.rejects[0].reason, "total_too_big");
}

TEST(GeneralJobTest, JsonLinesTakesTheGeneralPathToo) {
  const Dimensions dims = LoadGenDimensions();
  catalog::TableSchema schema;
  schema.format = catalog::DataFormat::kJsonLines;
  StringInputStream in(
      "{\"transaction_id\":\"TXN1\",\"customer_id\":\"C0000092\",\"product_id\":\"P00001\","
      "\"quantity\":\"3\",\"price\":\"19.99\",\"transaction_date\":\"2023-07-15\","
      "\"payment_type\":\"Debit Card\",\"status\":\"Completed\"}\n");
  CollectingSink sink;
  ASSERT_TRUE(TransformObject(in, schema, dims, CustomSpec(), "t.jsonl", sink).ok());
  ASSERT_EQ(sink.facts.size(), 1u);
  // 3 * 19.99 * 0.85 = 50.9745 -> 50.97; gap 3 * (10.00 - 19.99) = -29.97.
  EXPECT_EQ(sink.facts[0].values[6], "50.97");
  EXPECT_EQ(sink.facts[0].values[7], "-29.97");
  EXPECT_EQ(sink.facts[0].values[8], "S");
}

// The reference job (JobSpec{}, which ecompipe.yaml's default equals) still writes exactly
// what it wrote before jobs became configurable.
TEST(GeneralJobTest, DefaultFileJobOutputIsByteIdenticalToTheGolden) {
  const std::string golden = std::string(EP_TEST_DATA_DIR) + "/../golden/file_job_gen2000";
  const std::string out = ::testing::TempDir() + "/file_job_gen2000_" + std::to_string(::getpid());
  FileJobOptions options{.transactions = kGen + "/transactions.csv",
                         .products = kGen + "/products.csv",
                         .customers = kGen + "/customers.csv",
                         .out_dir = out,
                         .spec = JobSpec{}};
  options.spec.threads = 2;
  options.spec.chunk_bytes = 3000;
  Result<FileJobStats> stats = RunFileJob(options);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  for (const char* file : {"fact.csv", "rejects.csv", "reasons.json"}) {
    EXPECT_EQ(ReadFile(out + "/" + file), ReadFile(golden + "/" + file)) << file;
  }
  std::filesystem::remove_all(out);
}

TEST(GeneralJobTest, FileJobRefusesAConfiguredSpec) {
  FileJobOptions options{.transactions = kGen + "/transactions.csv",
                         .products = kGen + "/products.csv",
                         .customers = kGen + "/customers.csv",
                         .out_dir = ::testing::TempDir() + "/unused",
                         .spec = CustomSpec()};
  Result<FileJobStats> stats = RunFileJob(options);
  ASSERT_FALSE(stats.ok());
  EXPECT_EQ(stats.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ecompipe::transform
