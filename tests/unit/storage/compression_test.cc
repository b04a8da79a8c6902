#include "storage/compression.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "storage_test_util.h"

namespace ecompipe::storage {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing_util::FailingInputStream;
using testing_util::Gzip;
using testing_util::ReadAll;
using testing_util::SampleCsv;
using testing_util::StringInputStream;
using testing_util::Zstd;

// Decodes `data` served `source_chunk` bytes per raw read, reading `read_size` at a time.
Result<std::string> Decode(const std::string& data, Compression* detected = nullptr,
                           size_t source_chunk = SIZE_MAX, size_t read_size = 64 * 1024) {
  EP_ASSIGN_OR_RETURN(
      auto stream, OpenDecoded(std::make_unique<StringInputStream>(data, source_chunk), detected));
  return ReadAll(*stream, read_size);
}

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 engine(seed);
  std::uniform_int_distribution<int> byte(0, 255);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(byte(engine));
  return out;
}

TEST(CompressionNameTest, NamesEachKind) {
  EXPECT_EQ(CompressionName(Compression::kNone), "none");
  EXPECT_EQ(CompressionName(Compression::kGzip), "gzip");
  EXPECT_EQ(CompressionName(Compression::kZstd), "zstd");
}

TEST(OpenDecodedTest, PassesPlainTextThrough) {
  Compression detected = Compression::kGzip;
  auto text = Decode("id,amount\n1,2.50\n", &detected);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(*text, "id,amount\n1,2.50\n");
  EXPECT_EQ(detected, Compression::kNone);
}

TEST(OpenDecodedTest, PassesEmptyAndShortInputThrough) {
  for (const std::string& data :
       {std::string(), std::string("\x1f"), std::string("ab"), std::string("\x28\xb5\x2f")}) {
    Compression detected = Compression::kGzip;
    auto out = Decode(data, &detected, 1);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ(*out, data);
    EXPECT_EQ(detected, Compression::kNone);
  }
}

TEST(OpenDecodedTest, DecodesGzip) {
  const std::string csv = SampleCsv(5000);
  Compression detected = Compression::kNone;
  auto out = Decode(Gzip(csv), &detected);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, csv);
  EXPECT_EQ(detected, Compression::kGzip);
}

TEST(OpenDecodedTest, DecodesConcatenatedGzipMembers) {
  const std::string a = SampleCsv(300), b = "second member\n", c = SampleCsv(7);
  auto out = Decode(Gzip(a) + Gzip("") + Gzip(b) + Gzip(c, 9));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, a + b + c);
}

TEST(OpenDecodedTest, DecodesZstd) {
  const std::string csv = SampleCsv(5000);
  Compression detected = Compression::kNone;
  auto out = Decode(Zstd(csv), &detected);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, csv);
  EXPECT_EQ(detected, Compression::kZstd);
}

TEST(OpenDecodedTest, DecodesMultipleZstdFrames) {
  const std::string a = SampleCsv(300), b = "second frame\n", c = SampleCsv(7);
  auto out = Decode(Zstd(a) + Zstd("") + Zstd(b, /*checksum=*/true) + Zstd(c));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, a + b + c);
}

TEST(OpenDecodedTest, DecodesWithOneByteReadsAndSourceChunks) {
  const std::string csv = SampleCsv(200);
  for (const std::string& data : {Gzip(csv) + Gzip(csv), Zstd(csv) + Zstd(csv), csv}) {
    auto out = Decode(data, nullptr, /*source_chunk=*/1, /*read_size=*/1);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ(*out, csv + (data == csv ? "" : csv));
  }
}

TEST(OpenDecodedTest, DecodesOutputMuchLargerThanBuffers) {
  // 16 MiB of zeros compress to a few KiB; streaming must not need the whole output.
  const std::string zeros(16 << 20, '\0');
  for (const std::string& data : {Gzip(zeros, 9), Zstd(zeros)}) {
    auto stream =
        OpenDecoded(std::make_unique<StringInputStream>(data), nullptr, DecodeLimits::None());
    ASSERT_TRUE(stream.ok());
    std::string buffer(1 << 16, 'x');
    uint64_t total = 0;
    bool all_zero = true;
    for (;;) {
      auto n = (*stream)->Read(buffer.data(), buffer.size());
      ASSERT_TRUE(n.ok()) << n.status().ToString();
      if (*n == 0) break;
      all_zero = all_zero && buffer.find_first_not_of('\0', 0) >= *n;
      total += *n;
    }
    EXPECT_EQ(total, zeros.size());
    EXPECT_TRUE(all_zero);
  }
}

