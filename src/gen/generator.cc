#include "gen/generator.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>
#include <string_view>
#include <system_error>
#include <utility>

namespace ecompipe::gen {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kFirstId = 12345;           // C12345, P12345: the original's first ids
constexpr int64_t kTxnIdSpace = 100'000'000;  // TXN + 8 digits
constexpr int64_t kMaxProducts = 10'000'000;  // the price table is held in memory
constexpr int64_t kMaxCustomers = 1'000'000'000;
constexpr int kMaxDays = 1'000'000;

// The original's dimension files, byte for byte (tests/data/*.csv).
constexpr std::string_view kReferenceProductsCsv =
    "product_id,product_name,category,price,supplier_id\n"
    "P12345,Widget A,Gadgets,29.99,S123\n"
    "P12346,Widget B,Electronics,49.99,S124\n"
    "P12347,Widget C,Tools,39.99,S125\n"
    "P12348,Widget D,Home Appliances,99.99,S126\n"
    "P12349,Widget E,Gadgets,19.99,S127\n"
    "P12350,Widget F,Electronics,59.99,S128\n"
    "P12351,Widget G,Tools,24.99,S129\n"
    "P12352,Widget H,Home Appliances,34.99,S130\n"
    "P12353,Widget I,Gadgets,79.99,S131\n"
    "P12354,Widget J,Electronics,14.99,S132\n"
    "P12355,Widget K,Tools,44.99,S133\n"
    "P12356,Widget L,Home Appliances,69.99,S134\n"
    "P12357,Widget M,Gadgets,29.99,S135\n"
    "P12358,Widget N,Electronics,129.99,S136\n"
    "P12359,Widget O,Tools,34.99,S137\n"
    "P12360,Widget P,Home Appliances,79.99,S138\n"
    "P12361,Widget Q,Gadgets,19.99,S139\n"
    "P12362,Widget R,Electronics,24.99,S140\n"
    "P12363,Widget S,Tools,89.99,S141\n"
    "P12364,Widget T,Home Appliances,9.99,S142\n";
constexpr int64_t kReferenceProducts = 20;
// Prices of P12345.. in the file above, in cents.
constexpr std::array<int32_t, kReferenceProducts> kReferencePriceCents = {
    2999, 4999, 3999, 9999,  1999, 5999, 2499, 3499, 7999, 1499,
    4499, 6999, 2999, 12999, 3499, 7999, 1999, 2499, 8999, 999};

constexpr std::string_view kReferenceCustomersCsv =
    "customer_id,first_name,last_name,email,membership_level,row_num\n"
    "C12345,John,Doe,john.doe@example.com,Gold,1\n"
    "C12346,Alice,Smith,alice.smith@example.com,Silver,2\n"
    "C12347,Michael,Johnson,michael.johnson@example.com,Bronze,3\n"
    "C12348,Emily,Brown,emily.brown@example.com,Gold,4\n"
    "C12349,Daniel,Williams,daniel.williams@example.com,Silver,5\n"
    "C12350,Sarah,Jones,sarah.jones@example.com,Bronze,6\n"
    "C12351,David,Martinez,david.martinez@example.com,Gold,7\n"
    "C12352,Jessica,Garcia,jessica.garcia@example.com,Silver,8\n"
    "C12353,James,Lopez,james.lopez@example.com,Bronze,9\n"
    "C12354,Emma,Hernandez,emma.hernandez@example.com,Gold,10\n";
constexpr int64_t kReferenceCustomers = 10;

constexpr std::string_view kProductsHeader = "product_id,product_name,category,price,supplier_id\n";
constexpr std::string_view kCustomersHeader =
    "customer_id,first_name,last_name,email,membership_level,row_num\n";
constexpr std::string_view kTransactionsHeader =
    "transaction_id,customer_id,product_id,quantity,price,transaction_date,payment_type,status\n";

constexpr std::array<std::string_view, 16> kNouns = {
    "Widget",  "Gadget", "Gizmo",   "Sprocket",   "Blender", "Desk Lamp", "Kettle", "Backpack",
    "Toaster", "Drill",  "Monitor", "Headphones", "Camera",  "Watch",     "Tent",   "Keyboard"};
constexpr std::array<std::string_view, 6> kColors = {"Red",   "Blue",  "Black",
                                                     "White", "Green", "Silver"};
constexpr std::array<std::string_view, 8> kCategories = {
    "Gadgets", "Electronics", "Tools", "Home Appliances", "Sports", "Toys", "Garden", "Books"};
// Prices that make quantity * price land exactly on the 100.00 / 500.00 class bounds.
constexpr std::array<int32_t, 3> kFirstPriceCents = {1000, 5000, 10000};
constexpr std::array<int32_t, 6> kEdgePriceCents = {1000, 2000, 2500, 5000, 10000, 25000};

constexpr std::array<std::string_view, 24> kFirstNames = {
    "James", "Mary",  "John",  "Patricia", "Robert", "Jennifer", "Michael", "Linda",
    "David", "Emily", "Sarah", "Daniel",   "Emma",   "Jessica",  "Thomas",  "Alice",
    "Wei",   "Aisha", "Mateo", "Yuki",     "Olga",   "Priya",    "Kwame",   "Lucia"};
constexpr std::array<std::string_view, 24> kLastNames = {
    "Smith", "Johnson",  "Williams",  "Brown", "Jones",    "Garcia", "Miller", "Davis",
    "Doe",   "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Taylor", "Moore",
    "Lee",   "Chen",     "Okafor",    "Novak", "Tanaka",   "Singh",  "Larsen", "Costa"};

constexpr std::array<std::string_view, 3> kPaymentTypes = {"Cash on Delivery", "Credit Card",
                                                           "Debit Card"};

// Values that fail exactly one rule each and nothing else (no comma, no quote, no newline).
constexpr std::array<std::string_view, 7> kBadQuantities = {"0", "-1",  "abc", "2.5",
                                                            "",  "1e2", "00"};
constexpr std::array<std::string_view, 7> kBadPrices = {"-5.00", "abc", "$12.00",  "1.234",
                                                        "",      "N/A", "12.34.56"};
constexpr std::array<std::string_view, 9> kBadDates = {"2023-02-29", "2024-02-30", "2023-13-01",
                                                       "2024/01/15", "",           "2023-04-31",
                                                       "2024-01-32", "20240115",   "2024-00-10"};

enum class Stream : uint64_t { kProducts = 1, kCustomers = 2, kTransactions = 3, kTxnIdBase = 4 };

enum Fault : int {
  kUnknownCustomer,
  kMalformedCustomer,
  kUnknownProduct,
  kMalformedProduct,
  kInvalidQuantity,
  kInvalidPrice,
  kInvalidDate,
  kWrongFieldCount,
  kDuplicateTransactionId,
  kFaultCount,
  kNoFault = -1,
};
static_assert(kFaultCount == static_cast<int>(kFaultKinds.size()));

__extension__ typedef unsigned __int128 Uint128;

uint64_t Finalize(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// SplitMix64 (Steele, Lea and Flood): small, fast, and its output is fixed by its
// definition, unlike std distributions, so files are identical across standard libraries.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}

  uint64_t Next() { return Finalize(state_ += 0x9e3779b97f4a7c15ULL); }

  // Uniform in [0, n) for n > 0, unbiased (Lemire's multiply-shift with rejection).
  uint64_t Below(uint64_t n) {
    Uint128 m = static_cast<Uint128>(Next()) * n;
    auto low = static_cast<uint64_t>(m);
    if (low < n) {
      const uint64_t threshold = (0 - n) % n;
      while (low < threshold) {
        m = static_cast<Uint128>(Next()) * n;
        low = static_cast<uint64_t>(m);
      }
    }
    return static_cast<uint64_t>(m >> 64);
  }
  int Below(int n) { return static_cast<int>(Below(static_cast<uint64_t>(n))); }
  int64_t Below(int64_t n) { return static_cast<int64_t>(Below(static_cast<uint64_t>(n))); }

  template <typename T, size_t N>
  const T& Pick(const std::array<T, N>& items) {
    return items[Below(static_cast<uint64_t>(N))];
  }

 private:
  uint64_t state_;
};

// An independent stream for (seed, kind, index): dimension row i and a day's transactions
// draw from their own stream, so they do not depend on what else the call generates.
Rng StreamRng(uint64_t seed, Stream stream, uint64_t index) {
  const uint64_t s = Finalize(seed ^ (static_cast<uint64_t>(stream) * 0xd1342543de82ef95ULL));
  return Rng(Finalize(s + index * 0x9e3779b97f4a7c15ULL));
}

// ---- Calendar (proleptic Gregorian; H. Hinnant's days_from_civil / civil_from_days) ----

struct Ymd {
  int year = 0;
  int month = 0;
  int day = 0;
};

int64_t DaysFromCivil(Ymd date) {
  const int64_t y = date.year - (date.month <= 2 ? 1 : 0);
  const auto m = static_cast<unsigned>(date.month);
  const auto d = static_cast<unsigned>(date.day);
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

Ymd CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<int>(y + (m <= 2 ? 1 : 0)), static_cast<int>(m), static_cast<int>(d)};
}

