// TokenAuth: the API's bearer tokens. A request carries `Authorization: Bearer <token>`; the
// token is compared, in constant time, with every configured one, and the match gives the
// caller's name and role. The configured tokens are read from environment variables at start
// (and again at a reload) and kept only as HMAC-SHA256 digests under a key drawn at random per
// process: the process holds no token text after Resolve(), and nothing it logs, prints or
// stores can carry one.
//
// Failed attempts (a token given that matches none) are counted per client address: after
// kMaxFailures within kFailureWindowMs the address is answered 429 for every request that needs
// a token until the window ends, whatever token it sends, so guessing is slow and a correct
// guess during the lock-out is not told apart. An absent token is not a failed attempt (a
// browser's first request carries none).
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "api/http/router.h"
#include "common/status.h"

namespace ecompipe::api::http {

struct ApiTokenConfig {
  std::string name;        // who: in the audit log and the access log
  std::string token_env;   // the environment variable holding the token, or
  std::string token_file;  // a file holding it (one line), read again at each reload (SIGHUP)
  Role role = Role::kViewer;
};

class TokenAuth {
 public:
  static constexpr int kMaxFailures = 10;
  static constexpr int64_t kFailureWindowMs = 60'000;
  static constexpr size_t kMinTokenLength = 16;
  // Addresses tracked at most; past that, expired entries are dropped, and a new address is
  // tracked only once there is room.
  static constexpr size_t kMaxTrackedAddresses = 100'000;

  struct Token {
    std::string name;
    Role role = Role::kViewer;
    std::array<unsigned char, 32> digest{};
  };
  // Reads every token from its environment variable or file (a final line feed dropped).
  // kInvalidArgument naming the item and the variable or file (never the value) when one is
  // unset or unreadable, shorter than kMinTokenLength, holds whitespace, or repeats another
  // token.
  Result<std::vector<Token>> Resolve(const std::vector<ApiTokenConfig>& tokens) const;

  TokenAuth();
  // Replaces the tokens (a reload); requests in flight finish with the old ones.
  void SetTokens(std::vector<Token> tokens);

  struct Verdict {
    int status = 200;  // 200 allowed, 401, 403 or 429
    std::string principal;
    std::optional<Role> role;
    std::string message;        // why not, for the answer's body
    int64_t retry_after_s = 0;  // 429: when the lock-out ends
  };
  // Checks `authorization` (the header's value, "" when absent) from `address` for a route
  // needing `need`, at `now_ms` (steady clock). A public route is allowed whatever is sent, but
  // a valid token still names the caller.
  Verdict Check(const std::string& authorization, const std::string& address, Access need,
                int64_t now_ms);

  size_t tracked_addresses() const;

 private:
  std::array<unsigned char, 32> Digest(const std::string& token) const;

  std::string key_;  // the HMAC key, random per process
  mutable std::mutex mu_;
  std::shared_ptr<const std::vector<Token>> tokens_;
  struct Failures {
    int count = 0;
    int64_t window_end_ms = 0;
  };
  std::unordered_map<std::string, Failures> failures_;
};

}  // namespace ecompipe::api::http
