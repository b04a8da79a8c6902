#include "api/s3/sigv4_verifier.h"

#include <gtest/gtest.h>

#include "api/s3/body_decoder.h"
#include "common/aws_sigv4.h"
#include "common/digest.h"

namespace ecompipe::api::s3 {
namespace {

// AWS's published examples (S3 API reference, "Signature Calculations for the Authorization
// Header" and "Authenticating Requests: Using Query Parameters"): this key, 2013-05-24.
constexpr const char* kKeyId = "AKIAIOSFODNN7EXAMPLE";
constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr int64_t kExampleTime = 1369353600;  // 20130524T000000Z
constexpr const char* kEmptySha =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

SigV4Verifier Verifier() { return SigV4Verifier({{kKeyId, kSecret}}, "us-east-1"); }

std::string Auth(const std::string& signed_headers, const std::string& signature) {
  return std::string("AWS4-HMAC-SHA256 Credential=") + kKeyId +
         "/20130524/us-east-1/s3/aws4_request, SignedHeaders=" + signed_headers +
         ", Signature=" + signature;
}

S3Request GetObjectExample(const std::string& signature) {
  S3Request r;
  r.method = "GET";
  r.path = "/test.txt";
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
               {"Range", "bytes=0-9"},
               {"x-amz-content-sha256", kEmptySha},
               {"x-amz-date", "20130524T000000Z"},
               {"Authorization", Auth("host;range;x-amz-content-sha256;x-amz-date", signature)}};
  return r;
}

TEST(SigV4VerifierTest, AwsGetObjectExampleVerifies) {
  auto r = Verifier().Verify(
      GetObjectExample("f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
      kExampleTime);
  ASSERT_TRUE(r.ok()) << r.error().code << ": " << r.error().message;
  EXPECT_EQ(r->access_key_id, kKeyId);
  EXPECT_EQ(r->payload, PayloadMode::kSigned);
  EXPECT_EQ(r->payload_sha256, kEmptySha);
}

TEST(SigV4VerifierTest, AwsPutObjectExampleWithDateHeaderVerifies) {
  S3Request r;
  r.method = "PUT";
  r.path = "/test$file.text";
  r.headers = {
      {"Host", "examplebucket.s3.amazonaws.com"},
      {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
      {"x-amz-date", "20130524T000000Z"},
      {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
      {"x-amz-content-sha256", "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"},
      {"Authorization", Auth("date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
                             "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")}};
  auto v = Verifier().Verify(r, kExampleTime);
  ASSERT_TRUE(v.ok()) << v.error().code << ": " << v.error().message;
}

TEST(SigV4VerifierTest, AwsListObjectsExampleSortsTheQuery) {
  S3Request r;
  r.method = "GET";
  r.path = "/";
  r.query = {{"prefix", "J"}, {"max-keys", "2"}};  // given out of order on purpose
  r.headers = {
      {"Host", "examplebucket.s3.amazonaws.com"},
      {"x-amz-date", "20130524T000000Z"},
      {"x-amz-content-sha256", kEmptySha},
      {"Authorization", Auth("host;x-amz-content-sha256;x-amz-date",
                             "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")}};
  auto v = Verifier().Verify(r, kExampleTime);
  ASSERT_TRUE(v.ok()) << v.error().code << ": " << v.error().message;
}

TEST(SigV4VerifierTest, AwsPresignedUrlExampleVerifies) {
  S3Request r;
  r.method = "GET";
  r.path = "/test.txt";
  r.query = {
      {"X-Amz-Algorithm", "AWS4-HMAC-SHA256"},
      {"X-Amz-Credential", "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request"},
      {"X-Amz-Date", "20130524T000000Z"},
      {"X-Amz-Expires", "86400"},
      {"X-Amz-SignedHeaders", "host"},
      {"X-Amz-Signature", "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"}};
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"}};
  auto v = Verifier().Verify(r, kExampleTime + 3600);
  ASSERT_TRUE(v.ok()) << v.error().code << ": " << v.error().message;
  EXPECT_EQ(v->payload, PayloadMode::kUnsigned);

  auto expired = Verifier().Verify(r, kExampleTime + 86401);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().code, "AccessDenied");
  EXPECT_EQ(expired.error().message, "Request has expired");

  r.query[0].second = "AWS4-HMAC-SHA256";
  r.query.back().second[0] = 'b';
  auto tampered = Verifier().Verify(r, kExampleTime);
  ASSERT_FALSE(tampered.ok());
  EXPECT_EQ(tampered.error().code, "SignatureDoesNotMatch");
  EXPECT_EQ(tampered.error().http_status, 403);
}

TEST(SigV4VerifierTest, PresignedUrlWithTooLongExpiryIsRefused) {
  S3Request r;
  r.method = "GET";
  r.path = "/k";
  r.query = {{"X-Amz-Algorithm", "AWS4-HMAC-SHA256"},
             {"X-Amz-Credential", "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request"},
             {"X-Amz-Date", "20130524T000000Z"},
             {"X-Amz-Expires", "604801"},
             {"X-Amz-SignedHeaders", "host"},
             {"X-Amz-Signature", std::string(64, 'a')}};
  r.headers = {{"Host", "h"}};
  auto v = Verifier().Verify(r, kExampleTime);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, "AuthorizationQueryParametersError");
}

TEST(SigV4VerifierTest, WrongSecretIsSignatureDoesNotMatch) {
  SigV4Verifier other({{kKeyId, "another secret"}}, "us-east-1");
  auto r = other.Verify(
      GetObjectExample("f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
      kExampleTime);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "SignatureDoesNotMatch");
  EXPECT_EQ(r.error().http_status, 403);
}

TEST(SigV4VerifierTest, AlteredSignedHeaderIsSignatureDoesNotMatch) {
  S3Request r =
      GetObjectExample("f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  r.headers[1].second = "bytes=0-99";
  auto v = Verifier().Verify(r, kExampleTime);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, "SignatureDoesNotMatch");
}

TEST(SigV4VerifierTest, UnknownKeyIsInvalidAccessKeyId) {
  SigV4Verifier other({{"AKIAOTHER", kSecret}}, "us-east-1");
  auto r = other.Verify(GetObjectExample(std::string(64, '0')), kExampleTime);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "InvalidAccessKeyId");
  EXPECT_EQ(r.error().http_status, 403);
}

TEST(SigV4VerifierTest, ClockSkewBeyondFifteenMinutesIsRefused) {
  const S3Request r =
      GetObjectExample("f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_TRUE(Verifier().Verify(r, kExampleTime + 14 * 60).ok());
  EXPECT_TRUE(Verifier().Verify(r, kExampleTime - 14 * 60).ok());
  auto late = Verifier().Verify(r, kExampleTime + 16 * 60);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code, "RequestTimeTooSkewed");
  EXPECT_EQ(late.error().http_status, 403);
  auto early = Verifier().Verify(r, kExampleTime - 16 * 60);
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.error().code, "RequestTimeTooSkewed");
}

