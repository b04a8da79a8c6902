#include "notify/notifier.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/enum_names.h"
#include "common/ids.h"
#include "common/redact.h"
#include "common/time_util.h"
#include "notify/subscriber.h"

namespace ecompipe::notify {

namespace {

constexpr EnumNames<NotificationStatus, 3> kNotificationStatusNames{{{
    {NotificationStatus::kPending, "pending"},
    {NotificationStatus::kDelivered, "delivered"},
    {NotificationStatus::kDead, "dead"},
}}};

}  // namespace

std::string_view NotificationStatusName(NotificationStatus status) {
  return kNotificationStatusNames.Name(status);
}
std::optional<NotificationStatus> ParseNotificationStatus(std::string_view name) {
  return kNotificationStatusNames.Parse(name);
}
namespace {

// {rowid}: PostgreSQL has no implicit rowid; this column gives it one, so that "ORDER BY
// rowid" (the order notifications were stored in) reads the same on both databases.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS notifications (
  {rowid}
  id TEXT PRIMARY KEY,
  topic TEXT NOT NULL,
  subscription TEXT NOT NULL,
  type TEXT NOT NULL,
  target TEXT NOT NULL,
  event_id TEXT NOT NULL,
  summary TEXT NOT NULL,
  body TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending',   -- pending | delivered | dead
  attempts BIGINT NOT NULL DEFAULT 0,
  next_attempt_ms BIGINT NOT NULL,
  last_error TEXT,
  created_at TEXT NOT NULL,
  delivered_at TEXT,
  UNIQUE(topic, subscription, event_id)
);
CREATE INDEX IF NOT EXISTS notifications_due ON notifications(status, next_attempt_ms);
CREATE INDEX IF NOT EXISTS notifications_event ON notifications(event_id);
)sql";

// Columns added after the first release; an older state database gains them at Open().
constexpr std::pair<const char*, const char*> kAddedColumns[] = {
    {"age_from_ms", "BIGINT"},      // max_age counts from here (stored, or redriven)
    {"delivered_at_ms", "BIGINT"},  // for the per-hour rate limit
    {"digest_id", "TEXT"},          // the digest that carried it, when one did
    {"claimed_by", "TEXT"},         // the worker sending it (several share the outbox)
    {"lease_until", "BIGINT"},      // its claim holds until then unless renewed
};

// `object[key]` when it is a string, else "" (Json::value would throw on other types).
std::string StringField(const Json& object, const char* key) {
  if (!object.is_object()) return {};
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int64_t Backoff(const Subscription& sub, int attempts) {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  int64_t delay =
      std::min<int64_t>(sub.backoff_base_ms << std::min(attempts, 20), sub.backoff_max_ms);
  // "Equal jitter": half fixed, so retries still back off; half random, so a backlog of
  // notifications does not retry in lock-step against a receiver that just came back.
  std::uniform_int_distribution<int64_t> jitter(0, delay / 2);
  return delay - delay / 2 + jitter(rng);
}

}  // namespace

struct Notifier::Due {
  NotificationRecord record;
  std::string body;
  int64_t age_from_ms = 0;
};

Result<std::unique_ptr<Notifier>> Notifier::Open(const std::string& location,
                                                 std::vector<Topic> topics, int max_attempts,
                                                 WorkerLease lease, metrics::Metrics* metrics) {
  EP_ASSIGN_OR_RETURN(auto db, OpenSqlDb(location));
  EP_RETURN_IF_ERROR(db->Transaction([&]() -> Status {
    EP_RETURN_IF_ERROR(db->ExecScript(fmt::format(
        fmt::runtime(kSchema),
        fmt::arg("rowid", db->postgres() ? "rowid BIGINT GENERATED ALWAYS AS IDENTITY," : ""))));
    for (const auto& [name, type] : kAddedColumns) {
      EP_ASSIGN_OR_RETURN(bool have, db->HasColumn("notifications", name));
      if (have) continue;
      EP_RETURN_IF_ERROR(
          db->ExecScript(std::string("ALTER TABLE notifications ADD COLUMN ") + name + " " + type));
    }
    return db->ExecScript(
        "CREATE INDEX IF NOT EXISTS notifications_sent ON notifications(topic, subscription, "
        "delivered_at_ms)");
  }));
  return std::unique_ptr<Notifier>(
      new Notifier(std::move(db), std::move(topics), max_attempts, std::move(lease), metrics));
}