int DaysInMonth(int year, int month) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[static_cast<size_t>(month - 1)];
}

bool ParseDigits(std::string_view text, int& out) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

// Strict "YYYY-MM-DD", a real calendar day in years 0001-9999.
Result<Ymd> ParseDate(std::string_view text) {
  Ymd date;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' ||
      !ParseDigits(text.substr(0, 4), date.year) || !ParseDigits(text.substr(5, 2), date.month) ||
      !ParseDigits(text.substr(8, 2), date.day) || date.year < 1 || date.month < 1 ||
      date.month > 12 || date.day < 1 || date.day > DaysInMonth(date.year, date.month)) {
    return Status::InvalidArgument(
        fmt::format("start_date '{}' is not a calendar date of the form YYYY-MM-DD", text));
  }
  return date;
}

// ---- Output ----

// A file written through a large buffer to a temporary dot-file beside its final path and
// renamed into place by Commit(). Abandoned (not committed) files are removed.
class AtomicFile {
 public:
  static constexpr size_t kBlock = 1 << 20;
  static constexpr size_t kMaxReserve = 4096;

  AtomicFile() = default;
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile() {
    if (fd_ >= 0) {
      ::close(fd_);
      std::error_code ignored;
      fs::remove(temp_, ignored);
    }
  }