// Reads `data` decoded under `limits` to its end or first error.
Result<uint64_t> DecodedSize(const std::string& data, const DecodeLimits& limits) {
  EP_ASSIGN_OR_RETURN(auto stream,
                      OpenDecoded(std::make_unique<StringInputStream>(data), nullptr, limits));
  std::string buffer(1 << 16, '\0');
  uint64_t total = 0;
  for (;;) {
    EP_ASSIGN_OR_RETURN(size_t n, stream->Read(buffer.data(), buffer.size()));
    if (n == 0) return total;
    total += n;
  }
}

// Regression (issue 14): a 1 MB gzip of one row repeated 4.5 million times was decoded whole.
// With the default limits a stream that expands more than 200 times (past its first 8 MiB)
// is refused, and the error says which limit.
TEST(DecodeLimitsTest, DefaultLimitsRefuseAGzipAndAZstdBomb) {
  const std::string zeros(32 << 20, '\0');
  for (const std::string& data : {Gzip(zeros, 9), Zstd(zeros)}) {
    Result<uint64_t> n = DecodedSize(data, DecodeLimits{});
    ASSERT_FALSE(n.ok());
    EXPECT_EQ(n.status().code(), StatusCode::kCorruptInput);
    EXPECT_THAT(n.status().message(), HasSubstr("max_decoded_ratio 200"));
    EXPECT_THAT(n.status().message(), HasSubstr("decompression bomb"));
  }
}

TEST(DecodeLimitsTest, RatioIsCheckedOnlyPastTheFloor) {
  const std::string zeros(4 << 20, '\0');  // below the 8 MiB floor: a ratio of 1000 passes
  Result<uint64_t> n = DecodedSize(Gzip(zeros, 9), DecodeLimits{});
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, zeros.size());
}

TEST(DecodeLimitsTest, MaxBytesRefusesALargerStream) {
  const std::string text = RandomBytes(300 * 1024, 7);  // barely compressible: ratio about 1
  DecodeLimits limits;
  limits.max_bytes = 200 * 1024;
  for (const std::string& data : {Gzip(text), Zstd(text)}) {
    Result<uint64_t> n = DecodedSize(data, limits);
    ASSERT_FALSE(n.ok());
    EXPECT_THAT(n.status().message(), HasSubstr("max_decoded_bytes 204800"));
  }
  limits.max_bytes = text.size();  // exactly at the limit passes
  Result<uint64_t> n = DecodedSize(Gzip(text), limits);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, text.size());
}

TEST(DecodeLimitsTest, PlainInputIsNeverLimited) {
  const std::string text(1 << 20, 'a');
  DecodeLimits limits;
  limits.max_bytes = 10;
  Result<uint64_t> n = DecodedSize(text, limits);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, text.size());
}

TEST(OpenDecodedTest, TruncatedGzipFailsAtEveryPoint) {
  const std::string data = Gzip(SampleCsv(40));
  // Below two bytes the magic number is incomplete and the input is passed through.
  for (size_t length = 2; length < data.size(); ++length) {
    auto out = Decode(data.substr(0, length));
    ASSERT_FALSE(out.ok()) << "length " << length << " decoded to " << out->size() << " bytes";
    EXPECT_EQ(out.status().code(), StatusCode::kCorruptInput);
    EXPECT_EQ(out.status().message(),
              "truncated gzip stream at compressed byte " + std::to_string(length));
  }
}

TEST(OpenDecodedTest, TruncatedZstdFailsAtEveryPoint) {
  for (bool checksum : {false, true}) {
    const std::string data = Zstd(SampleCsv(40), checksum);
    for (size_t length = 4; length < data.size(); ++length) {
      auto out = Decode(data.substr(0, length));
      ASSERT_FALSE(out.ok()) << "length " << length << " decoded to " << out->size() << " bytes";
      EXPECT_EQ(out.status().code(), StatusCode::kCorruptInput);
      EXPECT_EQ(out.status().message(),
                "truncated zstd stream at compressed byte " + std::to_string(length));
    }
  }
}

