// Topics and subscriptions, as SNS has them, with a durable outbox.
//
// Publish() stores one notification per matching subscription in the outbox (table
// `notifications` in the state database) before any delivery is attempted; DeliverDue()
// sends what is due and retries failures with exponential backoff and jitter until the
// subscription's `max_age` has passed since the notification was stored (or redriven), after
// which it is kept as a dead letter; Redrive() makes dead letters pending again. Each
// notification has a stable id (X-Ecompipe-Delivery, the email's Message-ID) so receivers can
// drop duplicates; publishing the same event twice to a topic stores it once.
//
// Storms are bounded per subscription by a rate limit (`rate_limit: {max, window}`, or
// `max_per_hour`): once `max` deliveries went out within the window, further notifications are
// held; when the window allows again, everything held goes out as one digest.
//
// Subscription types: `log` (a JSON line in a file), `webhook` (HTTP POST of the event JSON,
// HMAC-signed when a secret is set), `email` (SMTP, see email_message.h), `sns` (SNS Publish
// with SigV4); each is a SubscriberType registered in the SubscriberFactory (subscriber.h),
// which sends for it. Secrets (SMTP password, webhook secret, AWS keys) live in the configuration
// or the environment, never in the outbox, and are never logged.
//
// The outbox lives in the state database (SQLite or PostgreSQL). Workers sharing it claim due
// notifications under a lease before sending, so each goes out from one worker; a worker that
// dies mid-send loses its claims when the lease runs out (the notification may then go out
// twice; its stable id lets receivers drop the copy). The rate limit is counted from the
// shared outbox, but two workers sending at the same moment may each use the last slot.
// Thread-safety: one Notifier per thread.
#pragma once

#include <any>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"
#include "common/sql_db.h"
#include "common/worker_lease.h"
#include "events/event_pattern.h"
#include "metrics/metrics.h"

namespace ecompipe::notify {

struct Subscription {
  std::string name;    // unique within the topic; defaults to "<type>-<index>"
  std::string type;    // "log" | "webhook" | "email" | "sns"
  std::string target;  // file path (log), URL (webhook), recipients (email), topic ARN (sns)
  std::optional<events::EventPattern> filter;         // EventBridge pattern over the event
  std::optional<events::EventPattern> filter_policy;  // SNS filter policy over `detail`
  int64_t max_age_ms = 24LL * 3600 * 1000;
  int rate_max = 0;  // deliveries per rate window; 0: no limit
  int64_t rate_window_ms = 3600LL * 1000;
  // Retry delays: base * 2^(attempts-1), capped at max; the upper half of each is random.
  int64_t backoff_base_ms = 1000;
  int64_t backoff_max_ms = 10LL * 60 * 1000;
  // One attempt's time limit (webhook, email, sns); 0: the type's default (email 30 s, else 10 s).
  int64_t timeout_ms = 0;
  std::string ca_file;  // PEM bundle verifying the receiver's TLS certificate (webhook, email, sns)
  // The type's own settings (WebhookSubscription, EmailSubscription, SnsSubscription; none for
  // log), as its SubscriberType parsed them (subscriber.h).
  std::any settings;

  // The type's settings, or null when there are none of type T.
  template <typename T>
  const T* As() const {
    return std::any_cast<T>(&settings);
  }
};

struct Topic {
  std::string name;
  std::vector<Subscription> subscriptions;
};

// Where a notification stands in the outbox (notifications.status).
enum class NotificationStatus {
  kPending,    // not delivered yet; due again at its next attempt
  kDelivered,  // sent (alone or folded into a digest)
  kDead,       // given up (max_age, max_attempts or a permanent failure); `redrive` resends it
};
std::string_view NotificationStatusName(NotificationStatus status);  // "pending", "delivered", "dead"
std::optional<NotificationStatus> ParseNotificationStatus(std::string_view name);  // exact

struct NotificationRecord {
  std::string id;
  std::string topic;
  std::string subscription;
  std::string type;
  std::string target;
  std::string event_id;
  NotificationStatus status = NotificationStatus::kPending;
  int attempts = 0;
  std::string last_error;
  std::string created_at;
  std::string delivered_at;
  std::string summary;    // detail-type and state of the event, for listings
  std::string digest_id;  // set when delivered folded into a digest
};

class Notifier {
 public:
  // `max_attempts` 0: retries are bounded by each subscription's max_age only.
  // `location`: an SQLite file path or a PostgreSQL URL (see OpenSqlDb). `metrics`, when given,
  // counts each notification's changes of state (metrics.h); it must outlive the Notifier.
  static Result<std::unique_ptr<Notifier>> Open(const std::string& location,
                                                std::vector<Topic> topics, int max_attempts = 0,
                                                WorkerLease lease = {},
                                                metrics::Metrics* metrics = nullptr);

