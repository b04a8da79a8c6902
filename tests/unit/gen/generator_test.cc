#include "gen/generator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace ecompipe::gen {
namespace {

namespace fs = std::filesystem;

constexpr const char* kTransactionsHeader =
    "transaction_id,customer_id,product_id,quantity,price,transaction_date,payment_type,status";

// A fresh folder per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ =
        fs::temp_directory_path() / (std::string("ep_gen_") + info->name() + "_" +
                                     std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// RFC 4180 split of one line (the generator writes no line breaks inside fields).
std::vector<std::string> SplitCsv(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  EXPECT_FALSE(quoted) << "unterminated quote: " << line;
  return fields;
}

// The rows of a CSV file after its header, each split into fields.
std::vector<std::vector<std::string>> ReadRows(const fs::path& path, const std::string& header) {
  const std::vector<std::string> lines = Lines(ReadAll(path));
  EXPECT_FALSE(lines.empty()) << path;
  if (lines.empty()) return {};
  EXPECT_EQ(lines[0], header) << path;
  std::vector<std::vector<std::string>> rows;
  for (size_t i = 1; i < lines.size(); ++i) rows.push_back(SplitCsv(lines[i]));
  return rows;
}

std::map<std::string, std::string> ReadTree(const fs::path& root) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file()) files[fs::relative(e.path(), root).string()] = ReadAll(e.path());
  }
  return files;
}

std::vector<GeneratedFile> MustGenerate(const GenerateOptions& options, const fs::path& dir) {
  Result<std::vector<GeneratedFile>> r = Generate(options, dir);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : std::vector<GeneratedFile>{};
}

GenerateOptions Options(const std::string& start, int days, int64_t rows) {
  GenerateOptions o;
  o.start_date = start;
  o.days = days;
  o.rows_per_day = rows;
  return o;
}

bool AllDigits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}
bool IsId(const std::string& s, char prefix) {
  return s.size() >= 2 && s[0] == prefix && AllDigits(s.substr(1));
}
bool IsQuantity(const std::string& s) {
  return AllDigits(s) && s.size() <= 9 && s.find_first_not_of('0') != std::string::npos;
}
bool IsPrice(const std::string& s) {
  const size_t dot = s.find('.');
  if (dot == std::string::npos) return AllDigits(s) && s.size() <= 12;
  const std::string whole = s.substr(0, dot), frac = s.substr(dot + 1);
  return AllDigits(whole) && whole.size() <= 12 && AllDigits(frac) && frac.size() <= 2;
}
bool IsDate(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  const std::string y = s.substr(0, 4), m = s.substr(5, 2), d = s.substr(8, 2);
  if (!AllDigits(y) || !AllDigits(m) || !AllDigits(d)) return false;
  const int year = std::stoi(y), month = std::stoi(m), day = std::stoi(d);
  if (year == 0 || month < 1 || month > 12 || day < 1) return false;
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return day <= (month == 2 && leap ? 29 : kDays[month - 1]);
}

struct Dims {
  std::set<std::string> customers;
  std::map<std::string, std::string> product_prices;
};

Dims ReadDims(const fs::path& customers_csv, const fs::path& products_csv) {
  Dims dims;
  for (const auto& row :
       ReadRows(customers_csv, "customer_id,first_name,last_name,email,membership_level,row_num")) {
    EXPECT_EQ(row.size(), 6u);
    dims.customers.insert(row[0]);
  }
  for (const auto& row :
       ReadRows(products_csv, "product_id,product_name,category,price,supplier_id")) {
    EXPECT_EQ(row.size(), 5u);
    if (row.size() == 5) dims.product_prices[row[0]] = row[3];
  }
  return dims;
}

