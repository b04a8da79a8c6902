// Helpers shared by the storage unit tests: temporary folders, in-memory streams and
// compressors built on the real zlib and zstd APIs.
#pragma once

#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

#include "common/ids.h"
#include "common/status.h"
#include "storage/object_store.h"

namespace ecompipe::storage::testing_util {

// A fresh folder under the test temporary directory, removed with everything in it when
// the object goes out of scope.
class TempFolder {
 public:
  TempFolder() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = "ecompipe-storage-";
    if (info != nullptr) name += std::string(info->test_suite_name()) + "." + info->name() + "-";
    path_ = std::filesystem::path(::testing::TempDir()) / (name + NewHex(6));
    std::filesystem::create_directories(path_);
  }
  ~TempFolder() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& rel) const { return path_ / rel; }

 private:
  std::filesystem::path path_;
};

inline void WriteFile(const std::filesystem::path& path, std::string_view content) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  out.close();
  ASSERT_TRUE(out) << "cannot write " << path;
}

inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Serves a string, at most `max_chunk` bytes per Read(), like a slow network source.
class StringInputStream final : public InputStream {
 public:
  explicit StringInputStream(std::string data, size_t max_chunk = SIZE_MAX)
      : data_(std::move(data)), max_chunk_(max_chunk) {}
  Result<size_t> Read(char* buffer, size_t capacity) override {
    const size_t n = std::min({capacity, max_chunk_, data_.size() - pos_});
    std::memcpy(buffer, data_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::string data_;
  size_t max_chunk_;
  size_t pos_ = 0;
};

// Serves `data`, then fails with kIoError.
class FailingInputStream final : public InputStream {
 public:
  explicit FailingInputStream(std::string data) : data_(std::move(data)) {}
  Result<size_t> Read(char* buffer, size_t capacity) override {
    if (pos_ == data_.size()) return Status::IoError("disk on fire");
    const size_t n = std::min(capacity, data_.size() - pos_);
    std::memcpy(buffer, data_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::string data_;
  size_t pos_ = 0;
};

// Reads `stream` to its end, `read_size` bytes at a time.
inline Result<std::string> ReadAll(InputStream& stream, size_t read_size = 64 * 1024) {
  std::string out;
  std::string buffer(read_size, '\0');
  for (;;) {
    EP_ASSIGN_OR_RETURN(size_t n, stream.Read(buffer.data(), buffer.size()));
    if (n == 0) return out;
    out.append(buffer.data(), n);
  }
}

// One gzip member holding `data`.
inline std::string Gzip(std::string_view data, int level = Z_DEFAULT_COMPRESSION) {
  z_stream z;
  std::memset(&z, 0, sizeof(z));
  EXPECT_EQ(deflateInit2(&z, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, static_cast<uLong>(data.size())) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// One zstd frame holding `data`, with a content checksum when `checksum` is set.
inline std::string Zstd(std::string_view data, bool checksum = false) {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, checksum ? 1 : 0);
  std::string out(ZSTD_compressBound(data.size()), '\0');
  const size_t n = ZSTD_compress2(cctx, out.data(), out.size(), data.data(), data.size());
  EXPECT_FALSE(ZSTD_isError(n)) << ZSTD_getErrorName(n);
  ZSTD_freeCCtx(cctx);
  out.resize(ZSTD_isError(n) ? 0 : n);
  return out;
}

// Text that compresses well but is not trivially repetitive.
inline std::string SampleCsv(int rows) {
  std::string out = "transaction_id,customer_id,product_id,quantity,price\n";
  for (int i = 0; i < rows; ++i) {
    out += "t" + std::to_string(i) + ",c" + std::to_string(i % 97) + ",p" + std::to_string(i % 13) +
           "," + std::to_string(1 + i % 5) + "," + std::to_string(10 + (i * 7919) % 1000) + ".99\n";
  }
  return out;
}

}  // namespace ecompipe::storage::testing_util
