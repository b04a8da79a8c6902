// The Glue Job State Change event of a run, whatever its kind (runtime/run_store.h): job runs,
// reloads, reject replays and removals publish their states the same way, so that the default
// rule sends each one's end to the topic and `ecompipe events` shows it. A run that is not a
// plain job run carries its kind in the detail as "runKind".
#pragma once

#include <string>

#include "common/status.h"
#include "events/event.h"
#include "events/event_bus.h"
#include "runtime/run_store.h"

namespace ecompipe::runtime {

// Appends the event of `run` entering `state` to the bus (durable before dispatch). A
// terminal state carries the run's counts, its reject reasons and its objects.
Status EmitRunState(events::EventBus& bus, const events::Origin& origin, const RunRecord& run,
                    RunState state, const std::string& message);

}  // namespace ecompipe::runtime
