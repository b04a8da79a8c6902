#include "runtime/api_service.h"

#include <spdlog/spdlog.h>

#include "common/json.h"
#include "runtime/dispatch_health.h"
#include "runtime/metrics_routes.h"
#include "runtime/views.h"

namespace ecompipe::runtime {
namespace {

using api::http::Access;
using api::http::Request;
using api::http::Response;

// Appends the audit record of a mutating call to the event log ("API Call", source
// ecompipe.api), so `ecompipe events` shows who did what, when. Rules may route it like any
// event.
void RecordCall(ApiContext& api, const api::http::AuditRecord& a) {
  Json detail = {{"principal", a.principal},
                 {"role", a.role},
                 {"method", a.method},
                 {"path", a.path},
                 {"clientAddress", a.client_address},
                 {"status", a.status}};
  Json event = events::MakeEvent(api.config().origin, "ecompipe.api", "API Call", Json::array(),
                                 std::move(detail));
  Result<int64_t> seq = api.Read([&](Pipeline& p) { return p.bus().Put(event); });
  if (!seq.ok())
    spdlog::error("Cannot record an API call in the event log. who={} method={} path={} error={}",
                  a.principal, a.method, a.path, seq.status().ToString());
}

}  // namespace

void AddHealthRoutes(api::http::Router& router, ApiContext& api) {
  (void)router.Add("GET", "/healthz", Access::kPublic, [](const Request&) {
    return Response::Json(200, {{"status", "ok"}});
  });
  (void)router.Add("GET", "/readyz", Access::kPublic, [&api](const Request&) {
    Json checks = Json::object();
    bool ready = true;
    api.Read([&](Pipeline& p) {
      Result<int64_t> pending =
          p.bus().WithLog([](events::EventLog& l) { return l.PendingCount(); });
      checks["state"] = pending.ok() ? "ok" : pending.status().message();
      Result<warehouse::WarehouseTotals> totals = p.warehouse().Totals();
      checks["warehouse"] = totals.ok() ? "ok" : totals.status().message();
      ready = pending.ok() && totals.ok();
      return 0;
    });
    if (std::optional<Json> serve =
            ReadDispatchHealth(DispatchHealthFile(api.config().state.path))) {
      const std::string state = serve->value("state", "");
      checks["serve"] = state == "degraded" ? serve->value("error", state) : "ok";
      if (state == "degraded") ready = false;
    }
    return Response::Json(ready ? 200 : 503,
                          {{"status", ready ? "ready" : "not_ready"}, {"checks", checks}});
  });
}

void AddV1Routes(api::http::Router& router, ApiContext& api) {
  (void)router.Add("GET", "/api/v1/status", Access::kViewer, [&api](const Request&) {
    return Response::Json(200, api.Read([](Pipeline& p) { return views::Status(p); }));
  });
  (void)router.Add(
      "POST", "/api/v1/notifications/{id}/redrive", Access::kOperator, [&api](const Request& req) {
        const std::string id = req.Param("id");
        Result<int> n = api.Read([&](Pipeline& p) { return p.notifier().Redrive(id); });
        if (!n.ok()) return Response::FromStatus(n.status());
        if (*n == 0)
          return Response::Error(404, "not_found", "notification " + id + " is not a dead letter");
        return Response::Json(200, {{"id", id}, {"redriven", *n}, {"status", "pending"}});
      });
}

Result<std::unique_ptr<ApiService>> ApiService::Start(const PipelineConfig& config,
                                                      metrics::Metrics& metrics) {
  if (!config.api.enabled) return std::unique_ptr<ApiService>();
  EP_ASSIGN_OR_RETURN(std::unique_ptr<Pipeline> reader, Pipeline::Open(config));
  std::unique_ptr<ApiService> s(new ApiService());
  s->context_ = std::make_unique<ApiContext>(std::move(reader));
  ApiContext& api = *s->context_;
  // The route table: every route the server knows is added here.
  api::http::Router router;
  AddHealthRoutes(router, api);
  AddV1Routes(router, api);
  EP_RETURN_IF_ERROR(AddMetricsRoutes(router, config, metrics));
  EP_ASSIGN_OR_RETURN(s->server_,
                      api::http::HttpServer::Start(
                          config.api, std::move(router),
                          [&api](const api::http::AuditRecord& a) { RecordCall(api, a); }));
  return s;
}

ApiService::~ApiService() { Stop(); }

void ApiService::Stop() {
  if (server_) server_->Stop();
}

Status ApiService::Reload(const PipelineConfig& next) {
  const api::http::ApiConfig& now = context_->config().api;
  if (!next.api.enabled || next.api.host != now.host || next.api.port != now.port ||
      next.api.tls.has_value() != now.tls.has_value() ||
      next.api.metrics_access != now.metrics_access)
    spdlog::warn(
        "The api section's listen, tls or metrics changed; they take effect after a restart, the "
        "running ones stay.");
  if (!next.api.enabled) return Status::Ok();
  EP_RETURN_IF_ERROR(server_->ReloadTokens(next.api.tokens));
  spdlog::info("API tokens reloaded. tokens={}", next.api.tokens.size());
  return Status::Ok();
}

}  // namespace ecompipe::runtime
