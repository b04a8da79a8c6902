#include "storage/s3/internal/s3_http.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/aws_sigv4.h"
#include "storage/s3/s3_event_notification.h"
#include "storage/s3/s3_object_store.h"
#include "storage/s3/sqs_queue.h"

namespace ecompipe::storage::s3 {
namespace {

using ::testing::HasSubstr;

// AWS's own examples for S3 SigV4 (docs: "Signature Calculations for the Authorization Header:
// Transferring Payload in a Single Chunk", examplebucket, 2013-05-24).
const AwsCredentials kExampleCredentials{"AKIAIOSFODNN7EXAMPLE",
                                         "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
constexpr const char* kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

TEST(S3SigningTest, GetObjectMatchesAwsExample) {
  Endpoint e{"https", "s3.amazonaws.com"};
  Target t = BuildTarget(e, "examplebucket", /*virtual_host=*/true, "test.txt", {});
  EXPECT_EQ(t.url, "https://examplebucket.s3.amazonaws.com/test.txt");
  SigV4Request req;
  req.method = "GET";
  req.path = t.path;
  req.headers = {{"Host", t.host},
                 {"Range", "bytes=0-9"},
                 {"x-amz-content-sha256", kEmptySha256},
                 {"x-amz-date", "20130524T000000Z"}};
  req.payload_hash = kEmptySha256;
  Result<SigV4Result> s = SignV4(req, kExampleCredentials, "us-east-1", "s3", 0);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(S3SigningTest, ListObjectsMatchesAwsExample) {
  Endpoint e{"https", "s3.amazonaws.com"};
  Target t = BuildTarget(e, "examplebucket", true, "", {{"max-keys", "2"}, {"prefix", "J"}});
  EXPECT_EQ(t.url, "https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J");
  SigV4Request req;
  req.path = t.path;
  req.query = t.query;
  req.headers = {
      {"Host", t.host}, {"x-amz-content-sha256", kEmptySha256}, {"x-amz-date", "20130524T000000Z"}};
  req.payload_hash = kEmptySha256;
  Result<SigV4Result> s = SignV4(req, kExampleCredentials, "us-east-1", "s3", 0);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->signature, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(S3UrlTest, PathStyleEncodesTheKeyOnceSegmentBySegment) {
  Endpoint e{"http", "127.0.0.1:9000"};
  Target t = BuildTarget(e, "raw", false, "transactions/year=2026/a b+c%d/é.csv", {});
  EXPECT_EQ(t.host, "127.0.0.1:9000");
  EXPECT_EQ(t.path, "/raw/transactions/year=2026/a b+c%d/é.csv");  // signed unencoded
  EXPECT_EQ(t.url, "http://127.0.0.1:9000/raw/transactions/year%3D2026/a%20b%2Bc%25d/%C3%A9.csv");
  Target v = BuildTarget(e, "raw", true, "k", {});
  EXPECT_EQ(v.url, "http://raw.127.0.0.1:9000/k");
  EXPECT_EQ(v.host, "raw.127.0.0.1:9000");
}

TEST(S3UrlTest, QueryIsCanonicalAndEncoded) {
  EXPECT_EQ(
      CanonicalQuery({{"list-type", "2"}, {"continuation-token", "a/b+c="}, {"prefix", "x y"}}),
      "continuation-token=a%2Fb%2Bc%3D&list-type=2&prefix=x%20y");
  EXPECT_EQ(CanonicalQuery({}), "");
}

TEST(S3UrlTest, EndpointsAreSchemeHostPortOnly) {
  EXPECT_TRUE(ParseEndpoint("https://s3.eu-west-1.amazonaws.com").ok());
  EXPECT_EQ(ParseEndpoint("http://127.0.0.1:9000/")->host, "127.0.0.1:9000");
  EXPECT_FALSE(ParseEndpoint("127.0.0.1:9000").ok());
  EXPECT_FALSE(ParseEndpoint("ftp://host").ok());
  EXPECT_FALSE(ParseEndpoint("http://").ok());
  EXPECT_FALSE(ParseEndpoint("http://host/path").ok());
  EXPECT_FALSE(ParseEndpoint("http://user:pw@host").ok());
  EXPECT_FALSE(ParseEndpoint("http://host\r\nX: y").ok());
}

TEST(S3ObjectStoreTest, OpenChecksSettingsWithoutARequest) {
  S3Settings s;
  s.bucket = "raw";
  s.endpoint = "http://127.0.0.1:1";
  s.credentials = {"AKID", "secret", ""};
  EXPECT_TRUE(S3ObjectStore::Open(s).ok());
  S3Settings bad = s;
  bad.bucket = "a/b";
  EXPECT_FALSE(S3ObjectStore::Open(bad).ok());
  bad = s;
  bad.credentials = {};
  Result<std::unique_ptr<S3ObjectStore>> r = S3ObjectStore::Open(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("AWS_ACCESS_KEY_ID"));
  EXPECT_THAT(r.status().message(), HasSubstr("bucket 'raw' at http://127.0.0.1:1"));
  S3Settings aws = s;
  aws.endpoint = "";
  aws.region = "eu-west-1";
  EXPECT_EQ((*S3ObjectStore::Open(aws))->settings().endpoint, "https://s3.eu-west-1.amazonaws.com");
}

TEST(S3ObjectStoreTest, AnUnreachableEndpointIsRetriedThenUnavailable) {
  S3Settings s;
  s.bucket = "raw";
  s.endpoint = "http://127.0.0.1:1";  // nothing listens on port 1
  s.credentials = {"AKID", "secret", ""};
  s.max_attempts = 2;
  s.base_backoff_ms = 1;
  auto store = S3ObjectStore::Open(s).value();
  Result<ObjectRef> head = store->Head("x.csv");
  ASSERT_FALSE(head.ok());
  EXPECT_TRUE(head.status().retryable()) << head.status().ToString();
  EXPECT_THAT(head.status().message(), HasSubstr("after 2 attempts"));
  EXPECT_THAT(head.status().message(), HasSubstr("bucket 'raw' at http://127.0.0.1:1"));
  EXPECT_FALSE(store->Head("../x").ok());
}

TEST(S3ObjectStoreTest, ListingSkipsKeysThatAreNotObjects) {
  EXPECT_TRUE(S3ObjectStore::IsListedObject("transactions/x.csv"));
  EXPECT_FALSE(S3ObjectStore::IsListedObject("transactions/"));  // a "folder" marker
  EXPECT_FALSE(S3ObjectStore::IsListedObject("a//b.csv"));
  EXPECT_FALSE(S3ObjectStore::IsListedObject("transactions/x.csv.part"));
}

TEST(S3EventNotificationTest, DecodesKeysAsS3EncodesThem) {
  EXPECT_EQ(*DecodeS3EventKey("transactions/a+b%2Bc%2Fd%C3%A9.csv"), "transactions/a b+c/dé.csv");
  EXPECT_EQ(*DecodeS3EventKey("year%3D2026/x.csv"), "year=2026/x.csv");
  EXPECT_FALSE(DecodeS3EventKey("bad%2").ok());
  EXPECT_FALSE(DecodeS3EventKey("bad%zz").ok());
  EXPECT_FALSE(DecodeS3EventKey("%").ok());
}

TEST(S3EventNotificationTest, ReadsAwsMinioAndSnsWrappedRecords) {
  const std::string aws =
      R"({"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","eventName":"ObjectCreated:Put",
    "s3":{"bucket":{"name":"raw"},"object":{"key":"transactions/a+b.csv","size":12,"eTag":"0123"}}},
    {"eventName":"ObjectRemoved:Delete","s3":{"bucket":{"name":"raw"},"object":{"key":"x.csv"}}}]})";
  auto r = ParseS3EventNotification(aws);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_TRUE((*r)[0].created());
  EXPECT_EQ((*r)[0].key, "transactions/a b.csv");
  EXPECT_EQ((*r)[0].size, 12u);
  EXPECT_FALSE((*r)[1].created());

