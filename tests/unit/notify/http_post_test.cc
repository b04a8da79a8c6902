#include "notify/http_post.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "test_http_server.h"

namespace ecompipe::notify {
namespace {

using ::testing::HasSubstr;
using testing_util::HttpRequest;
using testing_util::TestHttpServer;
using testing_util::UnusedPort;

const std::vector<std::pair<std::string, std::string>> kJson = {
    {"Content-Type", "application/json"}};

TEST(HttpPostTest, PostsTheBodyAndHeaders) {
  TestHttpServer server(200);
  server.SetResponseBody("thanks");
  Result<HttpResponse> r =
      HttpPost(server.Url("/hooks/ecompipe"), R"({"a":1})",
               {{"Content-Type", "application/json"}, {"X-Ecompipe-Delivery", "d-1"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "thanks");
  std::vector<HttpRequest> reqs = server.Requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].target, "/hooks/ecompipe");
  EXPECT_EQ(reqs[0].body, R"({"a":1})");
  EXPECT_EQ(reqs[0].Header("Content-Type"), "application/json");
  EXPECT_EQ(reqs[0].Header("X-Ecompipe-Delivery"), "d-1");
  EXPECT_EQ(reqs[0].Header("User-Agent"), "ecompipe/0.1");
}

TEST(HttpPostTest, AnyTwoHundredIsSuccess) {
  for (int status : {201, 204}) {
    TestHttpServer server(status);
    Result<HttpResponse> r = HttpPost(server.Url(), "{}", kJson);
    ASSERT_TRUE(r.ok()) << status << ": " << r.status().ToString();
    EXPECT_EQ(r->status, status);
  }
}

TEST(HttpPostTest, ServerErrorsAndThrottlingAreUnavailable) {
  for (int status : {500, 503, 429, 408}) {
    TestHttpServer server(status);
    Result<HttpResponse> r = HttpPost(server.Url(), "{}", kJson);
    ASSERT_FALSE(r.ok()) << status;
    EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << status;
    EXPECT_TRUE(r.status().retryable());
    EXPECT_THAT(r.status().message(), HasSubstr("HTTP " + std::to_string(status)));
    EXPECT_THAT(r.status().message(), HasSubstr(server.Url()));
  }
}

TEST(HttpPostTest, ClientErrorsAndRedirectsAreInvalidArgument) {
  for (int status : {400, 404, 301}) {
    TestHttpServer server(status);
    Result<HttpResponse> r = HttpPost(server.Url(), "{}", kJson);
    ASSERT_FALSE(r.ok()) << status;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << status;
    EXPECT_FALSE(r.status().retryable());
    EXPECT_THAT(r.status().message(), HasSubstr("HTTP " + std::to_string(status)));
  }
}

TEST(HttpPostTest, ConnectionRefusedIsUnavailable) {
  std::string url = "http://127.0.0.1:" + std::to_string(UnusedPort()) + "/hook";
  Result<HttpResponse> r = HttpPost(url, "{}", kJson);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(), HasSubstr(url));
}

TEST(HttpPostTest, ASilentServerIsATimeout) {
  TestHttpServer server(200);
  server.SetHang(true);
  Result<HttpResponse> r = HttpPost(server.Url(), "{}", kJson, {.timeout_ms = 300});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kTimeout);
  EXPECT_TRUE(r.status().retryable());
}

TEST(HttpPostTest, SchemesOtherThanHttpAreRefused) {
  for (const char* url : {"file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1/"}) {
    Result<HttpResponse> r = HttpPost(url, "{}", kJson);
    ASSERT_FALSE(r.ok()) << url;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument)
        << url << ": " << r.status().ToString();
  }
}

TEST(HttpPostTest, AMalformedUrlIsInvalidArgument) {
  Result<HttpResponse> r = HttpPost("http://[::1", "{}", kJson);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
}

// Regression: a value holding CR/LF (a rule name from the configuration, say) was passed to
// curl as is and could inject headers into the request.
TEST(HttpPostTest, AHeaderWithALineBreakIsRefusedBeforeSending) {
  TestHttpServer server(200);
  Result<HttpResponse> r =
      HttpPost(server.Url(), "{}", {{"X-Ecompipe-Rule", "r\r\nX-Injected: yes"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("X-Ecompipe-Rule"));
  EXPECT_TRUE(server.Requests().empty());
}

// Regression: curl sent "Expect: 100-continue" for larger bodies and waited a second for a
// "100 Continue" that simple receivers never send.
TEST(HttpPostTest, ALargeBodyIsSentWithoutExpectContinue) {
  TestHttpServer server(204);
  const std::string body = "[" + std::string(2 << 20, ' ') + "]";
  Result<HttpResponse> r = HttpPost(server.Url(), body, kJson);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::vector<HttpRequest> reqs = server.Requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].body.size(), body.size());
  EXPECT_EQ(reqs[0].body, body);
  EXPECT_FALSE(reqs[0].HasHeader("Expect"));
}

TEST(HttpPostTest, TheResponseBodyIsCappedAt4KiB) {
  TestHttpServer server(200);
  server.SetResponseBody(std::string(10000, 'x'));
  Result<HttpResponse> r = HttpPost(server.Url(), "{}", kJson);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, std::string(4096, 'x'));
}

TEST(HttpPostTest, AnEmptyBodyIsSentWithZeroLength) {
  TestHttpServer server(200);
  ASSERT_TRUE(HttpPost(server.Url(), "", {}).ok());
  std::vector<HttpRequest> reqs = server.Requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].Header("Content-Length"), "0");
  EXPECT_EQ(reqs[0].body, "");
}

}  // namespace
}  // namespace ecompipe::notify