// An independent classifier: the first failing rule, in the job's order, or "" for a valid
// row. Also checks that a valid row's price is the product's price.
std::map<std::string, int64_t> Classify(const fs::path& transactions, const Dims& dims,
                                        const std::string& date, int64_t* valid_rows) {
  std::map<std::string, int64_t> reasons;
  std::unordered_set<std::string> seen;
  *valid_rows = 0;
  for (const auto& f : ReadRows(transactions, kTransactionsHeader)) {
    std::string reason;
    if (f.size() != 8)
      reason = "wrong_field_count";
    else if (!IsId(f[1], 'C'))
      reason = "malformed_customer_id";
    else if (!IsId(f[2], 'P'))
      reason = "malformed_product_id";
    else if (!IsQuantity(f[3]))
      reason = "invalid_quantity";
    else if (!IsPrice(f[4]))
      reason = "invalid_price";
    else if (!IsDate(f[5]))
      reason = "invalid_date";
    else if (!dims.customers.count(f[1]))
      reason = "unknown_customer_id";
    else if (!dims.product_prices.count(f[2]))
      reason = "unknown_product_id";
    else if (seen.count(f[0]))
      reason = "duplicate_transaction_id";
    if (!reason.empty()) {
      ++reasons[reason];
      continue;
    }
    seen.insert(f[0]);
    ++*valid_rows;
    EXPECT_EQ(f[4], dims.product_prices.at(f[2])) << "txn " << f[0];
    EXPECT_EQ(f[5], date);
    EXPECT_EQ(f[7], "Completed");
    EXPECT_THAT(f[6], ::testing::AnyOf("Cash on Delivery", "Credit Card", "Debit Card"));
    const int q = std::stoi(f[3]);
    EXPECT_TRUE(q >= 1 && q <= 10) << f[3];
  }
  return reasons;
}

std::map<std::string, int64_t> NonZero(const std::map<std::string, int64_t>& m) {
  std::map<std::string, int64_t> out;
  for (const auto& [k, v] : m) {
    if (v != 0) out[k] = v;
  }
  return out;
}

TEST(GeneratorTest, SameSeedSameBytes) {
  TempDir a, b;
  GenerateOptions o = Options("2026-11-05", 2, 3000);
  o.customers = 500;
  o.products = 200;
  MustGenerate(o, a.path());
  MustGenerate(o, b.path());
  const auto files_a = ReadTree(a.path());
  ASSERT_EQ(files_a.size(), 4u);
  EXPECT_TRUE(files_a == ReadTree(b.path()));
}

TEST(GeneratorTest, DifferentSeedDifferentBytes) {
  TempDir a, b;
  GenerateOptions o = Options("2026-11-05", 1, 3000);
  o.customers = 500;
  o.products = 200;
  MustGenerate(o, a.path());
  o.seed = 43;
  MustGenerate(o, b.path());
  const auto files_a = ReadTree(a.path()), files_b = ReadTree(b.path());
  ASSERT_EQ(files_a.size(), 3u);
  ASSERT_EQ(files_b.size(), 3u);
  for (const auto& [key, content] : files_a) {
    EXPECT_NE(content, files_b.at(key)) << key;
  }
}

TEST(GeneratorTest, KeyLayoutHasUnpaddedFoldersAndPaddedFileName) {
  TempDir dir;
  const auto files = MustGenerate(Options("2026-11-05", 1, 10), dir.path());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].key, "transactions/year=2026/month=11/day=5/transaction_2026-11-05.csv");
  EXPECT_EQ(files[0].path, dir.path() / files[0].key);
  EXPECT_TRUE(fs::is_regular_file(files[0].path));
  EXPECT_EQ(TransactionKey(2027, 1, 9),
            "transactions/year=2027/month=1/day=9/transaction_2027-01-09.csv");
}

TEST(GeneratorTest, DaysSpanMonthAndYearEnds) {
  TempDir dir;
  std::vector<std::string> keys;
  for (const auto& f : MustGenerate(Options("2026-11-29", 3, 5), dir.path())) keys.push_back(f.key);
  for (const auto& f : MustGenerate(Options("2026-12-31", 2, 5), dir.path())) keys.push_back(f.key);
  for (const auto& f : MustGenerate(Options("2024-02-28", 2, 5), dir.path())) keys.push_back(f.key);
  EXPECT_THAT(keys, ::testing::ElementsAre(
                        "transactions/year=2026/month=11/day=29/transaction_2026-11-29.csv",
                        "transactions/year=2026/month=11/day=30/transaction_2026-11-30.csv",
                        "transactions/year=2026/month=12/day=1/transaction_2026-12-01.csv",
                        "transactions/year=2026/month=12/day=31/transaction_2026-12-31.csv",
                        "transactions/year=2027/month=1/day=1/transaction_2027-01-01.csv",
                        "transactions/year=2024/month=2/day=28/transaction_2024-02-28.csv",
                        "transactions/year=2024/month=2/day=29/transaction_2024-02-29.csv"));
  // Each row carries its file's date.
  GenerateOptions o = Options("2026-11-30", 2, 50);
  o.invalid_rate = 0;
  TempDir dir2;
  const auto files = MustGenerate(o, dir2.path());
  ASSERT_EQ(files.size(), 2u);
  for (const auto& row : ReadRows(files[1].path, kTransactionsHeader))
    EXPECT_EQ(row[5], "2026-12-01");
}