TEST(SigV4VerifierTest, WrongRegionNamesTheExpectedOne) {
  SigV4Verifier eu({{kKeyId, kSecret}}, "eu-west-1");
  auto r = eu.Verify(GetObjectExample(std::string(64, '0')), kExampleTime);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "AuthorizationHeaderMalformed");
  EXPECT_EQ(r.error().region, "eu-west-1");
}

TEST(SigV4VerifierTest, MalformedAndMissingCredentials) {
  S3Request r = GetObjectExample("x");
  r.headers.back().second = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1";
  auto v = Verifier().Verify(r, kExampleTime);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, "AuthorizationHeaderMalformed");

  r.headers.back().second = "AWS AKIAIOSFODNN7EXAMPLE:c2lnbmF0dXJl";  // Signature V2
  v = Verifier().Verify(r, kExampleTime);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, "AccessDenied");

  r.headers.pop_back();  // anonymous
  v = Verifier().Verify(r, kExampleTime);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, "AccessDenied");
  EXPECT_EQ(v.error().http_status, 403);

  S3Request no_date =
      GetObjectExample("f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  no_date.headers.erase(no_date.headers.begin() + 3);
  v = Verifier().Verify(no_date, kExampleTime);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, "AccessDenied");
}

TEST(SigV4VerifierTest, HostMustBeSigned) {
  S3Request r = GetObjectExample("x");
  r.headers.back().second = Auth("x-amz-content-sha256;x-amz-date", std::string(64, '0'));
  auto v = Verifier().Verify(r, kExampleTime);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, "AuthorizationHeaderMalformed");
}

