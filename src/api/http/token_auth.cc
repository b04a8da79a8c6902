#include "api/http/token_auth.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

#include "common/digest.h"

namespace ecompipe::api::http {

TokenAuth::TokenAuth() : tokens_(std::make_shared<const std::vector<Token>>()) {
  unsigned char key[32];
  if (RAND_bytes(key, sizeof(key)) != 1) {
    // Without a random key the digests are still compared in constant time; only an attacker
    // reading the process's memory would gain from a guessable key.
    std::memset(key, 0x5c, sizeof(key));
  }
  key_.assign(reinterpret_cast<const char*>(key), sizeof(key));
  OPENSSL_cleanse(key, sizeof(key));
}

std::array<unsigned char, 32> TokenAuth::Digest(const std::string& token) const {
  const std::string mac = HmacSha256(key_, token);
  std::array<unsigned char, 32> out{};
  std::memcpy(out.data(), mac.data(), std::min(mac.size(), out.size()));
  return out;
}

Result<std::vector<TokenAuth::Token>> TokenAuth::Resolve(
    const std::vector<ApiTokenConfig>& tokens) const {
  std::vector<Token> out;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const ApiTokenConfig& t = tokens[i];
    const std::string place = "api.tokens[" + std::to_string(i) + "] (" + t.name + ")";
    std::string text;
    const std::string where = t.token_file.empty() ? t.token_env : t.token_file;
    if (t.token_file.empty()) {
      const char* value = std::getenv(t.token_env.c_str());
      if (!value || !*value)
        return Status::InvalidArgument(place + ": environment variable " + t.token_env +
                                       " is not set");
      text = value;
    } else {
      std::ifstream in(t.token_file, std::ios::binary);
      if (in) std::getline(in, text);
      if (!in && !in.eof())
        return Status::InvalidArgument(place + ": cannot read the token file " + t.token_file);
      if (!text.empty() && text.back() == '\r') text.pop_back();
    }
    if (text.size() < kMinTokenLength)
      return Status::InvalidArgument(place + ": the token in " + where + " is shorter than " +
                                     std::to_string(kMinTokenLength) +
                                     " characters (e.g. openssl rand -hex 32)");
    for (char c : text)
      if (std::isspace(static_cast<unsigned char>(c)) ||
          std::iscntrl(static_cast<unsigned char>(c)))
        return Status::InvalidArgument(place + ": the token in " + where +
                                       " holds whitespace or control characters");
    Token token{t.name, t.role, Digest(text)};
    OPENSSL_cleanse(text.data(), text.size());
    for (const Token& other : out)
      if (CRYPTO_memcmp(other.digest.data(), token.digest.data(), token.digest.size()) == 0)
        return Status::InvalidArgument(place + ": the token in " + where + " is the same as " +
                                       other.name + "'s; give each its own");
    out.push_back(std::move(token));
  }
  return out;
}

void TokenAuth::SetTokens(std::vector<Token> tokens) {
  auto next = std::make_shared<const std::vector<Token>>(std::move(tokens));
  std::lock_guard lock(mu_);
  tokens_ = std::move(next);
}

size_t TokenAuth::tracked_addresses() const {
  std::lock_guard lock(mu_);
  return failures_.size();
}

TokenAuth::Verdict TokenAuth::Check(const std::string& authorization, const std::string& address,
                                    Access need, int64_t now_ms) {
  Verdict v;
  std::shared_ptr<const std::vector<Token>> tokens;
  {
    std::lock_guard lock(mu_);
    tokens = tokens_;
    if (need != Access::kPublic) {
      auto it = failures_.find(address);
      if (it != failures_.end() && it->second.window_end_ms <= now_ms) {
        failures_.erase(it);
      } else if (it != failures_.end() && it->second.count >= kMaxFailures) {
        v.status = 429;
        v.retry_after_s = (it->second.window_end_ms - now_ms + 999) / 1000;
        v.message = "too many failed attempts from your address; try again in " +
                    std::to_string(v.retry_after_s) + " s";
        return v;
      }
    }
  }
  constexpr std::string_view kScheme = "bearer ";
  std::string token;
  if (authorization.size() > kScheme.size()) {
    std::string scheme = authorization.substr(0, kScheme.size());
    for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (scheme == kScheme) token = authorization.substr(kScheme.size());
  }
  while (!token.empty() && token.front() == ' ') token.erase(0, 1);
  while (!token.empty() && token.back() == ' ') token.pop_back();
  const Token* found = nullptr;
  if (!token.empty()) {
    const std::array<unsigned char, 32> d = Digest(token);
    OPENSSL_cleanse(token.data(), token.size());
    // Every token is compared, so the time taken does not say which one (or whether one)
    // matched.
    for (const Token& t : *tokens)
      if (CRYPTO_memcmp(t.digest.data(), d.data(), d.size()) == 0) found = &t;
  }
  if (found) {
    v.principal = found->name;
    v.role = found->role;
  }
  if (need == Access::kPublic) return v;
  if (!found) {
    v.status = 401;
    if (authorization.empty()) {
      v.message = "this call needs a token: Authorization: Bearer <token>";
      return v;
    }
    v.message = "the token is not valid";
    std::lock_guard lock(mu_);
    if (failures_.size() >= kMaxTrackedAddresses) {
      for (auto it = failures_.begin(); it != failures_.end();)
        it = it->second.window_end_ms <= now_ms ? failures_.erase(it) : std::next(it);
    }
    auto it = failures_.find(address);
    if (it == failures_.end() && failures_.size() < kMaxTrackedAddresses)
      it = failures_.emplace(address, Failures{0, now_ms + kFailureWindowMs}).first;
    if (it != failures_.end()) ++it->second.count;
    return v;
  }
  if (need == Access::kOperator && found->role != Role::kOperator) {
    v.status = 403;
    v.message = "this call needs the operator role; the token '" + found->name + "' is a " +
                std::string(RoleName(found->role));
  }
  return v;
}

}  // namespace ecompipe::api::http
