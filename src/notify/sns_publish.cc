#include "notify/sns_publish.h"

#include "notify/http_post.h"

namespace ecompipe::notify {
namespace {

std::string SnsSubject(const std::string& s) {
  std::string out;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) out += c;
    if (out.size() == 99) break;
  }
  return out;
}

// application/x-www-form-urlencoded: RFC 3986 encoding with spaces as '+'. AWS accepts %20
// too, but servers that re-encode the parsed form before checking the signature (moto does)
// only agree with '+'; the signature is over the bytes sent either way.
std::string FormEncode(const std::string& s) {
  std::string out;
  for (char c : s)
    out += c == ' ' ? std::string("+") : AwsUriEncode(std::string_view(&c, 1), false);
  return out;
}

}  // namespace

std::string SnsPublishForm(const std::string& topic_arn, const std::string& message,
                           const std::string& subject) {
  std::string body = "Action=Publish&Message=" + FormEncode(message);
  std::string subj = SnsSubject(subject);
  if (!subj.empty()) body += "&Subject=" + FormEncode(subj);
  body += "&TopicArn=" + FormEncode(topic_arn) + "&Version=2010-03-31";
  return body;
}

Result<std::string> SnsPublish(const SnsSettings& s, const std::string& message,
                               const std::string& subject, int64_t epoch_seconds) {
  // The Host header is signed, so it must be what curl sends: host[:port] of the endpoint.
  std::string rest = s.endpoint;
  auto scheme = rest.find("://");
  if (scheme == std::string::npos)
    return Status::InvalidArgument("SNS endpoint '" + s.endpoint + "' has no scheme");
  rest = rest.substr(scheme + 3);
  auto slash = rest.find('/');
  std::string host = rest.substr(0, slash);
  std::string path = slash == std::string::npos ? "/" : rest.substr(slash);
  if (host.empty()) return Status::InvalidArgument("SNS endpoint '" + s.endpoint + "' has no host");

  SigV4Request req;
  req.method = "POST";
  req.path = path;
  req.payload = SnsPublishForm(s.topic_arn, message, subject);
  req.headers = {{"Host", host},
                 {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  EP_ASSIGN_OR_RETURN(SigV4Result signed_req,
                      SignV4(req, s.credentials, s.region, "sns", epoch_seconds));
  std::vector<std::pair<std::string, std::string>> headers = req.headers;
  for (auto& h : signed_req.headers) headers.push_back(h);
  std::string url = s.endpoint;
  if (slash == std::string::npos) url += "/";
  Result<HttpResponse> r = HttpPost(url, req.payload, headers, s.http);
  if (!r.ok()) {
    return Status(r.status().code(),
                  "SNS Publish to " + s.topic_arn + ": " + std::string(r.status().message()));
  }
  auto a = r->body.find("<MessageId>");
  auto b = r->body.find("</MessageId>");
  if (a == std::string::npos || b == std::string::npos || b < a)
    return Status::Unavailable("SNS Publish to " + s.topic_arn + ": no MessageId in the answer");
  return r->body.substr(a + 11, b - a - 11);
}

}  // namespace ecompipe::notify