  Status Open(const fs::path& final_path) {
    final_ = final_path;
    temp_ = final_path.parent_path() /
            fmt::format(".{}.{}.tmp", final_path.filename().string(), ::getpid());
    std::error_code ec;
    fs::create_directories(final_path.parent_path(), ec);
    if (ec) {
      return Status::IoError(fmt::format("cannot create the folder: {}", ec.message()))
          .At(final_path.parent_path().string());
    }
    fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) {
      return Status::IoError(fmt::format("cannot create the file: {}", std::strerror(errno)))
          .At(temp_.string());
    }
    buffer_ = std::make_unique<char[]>(kBlock + kMaxReserve);
    pos_ = buffer_.get();
    return Status::Ok();
  }

  // Returns a pointer with room for `n` <= kMaxReserve bytes; the caller writes there and
  // hands the end back to Advance(). A failed flush is remembered and reported by Commit().
  char* Reserve(size_t n) {
    if (static_cast<size_t>(pos_ - buffer_.get()) + n > kBlock + kMaxReserve) Flush();
    return pos_;
  }
  void Advance(char* end) {
    pos_ = end;
    if (static_cast<size_t>(pos_ - buffer_.get()) >= kBlock) Flush();
  }
  void Append(std::string_view text) {
    while (!text.empty()) {
      const size_t n = std::min(text.size(), kMaxReserve);
      char* p = Reserve(n);
      std::memcpy(p, text.data(), n);
      Advance(p + n);
      text.remove_prefix(n);
    }
  }

  Status Commit() {
    Flush();
    const int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0 && write_error_ == 0) write_error_ = errno;
    std::error_code ec;
    if (write_error_ != 0) {
      fs::remove(temp_, ec);
      return Status::IoError(fmt::format("cannot write the file: {}", std::strerror(write_error_)))
          .At(temp_.string());
    }
    fs::rename(temp_, final_, ec);
    if (ec) {
      fs::remove(temp_, ec);
      return Status::IoError(
                 fmt::format("cannot rename the temporary file into place: {}", ec.message()))
          .At(final_.string());
    }
    return Status::Ok();
  }

 private:
  void Flush() {
    const char* p = buffer_.get();
    size_t left = static_cast<size_t>(pos_ - p);
    while (left > 0 && write_error_ == 0) {
      const ssize_t n = ::write(fd_, p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        write_error_ = errno;
        break;
      }
      p += n;
      left -= static_cast<size_t>(n);
    }
    pos_ = buffer_.get();
  }

  fs::path final_;
  fs::path temp_;
  int fd_ = -1;
  int write_error_ = 0;
  std::unique_ptr<char[]> buffer_;
  char* pos_ = nullptr;
};

