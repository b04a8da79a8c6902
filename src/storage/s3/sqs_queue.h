// SqsQueue: the few SQS calls an event source needs, behind an interface so that the source's
// bookkeeping can be tested against a fake queue (tests/unit/storage/s3/sqs_event_source_test.cc).
//
// HttpSqsQueue speaks SQS's JSON protocol (X-Amz-Target: AmazonSQS.<Action>), signed with
// SigV4 for service "sqs". Errors: a refused request (403) is kInvalidArgument naming the
// credentials and the queue's policy; transport failures, 5xx, 429 and 408 are kUnavailable.
//
// Thread-safety: HttpSqsQueue is immutable after Open(); calls may run on any thread at once.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "common/aws_sigv4.h"
#include "common/status.h"
#include "storage/s3/internal/s3_http.h"

namespace ecompipe::storage::s3 {

struct SqsMessage {
  std::string message_id;
  std::string receipt_handle;  // valid for this receipt only; a redelivery brings a new one
  std::string body;
};

class SqsQueue {
 public:
  virtual ~SqsQueue() = default;
  virtual const std::string& url() const = 0;
  // ReceiveMessage: up to `max_messages` (1..10), long-polling `wait_seconds`; each returned
  // message stays invisible to other receivers for `visibility_seconds`. `cancel` (may be
  // null) aborts a long poll when it becomes true.
  virtual Result<std::vector<SqsMessage>> Receive(int max_messages, int wait_seconds,
                                                  int visibility_seconds,
                                                  const std::atomic<bool>* cancel) = 0;
  // DeleteMessageBatch / ChangeMessageVisibilityBatch over at most 10 receipt handles. The
  // result lists the handles the queue refused (an expired handle, say); an error means the
  // call as a whole failed.
  virtual Result<std::vector<std::string>> DeleteBatch(const std::vector<std::string>& handles) = 0;
  virtual Result<std::vector<std::string>> ChangeVisibilityBatch(
      const std::vector<std::string>& handles, int visibility_seconds) = 0;
};

struct SqsSettings {
  std::string queue_url;  // "https://sqs.eu-west-1.amazonaws.com/123456789012/ecompipe-events"
  std::string endpoint;   // where requests go; empty: the queue URL's scheme://host
  std::string region;
  AwsCredentials credentials;
  int wait_time_seconds = 20;            // long polling, 0..20
  int max_messages = 10;                 // per ReceiveMessage, 1..10
  int visibility_timeout_seconds = 120;  // how long a received message stays hidden, renewed
                                         // while its object's load runs (see sqs_event_source.h)
};

class HttpSqsQueue final : public SqsQueue {
 public:
  // kInvalidArgument for a bad queue URL or endpoint, or missing credentials.
  static Result<std::unique_ptr<HttpSqsQueue>> Open(const SqsSettings& settings);
  const std::string& url() const override { return queue_url_; }
  Result<std::vector<SqsMessage>> Receive(int max_messages, int wait_seconds,
                                          int visibility_seconds,
                                          const std::atomic<bool>* cancel) override;
  Result<std::vector<std::string>> DeleteBatch(const std::vector<std::string>& handles) override;
  Result<std::vector<std::string>> ChangeVisibilityBatch(const std::vector<std::string>& handles,
                                                         int visibility_seconds) override;

  // The JSON request bodies (for tests).
  static std::string ReceiveBody(const std::string& queue_url, int max_messages, int wait_seconds,
                                 int visibility_seconds);
  static std::string BatchBody(const std::string& queue_url,
                               const std::vector<std::string>& handles,
                               int visibility_seconds);  // < 0: DeleteMessageBatch's entries

 private:
  HttpSqsQueue(std::string queue_url, Endpoint endpoint, std::string region,
               AwsCredentials credentials)
      : queue_url_(std::move(queue_url)),
        endpoint_(std::move(endpoint)),
        region_(std::move(region)),
        credentials_(std::move(credentials)) {}
  // One SQS JSON-protocol call; the answer's body or the error.
  Result<std::string> Call(const std::string& action, const std::string& body, long timeout_ms,
                           const std::atomic<bool>* cancel) const;
  Result<std::vector<std::string>> Batch(const std::string& action,
                                         const std::vector<std::string>& handles,
                                         int visibility_seconds);

  const std::string queue_url_;
  const Endpoint endpoint_;
  const std::string region_;
  const AwsCredentials credentials_;
};

}  // namespace ecompipe::storage::s3
