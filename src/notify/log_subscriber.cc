// type: log: one JSON line per notification appended to a file.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/time_util.h"
#include "notify/subscriber.h"

namespace ecompipe::notify {
namespace {

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

Status ParseLog(const ConfigReader& sr, Subscription& sub) {
  EP_RETURN_IF_ERROR(
      sr.Forbid("url", "applies to webhook subscriptions; a log subscription writes to 'path'"));
  EP_RETURN_IF_ERROR(sr.CheckKeys(SubscriptionKeys({"path"})));
  std::string p;
  EP_RETURN_IF_ERROR(sr.PathString("path", p, true));
  sub.target = sr.Resolve(p).string();
  return Status::Ok();
}

// Works from the outbox row alone, so a removed subscription's notifications still go out.
Status SendLog(const SendRequest& r) {
  const NotificationRecord& n = r.record;
  Json line = {{"notification_id", r.delivery_id},
               {"topic", n.topic},
               {"subscription", n.subscription},
               {"delivered_at", FormatIsoMillis(NowMillis())}};
  if (r.digest)
    line["digest"] = r.digest_body;
  else
    line["event"] = r.events.front();
  return AppendLine(n.target, line.dump());
}

}  // namespace

void RegisterLogSubscriber(SubscriberFactory& factory) {
  factory.Register("log", {ParseLog, SendLog});
}

}  // namespace ecompipe::notify
