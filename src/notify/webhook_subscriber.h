// type: webhook: an HTTP POST of the event JSON, HMAC-signed when a secret is set
// (webhook_signature.h).
#pragma once

#include <string>

namespace ecompipe::notify {

// Subscription::settings of a webhook subscription.
struct WebhookSubscription {
  std::string secret;  // HMAC secret, or from `secret_env` at send time
  std::string secret_env;
};

}  // namespace ecompipe::notify