char* Put(char* p, std::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

char* PutInt(char* p, int64_t v) { return std::to_chars(p, p + 20, v).ptr; }

char* PutId(char* p, char prefix, int64_t number) {
  *p++ = prefix;
  return PutInt(p, number);
}

char* PutCents(char* p, int64_t cents) {
  p = PutInt(p, cents / 100);
  *p++ = '.';
  *p++ = static_cast<char>('0' + cents % 100 / 10);
  *p++ = static_cast<char>('0' + cents % 10);
  return p;
}

char* PutTxnId(char* p, int64_t number) {
  p = Put(p, "TXN");
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<char>('0' + number % 10);
    number /= 10;
  }
  return p + 8;
}

// RFC 4180: quoted when it holds a comma, quote or line break; quotes doubled.
char* PutCsvField(char* p, std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return Put(p, s);
  *p++ = '"';
  for (char c : s) {
    if (c == '"') *p++ = '"';
    *p++ = c;
  }
  *p++ = '"';
  return p;
}

char* PutLower(char* p, std::string_view s) {
  for (char c : s) *p++ = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return p;
}

std::string DateString(Ymd d) {
  return fmt::format("{:04d}-{:02d}-{:02d}", d.year, d.month, d.day);
}

GeneratedFile FileEntry(const fs::path& out_dir, std::string key, int64_t rows) {
  GeneratedFile f;
  f.path = out_dir / key;
  f.key = std::move(key);
  f.rows = rows;
  return f;
}

Result<GeneratedFile> WriteConstant(const fs::path& out_dir, std::string key,
                                    std::string_view content, int64_t rows) {
  GeneratedFile entry = FileEntry(out_dir, std::move(key), rows);
  AtomicFile file;
  EP_RETURN_IF_ERROR(file.Open(entry.path));
  file.Append(content);
  EP_RETURN_IF_ERROR(file.Commit());
  return entry;
}

// ---- Dimensions ----

// Product i (P{12345 + i}) as a function of (seed, i) alone.
struct ProductRow {
  size_t noun = 0;
  int name_kind = 0;  // 0 plain, 1 with a comma, 2 with a comma and a quote
  size_t color = 0;
  int inches = 0;
  size_t category = 0;
  int32_t cents = 0;
  int supplier = 0;
};

