// SqsEventSource: S3 event notifications from an SQS queue, the AWS standard wiring
// (PutBucketNotificationConfiguration with a QueueConfiguration for s3:ObjectCreated:*).
//
// One thread long-polls ReceiveMessage (SQS's JSON protocol, signed with SigV4) and hands
// every ObjectCreated record for the configured bucket to the owner (see event_source.h). A
// message is deleted only once all its records were recorded; a message that holds nothing
// for ecompipe (s3:TestEvent, other buckets, removals) is deleted at once. A message that
// is not a notification is left in the queue and logged: after the queue's
// maxReceiveCount its redrive policy moves it to a dead-letter queue.
//
// Guarantee: at-least-once hand-over. A crash between recording and DeleteMessage makes SQS
// deliver the message again after its visibility timeout, and the pipeline's (key, ETag)
// deduplication absorbs it. A message whose recording takes longer than the visibility
// timeout is also delivered again, with the same outcome.
//
// Errors: a refused request (403: wrong credentials or policy) is logged once per streak and
// polling backs off up to a minute; other failures back off from one second.
//
// Thread-safety: Stop() may be called from any thread but the source's own.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/aws_sigv4.h"
#include "common/status.h"
#include "storage/s3/event_source.h"
#include "storage/s3/internal/s3_http.h"

namespace ecompipe::storage::s3 {

struct SqsSettings {
  std::string queue_url;   // "https://sqs.eu-west-1.amazonaws.com/123456789012/ecompipe-events"
  std::string endpoint;    // where requests go; empty: the queue URL's scheme://host
  std::string region;
  AwsCredentials credentials;
  int wait_time_seconds = 20;  // long polling, 0..20
  int max_messages = 10;       // per ReceiveMessage, 1..10
};

class SqsEventSource final : public EventSource {
 public:
  // Starts polling for notifications about `bucket`. kInvalidArgument for a bad queue URL.
  static Result<std::unique_ptr<SqsEventSource>> Start(SqsSettings settings, std::string bucket,
                                                       ObjectCallback on_object);
  ~SqsEventSource() override;
  void Stop() override;

  // The JSON bodies of ReceiveMessage and DeleteMessage (for tests).
  static std::string ReceiveBody(const SqsSettings& s);
  static std::string DeleteBody(const std::string& queue_url, const std::string& receipt_handle);

 private:
  struct Pending;
  SqsEventSource(SqsSettings settings, Endpoint endpoint, std::string bucket, ObjectCallback on_object);
  void Run();
  // One SQS JSON-protocol call ("ReceiveMessage", …); the parsed answer or the error.
  // `cancellable`: Stop() aborts it (receives, not deletes).
  Result<std::string> Call(const std::string& action, const std::string& body, long timeout_ms,
                           bool cancellable);
  void Handle(const std::string& body, const std::string& receipt_handle, const std::string& message_id);
  void RunDeleter();
  bool Sleep(int64_t ms);

  const SqsSettings settings_;
  const Endpoint endpoint_;
  const std::string bucket_;
  const ObjectCallback on_object_;
  std::atomic<bool> stop_{false};
  std::thread thread_;          // receives
  std::thread deleter_;         // deletes acknowledged messages

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> to_delete_;  // guarded by mu_: receipt handles, all records recorded
};

}  // namespace ecompipe::storage::s3