const Subscription* Notifier::FindSubscription(const std::string& topic,
                                               const std::string& name) const {
  for (const Topic& t : topics_) {
    if (t.name != topic) continue;
    for (const Subscription& s : t.subscriptions)
      if (s.name == name) return &s;
  }
  return nullptr;
}

Status Notifier::Publish(const std::string& topic_name, const Json& event) {
  auto topic = std::find_if(topics_.begin(), topics_.end(),
                            [&](const Topic& t) { return t.name == topic_name; });
  if (topic == topics_.end()) return Status::NotFound("no topic named '" + topic_name + "'");
  // The event id is what makes publishing twice store once; without one, every event would
  // collapse into the first.
  const std::string event_id = StringField(event, "id");
  if (event_id.empty())
    return Status::InvalidArgument("an event published to '" + topic_name +
                                   "' must be an object with a non-empty string 'id'");
  const Json& detail = event.contains("detail") ? event["detail"] : Json::object();
  std::string summary = StringField(event, "detail-type") + " " + StringField(detail, "state");
  std::string body;
  try {
    body = event.dump();
  } catch (const Json::exception& e) {
    return Status::InvalidArgument("event " + event_id + " cannot be stored: " + e.what());
  }
  int64_t now = NowMillis();
  std::vector<std::string> stored;  // subscriptions that got a new notification
  Status s = db_->Transaction([&]() -> Status {
    stored.clear();
    for (const Subscription& sub : topic->subscriptions) {
      if (sub.filter && !sub.filter->Matches(event)) continue;
      if (sub.filter_policy && !sub.filter_policy->Matches(event)) continue;
      EP_ASSIGN_OR_RETURN(
          int64_t added,
          db_->Exec("INSERT INTO notifications(id, topic, subscription, type, target, event_id, "
                    "summary, "
                    "body, next_attempt_ms, created_at, age_from_ms) VALUES(?,?,?,?,?,?,?,?,?,?,?) "
                    "ON CONFLICT(topic, subscription, event_id) DO NOTHING",
                    // The URL's secrets are not stored; sending uses the subscription's own.
                    {NewUuid(), topic->name, sub.name, sub.type, RedactUrl(sub.target), event_id,
                     summary, body, now, FormatIsoMillis(now), now}));
      if (added > 0) stored.push_back(sub.name);
    }
    return Status::Ok();
  });
  if (s.ok() && metrics_)
    for (const std::string& sub : stored) metrics_->Notification(topic_name, sub, "published");
  return s;
}

Status Notifier::Send(const Subscription* sub, const Due& first, const std::string& delivery_id,
                      const std::vector<Json>& events, bool digest) {
  const NotificationRecord& n = first.record;
  Json digest_body;
  if (digest) {
    digest_body = {{"type", "digest"},
                   {"topic", n.topic},
                   {"subscription", n.subscription},
                   {"count", events.size()},
                   {"events", events}};
  }
  const std::string payload = digest ? digest_body.dump() : first.body;
  const SubscriberType* type = SubscriberFactory::Instance().Find(n.type);
  if (!type) {
    if (!sub) return NoLongerConfigured(n);
    return Status::InvalidArgument("unknown subscription type '" + n.type + "'");
  }
  return type->send(SendRequest{sub, n, delivery_id, payload, events, digest, digest_body});
}