ProductRow MakeProduct(uint64_t seed, int64_t i) {
  Rng rng = StreamRng(seed, Stream::kProducts, static_cast<uint64_t>(i));
  ProductRow row;
  row.noun = rng.Below(kNouns.size());
  const int kind = rng.Below(100);
  row.name_kind = kind < 10 ? 1 : kind == 10 ? 2 : 0;
  row.color = rng.Below(kColors.size());
  row.inches = 8 + rng.Below(25);
  row.category = rng.Below(kCategories.size());
  if (i < static_cast<int64_t>(kFirstPriceCents.size())) {
    row.cents = kFirstPriceCents[static_cast<size_t>(i)];
  } else if (rng.Below(100) < 2) {
    row.cents = rng.Pick(kEdgePriceCents);
  } else {
    // Mostly cheap, some dear: totals spread over all three classes.
    const int tier = rng.Below(100);
    if (tier < 45) {
      row.cents = 100 + rng.Below(4900);  // 1.00 - 49.99
    } else if (tier < 80) {
      row.cents = 5000 + rng.Below(15000);  // 50.00 - 199.99
    } else {
      row.cents = 20000 + rng.Below(80000);  // 200.00 - 999.99
    }
  }
  row.supplier = 100 + rng.Below(900);
  return row;
}

Result<GeneratedFile> WriteProducts(uint64_t seed, int64_t count, const fs::path& out_dir) {
  GeneratedFile entry = FileEntry(out_dir, "dimensions/products/products.csv", count);
  AtomicFile file;
  EP_RETURN_IF_ERROR(file.Open(entry.path));
  file.Append(kProductsHeader);
  char name[128];
  for (int64_t i = 0; i < count; ++i) {
    const ProductRow row = MakeProduct(seed, i);
    char* n = name;
    n = Put(n, kNouns[row.noun]);
    *n++ = ' ';
    n = PutInt(n, i + 1);
    if (row.name_kind == 2) {
      *n++ = ' ';
      n = PutInt(n, row.inches);
      n = Put(n, "\" Size");
    }
    if (row.name_kind != 0) {
      n = Put(n, ", ");
      n = Put(n, kColors[row.color]);
    }
    char* p = file.Reserve(512);
    p = PutId(p, 'P', kFirstId + i);
    *p++ = ',';
    p = PutCsvField(p, std::string_view(name, static_cast<size_t>(n - name)));
    *p++ = ',';
    p = Put(p, kCategories[row.category]);
    *p++ = ',';
    p = PutCents(p, row.cents);
    *p++ = ',';
    p = PutId(p, 'S', row.supplier);
    *p++ = '\n';
    file.Advance(p);
  }
  EP_RETURN_IF_ERROR(file.Commit());
  return entry;
}

Result<GeneratedFile> WriteCustomers(uint64_t seed, int64_t count, const fs::path& out_dir) {
  GeneratedFile entry = FileEntry(out_dir, "dimensions/customers/customers.csv", count);
  AtomicFile file;
  EP_RETURN_IF_ERROR(file.Open(entry.path));
  file.Append(kCustomersHeader);
  for (int64_t i = 0; i < count; ++i) {
    Rng rng = StreamRng(seed, Stream::kCustomers, static_cast<uint64_t>(i));
    const std::string_view first = rng.Pick(kFirstNames);
    const std::string_view last = rng.Pick(kLastNames);
    const int level = rng.Below(10);
    char* p = file.Reserve(256);
    p = PutId(p, 'C', kFirstId + i);
    *p++ = ',';
    p = Put(p, first);
    *p++ = ',';
    p = Put(p, last);
    *p++ = ',';
    p = PutLower(p, first);
    *p++ = '.';
    p = PutLower(p, last);
    p = PutInt(p, i + 1);
    p = Put(p, "@example.com,");
    p = Put(p, level < 5 ? "Bronze" : level < 8 ? "Silver" : "Gold");
    *p++ = ',';
    p = PutInt(p, i + 1);
    *p++ = '\n';
    file.Advance(p);
  }
  EP_RETURN_IF_ERROR(file.Commit());
  return entry;
}

// ---- Transactions ----

