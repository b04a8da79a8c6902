#include "storage/object_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace ecompipe::storage {
namespace {

using ::testing::HasSubstr;

TEST(ValidateKeyTest, AcceptsRelativePaths) {
  for (const std::string key :
       {"x.csv", "transactions/year=2026/month=11/day=26/x.csv", "a b/c d.csv", "a...b/..c/d..",
        "dimensions/produits/é.csv", "データ/ファイル.csv", "emoji/\xf0\x9f\x93\xa6.csv",
        "a/.hidden", "a\\b"}) {
    EXPECT_TRUE(ValidateKey(key).ok()) << key << ": " << ValidateKey(key).ToString();
  }
}

TEST(ValidateKeyTest, RejectsEmptyKey) {
  const Status status = ValidateKey("");
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("empty"));
}

TEST(ValidateKeyTest, RejectsDotDotSegmentNamingKey) {
  for (const std::string key : {"..", "../x.csv", "a/../x.csv", "a/.."}) {
    const Status status = ValidateKey(key);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << key;
    EXPECT_THAT(status.message(), HasSubstr("'..'")) << key;
    EXPECT_THAT(status.message(), HasSubstr("'" + key + "'")) << key;
  }
}

TEST(ValidateKeyTest, RejectsDotSegment) {
  for (const std::string key : {".", "./x.csv", "a/./x.csv", "a/."}) {
    const Status status = ValidateKey(key);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << key;
    EXPECT_THAT(status.message(), HasSubstr("'.' segment")) << key;
  }
}

TEST(ValidateKeyTest, RejectsLeadingSlash) {
  const Status status = ValidateKey("/abs/x.csv");
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("starts with '/'"));
  EXPECT_THAT(status.message(), HasSubstr("/abs/x.csv"));
}

TEST(ValidateKeyTest, RejectsEmptySegment) {
  for (const std::string key : {"a//b", "a/", "a/b//", "/"}) {
    EXPECT_EQ(ValidateKey(key).code(), StatusCode::kInvalidArgument) << key;
  }
  EXPECT_THAT(ValidateKey("a//b").message(), HasSubstr("empty path segment at byte 2"));
}

TEST(ValidateKeyTest, RejectsControlCharacters) {
  for (const std::string& key : {std::string("a\nb"), std::string("a\tb"), std::string("a\rb"),
                                 std::string("a\0b", 3), std::string("a\x7f"),
                                 std::string("a\xc2\x85"
                                             "b")}) {  // U+0085, a C1 control
    const Status status = ValidateKey(key);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(status.message(), HasSubstr("control character at byte 1"));
  }
}

TEST(ValidateKeyTest, RejectsInvalidUtf8) {
  for (const std::string& key : {
           std::string("a\x80"),              // lone continuation byte
           std::string("a\xc0\xaf"),          // overlong '/'
           std::string("a\xe0\x80\xaf"),      // overlong, three bytes
           std::string("a\xed\xa0\x80"),      // UTF-16 surrogate
           std::string("a\xe2\x82"),          // sequence cut short
           std::string("a\xf4\x90\x80\x80"),  // past U+10FFFF
           std::string("a\xff"),
       }) {
    const Status status = ValidateKey(key);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(status.message(), HasSubstr("invalid UTF-8 at byte 1"));
  }
}

TEST(ValidateKeyTest, AcceptsAtMost1024Bytes) {
  EXPECT_TRUE(ValidateKey(std::string(1024, 'k')).ok());
  const Status status = ValidateKey(std::string(1025, 'k'));
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("1025 bytes long"));
}

TEST(ValidateKeyTest, MessageEscapesHostileBytes) {
  const Status status = ValidateKey("a\nERROR forged log line");
  EXPECT_THAT(status.message(), HasSubstr("'a\\x0aERROR forged log line'"));
  EXPECT_EQ(status.message().find('\n'), std::string::npos);
}

TEST(IsTemporaryNameTest, RecognisesEditorAndDownloaderNames) {
  for (const std::string name : {"x.csv.part", ".x.csv.swp", "x.csv~", ".#x.csv", "x.crdownload",
                                 "x.tmp", ".hidden", ".DS_Store", "x.csv.partial", "x.csv.download",
                                 "x.csv.filepart", "x.swo", "~$x.xlsx", ".", ".."}) {
    EXPECT_TRUE(IsTemporaryName(name)) << name;
  }
}

TEST(IsTemporaryNameTest, AcceptsOrdinaryNames) {
  for (const std::string name : {"x.csv", "x.csv.gz", "x.csv.zst", "part.csv", "tmp.csv", "x.parts",
                                 "x.temporary", "report~final.csv", "x_part"}) {
    EXPECT_FALSE(IsTemporaryName(name)) << name;
  }
}

TEST(IsTemporaryNameTest, IgnoresCaseOfSuffix) {
  EXPECT_TRUE(IsTemporaryName("X.CSV.PART"));
  EXPECT_TRUE(IsTemporaryName("x.Tmp"));
}

TEST(IsTemporaryNameTest, LooksAtLastPathSegmentOnly) {
  EXPECT_FALSE(IsTemporaryName("x.tmp/x.csv"));
  EXPECT_FALSE(IsTemporaryName(".hidden/x.csv"));
  EXPECT_TRUE(IsTemporaryName("a/x.csv.part"));
}

TEST(IsTemporaryNameTest, EmptyNameIsNeverAnObject) { EXPECT_TRUE(IsTemporaryName("")); }

}  // namespace
}  // namespace ecompipe::storage
