// Webhook signatures, SNS Publish and SMTP error mapping, against the in-test HTTP server.
#include <gtest/gtest.h>

#include "common/digest.h"
#include "notify/smtp_send.h"
#include "notify/sns_publish.h"
#include "notify/webhook_signature.h"
#include "test_http_server.h"

namespace ecompipe::notify {
namespace {

using testing_util::TestHttpServer;

TEST(WebhookSignatureTest, IsHmacSha256OverTimestampDotBody) {
  // Computed independently: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac s3cret
  EXPECT_EQ(WebhookSignature("s3cret", 1700000000, R"({"a":1})"),
            "v1=" + HexEncode(HmacSha256("s3cret", R"(1700000000.{"a":1})")));
  EXPECT_NE(WebhookSignature("s3cret", 1700000001, R"({"a":1})"),
            WebhookSignature("s3cret", 1700000000, R"({"a":1})"));
  EXPECT_EQ(WebhookSignature("k", 1, "").size(), 3u + 64u);
}

TEST(SnsPublishTest, FormHasActionMessageSubjectTopicAndVersion) {
  std::string f =
      SnsPublishForm("arn:aws:sns:eu-west-1:123456789012:t", "{\"a\": 1}", "Hi there\n");
  EXPECT_EQ(f,
            "Action=Publish&Message=%7B%22a%22%3A+1%7D&Subject=Hi+there"
            "&TopicArn=arn%3Aaws%3Asns%3Aeu-west-1%3A123456789012%3At&Version=2010-03-31");
}

TEST(SnsPublishTest, PostsASignedRequestAndReturnsTheMessageId) {
  TestHttpServer server(200);
  server.SetResponseBody(
      "<PublishResponse><PublishResult><MessageId>m-1</MessageId>"
      "</PublishResult></PublishResponse>");
  SnsSettings s{
      server.Url(""), "eu-west-1", "arn:aws:sns:eu-west-1:123456789012:t", {"AKID", "SECRET", ""}};
  Result<std::string> id = SnsPublish(s, "{}", "subject", 1440938160);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(*id, "m-1");
  auto reqs = server.Requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].Header("x-amz-date"), "20150830T123600Z");
  EXPECT_EQ(reqs[0]
                .Header("authorization")
                .rfind("AWS4-HMAC-SHA256 Credential=AKID/20150830/eu-west-1/sns/aws4_request, "
                       "SignedHeaders=content-type;host;x-amz-date, Signature=",
                       0),
            0u)
      << reqs[0].Header("authorization");
  EXPECT_NE(reqs[0].body.find("Action=Publish"), std::string::npos);
}

TEST(SnsPublishTest, ARejectedSignatureIsNotRetried) {
  TestHttpServer server(403);
  SnsSettings s{server.Url(""), "eu-west-1", "arn:aws:sns:eu-west-1:1:t", {"AKID", "SECRET", ""}};
  EXPECT_EQ(SnsPublish(s, "{}", "", 0).status().code(), StatusCode::kInvalidArgument);
}

TEST(SmtpSendTest, ARefusedConnectionIsRetryable) {
  // Port 1 on loopback: nothing listens there.
  Status s = SmtpSend({"smtp://127.0.0.1:1", false, false, "u", "hunter2", 2000}, "a@b", {"c@d"},
                      "Subject: x\r\n\r\nx\r\n");
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_EQ(s.ToString().find("hunter2"), std::string::npos);
}

TEST(SmtpSendTest, EnvelopeAddressTakesTheAngleBracketPart) {
  EXPECT_EQ(EnvelopeAddress("Ops <ops@shop.example>"), "<ops@shop.example>");
  EXPECT_EQ(EnvelopeAddress("ops@shop.example"), "<ops@shop.example>");
}

}  // namespace
}  // namespace ecompipe::notify
