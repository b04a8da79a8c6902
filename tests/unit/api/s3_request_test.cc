#include "api/s3/s3_request.h"

#include <gtest/gtest.h>

#include "api/s3/list_objects.h"
#include "api/s3/s3_xml.h"

namespace ecompipe::api::s3 {
namespace {

TEST(ParseRangeTest, FormsS3Accepts) {
  ByteRange r;
  EXPECT_EQ(ParseRange("bytes=0-9", 100, r), RangeParse::kOk);
  EXPECT_EQ(r.first, 0u);
  EXPECT_EQ(r.last, 9u);
  EXPECT_EQ(ParseRange("bytes=90-", 100, r), RangeParse::kOk);
  EXPECT_EQ(r.first, 90u);
  EXPECT_EQ(r.last, 99u);
  EXPECT_EQ(ParseRange("bytes=-5", 100, r), RangeParse::kOk);
  EXPECT_EQ(r.first, 95u);
  EXPECT_EQ(r.last, 99u);
  EXPECT_EQ(ParseRange("bytes=-500", 100, r), RangeParse::kOk);  // more than the object: all of it
  EXPECT_EQ(r.first, 0u);
  EXPECT_EQ(ParseRange("bytes=50-5000", 100, r), RangeParse::kOk);  // clamped to the end
  EXPECT_EQ(r.last, 99u);
}

TEST(ParseRangeTest, UnsatisfiableAndIgnored) {
  ByteRange r;
  EXPECT_EQ(ParseRange("", 100, r), RangeParse::kNone);
  EXPECT_EQ(ParseRange("bytes=100-200", 100, r), RangeParse::kUnsatisfiable);
  EXPECT_EQ(ParseRange("bytes=0-0", 0, r), RangeParse::kUnsatisfiable);
  EXPECT_EQ(ParseRange("bytes=-0", 100, r), RangeParse::kUnsatisfiable);
  // Not valid range syntax: S3 serves the whole object.
  EXPECT_EQ(ParseRange("bytes=9-1", 100, r), RangeParse::kIgnored);
  EXPECT_EQ(ParseRange("bytes=a-b", 100, r), RangeParse::kIgnored);
  EXPECT_EQ(ParseRange("items=0-1", 100, r), RangeParse::kIgnored);
  EXPECT_EQ(ParseRange("bytes=0-1,5-6", 100, r), RangeParse::kIgnored);
  EXPECT_EQ(ParseRange("bytes=99999999999999999999999-", 100, r), RangeParse::kIgnored);
  EXPECT_EQ(ParseRange("bytes=-", 100, r), RangeParse::kIgnored);
}

// Found by fuzz_money_date (its corpus keeps the input): a day that does not exist was carried
// over by timegm() to another one, so x-amz-date 20130231 was taken as March 3, and a sign was
// taken as part of a number.
TEST(AmzDateTest, DaysThatDoNotExistAndSignsAreRefused) {
  EXPECT_FALSE(ParseAmzDate("20130231T000000Z"));
  EXPECT_FALSE(ParseAmzDate("20130229T000000Z"));
  EXPECT_FALSE(ParseAmzDate("20130431T000000Z"));
  EXPECT_FALSE(ParseAmzDate("-0010524T000000Z"));
  EXPECT_FALSE(ParseAmzDate("201305-4T000000Z"));
  EXPECT_EQ(ParseAmzDate("20120229T000000Z"), 1330473600);
  EXPECT_EQ(ParseAmzDate("20131231T235960Z"), 1388534400);  // a leap second: the next second
}

TEST(AmzDateTest, ParsesAndRejects) {
  EXPECT_EQ(ParseAmzDate("20130524T000000Z"), 1369353600);
  EXPECT_FALSE(ParseAmzDate("2013-05-24T00:00:00Z"));
  EXPECT_FALSE(ParseAmzDate("20131324T000000Z"));
  EXPECT_FALSE(ParseAmzDate("20130524T000000"));
  EXPECT_EQ(HttpDate(1369353600000), "Fri, 24 May 2013 00:00:00 GMT");
  EXPECT_EQ(IsoDate(1369353600123), "2013-05-24T00:00:00.123Z");
}

std::vector<ObjectInfo> Objects(std::initializer_list<const char*> keys) {
  std::vector<ObjectInfo> out;
  for (const char* k : keys) {
    ObjectInfo o;
    o.ref.key = k;
    out.push_back(o);
  }
  return out;
}

std::vector<std::string> Keys(const ListPage& p) {
  std::vector<std::string> out;
  for (const ObjectInfo* o : p.contents) out.push_back(o->ref.key);
  return out;
}

TEST(ListPageTest, DelimiterGroupsAndPagingResumesAfterAGroup) {
  const auto objects = Objects({"a.csv", "d/1", "d/2", "d/x/3", "e/1", "f.csv"});
  ListPage p = BuildListPage(objects, "", "/", "", 2);
  EXPECT_EQ(Keys(p), std::vector<std::string>{"a.csv"});
  EXPECT_EQ(p.common_prefixes, std::vector<std::string>{"d/"});
  EXPECT_TRUE(p.truncated);
  EXPECT_EQ(p.last, "d/");
  p = BuildListPage(objects, "", "/", p.last, 2);  // the whole d/ group is behind us
  EXPECT_EQ(p.common_prefixes, std::vector<std::string>{"e/"});
  EXPECT_EQ(Keys(p), std::vector<std::string>{"f.csv"});
  EXPECT_FALSE(p.truncated);

  p = BuildListPage(objects, "d/", "/", "", 1000);
  EXPECT_EQ(Keys(p), (std::vector<std::string>{"d/1", "d/2"}));
  EXPECT_EQ(p.common_prefixes, std::vector<std::string>{"d/x/"});

  p = BuildListPage(objects, "", "", "d/2", 1000);  // start-after a key
  EXPECT_EQ(Keys(p), (std::vector<std::string>{"d/x/3", "e/1", "f.csv"}));
  p = BuildListPage(objects, "", "", "", 0);
  EXPECT_TRUE(p.contents.empty());
  EXPECT_FALSE(p.truncated);
}

TEST(ListPageTest, ContinuationTokensRoundTripAndRejectGarbage) {
  std::string marker;
  EXPECT_TRUE(DecodeToken(EncodeToken("d/x y+z"), marker));
  EXPECT_EQ(marker, "d/x y+z");
  EXPECT_FALSE(DecodeToken("zz", marker));
  EXPECT_FALSE(DecodeToken("abc", marker));
}

TEST(S3XmlTest, CompleteMultipartUploadParses) {
  auto parts = ParseCompleteMultipartUpload(
      "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Part><ETag>\"aa\"</ETag><PartNumber>1</PartNumber></Part>"
      "<Part><PartNumber>2</PartNumber><ETag>bb</ETag></Part></CompleteMultipartUpload>");
  ASSERT_TRUE(parts.ok()) << parts.error().message;
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].number, 1);
  EXPECT_EQ((*parts)[0].etag, "aa");
  EXPECT_EQ((*parts)[1].etag, "bb");
}

