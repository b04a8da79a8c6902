#include "notify/webhook_signature.h"

#include "common/digest.h"

namespace ecompipe::notify {

std::string WebhookSignature(const std::string& secret, int64_t timestamp,
                             const std::string& body) {
  return "v1=" + HexEncode(HmacSha256(secret, std::to_string(timestamp) + "." + body));
}

}  // namespace ecompipe::notify