TEST(GeneratorTest, HeadersAndRowCounts) {
  TempDir dir;
  GenerateOptions o = Options("2026-11-05", 2, 1234);
  o.customers = 77;
  o.products = 33;
  const auto files = MustGenerate(o, dir.path());
  ASSERT_EQ(files.size(), 4u);
  const std::vector<std::pair<std::string, std::string>> expect = {
      {"dimensions/products/products.csv", "product_id,product_name,category,price,supplier_id"},
      {"dimensions/customers/customers.csv",
       "customer_id,first_name,last_name,email,membership_level,row_num"},
      {"transactions/year=2026/month=11/day=5/transaction_2026-11-05.csv", kTransactionsHeader},
      {"transactions/year=2026/month=11/day=6/transaction_2026-11-06.csv", kTransactionsHeader}};
  const std::vector<int64_t> rows = {33, 77, 1234, 1234};
  for (size_t i = 0; i < files.size(); ++i) {
    EXPECT_EQ(files[i].key, expect[i].first);
    EXPECT_EQ(files[i].rows, rows[i]);
    const std::string text = ReadAll(files[i].path);
    ASSERT_FALSE(text.empty());
    EXPECT_EQ(text.back(), '\n');
    const auto lines = Lines(text);
    EXPECT_EQ(lines[0], expect[i].second);
    EXPECT_EQ(static_cast<int64_t>(lines.size()), rows[i] + 1);
  }
  // No temporary files left behind.
  for (const auto& e : fs::recursive_directory_iterator(dir.path())) {
    if (e.is_regular_file()) {
      EXPECT_NE(e.path().filename().string()[0], '.') << e.path();
    }
  }
}

TEST(GeneratorTest, ZeroRowsWritesHeaderOnly) {
  TempDir dir;
  const auto files = MustGenerate(Options("2026-11-05", 1, 0), dir.path());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(ReadAll(files[0].path), std::string(kTransactionsHeader) + "\n");
  EXPECT_EQ(files[0].rows, 0);
}

TEST(GeneratorTest, FaultsMatchRateCoverEveryKindAndAreTheOnlyFault) {
  TempDir dir;
  GenerateOptions o = Options("2026-11-05", 1, 10000);
  o.customers = 1000;
  o.products = 100;
  const auto files = MustGenerate(o, dir.path());
  ASSERT_EQ(files.size(), 3u);
  const GeneratedFile& txn = files[2];
  ASSERT_EQ(txn.faults.size(), kFaultKinds.size());
  int64_t total = 0;
  for (std::string_view kind : kFaultKinds) {
    const auto it = txn.faults.find(std::string(kind));
    ASSERT_NE(it, txn.faults.end()) << kind;
    EXPECT_GE(it->second, 1) << kind;
    total += it->second;
  }
  EXPECT_EQ(total, 200);  // 2% of 10,000, exactly
  // An independent classifier finds exactly the injected faults, with the injected reasons.
  const Dims dims = ReadDims(files[1].path, files[0].path);
  int64_t valid = 0;
  EXPECT_EQ(Classify(txn.path, dims, "2026-11-05", &valid), NonZero(txn.faults));
  EXPECT_EQ(valid, 10000 - 200);
}

TEST(GeneratorTest, HighAndZeroInvalidRates) {
  TempDir dir;
  GenerateOptions o = Options("2026-11-05", 1, 500);
  o.invalid_rate = 1.0;  // every row faulty: a duplicate needs an earlier valid row, so none
  auto files = MustGenerate(o, dir.path());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].faults.at("duplicate_transaction_id"), 0);
  int64_t total = 0;
  for (const auto& [kind, n] : files[0].faults) total += n;
  EXPECT_EQ(total, 500);

  TempDir dir2;
  o.invalid_rate = 0.0;
  files = MustGenerate(o, dir2.path());
  ASSERT_EQ(files.size(), 1u);
  for (const auto& [kind, n] : files[0].faults) EXPECT_EQ(n, 0) << kind;
}

