#include "common/aws_sigv4.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>

#include "common/digest.h"

namespace ecompipe {

std::string AsciiLower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string CanonicalHeaderValue(const std::string& v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string AwsUriEncode(std::string_view s, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
        (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string AmzDate(int64_t epoch_seconds) {
  std::time_t t = static_cast<std::time_t>(epoch_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  // Four-digit years always (strftime's %Y does not pad years before 1000), so that the text
  // reads back with ParseAmzDate.
  char buf[72];  // room for any int values, which GCC checks
  std::snprintf(buf, sizeof buf, "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

Result<SigV4Result> SignV4(const SigV4Request& request, const AwsCredentials& credentials,
                           const std::string& region, const std::string& service,
                           int64_t epoch_seconds) {
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty())
    return Status::InvalidArgument("SigV4: no AWS credentials (access key id and secret key)");
  if (request.path.empty() || request.path[0] != '/')
    return Status::InvalidArgument("SigV4: the path must start with '/'");

  std::vector<std::pair<std::string, std::string>> headers;
  std::string amz_date;
  bool has_host = false;
  for (const auto& [k, v] : request.headers) {
    std::string name = AsciiLower(k);
    if (name == "host") has_host = true;
    if (name == "x-amz-date") amz_date = CanonicalHeaderValue(v);
    headers.emplace_back(name, CanonicalHeaderValue(v));
  }
  if (!has_host) return Status::InvalidArgument("SigV4: the request has no Host header");
  SigV4Result out;
  if (amz_date.empty()) {
    amz_date = AmzDate(epoch_seconds);
    headers.emplace_back("x-amz-date", amz_date);
    out.headers.emplace_back("X-Amz-Date", amz_date);
  }
  if (!credentials.session_token.empty()) {
    headers.emplace_back("x-amz-security-token", credentials.session_token);
    out.headers.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }
  std::stable_sort(headers.begin(), headers.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  // A header given twice is one canonical line with its values joined by commas.
  std::string canonical_headers;
  for (size_t i = 0; i < headers.size(); ++i) {
    if (i > 0 && headers[i].first == headers[i - 1].first) {
      canonical_headers.pop_back();  // the '\n'
      canonical_headers += "," + headers[i].second + "\n";
      continue;
    }
    if (!out.signed_headers.empty()) out.signed_headers += ';';
    out.signed_headers += headers[i].first;
    canonical_headers += headers[i].first + ":" + headers[i].second + "\n";
  }

  out.canonical_request =
      request.method + "\n" + AwsUriEncode(request.path, true) + "\n" +
      CanonicalQueryString(request.query) + "\n" + canonical_headers + "\n" + out.signed_headers +
      "\n" + (request.payload_hash.empty() ? Sha256Hex(request.payload) : request.payload_hash);
  const std::string date = amz_date.substr(0, 8);
  const std::string scope = date + "/" + region + "/" + service + "/aws4_request";
  out.string_to_sign =
      "AWS4-HMAC-SHA256\n" + amz_date + "\n" + scope + "\n" + Sha256Hex(out.canonical_request);
  const std::string key = SigV4SigningKey(credentials.secret_access_key, date, region, service);
  out.signature = HexEncode(HmacSha256(key, out.string_to_sign));
  out.headers.emplace_back(
      "Authorization", "AWS4-HMAC-SHA256 Credential=" + credentials.access_key_id + "/" + scope +
                           ", SignedHeaders=" + out.signed_headers +
                           ", Signature=" + out.signature);
  return out;
}

std::string CanonicalQueryString(const std::vector<std::pair<std::string, std::string>>& query,
                                 std::optional<std::string_view> skip) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [k, v] : query) {
    if (skip && k == *skip) continue;
    encoded.emplace_back(AwsUriEncode(k, false), AwsUriEncode(v, false));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [k, v] : encoded) {
    if (!out.empty()) out += '&';
    out.append(k).append(1, '=').append(v);
  }
  return out;
}

std::string SigV4SigningKey(const std::string& secret, const std::string& date,
                            const std::string& region, const std::string& service) {
  std::string key = HmacSha256("AWS4" + secret, date);
  key = HmacSha256(key, region);
  key = HmacSha256(key, service);
  return HmacSha256(key, "aws4_request");
}

}  // namespace ecompipe
