// Sends one prepared RFC 5322 message over SMTP through libcurl.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace ecompipe::notify {

struct SmtpSettings {
  std::string url;                    // smtp://host:port or smtps://host:port
  bool starttls = false;              // require STARTTLS on smtp://
  bool insecure_skip_verify = false;  // accept any TLS certificate (tests, self-signed relays)
  std::string username;               // AUTH when not empty
  std::string password;
  long timeout_ms = 30000;
  std::string ca_file;  // PEM bundle to verify the server's certificate; empty: system
};

// Sends `message` (CRLF line ends) from `from` to every address in `to`. Connection failures,
// timeouts and server errors are kUnavailable / kTimeout (retryable); a malformed URL, an
// unsupported scheme, rejected credentials or rejected recipients are kInvalidArgument (they
// need a configuration change). The password never appears in a returned message.
Status SmtpSend(const SmtpSettings& settings, const std::string& from,
                const std::vector<std::string>& to, const std::string& message);

// "Name <a@b>" -> "<a@b>", "a@b" -> "<a@b>": the envelope form of an address.
std::string EnvelopeAddress(const std::string& address);

}  // namespace ecompipe::notify
