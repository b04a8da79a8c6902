#include "api/http/http_server.h"

#include <httplib.h>

#include <spdlog/spdlog.h>

#include <chrono>
#include <exception>

#include "api/http/internal/request_engine.h"
#include "common/time_util.h"

namespace ecompipe::api::http {
namespace {

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void Send(httplib::Response& res, const Response& r) {
  res.status = r.status;
  for (const auto& [k, v] : r.headers) res.set_header(k, v);
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_content(r.body, r.content_type.c_str());
}

}  // namespace

std::multimap<std::string, std::string> ParseQuery(const std::string& target) {
  std::multimap<std::string, std::string> out;
  const size_t q = target.find('?');
  if (q == std::string::npos) return out;
  const std::string query = target.substr(q + 1);
  size_t at = 0;
  while (at <= query.size()) {
    size_t amp = query.find('&', at);
    if (amp == std::string::npos) amp = query.size();
    const std::string pair = query.substr(at, amp - at);
    if (!pair.empty()) {
      const size_t eq = pair.find('=');
      out.emplace(httplib::detail::decode_url(pair.substr(0, eq), true),
                  eq == std::string::npos ? ""
                                          : httplib::detail::decode_url(pair.substr(eq + 1), true));
    }
    at = amp + 1;
  }
  return out;
}

bool IsCleanPath(const std::string& path) {
  if (path.empty() || path[0] != '/') return false;
  for (const char c : path) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '\\') return false;
  }
  for (const std::string& s : PathSegments(path))
    if (s == "." || s == "..") return false;
  return true;
}

class HttpServer::Engine final : public RequestEngine {};

HttpServer::HttpServer(const ApiConfig& config, Router router, AuditFn audit)
    : config_(config), router_(std::move(router)), audit_(std::move(audit)) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Stop() {
  if (acceptor_) acceptor_->Stop();
}

