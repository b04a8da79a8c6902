#include "notify/notifier.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "common/ids.h"
#include "common/time_util.h"
#include "notify/http_post.h"

namespace ecompipe::notify {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS notifications (
  id TEXT PRIMARY KEY,
  topic TEXT NOT NULL,
  subscription TEXT NOT NULL,
  type TEXT NOT NULL,
  target TEXT NOT NULL,
  event_id TEXT NOT NULL,
  summary TEXT NOT NULL,
  body TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending',   -- pending | delivered | dead
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms INTEGER NOT NULL,
  last_error TEXT,
  created_at TEXT NOT NULL,
  delivered_at TEXT,
  UNIQUE(topic, subscription, event_id)
);
CREATE INDEX IF NOT EXISTS notifications_due ON notifications(status, next_attempt_ms);
)sql";

Status AppendLine(const std::string& path, const std::string& line) {
  std::error_code ec;
  std::filesystem::path p(path);
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path(), ec);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IoError("opening " + path + ": " + std::strerror(errno));
  std::string data = line + "\n";
  // One write() of the whole line: with O_APPEND, concurrent writers never interleave lines.
  ssize_t n = ::write(fd, data.data(), data.size());
  int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(data.size()))
    return Status::IoError("writing " + path + ": " + std::strerror(err));
  return Status::Ok();
}

// `object[key]` when it is a string, else "" (Json::value would throw on other types).
std::string StringField(const Json& object, const char* key) {
  if (!object.is_object()) return {};
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

Result<std::unique_ptr<Notifier>> Notifier::Open(const std::string& state_db_path,
                                                 std::vector<Topic> topics, int max_attempts) {
  EP_ASSIGN_OR_RETURN(auto db, SqliteDb::Open(state_db_path));
  EP_RETURN_IF_ERROR(db->Exec(kSchema));
  return std::unique_ptr<Notifier>(new Notifier(std::move(db), std::move(topics), max_attempts));
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
  return db_->Transaction([&]() -> Status {
    EP_ASSIGN_OR_RETURN(SqliteStmt ins, db_->Prepare(
        "INSERT INTO notifications(id, topic, subscription, type, target, event_id, summary, body,"
        " next_attempt_ms, created_at) VALUES(?,?,?,?,?,?,?,?,?,?) "
        "ON CONFLICT(topic, subscription, event_id) DO NOTHING"));
    for (const Subscription& sub : topic->subscriptions) {
      if (sub.filter && !sub.filter->Matches(event)) continue;
      ins.Bind(1, NewUuid()).Bind(2, topic->name).Bind(3, sub.name).Bind(4, sub.type)
          .Bind(5, sub.target).Bind(6, event_id).Bind(7, summary).Bind(8, body)
          .Bind(9, now).Bind(10, FormatIsoMillis(now));
      EP_RETURN_IF_ERROR(ins.Run());
      EP_RETURN_IF_ERROR(ins.Reset());
    }
    return Status::Ok();
  });
}

Status Notifier::Send(const NotificationRecord& n, const std::string& body) {
  if (n.type == "log") {
    EP_ASSIGN_OR_RETURN(Json event, ParseJson(body));
    Json line = {{"notification_id", n.id}, {"topic", n.topic}, {"subscription", n.subscription},
                 {"delivered_at", FormatIsoMillis(NowMillis())}, {"event", std::move(event)}};
    return AppendLine(n.target, line.dump());
  }
  if (n.type == "webhook") {
    auto r = HttpPost(n.target, body,
                      {{"Content-Type", "application/json"},
                       {"X-Ecompipe-Delivery", n.id},
                       {"X-Ecompipe-Topic", n.topic}});
    return r.status();
  }
  return Status::InvalidArgument("unknown subscription type '" + n.type + "'");
}

Result<int> Notifier::DeliverDue() {
  int64_t now = NowMillis();
  std::vector<std::pair<NotificationRecord, std::string>> due;
  {
    EP_ASSIGN_OR_RETURN(SqliteStmt q, db_->Prepare(
        "SELECT id, topic, subscription, type, target, event_id, attempts, body FROM notifications "
        "WHERE status='pending' AND next_attempt_ms <= ? ORDER BY rowid LIMIT 500"));
    q.Bind(1, now);
    while (true) {
      EP_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      NotificationRecord n;
      n.id = q.Text(0);
      n.topic = q.Text(1);
      n.subscription = q.Text(2);
      n.type = q.Text(3);
      n.target = q.Text(4);
      n.event_id = q.Text(5);
      n.attempts = static_cast<int>(q.Int(6));
      due.emplace_back(std::move(n), q.Text(7));
    }
  }
  int delivered = 0;
  for (const auto& [n, body] : due) {
    Status s = Send(n, body);
    int64_t t = NowMillis();
    if (s.ok()) {
      EP_ASSIGN_OR_RETURN(SqliteStmt u, db_->Prepare(
          "UPDATE notifications SET status='delivered', attempts=attempts+1, last_error=NULL, "
          "delivered_at=? WHERE id=?"));
      EP_RETURN_IF_ERROR(u.Bind(1, FormatIsoMillis(t)).Bind(2, n.id).Run());
      ++delivered;
      continue;
    }
    bool dead = n.attempts + 1 >= max_attempts_ || s.code() == StatusCode::kInvalidArgument;
    int64_t delay = std::min<int64_t>(1000LL << std::min(n.attempts, 16), 10 * 60 * 1000);
    spdlog::warn("Notification not delivered. id={} subscription={} attempt={} dead={} error={}",
                 n.id, n.subscription, n.attempts + 1, dead, s.ToString());
    EP_ASSIGN_OR_RETURN(SqliteStmt u, db_->Prepare(
        "UPDATE notifications SET status=?, attempts=attempts+1, last_error=?, next_attempt_ms=? "
        "WHERE id=?"));
    EP_RETURN_IF_ERROR(
        u.Bind(1, dead ? "dead" : "pending").Bind(2, s.ToString()).Bind(3, t + delay).Bind(4, n.id).Run());
  }
  return delivered;
}

Result<int64_t> Notifier::PendingCount() {
  EP_ASSIGN_OR_RETURN(SqliteStmt q,
                      db_->Prepare("SELECT count(*) FROM notifications WHERE status='pending'"));
  EP_ASSIGN_OR_RETURN(bool row, q.Step());
  return row ? q.Int(0) : 0;
}

Result<std::vector<NotificationRecord>> Notifier::List(int limit) {
  EP_ASSIGN_OR_RETURN(SqliteStmt q, db_->Prepare(
      "SELECT id, topic, subscription, type, target, event_id, status, attempts, "
      "COALESCE(last_error,''), created_at, COALESCE(delivered_at,''), summary "
      "FROM notifications ORDER BY rowid DESC LIMIT ?"));
  q.Bind(1, static_cast<int64_t>(limit));
  std::vector<NotificationRecord> out;
  while (true) {
    EP_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    NotificationRecord n;
    n.id = q.Text(0);
    n.topic = q.Text(1);
    n.subscription = q.Text(2);
    n.type = q.Text(3);
    n.target = q.Text(4);
    n.event_id = q.Text(5);
    n.status = q.Text(6);
    n.attempts = static_cast<int>(q.Int(7));
    n.last_error = q.Text(8);
    n.created_at = q.Text(9);
    n.delivered_at = q.Text(10);
    n.summary = q.Text(11);
    out.push_back(std::move(n));
  }
  return out;
}

}  // namespace ecompipe::notify
