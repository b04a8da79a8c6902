// Topics and subscriptions, as SNS has them, with a durable outbox.
//
// Publish() stores one notification per matching subscription in the outbox (table
// `notifications` in the state database) before any delivery is attempted; DeliverDue()
// sends what is due and retries failures with exponential backoff until `max_attempts`,
// after which a notification is kept as a dead letter. Each notification has a stable id
// (sent as X-Ecompipe-Delivery) so receivers can drop duplicates; publishing the same event
// twice to a topic stores it once.
//
// Subscription types: `log` (appends a JSON line to a file) and `webhook` (HTTP POST of the
// event JSON). Thread-safety: one Notifier per thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/json.h"
#include "common/sqlite_db.h"
#include "events/event_pattern.h"

namespace ecompipe::notify {

struct Subscription {
  std::string name;        // unique within the topic; defaults to "<type>-<index>"
  std::string type;        // "log" | "webhook"
  std::string target;      // file path (log) or URL (webhook)
  std::optional<events::EventPattern> filter;   // only matching events are delivered
};

struct Topic {
  std::string name;
  std::vector<Subscription> subscriptions;
};

struct NotificationRecord {
  std::string id;
  std::string topic;
  std::string subscription;
  std::string type;
  std::string target;
  std::string event_id;
  std::string status;      // pending | delivered | dead
  int attempts = 0;
  std::string last_error;
  std::string created_at;
  std::string delivered_at;
  std::string summary;     // detail-type and state of the event, for listings
};

class Notifier {
 public:
  static Result<std::unique_ptr<Notifier>> Open(const std::string& state_db_path,
                                                std::vector<Topic> topics, int max_attempts = 10);

  // Stores one notification per subscription of `topic` whose filter matches `event`, all in
  // one transaction; one already stored for the same (topic, subscription, event id) is kept
  // as is. kNotFound when the topic is not configured; kInvalidArgument when `event` has no
  // non-empty string "id" or cannot be serialised.
  Status Publish(const std::string& topic, const Json& event);
  // Attempts every due notification once, oldest first; returns how many were delivered. A
  // failure is retried after 1 s * 2^(attempts-1) (at most 10 min) until `max_attempts`; a
  // kInvalidArgument failure (HTTP 4xx, bad URL, unknown type) is a dead letter at once.
  Result<int> DeliverDue();
  Result<int64_t> PendingCount();
  // Most recent first.
  Result<std::vector<NotificationRecord>> List(int limit);

 private:
  Notifier(std::unique_ptr<SqliteDb> db, std::vector<Topic> topics, int max_attempts)
      : db_(std::move(db)), topics_(std::move(topics)), max_attempts_(max_attempts) {}
  Status Send(const NotificationRecord& n, const std::string& body);

  std::unique_ptr<SqliteDb> db_;
  std::vector<Topic> topics_;
  int max_attempts_;
};

}  // namespace ecompipe::notify