// The client side (common/aws_sigv4's SignV4, used for SNS) and the server side agree on
// requests with awkward keys and queries.
TEST(SigV4VerifierTest, AgreesWithTheSignerOnEncodedKeysAndQueries) {
  SigV4Request req;
  req.method = "PUT";
  req.path = "/bucket/dir with space/a+b=c&d~e.csv";
  req.query = {{"partNumber", "3"}, {"uploadId", "abc/def"}, {"uploads", ""}};
  req.payload = "hello";
  req.headers = {{"Host", "127.0.0.1:9000"}, {"x-amz-content-sha256", Sha256Hex("hello")}};
  auto signed_req = SignV4(req, {kKeyId, kSecret, ""}, "us-east-1", "s3", kExampleTime);
  ASSERT_TRUE(signed_req.ok());
  S3Request r;
  r.method = req.method;
  r.path = req.path;
  r.query = req.query;
  r.headers = req.headers;
  for (const auto& h : signed_req->headers) r.headers.push_back(h);
  auto v = Verifier().Verify(r, kExampleTime);
  ASSERT_TRUE(v.ok()) << v.error().code << ": " << v.error().message;
  EXPECT_EQ(v->payload, PayloadMode::kSigned);
  EXPECT_EQ(v->payload_sha256, Sha256Hex("hello"));

  r.path = "/bucket/dir with space/a+b=c&d~e.csvX";
  EXPECT_FALSE(Verifier().Verify(r, kExampleTime).ok());
}

// httplib (Debian 12's 0.11) hands header values over percent-decoded: the x-amz-copy-source a
// client signed in its wire form ("bucket/year%3D2024/a%2Bb%20c.csv") arrives decoded.
TEST(SigV4VerifierTest, CopySourceSignedEncodedVerifiesWhenReceivedDecoded) {
  SigV4Request req;
  req.method = "PUT";
  req.path = "/bucket/copies/x.csv";
  req.payload = "";
  req.headers = {{"Host", "127.0.0.1:9000"},
                 {"x-amz-content-sha256", Sha256Hex("")},
                 {"x-amz-copy-source", "bucket/year%3D2024/a%2Bb%20c.csv"}};
  auto signed_req = SignV4(req, {kKeyId, kSecret, ""}, "us-east-1", "s3", kExampleTime);
  ASSERT_TRUE(signed_req.ok());
  S3Request r;
  r.method = req.method;
  r.path = req.path;
  r.headers = {{"Host", "127.0.0.1:9000"},
               {"x-amz-content-sha256", Sha256Hex("")},
               {"x-amz-copy-source", "bucket/year=2024/a+b c.csv"}};
  for (const auto& h : signed_req->headers) r.headers.push_back(h);
  auto v = Verifier().Verify(r, kExampleTime);
  ASSERT_TRUE(v.ok()) << v.error().code << ": " << v.error().message;

  // Only the same source verifies: another key is still a signature mismatch.
  for (auto& [name, value] : r.headers)
    if (name == "x-amz-copy-source") value = "bucket/year=2025/a+b c.csv";
  auto other = Verifier().Verify(r, kExampleTime);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, "SignatureDoesNotMatch");
}