  auto minio = ParseS3EventNotification(
      R"({"EventName":"s3:ObjectCreated:Put","Key":"raw/x.csv","Records":[{"eventName":"s3:ObjectCreated:Put",
      "s3":{"bucket":{"name":"raw"},"object":{"key":"x.csv","eTag":"\"abc\""}}}]})");
  ASSERT_TRUE(minio.ok());
  EXPECT_EQ((*minio)[0].event_name, "ObjectCreated:Put");
  EXPECT_EQ((*minio)[0].etag, "abc");

  nlohmann::json sns = {{"Type", "Notification"}, {"Message", aws}};
  auto wrapped = ParseS3EventNotification(sns.dump());
  ASSERT_TRUE(wrapped.ok());
  EXPECT_EQ(wrapped->size(), 2u);

  auto test_event = ParseS3EventNotification(
      R"({"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-11-26T10:00:00.000Z","Bucket":"raw"})");
  ASSERT_TRUE(test_event.ok());
  EXPECT_TRUE(test_event->empty());
}

TEST(S3EventNotificationTest, RefusesWhatIsNotANotification) {
  for (const char* bad :
       {"", "[]", "{", "{\"Records\":{}}", "{\"Records\":[1]}", "{\"Records\":[{}]}",
        R"({"Records":[{"s3":{"bucket":{"name":"raw"},"object":{}}}]})",
        R"({"Records":[{"s3":{"bucket":{},"object":{"key":"k"}}}]})",
        R"({"Records":[{"s3":{"bucket":{"name":"raw"},"object":{"key":"bad%"}}}]})",
        R"({"Type":"Notification","Message":"not json"})"}) {
    EXPECT_FALSE(ParseS3EventNotification(bad).ok()) << bad;
  }
}

TEST(HttpSqsQueueTest, RequestBodiesAreSqsJsonProtocol) {
  const std::string url = "https://sqs.us-east-1.amazonaws.com/123456789012/q";
  auto receive = nlohmann::json::parse(HttpSqsQueue::ReceiveBody(url, 10, 20, 120));
  EXPECT_EQ(receive["QueueUrl"], url);
  EXPECT_EQ(receive["WaitTimeSeconds"], 20);
  EXPECT_EQ(receive["MaxNumberOfMessages"], 10);
  EXPECT_EQ(receive["VisibilityTimeout"], 120);
  auto del = nlohmann::json::parse(HttpSqsQueue::BatchBody(url, {"h\"andle", "b"}, -1));
  ASSERT_EQ(del["Entries"].size(), 2u);
  EXPECT_EQ(del["Entries"][0]["Id"], "0");
  EXPECT_EQ(del["Entries"][0]["ReceiptHandle"], "h\"andle");
  EXPECT_FALSE(del["Entries"][1].contains("VisibilityTimeout"));
  auto change = nlohmann::json::parse(HttpSqsQueue::BatchBody(url, {"a"}, 60));
  EXPECT_EQ(change["Entries"][0]["VisibilityTimeout"], 60);
}

}  // namespace
}  // namespace ecompipe::storage::s3
