// The events of one detail-type that a bus's log holds, oldest first (the log lists the most
// recent first), for tests that check what a component emitted.
#pragma once

#include <string>
#include <vector>

#include "common/json.h"
#include "events/event_bus.h"
#include "testing/or_die.h"

namespace ecompipe::testing_util {

inline std::vector<Json> LoggedEvents(events::EventBus& bus, const std::string& detail_type) {
  events::EventFilter filter;
  filter.detail_type = detail_type;
  filter.limit = 100'000;
  std::vector<events::StoredEvent> stored =
      OrDie(bus.WithLog([&](events::EventLog& log) { return log.List(filter); }));
  std::vector<Json> out;
  for (auto it = stored.rbegin(); it != stored.rend(); ++it) out.push_back(std::move(it->event));
  return out;
}

}  // namespace ecompipe::testing_util
