#include "events/event_bus.h"

#include <algorithm>
#include <exception>
#include <random>

#include <spdlog/spdlog.h>

#include "common/redact.h"
#include "common/time_util.h"

namespace ecompipe::events {

EventBus::EventBus(std::unique_ptr<EventLog> log, std::vector<Rule> rules, RetryPolicy retry)
    : log_(std::move(log)), rules_(std::move(rules)), retry_(retry) {}

void EventBus::RegisterTarget(TargetType type, TargetHandler handler) {
  handlers_[type] = std::move(handler);
}

Status EventBus::CheckTargets() const {
  for (const Rule& r : rules_) {
    for (const Target& t : r.targets) {
      if (!handlers_.count(t.type)) {
        std::vector<std::string_view> names;
        for (const auto& [type, _] : handlers_) names.push_back(TargetTypeName(type));
        std::sort(names.begin(), names.end());
        std::string known;
        for (std::string_view name : names)
          known += (known.empty() ? "" : ", ") + std::string(name);
        return Status::InvalidArgument("rule '" + r.name + "': unknown target type '" +
                                       std::string(TargetTypeName(t.type)) + "' (known: " + known +
                                       ")");
      }
    }
  }
  return Status::Ok();
}

Result<int64_t> EventBus::Put(const Json& event) {
  std::vector<PlannedDelivery> deliveries;
  for (const Rule& r : rules_) {
    if (!r.pattern.Matches(event)) continue;
    for (const Target& t : r.targets) {
      // A webhook target's URL is stored without its secrets; its handler finds the
      // configured URL by the rule (runtime/rule_targets.cc).
      Target stored = t;
      if (t.type == TargetType::kWebhook) stored.name = RedactUrl(t.name);
      deliveries.push_back({r.name, std::move(stored)});
    }
  }
  Result<int64_t> seq = [&] {
    std::lock_guard lock(log_mutex_);
    return log_->Append(event, deliveries);
  }();
  if (seq.ok()) {
    auto type = event.find("detail-type");  // Append() checked it is a string when present
    spdlog::debug("Event appended. seq={} detail-type={} deliveries={}", *seq,
                  type == event.end() || !type->is_string() ? "" : type->get<std::string>(),
                  deliveries.size());
    Wake();
  }
  return seq;
}

void EventBus::Wake() {
  {
    std::lock_guard lock(wake_mutex_);
    woken_ = true;
  }
  wake_cv_.notify_all();
}

void EventBus::WaitForWork(std::chrono::milliseconds timeout) {
  std::unique_lock lock(wake_mutex_);
  wake_cv_.wait_for(lock, timeout, [&] { return woken_; });
  woken_ = false;
}

int64_t EventBus::RetryDelayMs(int attempts) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  // base * 2^attempts, capped at max_delay_ms; doubled step by step so that a large base or
  // many attempts cannot overflow.
  const int64_t cap = std::max<int64_t>(1, retry_.max_delay_ms);
  int64_t delay = std::clamp<int64_t>(retry_.base_delay_ms, 1, cap);
  for (int i = 0; i < attempts && delay < cap; ++i) delay = delay > cap / 2 ? cap : delay * 2;
  // Jitter between half and the whole delay, so retries of many deliveries spread out; at
  // least 1 ms, so a retry is always strictly later than the failure.
  std::uniform_int_distribution<int64_t> jitter(std::max<int64_t>(1, delay / 2), delay);
  return jitter(rng);
}

Status EventBus::RunGroup(const TargetHandler* handler, std::span<const Delivery> group,
                          bool& cancelled) {
  Status result;
  if (!handler) {
    result = Status::InvalidArgument("no handler for target type '" +
                                     std::string(TargetTypeName(group.front().target.type)) + "'");
  } else {
    // A handler that throws has a bug; left to propagate, the exception would stop the
    // daemon, and the delivery, still pending, would stop it again at every start.
    try {
      result = handler->run(group);
    } catch (const std::exception& e) {
      result = Status::Internal(std::string("target handler threw: ") + e.what());
    } catch (...) {
      result = Status::Internal("target handler threw");
    }
  }
  cancelled = result.code() == StatusCode::kCancelled;
  std::lock_guard lock(log_mutex_);
  for (const Delivery& d : group) {
    Status s;
    if (result.ok()) {
      s = log_->MarkDone(d.id);
    } else if (cancelled) {
      // Stopped by a signal: stays pending, and another worker (or the next start) runs it.
      s = log_->Release(d.id);
    } else {
      // Only failures that may go away by themselves are retried; a bad file or a bad
      // configuration becomes a dead letter at once, with its reason.
      bool transient = result.retryable() || result.code() == StatusCode::kIoError;
      bool retry = handler && transient && d.attempts + 1 < retry_.max_attempts;
      std::optional<int64_t> at;
      if (retry) at = NowMillis() + RetryDelayMs(d.attempts);
      spdlog::warn("Delivery failed. rule={} target={}:{} attempt={} retry={} error={}", d.rule,
                   TargetTypeName(d.target.type), RedactUrl(d.target.name), d.attempts + 1, retry,
                   RedactUrls(result.ToString()));
      s = log_->MarkFailed(d.id, RedactUrls(result.ToString()), at);
    }
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Result<int> EventBus::DispatchDue(const std::atomic<bool>& stop) {
  int ran = 0;
  while (!stop.load()) {
    Result<std::vector<Delivery>> due = [&] {
      std::lock_guard lock(log_mutex_);
      return log_->Due(NowMillis(), 256);
    }();
    if (!due.ok()) return due.status();
    if (due->empty()) break;

    // Plain deliveries in log order, then one call per coalesced (type, name) group, the
    // groups in the log order of their first delivery.
    std::vector<std::pair<const TargetHandler*, std::vector<Delivery>>> groups;
    std::map<std::pair<TargetType, std::string>, size_t> group_index;
    bool cancelled = false;
    for (Delivery& d : *due) {
      if (stop.load()) return ran;
      auto it = handlers_.find(d.target.type);
      const TargetHandler* h = it == handlers_.end() ? nullptr : &it->second;
      if (h && h->coalesce) {
        auto [g, added] = group_index.try_emplace({d.target.type, d.target.name}, groups.size());
        if (added) groups.emplace_back(h, std::vector<Delivery>());
        groups[g->second].second.push_back(std::move(d));
        continue;
      }
      EP_RETURN_IF_ERROR(RunGroup(h, std::span<const Delivery>(&d, 1), cancelled));
      // A cancelled delivery stays pending and due: running on would run it again at once.
      if (cancelled) return ran;
      ++ran;
    }
    for (auto& [handler, group] : groups) {
      if (stop.load()) return ran;
      EP_RETURN_IF_ERROR(RunGroup(handler, group, cancelled));
      if (cancelled) return ran;
      ran += static_cast<int>(group.size());
    }
  }
  return ran;
}

}  // namespace ecompipe::events
