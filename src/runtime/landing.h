// Landing: how objects in the bucket become Object Created events.
//
// Each object version (bucket, key, ETag) is announced once: the table `seen_objects` in the
// state store remembers the versions announced, and the event's id is derived from the version,
// so workers that notice one landing at the same time append one event (the log refuses a
// second id). Objects arrive three ways: a scan of the whole bucket (at start, and after the
// folder watcher lost events), keys handed over by the event sources (QueueLanded, from their
// threads), and objects listed by reconciliation (Announce, on the dispatcher thread).
//
// The event is appended before the version is marked seen: a crash in between announces it
// again at the next start, which targets absorb (at-least-once, idempotent targets).
//
// Thread-safety: QueueLanded() and QueueRescan() may be called from any thread; everything
// else from the dispatcher thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "common/json.h"
#include "common/sql_db.h"
#include "common/status.h"
#include "events/event.h"
#include "events/event_bus.h"
#include "metrics/metrics.h"
#include "storage/event_source.h"
#include "storage/object_store.h"
#include "warehouse/warehouse.h"

namespace ecompipe::runtime {

// The object version an Object Created event names (detail.object.key and etag; the bucket of
// detail.bucket.name, else `bucket`). kInvalidArgument when it names no key.
Result<storage::ObjectRef> ObjectNamedBy(const Json& event, const std::string& bucket);

class Landing {
 public:
  // The collaborators, owned by the caller and outliving the Landing. `warehouse` is only
  // read, to say in the log what becomes of content it has seen.
  struct Env {
    storage::ObjectStore& store;
    events::EventBus& bus;
    warehouse::Warehouse& warehouse;
    events::Origin origin;
    metrics::Metrics* metrics = nullptr;  // counts the objects landed; null: not counted
  };

  // Opens the table seen_objects in the state store at `state_location` (an SQLite file or a
  // PostgreSQL URL, see OpenSqlDb), creating it if missing.
  static Result<std::unique_ptr<Landing>> Open(const std::string& state_location, Env env);

  // Emits Object Created for every object whose (key, ETag) has not been seen; returns how
  // many. This is how files that landed while ecompipe was down are picked up.
  Result<int> ScanBucket();
  // Emits Object Created for `key` if this version of it has not been seen yet; returns the
  // ETag of the version recorded ("" when the object is gone again).
  Result<std::string> RecordLanded(const std::string& key);
  // Thread-safe hand-over from the watcher and the S3 event sources; DrainLanded() processes
  // the queue. `done`, when given, is called on the dispatcher thread after the key was
  // handled: (true, ETag) once the Object Created event of that version is durably appended
  // or the version was seen before; (true, "") when the object is gone; (false, "") when that
  // could not be established (S3 down).
  void QueueLanded(const std::string& key, storage::DoneCallback done = {});
  // Thread-safe: asks DrainLanded() for a scan of the whole bucket (events were lost).
  void QueueRescan();
  // Handles what QueueLanded() and QueueRescan() queued. An error recording one key is logged
  // and told to its `done`; a failed scan is returned.
  Status DrainLanded();
  // Emits Object Created for `object` (as listed, not read again) unless this (bucket, key,
  // ETag) was seen; true if it did.
  Result<bool> Announce(const storage::ObjectRef& object);

 private:
  Landing(std::unique_ptr<SqlDb> state, Env env) : state_(std::move(state)), env_(std::move(env)) {}

  std::unique_ptr<SqlDb> state_;  // seen_objects
  Env env_;
  uint64_t sequencer_ = 0;

  std::mutex landed_mutex_;
  std::deque<std::pair<std::string, storage::DoneCallback>> landed_;
  bool rescan_ = false;
};

}  // namespace ecompipe::runtime
