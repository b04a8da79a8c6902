#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "catalog/crawler.h"

namespace ecompipe::catalog {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

// Hands out its bytes a few at a time, as a network stream would.
class StringStream : public storage::InputStream {
 public:
  explicit StringStream(std::string data) : data_(std::move(data)) {}
  Result<size_t> Read(char* buffer, size_t capacity) override {
    size_t n = std::min({capacity, data_.size() - pos_, size_t{4096}});
    std::memcpy(buffer, data_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::string data_;
  size_t pos_ = 0;
};

class FakeStore : public storage::ObjectStore {
 public:
  const std::string& bucket() const override { return bucket_; }
  Result<std::vector<storage::ObjectRef>> List(const std::string&) const override {
    return Status::Internal("not used");
  }
  Result<storage::ObjectRef> Head(const std::string&) const override {
    return Status::Internal("not used");
  }
  Result<std::unique_ptr<storage::InputStream>> Open(const storage::ObjectRef& o) const override {
    if (open_error) return *open_error;
    auto it = objects.find(o.key);
    if (it == objects.end()) return Status::NotFound("no such object");
    return std::unique_ptr<storage::InputStream>(std::make_unique<StringStream>(it->second));
  }
  Result<storage::ObjectRef> Put(const std::string&, const std::filesystem::path&) override {
    return Status::Internal("not used");
  }

  storage::ObjectRef Add(const std::string& key, std::string bytes) {
    storage::ObjectRef ref{bucket_, key, "etag-" + key, bytes.size(), 0};
    objects[key] = std::move(bytes);
    return ref;
  }

  std::map<std::string, std::string> objects;
  std::optional<Status> open_error;

 private:
  std::string bucket_ = "landing";
};

std::string Gzip(const std::string& data) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY),
            Z_OK);
  std::string out(deflateBound(&z, data.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

constexpr char kKey[] = "transactions/year=2026/month=11/day=30/transaction_2026-11-30.csv";
constexpr char kCsv[] =
    "transaction_id,customer_id,product_id,quantity,price,transaction_date,payment_type,status\n"
    "TXN04817263,C12349,P12358,3,129.99,2026-11-30,Credit Card,Completed\n"
    "TXN04817264,C12345,P12345,1,29.99,2026-11-30,Cash on Delivery,Completed\n";

TEST(CrawlObjectTest, CrawlsAPlainObject) {
  FakeStore store;
  auto ref = store.Add(kKey, kCsv);
  auto crawl = CrawlObject(store, ref);
  ASSERT_TRUE(crawl.ok()) << crawl.status().ToString();
  EXPECT_EQ(crawl->table, "transactions");
  EXPECT_THAT(crawl->partition,
              ElementsAre(Pair("year", "2026"), Pair("month", "11"), Pair("day", "30")));
  EXPECT_EQ(crawl->schema.compression, storage::Compression::kNone);
  ASSERT_EQ(crawl->schema.columns.size(), 8u);
  EXPECT_EQ(crawl->schema.columns[4].type, ColumnType::kDecimal);
}

TEST(CrawlObjectTest, CrawlsAGzipObject) {
  FakeStore store;
  auto ref = store.Add(std::string(kKey) + ".gz", Gzip(kCsv));
  auto crawl = CrawlObject(store, ref);
  ASSERT_TRUE(crawl.ok()) << crawl.status().ToString();
  EXPECT_EQ(crawl->schema.compression, storage::Compression::kGzip);
  EXPECT_EQ(crawl->schema.columns[3].name, "quantity");
  EXPECT_EQ(crawl->schema.columns[3].type, ColumnType::kInteger);
}

TEST(CrawlObjectTest, CorruptGzipStreamNamesTheObject) {
  FakeStore store;
  std::string gz = Gzip(std::string(kCsv) + kCsv);
  for (size_t i = 20; i < gz.size() - 8; ++i) gz[i] = static_cast<char>(gz[i] ^ 0x5A);
  auto ref = store.Add("transactions/broken.csv.gz", gz);
  auto crawl = CrawlObject(store, ref);
  ASSERT_FALSE(crawl.ok());
  EXPECT_EQ(crawl.status().code(), StatusCode::kCorruptInput);
  EXPECT_EQ(crawl.status().place(), "transactions/broken.csv.gz");
}

TEST(CrawlObjectTest, TruncatedGzipStreamIsAnError) {
  FakeStore store;
  std::string gz = Gzip(kCsv);
  gz.resize(gz.size() / 2);
  auto ref = store.Add("transactions/cut.csv.gz", gz);
  auto crawl = CrawlObject(store, ref);
  ASSERT_FALSE(crawl.ok());
  EXPECT_EQ(crawl.status().code(), StatusCode::kCorruptInput);
  EXPECT_THAT(crawl.status().ToString(), HasSubstr("transactions/cut.csv.gz"));
}

TEST(CrawlObjectTest, EmptyObjectErrorNamesTheObject) {
  FakeStore store;
  auto ref = store.Add("transactions/empty.csv", "");
  auto crawl = CrawlObject(store, ref);
  ASSERT_FALSE(crawl.ok());
  EXPECT_EQ(crawl.status().code(), StatusCode::kCorruptInput);
  EXPECT_EQ(crawl.status().place(), "transactions/empty.csv");
  EXPECT_THAT(crawl.status().message(), HasSubstr("empty"));
}

TEST(CrawlObjectTest, OpenErrorKeepsItsRetryableCode) {
  FakeStore store;
  auto ref = store.Add(kKey, kCsv);
  store.open_error = Status::Unavailable("connection reset");
  auto crawl = CrawlObject(store, ref);
  ASSERT_FALSE(crawl.ok());
  EXPECT_TRUE(crawl.status().retryable());
  EXPECT_EQ(crawl.status().place(), kKey);
  EXPECT_THAT(crawl.status().message(), HasSubstr("connection reset"));
}

TEST(CrawlObjectTest, LargeObjectIsInferredFromABoundedSampleWithoutItsCutLine) {
  // Long rows, so that the sample ends inside one: the row crossing the sample's end reads
  // "…,12." up to it, which would make `price` a string if it took part.
  const std::string pad(3000, 'x');
  std::string big = "id,note,price\n";
  for (int i = 0; big.size() + 2 * pad.size() < kSampleBytes; ++i) {
    big += "A" + std::to_string(i) + "," + pad + "," + std::to_string(i % 100) + ".25\n";
  }
  std::string crossing = "B,";
  crossing += std::string(kSampleBytes - big.size() - crossing.size() - 4, 'y') + ",12.";
  big += crossing + "25\n";
  ASSERT_EQ(big.substr(kSampleBytes - 4, 4), ",12.");
  for (int i = 0; i < 1000; ++i) big += "C" + std::to_string(i) + "," + pad + ",1.50\n";

  FakeStore store;
  auto ref = store.Add("big/big.csv", big);
  auto crawl = CrawlObject(store, ref);
  ASSERT_TRUE(crawl.ok()) << crawl.status().ToString();
  EXPECT_EQ(crawl->table, "big");
  EXPECT_EQ(crawl->schema.columns[2].type, ColumnType::kDecimal);
}

TEST(CrawlObjectTest, HintsReachTheInference) {
  FakeStore store;
  // Every row has a bad value, so every column is a string: only the known names tell the
  // header apart.
  auto ref = store.Add(kKey,
                       "status,price,transaction_id\n"
                       "Completed,abc,TXN1\n"
                       "Completed,1.x,TXN2\n");
  auto plain = CrawlObject(store, ref);
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_FALSE(plain->schema.has_header);
  CrawlHints hints;
  hints.job_columns = {{"transaction_id", "price", "status"}};
  auto hinted = CrawlObject(store, ref, hints);
  ASSERT_TRUE(hinted.ok()) << hinted.status().ToString();
  EXPECT_TRUE(hinted->schema.has_header);
  EXPECT_EQ(hinted->schema.columns[0].name, "status");
  hints.header = HeaderMode::kAbsent;
  auto absent = CrawlObject(store, ref, hints);
  ASSERT_TRUE(absent.ok()) << absent.status().ToString();
  EXPECT_FALSE(absent->schema.has_header);
  EXPECT_EQ(absent->schema.columns[0].name, "transaction_id");
}

}  // namespace
}  // namespace ecompipe::catalog
