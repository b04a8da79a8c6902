#include "notify/smtp_send.h"

#include <curl/curl.h>

#include "common/redact.h"

#include <cstring>
#include <memory>

namespace ecompipe::notify {
namespace {

struct Upload {
  const std::string* data;
  size_t pos = 0;
};

size_t ReadPayload(char* buf, size_t size, size_t n, void* user) {
  auto* up = static_cast<Upload*>(user);
  size_t room = size * n;
  size_t left = up->data->size() - up->pos;
  size_t k = std::min(room, left);
  std::memcpy(buf, up->data->data() + up->pos, k);
  up->pos += k;
  return k;
}

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

}  // namespace

std::string EnvelopeAddress(const std::string& address) {
  auto lt = address.find('<');
  auto gt = address.rfind('>');
  if (lt != std::string::npos && gt != std::string::npos && gt > lt)
    return address.substr(lt, gt - lt + 1);
  return "<" + address + ">";
}

Status SmtpSend(const SmtpSettings& s, const std::string& from, const std::vector<std::string>& to,
                const std::string& message) {
  static CurlGlobal global;
  if (to.empty()) return Status::InvalidArgument("SMTP " + RedactUrl(s.url) + ": no recipients");
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return Status::Internal("curl_easy_init failed");
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> rcpt(nullptr, curl_slist_free_all);
  for (const std::string& r : to) {
    curl_slist* grown = curl_slist_append(rcpt.get(), EnvelopeAddress(r).c_str());
    if (!grown) return Status::Internal("curl_slist_append failed");
    (void)rcpt.release();
    rcpt.reset(grown);
  }
  std::string mail_from = EnvelopeAddress(from);
  Upload up{&message};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, s.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt.get());
  curl_easy_setopt(c, CURLOPT_READFUNCTION, ReadPayload);
  curl_easy_setopt(c, CURLOPT_READDATA, &up);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, s.timeout_ms);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, std::min(s.timeout_ms, 10000L));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  if (s.starttls) curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  if (!s.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, s.ca_file.c_str());
  if (s.insecure_skip_verify) {
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!s.username.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, s.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, s.password.c_str());
  }
  CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OK) return Status::Ok();
  long smtp_code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &smtp_code);
  std::string msg = "SMTP " + RedactUrl(s.url) + ": " + curl_easy_strerror(rc);
  if (smtp_code) msg += " (server answered " + std::to_string(smtp_code) + ")";
  if (rc == CURLE_OPERATION_TIMEDOUT) return Status::Timeout(msg);
  if (rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL || rc == CURLE_LOGIN_DENIED ||
      (smtp_code >= 500 && smtp_code < 600))
    return Status::InvalidArgument(msg);
  return Status::Unavailable(msg);
}

}  // namespace ecompipe::notify
