#include "api/http/internal/request_engine.h"

#include <fmt/format.h>

#include "api/http/internal/connection_stream.h"

namespace ecompipe::api::http {
namespace {

// Set by the post-routing hook when the answer says "Connection: close" (a handler's refusal of
// a request whose body it did not read); read by ServeOne on the same thread.
thread_local bool t_answer_closes = false;

}  // namespace

RequestEngine::RequestEngine() {
  set_keep_alive_max_count(kMaxRequestsPerConnection);
  set_post_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (res.get_header_value("Connection") == "close") t_answer_closes = true;
    if (answered_) answered_(req, res);
  });
}

std::string EscapedForLog(std::string_view text) {
  std::string out;
  for (const char ch : text) {
    const auto u = static_cast<unsigned char>(ch);
    if (u < 0x20 || u == 0x7f || ch == '\\')
      out += fmt::format("\\x{:02x}", u);
    else
      out += ch;
  }
  return out;
}

AfterRequest RequestEngine::ServeOne(AcceptedConnection& conn, int64_t body_timeout_ms) {
  ConnectionStream strm(conn.fd, std::move(conn.buffered), body_timeout_ms);
  t_answer_closes = false;
  bool client_closes = false;
  const bool last = conn.requests + 1 >= kMaxRequestsPerConnection;
  const bool ok = process_request(strm, last, client_closes, nullptr);
  if (!ok || client_closes || last || t_answer_closes || strm.broken()) return AfterRequest::kClose;
  conn.buffered = strm.TakeUnread();
  return AfterRequest::kKeepAlive;
}

}  // namespace ecompipe::api::http
