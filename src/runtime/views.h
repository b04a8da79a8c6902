// The reads behind `ecompipe status`, `runs`, `events`, `rejects`, `catalog` and
// `notifications`, as JSON documents: the CLI prints them (as tables or as they are with
// --json) and the HTTP API serves them (runtime/api_service.h), so both answer from the same
// code. Numbers are JSON numbers; times are the stores' RFC 3339 UTC text.
//
// Thread-safety: as the pipeline's stores (one caller at a time per Pipeline).
#pragma once

#include <string>
#include <vector>

#include "common/json.h"
#include "common/status.h"
#include "runtime/pipeline.h"
#include "events/event_log.h"
#include "notify/notifier.h"
#include "runtime/run_store.h"
#include "warehouse/warehouse.h"

namespace ecompipe::runtime::views {

// The warehouse's figures for `status` (running totals: no scan of the facts at any size). A
// warehouse that cannot answer is {"path", "error"}, never zeros. On PostgreSQL a count waits
// at most a few seconds for a lock.
Json WarehouseFigures(Pipeline& p);

// `status`: bucket, warehouse, events, last_run, notifications_pending and, when a serve process
// reports one, serve (runtime/dispatch_health.h). Counting the bucket's objects walks the bucket
// (0.7 s at 10,000 objects in day folders): without `count_bucket`, bucket.objects is null.
Json Status(Pipeline& p, bool count_bucket = true);

// One run: its fields and, when it has them, its objects with their counts.
Json Run(const RunRecord& run);

// Every reason code a reject can carry here: the built-in ones, the configured jobs' own, and
// any the warehouse holds (from an earlier configuration). Sorted.
std::vector<std::string> KnownReasons(Pipeline& p);

// The key `name` means: a full key, or a file name (the key's last part) that one loaded or
// rejected object has. kNotFound when none has; kInvalidArgument naming the keys when several
// have.
Result<std::string> ResolveObjectKey(warehouse::Warehouse& w, const std::string& name);

// Which rejects to read; each given filter narrows (an empty one is any).
struct RejectFilter {
  std::string reason;
  std::string object;  // a full key (ResolveObjectKey first)
  std::string run;     // a full run id (RunStore::ResolveId first)
};
// The SQL condition on the rejects table for `filter` (user text quoted as literals).
std::string RejectsWhere(const RejectFilter& filter);
// A page of rejects, oldest first, after reject id `after_id`: id, object, line, reason,
// detail, raw; and the cursor of the next page ("" at the end). Reads through the reason or
// source_object index (or the primary key), LIMITed.
Result<Json> Rejects(Pipeline& p, const RejectFilter& filter, int limit, int64_t after_id);

// `catalog`: every table (or only `table`) with its columns, objects, partitions and schema
// history. kNotFound, suggesting a close name, when `table` is given and absent.
Result<Json> Catalog(Pipeline& p, const std::string& table);

// An event as the log holds it: {seq, received_at, deliveries: {pending, done, dead}, event}.
Json Event(const events::StoredEvent& e);
// A notification's row.
Json Notification(const notify::NotificationRecord& n);

// A page of the load ledger, by key: objects whose key starts with `prefix`, after the cursor
// `after` (a page's next_cursor), each {key, etag, status, load_id, run_id, rows_read,
// rows_loaded, rows_rejected, message, finished_at}. Reads the ledger's primary key, LIMITed.
Result<Json> LedgerObjects(Pipeline& p, const std::string& prefix, const std::string& after,
                           int limit);

// A run with `limit` of its objects from the `offset`-th, each with its rejects by reason (read
// per object through the rejects' source_object index), objects_total and next_cursor (the
// next offset, "" at the end).
Result<Json> RunWithRejects(Pipeline& p, const RunRecord& run, size_t offset, size_t limit);

// What became of `key`, step by step, for each of its versions (ETags): landed (the object's
// modification time), crawled (the catalog), the job run that took it (started, finished,
// state), loaded (the ledger), and notified (the notifications of the run's final event).
// kNotFound when neither the catalog nor the ledger knows the key.
Result<Json> Trail(Pipeline& p, const std::string& key);

}  // namespace ecompipe::runtime::views
