#include "storage/s3/internal/s3_http.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <memory>

#include "common/digest.h"
#include "common/progress.h"
#include "storage/s3/internal/s3_xml.h"

namespace ecompipe::storage::s3 {
namespace {

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return std::string(s);
}

struct Transfer {
  const HttpCall* call = nullptr;
  CURL* curl = nullptr;
  HttpReply reply;
  bool too_large = false;
  bool sink_refused = false;
  std::FILE* file = nullptr;
};

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t bytes = size * n;
  if (t->call->sink) {
    long status = 0;
    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
    if (!t->call->sink(data, bytes, status)) {
      t->sink_refused = true;
      return 0;
    }
    return bytes;
  }
  if (t->reply.body.size() + bytes > t->call->max_body_bytes) {
    t->too_large = true;
    return 0;
  }
  t->reply.body.append(data, bytes);
  return bytes;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * n);
  if (line.starts_with("HTTP/")) {
    t->reply.headers.clear();  // a new response (after 100 Continue or a redirect)
  } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
    t->reply.headers.emplace_back(Lower(Trim(line.substr(0, colon))), Trim(line.substr(colon + 1)));
  }
  return size * n;
}

size_t OnReadFile(char* buffer, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t got = std::fread(buffer, 1, size * n, t->file);
  if (got == 0 && std::ferror(t->file)) return CURL_READFUNC_ABORT;
  progress::Add(got);  // an upload's progress (`ecompipe put` to an S3 bucket)
  return got;
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  return t->call->cancel && t->call->cancel->load() ? 1 : 0;
}

}  // namespace

bool SafeHeaderValue(std::string_view v) {
  return std::none_of(v.begin(), v.end(),
                      [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

Result<Endpoint> ParseEndpoint(const std::string& url) {
  Endpoint e;
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos)
    return Status::InvalidArgument("endpoint '" + url + "' has no scheme (http:// or https://)");
  e.scheme = Lower(url.substr(0, scheme_end));
  if (e.scheme != "http" && e.scheme != "https")
    return Status::InvalidArgument("endpoint '" + url + "': the scheme must be http or https");
  std::string rest = url.substr(scheme_end + 3);
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.empty()) return Status::InvalidArgument("endpoint '" + url + "' has no host");
  for (char c : rest) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
          c == '[' || c == ']'))
      return Status::InvalidArgument("endpoint '" + url +
                                     "': give scheme://host[:port] only (no path, user or query)");
  }
  e.host = rest;
  return e;
}

std::string CanonicalQuery(const Params& query) {
  std::vector<std::pair<std::string, std::string>> q;
  for (const auto& [k, v] : query) q.emplace_back(AwsUriEncode(k, false), AwsUriEncode(v, false));
  std::sort(q.begin(), q.end());
  std::string out;
  for (const auto& [k, v] : q) {
    if (!out.empty()) out += '&';
    out += k + "=" + v;
  }
  return out;
}

Target BuildTarget(const Endpoint& endpoint, const std::string& bucket, bool virtual_host,
                   const std::string& key, const Params& query) {
  Target t;
  t.query = query;
  if (virtual_host) {
    t.host = bucket + "." + endpoint.host;
    t.path = "/" + key;
  } else {
    t.host = endpoint.host;
    t.path = "/" + bucket + (key.empty() ? "" : "/" + key);
  }
  t.url = endpoint.scheme + "://" + t.host + AwsUriEncode(t.path, true);
  if (!query.empty()) t.url += "?" + CanonicalQuery(query);
  return t;
}

std::string HttpReply::Header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return "";
}

bool RetryableHttp(long status) { return status >= 500 || status == 429 || status == 408; }

