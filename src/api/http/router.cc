#include "api/http/router.h"

#include <algorithm>
#include <cctype>

#include "common/enum_names.h"

namespace ecompipe::api::http {
namespace {

constexpr EnumNames<Access, 3> kAccessNames{{{
    {Access::kPublic, "public"},
    {Access::kViewer, "viewer"},
    {Access::kOperator, "operator"},
}}};
constexpr EnumNames<Role, 2> kRoleNames{{{
    {Role::kViewer, "viewer"},
    {Role::kOperator, "operator"},
}}};

bool IsParam(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

bool CaseBlindEqual(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::string_view AccessName(Access access) { return kAccessNames.Name(access); }
std::string_view RoleName(Role role) { return kRoleNames.Name(role); }
std::optional<Role> ParseRole(std::string_view name) { return kRoleNames.Parse(name); }

std::string Request::Param(const std::string& name) const {
  auto it = params.find(name);
  return it == params.end() ? "" : it->second;
}

std::optional<std::string> Request::Query(const std::string& key) const {
  auto it = query.find(key);
  if (it == query.end()) return std::nullopt;
  return it->second;
}

std::string Request::Header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (CaseBlindEqual(k, name)) return v;
  return "";
}

Response Response::Json(int status, const ::ecompipe::Json& value) {
  Response r;
  r.status = status;
  r.body = value.dump(-1, ' ', false, ::ecompipe::Json::error_handler_t::replace) + "\n";
  return r;
}

Response Response::Error(int status, const std::string& code, const std::string& message) {
  return Json(status, {{"error", {{"code", code}, {"message", message}}}});
}

Response Response::FromStatus(const Status& s) {
  switch (s.code()) {
    case StatusCode::kNotFound:
      return Error(404, "not_found", s.message());
    case StatusCode::kInvalidArgument:
      return Error(400, "invalid_argument", s.message());
    case StatusCode::kAlreadyExists:
      return Error(409, "conflict", s.message());
    case StatusCode::kUnavailable:
    case StatusCode::kTimeout:
      return Error(503, "unavailable", s.message());
    default:
      return Error(500, "internal", s.message());
  }
}

std::vector<std::string> PathSegments(std::string_view path) {
  std::vector<std::string> out;
  size_t at = path.starts_with('/') ? 1 : 0;
  if (at >= path.size()) return out;
  for (;;) {
    const size_t slash = path.find('/', at);
    out.emplace_back(path.substr(at, slash == std::string_view::npos ? path.npos : slash - at));
    if (slash == std::string_view::npos) break;
    at = slash + 1;
  }
  return out;
}

Status Router::Add(std::string method, std::string pattern, Access access, Handler handler) {
  if (!pattern.starts_with('/'))
    return Status::InvalidArgument("route pattern '" + pattern + "' must start with '/'");
  for (const Route& r : routes_)
    if (r.method == method && r.pattern == pattern)
      return Status::InvalidArgument("route " + method + " " + pattern + " is registered twice");
  Route r{std::move(method), std::move(pattern), access, std::move(handler), {}};
  r.segments = PathSegments(r.pattern);
  routes_.push_back(std::move(r));
  return Status::Ok();
}

Router::Match Router::Find(const std::string& method, const std::string& path) const {
  const std::vector<std::string> segments = PathSegments(path);
  Match best;
  int best_literals = -1;
  for (const Route& r : routes_) {
    if (r.segments.size() != segments.size()) continue;
    std::map<std::string, std::string> params;
    int literals = 0;
    bool match = true;
    for (size_t i = 0; i < segments.size() && match; ++i) {
      if (IsParam(r.segments[i])) {
        match = !segments[i].empty();
        if (match) params[r.segments[i].substr(1, r.segments[i].size() - 2)] = segments[i];
      } else {
        match = r.segments[i] == segments[i];
        ++literals;
      }
    }
    if (!match) continue;
    const bool same_method = r.method == method || (method == "HEAD" && r.method == "GET");
    if (!same_method) {
      if (std::find(best.allowed.begin(), best.allowed.end(), r.method) == best.allowed.end())
        best.allowed.push_back(r.method);
      continue;
    }
    if (literals > best_literals) {
      best_literals = literals;
      best.route = &r;
      best.params = std::move(params);
    }
  }
  return best;
}

}  // namespace ecompipe::api::http