  // Stores one notification per subscription of `topic` whose filter and filter policy match
  // `event`, all in one transaction; one already stored for the same (topic, subscription,
  // event id) is kept as is. kNotFound when the topic is not configured; kInvalidArgument when
  // `event` has no non-empty string "id" or cannot be serialised.
  Status Publish(const std::string& topic, const Json& event);
  // Attempts due notifications once, oldest first, up to the first retryable failure of each
  // subscription (the others wait for the next call); returns how many notifications were
  // delivered (a digest counts each notification it carries). A failure is retried after
  // about backoff_base * 2^(attempts-1) (at most backoff_max; the upper half of the delay is
  // random, so subscribers recovering from an outage are not hit in lock-step); past max_age it is
  // a dead letter, and a kInvalidArgument failure (HTTP 4xx, rejected SMTP recipients or
  // credentials, bad URL, unknown subscription) is one at once.
  Result<int> DeliverDue();
  Result<int64_t> PendingCount();
  // Most recent first; only those with `status` when it is given. A row whose status is not one
  // NotificationStatusName() writes is kCorruptInput.
  Result<std::vector<NotificationRecord>> List(int limit,
                                               std::optional<NotificationStatus> status = {});
  // The notifications of one event (the trail of an object's run), in the order stored.
  Result<std::vector<NotificationRecord>> ListForEvent(const std::string& event_id);
  // Makes dead letters pending again, due now, with a fresh max_age: the one with `id`, or all
  // when `id` is empty. Returns how many were redriven (0 when `id` is not a dead letter).
  Result<int> Redrive(const std::string& id);
  // Replaces the topics and their subscriptions (a configuration reload): publications from
  // now on go to these. Notifications already in the outbox keep their subscription by name and
  // are delivered with its new settings. Call from the dispatching thread.
  void SetTopics(std::vector<Topic> topics) { topics_ = std::move(topics); }

 private:
  struct Due;
  // The notifications `where` (with its ORDER BY and LIMIT) selects.
  Result<std::vector<NotificationRecord>> Select(const std::string& where,
                                                 const SqlParams& params);
  Notifier(std::unique_ptr<SqlDb> db, std::vector<Topic> topics, int max_attempts,
           WorkerLease lease, metrics::Metrics* metrics)
      : db_(std::move(db)),
        topics_(std::move(topics)),
        max_attempts_(max_attempts),
        lease_(std::move(lease)),
        metrics_(metrics) {}
  // Tells metrics_ that `items` went to `state`, once `recorded` says the outbox holds it.
  void Count(const std::vector<const Due*>& items, std::string_view state, const Status& recorded);
  const Subscription* FindSubscription(const std::string& topic, const std::string& name) const;
  Status Send(const Subscription* sub, const Due& first, const std::string& delivery_id,
              const std::vector<Json>& events, bool digest);
  Status MarkDelivered(const std::vector<const Due*>& items, const std::string& digest_id);
  Status MarkFailed(const Subscription* sub, const Due& item, const Status& error);
  Status Hold(const Subscription& sub, const std::vector<const Due*>& items);
  Result<int64_t> SentInWindow(const std::string& topic, const Subscription& sub);

  std::unique_ptr<SqlDb> db_;
  std::vector<Topic> topics_;
  int max_attempts_;
  WorkerLease lease_;
  metrics::Metrics* metrics_;  // null: not counted
};

}  // namespace ecompipe::notify
