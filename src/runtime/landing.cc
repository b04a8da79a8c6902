#include "runtime/landing.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <optional>
#include <utility>
#include <vector>

#include "common/digest.h"
#include "common/time_util.h"
#include "warehouse/loaded_copy.h"

namespace ecompipe::runtime {
namespace {

constexpr const char* kStateSchema = R"sql(
CREATE TABLE IF NOT EXISTS seen_objects (
  bucket TEXT NOT NULL,
  key TEXT NOT NULL,
  etag TEXT NOT NULL,
  size BIGINT NOT NULL,
  first_seen TEXT NOT NULL,
  PRIMARY KEY(bucket, key, etag)
);
)sql";

// Says in the log what becomes of content the warehouse has seen: a version landing again
// under its key (`is_new` false) is not loaded again; a copy under a new key loads, and the
// reference job rejects its rows as duplicates. Best effort: an unreadable ledger says nothing.
void LogKnownContent(warehouse::Warehouse& w, const storage::ObjectRef& o, bool is_new) {
  if (!is_new) {
    Result<std::optional<warehouse::LedgerEntry>> e = w.FindLoad(o);
    if (e.ok() && *e)
      spdlog::info(
          "Object landed again with content already {}; not loaded again. key={} etag={} run_id={}",
          warehouse::LedgerStatusName((*e)->status), o.key, o.etag, (*e)->run_id);
    return;
  }
  Result<std::optional<warehouse::LedgerEntry>> copy = warehouse::FindLoadedCopy(w, o);
  if (copy.ok() && *copy)
    spdlog::warn(
        "Object has the content of one already loaded; it loads as a new object, and the reference "
        "job rejects rows seen before as duplicate_transaction_id. key={} copy_of={} run_id={}",
        o.key, (*copy)->key, (*copy)->run_id);
}

// The Object Created event id of one object version: the same in every worker, so that workers
// that notice one landing at the same time append one event (the log refuses a second id).
std::string ObjectCreatedId(const storage::ObjectRef& o) {
  std::string h = Sha256Hex(o.bucket + '\n' + o.key + '\n' + o.etag);
  h[12] = '5';                // a name-based UUID (version 5 layout)
  h[16] = "89ab"[h[16] % 4];  // RFC 4122 variant
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20, 12);
}

}  // namespace

Result<storage::ObjectRef> ObjectNamedBy(const Json& event, const std::string& bucket) {
  const Json& detail = event.value("detail", Json::object());
  if (!detail.contains("object") || !detail["object"].contains("key"))
    return Status::InvalidArgument("event " + event.value("id", "") +
                                   " names no object (detail.object.key)");
  storage::ObjectRef ref;
  ref.bucket = detail.contains("bucket") ? detail["bucket"].value("name", bucket) : bucket;
  ref.key = detail["object"].value("key", "");
  ref.etag = detail["object"].value("etag", "");
  return ref;
}

Result<std::unique_ptr<Landing>> Landing::Open(const std::string& state_location, Env env) {
  EP_ASSIGN_OR_RETURN(std::unique_ptr<SqlDb> state, OpenSqlDb(state_location));
  SqlDb& db = *state;
  EP_RETURN_IF_ERROR(db.Transaction([&] { return db.ExecScript(kStateSchema); }));
  return std::unique_ptr<Landing>(new Landing(std::move(state), std::move(env)));
}

Result<std::string> Landing::RecordLanded(const std::string& key) {
  Result<storage::ObjectRef> head = env_.store.Head(key);
  if (!head.ok()) {
    if (head.status().code() == StatusCode::kNotFound) return std::string();  // gone again
    return head.status();
  }
  EP_ASSIGN_OR_RETURN(bool emitted, Announce(*head));
  if (!emitted) LogKnownContent(env_.warehouse, *head, false);
  return head->etag;
}

