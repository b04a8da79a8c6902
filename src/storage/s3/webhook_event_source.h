// WebhookEventSource: an HTTP endpoint (cpp-httplib) that receives S3 event notification JSON
// as MinIO's webhook target (notify_webhook) and Ceph RGW's HTTP push endpoint send it.
//
// Requests: POST <path> with the notification as the body, authenticated by a shared secret
// in "Authorization: Bearer <token>" (what MinIO sends for an auth_token of one word). A
// missing or wrong token is 401; a body that is not a notification is 400; anything but
// POST on <path> is 404/405. Bodies are limited to 1 MiB.
//
// The answer waits until every ObjectCreated record for the bucket is recorded (see
// event_source.h): 200 then; 503 when one could not be, or when recording takes longer than
// `ack_timeout_ms` (the keys stay queued and are recorded later; the sender's retry is
// deduplicated). So a 200 means the objects are durably in the pipeline.
//
// Plain HTTP only: run it on a private network or behind a TLS-terminating proxy.
// Thread-safety: Stop() from any thread but a request handler.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "common/status.h"
#include "storage/event_source.h"

namespace httplib {
class Server;
}

namespace ecompipe::storage::s3 {

struct WebhookSettings {
  std::string host = "127.0.0.1";
  int port = 9100;  // 0: any free port (see port())
  std::string path = "/s3-events";
  std::string token;  // required
  long ack_timeout_ms = 20000;
};

class WebhookEventSource final : public EventSource {
 public:
  // Binds and starts serving. kInvalidArgument for an empty token or a path not starting with
  // '/'; kUnavailable when the address cannot be bound.
  static Result<std::unique_ptr<WebhookEventSource>> Start(WebhookSettings settings,
                                                           std::string bucket,
                                                           ObjectCallback on_object);
  ~WebhookEventSource() override;
  void Stop() override;
  int port() const { return port_; }

 private:
  WebhookEventSource(WebhookSettings settings, std::string bucket, ObjectCallback on_object);

  const WebhookSettings settings_;
  const std::string bucket_;
  const ObjectCallback on_object_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace ecompipe::storage::s3
