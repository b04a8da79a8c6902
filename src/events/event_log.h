// The durable event log: every event is appended, with one pending delivery per matching
// (rule, target), in a single transaction, before anything is dispatched. A delivery is
// marked done only after its target finished, so delivery is at-least-once and targets must
// be idempotent. Backend: events/sql/ (SQLite or PostgreSQL, through common/sql_db.h).
//
// Several workers may share one log. Due() claims what it returns for this worker under a
// lease (see common/worker_lease.h): other workers skip a claimed delivery until the lease
// runs out, so a delivery runs in one worker at a time, and a worker that died loses it to the
// next. MarkDone, MarkFailed and Release end the claim.
//
// Thread-safety: one EventLog per thread (each holds its own connection).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/json.h"
#include "common/status.h"
#include "events/rule.h"

namespace ecompipe::events {

struct PlannedDelivery {
  std::string rule;
  Target target;
};

struct Delivery {
  int64_t id = 0;
  int64_t event_seq = 0;
  std::string rule;
  Target target;
  Json event;
  int attempts = 0;  // finished attempts before this one
};

struct StoredEvent {
  int64_t seq = 0;
  Json event;
  std::string received_at;
  int deliveries_pending = 0;
  int deliveries_done = 0;
  int deliveries_dead = 0;
};

struct EventFilter {
  std::optional<std::string> detail_type;
  std::optional<std::string> source;
  int limit = 50;
  std::optional<std::string> since;       // events whose time is at or after this (RFC 3339)
  std::optional<int64_t> before_seq;      // events older than this sequence (a page's cursor)
  std::optional<std::string> containing;  // events whose JSON text holds this text
};

class EventLog {
 public:
  virtual ~EventLog() = default;
  // Appends `event` and its deliveries atomically; returns the event's sequence number.
  // kAlreadyExists (nothing written) when an event with the same id is in the log;
  // kInvalidArgument when `event` is not an object with a non-empty string "id" (and string
  // "time", "source" and "detail-type" when present) or cannot be serialised (invalid UTF-8).
  virtual Result<int64_t> Append(const Json& event,
                                 const std::vector<PlannedDelivery>& deliveries) = 0;
  // Pending deliveries whose next attempt is due at `now_ms` and that no other worker holds
  // under a live lease, oldest first; they are claimed for this worker (its own earlier
  // claims included). A row whose target type is none TargetTypeName() writes is not
  // returned: it becomes a dead letter at once, as a delivery to a type without a handler does.
  virtual Result<std::vector<Delivery>> Due(int64_t now_ms, int limit) = 0;
  // Gives up this worker's claim on a delivery that stays pending (a run stopped by a signal).
  virtual Status Release(int64_t delivery_id) = 0;
  // MarkDone and MarkFailed return kNotFound when there is no delivery `delivery_id`.
  virtual Status MarkDone(int64_t delivery_id) = 0;
  // Records a failed attempt; `retry_at_ms` nullopt makes it a dead letter.
  virtual Status MarkFailed(int64_t delivery_id, const std::string& error,
                            std::optional<int64_t> retry_at_ms) = 0;
  virtual Result<int64_t> PendingCount() = 0;
  // The earliest time a pending delivery may be due for this worker (its next attempt, or
  // the end of another worker's lease on it), if any is pending.
  virtual Result<std::optional<int64_t>> NextDue() = 0;
  // Most recent first.
  virtual Result<std::vector<StoredEvent>> List(const EventFilter& filter) = 0;
  // The newest event's sequence number, 0 when the log is empty; reads no event's body.
  virtual Result<int64_t> LastSeq() = 0;
};

}  // namespace ecompipe::events
