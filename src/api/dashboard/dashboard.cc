#include "api/dashboard/dashboard.h"

#include <string>
#include <string_view>

#include "api/dashboard/embedded_files.h"

namespace ecompipe::api::dashboard {
namespace {

std::string_view ContentType(std::string_view name) {
  if (name.ends_with(".html")) return "text/html; charset=utf-8";
  if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (name.ends_with(".css")) return "text/css; charset=utf-8";
  return "application/octet-stream";
}

const EmbeddedFile* Find(std::string_view name) {
  for (size_t i = 0; i < kEmbeddedFileCount; ++i) {
    if (kEmbeddedFiles[i].name == name) return &kEmbeddedFiles[i];
  }
  return nullptr;
}

http::Response Serve(std::string_view name) {
  const EmbeddedFile* file = Find(name);
  if (file == nullptr) {
    return http::Response::Error(404, "NotFound", "no dashboard file " + std::string(name));
  }
  http::Response r;
  r.content_type = std::string(ContentType(name));
  r.body = std::string(file->data);
  // The page loads only its own scripts and talks only to its own server; it is never framed.
  // no-cache: the files change with the binary, so the browser asks again (cheap, local).
  r.headers = {{"Content-Security-Policy",
                "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"},
               {"X-Content-Type-Options", "nosniff"},
               {"X-Frame-Options", "DENY"},
               {"Referrer-Policy", "no-referrer"},
               {"Cache-Control", "no-cache"}};
  return r;
}

}  // namespace

Status AddDashboardRoutes(http::Router& router) {
  EP_RETURN_IF_ERROR(router.Add("GET", "/", http::Access::kPublic,
                                [](const http::Request&) { return Serve("index.html"); }));
  EP_RETURN_IF_ERROR(router.Add("GET", "/assets/{name}", http::Access::kPublic,
                                [](const http::Request& req) { return Serve(req.Param("name")); }));
  return Status::Ok();
}

}  // namespace ecompipe::api::dashboard
