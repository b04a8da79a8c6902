// Subscriber types (log, webhook, email, sns): how a subscription of each type is configured
// and how a notification reaches it. Each type registers a SubscriberType in the
// SubscriberFactory (runtime/register_components.cc lists them); the topics' parser asks the
// factory for a subscription's `type`, and the Notifier asks it to send.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/component_factory.h"
#include "common/config_reader.h"
#include "common/json.h"
#include "common/status.h"
#include "notify/notifier.h"

namespace ecompipe::notify {

// One attempt to deliver a notification, or a digest of several, to one subscription.
struct SendRequest {
  // Null when the outbox row's subscription is no longer configured: types that can still
  // deliver from the row's target alone (log, webhook) do; the others fail with
  // NoLongerConfigured().
  const Subscription* sub = nullptr;
  const NotificationRecord& record;  // topic, subscription, type, target
  const std::string& delivery_id;    // X-Ecompipe-Delivery, the email's Message-ID
  const std::string& payload;        // the event JSON, or the digest's
  const std::vector<Json>& events;   // the events carried (one unless a digest)
  bool digest = false;
  const Json& digest_body;  // {type: digest, topic, subscription, count, events} when a digest
};

struct SubscriberType {
  // Reads one item of `topics[].subscriptions` (`type` already read), checking its keys
  // (SubscriptionKeys() plus the type's own) and filling `out.target` and `out.settings`.
  // The keys every subscription takes are read after it by the topics' parser.
  std::function<Status(const ConfigReader& item, Subscription& out)> parse;
  // Sends; the Notifier retries retryable failures and keeps kInvalidArgument as dead letters.
  std::function<Status(const SendRequest& request)> send;
};
using SubscriberFactory = ComponentFactory<SubscriberType>;

// The keys every subscription takes, followed by `own`.
std::vector<std::string> SubscriptionKeys(std::initializer_list<const char*> own);
// The failure of a type that needs its configuration when the subscription is gone.
Status NoLongerConfigured(const NotificationRecord& record);
// The value of environment variable `name`; "" when unset or when `name` is empty.
std::string EnvValue(const std::string& name);

// Each type's registration (log_subscriber.cc, webhook_subscriber.cc, …).
void RegisterLogSubscriber(SubscriberFactory& factory);
void RegisterWebhookSubscriber(SubscriberFactory& factory);
void RegisterEmailSubscriber(SubscriberFactory& factory);
void RegisterSnsSubscriber(SubscriberFactory& factory);

}  // namespace ecompipe::notify
