// Event sources for an S3 bucket: listeners that learn of new objects and hand their keys to
// the pipeline, which records each one durably (an Object Created event, deduplicated by key
// and ETag) and then calls `done`.
//
//   SqsEventSource      long-polls an SQS queue that receives S3 event notifications
//   WebhookEventSource  an HTTP endpoint receiving S3 event notification JSON (MinIO, Ceph)
//
// Periodic ListObjectsV2 reconciliation is the third source; it runs on the pipeline's own
// thread (Pipeline::ReconcileStep), since it needs no listener.
//
// Delivery contract with the owner: `on_object(key, done)` may be called from the source's
// threads at any time; the owner must eventually call `done(true)` once the object's event is
// durably appended (or the key is known and already seen, or the object no longer exists),
// or `done(false)` when it could not record it. `done` may be called from any thread, once.
// A source acknowledges its sender (deletes the SQS message, answers the webhook 200) only
// after every record of a notification got done(true); otherwise the sender delivers again.
#pragma once

#include <functional>
#include <string>

namespace ecompipe::storage::s3 {

using DoneCallback = std::function<void(bool recorded)>;
using ObjectCallback = std::function<void(const std::string& key, DoneCallback done)>;

class EventSource {
 public:
  virtual ~EventSource() = default;
  // Stops the source's threads and waits for them; no callback starts after it returns.
  // Idempotent. Keys handed over and not yet done are simply not acknowledged.
  virtual void Stop() = 0;
};

}  // namespace ecompipe::storage::s3
