#include "runtime/api_service.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <optional>

#include "api/dashboard/dashboard.h"
#include "common/json.h"
#include "common/time_util.h"
#include "runtime/dispatch_health.h"
#include "runtime/metrics_routes.h"
#include "runtime/views.h"

namespace ecompipe::runtime {

extern const char* const kOpenApiJson;
const char* OpenApiDocument() { return kOpenApiJson; }

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

namespace {

constexpr int kDefaultLimit = 50;
constexpr int kMaxLimit = 1000;

// A query parameter that must hold a value of some kind; the error names it and the value.
struct BadParameter {
  std::string message;
};

int LimitOf(const Request& req) {
  const std::optional<std::string> v = req.Query("limit");
  if (!v) return kDefaultLimit;
  int n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || p != v->data() + v->size() || n < 1 || n > kMaxLimit)
    throw BadParameter{"limit must be a number from 1 to " + std::to_string(kMaxLimit) + ", not '" +
                       *v + "'"};
  return n;
}

// Reads digits at `at` into `out`.
bool Digits(const std::string& s, size_t at, size_t n, int& out) {
  if (at + n > s.size()) return false;
  out = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

// An RFC 3339 time ("2026-11-26T08:00:00Z", with a fraction or an offset) or a date
// ("2026-11-26", its midnight UTC), as epoch milliseconds.
std::optional<int64_t> ParseTime(const std::string& s) {
  int y, mo, d, h = 0, mi = 0, sec = 0;
  if (!Digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !Digits(s, 5, 2, mo) || s[7] != '-' ||
      !Digits(s, 8, 2, d))
    return std::nullopt;
  int64_t ms = 0, offset_s = 0;
  if (s.size() > 10) {
    if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !Digits(s, 11, 2, h) || s.size() < 19 ||
        s[13] != ':' || !Digits(s, 14, 2, mi) || s[16] != ':' || !Digits(s, 17, 2, sec))
      return std::nullopt;
    size_t at = 19;
    if (at < s.size() && s[at] == '.') {
      int64_t scale = 100;
      for (++at; at < s.size() && s[at] >= '0' && s[at] <= '9'; ++at, scale /= 10)
        ms += (s[at] - '0') * scale;
    }
    if (at == s.size()) return std::nullopt;
    if (s[at] == 'Z' || s[at] == 'z') {
      ++at;
    } else if (s[at] == '+' || s[at] == '-') {
      int oh, om;
      if (!Digits(s, at + 1, 2, oh) || at + 3 >= s.size() || s[at + 3] != ':' ||
          !Digits(s, at + 4, 2, om))
        return std::nullopt;
      offset_s = (s[at] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
      at += 6;
    }
    if (at != s.size()) return std::nullopt;
  }
  std::optional<int64_t> epoch = UtcEpochSeconds(y, mo, d, h, mi, sec);
  if (!epoch) return std::nullopt;
  return (*epoch - offset_s) * 1000 + ms;
}

std::optional<int64_t> SinceOf(const Request& req) {
  const std::optional<std::string> v = req.Query("since");
  if (!v) return std::nullopt;
  std::optional<int64_t> ms = ParseTime(*v);
  if (!ms)
    throw BadParameter{"since must be an RFC 3339 time such as 2026-11-26T08:00:00Z, not '" + *v +
                       "'"};
  return ms;
}

std::string Param(const Request& req, const std::string& key) {
  return req.Query(key).value_or("");
}

// Runs `f`, answering a BadParameter as 400 and an error status as its HTTP status.
template <typename F>
Response Answer(F&& f) {
  try {
    Result<Json> r = f();
    if (!r.ok()) return Response::FromStatus(r.status());
    return Response::Json(200, *r);
  } catch (const BadParameter& e) {
    return Response::Error(400, "invalid_argument", e.message);
  }
}

}  // namespace

void AddV1Routes(api::http::Router& router, ApiContext& api) {
  auto get = [&router, &api](const std::string& pattern,
                             std::function<Result<Json>(Pipeline&, const Request&)> read) {
    (void)router.Add("GET", pattern, Access::kViewer, [&api, read](const Request& req) {
      return Answer([&] { return api.Read([&](Pipeline& p) { return read(p, req); }); });
    });
  };
  // The caller's token: its name and role (the dashboard shows operators their buttons).
  (void)router.Add("GET", "/api/v1/whoami", Access::kViewer, [](const Request& req) {
    return Response::Json(200, {{"name", req.principal},
                                {"role", req.role ? api::http::RoleName(*req.role) : ""}});
  });
  get("/api/v1/status", [](Pipeline& p, const Request&) -> Result<Json> {
    return views::Status(p, /*count_bucket=*/false);
  });
  get("/api/v1/runs", [](Pipeline& p, const Request& req) -> Result<Json> {
    RunFilter f;
    f.limit = LimitOf(req);
    f.job = Param(req, "job");
    f.cursor = Param(req, "cursor");
    if (std::optional<std::string> state = req.Query("state")) {
      f.state = ParseRunState(*state);
      if (!f.state)
        throw BadParameter{"state must be one of STARTING, RUNNING, SUCCEEDED, FAILED, STOPPED, "
                           "TIMEOUT, not '" + *state + "'"};
    }
    if (std::optional<int64_t> since = SinceOf(req)) f.since = FormatIsoMillis(*since);
    EP_ASSIGN_OR_RETURN(RunPage page, p.runs().List(f));
    Json runs = Json::array();
    for (const RunRecord& r : page.runs) {
      Json j = views::Run(r);
      j.erase("objects");
      runs.push_back(std::move(j));
    }
    return Json{{"runs", runs}, {"next_cursor", page.next_cursor}};
  });
  get("/api/v1/runs/{id}", [](Pipeline& p, const Request& req) -> Result<Json> {
    EP_ASSIGN_OR_RETURN(std::string id, p.runs().ResolveId(req.Param("id")));
    EP_ASSIGN_OR_RETURN(std::optional<RunRecord> run, p.runs().Get(id));
    if (!run) return Status::NotFound("no run " + id);
    size_t offset = 0;
    if (std::optional<std::string> cursor = req.Query("cursor")) {
      auto [end, ec] = std::from_chars(cursor->data(), cursor->data() + cursor->size(), offset);
      if (ec != std::errc() || end != cursor->data() + cursor->size())
        throw BadParameter{"not a cursor of this list: '" + *cursor + "'"};
    }
    return views::RunWithRejects(p, *run, offset, static_cast<size_t>(LimitOf(req)));
  });
  get("/api/v1/objects", [](Pipeline& p, const Request& req) -> Result<Json> {
    return views::LedgerObjects(p, Param(req, "prefix"), Param(req, "cursor"), LimitOf(req));
  });
  get("/api/v1/objects/trail", [](Pipeline& p, const Request& req) -> Result<Json> {
    const std::string key = Param(req, "key");
    if (key.empty()) throw BadParameter{"give the object's key: ?key=transactions/..."};
    return views::Trail(p, key);
  });
  get("/api/v1/events", [](Pipeline& p, const Request& req) -> Result<Json> {
    events::EventFilter f;
    f.limit = LimitOf(req);
    if (std::optional<std::string> type = req.Query("detail-type")) f.detail_type = *type;
    if (std::optional<int64_t> since = SinceOf(req)) f.since = FormatIsoSeconds(*since);
    if (std::optional<std::string> cursor = req.Query("cursor")) {
      int64_t seq = 0;
      auto [end, ec] = std::from_chars(cursor->data(), cursor->data() + cursor->size(), seq);
      if (ec != std::errc() || end != cursor->data() + cursor->size())
        throw BadParameter{"not a cursor of this list: '" + *cursor + "'"};
      f.before_seq = seq;
    }
    ++f.limit;
    EP_ASSIGN_OR_RETURN(std::vector<events::StoredEvent> list,
                        p.bus().WithLog([&](events::EventLog& l) { return l.List(f); }));
    Json items = Json::array();
    std::string next;
    for (size_t i = 0; i < list.size() && i + 1 < static_cast<size_t>(f.limit); ++i) {
      items.push_back(views::Event(list[i]));
      if (list.size() == static_cast<size_t>(f.limit)) next = std::to_string(list[i].seq);
    }
    return Json{{"events", items}, {"next_cursor", next}};
  });
  get("/api/v1/rejects", [](Pipeline& p, const Request& req) -> Result<Json> {
    views::RejectFilter f;
    f.reason = Param(req, "reason");
    if (std::optional<std::string> object = req.Query("object")) {
      EP_ASSIGN_OR_RETURN(f.object, views::ResolveObjectKey(p.warehouse(), *object));
    }
    if (std::optional<std::string> run = req.Query("run")) {
      EP_ASSIGN_OR_RETURN(f.run, p.runs().ResolveId(*run));
    }
    int64_t after = 0;
    if (std::optional<std::string> cursor = req.Query("cursor")) {
      auto [end, ec] = std::from_chars(cursor->data(), cursor->data() + cursor->size(), after);
      if (ec != std::errc() || end != cursor->data() + cursor->size())
        throw BadParameter{"not a cursor of this list: '" + *cursor + "'"};
    }
    return views::Rejects(p, f, LimitOf(req), after);
  });
  get("/api/v1/catalog", [](Pipeline& p, const Request& req) -> Result<Json> {
    EP_ASSIGN_OR_RETURN(Json tables, views::Catalog(p, Param(req, "table")));
    return Json{{"tables", tables}};
  });
  get("/api/v1/notifications", [](Pipeline& p, const Request& req) -> Result<Json> {
    std::optional<notify::NotificationStatus> only;
    if (std::optional<std::string> status = req.Query("status")) {
      only = notify::ParseNotificationStatus(*status);
      if (!only)
        throw BadParameter{"status must be one of pending, delivered, dead, not '" + *status +
                           "'"};
    }
    EP_ASSIGN_OR_RETURN(std::vector<notify::NotificationRecord> list,
                        p.notifier().List(LimitOf(req), only));
    Json items = Json::array();
    for (const auto& n : list) items.push_back(views::Notification(n));
    return Json{{"notifications", items}};
  });
  (void)router.Add(
      "POST", "/api/v1/notifications/{id}/redrive", Access::kOperator,
      [&api](const Request& req) {
        const std::string id = req.Param("id");
        Result<int> n = api.Read([&](Pipeline& p) { return p.notifier().Redrive(id); });
        if (!n.ok()) return Response::FromStatus(n.status());
        if (*n == 0)
          return Response::Error(404, "not_found", "notification " + id + " is not a dead letter");
        return Response::Json(200, {{"id", id}, {"redriven", *n}, {"status", "pending"}});
      });
  (void)router.Add("GET", "/api/v1/openapi.json", Access::kPublic, [](const Request&) {
    return Response{200, "application/json", OpenApiDocument(), {}};
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
  EP_RETURN_IF_ERROR(api::dashboard::AddDashboardRoutes(router));
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