TEST(GeneratorTest, IdsAndPricesMatchDimensionFiles) {
  TempDir dir;
  GenerateOptions o = Options("2026-11-05", 2, 5000);
  o.customers = 1000;
  o.products = 100;
  const auto files = MustGenerate(o, dir.path());
  ASSERT_EQ(files.size(), 4u);
  const Dims dims = ReadDims(files[1].path, files[0].path);
  ASSERT_EQ(dims.customers.size(), 1000u);
  ASSERT_EQ(dims.product_prices.size(), 100u);
  EXPECT_EQ(*dims.customers.begin(), "C12345");
  EXPECT_EQ(*dims.customers.rbegin(), "C13344");
  EXPECT_TRUE(dims.product_prices.count("P12345"));
  EXPECT_TRUE(dims.product_prices.count("P12444"));
  std::set<std::string> used_customers, used_products;
  for (size_t i = 2; i < 4; ++i) {
    int64_t valid = 0;
    EXPECT_EQ(Classify(files[i].path, dims, i == 2 ? "2026-11-05" : "2026-11-06", &valid),
              NonZero(files[i].faults));
    for (const auto& f : ReadRows(files[i].path, kTransactionsHeader)) {
      if (f.size() == 8 && dims.customers.count(f[1])) used_customers.insert(f[1]);
      if (f.size() == 8 && dims.product_prices.count(f[2])) used_products.insert(f[2]);
    }
  }
  EXPECT_GT(used_customers.size(), 900u);
  EXPECT_EQ(used_products.size(), 100u);

  // The same dimension sizes without the files (the transactions only, later dates) still
  // reference these dimensions: the generated dimension rows depend on the index only.
  TempDir dir2;
  o.products = 50;
  const auto smaller = MustGenerate(o, dir2.path());
  const auto big_lines = Lines(ReadAll(files[0].path));
  const auto small_lines = Lines(ReadAll(smaller[0].path));
  ASSERT_EQ(small_lines.size(), 51u);
  EXPECT_TRUE(std::equal(small_lines.begin(), small_lines.end(), big_lines.begin()));
}

TEST(GeneratorTest, DimensionRowsAreWellFormed) {
  TempDir dir;
  GenerateOptions o = Options("2026-11-05", 0, 0);
  o.customers = 2000;
  o.products = 5000;
  const auto files = MustGenerate(o, dir.path());
  ASSERT_EQ(files.size(), 2u);
  const std::set<std::string> categories = {"Gadgets", "Electronics", "Tools",  "Home Appliances",
                                            "Sports",  "Toys",        "Garden", "Books"};
  std::set<std::string> edge_prices;
  int64_t n = 0;
  for (const auto& row :
       ReadRows(files[0].path, "product_id,product_name,category,price,supplier_id")) {
    ASSERT_EQ(row.size(), 5u);
    EXPECT_EQ(row[0], "P" + std::to_string(12345 + n));
    EXPECT_TRUE(categories.count(row[2])) << row[2];
    ASSERT_TRUE(IsPrice(row[3])) << row[3];
    EXPECT_EQ(row[3].size() - row[3].find('.'), 3u) << row[3];
    const double price = std::stod(row[3]);
    EXPECT_GE(price, 1.0);
    EXPECT_LE(price, 999.99);
    if (row[3] == "10.00" || row[3] == "50.00" || row[3] == "100.00") edge_prices.insert(row[3]);
    EXPECT_TRUE(IsId(row[4], 'S')) << row[4];
    ++n;
  }
  EXPECT_EQ(n, 5000);
  EXPECT_EQ(edge_prices.size(), 3u);
  n = 0;
  std::set<std::string> levels, emails;
  for (const auto& row :
       ReadRows(files[1].path, "customer_id,first_name,last_name,email,membership_level,row_num")) {
    ASSERT_EQ(row.size(), 6u);
    EXPECT_EQ(row[0], "C" + std::to_string(12345 + n));
    std::string expect_email = row[1] + "." + row[2] + std::to_string(n + 1) + "@example.com";
    for (char& c : expect_email) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_EQ(row[3], expect_email);
    emails.insert(row[3]);
    levels.insert(row[4]);
    EXPECT_EQ(row[5], std::to_string(n + 1));
    ++n;
  }
  EXPECT_EQ(n, 2000);
  EXPECT_EQ(emails.size(), 2000u);
  EXPECT_EQ(levels, (std::set<std::string>{"Bronze", "Gold", "Silver"}));
}