Status Notifier::MarkDelivered(const std::vector<const Due*>& items, const std::string& digest_id) {
  int64_t t = NowMillis();
  Status s = db_->Transaction([&]() -> Status {
    for (const Due* d : items) {
      EP_RETURN_IF_ERROR(
          db_->Exec("UPDATE notifications SET status='delivered', attempts=attempts+1, "
                    "last_error=NULL, "
                    "delivered_at=?, delivered_at_ms=?, digest_id=NULLIF(?, ''), claimed_by=NULL, "
                    "lease_until=NULL WHERE id=?",
                    {FormatIsoMillis(t), t, digest_id, d->record.id})
              .status());
    }
    return Status::Ok();
  });
  Count(items, "delivered", s);
  return s;
}

void Notifier::Count(const std::vector<const Due*>& items, std::string_view state,
                     const Status& recorded) {
  if (!metrics_ || !recorded.ok()) return;
  for (const Due* d : items) metrics_->Notification(d->record.topic, d->record.subscription, state);
}

Status Notifier::MarkFailed(const Subscription* sub, const Due& d, const Status& s) {
  int64_t t = NowMillis();
  const Subscription defaults;
  int64_t max_age = (sub ? *sub : defaults).max_age_ms;
  const NotificationRecord& n = d.record;
  bool too_old = t - d.age_from_ms >= max_age;
  bool dead = too_old || s.code() == StatusCode::kInvalidArgument ||
              (max_attempts_ > 0 && n.attempts + 1 >= max_attempts_);
  // Senders name their URL redacted already; a message from a library might quote one.
  std::string error = RedactUrls(s.ToString());
  if (too_old) error += " (max_age reached)";
  spdlog::warn("Notification not delivered. id={} subscription={} attempt={} dead={} error={}",
               n.id, n.subscription, n.attempts + 1, dead, error);
  Status recorded = db_->Exec(
                           "UPDATE notifications SET status=?, attempts=attempts+1, last_error=?, "
                           "next_attempt_ms=?, "
                           "claimed_by=NULL, lease_until=NULL WHERE id=?",
                           {std::string(NotificationStatusName(
                                dead ? NotificationStatus::kDead : NotificationStatus::kPending)),
                            error, t + Backoff(sub ? *sub : Subscription{}, n.attempts), n.id})
                        .status();
  Count({&d}, dead ? "dead" : "failed", recorded);
  return recorded;
}

Result<int64_t> Notifier::SentInWindow(const std::string& topic, const Subscription& sub) {
  EP_ASSIGN_OR_RETURN(
      SqlRows q,
      db_->Query("SELECT count(DISTINCT COALESCE(digest_id, id)) FROM notifications "
                 "WHERE topic=? AND subscription=? AND status='delivered' AND delivered_at_ms > ?",
                 {topic, sub.name, NowMillis() - sub.rate_window_ms}));
  return q.empty() ? 0 : q.Int(0, 0);
}

Status Notifier::Hold(const Subscription& sub, const std::vector<const Due*>& items) {
  const NotificationRecord& first = items.front()->record;
  EP_ASSIGN_OR_RETURN(
      SqlRows q,
      db_->Query("SELECT COALESCE(min(delivered_at_ms), 0) FROM notifications "
                 "WHERE topic=? AND subscription=? AND status='delivered' AND delivered_at_ms > ?",
                 {first.topic, first.subscription, NowMillis() - sub.rate_window_ms}));
  int64_t until = (q.empty() ? 0 : q.Int(0, 0)) + sub.rate_window_ms + 1;
  Status s = db_->Transaction([&]() -> Status {
    for (const Due* d : items) {
      EP_RETURN_IF_ERROR(
          db_->Exec("UPDATE notifications SET next_attempt_ms=?, last_error=?, claimed_by=NULL, "
                    "lease_until=NULL WHERE id=?",
                    {until, "held back by the rate limit (max_per_hour); goes out in a digest",
                     d->record.id})
              .status());
    }
    return Status::Ok();
  });
  Count(items, "held", s);
  return s;
}

