// The API's route table and its OpenAPI document (runtime/api_service.h) name the same routes:
// every documented path is routed, and every route is documented.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <utility>

#include "common/json.h"
#include "runtime/api_service.h"

namespace ecompipe::runtime {
namespace {

TEST(ApiRoutesTest, TheOpenApiDocumentListsExactlyTheRoutes) {
  ApiContext api(nullptr);  // routes are only added, never called
  api::http::Router router;
  AddHealthRoutes(router, api);
  AddV1Routes(router, api);
  std::set<std::pair<std::string, std::string>> routed;
  for (const api::http::Route& r : router.routes()) {
    std::string method = r.method;
    for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    routed.emplace(method, r.pattern);
  }
  const Json doc = Json::parse(OpenApiDocument());
  std::set<std::pair<std::string, std::string>> documented;
  for (const auto& [path, item] : doc.at("paths").items())
    for (const auto& [method, op] : item.items()) documented.emplace(method, path);
  EXPECT_EQ(routed, documented);
}

TEST(ApiRoutesTest, EveryApiV1RouteButTheDocumentNeedsAToken) {
  ApiContext api(nullptr);
  api::http::Router router;
  AddV1Routes(router, api);
  for (const api::http::Route& r : router.routes()) {
    if (r.pattern == "/api/v1/openapi.json") continue;
    EXPECT_NE(r.access, api::http::Access::kPublic) << r.pattern;
    if (r.method != "GET") {
      EXPECT_EQ(r.access, api::http::Access::kOperator) << r.pattern;
    }
  }
}

}  // namespace
}  // namespace ecompipe::runtime