TEST(GeneratorTest, NamesWithCommasAndQuotesAreQuoted) {
  TempDir dir;
  GenerateOptions o = Options("2026-11-05", 0, 0);
  o.products = 5000;
  const auto files = MustGenerate(o, dir.path());
  ASSERT_EQ(files.size(), 1u);
  const auto lines = Lines(ReadAll(files[0].path));
  int64_t with_comma = 0, with_quote = 0;
  for (size_t i = 1; i < lines.size(); ++i) {
    const auto f = SplitCsv(lines[i]);
    ASSERT_EQ(f.size(), 5u) << lines[i];
    EXPECT_THAT(f[1], ::testing::MatchesRegex("[A-Z][a-z]+( [A-Z][a-z]+)? [0-9]+.*"));
    const bool comma = f[1].find(',') != std::string::npos;
    const bool quote = f[1].find('"') != std::string::npos;
    with_comma += comma;
    with_quote += quote;
    const std::string raw_name = lines[i].substr(lines[i].find(',') + 1);
    if (comma || quote) {
      EXPECT_EQ(raw_name[0], '"') << lines[i];
    } else {
      EXPECT_NE(raw_name[0], '"') << lines[i];
    }
    if (quote) {
      EXPECT_NE(lines[i].find("\"\""), std::string::npos) << lines[i];
    }
  }
  // ~11% with a comma (1% of them also a quote).
  EXPECT_GT(with_comma, 400);
  EXPECT_LT(with_comma, 700);
  EXPECT_GT(with_quote, 20);
  EXPECT_LT(with_quote, 100);
}

TEST(GeneratorTest, ReferenceDimensionsEqualTheOriginalFiles) {
  TempDir dir;
  GenerateOptions o = Options("2026-11-05", 1, 2000);
  o.reference_dimensions = true;
  const auto files = MustGenerate(o, dir.path());
  ASSERT_EQ(files.size(), 3u);
  const fs::path data = EP_TEST_DATA_DIR;
  EXPECT_EQ(files[0].key, "dimensions/products/products.csv");
  EXPECT_EQ(files[0].rows, 20);
  EXPECT_EQ(ReadAll(files[0].path), ReadAll(data / "products.csv"));
  EXPECT_EQ(files[1].key, "dimensions/customers/customers.csv");
  EXPECT_EQ(files[1].rows, 10);
  EXPECT_EQ(ReadAll(files[1].path), ReadAll(data / "customers.csv"));
  const Dims dims = ReadDims(data / "customers.csv", data / "products.csv");
  int64_t valid = 0;
  EXPECT_EQ(Classify(files[2].path, dims, "2026-11-05", &valid), NonZero(files[2].faults));
  EXPECT_EQ(valid, 2000 - 40);
}

TEST(GeneratorTest, NoDimensionsRequestedReferencesTheOriginalDimensions) {
  TempDir dir, ref;
  GenerateOptions o = Options("2026-11-05", 1, 3000);
  const auto files = MustGenerate(o, dir.path());
  ASSERT_EQ(files.size(), 1u);  // no dimension files
  const fs::path data = EP_TEST_DATA_DIR;
  const Dims dims = ReadDims(data / "customers.csv", data / "products.csv");
  int64_t valid = 0;
  EXPECT_EQ(Classify(files[0].path, dims, "2026-11-05", &valid), NonZero(files[0].faults));
  EXPECT_EQ(valid, 3000 - 60);
  // Asking for the reference files too changes nothing in the transactions.
  o.reference_dimensions = true;
  const auto with_ref = MustGenerate(o, ref.path());
  ASSERT_EQ(with_ref.size(), 3u);
  EXPECT_EQ(ReadAll(files[0].path), ReadAll(with_ref[2].path));
}