Status HttpServer::ReloadTokens(const std::vector<ApiTokenConfig>& tokens) {
  EP_ASSIGN_OR_RETURN(std::vector<TokenAuth::Token> resolved, auth_.Resolve(tokens));
  auth_.SetTokens(std::move(resolved));
  config_.tokens = tokens;
  return Status::Ok();
}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const ApiConfig& config, Router router,
                                                      AuditFn audit) {
  std::unique_ptr<HttpServer> s(new HttpServer(config, std::move(router), std::move(audit)));
  EP_ASSIGN_OR_RETURN(std::vector<TokenAuth::Token> tokens, s->auth_.Resolve(config.tokens));
  s->auth_.SetTokens(std::move(tokens));
  if (config.tls)
    return Status::InvalidArgument(
        "api.tls: TLS is not supported by this build's API server yet; serve plain HTTP on "
        "127.0.0.1 behind a TLS proxy (docs/operations.md)");
  s->engine_ = std::make_unique<Engine>();
  Engine& srv = *s->engine_;
  srv.set_keep_alive_timeout(
      std::max<time_t>(1, static_cast<time_t>(config.limits.idle_timeout_ms / 1000)));
  srv.set_payload_max_length(kMaxBodyBytes);
  // httplib's own refusals (a body over the limit, a malformed request) as JSON.
  srv.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    const std::string message = res.status == 413   ? "the request body is too large"
                                : res.status == 414 ? "the request target is too long"
                                                    : "the request is malformed";
    Send(res, Response::Error(res.status, "bad_request", message));
  });
  // cpp-httplib reads the body of a POST, PUT, PATCH or DELETE that has neither Content-Length
  // nor chunked Transfer-Encoding until the client closes: such a request has no body here.
  srv.set_pre_routing_handler([](const httplib::Request& req, httplib::Response&) {
    if (!req.has_header("Content-Length") && !req.has_header("Transfer-Encoding"))
      const_cast<httplib::Request&>(req).set_header("Content-Length", "0");
    return httplib::Server::HandlerResponse::Unhandled;
  });
  HttpServer* self = s.get();
  auto serve = [self](const httplib::Request& req, httplib::Response& res) {
    const int64_t started = SteadyMs();
    Request r;
    r.method = req.method;
    r.path = req.path;
    r.client_address = req.remote_addr;
    Response out;
    std::string principal;
    if (!IsCleanPath(req.path)) {
      out = Response::Error(400, "bad_path",
                            "the path holds '.', '..', a NUL, a control character or a backslash");
    } else {
      Router::Match m = self->router_.Find(req.method, req.path);
      if (!m.route) {
        if (m.allowed.empty()) {
          out = Response::Error(404, "not_found", "no such path; see /api/v1/openapi.json");
        } else {
          std::string allow;
          for (const std::string& a : m.allowed) allow += (allow.empty() ? "" : ", ") + a;
          out = Response::Error(405, "method_not_allowed", "allowed: " + allow);
          out.headers.emplace_back("Allow", allow);
        }
      } else {
        TokenAuth::Verdict v = self->auth_.Check(req.get_header_value("Authorization"),
                                                 req.remote_addr, m.route->access, SteadyMs());
        principal = v.principal;
        if (v.status != 200) {
          const char* code = v.status == 401   ? "unauthorized"
                             : v.status == 403 ? "forbidden"
                                               : "too_many_requests";
          out = Response::Error(v.status, code, v.message);
          if (v.status == 401) out.headers.emplace_back("WWW-Authenticate", "Bearer");
          if (v.status == 429)
            out.headers.emplace_back("Retry-After", std::to_string(v.retry_after_s));
        } else {
          r.params = std::move(m.params);
          r.query = ParseQuery(req.target);
          for (const auto& [k, v2] : req.headers)
            if (k != "Authorization") r.headers.emplace(k, v2);
          r.body = req.body;
          r.principal = v.principal;
          r.role = v.role;
          try {
            out = m.route->handler(r);
          } catch (const std::exception& e) {
            out = Response::Error(500, "internal", e.what());
          }
          if (req.method != "GET" && req.method != "HEAD" && self->audit_) {
            self->audit_(
                AuditRecord{v.principal, v.role ? std::string(RoleName(*v.role)) : std::string(),
                            req.method, req.path, req.remote_addr, out.status, NowMillis()});
          }
        }
      }
    }
    Send(res, out);
    const int64_t ms = SteadyMs() - started;
    if (out.status >= 500) {
      spdlog::error("API request failed. method={} path={} status={} who={} address={} ms={}",
                    req.method, EscapedForLog(req.path.substr(0, 512)), out.status, principal,
                    req.remote_addr, ms);
    } else {
      spdlog::debug("API request. method={} path={} status={} who={} address={} ms={}", req.method,
                    EscapedForLog(req.path.substr(0, 512)), out.status, principal, req.remote_addr,
                    ms);
    }
  };
  srv.Get(R"([\s\S]*)", serve);
  srv.Post(R"([\s\S]*)", serve);
  srv.Put(R"([\s\S]*)", serve);
  srv.Delete(R"([\s\S]*)", serve);
  srv.Patch(R"([\s\S]*)", serve);
  srv.Options(R"([\s\S]*)", serve);
  Result<std::unique_ptr<ConnectionAcceptor>> acceptor = ConnectionAcceptor::Start(
      config.host, config.port, config.limits,
      [self](AcceptedConnection& c) {
        return self->engine_->ServeOne(c, self->config_.limits.body_timeout_ms);
      },
      {.name = "API"});
  if (!acceptor.ok())
    return Status::Unavailable("api: " + acceptor.status().message() +
                               " (in use, or not an address of this machine); change api.listen");
  s->acceptor_ = std::move(*acceptor);
  s->port_ = s->acceptor_->port();
  spdlog::info("API listening. address={}:{} tokens={} workers={} max_connections={} tls={}",
               config.host, s->port_, config.tokens.size(), config.limits.workers,
               config.limits.max_connections, config.tls ? "on" : "off");
  return s;
}

}  // namespace ecompipe::api::http
