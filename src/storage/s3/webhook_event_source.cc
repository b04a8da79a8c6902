#include "storage/s3/webhook_event_source.h"

#include <httplib.h>
#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "storage/s3/s3_event_notification.h"

namespace ecompipe::storage::s3 {
namespace {

constexpr size_t kMaxBodyBytes = 1 << 20;

// Constant-time comparison of the presented token with the configured one.
bool TokenMatches(const std::string& header, const std::string& token) {
  const std::string want = "Bearer " + token;
  if (header.size() != want.size()) return false;
  return CRYPTO_memcmp(header.data(), want.data(), want.size()) == 0;
}

// Waits for the `done` callbacks of one request.
struct Acks {
  std::mutex mu;
  std::condition_variable cv;
  int remaining = 0;
  bool failed = false;
};

}  // namespace

WebhookEventSource::WebhookEventSource(WebhookSettings settings, std::string bucket,
                                       ObjectCallback on_object)
    : settings_(std::move(settings)),
      bucket_(std::move(bucket)),
      on_object_(std::move(on_object)) {}

WebhookEventSource::~WebhookEventSource() { Stop(); }

void WebhookEventSource::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

Result<std::unique_ptr<WebhookEventSource>> WebhookEventSource::Start(WebhookSettings settings,
                                                                      std::string bucket,
                                                                      ObjectCallback on_object) {
  if (settings.token.empty())
    return Status::InvalidArgument("S3 webhook source: no token (a shared secret is required)");
  if (settings.path.empty() || settings.path[0] != '/')
    return Status::InvalidArgument("S3 webhook source: the path '" + settings.path +
                                   "' must start with '/'");
  std::unique_ptr<WebhookEventSource> s(
      new WebhookEventSource(std::move(settings), std::move(bucket), std::move(on_object)));
  s->server_ = std::make_unique<httplib::Server>();
  httplib::Server& server = *s->server_;
  server.set_payload_max_length(kMaxBodyBytes);
  server.set_read_timeout(10, 0);
  WebhookEventSource* self = s.get();
  server.Post(self->settings_.path, [self](const httplib::Request& req, httplib::Response& res) {
    if (!TokenMatches(req.get_header_value("Authorization"), self->settings_.token)) {
      spdlog::warn("S3 webhook request refused: missing or wrong token. remote={}",
                   req.remote_addr);
      res.status = 401;
      res.set_content("missing or wrong bearer token\n", "text/plain");
      return;
    }
    Result<std::vector<S3EventRecord>> records = ParseS3EventNotification(req.body);
    if (!records.ok()) {
      res.status = 400;
      res.set_content(records.status().message() + "\n", "text/plain");
      return;
    }
    auto acks = std::make_shared<Acks>();
    int handed = 0;
    for (const S3EventRecord& r : *records) {
      if (!r.created()) continue;
      if (r.bucket != self->bucket_) {
        spdlog::warn("S3 notification for another bucket ignored. bucket={} key={}", r.bucket,
                     r.key);
        continue;
      }
      {
        std::lock_guard lock(acks->mu);
        ++acks->remaining;
      }
      ++handed;
      self->on_object_(r.key, [acks](bool recorded, const std::string&) {
        {
          std::lock_guard lock(acks->mu);
          if (!recorded) acks->failed = true;
          --acks->remaining;
        }
        acks->cv.notify_all();
      });
    }
    std::unique_lock lock(acks->mu);
    const bool finished =
        acks->cv.wait_for(lock, std::chrono::milliseconds(self->settings_.ack_timeout_ms),
                          [&] { return acks->remaining == 0; });
    if (!finished || acks->failed) {
      res.status = 503;
      res.set_content(finished ? "an object could not be recorded; send again\n"
                               : "not recorded in time; send again\n",
                      "text/plain");
      return;
    }
    res.status = 200;
    res.set_content("{\"recorded\":" + std::to_string(handed) + "}\n", "application/json");
  });
  if (self->settings_.port == 0) {
    s->port_ = server.bind_to_any_port(self->settings_.host);
  } else {
    s->port_ =
        server.bind_to_port(self->settings_.host, self->settings_.port) ? self->settings_.port : -1;
  }
  if (s->port_ <= 0)
    return Status::Unavailable("S3 webhook source: cannot listen on " + self->settings_.host + ":" +
                               std::to_string(self->settings_.port));
  s->thread_ = std::thread([self] { self->server_->listen_after_bind(); });
  spdlog::info("S3 webhook source listening. address={}:{} path={} bucket={}", self->settings_.host,
               s->port_, self->settings_.path, self->bucket_);
  return s;
}

}  // namespace ecompipe::storage::s3
