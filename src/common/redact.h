// Secrets out of URLs before a URL leaves the process: every log line, CLI output, error
// message and stored row that may hold a configured URL (a webhook's, an SMTP server's, a
// rule target's) goes through RedactUrl or RedactUrls.
//
// What is redacted (docs/notifications.md, "Secrets in URLs"):
// - the password of the userinfo: scheme://user:PASSWORD@host -> scheme://user:REDACTED@host
//   (the user name stays: it says which account without granting it);
// - the value of each query or fragment parameter whose name, compared case-insensitively,
//   is one of sig, pwd, pass, code, or contains token, secret, passw, key, signature,
//   credential, auth or session (so X-Amz-Signature, X-Amz-Credential, X-Amz-Security-Token,
//   api_key, apikey, access_token, client_secret, password, sessionid, Authorization), unless
//   it ends in _env (password_env names an environment variable, not the secret).
// Anything else is kept byte for byte. Pure functions: thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace ecompipe {

// What replaces a secret.
inline constexpr std::string_view kRedacted = "REDACTED";

// `url` with its secrets replaced by kRedacted; text that is not a URL is returned unchanged.
std::string RedactUrl(std::string_view url);

// `text` with every URL in it ("scheme://…" up to white space, a quote or <>, trailing
// punctuation left out) passed through RedactUrl: for error messages that quote a URL.
std::string RedactUrls(std::string_view text);

// Whether a query parameter named `name` holds a secret (the list above).
bool IsSecretParameter(std::string_view name);

}  // namespace ecompipe
