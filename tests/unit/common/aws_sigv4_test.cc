#include "common/aws_sigv4.h"
#include "common/digest.h"

#include <gtest/gtest.h>

namespace ecompipe {
namespace {

// The credentials, scope and time of AWS's published SigV4 test suite (2015-08-30 12:36:00 UTC).
const AwsCredentials kSuiteCreds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
constexpr int64_t kSuiteTime = 1440938160;

std::string Header(const SigV4Result& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "";
}

// Found by fuzz_money_date: strftime's %Y wrote the year 312 as "312", a date ParseAmzDate
// cannot read back.
TEST(AwsSigV4Test, AmzDateAlwaysHasAFourDigitYear) {
  EXPECT_EQ(AmzDate(1369353600), "20130524T000000Z");
  EXPECT_EQ(AmzDate(-52319001600), "03120130T000000Z");
}

TEST(AwsSigV4Test, GetVanillaMatchesTheTestSuite) {
  SigV4Request req;
  req.headers = {{"Host", "example.amazonaws.com"}};
  auto r = SignV4(req, kSuiteCreds, "us-east-1", "service", kSuiteTime);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->canonical_request,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "host;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Header(*r, "X-Amz-Date"), "20150830T123600Z");
  EXPECT_EQ(Header(*r, "Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(AwsSigV4Test, GetVanillaQueryOrderKeyCaseSortsParameters) {
  SigV4Request req;
  req.query = {{"Param2", "value2"}, {"Param1", "value1"}};
  req.headers = {{"Host", "example.amazonaws.com"}};
  auto r = SignV4(req, kSuiteCreds, "us-east-1", "service", kSuiteTime);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->signature, "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

TEST(AwsSigV4Test, GivenXAmzDateWinsAndIsNotAddedTwice) {
  SigV4Request req;
  req.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
  auto r = SignV4(req, kSuiteCreds, "us-east-1", "service", 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
  EXPECT_EQ(Header(*r, "X-Amz-Date"), "");
}

TEST(AwsSigV4Test, HeaderValuesAreTrimmedAndCollapsed) {
  SigV4Request req;
  req.headers = {{"Host", "example.amazonaws.com"}, {"My-Header1", "  value1   with  spaces "}};
  auto r = SignV4(req, kSuiteCreds, "us-east-1", "service", kSuiteTime);
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->canonical_request.find("my-header1:value1 with spaces\n"), std::string::npos);
  EXPECT_EQ(r->signed_headers, "host;my-header1;x-amz-date");
}

TEST(AwsSigV4Test, SessionTokenIsSignedAndReturned) {
  SigV4Request req;
  req.headers = {{"Host", "example.amazonaws.com"}};
  AwsCredentials c = kSuiteCreds;
  c.session_token = "tok";
  auto r = SignV4(req, c, "us-east-1", "service", kSuiteTime);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Header(*r, "X-Amz-Security-Token"), "tok");
  EXPECT_EQ(r->signed_headers, "host;x-amz-date;x-amz-security-token");
}

TEST(AwsSigV4Test, RejectsMissingCredentialsHostOrPath) {
  SigV4Request req;
  req.headers = {{"Host", "h"}};
  EXPECT_EQ(SignV4(req, {}, "r", "s", 0).status().code(), StatusCode::kInvalidArgument);
  SigV4Request no_host;
  EXPECT_EQ(SignV4(no_host, kSuiteCreds, "r", "s", 0).status().code(),
            StatusCode::kInvalidArgument);
  req.path = "x";
  EXPECT_EQ(SignV4(req, kSuiteCreds, "r", "s", 0).status().code(), StatusCode::kInvalidArgument);
}

TEST(AwsSigV4Test, UriEncodeKeepsUnreservedOnly) {
  EXPECT_EQ(AwsUriEncode("a b/c~d*é", false), "a%20b%2Fc~d%2A%C3%A9");
  EXPECT_EQ(AwsUriEncode("/a b/c", true), "/a%20b/c");
}

// The one canonical query string the signer and the S3 endpoint's verifier both build: names
// and values encoded, sorted by name then value, and a presigned URL's signature left out.
TEST(AwsSigV4Test, CanonicalQueryStringEncodesSortsAndSkips) {
  const std::vector<std::pair<std::string, std::string>> query = {
      {"prefix", "a b/c"}, {"X-Amz-Signature", "ff"}, {"list-type", "2"}, {"a", "2"}, {"a", "1"}};
  EXPECT_EQ(CanonicalQueryString(query), "X-Amz-Signature=ff&a=1&a=2&list-type=2&prefix=a%20b%2Fc");
  EXPECT_EQ(CanonicalQueryString(query, "X-Amz-Signature"), "a=1&a=2&list-type=2&prefix=a%20b%2Fc");
  EXPECT_EQ(CanonicalQueryString({}), "");
}

// AWS's documented example of the signing key (the "Deriving the signing key" page's values).
TEST(AwsSigV4Test, SigningKeyChainsTheScope) {
  EXPECT_EQ(HexEncode(SigV4SigningKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215",
                                      "us-east-1", "iam")),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(AwsSigV4Test, HmacSha256MatchesRfc4231Case2) {
  EXPECT_EQ(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

}  // namespace
}  // namespace ecompipe