struct DimensionSizes {
  int64_t customers = 0;
  std::vector<int32_t> product_cents;  // price of P{12345 + i}
};

struct DaySpec {
  Ymd date;
  int64_t epoch_day = 0;
  int64_t first_txn = 0;  // transaction number of row 0, before the modulus
};

Result<GeneratedFile> WriteTransactions(const GenerateOptions& options, const DimensionSizes& dims,
                                        const DaySpec& day, const fs::path& out_dir) {
  GeneratedFile entry = FileEntry(
      out_dir, TransactionKey(day.date.year, day.date.month, day.date.day), options.rows_per_day);
  for (std::string_view kind : kFaultKinds) entry.faults.emplace(kind, 0);
  std::array<int64_t, kFaultCount> fault_counts{};

  AtomicFile file;
  EP_RETURN_IF_ERROR(file.Open(entry.path));
  file.Append(kTransactionsHeader);

  const std::string date = DateString(day.date);
  const int64_t rows = options.rows_per_day;
  const auto n_customers = dims.customers;
  const auto n_products = static_cast<int64_t>(dims.product_cents.size());
  int64_t faults_left =
      std::clamp<int64_t>(std::llround(static_cast<double>(rows) * options.invalid_rate), 0, rows);
  std::vector<int64_t> fault_rows;  // ascending
  fault_rows.reserve(static_cast<size_t>(faults_left));
  int64_t last_valid_row = -1;
  Rng rng = StreamRng(options.seed, Stream::kTransactions, static_cast<uint64_t>(day.epoch_day));
  auto txn_number = [&](int64_t row) { return (day.first_txn + row) % kTxnIdSpace; };

  std::string bad;  // the faulty field's text, for the rare faulty rows
  for (int64_t r = 0; r < rows; ++r) {
    // Selection sampling (Knuth's Algorithm S): exactly faults_left more of the remaining rows.
    const bool faulty = faults_left > 0 && rng.Below(rows - r) < faults_left;
    const int64_t customer = rng.Below(n_customers);
    const int64_t product = rng.Below(n_products);
    const int qty_pay = rng.Below(30);
    int64_t txn = txn_number(r);
    int fault = kNoFault;
    int bad_field = -1;    // index of the field `bad` replaces
    int wrong_fields = 0;  // 0 none, else 1 + the variant of kWrongFieldCount
    if (faulty) {
      --faults_left;
      const int64_t valid_before = r - static_cast<int64_t>(fault_rows.size());
      fault = valid_before > 0 ? rng.Below(static_cast<int>(kFaultCount))
                               : rng.Below(static_cast<int>(kFaultCount) - 1);
      bad.clear();
      switch (fault) {
        case kUnknownCustomer:
        case kUnknownProduct: {
          const bool is_customer = fault == kUnknownCustomer;
          const int64_t n = is_customer ? n_customers : n_products;
          // Well-formed, never in the dimension: above its range, or below C12345.
          const int64_t number = rng.Below(5) == 0 ? 1 + rng.Below(kFirstId - 1)
                                                   : kFirstId + n + rng.Below(int64_t{1'000'000});
          bad = fmt::format("{}{}", is_customer ? 'C' : 'P', number);
          bad_field = is_customer ? 1 : 2;
          break;
        }
        case kMalformedCustomer:
        case kMalformedProduct: {
          const bool is_customer = fault == kMalformedCustomer;
          const int64_t d = kFirstId + (is_customer ? customer : product);
          const char upper = is_customer ? 'C' : 'P';
          const char lower = is_customer ? 'c' : 'p';
          switch (rng.Below(7)) {
            case 0:
              bad = fmt::format("{}{}", is_customer ? "CUST" : "PROD", d);
              break;
            case 1:
              bad = fmt::format("{}00{}", lower, d);
              break;
            case 2:
              bad = fmt::format("{}-{}", upper, d);
              break;
            case 3:
              break;  // empty
            case 4:
              bad = fmt::format("{}{}X", upper, d);
              break;
            case 5:
              bad = fmt::format("{}", d);
              break;
            default:
              bad = fmt::format("{}{}.0", upper, d);
              break;
          }
          bad_field = is_customer ? 1 : 2;
          break;
        }
        case kInvalidQuantity:
          bad = rng.Pick(kBadQuantities);
          bad_field = 3;
          break;
        case kInvalidPrice:
          bad = rng.Pick(kBadPrices);
          bad_field = 4;
          break;
        case kInvalidDate:
          bad = rng.Pick(kBadDates);
          bad_field = 5;
          break;
        case kWrongFieldCount:
          // 0: status missing (7 fields); 1: a trailing empty field; 2: status twice (9).
          wrong_fields = 1 + rng.Below(3);
          break;
        case kDuplicateTransactionId: {
          // Repeat a valid row's id: a random earlier one, else the latest.
          int64_t source = last_valid_row;
          for (int attempt = 0; attempt < 64; ++attempt) {
            const int64_t candidate = rng.Below(r);
            if (!std::binary_search(fault_rows.begin(), fault_rows.end(), candidate)) {
              source = candidate;
              break;
            }
          }
          txn = txn_number(source);
          break;
        }
        default:
          break;
      }
      ++fault_counts[static_cast<size_t>(fault)];
      fault_rows.push_back(r);
    } else {
      last_valid_row = r;
    }

    char* p = file.Reserve(256);
    p = PutTxnId(p, txn);
    *p++ = ',';
    p = bad_field == 1 ? Put(p, bad) : PutId(p, 'C', kFirstId + customer);
    *p++ = ',';
    p = bad_field == 2 ? Put(p, bad) : PutId(p, 'P', kFirstId + product);
    *p++ = ',';
    p = bad_field == 3 ? Put(p, bad) : PutInt(p, qty_pay % 10 + 1);
    *p++ = ',';
    p = bad_field == 4 ? Put(p, bad)
                       : PutCents(p, dims.product_cents[static_cast<size_t>(product)]);
    *p++ = ',';
    p = bad_field == 5 ? Put(p, bad) : Put(p, date);
    *p++ = ',';
    p = Put(p, kPaymentTypes[static_cast<size_t>(qty_pay / 10)]);
    if (wrong_fields != 1) p = Put(p, ",Completed");
    if (wrong_fields == 2) p = Put(p, ",");
    if (wrong_fields == 3) p = Put(p, ",Completed");
    *p++ = '\n';
    file.Advance(p);
  }
  EP_RETURN_IF_ERROR(file.Commit());
  for (int k = 0; k < kFaultCount; ++k) {
    entry.faults[std::string(kFaultKinds[static_cast<size_t>(k)])] =
        fault_counts[static_cast<size_t>(k)];
  }
  return entry;
}

