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
// threads at any time; the owner must eventually call `done(true, etag)` once the object's
// event is durably appended (or the version is known and already seen), naming the ETag of
// the version it recorded (empty when the object no longer exists), or `done(false, "")`
// when it could not record it. `done` may be called from any thread, once, even after the
// source stopped.
// The webhook answers 200 once every record of a notification got done(true). SQS messages
// are kept further, until the load of each recorded version has committed (LoadCheck).
#pragma once

#include <functional>
#include <string>

#include "common/status.h"

namespace ecompipe::storage::s3 {

using DoneCallback = std::function<void(bool recorded, const std::string& etag)>;
using ObjectCallback = std::function<void(const std::string& key, DoneCallback done)>;

// Where the load of one object version (key, ETag) stands, as the warehouse's load ledger says:
//   kPending    not committed yet (or not known: the warehouse could not be asked)
//   kCommitted  committed: loaded (rejected rows included), skipped by `on_reload: ignore`,
//               or nothing loads such an object (no rule routes it to a crawler or job)
//   kFailed     the load failed for good (ledger status "failed", or its crawl failed)
enum class LoadState { kPending, kCommitted, kFailed };
// Asked from a source's own thread; must be thread-safe. An error counts as kPending.
using LoadCheck = std::function<Result<LoadState>(const std::string& key, const std::string& etag)>;

class EventSource {
 public:
  virtual ~EventSource() = default;
  // Stops the source's threads and waits for them; no callback starts after it returns.
  // Idempotent. Keys handed over and not yet done are simply not acknowledged.
  virtual void Stop() = 0;
};

}  // namespace ecompipe::storage::s3