// AWS's aws-chunked example (S3 API reference, "Signature Calculations for the Authorization
// Header: Transferring Payload in Multiple Chunks"): 66560 bytes of 'a' in a 64 KiB chunk and a
// 1 KiB chunk.
S3Request ChunkedExample() {
  S3Request r;
  r.method = "PUT";
  r.path = "/examplebucket/chunkObject.txt";
  r.headers = {
      {"Host", "s3.amazonaws.com"},
      {"x-amz-date", "20130524T000000Z"},
      {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
      {"x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"},
      {"Content-Encoding", "aws-chunked"},
      {"x-amz-decoded-content-length", "66560"},
      {"Content-Length", "66824"},
      {"Authorization", Auth("content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
                             "x-amz-decoded-content-length;x-amz-storage-class",
                             "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9")}};
  return r;
}

std::string ChunkedBody(const std::string& second_signature) {
  return "10000;chunk-signature="
         "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n" +
         std::string(65536, 'a') + "\r\n400;chunk-signature=" + second_signature + "\r\n" +
         std::string(1024, 'a') +
         "\r\n0;chunk-signature="
         "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n";
}

TEST(BodyDecoderTest, AwsChunkedExampleDecodesAndVerifiesEveryChunk) {
  const S3Request r = ChunkedExample();
  auto auth = Verifier().Verify(r, kExampleTime);
  ASSERT_TRUE(auth.ok()) << auth.error().code << ": " << auth.error().message;
  ASSERT_EQ(auth->payload, PayloadMode::kStreamingSigned);
  const std::string body =
      ChunkedBody("0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497");
  ASSERT_EQ(body.size(), 66824u);
  // Fed in awkward pieces: framing may split anywhere.
  for (size_t piece : {size_t{1}, size_t{7}, size_t{4096}, body.size()}) {
    auto decoder = BodyDecoder::Create(r, *auth);
    ASSERT_TRUE(decoder.ok());
    std::string out;
    for (size_t i = 0; i < body.size(); i += piece) {
      auto e = (*decoder)->Feed(body.data() + i, std::min(piece, body.size() - i),
                                [&](const char* d, size_t n) -> S3Status {
                                  out.append(d, n);
                                  return std::nullopt;
                                });
      ASSERT_FALSE(e) << e->code << ": " << e->message;
    }
    auto e = (*decoder)->Finish();
    ASSERT_FALSE(e) << e->code << ": " << e->message;
    EXPECT_EQ(out, std::string(66560, 'a'));
  }
}

TEST(BodyDecoderTest, AlteredChunkIsRefused) {
  const S3Request r = ChunkedExample();
  auto auth = Verifier().Verify(r, kExampleTime);
  ASSERT_TRUE(auth.ok());
  std::string body =
      ChunkedBody("0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497");
  body[100] = 'b';  // inside the first chunk's data
  auto decoder = BodyDecoder::Create(r, *auth);
  ASSERT_TRUE(decoder.ok());
  auto e = (*decoder)->Feed(body.data(), body.size(),
                            [](const char*, size_t) -> S3Status { return std::nullopt; });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, "SignatureDoesNotMatch");
}

TEST(BodyDecoderTest, TruncatedAndMalformedChunkedBodies) {
  const S3Request r = ChunkedExample();
  auto auth = Verifier().Verify(r, kExampleTime);
  ASSERT_TRUE(auth.ok());
  const std::string body =
      ChunkedBody("0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497");
  auto sink = [](const char*, size_t) -> S3Status { return std::nullopt; };
  {
    auto d = BodyDecoder::Create(r, *auth);
    ASSERT_FALSE((*d)->Feed(body.data(), 60000, sink));
    auto e = (*d)->Finish();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->code, "IncompleteBody");
  }
  {
    auto d = BodyDecoder::Create(r, *auth);
    const std::string bad = "zz;chunk-signature=00\r\n";
    auto e = (*d)->Feed(bad.data(), bad.size(), sink);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->code, "IncompleteBody");
  }
  {
    auto d = BodyDecoder::Create(r, *auth);
    const std::string endless(10000, '1');  // a header line that never ends
    auto e = (*d)->Feed(endless.data(), endless.size(), sink);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->code, "IncompleteBody");
  }
}

