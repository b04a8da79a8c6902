#include "common/redact.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace ecompipe {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsSchemeChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
}

// Redacts the values of secret parameters in "a=1&token=2" (a query or a fragment).
std::string RedactParameters(std::string_view params) {
  std::string out;
  size_t start = 0;
  while (start <= params.size()) {
    size_t end = params.find_first_of("&;", start);
    if (end == std::string_view::npos) end = params.size();
    std::string_view pair = params.substr(start, end - start);
    const size_t eq = pair.find('=');
    if (eq != std::string_view::npos && IsSecretParameter(pair.substr(0, eq)) &&
        eq + 1 < pair.size()) {
      out.append(pair.substr(0, eq + 1));
      out.append(kRedacted);
    } else {
      out.append(pair);
    }
    if (end == params.size()) break;
    out.push_back(params[end]);
    start = end + 1;
  }
  return out;
}

}  // namespace

bool IsSecretParameter(std::string_view name) {
  // Percent-encoded names ("X%2DAmz%2DSignature") are rare; their decoded words still match.
  const std::string n = Lower(name);
  // password_env, secret_env: the name of an environment variable, not the secret.
  if (n.size() > 4 && n.compare(n.size() - 4, 4, "_env") == 0) return false;
  static constexpr std::array<std::string_view, 4> kExact = {"sig", "pwd", "pass", "code"};
  static constexpr std::array<std::string_view, 8> kParts = {
      "token", "secret", "passw", "key", "signature", "credential", "auth", "session"};
  if (std::find(kExact.begin(), kExact.end(), n) != kExact.end()) return true;
  return std::any_of(kParts.begin(), kParts.end(),
                     [&](std::string_view part) { return n.find(part) != std::string::npos; });
}

std::string RedactUrl(std::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos || scheme_end == 0) return std::string(url);
  const size_t authority = scheme_end + 3;
  size_t authority_end = url.find_first_of("/?#", authority);
  if (authority_end == std::string_view::npos) authority_end = url.size();
  std::string out(url.substr(0, authority));
  std::string_view host = url.substr(authority, authority_end - authority);
  // The last '@' ends the userinfo: an unencoded '@' in a password is still the password's.
  if (const size_t at = host.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = host.substr(0, at);
    if (const size_t colon = userinfo.find(':'); colon != std::string_view::npos) {
      out.append(userinfo.substr(0, colon + 1));
      out.append(kRedacted);
    } else {
      out.append(userinfo);
    }
    host = host.substr(at);
  }
  out.append(host);
  std::string_view rest = url.substr(authority_end);
  const size_t hash = rest.find('#');
  std::string_view before_fragment = rest.substr(0, hash);
  if (const size_t q = before_fragment.find('?'); q != std::string_view::npos) {
    out.append(before_fragment.substr(0, q + 1));
    out.append(RedactParameters(before_fragment.substr(q + 1)));
  } else {
    out.append(before_fragment);
  }
  if (hash != std::string_view::npos) {
    out.push_back('#');
    out.append(RedactParameters(rest.substr(hash + 1)));
  }
  return out;
}

std::string RedactUrls(std::string_view text) {
  std::string out;
  size_t done = 0;
  size_t pos = 0;
  while ((pos = text.find("://", pos)) != std::string_view::npos) {
    size_t start = pos;
    while (start > done && IsSchemeChar(text[start - 1])) --start;
    if (start == pos) {  // no scheme before "://"
      pos += 3;
      continue;
    }
    size_t end = pos + 3;
    while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end])) &&
           text[end] != '"' && text[end] != '\'' && text[end] != '<' && text[end] != '>')
      ++end;
    // Punctuation closing a sentence or a quote is not the URL's ("POST http://h/x: HTTP 500").
    while (end > pos + 3 &&
           std::string_view(".,;:)]}").find(text[end - 1]) != std::string_view::npos)
      --end;
    out.append(text.substr(done, start - done));
    out.append(RedactUrl(text.substr(start, end - start)));
    done = pos = end;
  }
  out.append(text.substr(done));
  return out;
}

}  // namespace ecompipe