Result<int> Notifier::DeliverDue() {
  int64_t now = NowMillis();
  std::vector<Due> due;
  // Claimed for this worker under a lease, so that workers sharing the outbox never send one
  // notification twice (SKIP LOCKED: concurrent claimers take disjoint rows).
  EP_RETURN_IF_ERROR(db_->ConcurrentTransaction([&]() -> Status {
    due.clear();
    EP_ASSIGN_OR_RETURN(SqlRows claimed, ClaimDueRows(*db_, lease_,
                                                      {.table = "notifications",
                                                       .order_by = "rowid",
                                                       .due_ms = now,
                                                       .now_ms = now,
                                                       .limit = 500}));
    if (claimed.empty()) return Status::Ok();
    EP_ASSIGN_OR_RETURN(
        SqlRows q,
        db_->Query("SELECT id, topic, subscription, type, target, event_id, attempts, body, "
                   "COALESCE(age_from_ms, next_attempt_ms) FROM notifications "
                   "WHERE status='pending' AND claimed_by = ? AND lease_until = ? ORDER BY rowid",
                   {lease_.worker_id, now + lease_.lease_ms}));
    for (size_t r = 0; r < q.size(); ++r) {
      Due d;
      d.record.id = q.Text(r, 0);
      d.record.topic = q.Text(r, 1);
      d.record.subscription = q.Text(r, 2);
      d.record.type = q.Text(r, 3);
      d.record.target = q.Text(r, 4);
      d.record.event_id = q.Text(r, 5);
      d.record.attempts = static_cast<int>(q.Int(r, 6));
      d.body = q.Text(r, 7);
      d.age_from_ms = q.Int(r, 8);
      due.push_back(std::move(d));
    }
    return Status::Ok();
  }));
  if (due.empty()) return 0;
  // What this pass did not get to (a failing receiver's later notifications) is released at
  // the end, so another worker need not wait for the lease to run out.
  struct ReleaseRest {
    Notifier* self;
    ~ReleaseRest() {
      (void)self->db_->Exec(
          "UPDATE notifications SET claimed_by=NULL, lease_until=NULL "
          "WHERE claimed_by=? AND status='pending'",
          {self->lease_.worker_id});
    }
  } release_rest{this};
  // Grouped per subscription, keeping the oldest-first order inside each group.
  std::vector<std::pair<std::string, std::vector<const Due*>>> groups;
  std::map<std::string, size_t> group_of;
  for (const Due& d : due) {
    std::string key = d.record.topic + '\n' + d.record.subscription;
    auto [it, fresh] = group_of.emplace(key, groups.size());
    if (fresh) groups.push_back({key, {}});
    groups[it->second].second.push_back(&d);
  }

  int delivered = 0;
  for (const auto& [key, items] : groups) {
    const Subscription* sub =
        FindSubscription(items.front()->record.topic, items.front()->record.subscription);
    int64_t budget = static_cast<int64_t>(items.size());
    if (sub && sub->rate_max > 0) {
      EP_ASSIGN_OR_RETURN(int64_t sent, SentInWindow(items.front()->record.topic, *sub));
      budget = sub->rate_max - sent;
      if (budget <= 0) {
        // Held until the oldest delivery of the window leaves it, then sent as a digest;
        // rescheduled rather than left due, so a held storm does not crowd the due batch.
        EP_RETURN_IF_ERROR(Hold(*sub, items));
        continue;
      }
    }
    if (static_cast<int64_t>(items.size()) > budget && items.size() > 1) {
      std::vector<Json> events;
      for (const Due* d : items) {
        Result<Json> ev = ParseJson(d->body);
        events.push_back(ev.ok() ? std::move(*ev) : Json::object());
      }
      std::string digest_id = NewUuid();
      Status s = Send(sub, *items.front(), digest_id, events, true);
      if (s.ok()) {
        spdlog::info("Digest delivered. subscription={} notifications={} digest_id={}",
                     items.front()->record.subscription, items.size(), digest_id);
        EP_RETURN_IF_ERROR(MarkDelivered(items, digest_id));
        delivered += static_cast<int>(items.size());
      } else {
        for (const Due* d : items) EP_RETURN_IF_ERROR(MarkFailed(sub, *d, s));
      }
      continue;
    }
    for (const Due* d : items) {
      Result<Json> ev = ParseJson(d->body);
      Status s = ev.ok() ? Send(sub, *d, d->record.id, {*ev}, false) : ev.status();
      if (s.ok()) {
        EP_RETURN_IF_ERROR(MarkDelivered({d}, ""));
        ++delivered;
        continue;
      }
      EP_RETURN_IF_ERROR(MarkFailed(sub, *d, s));
      // A receiver that is down or hanging would fail (or time out on) the rest as well: one
      // attempt per subscription per pass keeps the dispatcher from waiting out a timeout per
      // notification. The rest stay due and are tried, oldest first, in the next passes.
      if (s.code() != StatusCode::kInvalidArgument) break;
    }
  }
  return delivered;
}