std::string DescribeFailure(const HttpReply& reply) {
  std::string out = "HTTP " + std::to_string(reply.status);
  S3Error e = ParseS3Error(reply.body);
  if (!e.code.empty()) out += " " + e.code;
  if (!e.message.empty()) out += ": " + e.message;
  if (e.code.empty() && !reply.body.empty()) {
    std::string head = reply.body.substr(0, 200);
    for (char& c : head)
      if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    out += " (" + head + ")";
  }
  return out;
}

Result<HttpReply> Perform(const HttpCall& call) {
  static CurlGlobal global;
  SigV4Request req;
  req.method = call.method;
  req.path = call.target.path;
  req.query = call.target.query;
  req.headers = call.headers;
  req.headers.emplace_back("Host", call.target.host);
  if (call.service == "s3") {
    req.payload_hash = call.payload_hash.empty() ? Sha256Hex(call.body) : call.payload_hash;
    req.headers.emplace_back("x-amz-content-sha256", req.payload_hash);
  } else {
    req.payload = call.body;
  }
  EP_ASSIGN_OR_RETURN(SigV4Result sig, SignV4(req, call.credentials, call.region, call.service,
                                              static_cast<int64_t>(std::time(nullptr))));

  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return Status::Internal("curl_easy_init failed");
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> list(nullptr, curl_slist_free_all);
  auto add = [&](const std::string& line) {
    curl_slist* grown = curl_slist_append(list.get(), line.c_str());
    if (!grown) return false;
    (void)list.release();
    list.reset(grown);
    return true;
  };
  for (const auto* hs : {&req.headers, &sig.headers}) {
    for (const auto& [k, v] : *hs) {
      if (!SafeHeaderValue(k) || !SafeHeaderValue(v))
        return Status::InvalidArgument("header '" + k + "' holds a line break or NUL");
      if (!add(k + ": " + v)) return Status::Internal("curl_slist_append failed");
    }
  }
  if (!add("Expect:")) return Status::Internal("curl_slist_append failed");

  Transfer t;
  t.call = &call;
  t.curl = curl.get();
  std::unique_ptr<std::FILE, decltype(&std::fclose)> file(nullptr, std::fclose);
  CURL* c = curl.get();
  char error_buffer[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(c, CURLOPT_URL, call.target.url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list.get());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_USERAGENT, "ecompipe/0.1");
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, call.connect_timeout_ms);
  if (call.timeout_ms > 0) curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, call.timeout_ms);
  // A stalled transfer (no byte for two minutes) is cut and retried rather than hanging.
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 120L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  if (call.cancel) {
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, OnProgress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
  }
  if (call.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (call.method == "PUT") {
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    if (!call.body_file.empty()) {
      file.reset(std::fopen(call.body_file.c_str(), "rb"));
      if (!file) return Status::IoError("cannot open " + call.body_file);
      t.file = file.get();
      curl_easy_setopt(c, CURLOPT_READFUNCTION, OnReadFile);
      curl_easy_setopt(c, CURLOPT_READDATA, &t);
      curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(call.body_file_size));
    } else {
      return Status::Internal("PUT without a body file");
    }
  } else if (call.method == "POST") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, call.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(call.body.size()));
  } else if (call.method != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, call.method.c_str());
  }

  const CURLcode rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &t.reply.status);
  const std::string where = call.method + " " + call.target.url;
  if (rc != CURLE_OK) {
    if (t.too_large)
      return Status::CorruptInput(where + ": the answer is larger than " +
                                  std::to_string(call.max_body_bytes) + " bytes");
    if (t.sink_refused || rc == CURLE_ABORTED_BY_CALLBACK)
      return Status::Cancelled(where + ": transfer aborted");
    std::string detail = error_buffer[0] ? error_buffer : curl_easy_strerror(rc);
    if (rc == CURLE_OPERATION_TIMEDOUT) return Status::Timeout(where + ": " + detail);
    if (rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL)
      return Status::InvalidArgument(where + ": " + detail);
    return Status::Unavailable(where + ": " + detail);
  }
  return std::move(t.reply);
}

}  // namespace ecompipe::storage::s3