Status Validate(const GenerateOptions& o) {
  if (o.days < 0 || o.days > kMaxDays) {
    return Status::InvalidArgument(
        fmt::format("days must be in [0, {}], got {}", kMaxDays, o.days));
  }
  if (o.rows_per_day < 0 || o.rows_per_day > kTxnIdSpace) {
    return Status::InvalidArgument(
        fmt::format("rows_per_day must be in [0, {}], got {}", kTxnIdSpace, o.rows_per_day));
  }
  if (o.rows_per_day * o.days > kTxnIdSpace) {
    return Status::InvalidArgument(
        fmt::format("days * rows_per_day is {}, more than the {} distinct 8-digit transaction ids; "
                    "generate fewer rows per call",
                    o.rows_per_day * o.days, kTxnIdSpace));
  }
  if (!(o.invalid_rate >= 0.0 && o.invalid_rate <= 1.0)) {
    return Status::InvalidArgument(
        fmt::format("invalid_rate must be in [0, 1], got {}", o.invalid_rate));
  }
  if (o.customers < 0 || o.customers > kMaxCustomers) {
    return Status::InvalidArgument(
        fmt::format("customers must be in [0, {}], got {}", kMaxCustomers, o.customers));
  }
  if (o.products < 0 || o.products > kMaxProducts) {
    return Status::InvalidArgument(
        fmt::format("products must be in [0, {}], got {}", kMaxProducts, o.products));
  }
  if (o.reference_dimensions && (o.customers > 0 || o.products > 0)) {
    return Status::InvalidArgument(
        "reference_dimensions writes the original's 10 customers and 20 products; it cannot be "
        "combined with customers or products");
  }
  return Status::Ok();
}

}  // namespace