Result<int64_t> Notifier::PendingCount() {
  EP_ASSIGN_OR_RETURN(SqlRows q,
                      db_->Query("SELECT count(*) FROM notifications WHERE status='pending'"));
  return q.empty() ? 0 : q.Int(0, 0);
}

Result<int> Notifier::Redrive(const std::string& id) {
  int64_t now = NowMillis();
  EP_ASSIGN_OR_RETURN(
      int64_t changed,
      db_->Exec(
          "UPDATE notifications SET status='pending', attempts=0, next_attempt_ms=?, age_from_ms=? "
          "WHERE status='dead' AND (? = '' OR id = ?)",
          {now, now, id, id}));
  return static_cast<int>(changed);
}

Result<std::vector<NotificationRecord>> Notifier::List(int limit,
                                                       std::optional<NotificationStatus> only) {
  const std::string status = only ? std::string(NotificationStatusName(*only)) : "";
  return Select("WHERE (?1 = '' OR status = ?1) ORDER BY rowid DESC LIMIT ?2",
                {status, int64_t{limit}});
}

Result<std::vector<NotificationRecord>> Notifier::ListForEvent(const std::string& event_id) {
  return Select("WHERE event_id = ?1 ORDER BY rowid", {event_id});
}

Result<std::vector<NotificationRecord>> Notifier::Select(const std::string& where,
                                                         const SqlParams& params) {
  EP_ASSIGN_OR_RETURN(
      SqlRows q,
      db_->Query("SELECT id, topic, subscription, type, target, event_id, status, attempts, "
                 "COALESCE(last_error,''), created_at, COALESCE(delivered_at,''), summary, "
                 "COALESCE(digest_id,'') FROM notifications " +
                     where,
                 params));
  std::vector<NotificationRecord> out;
  for (size_t r = 0; r < q.size(); ++r) {
    NotificationRecord n;
    n.id = q.Text(r, 0);
    n.topic = q.Text(r, 1);
    n.subscription = q.Text(r, 2);
    n.type = q.Text(r, 3);
    // Rows stored before secrets were redacted are shown redacted too.
    n.target = RedactUrl(q.Text(r, 4));
    n.event_id = q.Text(r, 5);
    const std::string status_name = q.Text(r, 6);
    std::optional<NotificationStatus> parsed = ParseNotificationStatus(status_name);
    if (!parsed)
      return Status::CorruptInput("notification " + n.id + " has an unknown status '" +
                                  status_name + "'");
    n.status = *parsed;
    n.attempts = static_cast<int>(q.Int(r, 7));
    n.last_error = RedactUrls(q.Text(r, 8));
    n.created_at = q.Text(r, 9);
    n.delivered_at = q.Text(r, 10);
    n.summary = q.Text(r, 11);
    n.digest_id = q.Text(r, 12);
    out.push_back(std::move(n));
  }
  return out;
}

}  // namespace ecompipe::notify
