// SqsEventSource: S3 event notifications from an SQS queue, the AWS standard wiring
// (PutBucketNotificationConfiguration with a QueueConfiguration for s3:ObjectCreated:*).
//
// The receiver thread long-polls ReceiveMessage and hands every ObjectCreated record for the
// configured bucket to the owner (see event_source.h), which records it durably (an Object
// Created event, deduplicated by key and ETag). A message is deleted only once the load of
// every version it names has committed in the warehouse (LoadCheck, the load ledger): until
// then it is held, in memory, by its latest receipt handle.
//
//   - While held, the keeper thread keeps the message invisible: messages are received with
//     VisibilityTimeout = visibility_timeout_seconds, and every half of it the held ones get
//     ChangeMessageVisibilityBatch (10 per call), so a long load is not delivered twice and the
//     queue sees one call per ten messages per half-timeout.
//   - The keeper asks LoadCheck about held messages (each at most every few seconds, sooner
//     after a hand-over) and deletes the committed ones (DeleteMessageBatch). This holds for
//     any worker's commit (a shared PostgreSQL warehouse) and for a version that committed
//     earlier (a redelivered message whose event is deduplicated is deleted as soon as it is
//     checked).
//   - A failed load (LoadState::kFailed), a record that could not be recorded, or a heartbeat
//     the queue refused (SQS allows 12 hours from receipt): the message is let go, not
//     deleted; SQS delivers it again after its visibility timeout, and its redrive policy
//     moves it to a dead-letter queue after maxReceiveCount receipts.
//   - A message that holds nothing for ecompipe (s3:TestEvent, other buckets, removals) is
//     deleted at once; one that is not a notification is left in the queue and logged.
//   - Stop() makes the held messages visible again at once (visibility 0), so that a restart
//     or another worker takes them over; after a crash they return when their timeout ends.
// Nothing about held messages is stored: a restarted process receives them again (with new
// receipt handles) and the load ledger, which is durable, says when they may go.
//
// Errors: a refused receive (403) is logged once per streak and polling backs off up to a
// minute; other failures back off from one second.
//
// Thread-safety: Stop() may be called from any thread but the source's own.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "common/status.h"
#include "storage/event_source.h"
#include "storage/s3/sqs_queue.h"

namespace ecompipe::storage::s3 {

struct SqsOptions {
  int wait_time_seconds = 20;            // long polling, 0..20
  int max_messages = 10;                 // per ReceiveMessage, 1..10
  int visibility_timeout_seconds = 120;  // 1..43200; renewed every half of it while held
  int64_t max_check_interval_ms = 5000;  // the longest a held message waits between checks
};

class SqsEventSource final : public EventSource {
 public:
  // Starts polling `queue` for notifications about `bucket`.
  static std::unique_ptr<SqsEventSource> Start(std::unique_ptr<SqsQueue> queue, SqsOptions options,
                                               std::string bucket, ObjectCallback on_object,
                                               LoadCheck load_check);
  // The same over HTTP (HttpSqsQueue); kInvalidArgument for a bad queue URL or no credentials.
  static Result<std::unique_ptr<SqsEventSource>> Start(const SqsSettings& settings,
                                                       std::string bucket, ObjectCallback on_object,
                                                       LoadCheck load_check);
  ~SqsEventSource() override;
  void Stop() override;

  // How many messages are held now (for tests and the log).
  size_t held() const;

 private:
  struct Book;
  SqsEventSource(std::unique_ptr<SqsQueue> queue, SqsOptions options, std::string bucket,
                 ObjectCallback on_object, LoadCheck load_check);
  void Run();
  void Handle(const SqsMessage& m);
  void RunKeeper();
  void CheckHeld();
  void Heartbeat();
  void DeleteNow(const std::vector<std::string>& handles, const char* why);

  const std::unique_ptr<SqsQueue> queue_;
  const SqsOptions options_;
  const std::string bucket_;
  const ObjectCallback on_object_;
  const LoadCheck load_check_;
  std::atomic<bool> stop_{false};
  const std::shared_ptr<Book> book_;  // shared with `done` callbacks, which may outlive this
  std::thread receiver_;
  std::thread keeper_;
};

}  // namespace ecompipe::storage::s3
