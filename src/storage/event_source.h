// Event sources: listeners that learn of new objects in the bucket and hand their keys to the
// pipeline, which records each one durably (an Object Created event, deduplicated by key and
// ETag) and then calls `done`. `ecompipe serve` starts the bucket's sources, runs its loop, and
// stops them.
//
//   FolderWatcher          inotify on a local bucket folder (storage/local/folder_watcher.h)
//   SqsEventSource         long-polls an SQS queue that receives S3 event notifications
//   WebhookEventSource     an HTTP endpoint receiving S3 event notification JSON (MinIO, Ceph)
//   ReconcileEventSource   ListObjectsV2 of an S3 bucket, a page at a time; it has no thread and
//                          works in Poll(), on the serve loop's thread
//
// Delivery contract with the owner: `on_object(key, done)` may be called from the source's
// threads at any time; the owner must eventually call `done(true, etag)` once the object's
// event is durably appended (or the version is known and already seen), naming the ETag of
// the version it recorded (empty when the object no longer exists), or `done(false, "")`
// when it could not record it. `done` may be called from any thread, once, even after the
// source stopped; an empty `done` asks for no answer (the folder watcher's).
// The webhook answers 200 once every record of a notification got done(true). SQS messages
// are kept further, until the load of each recorded version has committed (LoadCheck).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "common/status.h"

namespace ecompipe::storage {

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
  // A source with no thread of its own does its work here, called by the serve loop on its
  // thread after each dispatch round: a bounded piece of it when it is due. Returns the
  // milliseconds until the source wants the next call (0: at once), or nullopt when it never
  // does (a source with threads: the default). Errors are the source's to log and retry.
  virtual std::optional<int64_t> Poll() { return std::nullopt; }
};

}  // namespace ecompipe::storage