TEST(OpenDecodedTest, TruncatedSecondMemberFails) {
  const std::string second = Gzip("second member");
  const std::string data = Gzip("first member\n") + second.substr(0, second.size() - 3);
  auto out = Decode(data);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(),
            "truncated gzip stream at compressed byte " + std::to_string(data.size()));
}

TEST(OpenDecodedTest, GarbageAfterGzipMagicIsCorruptInput) {
  for (uint32_t seed = 0; seed < 200; ++seed) {
    const std::string data = "\x1f\x8b" + RandomBytes(1 + seed * 7 % 500, seed);
    auto out = Decode(data);
    ASSERT_FALSE(out.ok()) << "seed " << seed;
    EXPECT_EQ(out.status().code(), StatusCode::kCorruptInput) << out.status().ToString();
  }
}

TEST(OpenDecodedTest, GarbageAfterZstdMagicIsCorruptInput) {
  for (uint32_t seed = 0; seed < 200; ++seed) {
    const std::string data = "\x28\xb5\x2f\xfd" + RandomBytes(1 + seed * 7 % 500, seed);
    auto out = Decode(data);
    ASSERT_FALSE(out.ok()) << "seed " << seed;
    EXPECT_EQ(out.status().code(), StatusCode::kCorruptInput) << out.status().ToString();
  }
}

TEST(OpenDecodedTest, GzipChecksumMismatchIsCorrupt) {
  std::string data = Gzip(SampleCsv(20));
  data[data.size() - 6] ^= 0x01;  // inside the CRC-32 of the trailer
  auto out = Decode(data);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kCorruptInput);
  EXPECT_THAT(out.status().message(), StartsWith("corrupt gzip stream: incorrect data check"));
  EXPECT_THAT(out.status().message(), HasSubstr("at compressed byte "));
}

TEST(OpenDecodedTest, ZstdChecksumMismatchNamesZstdError) {
  std::string data = Zstd(SampleCsv(20), /*checksum=*/true);
  data.back() ^= 0x01;
  auto out = Decode(data);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kCorruptInput);
  EXPECT_THAT(out.status().message(), StartsWith("corrupt zstd stream: "));
  EXPECT_THAT(out.status().message(), HasSubstr("checksum"));
}

TEST(OpenDecodedTest, TrailingGarbageAfterGzipMemberIsCorrupt) {
  const std::string member = Gzip("payload\n");
  auto out = Decode(member + "not gzip");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kCorruptInput);
  EXPECT_THAT(out.status().message(),
              HasSubstr("(at compressed byte " + std::to_string(member.size())));
}

TEST(OpenDecodedTest, ErrorIsStickyAcrossReads) {
  const std::string data = Gzip(SampleCsv(20));
  auto stream = OpenDecoded(std::make_unique<StringInputStream>(data.substr(0, data.size() / 2)));
  ASSERT_TRUE(stream.ok());
  ASSERT_FALSE(ReadAll(**stream).ok());
  char byte;
  auto again = (*stream)->Read(&byte, 1);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kCorruptInput);
}

TEST(OpenDecodedTest, PropagatesSourceErrors) {
  for (const std::string& head : {Gzip(SampleCsv(50)).substr(0, 30),
                                  Zstd(SampleCsv(50)).substr(0, 30), std::string("plain")}) {
    auto stream = OpenDecoded(std::make_unique<FailingInputStream>(head));
    ASSERT_TRUE(stream.ok());
    auto out = ReadAll(**stream);
    ASSERT_FALSE(out.ok());
    EXPECT_EQ(out.status().code(), StatusCode::kIoError);
  }
  EXPECT_EQ(OpenDecoded(std::make_unique<FailingInputStream>("ab")).status().code(),
            StatusCode::kIoError);
}

TEST(OpenDecodedTest, ZeroCapacityReadReturnsZero) {
  auto stream = OpenDecoded(std::make_unique<StringInputStream>(Gzip("abc")));
  ASSERT_TRUE(stream.ok());
  char byte;
  auto n = (*stream)->Read(&byte, 0);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);
  auto out = ReadAll(**stream);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "abc");
}

}  // namespace
}  // namespace ecompipe::storage
