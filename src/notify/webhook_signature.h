// Signatures of webhook deliveries, so a receiver can tell them from forgeries and replays.
//
// With a secret configured, each attempt carries
//   X-Ecompipe-Timestamp: <unix seconds of this attempt>
//   X-Ecompipe-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>
// A receiver recomputes the HMAC over the raw body, compares in constant time, and rejects a
// timestamp further than its tolerance (e.g. 5 minutes) from its clock. X-Ecompipe-Delivery,
// stable across attempts, is what it de-duplicates on. See docs/notifications.md.
#pragma once

#include <cstdint>
#include <string>

namespace ecompipe::notify {

// "v1=<64 hex digits>".
std::string WebhookSignature(const std::string& secret, int64_t timestamp, const std::string& body);

}  // namespace ecompipe::notify