TEST(S3XmlTest, HostileCompleteBodiesAreMalformedXml) {
  for (const char* body : {"", "<CompleteMultipartUpload>", "<Other/>",
                           "<CompleteMultipartUpload></CompleteMultipartUpload>",
                           "<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>a</"
                           "ETag></Part></CompleteMultipartUpload>",
                           "<CompleteMultipartUpload><Part><PartNumber>99999999999</"
                           "PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>",
                           "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></"
                           "CompleteMultipartUpload>",
                           "<!DOCTYPE x [<!ENTITY a "
                           "\"aaaa\">]><CompleteMultipartUpload>&a;</CompleteMultipartUpload>"}) {
    auto parts = ParseCompleteMultipartUpload(body);
    ASSERT_FALSE(parts.ok()) << body;
    EXPECT_EQ(parts.error().code, "MalformedXML") << body;
    EXPECT_EQ(parts.error().http_status, 400);
  }
  EXPECT_FALSE(ParseCompleteMultipartUpload(std::string(kMaxXmlBody + 1, ' ')).ok());
}

TEST(S3XmlTest, DeleteObjectsParsesAndLimits) {
  auto req = ParseDeleteObjects(
      "<Delete><Quiet>true</Quiet><Object><Key>a &amp; b</Key></Object>"
      "<Object><Key>c</Key><VersionId>null</VersionId></Object></Delete>");
  ASSERT_TRUE(req.ok());
  EXPECT_TRUE(req->quiet);
  EXPECT_EQ(req->keys, (std::vector<std::string>{"a & b", "c"}));
  std::string many = "<Delete>";
  for (int i = 0; i < 1001; ++i) many += "<Object><Key>k</Key></Object>";
  many += "</Delete>";
  EXPECT_FALSE(ParseDeleteObjects(many).ok());
  EXPECT_FALSE(ParseDeleteObjects("<Delete><Object/></Delete>").ok());
}

TEST(S3XmlTest, ErrorDocumentEscapes) {
  S3Error e = S3Error::Make(404, "NoSuchKey", "no <key> & \"such\"");
  const std::string x = ErrorXml(e, "/b/a&b", "REQ1");
  EXPECT_NE(x.find("<Code>NoSuchKey</Code>"), std::string::npos);
  EXPECT_NE(x.find("no &lt;key&gt; &amp; &quot;such&quot;"), std::string::npos);
  EXPECT_NE(x.find("<Resource>/b/a&amp;b</Resource>"), std::string::npos);
  EXPECT_NE(x.find("<RequestId>REQ1</RequestId>"), std::string::npos);
}

}  // namespace
}  // namespace ecompipe::api::s3
