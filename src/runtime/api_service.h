// ApiService: the HTTP API of a serving pipeline (docs/operations.md). `serve` starts it when
// ecompipe.yaml has an `api` section: it opens the pipeline's stores a second time, for the
// API's reads only (connections of its own, so a request never touches the dispatcher's), builds
// the route table and starts the server (api/http/http_server.h).
//
// Adding a route: write a function that adds it to the router, next to the code it serves, and
// call it from ApiService::Start (api_service.cc, "the route table"):
//
//   void AddMetricsRoutes(api::http::Router& router, ApiContext& api) {
//     (void)router.Add("GET", "/metrics", api.config().api.metrics_access,
//                      [&api](const api::http::Request&) {
//                        return api::http::Response{200, "text/plain; version=0.0.4", Render()};
//                      });
//   }
//
// Handlers run on the server's worker threads, several at a time: read the stores through
// ApiContext::Read, which lends the reader pipeline to one handler at a time.
//
// Thread-safety: Start(), Reload() and Stop() from the serving thread; handlers as above.
#pragma once

#include <functional>
#include <memory>
#include <mutex>

#include "api/http/http_server.h"
#include "api/http/router.h"
#include "common/status.h"
#include "runtime/config.h"
#include "runtime/pipeline.h"

namespace ecompipe::runtime {

// What route handlers share: the configuration serve started with and the reader pipeline.
class ApiContext {
 public:
  explicit ApiContext(std::unique_ptr<Pipeline> reader) : reader_(std::move(reader)) {}
  const PipelineConfig& config() const { return reader_->config(); }
  // Runs `f` with the reader pipeline, serialised with every other handler's use of it.
  template <typename F>
  auto Read(F&& f) {
    std::lock_guard lock(mu_);
    return f(*reader_);
  }

 private:
  std::mutex mu_;
  std::unique_ptr<Pipeline> reader_;
};

// /healthz (the process answers) and /readyz (the state store and the warehouse answer, and the
// serve loop is not degraded); both public.
void AddHealthRoutes(api::http::Router& router, ApiContext& api);

// /api/v1/: the JSON API (docs/operations.md, and its OpenAPI document at
// /api/v1/openapi.json).
void AddV1Routes(api::http::Router& router, ApiContext& api);

// The OpenAPI 3 document of the API: src/runtime/openapi.json, compiled in.
const char* OpenApiDocument();

class ApiService {
 public:
  // Null when the configuration has no `api` section. Errors: the stores cannot be opened, a
  // token cannot be read, the address cannot be bound.
  // `metrics` are the serving pipeline's counters, which /metrics shows (runtime/metrics_routes.h).
  static Result<std::unique_ptr<ApiService>> Start(const PipelineConfig& config,
                                                   metrics::Metrics& metrics);
  ~ApiService();
  void Stop();
  int port() const { return server_->port(); }
  // A reloaded configuration: the tokens are read again (their variables and files) and the
  // token list replaced; listen, tls, metrics and the limits need a restart (logged when they
  // changed). On error the running tokens stay.
  Status Reload(const PipelineConfig& next);

 private:
  ApiService() = default;
  std::unique_ptr<ApiContext> context_;
  std::unique_ptr<api::http::HttpServer> server_;
};

}  // namespace ecompipe::runtime