TEST(BodyDecoderTest, UnsignedTrailerChecksumIsVerified) {
  S3Request r;
  r.headers = {{"x-amz-decoded-content-length", "5"}, {"x-amz-trailer", "x-amz-checksum-crc32"}};
  AuthContext auth;
  auth.payload = PayloadMode::kStreamingUnsigned;
  auto run = [&](const std::string& body) {
    auto d = BodyDecoder::Create(r, auth);
    EXPECT_TRUE(d.ok());
    std::string out;
    S3Status e = (*d)->Feed(body.data(), body.size(), [&](const char* p, size_t n) -> S3Status {
      out.append(p, n);
      return std::nullopt;
    });
    if (!e) e = (*d)->Finish();
    return e;
  };
  // CRC-32 of "hello" is 0x3610a686 -> base64 "NhCmhg==".
  EXPECT_FALSE(run("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n"));
  S3Status bad = run("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->code, "BadDigest");
}

// Found by fuzz_aws_chunked: a chunk past x-amz-decoded-content-length was counted in
// decoded_bytes() although it was refused and never reached the sink.
TEST(BodyDecoderTest, BytesPastTheDeclaredLengthAreRefusedAndNotCounted) {
  S3Request r;
  r.headers = {{"x-amz-decoded-content-length", "5"}};
  AuthContext auth;
  auth.payload = PayloadMode::kStreamingUnsigned;
  auto d = BodyDecoder::Create(r, auth);
  ASSERT_TRUE(d.ok());
  size_t sunk = 0;
  const std::string body = "3\r\nhel\r\n3\r\nlo!\r\n0\r\n\r\n";
  S3Status e = (*d)->Feed(body.data(), body.size(), [&](const char*, size_t n) -> S3Status {
    sunk += n;
    return std::nullopt;
  });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, "IncompleteBody");
  EXPECT_EQ(sunk, 3u);
  EXPECT_EQ((*d)->decoded_bytes(), 3u);
}

TEST(BodyDecoderTest, SignedPayloadHashAndContentMd5AreChecked) {
  S3Request r;
  AuthContext auth;
  auth.payload = PayloadMode::kSigned;
  auth.payload_sha256 = Sha256Hex("hello");
  auto sink = [](const char*, size_t) -> S3Status { return std::nullopt; };
  auto d = BodyDecoder::Create(r, auth);
  ASSERT_FALSE((*d)->Feed("hello", 5, sink));
  EXPECT_FALSE((*d)->Finish());
  EXPECT_EQ((*d)->md5_hex(), "5d41402abc4b2a76b9719d911017c592");

  d = BodyDecoder::Create(r, auth);
  ASSERT_FALSE((*d)->Feed("hellO", 5, sink));
  auto e = (*d)->Finish();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, "XAmzContentSHA256Mismatch");

  auth.payload = PayloadMode::kUnsigned;
  r.headers = {{"Content-MD5", "XUFAKrxLKna5cZ2REBfFkg=="}};  // MD5("hello")
  d = BodyDecoder::Create(r, auth);
  ASSERT_FALSE((*d)->Feed("hello", 5, sink));
  EXPECT_FALSE((*d)->Finish());
  d = BodyDecoder::Create(r, auth);
  ASSERT_FALSE((*d)->Feed("jello", 5, sink));
  e = (*d)->Finish();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, "BadDigest");

  r.headers = {{"Content-MD5", "not base64!"}};
  auto bad = BodyDecoder::Create(r, auth);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "InvalidDigest");
}

}  // namespace
}  // namespace ecompipe::api::s3