std::string TransactionKey(int year, int month, int day) {
  return fmt::format("transactions/year={}/month={}/day={}/transaction_{:04d}-{:02d}-{:02d}.csv",
                     year, month, day, year, month, day);
}

Result<std::vector<GeneratedFile>> Generate(const GenerateOptions& options,
                                            const std::filesystem::path& out_dir) {
  EP_RETURN_IF_ERROR(Validate(options));
  int64_t first_day = 0;
  if (options.days > 0 || !options.start_date.empty()) {
    EP_ASSIGN_OR_RETURN(const Ymd start, ParseDate(options.start_date));
    first_day = DaysFromCivil(start);
    if (CivilFromDays(first_day + options.days - 1).year > 9999) {
      return Status::InvalidArgument(fmt::format("start_date {} plus {} days passes the year 9999",
                                                 options.start_date, options.days));
    }
  }

  std::vector<GeneratedFile> files;
  DimensionSizes dims;
  if (options.products > 0) {
    dims.product_cents.resize(static_cast<size_t>(options.products));
    for (int64_t i = 0; i < options.products; ++i) {
      dims.product_cents[static_cast<size_t>(i)] = MakeProduct(options.seed, i).cents;
    }
    EP_ASSIGN_OR_RETURN(GeneratedFile f, WriteProducts(options.seed, options.products, out_dir));
    files.push_back(std::move(f));
  } else {
    dims.product_cents.assign(kReferencePriceCents.begin(), kReferencePriceCents.end());
    if (options.reference_dimensions) {
      EP_ASSIGN_OR_RETURN(GeneratedFile f,
                          WriteConstant(out_dir, "dimensions/products/products.csv",
                                        kReferenceProductsCsv, kReferenceProducts));
      files.push_back(std::move(f));
    }
  }
  if (options.customers > 0) {
    dims.customers = options.customers;
    EP_ASSIGN_OR_RETURN(GeneratedFile f, WriteCustomers(options.seed, options.customers, out_dir));
    files.push_back(std::move(f));
  } else {
    dims.customers = kReferenceCustomers;
    if (options.reference_dimensions) {
      EP_ASSIGN_OR_RETURN(GeneratedFile f,
                          WriteConstant(out_dir, "dimensions/customers/customers.csv",
                                        kReferenceCustomersCsv, kReferenceCustomers));
      files.push_back(std::move(f));
    }
  }

  // Ids: a seeded offset plus the date's day number times rows_per_day, so the days of one
  // call (and calls for later dates with the same rows_per_day) use disjoint id ranges.
  const auto id_base = static_cast<int64_t>(StreamRng(options.seed, Stream::kTxnIdBase, 0).Next() %
                                            static_cast<uint64_t>(kTxnIdSpace));
  for (int i = 0; i < options.days; ++i) {
    DaySpec day;
    day.epoch_day = first_day + i;
    day.date = CivilFromDays(day.epoch_day);
    const int64_t offset = (day.epoch_day * options.rows_per_day) % kTxnIdSpace;
    day.first_txn = ((id_base + offset) % kTxnIdSpace + kTxnIdSpace) % kTxnIdSpace;
    EP_ASSIGN_OR_RETURN(GeneratedFile f, WriteTransactions(options, dims, day, out_dir));
    files.push_back(std::move(f));
  }
  return files;
}

}  // namespace ecompipe::gen
