#include "storage/s3/internal/s3_xml.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace ecompipe::storage::s3 {
namespace {

using ::testing::HasSubstr;

constexpr const char* kPage = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>raw-transactions</Name><Prefix></Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys>
  <IsTruncated>true</IsTruncated>
  <Contents>
    <Key>transactions/a &amp; b.csv</Key>
    <LastModified>2026-11-26T14:03:35.123Z</LastModified>
    <ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag>
    <Size>1024</Size>
    <Owner><ID>x</ID><DisplayName>y</DisplayName></Owner>
    <StorageClass>STANDARD</StorageClass>
  </Contents>
  <Contents>
    <Key>transactions/&#xE9;t&#233;.csv</Key>
    <LastModified>2026-11-26T14:03:35Z</LastModified>
    <ETag>"d41d8cd98f00b204e9800998ecf8427e-3"</ETag>
    <Size>0</Size>
  </Contents>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
</ListBucketResult>)";

TEST(ParseListObjectsV2Test, ReadsKeysEtagsSizesAndTheContinuationToken) {
  Result<ListPage> page = ParseListObjectsV2(kPage);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].key, "transactions/a & b.csv");
  EXPECT_EQ(page->objects[0].etag, "9b2cf535f27731c974343645a3985328");
  EXPECT_EQ(page->objects[0].size, 1024u);
  EXPECT_EQ(page->objects[0].mtime_ms, 1795701815123);
  EXPECT_EQ(page->objects[1].key, "transactions/\xc3\xa9t\xc3\xa9.csv");
  EXPECT_EQ(page->objects[1].etag, "d41d8cd98f00b204e9800998ecf8427e-3");
  EXPECT_EQ(page->objects[1].mtime_ms, 1795701815000);
  EXPECT_TRUE(page->is_truncated);
  EXPECT_EQ(page->next_continuation_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
}

TEST(ParseListObjectsV2Test, AnEmptyBucketIsAnEmptyLastPage) {
  Result<ListPage> page = ParseListObjectsV2(
      "<ListBucketResult><Name>b</Name><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated></"
      "ListBucketResult>");
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_TRUE(page->objects.empty());
  EXPECT_FALSE(page->is_truncated);
}

TEST(ParseListObjectsV2Test, RefusesATruncatedAnswer) {
  const std::string xml = kPage;
  for (size_t cut : {size_t{0}, size_t{10}, xml.size() / 2, xml.size() - 5}) {
    Result<ListPage> page = ParseListObjectsV2(xml.substr(0, cut));
    EXPECT_FALSE(page.ok()) << "cut at " << cut;
    EXPECT_EQ(page.status().code(), StatusCode::kCorruptInput);
  }
}

TEST(ParseListObjectsV2Test, RefusesEntityExpansionAndExternalEntities) {
  const std::string laughs = R"(<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<ListBucketResult><Contents><Key>&lol3;</Key><Size>1</Size></Contents></ListBucketResult>)";
  Result<ListPage> page = ParseListObjectsV2(laughs);
  ASSERT_FALSE(page.ok());
  EXPECT_THAT(page.status().message(), HasSubstr("DOCTYPE"));
  const std::string xxe =
      R"(<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<ListBucketResult><Contents><Key>&x;</Key></Contents></ListBucketResult>)";
  EXPECT_FALSE(ParseListObjectsV2(xxe).ok());
  // An undeclared entity is an error, not an empty string.
  EXPECT_FALSE(ParseListObjectsV2(
                   "<ListBucketResult><Contents><Key>&nope;</Key></Contents></ListBucketResult>")
                   .ok());
}

TEST(ParseListObjectsV2Test, RefusesMalformedFields) {
  EXPECT_FALSE(ParseListObjectsV2("<Error><Code>AccessDenied</Code></Error>").ok());
  EXPECT_FALSE(
      ParseListObjectsV2("<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>")
          .ok());
  EXPECT_FALSE(
      ParseListObjectsV2(
          "<ListBucketResult><Contents><Key>k</Key><Size>-1</Size></Contents></ListBucketResult>")
          .ok());
  EXPECT_FALSE(
      ParseListObjectsV2("<ListBucketResult><Contents><Key>k</Key><Size>99999999999999999999999</"
                         "Size></Contents></ListBucketResult>")
          .ok());
  EXPECT_FALSE(
      ParseListObjectsV2("<ListBucketResult><Contents><Key>k</Key><LastModified>yesterday</"
                         "LastModified></Contents></ListBucketResult>")
          .ok());
  EXPECT_FALSE(
      ParseListObjectsV2("<ListBucketResult><IsTruncated>maybe</IsTruncated></ListBucketResult>")
          .ok());
  // Paging on without a token would loop forever.
  Result<ListPage> no_token =
      ParseListObjectsV2("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>");
  ASSERT_FALSE(no_token.ok());
  EXPECT_THAT(no_token.status().message(), HasSubstr("NextContinuationToken"));
  EXPECT_FALSE(ParseListObjectsV2("not xml at all").ok());
  EXPECT_FALSE(ParseListObjectsV2(std::string("<ListBucketResult>\0</ListBucketResult>", 38)).ok());
}

TEST(ParseListObjectsV2Test, RefusesHugeAndDeepDocuments) {
  std::string deep = "<ListBucketResult>";
  for (int i = 0; i < 50; ++i) deep += "<a>";
  EXPECT_FALSE(ParseListObjectsV2(deep).ok());
  std::string huge = "<ListBucketResult><Contents><Key>" + std::string(100000, 'k') +
                     "</Key></Contents></ListBucketResult>";
  Result<ListPage> page = ParseListObjectsV2(huge);
  ASSERT_FALSE(page.ok());
  EXPECT_THAT(page.status().message(), HasSubstr("longer than"));
}

TEST(ParseS3ErrorTest, ReadsCodeAndMessage) {
  S3Error e = ParseS3Error(
      "<?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code><Message>The request "
      "signature "
      "we calculated does not match</Message><RequestId>1</RequestId></Error>");
  EXPECT_EQ(e.code, "SignatureDoesNotMatch");
  EXPECT_EQ(e.message, "The request signature we calculated does not match");
  EXPECT_TRUE(ParseS3Error("<html>502 Bad Gateway</html>").code.empty());
  EXPECT_TRUE(ParseS3Error("").code.empty());
  EXPECT_TRUE(ParseS3Error("<Error><Code>x").code.empty());
}

TEST(ParseIso8601MillisTest, ReadsS3Times) {
  EXPECT_EQ(*ParseIso8601Millis("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*ParseIso8601Millis("1970-01-01T00:00:01.5Z"), 1500);
  EXPECT_FALSE(ParseIso8601Millis("2026-11-26 14:03:35").ok());
  EXPECT_FALSE(ParseIso8601Millis("2026-13-26T14:03:35Z").ok());
  EXPECT_FALSE(ParseIso8601Millis("2026-11-26T14:03:35.Z").ok());
  EXPECT_FALSE(ParseIso8601Millis("").ok());
}

}  // namespace
}  // namespace ecompipe::storage::s3