Result<bool> Landing::Announce(const storage::ObjectRef& o) {
  {
    EP_ASSIGN_OR_RETURN(
        SqlRows seen,
        state_->Query("SELECT 1 FROM seen_objects WHERE bucket=? AND key=? AND etag=?",
                      {o.bucket, o.key, o.etag}));
    if (!seen.empty()) return false;
  }
  // The event is appended before the object is marked seen: a crash in between emits it
  // again at the next start, which targets absorb (at-least-once, idempotent targets).
  std::string sequencer = fmt::format("{:012X}{:04X}", NowMillis(), (sequencer_++) & 0xffff);
  Json event = events::ObjectCreatedEvent(env_.origin, o.bucket, o.key, o.size, o.etag, "PutObject",
                                          sequencer);
  event["id"] = ObjectCreatedId(o);
  Result<int64_t> put = env_.bus.Put(event);
  // Another worker noticed the same landing first: its event stands for both.
  const bool emitted = put.ok();
  if (!put.ok() && put.status().code() != StatusCode::kAlreadyExists) return put.status();
  if (emitted) {
    spdlog::info("Object landed. key={} etag={} size={}", o.key, o.etag, o.size);
    if (env_.metrics) env_.metrics->ObjectLanded(o.size);
    LogKnownContent(env_.warehouse, o, true);
  }
  EP_RETURN_IF_ERROR(
      state_
          ->Exec(
              "INSERT INTO seen_objects(bucket, key, etag, size, first_seen) VALUES(?,?,?,?,?) "
              "ON CONFLICT DO NOTHING",
              {o.bucket, o.key, o.etag, static_cast<int64_t>(o.size), FormatIsoMillis(NowMillis())})
          .status());
  return emitted;
}

Result<int> Landing::ScanBucket() {
  EP_ASSIGN_OR_RETURN(std::vector<storage::ObjectRef> objects, env_.store.List(""));
  int emitted = 0;
  for (const storage::ObjectRef& o : objects) {
    EP_ASSIGN_OR_RETURN(bool emitted_one, Announce(o));
    emitted += emitted_one;
  }
  return emitted;
}

void Landing::QueueLanded(const std::string& key, storage::DoneCallback done) {
  {
    std::lock_guard lock(landed_mutex_);
    landed_.emplace_back(key, std::move(done));
  }
  env_.bus.Wake();
}

void Landing::QueueRescan() {
  {
    std::lock_guard lock(landed_mutex_);
    rescan_ = true;
  }
  env_.bus.Wake();
}

Status Landing::DrainLanded() {
  while (true) {
    std::string key;
    storage::DoneCallback done;
    bool rescan = false;
    {
      std::lock_guard lock(landed_mutex_);
      rescan = std::exchange(rescan_, false);
      if (!rescan) {
        if (landed_.empty()) return Status::Ok();
        key = std::move(landed_.front().first);
        done = std::move(landed_.front().second);
        landed_.pop_front();
      }
    }
    if (rescan) {
      if (Result<int> scanned = ScanBucket(); !scanned.ok()) {
        std::lock_guard lock(landed_mutex_);
        rescan_ = true;  // still owed: the next round lists the bucket again
        return scanned.status();
      }
    } else {
      Result<std::string> etag = RecordLanded(key);
      if (done) done(etag.ok(), etag.ok() ? *etag : std::string());
      if (!etag.ok()) {
        spdlog::error("Could not record landed object. key={} error={}", key,
                      etag.status().ToString());
        // Not dropped: a source that is told (SQS, the webhook) delivers the key again; for
        // the folder watcher, which is not, the next round lists the bucket again (after the
        // serve loop's backoff: the state may be unwritable, a full disk) and records what
        // is new then.
        if (!done && (etag.status().retryable() || etag.status().code() == StatusCode::kIoError)) {
          std::lock_guard lock(landed_mutex_);
          rescan_ = true;
          return etag.status();
        }
      }
    }
  }
}

}  // namespace ecompipe::runtime