TEST(GeneratorTest, TransactionIdsUniqueAcrossDays) {
  TempDir dir;
  GenerateOptions o = Options("2026-11-28", 5, 4000);
  o.invalid_rate = 0;
  std::unordered_set<std::string> ids;
  for (const auto& f : MustGenerate(o, dir.path())) {
    for (const auto& row : ReadRows(f.path, kTransactionsHeader)) {
      EXPECT_THAT(row[0], ::testing::MatchesRegex("TXN[0-9]{8}"));
      EXPECT_TRUE(ids.insert(row[0]).second) << row[0];
    }
  }
  EXPECT_EQ(ids.size(), 20000u);
}

TEST(GeneratorTest, DuplicateRepeatsAnEarlierValidIdInTheSameFile) {
  TempDir dir;
  GenerateOptions o = Options("2026-11-05", 1, 20000);
  o.invalid_rate = 0.05;
  const auto files = MustGenerate(o, dir.path());
  ASSERT_EQ(files.size(), 1u);
  ASSERT_GT(files[0].faults.at("duplicate_transaction_id"), 0);
  std::map<std::string, int> count;
  for (const auto& row : ReadRows(files[0].path, kTransactionsHeader)) ++count[row[0]];
  int64_t repeats = 0;
  for (const auto& [id, n] : count) repeats += n - 1;
  EXPECT_EQ(repeats, files[0].faults.at("duplicate_transaction_id"));
}

TEST(GeneratorTest, DayFileDoesNotDependOnTheRange) {
  TempDir a, b;
  MustGenerate(Options("2026-11-05", 3, 2000), a.path());
  MustGenerate(Options("2026-11-06", 1, 2000), b.path());
  const std::string key = "transactions/year=2026/month=11/day=6/transaction_2026-11-06.csv";
  EXPECT_EQ(ReadAll(a.path() / key), ReadAll(b.path() / key));
}

TEST(GeneratorTest, RewritesExistingFilesInPlace) {
  TempDir dir;
  GenerateOptions o = Options("2026-11-05", 1, 100);
  MustGenerate(o, dir.path());
  o.seed = 7;
  const auto files = MustGenerate(o, dir.path());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(Lines(ReadAll(files[0].path)).size(), 101u);
  EXPECT_EQ(ReadTree(dir.path()).size(), 1u);
}

TEST(GeneratorTest, RejectsBadOptions) {
  TempDir dir;
  auto expect_invalid = [&](GenerateOptions o, const std::string& word) {
    const auto r = Generate(o, dir.path());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(r.status().message(), ::testing::HasSubstr(word));
  };
  GenerateOptions o = Options("2026-11-05", 1, 10);
  for (const char* bad : {"", "2026-11-5", "2026/11/05", "2026-02-29", "2026-13-01", "0000-01-01",
                          "20261105", "2026-11-05x", "abcd-ef-gh"}) {
    GenerateOptions b = o;
    b.start_date = bad;
    expect_invalid(b, "start_date");
  }
  GenerateOptions b = o;
  b.rows_per_day = -1;
  expect_invalid(b, "rows_per_day");
  b = o;
  b.days = -1;
  expect_invalid(b, "days");
  b = o;
  b.days = 2;
  b.rows_per_day = 60'000'000;
  expect_invalid(b, "transaction ids");
  b = o;
  b.invalid_rate = 1.5;
  expect_invalid(b, "invalid_rate");
  b = o;
  b.invalid_rate = -0.1;
  expect_invalid(b, "invalid_rate");
  b = o;
  b.customers = -3;
  expect_invalid(b, "customers");
  b = o;
  b.reference_dimensions = true;
  b.products = 10;
  expect_invalid(b, "reference_dimensions");
  b = o;
  b.start_date = "9999-12-31";
  b.days = 2;
  expect_invalid(b, "9999");
  EXPECT_TRUE(ReadTree(dir.path()).empty());
}

TEST(GeneratorTest, UnwritableFolderIsAnIoError) {
  TempDir dir;
  const fs::path blocker = dir.path() / "file";
  std::ofstream(blocker) << "x";
  const auto r = Generate(Options("2026-11-05", 1, 10), blocker / "sub");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kIoError);
}

}  // namespace
}  // namespace ecompipe::gen
