#include "notify/webhook_subscriber.h"

#include "common/redact.h"
#include "common/time_util.h"
#include "notify/http_post.h"
#include "notify/subscriber.h"
#include "notify/webhook_signature.h"

namespace ecompipe::notify {
namespace {

Status ParseWebhook(const ConfigReader& sr, Subscription& sub) {
  EP_RETURN_IF_ERROR(
      sr.Forbid("path", "applies to log subscriptions; a webhook subscription posts to 'url'"));
  EP_RETURN_IF_ERROR(
      sr.CheckKeys(SubscriptionKeys({"url", "secret", "secret_env", "timeout", "ca_file"})));
  EP_RETURN_IF_ERROR(sr.String("url", sub.target, true));
  if (sub.target.rfind("http://", 0) != 0 && sub.target.rfind("https://", 0) != 0)
    return sr.Error(sr.Node("url"), "'" + sr.Path("url") + "' must start with http:// or https://");
  WebhookSubscription hook;
  EP_RETURN_IF_ERROR(sr.String("secret", hook.secret));
  EP_RETURN_IF_ERROR(sr.String("secret_env", hook.secret_env));
  if (!hook.secret.empty() && !hook.secret_env.empty())
    return sr.Error(sr.Node("secret_env"), "give '" + sr.Path("secret") + "' or '" +
                                               sr.Path("secret_env") + "', not both");
  sub.settings = std::move(hook);
  return Status::Ok();
}

// Posts to the subscription's URL. Without the subscription (no longer configured) it posts
// unsigned to the row's URL, unless that was stored with its secrets redacted.
Status SendWebhook(const SendRequest& r) {
  const NotificationRecord& n = r.record;
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Content-Type", "application/json"},
      {"X-Ecompipe-Delivery", r.delivery_id},
      {"X-Ecompipe-Topic", n.topic}};
  if (r.digest) headers.emplace_back("X-Ecompipe-Digest", std::to_string(r.events.size()));
  const WebhookSubscription* hook = r.sub ? r.sub->As<WebhookSubscription>() : nullptr;
  std::string secret =
      hook ? (hook->secret.empty() ? EnvValue(hook->secret_env) : hook->secret) : "";
  if (hook && !hook->secret_env.empty() && secret.empty())
    return Status::Unavailable("webhook secret: environment variable " + hook->secret_env +
                               " is not set");
  if (!secret.empty()) {
    int64_t ts = NowMillis() / 1000;
    headers.emplace_back("X-Ecompipe-Timestamp", std::to_string(ts));
    headers.emplace_back("X-Ecompipe-Signature", WebhookSignature(secret, ts, r.payload));
  }
  HttpOptions http;
  if (r.sub) {
    if (r.sub->timeout_ms > 0) http.timeout_ms = static_cast<long>(r.sub->timeout_ms);
    http.ca_file = r.sub->ca_file;
  }
  if (!r.sub && n.target.find(kRedacted) != std::string::npos)
    return Status::InvalidArgument("subscription " + n.subscription +
                                   " is no longer configured, and the secrets of its URL " +
                                   n.target + " were not stored");
  return HttpPost(r.sub ? r.sub->target : n.target, r.payload, headers, http).status();
}

}  // namespace

void RegisterWebhookSubscriber(SubscriberFactory& factory) {
  factory.Register("webhook", {ParseWebhook, SendWebhook});
}

}  // namespace ecompipe::notify
