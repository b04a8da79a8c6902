// The route table of ecompipe's HTTP API server (api/http/http_server.h): what a route is, how a
// path is matched to one, and what a handler receives and answers.
//
// A route is a method, a path pattern, the access it needs and a handler:
//
//   router.Add("GET", "/api/v1/runs/{id}", Access::kViewer, [&](const Request& req) {
//     return Response::Json(200, runs.Describe(req.Param("id")));
//   });
//
// A pattern is literal segments and `{name}` segments, each matching one non-empty segment
// whose value the handler reads with Param(). Handlers run on the server's worker threads, many
// at a time, so what they touch must be thread-safe; they answer errors as values
// (Response::Error), never by throwing. The server checks the access before the handler runs
// (public: anyone; viewer: any valid token; operator: a token with the operator role) and
// records every call that is not a GET or HEAD in the audit log.
//
// Thread-safety: Add() before the server starts; Find() and routes() from any thread after.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/json.h"
#include "common/status.h"

namespace ecompipe::api::http {

// Who may call a route. Roles are ordered: an operator may do what a viewer may.
enum class Access { kPublic, kViewer, kOperator };
enum class Role { kViewer, kOperator };
std::string_view AccessName(Access access);  // public, viewer, operator
std::string_view RoleName(Role role);        // viewer, operator
std::optional<Role> ParseRole(std::string_view name);

struct Request {
  std::string method;
  std::string path;  // percent-decoded, checked (HttpServer refuses '.', '..', NUL, controls)
  std::map<std::string, std::string> params;        // the pattern's {name} segments
  std::multimap<std::string, std::string> query;    // decoded query parameters
  std::multimap<std::string, std::string> headers;  // names as sent (compare case-blind)
  std::string body;
  std::string client_address;  // the peer's IP address
  std::string principal;       // the token's name; empty on a public route called without one
  std::optional<Role> role;    // the token's role, when one was given and valid

  // The {name} segment's value ("" when the pattern has none).
  std::string Param(const std::string& name) const;
  // The first value of query parameter `key`, or nullopt.
  std::optional<std::string> Query(const std::string& key) const;
  // The first value of header `name` (case-blind), or "".
  std::string Header(const std::string& name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  // `value` as JSON text (invalid UTF-8 replaced), with a final line feed.
  static Response Json(int status, const ::ecompipe::Json& value);
  // {"error": {"code": code, "message": message}}.
  static Response Error(int status, const std::string& code, const std::string& message);
  // The error answer for `s`: 404 kNotFound, 400 kInvalidArgument, 409 kAlreadyExists, 503
  // kUnavailable/kTimeout, 500 otherwise.
  static Response FromStatus(const Status& s);
};

using Handler = std::function<Response(const Request&)>;

struct Route {
  std::string method;   // GET, POST, PUT, DELETE
  std::string pattern;  // "/api/v1/runs/{id}"
  Access access = Access::kViewer;
  Handler handler;
  std::vector<std::string> segments;  // the pattern cut at '/'
};

class Router {
 public:
  // Adds a route. A pattern must start with '/'; adding the same method and pattern twice is a
  // bug (kInvalidArgument).
  Status Add(std::string method, std::string pattern, Access access, Handler handler);

  struct Match {
    const Route* route = nullptr;  // null: no route of this method matches
    std::map<std::string, std::string> params;
    std::vector<std::string> allowed;  // when route is null: methods that match the path (405)
  };
  // The route for `method` and `path`; a literal segment wins over a {name} at the same place.
  Match Find(const std::string& method, const std::string& path) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

// `path` cut at '/', without the empty first segment ("/a/b" -> {"a", "b"}; "/" -> {}).
std::vector<std::string> PathSegments(std::string_view path);

}  // namespace ecompipe::api::http
