#include "notify/http_post.h"

#include <curl/curl.h>

#include "common/redact.h"

#include <algorithm>
#include <memory>

namespace ecompipe::notify {
namespace {

size_t CollectBody(char* data, size_t size, size_t n, void* user) {
  auto* out = static_cast<std::string*>(user);
  size_t bytes = size * n;
  if (out->size() < 4096) out->append(data, std::min(bytes, 4096 - out->size()));
  return bytes;
}

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

}  // namespace

Result<HttpResponse> HttpPost(const std::string& url, const std::string& body,
                              const std::vector<std::pair<std::string, std::string>>& headers,
                              const HttpOptions& options) {
  static CurlGlobal global;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return Status::Internal("curl_easy_init failed");
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> list(nullptr, curl_slist_free_all);
  auto add_header = [&](const std::string& line) {
    curl_slist* grown = curl_slist_append(list.get(), line.c_str());
    if (grown) {
      (void)list.release();
      list.reset(grown);
    }
    return grown != nullptr;
  };
  for (const auto& [k, v] : headers) {
    // A CR, LF or NUL would end the header line and let a value inject headers or a body.
    auto bad = [](char ch) { return ch == '\r' || ch == '\n' || ch == '\0'; };
    if (k.empty() || std::any_of(k.begin(), k.end(), bad) || std::any_of(v.begin(), v.end(), bad))
      return Status::InvalidArgument("POST " + RedactUrl(url) + ": header '" + k +
                                     "' holds a line break or NUL");
    if (!add_header(k + ": " + v)) return Status::Internal("curl_slist_append failed");
  }
  // No "Expect: 100-continue" round trip for larger bodies: receivers that do not answer
  // it would cost a second per POST.
  if (!add_header("Expect:")) return Status::Internal("curl_slist_append failed");

  HttpResponse resp;
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list.get());
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, options.timeout_ms);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, std::min(options.timeout_ms, 5000L));
  if (!options.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, options.ca_file.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, CollectBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp.body);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "ecompipe/0.1");

  CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OPERATION_TIMEDOUT)
    return Status::Timeout("POST " + RedactUrl(url) + ": no answer within " +
                           std::to_string(options.timeout_ms) + " ms");
  if (rc != CURLE_OK) {
    std::string msg = "POST " + RedactUrl(url) + ": " + curl_easy_strerror(rc);
    if (rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL)
      return Status::InvalidArgument(msg);
    return Status::Unavailable(msg);
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
  if (resp.status >= 200 && resp.status < 300) return resp;
  std::string msg = "POST " + RedactUrl(url) + ": HTTP " + std::to_string(resp.status);
  // The start of the answer names the cause (e.g. SNS's <Code>SignatureDoesNotMatch</Code>).
  if (!resp.body.empty()) {
    std::string head = resp.body.substr(0, 300);
    for (char& ch : head)
      if (ch == '\r' || ch == '\n') ch = ' ';
    msg += " (" + head + ")";
  }
  if (resp.status >= 500 || resp.status == 429 || resp.status == 408)
    return Status::Unavailable(msg);
  return Status::InvalidArgument(msg);
}

}  // namespace ecompipe::notify
