// EventBus: EventBridge's bus. Put() matches an event against the rules and appends it with
// its deliveries to the durable log; DispatchDue() runs due deliveries through the target
// handlers registered for their type.
//
// Delivery semantics: at-least-once. A delivery is marked done after its handler returned
// OK. One that fails with a transient error (kUnavailable, kTimeout, kIoError) is retried
// with exponential backoff and jitter; after `max_attempts`, or at once for any other error,
// it becomes a dead letter (kept, listed by `ecompipe events`). A delivery whose target type
// has no handler is a dead letter at once, and so is one whose handler throws (kInternal). A
// handler that returns kCancelled (stopped by a signal) leaves its deliveries pending, not
// counted as an attempt, and ends the DispatchDue() call. Handlers registered with
// `coalesce` receive every due delivery for the same (type, name) in one call (a job start
// that arrives while the job runs becomes one follow-up run). Within one dispatch round,
// plain deliveries run first, in log order, then the coalesced groups, in the log order of
// their first delivery.
//
// Thread-safety: Put() may be called from any thread, including from inside a handler;
// DispatchDue() from one thread at a time.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "events/event_log.h"
#include "events/rule.h"

namespace ecompipe::events {

// After the n-th failed attempt of a delivery (n from 1), the next one is due after a random
// delay in [d/2, d], d = min(base_delay_ms * 2^(n-1), max_delay_ms), and at least 1 ms. The
// n-th failure with n == max_attempts makes the delivery a dead letter.
struct RetryPolicy {
  int max_attempts = 8;
  int64_t base_delay_ms = 1000;
  int64_t max_delay_ms = 5 * 60 * 1000;
};

struct TargetHandler {
  bool coalesce = false;
  std::function<Status(std::span<const Delivery>)> run;
};

class EventBus {
 public:
  EventBus(std::unique_ptr<EventLog> log, std::vector<Rule> rules, RetryPolicy retry);

  void RegisterTarget(TargetType type, TargetHandler handler);
  // Replaces the rules (a configuration reload). Events already appended keep the deliveries
  // their rules planned; events put from now on are matched against `rules`. Call from the
  // dispatching thread, between DispatchDue() calls.
  void SetRules(std::vector<Rule> rules) { rules_ = std::move(rules); }
  // kInvalidArgument naming the rule when a rule targets a type with no handler.
  Status CheckTargets() const;

  // Appends the event with one delivery per matching (rule, target); returns its sequence.
  // Errors are EventLog::Append's: kAlreadyExists for an id already in the log (nothing is
  // appended), kInvalidArgument for a malformed envelope.
  Result<int64_t> Put(const Json& event);

  // Runs deliveries that are due until none is left due, including those that the handlers'
  // own events create. Stops early when `stop` becomes true or a handler returns kCancelled.
  // Returns how many ran (succeeded or failed; cancelled ones are not counted). An error
  // reading or updating the log is returned as is.
  Result<int> DispatchDue(const std::atomic<bool>& stop);

  // Blocks until Put() is called, `timeout` passes, or Wake() is called.
  void WaitForWork(std::chrono::milliseconds timeout);
  void Wake();

  // The log, for reading. Calls are serialised with the bus's own use of it.
  template <typename F>
  auto WithLog(F&& f) {
    std::lock_guard lock(log_mutex_);
    return f(*log_);
  }

 private:
  // Runs `group` through `handler` (nullptr: no handler for its type) and records the outcome
  // of each delivery; `cancelled` tells whether the handler returned kCancelled.
  Status RunGroup(const TargetHandler* handler, std::span<const Delivery> group, bool& cancelled);
  int64_t RetryDelayMs(int attempts);

  std::unique_ptr<EventLog> log_;
  std::mutex log_mutex_;
  std::vector<Rule> rules_;
  RetryPolicy retry_;
  std::map<TargetType, TargetHandler> handlers_;

  std::mutex wake_mutex_;
  std::condition_variable wake_cv_;
  bool woken_ = false;
};

}  // namespace ecompipe::events
