// The API's route table (api/http/router.h) and its path checks (api/http/http_server.h).
#include "api/http/router.h"

#include <gtest/gtest.h>

#include "api/http/http_server.h"

namespace ecompipe::api::http {
namespace {

Response Ok(const Request&) { return Response::Json(200, {{"ok", true}}); }

TEST(RouterTest, MatchesLiteralsAndParameters) {
  Router r;
  ASSERT_TRUE(r.Add("GET", "/api/v1/runs", Access::kViewer, Ok).ok());
  ASSERT_TRUE(r.Add("GET", "/api/v1/runs/{id}", Access::kViewer, Ok).ok());
  ASSERT_TRUE(r.Add("POST", "/api/v1/notifications/{id}/redrive", Access::kOperator, Ok).ok());
  Router::Match m = r.Find("GET", "/api/v1/runs/jr_abc");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->pattern, "/api/v1/runs/{id}");
  EXPECT_EQ(m.params["id"], "jr_abc");
  EXPECT_EQ(r.Find("GET", "/api/v1/runs").route->pattern, "/api/v1/runs");
  EXPECT_EQ(r.Find("HEAD", "/api/v1/runs").route->pattern, "/api/v1/runs");
  EXPECT_EQ(r.Find("GET", "/api/v1/runs/").route, nullptr);  // an empty {id}
  EXPECT_EQ(r.Find("GET", "/api/v1/runs/a/b").route, nullptr);
  EXPECT_EQ(r.Find("GET", "/api/v1/run").route, nullptr);
  m = r.Find("GET", "/api/v1/notifications/n1/redrive");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_EQ(m.allowed, std::vector<std::string>{"POST"});
}

TEST(RouterTest, ALiteralSegmentWinsOverAParameter) {
  Router r;
  ASSERT_TRUE(r.Add("GET", "/api/v1/objects/{key}", Access::kViewer, Ok).ok());
  ASSERT_TRUE(r.Add("GET", "/api/v1/objects/summary", Access::kViewer, Ok).ok());
  EXPECT_EQ(r.Find("GET", "/api/v1/objects/summary").route->pattern, "/api/v1/objects/summary");
  EXPECT_EQ(r.Find("GET", "/api/v1/objects/x").route->pattern, "/api/v1/objects/{key}");
}

TEST(RouterTest, ARouteAddedTwiceOrWithoutASlashIsRefused) {
  Router r;
  ASSERT_TRUE(r.Add("GET", "/metrics", Access::kPublic, Ok).ok());
  EXPECT_FALSE(r.Add("GET", "/metrics", Access::kViewer, Ok).ok());
  EXPECT_TRUE(r.Add("POST", "/metrics", Access::kViewer, Ok).ok());
  EXPECT_FALSE(r.Add("GET", "metrics", Access::kViewer, Ok).ok());
}

TEST(RouterTest, PathTricksAreNotClean) {
  EXPECT_TRUE(IsCleanPath("/api/v1/runs"));
  EXPECT_TRUE(IsCleanPath("/api/v1/objects/transactions/2024/x..csv"));
  EXPECT_TRUE(IsCleanPath("/"));
  for (const std::string& bad :
       {std::string("/api/v1/../healthz"), std::string("/api/v1/./runs"), std::string("/.."),
        std::string("/api/v1/runs/.."), std::string("/api/v1/r\x00uns", 12),
        std::string("/api/v1/runs\r\nX-Forged: 1"), std::string("/api\\v1"), std::string(""),
        std::string("api/v1")})
    EXPECT_FALSE(IsCleanPath(bad)) << bad;
}

TEST(RouterTest, QueryValuesMayHoldEqualsSigns) {
  const std::multimap<std::string, std::string> q =
      ParseQuery("/api/v1/objects/trail?key=transactions/year=2026/x.csv&a=%41+b&flag&&c=");
  EXPECT_EQ(q.find("key")->second, "transactions/year=2026/x.csv");
  EXPECT_EQ(q.find("a")->second, "A b");
  EXPECT_EQ(q.count("flag"), 1u);
  EXPECT_EQ(q.find("c")->second, "");
  EXPECT_TRUE(ParseQuery("/api/v1/runs").empty());
}

TEST(RouterTest, ErrorsFromStatusUseTheirHttpStatus) {
  EXPECT_EQ(Response::FromStatus(Status::NotFound("x")).status, 404);
  EXPECT_EQ(Response::FromStatus(Status::InvalidArgument("x")).status, 400);
  EXPECT_EQ(Response::FromStatus(Status::Unavailable("x")).status, 503);
  EXPECT_EQ(Response::FromStatus(Status::Internal("x")).status, 500);
  EXPECT_EQ(Response::Error(400, "bad", "msg").body,
            "{\"error\":{\"code\":\"bad\",\"message\":\"msg\"}}\n");
}

}  // namespace
}  // namespace ecompipe::api::http
